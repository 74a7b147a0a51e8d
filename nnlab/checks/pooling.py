"""Feedback for lessons/12_pooling.ipynb: max and average pooling, forward and backward.

Shapes are Keras' (batch, height, width, channels); windows are 'valid' (they fit inside
the input), so the output has (H - ph) // sh + 1 rows. Max pooling's ties go to the first
maximum of the window in row-major order (top row first, then left to right), nnlab's rule.
The expected values are worked out by hand here (not by calling nnlab.layers).
"""
import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_max_pool_forward", "check_max_pool_backward", "check_gradient_check",
           "check_avg_pool", "check_global_max_pool"]

# document 000 §4.2's 4x4 feature map
_DOC = np.array([[1.0, 3.0, 2.0, 4.0],
                 [5.0, 6.0, 2.0, 3.0],
                 [1.0, 2.0, 3.0, 4.0],
                 [3.0, 2.0, 1.0, 3.0]])
_DOC.flags.writeable = False


def _image(a):
    """A 2-D map as a new batch of one image with one channel, (1, H, W, 1) (a copy, so that a
    function that writes into its input cannot change _DOC)."""
    return np.array(a, dtype=float)[None, :, :, None]


def _two_channels(a, b):
    return np.stack([np.asarray(a, dtype=float), np.asarray(b, dtype=float)], axis=-1)[None]


def _same(got, expected):
    got = np.asarray(got, dtype=float)
    return got.shape == np.shape(expected) and np.allclose(got, expected)


def _unchanged(what, arr, original):
    if not np.array_equal(arr, original):
        raise CheckFailed(f"{what} changed its input array: work on new arrays (np.zeros_like, "
                          "slicing into a result), never assign into the arrays you were given.")


def _float64(what, got):
    """Fail when `got` is a floating array narrower than float64 (float32 rounds x and grad)."""
    dtype = getattr(got, "dtype", None)
    if dtype is not None and np.issubdtype(dtype, np.floating) and dtype != np.float64:
        raise CheckFailed(f"{what} returned an array of {dtype}: keep NumPy's default float64 (the first lines "
                          f"of the function convert the inputs to it). {dtype} rounds the values to fewer digits.")


def check_max_pool_forward(max_pool_forward):
    """`max_pool_forward(x, pool_size, strides)` -> y, (N, oh, ow, C)."""
    x = _image(_DOC)
    x0 = x.copy()
    got = _call(max_pool_forward, x, (2, 2), (2, 2))
    _unchanged("max_pool_forward", x, x0)
    _float64("max_pool_forward", got)
    expect_shape("max_pool_forward(document's 4x4 map, pool_size=(2, 2), strides=(2, 2))", got, (1, 2, 2, 1))
    expect_close("max_pool_forward(document's 4x4 map, (2, 2), (2, 2))[0, :, :, 0]",
                 np.asarray(got, dtype=float)[0, :, :, 0], [[6, 4], [3, 4]])
    stride1 = [[6, 6, 4], [6, 6, 4], [3, 3, 4]]
    got = _call(max_pool_forward, x, (2, 2), (1, 1))
    if _same(got, [[[[6], [4]], [[3], [4]]]]):
        raise CheckFailed("max_pool_forward(x, pool_size=(2, 2), strides=(1, 1)) gave the stride-2 result: "
                          "the windows must move by `strides`, which need not equal pool_size.")
    if np.shape(got) == (1, 4, 4, 1):
        raise CheckFailed("max_pool_forward on a 4x4 map with pool_size=(2, 2), strides=(1, 1) should have "
                          "shape (1, 3, 3, 1), got (1, 4, 4, 1): a window must fit inside the input, "
                          "so there are (H - ph) // sh + 1 = 3 rows, not H // sh.")
    expect_shape("max_pool_forward(4x4 map, pool_size=(2, 2), strides=(1, 1)) (overlapping windows)",
                 got, (1, 3, 3, 1))
    expect_close("max_pool_forward(document's map, (2, 2), strides=(1, 1))[0, :, :, 0]",
                 np.asarray(got, dtype=float)[0, :, :, 0], stride1)
    got = _call(max_pool_forward, _two_channels(_DOC, -_DOC), (2, 2), (2, 2))
    expect_shape("max_pool_forward of a (1, 4, 4, 2) batch (2 channels), pool (2, 2), strides (2, 2)",
                 got, (1, 2, 2, 2))
    got = np.asarray(got, dtype=float)
    if np.allclose(got[..., 0], got[..., 1]):
        raise CheckFailed("max_pool_forward gave the same result for two different channels: pool each "
                          "channel separately, over height and width only (axes 1 and 2), never over channels.")
    expect_close("channel 1 (= minus the document's map) of max_pool_forward(x, (2, 2), (2, 2))",
                 got[0, :, :, 1], [[-1, -2], [-1, -1]])
    got = _call(max_pool_forward, np.arange(12.0).reshape(1, 3, 4, 1), (1, 2), (1, 2))
    expect_shape("max_pool_forward(x of shape (1, 3, 4, 1), pool_size=(1, 2), strides=(1, 2)) "
                 "(pool_size is (height, width))", got, (1, 3, 2, 1))
    expect_close("max_pool_forward(arange(12) as 3x4, pool_size=(1, 2), strides=(1, 2))[0, :, :, 0]",
                 np.asarray(got, dtype=float)[0, :, :, 0], [[1, 3], [5, 7], [9, 11]])
    got = _call(max_pool_forward, np.arange(25.0).reshape(1, 5, 5, 1), (2, 2), (2, 2))
    expect_shape("max_pool_forward on a 5x5 map with pool (2, 2), strides (2, 2) (the last row and column "
                 "are in no window)", got, (1, 2, 2, 1))
    expect_close("max_pool_forward(arange(25) as 5x5, (2, 2), (2, 2))[0, :, :, 0]",
                 np.asarray(got, dtype=float)[0, :, :, 0], [[6, 8], [16, 18]])
    passed("max_pool_forward: any pool size and stride, per channel, (H - ph) // sh + 1 rows")


def check_max_pool_backward(max_pool_backward):
    """`max_pool_backward(x, grad, pool_size, strides)` -> dL/dx, same shape as x."""
    x, g = _image(_DOC), _image([[1.0, 2.0], [3.0, 4.0]])
    x0, g0 = x.copy(), g.copy()
    got = _call(max_pool_backward, x, g, (2, 2), (2, 2))
    _unchanged("max_pool_backward", x, x0)
    _unchanged("max_pool_backward", g, g0)
    _float64("max_pool_backward", got)
    expect_shape("max_pool_backward(x of shape (1, 4, 4, 1), grad of shape (1, 2, 2, 1), (2, 2), (2, 2))",
                 got, (1, 4, 4, 1))
    expect_close("max_pool_backward on the document's map, grad [[1, 2], [3, 4]], each window's gradient "
                 "at its maximum", np.asarray(got, dtype=float)[0, :, :, 0],
                 [[0, 0, 0, 2], [0, 1, 0, 0], [0, 0, 0, 4], [3, 0, 0, 0]])
    tie = _image([[1.0, 5.0], [5.0, 2.0]])
    got = np.asarray(_call(max_pool_backward, tie, _image([[1.0]]), (2, 2), (2, 2)), dtype=float)
    expect_shape("max_pool_backward(x of shape (1, 2, 2, 1), grad of shape (1, 1, 1, 1), (2, 2), (2, 2))",
                 got, (1, 2, 2, 1))
    got = got[0, :, :, 0]
    rule = ("The rule here (nnlab's): the whole gradient goes to the *first* maximum in row-major order "
            "(top row first, then left to right), the cell np.argmax of the flattened window picks.")
    if np.allclose(got, [[0, 1], [1, 0]]):
        raise CheckFailed("window [[1, 5], [5, 2]] has its maximum twice, and max_pool_backward gave the "
                          "gradient 1 to both 5s, so 2 in total: a max has only one output to pass back. " + rule)
    if np.allclose(got, [[0, 0.5], [0.5, 0]]):
        raise CheckFailed("window [[1, 5], [5, 2]]: max_pool_backward split the gradient between the two 5s. "
                          "That is a valid subgradient, but not the rule of this exercise. " + rule)
    if np.allclose(got, [[0, 0], [1, 0]]):
        raise CheckFailed("window [[1, 5], [5, 2]]: max_pool_backward gave the gradient to the *last* 5 "
                          "(or went down the columns first). " + rule)
    expect_close("max_pool_backward for the tied window [[1, 5], [5, 2]], grad 1", got, [[0, 1], [0, 0]])
    got = _call(max_pool_backward, x, _image(np.ones((3, 3))), (2, 2), (1, 1))
    expect_shape("max_pool_backward(x (1, 4, 4, 1), grad (1, 3, 3, 1), (2, 2), strides=(1, 1))", got, (1, 4, 4, 1))
    got = np.asarray(got, dtype=float)[0, :, :, 0]
    if np.isclose(got[1, 1], 1.0) and np.isclose(got[2, 3], 1.0):
        raise CheckFailed("with strides=(1, 1) windows overlap: the 6 of the document's map is the maximum of "
                          "four windows and should receive 1 + 1 + 1 + 1 = 4, got 1. Add (+=) each window's "
                          "gradient to dx instead of assigning (=) it.")
    expect_close("max_pool_backward on the document's map, grad all ones, pool (2, 2), strides (1, 1) "
                 "(the number of windows whose maximum each cell is)", got,
                 [[0, 0, 0, 1], [0, 4, 0, 0], [0, 0, 1, 2], [1, 0, 0, 0]])
    got = _call(max_pool_backward, _two_channels(_DOC, -_DOC),
                _two_channels([[1.0, 2.0], [3.0, 4.0]], np.ones((2, 2))), (2, 2), (2, 2))
    expect_shape("max_pool_backward of a 2-channel batch (1, 4, 4, 2)", got, (1, 4, 4, 2))
    got = np.asarray(got, dtype=float)
    expect_close("channel 0 of max_pool_backward (2 channels)", got[0, :, :, 0],
                 [[0, 0, 0, 2], [0, 1, 0, 0], [0, 0, 0, 4], [3, 0, 0, 0]])
    expect_close("channel 1 (minus the document's map, grad all ones; its top right window [[-2, -4], "
                 "[-2, -3]] has a tie) of max_pool_backward", got[0, :, :, 1],
                 [[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]])
    passed("max_pool_backward: gradient to each window's first maximum, summed over overlapping windows")


def check_gradient_check(gradient_check):
    """`gradient_check(forward, backward, x, grad, eps)` -> relative error of backward vs central differences."""
    x = np.ones((2, 3))
    g = np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0]])
    cube = lambda t: t ** 3
    right = lambda t, gr: 3 * t ** 2 * gr
    x0, g0 = x.copy(), g.copy()
    got = _call(gradient_check, cube, right, x, g, 1e-3)
    if not np.array_equal(x, x0):
        raise CheckFailed(f"after gradient_check, x should be back to all ones, got {x.tolist()}: "
                          "restore each entry after perturbing it.")
    _unchanged("gradient_check", g, g0)
    expect_shape("gradient_check(...) (one number, the relative error)", got, ())
    # central difference of t**3 at t = 1 with eps: ((1+e)^3 - (1-e)^3) / 2e = 3 + e^2 (exactly);
    # analytic 3 g, numeric (3 + e^2) g: error e^2 / (3 + 3 + e^2).
    e2 = 1e-6
    one_sided = 3e-3 + e2        # (1+e)^3 - 1 over e = 3 + 3e + e^2
    if np.isclose(float(got), one_sided / (6 + one_sided), rtol=1e-3):
        raise CheckFailed("gradient_check looks like a one-sided difference (f(x + eps) - f(x)) / eps; use "
                          "the central difference (L(x + eps) - L(x - eps)) / (2 eps).")
    if np.isclose(float(got), (3 + 2 * e2) / (3 + 6 + 2 * e2), rtol=1e-3):
        raise CheckFailed("gradient_check's numerical gradient is twice too large: divide the difference "
                          "L(x + eps) - L(x - eps) by 2 eps, not by eps.")
    expect_close("gradient_check(x**3, its exact backward 3 x**2 * grad, x = ones((2, 3)), grad, eps=1e-3) "
                 "(the central difference is 3 + eps**2, so the error is eps**2 / (6 + eps**2))",
                 got, e2 / (6 + e2), rtol=1e-4, atol=0)
    half = lambda t, gr: 1.5 * t ** 2 * gr
    got = _call(gradient_check, cube, half, np.array([[0.5, -1.0], [2.0, 1.5]]),
                np.array([[1.0, 2.0], [-1.0, 0.5]]), 1e-6)
    expect_close("gradient_check of x**3 with a backward half too small (1.5 x**2 * grad): "
                 "||a - n|| / (||a|| + ||n||) with n = 2a", got, 1 / 3, rtol=1e-5, atol=0)
    got = _call(gradient_check, cube, right, np.array([2.0]), np.array([-3.0]), 1e-6)
    expect_close("gradient_check of x**3 with the right backward at x = [2], grad = [-3] (L = sum(grad * "
                 "forward(x)), so grad enters the numerical gradient too)", got, 0.0, rtol=0, atol=1e-8)
    with np.errstate(invalid="ignore", divide="ignore"):
        got = _call(gradient_check, lambda t: 0.0 * t, lambda t, gr: 0.0 * t, np.ones(3), np.ones(3), 1e-6)
    if not np.isfinite(float(np.asarray(got, dtype=float))):
        raise CheckFailed("gradient_check of a function whose gradient is 0 everywhere returned "
                          f"{float(np.asarray(got, dtype=float))}: ||a|| + ||n|| is 0 there, so 0 / 0; return 0.0 "
                          "when both gradients are zero.")
    expect_close("gradient_check when both gradients are zero (forward(x) = 0 * x, backward 0)", got, 0.0,
                 rtol=0, atol=0)
    passed("gradient_check: central differences of L = sum(grad * forward(x)), x restored, relative error")


def check_avg_pool(avg_pool_forward, avg_pool_backward):
    """`avg_pool_forward(x, pool_size, strides)` and `avg_pool_backward(grad, input_shape, pool_size, strides)`."""
    x = _image(_DOC)
    x0 = x.copy()
    got = _call(avg_pool_forward, x, (2, 2), (2, 2))
    _unchanged("avg_pool_forward", x, x0)
    _float64("avg_pool_forward", got)
    expect_shape("avg_pool_forward(document's 4x4 map, (2, 2), (2, 2))", got, (1, 2, 2, 1))
    got = np.asarray(got, dtype=float)[0, :, :, 0]
    if np.allclose(got, [[15, 11], [8, 11]]):
        raise CheckFailed("avg_pool_forward gave the window sums [[15, 11], [8, 11]]: divide by the "
                          "window size ph * pw = 4 to get the mean.")
    expect_close("avg_pool_forward(document's map, (2, 2), (2, 2))[0, :, :, 0]", got,
                 [[3.75, 2.75], [2.0, 2.75]])
    got = _call(avg_pool_forward, x, (2, 2), (1, 1))
    expect_shape("avg_pool_forward(4x4 map, (2, 2), strides=(1, 1))", got, (1, 3, 3, 1))
    expect_close("avg_pool_forward(document's map, (2, 2), strides=(1, 1))[0, :, :, 0]",
                 np.asarray(got, dtype=float)[0, :, :, 0],
                 np.array([[15, 13, 11], [14, 13, 12], [8, 8, 11]]) / 4)
    got = _call(avg_pool_forward, _two_channels(_DOC, 2 * _DOC), (2, 2), (2, 2))
    expect_shape("avg_pool_forward of a (1, 4, 4, 2) batch", got, (1, 2, 2, 2))
    expect_close("channel 1 (= twice the document's map) of avg_pool_forward (pool each channel "
                 "separately)", np.asarray(got, dtype=float)[0, :, :, 1], [[7.5, 5.5], [4.0, 5.5]])

    g = _image([[1.0, 2.0], [3.0, 4.0]])
    g0 = g.copy()
    got = _call(avg_pool_backward, g, (1, 4, 4, 1), (2, 2), (2, 2))
    _unchanged("avg_pool_backward", g, g0)
    _float64("avg_pool_backward", got)
    expect_shape("avg_pool_backward(grad (1, 2, 2, 1), input_shape=(1, 4, 4, 1), (2, 2), (2, 2))",
                 got, (1, 4, 4, 1))
    got = np.asarray(got, dtype=float)[0, :, :, 0]
    if np.allclose(got, [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]):
        raise CheckFailed("avg_pool_backward copied each window's gradient to all its cells: each cell "
                          "contributes 1/(ph * pw) of the mean, so it gets grad / (ph * pw).")
    expect_close("avg_pool_backward(grad [[1, 2], [3, 4]], (1, 4, 4, 1), (2, 2), (2, 2))[0, :, :, 0]", got,
                 [[0.25, 0.25, 0.5, 0.5], [0.25, 0.25, 0.5, 0.5], [0.75, 0.75, 1, 1], [0.75, 0.75, 1, 1]])
    got = _call(avg_pool_backward, _image(np.ones((3, 3))), (1, 4, 4, 1), (2, 2), (1, 1))
    expect_shape("avg_pool_backward(grad (1, 3, 3, 1), (1, 4, 4, 1), (2, 2), strides=(1, 1))", got, (1, 4, 4, 1))
    got = np.asarray(got, dtype=float)[0, :, :, 0]
    if np.allclose(got, 0.25):
        raise CheckFailed("avg_pool_backward(grad all ones, (1, 4, 4, 1), (2, 2), strides=(1, 1)) gave 0.25 "
                          "everywhere, but a middle cell is in 4 overlapping windows and should get 4 * 1/4 = 1: "
                          "move the windows by `strides` (not by pool_size), and add (+=) each window's share "
                          "instead of assigning (=) it.")
    expect_close("avg_pool_backward(grad all ones, (1, 4, 4, 1), (2, 2), strides=(1, 1)) (each cell: the "
                 "number of windows it is in, over 4)", got,
                 np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]) / 4)
    got = _call(avg_pool_backward, np.ones((1, 1, 2, 1)), (1, 1, 4, 1), (1, 3), (1, 1))
    expect_shape("avg_pool_backward(grad (1, 1, 2, 1), (1, 1, 4, 1), pool_size=(1, 3), strides=(1, 1))",
                 got, (1, 1, 4, 1))
    expect_close("avg_pool_backward with pool_size=(1, 3) (height 1, width 3), strides=(1, 1), grad all ones",
                 np.asarray(got, dtype=float)[0, 0, :, 0], [1 / 3, 2 / 3, 2 / 3, 1 / 3])
    got = _call(avg_pool_backward, np.ones((1, 2, 2, 1)), (1, 5, 5, 1), (2, 2), (2, 2))
    expect_shape("avg_pool_backward(grad (1, 2, 2, 1), input_shape=(1, 5, 5, 1), (2, 2), (2, 2))",
                 got, (1, 5, 5, 1))
    expected = np.full((5, 5), 0.25)
    expected[4, :] = expected[:, 4] = 0.0
    expect_close("avg_pool_backward on a 5x5 input (row 4 and column 4 are in no window: gradient 0)",
                 np.asarray(got, dtype=float)[0, :, :, 0], expected)
    passed("avg_pool_forward / avg_pool_backward: mean of each window, grad / (ph * pw) to each of its cells")


def check_global_max_pool(global_max_pool, global_max_pool_backward):
    """`global_max_pool(x)` -> (N, C) and `global_max_pool_backward(x, grad)` -> dL/dx, (N, H, W, C)."""
    x = _two_channels(_DOC, -_DOC)
    x0 = x.copy()
    got = _call(global_max_pool, x)
    _unchanged("global_max_pool", x, x0)
    _float64("global_max_pool", got)
    if np.shape(got) == (1, 1, 1, 2):
        raise CheckFailed("global_max_pool of a (1, 4, 4, 2) batch should have shape (1, 2), one number per "
                          "sample and channel, got (1, 1, 1, 2): drop the height and width axes.")
    expect_shape("global_max_pool of a (1, 4, 4, 2) batch (one number per sample and channel)", got, (1, 2))
    if np.allclose(np.asarray(got, dtype=float), [[6, 6]]):
        raise CheckFailed("global_max_pool gave 6 for both channels, but channel 1 (minus the document's map) has "
                          "maximum -1: take the maximum over height and width only, axes (1, 2).")
    expect_close("global_max_pool(document's map and minus it, as 2 channels)", got, [[6, -1]])
    batch = np.stack([_image(_DOC)[0], _image(_DOC + 10)[0]])            # (2, 4, 4, 1)
    got = _call(global_max_pool, batch)
    expect_shape("global_max_pool of a (2, 4, 4, 1) batch", got, (2, 1))
    expect_close("global_max_pool of two samples, the document's map and the map + 10 (each sample on its own)",
                 got, [[6], [16]])

    g = np.array([[2.0, 3.0]])
    g0 = g.copy()
    got = _call(global_max_pool_backward, x, g)
    _unchanged("global_max_pool_backward", x, x0)
    _unchanged("global_max_pool_backward", g, g0)
    _float64("global_max_pool_backward", got)
    expect_shape("global_max_pool_backward(x of shape (1, 4, 4, 2), grad of shape (1, 2))", got, (1, 4, 4, 2))
    got = np.asarray(got, dtype=float)
    expected0 = np.zeros((4, 4))
    expected0[1, 1] = 2.0
    if np.allclose(got[0, :, :, 0], expected0 / 16):
        raise CheckFailed("global_max_pool_backward divided the gradient by H * W = 16: that is global *average* "
                          "pooling's rule. The maximum takes the whole gradient.")
    expect_close("channel 0 of global_max_pool_backward (the document's map, grad 2: all of it to the 6)",
                 got[0, :, :, 0], expected0)
    ch1 = got[0, :, :, 1]
    rule = ("Ties go to the first maximum in row-major order (top row first, then left to right), as in "
            "exercise 2 and nnlab's GlobalMaxPooling2D.")
    if np.isclose(ch1.sum(), 9.0):
        raise CheckFailed("channel 1 (minus the document's map) has its maximum -1 three times, at (0, 0), (2, 0) and "
                          "(3, 2); global_max_pool_backward gave grad 3 to each of them, 9 in total. " + rule)
    expected1 = np.zeros((4, 4))
    expected1[0, 0] = 3.0
    expect_close("channel 1 of global_max_pool_backward (maximum -1 at (0, 0), (2, 0) and (3, 2), grad 3). " + rule,
                 ch1, expected1)
    got = _call(global_max_pool_backward, batch, np.array([[1.0], [-2.0]]))
    expect_shape("global_max_pool_backward(x of shape (2, 4, 4, 1), grad of shape (2, 1))", got, (2, 4, 4, 1))
    expected = np.zeros((2, 4, 4, 1))
    expected[0, 1, 1, 0], expected[1, 1, 1, 0] = 1.0, -2.0
    expect_close("global_max_pool_backward for two samples (each sample's gradient to its own maximum)", got, expected)
    passed("global_max_pool / global_max_pool_backward: max over height and width, gradient to the first maximum")
