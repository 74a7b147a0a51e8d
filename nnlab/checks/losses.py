"""Feedback for lessons/07_losses.ipynb: cross-entropies computed from logits, without overflow.

The expected values are worked out by hand here (not by calling nnlab.losses).
"""
import math
import warnings

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_bce_from_logits", "check_cce_from_logits"]


def _quiet(what, fn, *args):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = _call(fn, *args)
    bad = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if bad:
        raise CheckFailed(f"{what} made NumPy warn '{bad[0].message}': no np.exp or np.log may "
                          "see a huge argument (use -|z|, or subtract the maximum first).")
    arr = np.asarray(got, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise CheckFailed(f"{what} should be finite, got {arr.tolist()}: an inf or nan appeared.")
    return got


def check_bce_from_logits(bce_from_logits):
    """`bce_from_logits(y, z)` = -[y log σ(z) + (1-y) log(1-σ(z))], elementwise, for any z."""
    got = _call(bce_from_logits, np.array([1.0]), np.array([0.0]))
    expect_close("bce_from_logits(y=1, z=0) (= ln 2)", got, [math.log(2)])
    y = np.array([1.0, 0.0, 1.0, 0.0])
    z = np.array([2.0, 2.0, -3.0, -0.5])
    expected = [math.log1p(math.exp(-2)), 2 + math.log1p(math.exp(-2)),
                3 + math.log1p(math.exp(-3)), math.log1p(math.exp(-0.5))]
    got = _call(bce_from_logits, y, z)
    expect_shape("bce_from_logits(y, z) for 4 values (one loss per entry)", got, (4,))
    if np.allclose(np.asarray(got, dtype=float), [expected[1], expected[0], expected[3], expected[2]]):
        raise CheckFailed("bce_from_logits gives the loss of the other label: y = 1 should cost "
                          "log(1 + e^-z), small for large z. Check the sign of the z*y term.")
    expect_close("bce_from_logits(y=[1, 0, 1, 0], z=[2, 2, -3, -0.5])", got, expected)
    got = _quiet("bce_from_logits(y=[1, 0, 1, 0], z=[1000, 1000, -1000, -1000])", bce_from_logits,
                 y, np.array([1000.0, 1000.0, -1000.0, -1000.0]))
    expect_close("bce_from_logits(y=[1, 0, 1, 0], z=[1000, 1000, -1000, -1000])", got,
                 [0.0, 1000.0, 1000.0, 0.0], atol=1e-9)
    passed("bce_from_logits: right values, finite for |z| = 1000")


def check_cce_from_logits(cce_from_logits):
    """`cce_from_logits(y_onehot, z)` = -Σ_k y_k log softmax(z)_k, one value per row."""
    got = _call(cce_from_logits, np.array([[0.0, 1.0, 0.0, 0.0]]), np.zeros((1, 4)))
    expect_shape("cce_from_logits(y of shape (1, 4), z of shape (1, 4)) (one loss per sample)", got, (1,))
    expect_close("cce_from_logits with equal logits for 4 classes (= ln 4)", got, [math.log(4)])
    e = math.e
    y = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    z = np.array([[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])
    lse = math.log(1 + e + e * e)
    got = _call(cce_from_logits, y, z)
    expect_close("cce_from_logits(y=[[0, 0, 1], [1, 0, 0]], z=[[0, 1, 2], [0, 1, 2]])", got,
                 [lse - 2, lse])
    got = _quiet("cce_from_logits(y=[[0, 1, 0]], z=[[1000, 0, -1000]])", cce_from_logits,
                 np.array([[0.0, 1.0, 0.0]]), np.array([[1000.0, 0.0, -1000.0]]))
    expect_close("cce_from_logits(y=[[0, 1, 0]], z=[[1000, 0, -1000]]) (the true class is 1000 behind)",
                 got, [1000.0], rtol=1e-9)
    # rows of very different scale: each row needs its own maximum (one global maximum, 1000,
    # underflows every exponent of the second row to 0, and log 0 = -inf)
    got = _quiet("cce_from_logits(y=[[1, 0], [0, 1]], z=[[1000, 0], [-1000, -1001]]) (subtract each "
                 "row's own maximum, z.max(axis=-1, keepdims=True), not the batch's)", cce_from_logits,
                 np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1000.0, 0.0], [-1000.0, -1001.0]]))
    expect_close("cce_from_logits(y=[[1, 0], [0, 1]], z=[[1000, 0], [-1000, -1001]]) "
                 "(second row: 1 + ln(1 + e^-1))", got, [0.0, 1.0 + math.log1p(math.exp(-1.0))], atol=1e-12)
    passed("cce_from_logits: log-softmax per row, finite for huge logits")
