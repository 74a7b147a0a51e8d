"""Fashion-MNIST: 70,000 28x28 grey-scale images of clothes, as `keras.datasets.fashion_mnist`."""
import gzip

import numpy as np

from nnlab.datasets import _files

BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
SUBDIR = "fashion-mnist"
# The four files Keras downloads, with their sha256.
FILES = {
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def read_idx(path):
    """Read a gzipped IDX file (the MNIST format) into a uint8 array.

    Header: two zero bytes, a type byte (0x08 = unsigned byte), the number of
    dimensions, then each dimension as a big-endian uint32; then the data.
    """
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path} is not a gzipped IDX file of unsigned bytes.")
    ndim = data[3]
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    offset = 4 + 4 * ndim
    if len(data) - offset != int(np.prod(shape)):
        raise ValueError(
            f"{path} is truncated or corrupted: its header announces shape {shape} "
            f"({int(np.prod(shape))} bytes) but it holds {len(data) - offset} bytes.")
    return np.frombuffer(data, np.uint8, offset=offset).reshape(shape)


def load_data():
    """Load Fashion-MNIST (60,000 training and 10,000 test images of 10 kinds of clothes).

    The four IDX files Keras uses are read from `fashion-mnist/` in
    `$NNLAB_HOME/datasets` (default `~/.nnlab/datasets`) or `~/.keras/datasets`, and
    downloaded (30 MB, sha256 checked) into the first when missing.

    Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
    7 Sneaker, 8 Bag, 9 Ankle boot (also in `CLASS_NAMES`).

    Returns:
        Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`.

        **x_train**, **x_test**: uint8 arrays of shape `(60000, 28, 28)` and
        `(10000, 28, 28)`, pixel values 0..255.

        **y_train**, **y_test**: uint8 arrays of labels 0..9, shapes `(60000,)` and
        `(10000,)`.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = nnlab.datasets.fashion_mnist.load_data()
    >>> CLASS_NAMES[y_train[0]]

    License: the copyright for Fashion-MNIST is held by Zalando SE; it is licensed
    under the MIT license.
    """
    arrays = {}
    for name, sha256 in FILES.items():
        arrays[name] = read_idx(_files.get_file(f"{SUBDIR}/{name}", BASE + name, sha256))
    y_train = arrays["train-labels-idx1-ubyte.gz"]
    x_train = arrays["train-images-idx3-ubyte.gz"]
    y_test = arrays["t10k-labels-idx1-ubyte.gz"]
    x_test = arrays["t10k-images-idx3-ubyte.gz"]
    for x, y, part in ((x_train, y_train, "train"), (x_test, y_test, "t10k")):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(
                f"fashion-mnist {part} files do not match: images of shape {x.shape}, "
                f"labels of shape {y.shape}.")
    return (x_train, y_train), (x_test, y_test)
