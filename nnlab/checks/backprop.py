"""Feedback for lessons/06_backprop.ipynb: the output error and one Dense layer's backward step.

The expected values are worked out by hand here (not by calling nnlab.layers).
"""
import math
import warnings

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_output_delta", "check_dense_backward", "check_numerical_gradient"]


def check_output_delta(output_delta):
    """`output_delta(z, y)` = dl/dz for softmax + categorical cross-entropy = softmax(z) - y."""
    got = _call(output_delta, np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]))
    expect_shape("output_delta(z of shape (1, 2), y of shape (1, 2))", got, (1, 2))
    if np.allclose(np.asarray(got, dtype=float), [[0.5, -0.5]]):
        raise CheckFailed("output_delta(z=[[0, 0]], y=[[1, 0]]) should be [[-0.5, 0.5]] (p - y), "
                          "got [[0.5, -0.5]]: the sign is reversed, it is p - y, not y - p.")
    if np.allclose(np.asarray(got, dtype=float), [[-1.0, 0.0]]):
        raise CheckFailed("output_delta(z=[[0, 0]], y=[[1, 0]]) should be [[-0.5, 0.5]], got [[-1, 0]]: "
                          "that looks like dl/dp = -y/p. The lesson's delta is dl/dz = p - y, with p = softmax(z).")
    expect_close("output_delta(z=[[0, 0]], y=[[1, 0]])", got, [[-0.5, 0.5]])
    e = math.e
    s = 1 + e + e * e
    got = _call(output_delta, np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]]),
                np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))
    expect_close("output_delta for z = [[0, 1, 2], [0, 0, 0]], y = [[0, 0, 1], [0, 1, 0]] "
                 "(each row is its own sample: softmax along the last axis)",
                 got, [[1 / s, e / s, e * e / s - 1], [1 / 3, 1 / 3 - 1, 1 / 3]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = _call(output_delta, np.array([[1000.0, 0.0]]), np.array([[0.0, 1.0]]))
    if [w for w in caught if issubclass(w.category, RuntimeWarning)] or \
            not np.all(np.isfinite(np.asarray(got, dtype=float))):
        raise CheckFailed("output_delta(z=[[1000, 0]], y=[[0, 1]]) overflowed (np.exp(1000) = inf): "
                          "subtract each row's maximum from z before np.exp.")
    expect_close("output_delta(z=[[1000, 0]], y=[[0, 1]])", got, [[1.0, -1.0]], atol=1e-12)
    # rows of very different scale: only each row's own maximum keeps the second row finite
    # row 2: softmax([-1000, -1001]) = [1, e^-1] / (1 + e^-1) = [q, 1 - q], minus y = [0, 1]: [q, -q]
    q = 1.0 / (1.0 + math.exp(-1.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = _call(output_delta, np.array([[1000.0, 0.0], [-1000.0, -1001.0]]),
                    np.array([[1.0, 0.0], [0.0, 1.0]]))
    if not np.all(np.isfinite(np.asarray(got, dtype=float))):
        raise CheckFailed("output_delta(z=[[1000, 0], [-1000, -1001]], y=[[1, 0], [0, 1]]) gave "
                          f"{np.asarray(got, dtype=float).tolist()}: subtracting one maximum for the whole "
                          "batch (1000) sends every exponent of the second row to exp(-2000) = 0, and 0/0 "
                          "= nan. Subtract each row's own maximum: z.max(axis=-1, keepdims=True).")
    expect_close("output_delta(z=[[1000, 0], [-1000, -1001]], y=[[1, 0], [0, 1]]) (rows of very "
                 "different scale)", got, [[0.0, 0.0], [q, -q]], atol=1e-12)
    passed("output_delta: softmax(z) - y, row by row, stable for large z")


def check_dense_backward(dense_backward):
    """`dense_backward(x, kernel, z, grad_a, f_prime)` -> (dkernel, dbias, dx), rows = samples."""
    x = np.array([[1.0, 2.0], [0.0, -1.0]])                    # 2 samples, 2 inputs
    kernel = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])     # (in=2, out=3)
    z = np.array([[0.5, -1.0, 2.0], [1.0, 3.0, -2.0]])
    grad_a = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 1.0]])
    identity = lambda t: np.ones_like(t)
    got = _call(dense_backward, x, kernel, z, grad_a, identity)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed("dense_backward should return three arrays (dkernel, dbias, dx), "
                          f"got {type(got).__name__}.")
    dkernel, dbias, dx = got
    # linear activation: delta = grad_a
    expect_shape("dkernel (same shape as kernel, (in, out))", dkernel, (2, 3))
    expect_close("dkernel with a linear activation (x.T @ delta, delta = grad_a)", dkernel,
                 [[1.0, 2.0, -1.0], [1.5, 4.0, -3.0]])
    expect_shape("dbias (one value per unit)", dbias, (3,))
    expect_close("dbias with a linear activation (delta summed over the batch)", dbias, [1.5, 2.0, 0.0])
    expect_shape("dx (same shape as x)", dx, (2, 2))
    expect_close("dx with a linear activation (delta @ kernel.T)", dx, [[2.0, 4.0], [-0.5, 1.0]])
    relu_prime = lambda t: (t > 0).astype(float)
    dkernel, dbias, dx = _call(dense_backward, x, kernel, z, grad_a, relu_prime)
    # delta = grad_a * [[1, 0, 1], [1, 1, 0]] = [[1, 0, -1], [0.5, 0, 0]]
    if np.allclose(np.asarray(dkernel, dtype=float), [[1.0, 2.0, -1.0], [1.5, 4.0, -3.0]]):
        raise CheckFailed("with a relu activation dkernel did not change: multiply grad_a by "
                          "f_prime(z) first (delta = grad_a * f_prime(z)).")
    expect_close("dkernel with relu (delta = grad_a * f_prime(z))", dkernel, [[1.0, 0.0, -1.0], [1.5, 0.0, -2.0]])
    expect_close("dbias with relu", dbias, [1.5, 0.0, -1.0])
    expect_close("dx with relu", dx, [[2.0, 2.0], [0.5, 1.0]])
    passed("dense_backward: dkernel = x.T @ delta, dbias = sum of delta, dx = delta @ kernel.T")


def check_numerical_gradient(numerical_gradient):
    """`numerical_gradient(f, x, eps)`: central differences, x perturbed in place and restored."""
    x = np.array([1.0, -2.0, 0.5])
    f = lambda: float(np.sum(x ** 3))                        # gradient 3 x^2
    got = _call(numerical_gradient, f, x, 1e-6)
    expect_shape("numerical_gradient of sum(x**3) for x of shape (3,)", got, (3,))
    if not np.array_equal(x, [1.0, -2.0, 0.5]):
        raise CheckFailed(f"after numerical_gradient, x should be back to [1, -2, 0.5], got {x.tolist()}: "
                          "restore each entry after perturbing it.")
    forward = np.array([3.0 + 3e-6, 12.0 - 6e-6, 0.75 + 1.5e-6])   # (f(x+eps) - f(x)) / eps ≈ 3x² + 3x eps
    if np.allclose(np.asarray(got, dtype=float), forward, rtol=0, atol=1e-9) and \
            not np.allclose(np.asarray(got, dtype=float), [3.0, 12.0, 0.75], rtol=0, atol=1e-9):
        raise CheckFailed("numerical_gradient looks like a one-sided difference (f(x + eps) - f(x)) / eps; "
                          "use the central difference (f(x + eps) - f(x - eps)) / (2 eps).")
    expect_close("numerical_gradient of sum(x**3) at x = [1, -2, 0.5] (= 3 x**2)", got, [3.0, 12.0, 0.75],
                 rtol=1e-7)
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    v = np.array([0.5, -1.0])
    got = _call(numerical_gradient, lambda: float(v @ W @ v), W, 1e-6)   # gradient v v^T
    expect_close("numerical_gradient of v @ W @ v with respect to a 2x2 matrix W (= outer(v, v))", got,
                 [[0.25, -0.5], [-0.5, 1.0]], rtol=1e-7, atol=1e-9)
    passed("numerical_gradient: central differences, every entry, x restored")
