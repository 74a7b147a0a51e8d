"""Feedback for lessons/04_logistic_regression.ipynb: binary cross-entropy, its gradient,
confusion counts, the decision boundary.

Every expected value below is worked out by hand (or with `math`, term by term) on tiny
inputs, not by calling nnlab, and every failure says in plain words what is wrong.
"""
import math

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_bce", "check_bce_gradient", "check_confusion_counts", "check_boundary_x2"]


def _number(name, got):
    try:
        return float(np.reshape(np.asarray(got, dtype=float), ()))
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should return one number, got {got!r}.") from None


def check_bce(bce):
    """`bce(y, p)` should be -(1/n) sum [y log p + (1-y) log(1-p)], p clipped to [1e-7, 1-1e-7]."""
    y, p = np.array([1.0, 0.0]), np.array([0.8, 0.4])
    expected = -(math.log(0.8) + math.log(0.6)) / 2
    got = _number("bce", _call(bce, y, p))
    if np.isclose(got, -expected):
        raise CheckFailed(f"bce(y=[1, 0], p=[0.8, 0.4]) should be {expected:.6f}, got {got:.6f}: "
                          "the minus sign in front is missing (a loss is >= 0).")
    if np.isclose(got, 2 * expected):
        raise CheckFailed(f"bce(y=[1, 0], p=[0.8, 0.4]) should be {expected:.6f}, got {got:.6f}: "
                          "take the mean over the samples, not the sum.")
    if np.isclose(got, -math.log(0.8) / 2) or np.isclose(got, -math.log(0.4) / 2 - math.log(0.8) / 2):
        raise CheckFailed(f"bce(y=[1, 0], p=[0.8, 0.4]) should be {expected:.6f}, got {got:.6f}: a negative "
                          "sample (y = 0) costs -log(1 - p), here -log(0.6).")
    expect_close("bce(y=[1, 0], p=[0.8, 0.4])", got, expected)
    expect_close("bce(y=[1], p=[0.5])", _number("bce", _call(bce, np.array([1.0]), np.array([0.5]))),
                 math.log(2))
    got = _number("bce", _call(bce, np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    if not np.isfinite(got):
        raise CheckFailed("bce(y=[1, 0], p=[0, 1]) should be about 16.118 (= -log 1e-7), got "
                          f"{got}: clip p into [1e-7, 1 - 1e-7] before taking the log.")
    expect_close("bce(y=[1, 0], p=[0, 1]) with clipping (-log 1e-7)", got, -math.log(1e-7), rtol=1e-6)
    passed("bce: mean binary cross-entropy, finite for p = 0 or 1")


def check_bce_gradient(bce_gradient):
    """`bce_gradient(X, y, w, b)` should return ((1/n) X^T (p - y), mean(p - y)), p = sigmoid(Xw + b)."""
    X = np.array([[1.0, 2.0], [-1.0, 0.0]])
    y = np.array([1.0, 0.0])
    try:
        dw, db = _call(bce_gradient, X, y, np.array([0.0, 0.0]), 0.0)
    except (TypeError, ValueError):
        raise CheckFailed("bce_gradient should return a pair (dw, db).") from None
    # p = [0.5, 0.5], p - y = [-0.5, 0.5]: dw = [(-0.5 - 0.5)/2, (-1 + 0)/2], db = 0
    expect_shape("dw for X of shape (2, 2)", dw, (2,))
    if np.allclose(np.asarray(dw, dtype=float), [0.5, 0.5]):
        raise CheckFailed("dw at w = 0 should be [-0.5, -0.5], got [0.5, 0.5]: the gradient is "
                          "(p - y) x, not (y - p) x.")
    if np.allclose(np.asarray(dw, dtype=float), [-1.0, -1.0]):
        raise CheckFailed("dw at w = 0 should be [-0.5, -0.5], got [-1, -1]: divide by n (the mean).")
    expect_close("dw for X=[[1,2],[-1,0]], y=[1,0], w=0, b=0", dw, [-0.5, -0.5])
    expect_close("db for X=[[1,2],[-1,0]], y=[1,0], w=0, b=0", np.reshape(db, ()), 0.0, atol=1e-12)
    w, b = np.array([1.0, -1.0]), 0.5
    p = [1 / (1 + math.exp(-(1 * 1 - 2 + 0.5))), 1 / (1 + math.exp(-(-1 + 0.5)))]
    r = [p[0] - 1, p[1] - 0]
    dw, db = _call(bce_gradient, X, y, w, b)
    expect_close("dw for w=[1,-1], b=0.5", dw, [(r[0] * 1 + r[1] * -1) / 2, (r[0] * 2 + r[1] * 0) / 2])
    expect_close("db for w=[1,-1], b=0.5", np.reshape(db, ()), (r[0] + r[1]) / 2)
    passed("bce_gradient: (1/n) X^T (p - y) and mean(p - y)")


def check_confusion_counts(confusion_counts):
    """`confusion_counts(y, p, threshold)` should return (TP, FP, FN, TN), predicting 1 when p >= threshold."""
    y = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    p = np.array([0.9, 0.6, 0.3, 0.7, 0.2, 0.5, 0.5, 0.1])
    got = _call(confusion_counts, y, p, 0.5)
    try:
        got = tuple(int(v) for v in got)
    except (TypeError, ValueError):
        raise CheckFailed(f"confusion_counts should return four integers (TP, FP, FN, TN), got {got!r}.") from None
    if len(got) != 4:
        raise CheckFailed(f"confusion_counts should return four numbers (TP, FP, FN, TN), got {len(got)}.")
    if got == (2, 1, 2, 3):
        raise CheckFailed("with threshold 0.5 a probability of exactly 0.5 counts as class 1 (p >= threshold); "
                          "you used p > threshold.")
    if sum(got) != 8:
        raise CheckFailed(f"the four counts should add up to the 8 samples, got {got} (sum {sum(got)}).")
    if got != (3, 2, 1, 2):
        raise CheckFailed(f"confusion_counts(y, p, 0.5) on the 8-sample example should be "
                          f"(TP, FP, FN, TN) = (3, 2, 1, 2), got {got}.")
    got = tuple(int(v) for v in _call(confusion_counts, y, p, 0.05))
    if got != (4, 4, 0, 0):
        raise CheckFailed(f"with threshold 0.05 every sample is predicted 1: expected (4, 4, 0, 0), got {got}.")
    passed("confusion_counts: (TP, FP, FN, TN) with p >= threshold -> class 1")


def check_boundary_x2(boundary_x2):
    """`boundary_x2(w, b, x1, threshold)` should return the x2 where w1 x1 + w2 x2 + b = log(t / (1 - t))."""
    w = np.array([1.0, 2.0])
    got = _call(boundary_x2, w, 0.0, np.array([0.0, 2.0]), 0.5)
    expect_shape("boundary_x2 for x1 = [0, 2]", got, (2,))
    expect_close("boundary_x2(w=[1, 2], b=0, x1=[0, 2], threshold=0.5) (z = 0 there)", got, [0.0, -1.0])
    got = _call(boundary_x2, w, 1.0, np.array([1.0]), 0.5)
    expect_close("boundary_x2(w=[1, 2], b=1, x1=[1], threshold=0.5)", got, [-1.0])
    t = 1 / (1 + math.exp(-2.0))               # log(t / (1 - t)) = 2
    got = _call(boundary_x2, w, 0.0, np.array([0.0]), t)
    if np.allclose(np.asarray(got, dtype=float), [(t - 0.0) / 2]):
        raise CheckFailed("the boundary p = t is where z = log(t / (1 - t)), not where z = t.")
    expect_close(f"boundary_x2(w=[1, 2], b=0, x1=[0], threshold={t:.4f}) (logit = 2)", got, [1.0])
    passed("boundary_x2: solves w1 x1 + w2 x2 + b = log(t / (1 - t)) for x2")
