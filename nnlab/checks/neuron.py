"""Feedback for lessons/01_neuron.ipynb: the weighted sum, the sigmoid, a neuron, a layer.

Every check calls the student's function on small inputs whose answers are worked out
here by hand (not by calling nnlab), and says in plain words what is wrong.
"""
import warnings

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_weighted_sum", "check_sigmoid", "check_neuron_forward", "check_layer_forward"]


def check_weighted_sum(weighted_sum):
    """`weighted_sum(x, w, b)` should return w1*x1 + ... + wn*xn + b for one sample."""
    x = np.array([2.0, -1.0, 0.5])
    w = np.array([0.4, 0.3, -0.6])
    got = _call(weighted_sum, x, w, 0.0)
    if np.size(got) != 1:
        raise CheckFailed(
            "weighted_sum should return one number (the sum of the products), got an array "
            f"of shape {np.shape(got)}: did you forget to add the products w_i*x_i together?")
    expect_close("weighted_sum(x=[2, -1, 0.5], w=[0.4, 0.3, -0.6], b=0)", np.reshape(got, ()), 0.2)
    got = _call(weighted_sum, x, w, 0.1)
    if np.isclose(np.reshape(np.asarray(got, dtype=float), -1)[0], 0.2):
        raise CheckFailed("weighted_sum ignores the bias: with b=0.1 the result should be 0.3, got 0.2.")
    expect_close("weighted_sum(x=[2, -1, 0.5], w=[0.4, 0.3, -0.6], b=0.1)", np.reshape(got, ()), 0.3)
    got = _call(weighted_sum, np.array([1.0, 2.0]), np.array([3.0, 4.0]), -1.0)
    expect_close("weighted_sum(x=[1, 2], w=[3, 4], b=-1)", np.reshape(got, ()), 10.0)
    passed("weighted_sum: w·x + b is right")


def check_sigmoid(sigmoid):
    """`sigmoid(z)` should be 1/(1+e^-z), elementwise, and stay finite for huge |z|."""
    expect_close("sigmoid(0)", _call(sigmoid, np.array(0.0)), 0.5)
    z = np.array([-2.0, 0.0, 2.0])
    got = _call(sigmoid, z)
    expect_shape("sigmoid([-2, 0, 2])", got, (3,))
    expect_close("sigmoid([-2, 0, 2])", got, [0.11920292202211755, 0.5, 0.8807970779778823])
    big = np.array([-1000.0, 1000.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = _call(sigmoid, big)
    if np.any(~np.isfinite(np.asarray(got, dtype=float))):
        raise CheckFailed(f"sigmoid([-1000, 1000]) should be [0, 1], got {np.asarray(got).tolist()}: "
                          "a nan or inf appeared.")
    expect_close("sigmoid([-1000, 1000])", got, [0.0, 1.0], atol=1e-12)
    overflow = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if overflow:
        raise CheckFailed(
            "sigmoid([-1000, 1000]) gives the right numbers but NumPy warned: "
            f"'{overflow[0].message}'. np.exp(1000) overflows; compute exp only of "
            "-|z| (a number <= 0) and pick the formula by the sign of z.")
    passed("sigmoid: right values, no overflow for |z| = 1000")


def check_neuron_forward(neuron_forward):
    """`neuron_forward(X, w, b, phi)` should return phi(X @ w + b), one value per row of X."""
    X = np.array([[1.0, 2.0], [0.0, 0.0], [-1.0, 3.0]])
    w = np.array([0.5, -1.0])
    got = _call(neuron_forward, X, w, 0.5, lambda z: z)
    expect_shape("neuron_forward(X of shape (3, 2), w of shape (2,), b, phi)", got, (3,))
    expect_close("neuron_forward with phi = identity (just z = X @ w + b)", got, [-1.0, 0.5, -3.0])
    got = _call(neuron_forward, X, w, 0.5, lambda z: np.maximum(z, 0.0))
    expect_close("neuron_forward with phi = relu", got, [0.0, 0.5, 0.0])
    got = _call(neuron_forward, X[:1], w, 0.0, np.tanh)
    expect_close("neuron_forward with phi = tanh on one row [1, 2]", got, [np.tanh(-1.5)])
    passed("neuron_forward: phi(X @ w + b) for a whole batch")


def check_layer_forward(layer_forward):
    """`layer_forward(X, kernel, bias, phi)` should return phi(X @ kernel + bias), shape (n, units)."""
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    kernel = np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 2.0]])   # (in=2, units=3), Keras order
    bias = np.array([0.0, -1.0, 0.5])
    got = _call(layer_forward, X, kernel, bias, lambda z: z)
    expect_shape("layer_forward(X of shape (2, 2), kernel of shape (2, 3), ...)", got, (2, 3))
    expect_close("layer_forward with phi = identity", got, [[1.0, 1.0, 3.5], [3.0, -2.0, -4.5]])
    got = _call(layer_forward, X, kernel, bias, lambda z: np.maximum(z, 0.0))
    expect_close("layer_forward with phi = relu", got, [[1.0, 1.0, 3.5], [3.0, 0.0, 0.0]])
    passed("layer_forward: phi(X @ kernel + bias), one column per neuron")
