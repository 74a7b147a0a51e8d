"""Feedback for lessons/11_convolution.ipynb: convolution forward (loops, im2col) and backward.

Layouts as in Keras: x (N, H, W, C_in), kernel (kh, kw, C_in, C_out), bias (C_out,),
output (N, oh, ow, C_out). The small expected values are worked out by hand below; the
larger ones come from `_reference`, a plain loop over windows written here for the checks
(it never calls nnlab.layers).
"""
import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_conv2d_forward_loops", "check_conv2d_im2col", "check_conv_gradient_check",
           "check_conv2d_backward"]

# A 3x4 single-channel image and an asymmetric 2x2 kernel, by hand:
#   S(0,0) = 1*1 + 2*2 + 0*3 + 1*4 = 9     S(0,1) = 2*1 + 0*2 + 1*3 + 3*4 = 17
#   S(0,2) = 0*1 + 1*2 + 3*3 + 1*4 = 15    S(1,0) = 0*1 + 1*2 + 2*3 + 0*4 = 8
#   S(1,1) = 1*1 + 3*2 + 0*3 + 1*4 = 11    S(1,2) = 3*1 + 1*2 + 1*3 + 0*4 = 8
_X = np.array([[1.0, 2.0, 0.0, 1.0],
               [0.0, 1.0, 3.0, 1.0],
               [2.0, 0.0, 1.0, 0.0]]).reshape(1, 3, 4, 1)
_K = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(2, 2, 1, 1)
_S = np.array([[9.0, 17.0, 15.0], [8.0, 11.0, 8.0]])


def _reference(x, kernel, bias, strides, pads=((0, 0), (0, 0))):
    """Cross-correlation by a loop over output positions (the checks' own reference)."""
    x = np.pad(np.asarray(x, dtype=float), ((0, 0),) + tuple(pads) + ((0, 0),))
    kh, kw, _, c_out = kernel.shape
    sh, sw = strides
    oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    z = np.zeros((x.shape[0], oh, ow, c_out))
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            z[:, i, j, :] = np.tensordot(window, kernel, axes=3) + bias
    return z


def _call_on_copies(name, fn, *args):
    """Call fn on copies of the array arguments (so the checks' own arrays stay intact) and fail
    with a clear sentence when fn changed one of them."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    out = _call(fn, *copies)
    for a, c in zip(args, copies):
        if isinstance(a, np.ndarray) and not (c.shape == a.shape and np.array_equal(c, a)):
            raise CheckFailed(f"{name} changed one of its input arrays (shape {a.shape}); compute the "
                              "result in a new array and leave x, kernel, bias and dz as they were.")
    return out


def _same(n, k, s):
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _diagnose_forward(name, got, x, kernel, bias, strides, pads=((0, 0), (0, 0))):
    """Name the usual mistake when `got` equals a known wrong answer."""
    got = np.asarray(got, dtype=float)
    wrong = {
        "the kernel is flipped (that is the mathematical convolution; Conv2D, like the "
        "lesson's formula S(i,j) = sum I(i+m, j+n) K(m,n), does not flip it)":
            _reference(x, kernel[::-1, ::-1], bias, strides, pads),
        "the kernel's first two axes are swapped: kernel[m, l] multiplies pixel "
        "(i*sh + m, j*sw + l), m along the rows":
            _reference(x, kernel.transpose(1, 0, 2, 3), bias, strides, pads)
            if kernel.shape[0] == kernel.shape[1] else None,
        "the bias is missing (add bias[f] once to every output of filter f)":
            _reference(x, kernel, 0 * bias, strides, pads),
        "the strides look swapped: strides = (sh, sw), sh between rows, sw between columns":
            _reference(x, kernel, bias, strides[::-1], pads),
    }
    for what, value in wrong.items():
        if value is not None and value.shape == got.shape and np.allclose(got, value) \
                and not np.allclose(value, _reference(x, kernel, bias, strides, pads)):
            raise CheckFailed(f"{name}: {what}.")


def _check_forward_cases(name, fn, with_padding):
    def call(*args):
        out = _call_on_copies(name, fn, *args)
        return out[0] if with_padding and isinstance(out, (tuple, list)) else out

    extra = ("valid",) if with_padding else ()
    bias0 = np.zeros(1)
    got = call(_X, _K, bias0, (1, 1), *extra)
    expect_shape(f"{name} of a 3x4 image with a 2x2 kernel, stride 1 (output (3-2+1) x (4-2+1))",
                 got, (1, 2, 3, 1))
    _diagnose_forward(name, got, _X, _K, bias0, (1, 1))
    expect_close(f"{name}: image [[1,2,0,1],[0,1,3,1],[2,0,1,0]], kernel [[1,2],[3,4]]",
                 np.asarray(got)[0, :, :, 0], _S)
    got = call(_X, _K, np.array([0.5]), (1, 1), *extra)
    _diagnose_forward(name, got, _X, _K, np.array([0.5]), (1, 1))
    expect_close(f"{name} with bias 0.5 (added once per output)", np.asarray(got)[0, :, :, 0], _S + 0.5)
    got = call(_X, _K, bias0, (1, 2), *extra)
    expect_shape(f"{name} with strides (1, 2) (output 2 x (floor((4-2)/2)+1))", got, (1, 2, 2, 1))
    expect_close(f"{name} with strides (1, 2): every other column", np.asarray(got)[0, :, :, 0],
                 [[9.0, 15.0], [8.0, 8.0]])
    got = call(_X, _K, bias0, (2, 1), *extra)
    expect_shape(f"{name} with strides (2, 1) (output (floor((3-2)/2)+1) x 3)", got, (1, 1, 3, 1))
    expect_close(f"{name} with strides (2, 1): every other row", np.asarray(got)[0, :, :, 0],
                 [[9.0, 17.0, 15.0]])
    # several images, channels and filters
    rng = np.random.default_rng(11)
    for shape, kshape, strides in [((2, 5, 6, 2), (3, 2, 2, 3), (1, 1)),
                                   ((3, 7, 6, 3), (3, 3, 3, 2), (2, 3))]:
        x = rng.normal(size=shape)
        kernel = rng.normal(size=kshape)
        bias = rng.normal(size=kshape[-1])
        expected = _reference(x, kernel, bias, strides)
        got = call(x, kernel, bias, strides, *extra)
        expect_shape(f"{name} for x of shape {shape}, kernel {kshape}, strides {strides}",
                     got, expected.shape)
        _diagnose_forward(name, got, x, kernel, bias, strides)
        expect_close(f"{name} for x of shape {shape}, kernel {kshape}, strides {strides} "
                     "(each output sums over all input channels; one bias per filter)",
                     got, expected)


def check_conv2d_forward_loops(conv2d_forward_loops):
    """`conv2d_forward_loops(x, kernel, bias, strides)`: valid padding, Keras layouts."""
    _check_forward_cases("conv2d_forward_loops", conv2d_forward_loops, with_padding=False)
    passed("conv2d_forward_loops: windows, channels, filters, bias and strides all right")


def check_conv2d_im2col(conv2d_im2col):
    """`conv2d_im2col(x, kernel, bias, strides, padding)` -> (z, cols)."""
    out = _call_on_copies("conv2d_im2col", conv2d_im2col, _X, _K, np.zeros(1), (1, 1), "valid")
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise CheckFailed("conv2d_im2col should return two arrays (z, cols), "
                          f"got {type(out).__name__}.")
    _check_forward_cases("conv2d_im2col", conv2d_im2col, with_padding=True)
    # cols: one row per (n, i, j), one column per (m, l, c)
    z, cols = _call_on_copies("conv2d_im2col", conv2d_im2col, _X, _K, np.zeros(1), (1, 1), "valid")
    expect_shape("cols for a 3x4 image and a 2x2 kernel (one row per output position, "
                 "one column per kernel weight)", cols, (6, 4))
    expect_close("cols row 0 (the top-left window read row by row)", np.asarray(cols)[0],
                 [1.0, 2.0, 0.0, 1.0])
    expect_close("cols row 1 (the window one column to the right)", np.asarray(cols)[1],
                 [2.0, 0.0, 1.0, 3.0])
    rng = np.random.default_rng(12)
    x = rng.normal(size=(2, 4, 5, 3))
    kernel = rng.normal(size=(2, 3, 3, 2))
    z, cols = _call_on_copies("conv2d_im2col", conv2d_im2col, x, kernel, np.zeros(2), (2, 1), "valid")
    expect_shape("cols for x (2, 4, 5, 3), kernel (2, 3, 3, 2), strides (2, 1)", cols, (2 * 2 * 3, 18))
    expect_close("cols row 4 (rows ordered (n, i, j), so image 0, output (1, 1): "
                 "x[0, 2:4, 1:4, :].ravel(), columns ordered (m, l, c) like kernel.reshape(-1, C_out))",
                 np.asarray(cols)[4], x[0, 2:4, 1:4, :].ravel())
    # 'same' padding
    for n, k, s in [(5, 3, 1), (5, 3, 2), (6, 3, 2), (4, 2, 1)]:
        x = rng.normal(size=(1, n, n, 1))
        kernel = rng.normal(size=(k, k, 1, 1))
        pads = (_same(n, k, s), _same(n, k, s))
        expected = _reference(x, kernel, np.zeros(1), (s, s), pads)
        z, _ = _call_on_copies("conv2d_im2col", conv2d_im2col, x, kernel, np.zeros(1), (s, s), "same")
        expect_shape(f"conv2d_im2col with padding='same', a {n}x{n} image, a {k}x{k} kernel, "
                     f"stride {s} (output ceil({n}/{s}))", z, expected.shape)
        if pads[0][0] != pads[0][1]:
            flipped = _reference(x, kernel, np.zeros(1), (s, s), (pads[0][::-1], pads[1][::-1]))
            if np.allclose(np.asarray(z, dtype=float), flipped):
                raise CheckFailed(
                    f"conv2d_im2col with padding='same' ({n}x{n}, kernel {k}, stride {s}): the "
                    f"total padding {sum(pads[0])} is odd; Keras puts the extra row at the "
                    "bottom and the extra column at the right, not at the top/left.")
        expect_close(f"conv2d_im2col with padding='same', {n}x{n} image, {k}x{k} kernel, "
                     f"stride {s} (padding {pads[0]} rows, {pads[1]} columns)", z, expected)
    x = rng.normal(size=(1, 5, 7, 1))
    kernel = rng.normal(size=(3, 2, 1, 1))
    pads = (_same(5, 3, 1), _same(7, 2, 3))
    expected = _reference(x, kernel, np.zeros(1), (1, 3), pads)
    z, _ = _call_on_copies("conv2d_im2col", conv2d_im2col, x, kernel, np.zeros(1), (1, 3), "same")
    expect_shape("conv2d_im2col with padding='same', a 5x7 image, a 3x2 kernel, strides (1, 3) "
                 "(output ceil(5/1) x ceil(7/3): rows use sh and H, columns sw and W)", z, expected.shape)
    expect_close(f"conv2d_im2col with padding='same', a 5x7 image, a 3x2 kernel, strides (1, 3) "
                 f"(padding {pads[0]} rows, {pads[1]} columns)", z, expected)
    passed("conv2d_im2col: im2col matrix, matrix product, strides and 'same' padding all right")


def check_conv_gradient_check(gradient_check):
    """`gradient_check(forward, x, kernel, bias, dz, eps)`: central differences of sum(dz * forward)."""
    x = np.array([[[[1.0], [-2.0]], [[0.5], [3.0]]]])          # (1, 2, 2, 1)
    kernel = np.array([[[[2.0]]]])                              # (1, 1, 1, 1)
    bias = np.array([0.25])
    dz = np.array([[[[1.0], [2.0]], [[-1.0], [0.5]]]])
    forward = lambda x, kernel, bias: kernel[0, 0, 0, 0] * x ** 3 + bias
    saved = [x.copy(), kernel.copy(), bias.copy()]
    got = _call(gradient_check, forward, x, kernel, bias, dz, 1e-6)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed("gradient_check should return three arrays (dkernel, dbias, dx), "
                          f"got {type(got).__name__}.")
    for array, old, what in zip((x, kernel, bias), saved, ("x", "kernel", "bias")):
        if not np.array_equal(array, old):
            raise CheckFailed(f"after gradient_check, {what} was changed: put every entry back "
                              "after perturbing it.")
    dkernel, dbias, dx = got
    # L = sum(dz * (k x^3 + b)): dL/dk = sum(dz x^3), dL/db = sum(dz), dL/dx = 3 k x^2 dz
    expect_shape("dkernel (the kernel's shape)", dkernel, (1, 1, 1, 1))
    expect_shape("dbias (the bias' shape)", dbias, (1,))
    expect_shape("dx (x's shape)", dx, (1, 2, 2, 1))
    one_sided = 3 * 2.0 * (x ** 2 + x * 1e-6) * dz             # (L(x + eps) - L(x)) / eps, to O(eps^2)
    if np.allclose(np.asarray(dx, dtype=float), one_sided, rtol=0, atol=1e-7) and \
            not np.allclose(np.asarray(dx, dtype=float), 6 * x ** 2 * dz, rtol=0, atol=1e-7):
        raise CheckFailed("gradient_check looks like a one-sided difference (L(a + eps) - L(a)) / eps; "
                          "use the central difference (L(a + eps) - L(a - eps)) / (2 eps).")
    expect_close("dkernel for forward = k x^3 + b (= sum(dz x^3) = 1 - 16 - 0.125 + 13.5)", dkernel,
                 [[[[-1.625]]]], rtol=1e-7)
    expect_close("dbias for forward = k x^3 + b (= sum(dz) = 2.5)", dbias, [2.5], rtol=1e-7)
    expect_close("dx for forward = k x^3 + b (= 3 k x^2 dz)", dx, 6 * x ** 2 * dz, rtol=1e-7, atol=1e-9)
    passed("gradient_check: central differences for kernel, bias and x, arrays restored")


def _reference_backward(x, kernel, dz, strides):
    kh, kw = kernel.shape[:2]
    sh, sw = strides
    dkernel, dx = np.zeros(kernel.shape), np.zeros(x.shape)
    for i in range(dz.shape[1]):
        for j in range(dz.shape[2]):
            window = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            dkernel += np.tensordot(window, dz[:, i, j, :], axes=(0, 0))
            dx[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :] += np.tensordot(dz[:, i, j, :], kernel,
                                                                               axes=(1, 3))
    return dkernel, dz.sum(axis=(0, 1, 2)), dx


def _own_gradient_check_works(gradient_check):
    try:
        x = np.array([[[[1.0], [-2.0]]]])
        kernel, bias, dz = np.array([[[[2.0]]]]), np.array([0.25]), np.array([[[[1.0], [2.0]]]])
        got = gradient_check(lambda x, k, b: k[0, 0, 0, 0] * x ** 3 + b, x, kernel, bias, dz, 1e-6)
        dk, db, dx = (np.asarray(g, dtype=float) for g in got)
        return (np.allclose(dk, -15.0, rtol=1e-6) and np.allclose(db, 3.0, rtol=1e-6)
                and np.allclose(dx.ravel(), [6.0, 48.0], rtol=1e-6))
    except Exception:                                        # noqa: BLE001 - any failure: not usable
        return False


def check_conv2d_backward(conv2d_backward, gradient_check=None, forward=None):
    """`conv2d_backward(x, kernel, dz, strides)` -> (dkernel, dbias, dx), valid padding.

    With `gradient_check` and `forward` given (and the gradient check correct), first compares
    the backward pass with the student's own central differences.
    """
    rng = np.random.default_rng(13)
    if gradient_check is not None and forward is not None:
        if _own_gradient_check_works(gradient_check):
            x = rng.normal(size=(2, 5, 4, 2))
            kernel = rng.normal(size=(3, 2, 2, 3))
            bias = rng.normal(size=3)
            dz = rng.normal(size=(2, 2, 3, 3))
            fwd = lambda x, kernel, bias: forward(x, kernel, bias, (2, 1))
            numeric = _call(gradient_check, fwd, x, kernel, bias, dz, 1e-6)
            got = _call_on_copies("conv2d_backward", conv2d_backward, x, kernel, dz, (2, 1))
            if not isinstance(got, (tuple, list)) or len(got) != 3:
                raise CheckFailed("conv2d_backward should return three arrays (dkernel, dbias, dx), "
                                  f"got {type(got).__name__}.")
            for what, g, n in zip(("dkernel", "dbias", "dx"), got, numeric):
                expect_close(f"{what} from conv2d_backward, compared with your gradient_check's "
                             "central differences (x (2, 5, 4, 2), kernel (3, 2, 2, 3), strides (2, 1)),",
                             g, n, rtol=1e-5, atol=1e-6)
            print("your conv2d_backward agrees with your gradient_check")
        else:
            print("(your gradient_check is not right yet, see the exercise before; "
                  "checking with the checks' own values instead)")
    # by hand: the 3x4 image, kernel [[1,2],[3,4]], dz = 1 at every one of the 2x3 outputs
    dz = np.ones((1, 2, 3, 1))
    got = _call_on_copies("conv2d_backward", conv2d_backward, _X, _K, dz, (1, 1))
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed("conv2d_backward should return three arrays (dkernel, dbias, dx), "
                          f"got {type(got).__name__}.")
    dkernel, dbias, dx = got
    expect_shape("dkernel (the kernel's shape (kh, kw, C_in, C_out))", dkernel, (2, 2, 1, 1))
    expect_shape("dbias (one number per filter)", dbias, (1,))
    expect_shape("dx (x's shape)", dx, (1, 3, 4, 1))
    # dkernel[m, l] = sum of the 2x3 block of x starting at (m, l)
    expect_close("dkernel with dz = 1 everywhere (dkernel[m, l] = sum of x[m:m+2, l:l+3])",
                 np.asarray(dkernel)[:, :, 0, 0], [[7.0, 8.0], [7.0, 6.0]])
    expect_close("dbias with dz = 1 at 6 outputs", dbias, [6.0])
    # dx: each pixel collects K[m, l] from every window that reads it
    by_hand = np.array([[1.0, 3.0, 3.0, 2.0], [4.0, 10.0, 10.0, 6.0], [3.0, 7.0, 7.0, 4.0]])
    if np.allclose(np.asarray(dx, dtype=float)[0, :, :, 0],
                   [[1.0, 1.0, 1.0, 2.0], [1.0, 1.0, 1.0, 2.0], [3.0, 3.0, 3.0, 4.0]]):
        raise CheckFailed("dx with dz = 1 everywhere: each pixel holds only the last window's "
                          "contribution. Windows overlap: add (+=) delta * kernel onto each window.")
    expect_close("dx with dz = 1 everywhere (overlapping windows add up)", np.asarray(dx)[0, :, :, 0], by_hand)
    for shape, kshape, strides in [((2, 5, 6, 2), (3, 2, 2, 3), (1, 1)),
                                   ((3, 7, 6, 3), (3, 3, 3, 2), (2, 3)),
                                   ((1, 6, 5, 2), (3, 2, 2, 2), (2, 2))]:   # last row/column: no window
        x = rng.normal(size=shape)
        kernel = rng.normal(size=kshape)
        oh, ow = (shape[1] - kshape[0]) // strides[0] + 1, (shape[2] - kshape[1]) // strides[1] + 1
        dz = rng.normal(size=(shape[0], oh, ow, kshape[-1]))
        expected = _reference_backward(x, kernel, dz, strides)
        got = _call_on_copies("conv2d_backward", conv2d_backward, x, kernel, dz, strides)
        for what, g, e in zip(("dkernel", "dbias", "dx"), got, expected):
            expect_close(f"{what} for x {shape}, kernel {kshape}, strides {strides}"
                         + (" (dx has x's shape; pixels no window reads get 0)" if what == "dx" else ""), g, e)
    passed("conv2d_backward: dkernel, dbias and dx right, with channels, batches and strides")
