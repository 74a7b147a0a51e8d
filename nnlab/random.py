"""The one random generator every part of nnlab draws from.

Initializers, Dropout and the shuffling in `fit` all call `generator()`, so
`nnlab.utils.set_random_seed(seed)` makes a whole run reproducible.
"""
import random as _py_random

import numpy as np

_generator = np.random.default_rng()


def generator():
    """Return nnlab's global `numpy.random.Generator`."""
    return _generator


def seed(value):
    """Reseed nnlab's generator, NumPy's legacy global one and Python's `random`."""
    global _generator
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
        raise ValueError(
            f"Expected `seed` to be a non-negative integer. Received: seed={value!r}")
    _generator = np.random.default_rng(int(value))
    np.random.seed(int(value) % 2**32)
    _py_random.seed(int(value))
