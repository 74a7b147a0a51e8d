"""Global settings, named as in `keras.config`: the float type and the fuzz factor.

nnlab computes in float32 by default, as Keras does. Gradient checks switch to float64
with `set_floatx("float64")` (or the `floatx` context manager) so that central
differences are accurate to ~1e-7.
"""
import contextlib

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_ALLOWED = ("float16", "float32", "float64")


def floatx():
    """The default float type of new weights and of data passed to `fit`/`predict`."""
    return _FLOATX


def set_floatx(value):
    """Set the default float type: one of 'float16', 'float32', 'float64'."""
    global _FLOATX
    value = str(np.dtype(value)) if not isinstance(value, str) else value
    if value not in _ALLOWED:
        raise ValueError(
            f"Unknown floatx type: {value!r}. Expected one of {list(_ALLOWED)}.")
    _FLOATX = value


@contextlib.contextmanager
def floatx_scope(value):
    """`with floatx_scope("float64"): ...` builds layers in float64, then restores."""
    old = floatx()
    set_floatx(value)
    try:
        yield
    finally:
        set_floatx(old)


def epsilon():
    """The fuzz factor used to keep log() and divisions finite (Keras: 1e-7)."""
    return _EPSILON
