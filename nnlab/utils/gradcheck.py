"""Gradient checking: compare a backward pass with central differences.

For a scalar function L(θ), the central difference

    dL/dθ_i ≈ (L(θ + ε e_i) - L(θ - ε e_i)) / (2ε)

has error O(ε²), so with float64 and ε = 1e-6 it agrees with a correct analytic
gradient to about 1e-9. `check_gradients` uses L = Σ forward(x) ⊙ G for a fixed random
G, whose gradient with respect to the output is exactly G: so `backward(G)` must
return dL/dx and fill dL/dθ for every parameter.

Derived in lessons/06_backprop.ipynb.
"""
import numpy as np


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of the scalar function `f()` with respect to `x`.

    `x` is perturbed in place, one entry at a time, and restored afterwards, so `f`
    must read `x` (e.g. a layer's parameter array, or the input it closes over).

        g_i = (f() with x_i + eps  -  f() with x_i - eps) / (2 eps)

    Args:
        f: function of no arguments returning a scalar.
        x: a float array (float64 for accurate results), modified during the call.
        eps: the step ε. Defaults to 1e-6.

    Returns:
        an array like `x` holding dF/dx.

    Example:
        >>> x = np.array([1.0, 2.0])
        >>> numerical_gradient(lambda: np.sum(x ** 2), x)     # ≈ 2x
        array([2., 4.])
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            "numerical_gradient perturbs `x` in place, so `x` must be a float NumPy array. "
            f"Received: {type(x).__name__}" + (f" of dtype {x.dtype}" if hasattr(x, "dtype") else ""))
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        f_plus = float(f())
        x[idx] = old - eps
        f_minus = float(f())
        x[idx] = old
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


def _named_parameters(obj):
    """[(display name, params dict, key)] for a layer or for a model with `layers`."""
    if hasattr(obj, "layers"):
        return [(f"{layer.name}/{key}", layer.params, key)
                for layer in obj.layers for key in getattr(layer, "grads", {})]
    if hasattr(obj, "params"):
        name = getattr(obj, "name", type(obj).__name__)
        return [(f"{name}/{key}", obj.params, key) for key in obj.grads]
    raise TypeError(
        "check_gradients needs a layer (with `params`/`grads`) or a model (with a "
        f"`layers` list). Received: {type(obj).__name__}")


def _grads_of(obj, params, key):
    if hasattr(obj, "layers"):
        for layer in obj.layers:
            if getattr(layer, "params", None) is params:
                return layer.grads[key]
    return obj.grads[key]


def _require_float64(name, array):
    if array.dtype != np.float64:
        raise TypeError(
            f"check_gradients needs float64 arrays, but {name} is {array.dtype}: in float32, "
            "central differences are only accurate to ~1e-3. Build the layer or model inside "
            "`with nnlab.config.floatx_scope('float64'):` and pass x.astype('float64').")


def _compare(name, analytic, numeric, rtol, atol):
    analytic = np.asarray(analytic, dtype=np.float64)
    if analytic.shape != numeric.shape:
        raise AssertionError(
            f"Gradient of {name} has the wrong shape: backward gave {analytic.shape}, "
            f"expected {numeric.shape}.")
    diff = np.abs(analytic - numeric)
    excess = diff - (atol + rtol * np.abs(numeric))
    if np.any(excess > 0) or not np.all(np.isfinite(analytic)):
        idx = np.unravel_index(np.argmax(np.where(np.isfinite(excess), excess, np.inf)),
                               numeric.shape)
        raise AssertionError(
            f"Gradient of {name} is wrong at index {tuple(int(i) for i in idx)}: "
            f"received {float(analytic[idx]):.10g} (backward), expected {float(numeric[idx]):.10g} "
            f"(central differences); rtol={rtol}, atol={atol}.")
    denominator = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / denominator) if denominator > 0 else 0.0


def check_gradients(obj, x, rtol=1e-5, atol=1e-7, seed=0, eps=1e-6, training=False):
    """Check `obj.backward` against central differences, for the input and every parameter
    that has a gradient (the trainable ones).

    With a fixed random G (same shape as the output), L = Σ forward(x) ⊙ G, so
    dL/d(output) = G. `backward(G)` must return dL/dx and store dL/dθ in `grads`.

    Args:
        obj: a Layer, or a model with `forward(x, training=False)`, `backward(grad)` and
            a `layers` list. An unbuilt layer is built by calling it on `x`.
        x: a float64 input batch.
        rtol, atol: an entry passes when |analytic - numeric| <= atol + rtol |numeric|.
            Default to 1e-5 and 1e-7.
        seed: seed of the generator that draws G. Defaults to 0.
        eps: the central-difference step. Defaults to 1e-6.
        training: the mode of every forward pass (True for BatchNormalization's batch
            statistics; the layer must then be deterministic). Defaults to False.

    Returns:
        dict name -> relative error ||analytic - numeric|| / (||analytic|| + ||numeric||),
        with names "input" and "<layer name>/<parameter>" (e.g. "dense_1/kernel").

    Raises:
        AssertionError naming the gradient and the index that differ, received vs expected.

    Example:
        >>> with nnlab.config.floatx_scope("float64"):
        ...     layer = nnlab.layers.Dense(3, activation="tanh")
        ...     errors = check_gradients(layer, np.random.default_rng(0).normal(size=(4, 5)))
    """
    x = np.array(x, dtype=np.asarray(x).dtype, copy=True)
    _require_float64("the input x", x)
    if not getattr(obj, "built", True) and callable(obj):
        obj(x)
    named = _named_parameters(obj)
    for name, params, key in named:
        _require_float64(f"parameter {name}", params[key])

    y = np.asarray(obj.forward(x, training=training))
    G = np.random.default_rng(seed).standard_normal(y.shape)
    dx = obj.backward(G.copy())
    analytic = {name: np.array(_grads_of(obj, params, key), dtype=np.float64)
                for name, params, key in named}

    def loss():
        return np.sum(np.asarray(obj.forward(x, training=training)) * G)

    errors = {}
    if dx is not None:
        errors["input"] = _compare("input", dx, numerical_gradient(loss, x, eps), rtol, atol)
    for name, params, key in named:
        numeric = numerical_gradient(loss, params[key], eps)
        errors[name] = _compare(name, analytic[name], numeric, rtol, atol)
    return errors
