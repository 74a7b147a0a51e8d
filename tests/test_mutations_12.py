"""Mutation test of solutions/12_pooling.ipynb: plausible wrong answers must fail the tests."""
from tests._mutation import mutation_tests

MAX_FORWARD = "y[:, i, j, :] = x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :].max(axis=(1, 2))"
MAX_BACKWARD = ("dx[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :] += "
                "(mask * grad[:, i, j, None, :]).reshape(n, ph, pw, c)")
AVG_BACKWARD = "dx[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :] += share[:, i, j, None, None, :]"

CALLS_NNLAB_MAX_FORWARD = """def max_pool_forward(x, pool_size, strides):
    return nnlab.layers.MaxPooling2D(pool_size, strides=strides)(np.asarray(x, dtype=float))
"""
CALLS_NNLAB_MAX_BACKWARD = """def max_pool_backward(x, grad, pool_size, strides):
    layer = nnlab.layers.MaxPooling2D(pool_size, strides=strides)
    layer.forward(np.asarray(x, dtype=float))
    return layer.backward(np.asarray(grad, dtype=float))
"""
CALLS_NNLAB_AVG = """def avg_pool_forward(x, pool_size, strides):
    return nnlab.layers.AveragePooling2D(pool_size, strides=strides)(np.asarray(x, dtype=float))


def avg_pool_backward(grad, input_shape, pool_size, strides):
    layer = nnlab.layers.AveragePooling2D(pool_size, strides=strides)
    layer.forward(np.zeros(input_shape))
    return layer.backward(np.asarray(grad, dtype=float))
"""

CALLS_NNLAB_GLOBAL = """def global_max_pool(x):
    return nnlab.layers.GlobalMaxPooling2D()(np.asarray(x, dtype=float))


def global_max_pool_backward(x, grad):
    layer = nnlab.layers.GlobalMaxPooling2D()
    layer.forward(np.asarray(x, dtype=float))
    return layer.backward(np.asarray(grad, dtype=float))
"""

MUTANTS = {
    "max_pool_forward": {
        "stride assumed equal to the pool size": (
            "oh, ow = (h - ph) // sh + 1", "sh, sw = ph, pw\n    oh, ow = (h - ph) // sh + 1"),
        "output size H // stride (partial windows at the border)": (
            "oh, ow = (h - ph) // sh + 1, (w - pw) // sw + 1", "oh, ow = h // sh, w // sw"),
        "output size rounded up": (
            "oh, ow = (h - ph) // sh + 1, (w - pw) // sw + 1",
            "oh, ow = -(-(h - ph) // sh) + 1, -(-(w - pw) // sw) + 1"),
        "maximum over the channels too (wrong axis)": (
            ".max(axis=(1, 2))", ".max(axis=(1, 2, 3))[:, None]"),
        "pool height and width swapped": (
            MAX_FORWARD, MAX_FORWARD.replace("i * sh + ph, j * sw:j * sw + pw", "i * sh + pw, j * sw:j * sw + ph")),
        "mean instead of max": (".max(axis=(1, 2))", ".mean(axis=(1, 2))"),
        "calls nnlab.layers.MaxPooling2D instead of NumPy code": CALLS_NNLAB_MAX_FORWARD,
        "float32 output": ("y = np.empty((n, oh, ow, c))", "y = np.empty((n, oh, ow, c), dtype=np.float32)"),
        "windows start at i * ph (the stride used only for the output size)": (
            MAX_FORWARD, MAX_FORWARD.replace("i * sh:i * sh + ph, j * sw:j * sw + pw", "i * ph:i * ph + ph, j * pw:j * pw + pw")),
    },
    "max_pool_backward": {
        "gradient to every tied maximum": (
            "mask = cells == k[:, None, :]", "mask = window == window.max(axis=1, keepdims=True)"),
        "gradient split equally between tied maxima": (
            "mask = cells == k[:, None, :]",
            "mask = window == window.max(axis=1, keepdims=True)\n"
            "            mask = mask / mask.sum(axis=1, keepdims=True)"),
        "gradient to the last tied maximum": (
            "k = window.argmax(axis=1)", "k = ph * pw - 1 - window[:, ::-1].argmax(axis=1)"),
        "gradient to the first maximum in column-major order": (
            "k = window.argmax(axis=1)",
            "k = window.reshape(n, ph, pw, c).transpose(0, 2, 1, 3).reshape(n, ph * pw, c).argmax(axis=1)\n"
            "            k = (k % ph) * pw + k // ph"),
        "overlapping windows overwrite instead of accumulate": (MAX_BACKWARD, MAX_BACKWARD.replace("+=", "=")),
        "stride assumed equal to the pool size": (
            "    dx = np.zeros_like(x)\n    cells", "    dx = np.zeros_like(x)\n    sh, sw = ph, pw\n    cells"),
        "gradient 1 instead of grad": ("(mask * grad[:, i, j, None, :])", "(mask * 1.0)"),
        "reuses x's memory for dx (changes the input)": (
            "    dx = np.zeros_like(x)\n    cells", "    dx = x\n    dx[...] = 0.0\n    cells"),
        "calls nnlab.layers.MaxPooling2D instead of NumPy code": CALLS_NNLAB_MAX_BACKWARD,
        "float32 dx": ("dx = np.zeros_like(x)\n    cells", "dx = np.zeros_like(x, dtype=np.float32)\n    cells"),
        "row and column of the maximum from divmod by ph (wrong for non-square windows)": (
            "mask = cells == k[:, None, :]", "mask = cells == ((k // ph) * pw + k % ph)[:, None, :]"),
    },
    "gradient_check": {
        "one-sided difference": (
            "numeric[idx] = (L_plus - L_minus) / (2 * eps)",
            "numeric[idx] = (L_plus - np.sum(grad * forward(x))) / eps"),
        "divides by eps instead of 2 eps": ("(L_plus - L_minus) / (2 * eps)", "(L_plus - L_minus) / eps"),
        "ignores grad (L = sum(forward(x)))": (
            "L_plus = np.sum(grad * forward(x))", "L_plus = np.sum(forward(x))"),
        "does not restore x": ("        x[idx] = old\n", ""),
        "maximum absolute difference instead of the relative error": (
            "return float(np.linalg.norm(analytic - numeric) / denominator)",
            "return float(np.max(np.abs(analytic - numeric)))"),
        "relative error divided by the numeric norm only, squared norms": (
            "return float(np.linalg.norm(analytic - numeric) / denominator)",
            "return float(np.sum((analytic - numeric) ** 2) / np.sum(numeric ** 2))"),
        "no 0.0 when both gradients are zero (0 / 0 = nan)": ("    if denominator == 0:\n        return 0.0\n", ""),
        "second perturbation from x + eps (L(x) instead of L(x - eps))": ("x[idx] = old - eps", "x[idx] = x[idx] - eps"),
        "maximum norms instead of Euclidean norms": (
            "return float(np.linalg.norm(analytic - numeric) / denominator)",
            "return float(np.max(np.abs(analytic - numeric)) / (np.max(np.abs(analytic)) + np.max(np.abs(numeric))))"),
    },
    "avg_pool": {
        "forward sums instead of averaging": (".mean(axis=(1, 2))", ".sum(axis=(1, 2))"),
        "backward does not divide by the window size": ("share = grad / (ph * pw)", "share = grad"),
        "backward divides by the number of outputs": ("share = grad / (ph * pw)", "share = grad / (oh * ow)"),
        "backward overwrites overlapping windows": (AVG_BACKWARD, AVG_BACKWARD.replace("+=", "=")),
        "stride assumed equal to the pool size (forward)": (
            "oh, ow = (h - ph) // sh + 1", "sh, sw = ph, pw\n    oh, ow = (h - ph) // sh + 1"),
        "stride assumed equal to the pool size (backward)": (
            "    dx = np.zeros(input_shape)\n    share", "    dx = np.zeros(input_shape)\n    sh, sw = ph, pw\n    share"),
        "average over the channels too (wrong axis)": (
            ".mean(axis=(1, 2))", ".mean(axis=(1, 2, 3))[:, None]"),
        "backward divides grad in place": (
            "share = grad / (ph * pw)", "grad /= ph * pw\n    share = grad"),
        "calls nnlab.layers.AveragePooling2D instead of NumPy code": CALLS_NNLAB_AVG,
        "forward float32": ("y = np.empty((n, oh, ow, c))", "y = np.empty((n, oh, ow, c), dtype=np.float32)"),
        "backward float32": ("dx = np.zeros(input_shape)\n    share", "dx = np.zeros(input_shape, dtype=np.float32)\n    share"),
        "backward shape from the windows instead of input_shape": (
            "dx = np.zeros(input_shape)\n    share", "dx = np.zeros((n, (oh - 1) * sh + ph, (ow - 1) * sw + pw, c))\n    share"),
    },
    "global_max_pool": {
        "maximum over the channels too (wrong axis)": (
            "return x.max(axis=(1, 2))", "return x.max(axis=(1, 2, 3))[:, None] + 0 * x[:, 0, 0, :]"),
        "maximum over the batch too": (
            "return x.max(axis=(1, 2))", "return x.max(axis=(0, 1, 2))[None] + 0 * x[:, 0, 0, :]"),
        "keeps the spatial axes, shape (N, 1, 1, C)": (
            "return x.max(axis=(1, 2))", "return x.max(axis=(1, 2), keepdims=True)"),
        "gradient to every tied maximum": (
            "mask = np.arange(h * w)[None, :, None] == k[:, None, :]",
            "mask = x.reshape(n, h * w, c) == x.reshape(n, h * w, c).max(axis=1, keepdims=True)"),
        "gradient to the last tied maximum": (
            "k = x.reshape(n, h * w, c).argmax(axis=1)",
            "k = h * w - 1 - x.reshape(n, h * w, c)[:, ::-1].argmax(axis=1)"),
        "gradient divided by H * W (global average's rule)": (
            "return (mask * grad[:, None, :]).reshape(n, h, w, c)",
            "return (mask * grad[:, None, :] / (h * w)).reshape(n, h, w, c)"),
        "gradient to every position (average's routing without the division)": (
            "return (mask * grad[:, None, :]).reshape(n, h, w, c)",
            "return np.broadcast_to(grad[:, None, None, :], x.shape).copy()"),
        "backward writes into x": (
            "return (mask * grad[:, None, :]).reshape(n, h, w, c)",
            "x[...] = (mask * grad[:, None, :]).reshape(n, h, w, c)\n    return x"),
        "calls nnlab.layers.GlobalMaxPooling2D instead of NumPy code": CALLS_NNLAB_GLOBAL,
        "forward float32": ("return x.max(axis=(1, 2))", "return x.max(axis=(1, 2)).astype(np.float32)"),
        "backward float32": (
            "return (mask * grad[:, None, :]).reshape(n, h, w, c)",
            "return (mask * grad[:, None, :]).reshape(n, h, w, c).astype(np.float32)"),
        "gradient to the first maximum in column-major order": (
            "k = x.reshape(n, h * w, c).argmax(axis=1)\n    mask = np.arange(h * w)[None, :, None] == k[:, None, :]\n"
            "    return (mask * grad[:, None, :]).reshape(n, h, w, c)",
            "k = x.transpose(0, 2, 1, 3).reshape(n, h * w, c).argmax(axis=1)\n"
            "    mask = np.arange(h * w)[None, :, None] == k[:, None, :]\n"
            "    return (mask * grad[:, None, :]).reshape(n, w, h, c).transpose(0, 2, 1, 3)"),
    },
}

test_solution_passes, test_mutant_is_rejected = mutation_tests("12_pooling", MUTANTS)
