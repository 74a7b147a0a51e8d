"""`nnlab.ops`: the NumPy-like functions Keras 3 programs call as `keras.ops.*`.

In Keras, `keras.ops` runs on the backend (JAX, TensorFlow, PyTorch); in nnlab the
backend is NumPy, so each function here is the NumPy function of the same meaning,
with Keras' argument names and defaults where they differ (float results default to
`nnlab.config.floatx()`, i.e. float32; `one_hot` puts the classes on the last axis).

    from nnlab import ops
    ops.mean(ops.square(y_true - y_pred), axis=-1)

Functions not listed here raise an AttributeError that says so.
"""
import numpy as np

from nnlab import activations as _activations
from nnlab import config as _config


def _float(x):
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(_config.floatx())


def _dtype(dtype):
    return _config.floatx() if dtype is None else dtype


# ---- creating and converting -------------------------------------------------------------
def convert_to_tensor(x, dtype=None, sparse=None):
    """`x` as a NumPy array (nnlab's tensors are NumPy arrays).

    Python floats (not NumPy arrays) become floatx, as in Keras: [1.0, 2.0] -> float32.
    """
    if dtype is None and not isinstance(x, (np.ndarray, np.generic)):
        x = np.asarray(x)
        return x.astype(_config.floatx()) if x.dtype == np.float64 else x
    return np.asarray(x, dtype=dtype)


def convert_to_numpy(x):
    """`x` as a NumPy array."""
    return np.asarray(x)


def array(x, dtype=None):
    return np.array(x, dtype=dtype)


def cast(x, dtype):
    return np.asarray(x).astype(dtype)


def zeros(shape, dtype=None):
    return np.zeros(shape, dtype=_dtype(dtype))


def ones(shape, dtype=None):
    return np.ones(shape, dtype=_dtype(dtype))


def full(shape, fill_value, dtype=None):
    return np.full(shape, fill_value, dtype=_dtype(dtype))


def zeros_like(x, dtype=None):
    return np.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None):
    return np.ones_like(x, dtype=dtype)


def full_like(x, fill_value, dtype=None):
    return np.full_like(x, fill_value, dtype=dtype)


def eye(N, M=None, k=0, dtype=None):
    return np.eye(N, M, k, dtype=_dtype(dtype))


def arange(start, stop=None, step=1, dtype=None):
    return np.arange(start, stop, step, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if dtype is None:            # floatx, unless start or stop is a wider float array
        floats = [v.dtype for v in (start, stop)
                  if hasattr(v, "dtype") and np.issubdtype(v.dtype, np.floating)]
        dtype = np.result_type(_config.floatx(), *floats)
    return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)


def one_hot(x, num_classes, axis=-1, dtype=None):
    """One-hot encoding of integer labels `x`: classes on `axis` (default last), float32."""
    x = np.asarray(x)
    out = (x[..., None] == np.arange(num_classes)).astype(_dtype(dtype))
    return np.moveaxis(out, -1, axis) if axis != -1 else out


def shape(x):
    return tuple(np.shape(x))


# ---- elementwise ------------------------------------------------------------------------------
add, subtract, multiply, divide, power = np.add, np.subtract, np.multiply, np.divide, np.power
negative, absolute, sign, floor, ceil = np.negative, np.absolute, np.sign, np.floor, np.ceil
abs = np.absolute
sqrt, square, exp, log, log1p, expm1 = np.sqrt, np.square, np.exp, np.log, np.log1p, np.expm1
sin, cos, tan = np.sin, np.cos, np.tan
maximum, minimum, clip, where, isnan, isfinite = np.maximum, np.minimum, np.clip, np.where, np.isnan, np.isfinite
equal, not_equal, greater, greater_equal, less, less_equal = (
    np.equal, np.not_equal, np.greater, np.greater_equal, np.less, np.less_equal)
logical_and, logical_or, logical_not = np.logical_and, np.logical_or, np.logical_not
floor_divide, mod = np.floor_divide, np.mod


def round(x, decimals=0):
    return np.round(x, decimals)


# ---- reductions ------------------------------------------------------------------------------
def sum(x, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    return np.mean(_float(x), axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False, initial=None):
    kwargs = {} if initial is None else {"initial": initial}
    return np.max(x, axis=axis, keepdims=keepdims, **kwargs)


def min(x, axis=None, keepdims=False, initial=None):
    kwargs = {} if initial is None else {"initial": initial}
    return np.min(x, axis=axis, keepdims=keepdims, **kwargs)


def prod(x, axis=None, keepdims=False, dtype=None):
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=dtype)


def std(x, axis=None, keepdims=False):
    return np.std(_float(x), axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    return np.var(_float(x), axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return np.all(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    return np.any(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=None, keepdims=False):
    return np.argmax(x, axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    return np.argmin(x, axis=axis, keepdims=keepdims)


def argsort(x, axis=-1):
    return np.argsort(x, axis=axis)


def cumsum(x, axis=None, dtype=None):
    return np.cumsum(x, axis=axis, dtype=dtype)


def logsumexp(x, axis=None, keepdims=False):
    """log Σ exp(x), computed stably (the maximum is taken out first)."""
    x = _float(x)
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def norm(x, ord=None, axis=None, keepdims=False):
    return np.linalg.norm(_float(x), ord=ord, axis=axis, keepdims=keepdims)


def top_k(x, k, sorted=True):
    """(values, indices) of the k largest entries along the last axis, largest first."""
    x = np.asarray(x)
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return np.take_along_axis(x, idx, axis=-1), idx


def in_top_k(targets, predictions, k):
    """True where the target's score is among the k largest (ties at the boundary count)."""
    predictions = np.asarray(predictions)
    at = np.take_along_axis(predictions, np.asarray(targets)[..., None], axis=-1)
    return 1 + np.sum(predictions > at, axis=-1) <= k


# ---- shapes ------------------------------------------------------------------------------------
reshape, transpose, squeeze, expand_dims = np.reshape, np.transpose, np.squeeze, np.expand_dims
concatenate, stack, tile, repeat, flip = np.concatenate, np.stack, np.tile, np.repeat, np.flip
broadcast_to, swapaxes, moveaxis, take, take_along_axis = (
    np.broadcast_to, np.swapaxes, np.moveaxis, np.take, np.take_along_axis)
split, diag, trace, einsum, pad = np.split, np.diag, np.trace, np.einsum, np.pad


def matmul(x1, x2):
    return np.matmul(x1, x2)


def dot(x1, x2):
    return np.dot(x1, x2)


def vectorized_map(function, elements):
    return np.stack([function(e) for e in elements])


# ---- neural-network functions (keras.ops.nn, also at keras.ops) ---------------------------------
def relu(x):
    return _activations.relu(x)


def sigmoid(x):
    return _activations.sigmoid(x)


def tanh(x):
    return _activations.tanh(x)


def softplus(x):
    return _activations.softplus(x)


def elu(x, alpha=1.0):
    return _activations.elu(x, alpha)


def leaky_relu(x, negative_slope=0.2):
    return _activations.leaky_relu(x, negative_slope)


def softmax(x, axis=-1):
    return _activations.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    x = _float(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise −(t log p + (1 − t) log(1 − p)), no reduction (as `keras.ops`)."""
    t, x = _float(target), _float(output)
    if from_logits:                          # stable: max(x, 0) − x t + log(1 + e^(−|x|))
        return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p = np.clip(x, _config.epsilon(), 1 - _config.epsilon())
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from nnlab import losses
    return losses.categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from nnlab import losses
    return losses.sparse_categorical_crossentropy(target, output, from_logits=from_logits, axis=axis)



def __getattr__(name):
    raise AttributeError(
        f"nnlab.ops has no function {name!r}. nnlab.ops covers the NumPy-like functions Keras "
        "programs use most (see the module's docstring); use NumPy directly (np." + name + ") if it "
        "has one, or Keras itself (lessons/18).")
