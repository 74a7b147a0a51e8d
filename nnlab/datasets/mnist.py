"""MNIST handwritten digits: 70,000 grey-scale 28x28 images, as `keras.datasets.mnist`."""
import os
import pathlib

import numpy as np

from nnlab.datasets import _files

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz"):
    """Load the MNIST data set (60,000 training and 10,000 test digits).

    The file is Keras' `mnist.npz`, read from `$NNLAB_HOME/datasets` (default
    `~/.nnlab/datasets`) or `~/.keras/datasets`, and downloaded (11 MB, sha256
    checked) into the first when it is in neither. Offline, the error says where to
    get it and where to put it; `nnlab.datasets.digits` needs no file at all.

    Args:
        path: file name relative to those directories, or a path to an existing file.
            Defaults to `"mnist.npz"`.

    Returns:
        Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`.

        **x_train**, **x_test**: uint8 arrays of shape `(60000, 28, 28)` and
        `(10000, 28, 28)`, pixel values 0..255 (divide by 255.0 to scale to [0, 1]).

        **y_train**, **y_test**: uint8 arrays of digit labels 0..9, shapes `(60000,)`
        and `(10000,)`.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = nnlab.datasets.mnist.load_data()
    >>> x_train.shape, y_train.shape
    ((60000, 28, 28), (60000,))

    License: Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative
    of NIST's data, available under the Creative Commons Attribution-Share Alike 3.0
    license.
    """
    if os.path.isabs(os.fspath(path)) and os.path.exists(path):
        file = pathlib.Path(path)
    else:
        file = _files.get_file(os.fspath(path), ORIGIN, SHA256)
    # Plain numeric arrays: no pickle is needed, so none is allowed.
    with np.load(file, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
