"""The 8x8 handwritten digits shipped with scikit-learn: nnlab's default, offline data.

1,797 grey-scale images of the digits 0-9 (about 180 of each), 8x8 pixels with
integer intensities 0..16, from the UCI "Optical Recognition of Handwritten Digits"
set. They come inside scikit-learn, so every lesson runs without a network.
"""
import numpy as np

# The split never depends on nnlab's global seed: every lesson, test and student sees
# the same train/test images.
_SPLIT_SEED = 1797


def load_data(test_size=0.2):
    """Load the 8x8 digits, split into a training and a test set, Keras style.

    The split is stratified (each digit keeps its share in both sets) and
    deterministic (a fixed internal seed, independent of `nnlab.utils.set_random_seed`).

    Args:
        test_size: fraction of the images, strictly between 0 and 1, kept for the
            test set (rounded per class). Defaults to 0.2 (1,438 train / 359 test).

    Returns:
        Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`.

        **x_train**, **x_test**: uint8 arrays of shape `(num_samples, 8, 8)`, pixel
        values 0..16. Divide by 16.0 to scale them to [0, 1].

        **y_train**, **y_test**: uint8 arrays of digit labels 0..9, shape `(num_samples,)`.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = nnlab.datasets.digits.load_data()
    >>> x_train.shape, x_test.shape
    ((1438, 8, 8), (359, 8, 8))
    >>> x_train = x_train.astype("float32") / 16.0
    """
    if isinstance(test_size, bool) or not isinstance(test_size, (float, int, np.floating)) \
            or not 0 < test_size < 1:
        raise ValueError(
            "Expected `test_size` to be a fraction strictly between 0 and 1. "
            f"Received: test_size={test_size!r}")
    x, y = _read_digits()

    rng = np.random.default_rng(_SPLIT_SEED)
    train_idx, test_idx = [], []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_test = int(round(test_size * len(idx)))
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    train_idx = rng.permutation(np.concatenate(train_idx))
    test_idx = rng.permutation(np.concatenate(test_idx))
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])


def _read_digits():
    """The 1,797 images (uint8, 8x8, values 0..16) and labels of sklearn's `load_digits()`.

    Read straight from the CSV file inside the scikit-learn package: importing
    `sklearn.datasets` costs about 2 s of CPU (it pulls in SciPy), reading the file 0.01 s.
    Falls back to `load_digits()` if a scikit-learn release moves the file.
    """
    import importlib.util
    import os

    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(root, "datasets", "data", "digits.csv.gz")
        if os.path.exists(path):
            data = np.loadtxt(path, delimiter=",", dtype=np.uint8)
            if data.shape == (1797, 65):
                return data[:, :-1].reshape(-1, 8, 8), data[:, -1].copy()
    from sklearn.datasets import load_digits  # shipped with scikit-learn, no download

    bunch = load_digits()
    return bunch.images.astype(np.uint8), bunch.target.astype(np.uint8)
