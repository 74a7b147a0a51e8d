"""Feedback for lessons/02_activations.ipynb: relu, elu and softmax written from scratch.

The expected values are worked out by hand here (not by calling nnlab.activations).
"""
import math
import warnings

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_relu", "check_elu", "check_softmax"]


def _quiet_call(what, hint, fn, *args):
    """Call fn; fail with a plain sentence (and `hint`) if NumPy warns (overflow, ...)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = _call(fn, *args)
    numpy_warnings = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if numpy_warnings:
        raise CheckFailed(
            f"{what} made NumPy warn '{numpy_warnings[0].message}': {hint}")
    return got


_ELU_HINT = ("np.where(z > 0, a, b) computes both a and b for every entry, so np.exp(z) is "
             "evaluated at z = 1000 too. Use np.exp(np.minimum(z, 0)): the same for z <= 0, "
             "and harmless where z > 0.")


def check_relu(relu, relu_derivative):
    """relu(z) = max(z, 0); relu_derivative(z) = 1 where z > 0, else 0 (also at z = 0)."""
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    got = _call(relu, z)
    expect_shape("relu([-2, -0.5, 0, 0.5, 3])", got, (5,))
    expect_close("relu([-2, -0.5, 0, 0.5, 3])", got, [0.0, 0.0, 0.0, 0.5, 3.0])
    got = _call(relu, np.array([[-1.0, 2.0], [4.0, -3.0]]))
    expect_close("relu on a 2-D array [[-1, 2], [4, -3]]", got, [[0.0, 2.0], [4.0, 0.0]])
    got = _call(relu_derivative, z)
    expect_shape("relu_derivative([-2, -0.5, 0, 0.5, 3])", got, (5,))
    got = np.asarray(got, dtype=float)
    if np.isclose(got[4], 3.0):
        raise CheckFailed("relu_derivative(3) should be 1, got 3: that is relu itself, "
                          "not its slope. For z > 0 the slope of z is 1.")
    if np.isclose(got[2], 1.0):
        raise CheckFailed("relu_derivative(0) should be 0, got 1: at the kink z = 0 this "
                          "course uses 0 (as TensorFlow and nnlab do), so test z > 0, not z >= 0.")
    expect_close("relu_derivative([-2, -0.5, 0, 0.5, 3])", got, [0.0, 0.0, 0.0, 1.0, 1.0])
    passed("relu and relu_derivative are right")


def check_elu(elu, elu_derivative):
    """elu(z) = z (z > 0), alpha (e^z - 1) (z <= 0); elu'(z) = 1 (z > 0), alpha e^z (z <= 0)."""
    z = np.array([-2.0, 0.0, 1.5])
    expected = [math.exp(-2.0) - 1.0, 0.0, 1.5]
    got = _call(elu, z)
    expect_shape("elu([-2, 0, 1.5])", got, (3,))
    expect_close("elu([-2, 0, 1.5])", got, expected)
    expect_close("elu([-2, 0, 1.5], alpha=0.5)", _call(elu, z, 0.5),
                 [0.5 * (math.exp(-2.0) - 1.0), 0.0, 1.5])
    got = _call(elu_derivative, z)
    expect_shape("elu_derivative([-2, 0, 1.5])", got, (3,))
    expect_close("elu_derivative([-2, 0, 1.5])", got, [math.exp(-2.0), 1.0, 1.0])
    expect_close("elu_derivative([-2, 0, 1.5], alpha=0.5)", _call(elu_derivative, z, 0.5),
                 [0.5 * math.exp(-2.0), 0.5, 1.0])
    big = np.array([-1000.0, 1000.0])
    expect_close("elu([-1000, 1000])", _quiet_call("elu([-1000, 1000])", _ELU_HINT, elu, big), [-1.0, 1000.0])
    expect_close("elu_derivative([-1000, 1000])",
                 _quiet_call("elu_derivative([-1000, 1000])", _ELU_HINT, elu_derivative, big), [0.0, 1.0])
    passed("elu and elu_derivative are right, with no overflow for |z| = 1000")


def check_softmax(softmax):
    """softmax(Z) over the last axis: rows of positive numbers summing to 1, no overflow."""
    got = _call(softmax, np.array([[0.0, 0.0]]))
    expect_shape("softmax([[0, 0]])", got, (1, 2))
    expect_close("softmax([[0, 0]])", got, [[0.5, 0.5]])
    e = [math.exp(-2.0), math.exp(-1.0), 1.0]
    row = [v / sum(e) for v in e]
    Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    got = np.asarray(_call(softmax, Z), dtype=float)
    expect_shape("softmax of a (2, 3) array", got, (2, 3))
    if np.allclose(got.sum(axis=0), 1.0) and not np.allclose(got.sum(axis=1), 1.0):
        raise CheckFailed("softmax of a (2, 3) array: your columns sum to 1, but each ROW "
                          "(one sample) should. Use axis=-1 with keepdims=True.")
    expect_close("softmax([[1, 2, 3], [0, 0, 0]])", got, [row, [1 / 3, 1 / 3, 1 / 3]])
    big = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
    got = _quiet_call(
        "softmax([[1000, 1001, 1002], ...])",
        "np.exp(1000) overflows. Subtract each row's maximum before np.exp "
        "(softmax does not change, and every exponent becomes <= 0).", softmax, big)
    if np.any(~np.isfinite(np.asarray(got, dtype=float))):
        raise CheckFailed("softmax([[1000, 1001, 1002]]) contains nan or inf: np.exp(1000) "
                          "overflows. Subtract each row's maximum before np.exp.")
    expect_close("softmax([[1000, 1001, 1002], [-1000, -1001, -1002]])", got,
                 [row, row[::-1]])
    passed("softmax: rows sum to 1, right values, no overflow for z = 1000")
