"""Boston house prices (1970s), 13 features per district, as `keras.datasets.boston_housing`.

A regression data set of 506 districts; the target is the median home value in k$.
(The data set has known ethical problems — one feature encodes the share of Black
residents — which is why scikit-learn removed it; Keras still ships it, and
programs that use it run here, but teach regression with other data where you can.)
"""
import numpy as np

from nnlab.datasets import _sequences

ORIGIN = _sequences.ORIGIN_FOLDER + "boston_housing.npz"
SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Load the Boston housing data: 404 training and 102 test districts by default.

    The samples are shuffled with `np.random.RandomState(seed)` and the first
    `1 - test_split` of them are the training set, as Keras does. The file is Keras'
    `boston_housing.npz` (plain numeric arrays, read without pickle), found in
    `$NNLAB_HOME/datasets` or `~/.keras/datasets` or downloaded (sha256 checked).

    Args:
        path: file name relative to those directories, or a path to an existing file.
            Defaults to "boston_housing.npz".
        test_split: the fraction kept for testing, in [0, 1). Defaults to 0.2.
        seed: seed of the shuffling. Defaults to 113.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float arrays of shape (n, 13) and (n,).
    """
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) \
            or not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split!r}. It must be between 0 "
                         "and 1 (exclusive of 1).")
    _sequences.check_int("seed", seed)
    file = _sequences.local_or_download(path, ORIGIN, SHA256)
    with np.load(file, allow_pickle=False) as f:
        if not {"x", "y"} <= set(f.files):
            raise ValueError(f"{file} is not Keras' boston_housing.npz: it lacks 'x' and 'y'.")
        x, y = _sequences.shuffled(np.random.RandomState(seed), f["x"], f["y"])
    split = int(len(x) * (1 - test_split))
    return (x[:split], y[:split]), (x[split:], y[split:])
