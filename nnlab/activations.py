"""Activation functions, their derivatives and the backward step through them.

Each elementwise activation a = φ(z) comes with `<name>_derivative(z)` = φ'(z), so the
backward step is the chain rule applied elementwise:

    dL/dz = dL/da * φ'(z)

Softmax mixes the entries of a row, so its backward step uses its Jacobian instead
(see `backward`). All functions are written to stay finite for |z| up to 1e4 in
float32 and float64 (no overflow, no 0/0).

Derived in lessons/02_activations.ipynb.
"""
import functools

import numpy as np

from nnlab import config
from nnlab._naming import lookup


def _as_float(x):
    """`x` as a float array (integers become `config.floatx()`)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(config.floatx())
    return x


def _exp_nonpositive(t):
    """exp(t) for t <= 0, flushing results too small for the float type to exactly 0.

    Values below tiny * e^20 (~6e-30 in float32, ~1e-299 in float64) become 0, so
    neither this exp nor a later division by a row sum underflows.
    """
    cutoff = np.log(np.finfo(t.dtype).tiny) + 20
    if t.size and t.min() > cutoff:        # the usual case: nothing to flush, and a
        return np.exp(t)                   # plain exp is twice as fast as the masked one
    return np.exp(t, where=t > cutoff, out=np.zeros_like(t))


# ---- linear -------------------------------------------------------------------------
def linear(x):
    """Linear (identity) activation: φ(x) = x.

    Derivative: φ'(x) = 1.

    Example:
        >>> linear(np.array([-1.0, 2.0]))
        array([-1.,  2.])

    Derived in lessons/02_activations.ipynb.
    """
    return _as_float(x)


def linear_derivative(x):
    """Derivative of `linear`: 1 everywhere."""
    return np.ones_like(_as_float(x))


# ---- sigmoid ------------------------------------------------------------------------
def sigmoid(x):
    """Logistic sigmoid: σ(x) = 1 / (1 + exp(-x)).

    Derivative: σ'(x) = σ(x) (1 - σ(x)).

    Computed as 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, with
    e = exp(-|x|) <= 1, so exp never overflows (values below ~1e-30 are flushed to
    0, so it does not underflow either).

    Example:
        >>> sigmoid(np.array([0.0]))
        array([0.5])

    Derived in lessons/02_activations.ipynb.
    """
    x = _as_float(x)
    e = _exp_nonpositive(-np.abs(x))
    return (np.where(x >= 0, 1, e) / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_derivative(x):
    """Derivative of `sigmoid`: σ(x) (1 - σ(x))."""
    s = sigmoid(x)
    return s * (1 - s)


# ---- tanh ---------------------------------------------------------------------------
def tanh(x):
    """Hyperbolic tangent: tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)).

    Derivative: tanh'(x) = 1 - tanh(x)².

    Example:
        >>> tanh(np.array([0.0]))
        array([0.])

    Derived in lessons/02_activations.ipynb.
    """
    return np.tanh(_as_float(x))


def tanh_derivative(x):
    """Derivative of `tanh`: 1 - tanh(x)²."""
    t = np.tanh(_as_float(x))
    return 1 - t * t


# ---- relu ---------------------------------------------------------------------------
def relu(x):
    """Rectified linear unit: relu(x) = max(x, 0).

    Derivative: 1 where x > 0, else 0 (at x = 0 we use 0, as TensorFlow does).

    Example:
        >>> relu(np.array([-1.0, 2.0]))
        array([0., 2.])

    Derived in lessons/02_activations.ipynb.
    """
    x = _as_float(x)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_derivative(x):
    """Derivative of `relu`: 1 where x > 0, else 0."""
    x = _as_float(x)
    return (x > 0).astype(x.dtype)


# ---- leaky relu ---------------------------------------------------------------------
def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU: φ(x) = x if x >= 0 else negative_slope * x.

    Derivative: 1 where x > 0, else negative_slope.

    Args:
        x: input array.
        negative_slope: slope for x < 0. Defaults to 0.2 (Keras 3's default).

    Example:
        >>> leaky_relu(np.array([-1.0, 2.0]))
        array([-0.2,  2. ])

    Derived in lessons/02_activations.ipynb.
    """
    x = _as_float(x)
    return np.where(x >= 0, x, negative_slope * x).astype(x.dtype, copy=False)


def leaky_relu_derivative(x, negative_slope=0.2):
    """Derivative of `leaky_relu`: 1 where x > 0, else negative_slope."""
    x = _as_float(x)
    return np.where(x > 0, 1, negative_slope).astype(x.dtype)


# ---- elu ----------------------------------------------------------------------------
def elu(x, alpha=1.0):
    """Exponential linear unit: φ(x) = x if x > 0 else alpha * (exp(x) - 1).

    Derivative: 1 where x > 0, else alpha * exp(x).

    Args:
        x: input array.
        alpha: value approached for large negative x is -alpha. Defaults to 1.0.

    Example:
        >>> elu(np.array([0.0, 2.0]))
        array([0., 2.])

    Derived in lessons/02_activations.ipynb.
    """
    x = _as_float(x)
    negative = alpha * np.expm1(np.minimum(x, 0))   # exp of a value <= 0: no overflow
    return np.where(x > 0, x, negative).astype(x.dtype, copy=False)


def elu_derivative(x, alpha=1.0):
    """Derivative of `elu`: 1 where x > 0, else alpha * exp(x)."""
    x = _as_float(x)
    return np.where(x > 0, 1, alpha * _exp_nonpositive(np.minimum(x, 0))).astype(x.dtype)


# ---- softplus -----------------------------------------------------------------------
def softplus(x):
    """Softplus: φ(x) = log(1 + exp(x)), a smooth relu.

    Derivative: φ'(x) = σ(x), the sigmoid.

    Computed as max(x, 0) + log(1 + exp(-|x|)), which equals log(1 + exp(x)) and
    never overflows.

    Example:
        >>> softplus(np.array([0.0]))
        array([0.69314718])

    Derived in lessons/02_activations.ipynb.
    """
    x = _as_float(x)
    return (np.maximum(x, 0) + np.log1p(_exp_nonpositive(-np.abs(x)))).astype(x.dtype, copy=False)


def softplus_derivative(x):
    """Derivative of `softplus`: the sigmoid σ(x)."""
    return sigmoid(x)


# ---- softmax ------------------------------------------------------------------------
def softmax(x, axis=-1):
    """Softmax: s_i = exp(x_i) / Σ_j exp(x_j) along `axis`.

    Jacobian: ∂s_i/∂x_j = s_i (δ_ij - s_j), so the backward step is
    dL/dx = s * (dL/ds - Σ_j dL/ds_j s_j) (see `backward`).

    The row maximum is subtracted first (softmax does not change), so exp never
    overflows.

    Args:
        x: input array.
        axis: the axis that sums to 1. Defaults to -1.

    Example:
        >>> softmax(np.array([[0.0, 0.0]]))
        array([[0.5, 0.5]])

    Derived in lessons/02_activations.ipynb.
    """
    x = _as_float(x)
    e = _exp_nonpositive(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


# ---- registry, get, serialize, backward ---------------------------------------------
ACTIVATIONS = {
    "linear": linear,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "softplus": softplus,
    "softmax": softmax,
}

DERIVATIVES = {
    linear: linear_derivative,
    sigmoid: sigmoid_derivative,
    tanh: tanh_derivative,
    relu: relu_derivative,
    leaky_relu: leaky_relu_derivative,
    elu: elu_derivative,
    softplus: softplus_derivative,
}


def get(identifier):
    """The activation function for `identifier`.

    Args:
        identifier: a name ("relu"), a function (returned as is) or None (→ linear).

    Example:
        >>> get("relu") is relu
        True
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return lookup("activation", identifier, ACTIVATIONS)
    if callable(identifier):
        return identifier
    raise ValueError(
        "Could not interpret activation identifier: expected a name such as 'relu', "
        f"a function or None. Received: activation={identifier!r}")


def serialize(fn):
    """The name of activation `fn` ("relu"), as stored in a layer's config."""
    fn = get(fn)
    if isinstance(fn, functools.partial):
        raise ValueError(
            f"Cannot serialize activation {fn!r}: its arguments would be lost. Save a layer "
            "with a named activation ('leaky_relu', ...) or an Activation layer instead.")
    for name, known in ACTIVATIONS.items():
        if known is fn:
            return name
    name = getattr(fn, "__name__", None)
    if name is None or name == "<lambda>":
        raise ValueError(
            f"Cannot serialize activation {fn!r}: only named functions can be saved. "
            f"Known activations: {', '.join(ACTIVATIONS)}.")
    return name


def derivative(fn):
    """φ' for an elementwise activation φ (a name or function), e.g. derivative('tanh')."""
    fn = get(fn)
    if isinstance(fn, functools.partial) and fn.func in DERIVATIVES:
        return functools.partial(DERIVATIVES[fn.func], *fn.args, **fn.keywords)
    if fn in DERIVATIVES:
        return DERIVATIVES[fn]
    raise ValueError(
        f"No derivative known for activation {getattr(fn, '__name__', fn)!r}. "
        f"nnlab can backpropagate through: {', '.join(ACTIVATIONS)}.")


def backward(fn, x, y, grad):
    """dL/dx for y = fn(x), given x, y and the upstream gradient dL/dy.

    Elementwise activations: dL/dx = dL/dy * φ'(x). Sigmoid and tanh write φ' with
    their output, σ' = y (1 - y) and tanh' = 1 - y², so when y is given they need no
    second exp (recurrent layers call this for every gate at every step).
    Softmax (last axis): dL/dx = y * (dL/dy - Σ_j dL/dy_j y_j).

    Args:
        fn: the activation (name or function).
        x: its input (pre-activation z). May be None for relu when y is given.
        y: its output fn(x) (used by softmax; may be None, then recomputed).
        grad: dL/dy, same shape as x.

    Derived in lessons/02_activations.ipynb.
    """
    fn = get(fn)
    base = fn.func if isinstance(fn, functools.partial) else fn
    if base is softmax:
        axis = fn.keywords.get("axis", -1) if isinstance(fn, functools.partial) else -1
        if y is None:
            y = fn(x)
        return y * (grad - np.sum(grad * y, axis=axis, keepdims=True))
    if base is linear:
        return grad
    if base is relu:                 # = grad * relu_derivative(x), without the float mask;
        return grad * ((x if x is not None else y) > 0)     # y > 0 exactly where x > 0
    if y is not None and base is sigmoid:
        return grad * y * (1 - y)
    if y is not None and base is tanh:
        return grad * (1 - y * y)
    return grad * derivative(fn)(x)
