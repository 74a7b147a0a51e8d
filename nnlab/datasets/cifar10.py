"""CIFAR-10: 60,000 32x32 colour images in 10 classes, as `keras.datasets.cifar10`."""
import tarfile

import numpy as np

from nnlab.datasets import _files, _safe_pickle

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
DIRNAME = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
BATCHES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5")
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")

# Where Keras (2 and 3) and nnlab leave the batches: extracted directories first,
# then the downloaded archive under the names each version gives it.
_DIRECTORIES = (DIRNAME, f"{DIRNAME}/{DIRNAME}")
_ARCHIVES = (ARCHIVE, f"{DIRNAME}.tar.gz", f"{DIRNAME}_archive")


def parse_batch(file, name="batch"):
    """One pickled CIFAR batch -> (images uint8 (n, 32, 32, 3), labels uint8 (n,)).

    A batch is a dict with b"data", a uint8 array (n, 3072) holding each image's red,
    green then blue 32x32 planes, and b"labels", a list of n ints.
    """
    batch = _safe_pickle.load(file, encoding="bytes")
    if not isinstance(batch, dict):
        raise ValueError(f"CIFAR-10 {name} is not a pickled dict.")
    batch = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise ValueError(
            f"CIFAR-10 {name} lacks 'data' or 'labels'; found keys {sorted(batch)}.")
    data = np.asarray(batch["data"], dtype=np.uint8)
    labels = np.asarray(batch["labels"], dtype=np.uint8)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(data) != len(labels):
        raise ValueError(
            f"CIFAR-10 {name}: expected data of shape (n, 3072) and n labels, got "
            f"{data.shape} and {labels.shape}.")
    # (n, channels, rows, cols) as stored -> (n, rows, cols, channels), Keras' channels_last.
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _read_directory(directory):
    parts = {}
    for name in BATCHES + ("test_batch",):
        with open(directory / name, "rb") as f:
            parts[name] = parse_batch(f, name)
    return parts


def _read_archive(path):
    parts = {}
    with tarfile.open(path, "r:*") as archive:
        members = {m.name.rsplit("/", 1)[-1]: m for m in archive.getmembers() if m.isfile()}
        for name in BATCHES + ("test_batch",):
            if name not in members:
                raise ValueError(f"{path} has no {name}: it is not the CIFAR-10 python archive.")
            parts[name] = parse_batch(archive.extractfile(members[name]), name)
    return parts


def load_data():
    """Load CIFAR-10 (50,000 training and 10,000 test colour images, 10 classes).

    Reads Keras' files from `$NNLAB_HOME/datasets` (default `~/.nnlab/datasets`) or
    `~/.keras/datasets`: the extracted `cifar-10-batches-py/` directory (data_batch_1
    ... data_batch_5 and test_batch) or the archive `cifar-10-python.tar.gz`, read
    without extracting it. When neither is there the archive (163 MB, sha256 checked)
    is downloaded into the first directory. The batches are pickles: they are read
    with a restricted unpickler that only rebuilds NumPy arrays.

    Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse,
    8 ship, 9 truck (also in `CLASS_NAMES`).

    Returns:
        Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`.

        **x_train**, **x_test**: uint8 arrays of shape `(50000, 32, 32, 3)` and
        `(10000, 32, 32, 3)` (channels last), pixel values 0..255.

        **y_train**, **y_test**: uint8 arrays of labels 0..9 of shape `(50000, 1)`
        and `(10000, 1)`, as Keras returns them (`y_train[:, 0]` or
        `y_train.ravel()` gives a flat vector).

    Example:

    >>> (x_train, y_train), (x_test, y_test) = nnlab.datasets.cifar10.load_data()
    >>> x_train.shape, y_train.shape
    ((50000, 32, 32, 3), (50000, 1))
    """
    found = _files.find(*(f"{d}/test_batch" for d in _DIRECTORIES), *_ARCHIVES)
    if found is None:
        parts = _read_archive(_files.get_file(ARCHIVE, ORIGIN, SHA256))
    elif found.name == "test_batch":
        parts = _read_directory(found.parent)
    else:
        parts = _read_archive(found)
    x_train = np.concatenate([parts[name][0] for name in BATCHES])
    y_train = np.concatenate([parts[name][1] for name in BATCHES]).reshape(-1, 1)
    x_test = np.ascontiguousarray(parts["test_batch"][0])
    y_test = parts["test_batch"][1].reshape(-1, 1)
    return (x_train, y_train), (x_test, y_test)
