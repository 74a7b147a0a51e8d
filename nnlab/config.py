"""Global settings, named as in `keras.config`: the float type, the fuzz factor, and the
Keras 3 switches that have no effect on NumPy (accepted, so programs run unchanged).

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


def set_epsilon(value):
    """Set the fuzz factor (Keras' default 1e-7)."""
    global _EPSILON
    value = float(value)
    if not 0 < value < 1:
        raise ValueError(f"Expected `epsilon` in (0, 1), e.g. 1e-7. Received: {value!r}")
    _EPSILON = value


def backend():
    """The backend's name: nnlab computes with NumPy ('numpy', as Keras 3's NumPy backend)."""
    return "numpy"


def image_data_format():
    """Where the channels are in an image batch: always 'channels_last' (batch, H, W, C)."""
    return "channels_last"


def set_image_data_format(data_format):
    """Only 'channels_last' is supported (the Keras default)."""
    if data_format != "channels_last":
        raise ValueError("nnlab supports only data_format='channels_last' (batch, height, width, "
                         f"channels). Received: {data_format!r}")


def dtype_policy():
    """The name of the float type new layers use (Keras 3's dtype policy, without mixed ones)."""
    return _FLOATX


def set_dtype_policy(policy):
    """'float32', 'float64' (or 'float16'): the same as `set_floatx`. Mixed policies
    ('mixed_float16') speed up accelerators, which nnlab does not use."""
    if isinstance(policy, str) and policy.startswith("mixed_"):
        raise ValueError(f"nnlab has no mixed-precision policies ({policy!r}): they speed up GPUs, "
                         "which nnlab does not use. Use 'float32', or Keras itself (lessons/18).")
    set_floatx(policy)


# Keras 3 switches that change nothing observable in nnlab: accepted as no-ops, so that
# programs which call them run unchanged.
_switches = {"traceback_filtering": True, "interactive_logging": True, "unsafe_deserialization": False}


def disable_traceback_filtering():
    """No-op: nnlab shows tracebacks as Python gives them."""
    _switches["traceback_filtering"] = False


def enable_traceback_filtering():
    """No-op (see `disable_traceback_filtering`)."""
    _switches["traceback_filtering"] = True


def is_traceback_filtering_enabled():
    return _switches["traceback_filtering"]


def enable_interactive_logging():
    """No-op: nnlab chooses its progress output by where it prints (terminal/notebook or log)."""
    _switches["interactive_logging"] = True


def disable_interactive_logging():
    """No-op (see `enable_interactive_logging`)."""
    _switches["interactive_logging"] = False


def is_interactive_logging_enabled():
    return _switches["interactive_logging"]


def enable_unsafe_deserialization():
    """No-op: nnlab never deserializes code (lambdas, custom objects), safe or not."""
    _switches["unsafe_deserialization"] = True
