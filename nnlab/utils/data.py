"""Label encoding and reproducibility helpers."""
import numpy as np

from nnlab import config
from nnlab import random as nnlab_random


def to_categorical(x, num_classes=None):
    """Integer class labels -> one-hot rows, as `keras.utils.to_categorical`.

    one_hot[i, k] = 1 if x[i] == k else 0

    Args:
        x: integer labels in [0, num_classes), any shape; a trailing axis of size 1
            is dropped, as Keras does.
        num_classes: number of classes. Defaults to max(x) + 1.

    Returns:
        float array of shape x.shape + (num_classes,), in `nnlab.config.floatx()`.

    Example:
        >>> to_categorical([0, 2], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise ValueError(
            "to_categorical expects integer class labels (0, 1, 2, ...). "
            f"Received an array of dtype {x.dtype}, e.g. {x.ravel()[:3].tolist() if x.ndim else x!r}; "
            "map names to integers first.")
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if x.size and not np.all(np.equal(np.mod(x, 1), 0)):
        raise ValueError(
            "to_categorical expects integer class labels (0, 1, 2, ...). "
            f"Received non-integer values such as {x.ravel()[np.mod(x.ravel(), 1) != 0][0]!r}.")
    x = x.astype(np.int64)
    if x.size and x.min() < 0:
        raise ValueError(f"to_categorical expects labels >= 0. Received a label {x.min()}.")
    if num_classes is None:
        num_classes = int(x.max()) + 1 if x.size else 0
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes <= 0:
        raise ValueError(
            "Expected `num_classes` to be a positive integer or None. "
            f"Received: num_classes={num_classes!r}")
    elif x.size and x.max() >= num_classes:
        raise ValueError(
            f"to_categorical: label {x.max()} does not fit num_classes={num_classes}; "
            f"labels must lie in [0, {num_classes - 1}]. Pass num_classes={x.max() + 1} or more.")
    return np.eye(num_classes, dtype=config.floatx())[x]


def set_random_seed(seed):
    """Make a run reproducible: seeds nnlab's generator, NumPy's and Python's `random`."""
    nnlab_random.seed(seed)
