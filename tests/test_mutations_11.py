"""Mutation tests for solutions/11_convolution.ipynb: plausible wrong answers must fail.

See tests/_mutation.py. Mutants that need several substitutions are built with `_edit`
from the solution cell's source.
"""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "11_convolution"
_edit = partial(edit, SLUG)


LOOPS_SUM = "np.sum(window * kernel[:, :, :, f])"
IM2COL_SAME_PAD = """        ph = max((oh - 1) * sh + kh - H, 0)
        pw = max((ow - 1) * sw + kw - W, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))"""
GC_STEP = """            a[idx] = old - eps
            L_minus = L()"""
DX_LINE = "dx[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :] += "
DX_TERM = 'np.einsum("mlcf,nf->nmlc", kernel, d)'

# Whole-cell mutants: the answer delegates to nnlab's own Conv2D (the hidden tests refuse it).
NNLAB_LOOPS = """def conv2d_forward_loops(x, kernel, bias, strides=(1, 1)):
    x = np.asarray(x, dtype=float)
    with nnlab.config.floatx_scope("float64"):
        layer = nnlab.layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=strides)
        layer.build(x.shape[1:])
    layer.set_weights([kernel, bias])
    return layer(x)
"""
NNLAB_IM2COL = """def conv2d_im2col(x, kernel, bias, strides=(1, 1), padding="valid"):
    x = np.asarray(x, dtype=float)
    N, H, W, C_in = x.shape
    kh, kw, _, C_out = kernel.shape
    sh, sw = strides
    with nnlab.config.floatx_scope("float64"):
        layer = nnlab.layers.Conv2D(C_out, (kh, kw), strides=strides, padding=padding)
        layer.build(x.shape[1:])
    layer.set_weights([kernel, bias])
    z = layer(x)
    if padding == "same":
        oh, ow = -(-H // sh), -(-W // sw)
        ph = max((oh - 1) * sh + kh - H, 0)
        pw = max((ow - 1) * sw + kw - W, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (H - kh) // sh + 1, (W - kw) // sw + 1
    cols = np.stack([x[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :].ravel()
                     for n in range(N) for i in range(oh) for j in range(ow)])
    return z, cols
"""
NNLAB_BACKWARD = """def conv2d_backward(x, kernel, dz, strides=(1, 1)):
    x = np.asarray(x, dtype=float)
    with nnlab.config.floatx_scope("float64"):
        layer = nnlab.layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=strides)
        layer.build(x.shape[1:])
    layer.set_weights([kernel, np.zeros(kernel.shape[-1])])
    layer.forward(x)
    dx = layer.backward(dz)
    return layer.grads["kernel"], layer.grads["bias"], dx
"""
# Perturbs a.ravel(): a view for C-contiguous arrays, a copy (that forward never sees) otherwise.
RAVEL_GRADIENT_CHECK = """def gradient_check(forward, x, kernel, bias, dz, eps=1e-6):
    def L():
        return np.sum(dz * forward(x, kernel, bias))
    grads = []
    for a in (kernel, bias, x):
        flat = a.ravel()
        g = np.zeros(a.size)
        for k in range(a.size):
            old = flat[k]
            flat[k] = old + eps
            L_plus = L()
            flat[k] = old - eps
            L_minus = L()
            flat[k] = old
            g[k] = (L_plus - L_minus) / (2 * eps)
        grads.append(g.reshape(a.shape))
    return tuple(grads)
"""

MUTANTS = {
    "conv2d_forward_loops": {
        "kernel flipped (true convolution)": (LOOPS_SUM, "np.sum(window * kernel[::-1, ::-1, :, f])"),
        "kernel's spatial axes transposed": (LOOPS_SUM, "np.sum(window * kernel[:, :, :, f].transpose(1, 0, 2))"),
        "output one row and column too small": _edit(
            "conv2d_forward_loops", ("oh = (H - kh) // sh + 1", "oh = (H - kh) // sh"),
            ("ow = (W - kw) // sw + 1", "ow = (W - kw) // sw")),
        "output size (n - k + 1) // s": _edit(
            "conv2d_forward_loops", ("oh = (H - kh) // sh + 1", "oh = (H - kh + 1) // sh"),
            ("ow = (W - kw) // sw + 1", "ow = (W - kw + 1) // sw")),
        "stride ignored in the window": ("x[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]",
                                         "x[n, i:i + kh, j:j + kw, :]"),
        "strides swapped": ("sh, sw = strides", "sw, sh = strides"),
        "only the first input channel": (LOOPS_SUM, "np.sum(window[:, :, :1] * kernel[:, :, :1, f])"),
        "summed over all filters too": (LOOPS_SUM, "np.sum(window[..., None] * kernel)"),
        "channels not summed (one per filter)": (LOOPS_SUM, "np.sum(window[:, :, f % C_in] * kernel[:, :, f % C_in, f])"),
        "bias missing": (" + bias[f]", ""),
        "bias added at every kernel pixel": (LOOPS_SUM + " + bias[f]",
                                             "np.sum(window * kernel[:, :, :, f] + bias[f])"),
        "nnlab's Conv2D instead of loops": NNLAB_LOOPS,
        "float32 output": ("z = np.zeros((N, oh, ow, C_out))", "z = np.zeros((N, oh, ow, C_out), dtype=np.float32)"),
        "changes x in place (scales it)": ("    return z\n", "    x /= np.abs(x).max()\n    return z\n"),
    },
    "conv2d_im2col": {
        "'same': extra padding at the top/left": ("(ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)",
                                                  "(ph - ph // 2, ph // 2), (pw - pw // 2, pw // 2)"),
        "'same': output size floor(n / s)": ("oh, ow = -(-H // sh), -(-W // sw)", "oh, ow = H // sh, W // sw"),
        "'same': symmetric padding k // 2": (IM2COL_SAME_PAD, """        x = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
        oh, ow = (H + 2 * (kh // 2) - kh) // sh + 1, (W + 2 * (kw // 2) - kw) // sw + 1"""),
        "'same' treated as 'valid'": ('if padding == "same":', 'if padding == "full":'),
        "cols columns ordered (c, m, l)": _edit(
            "conv2d_im2col",
            ("windows.reshape(N * oh * ow, kh * kw * C_in)",
             "windows.transpose(0, 1, 2, 5, 3, 4).reshape(N * oh * ow, kh * kw * C_in)"),
            ("kernel.reshape(kh * kw * C_in, C_out)", "kernel.transpose(2, 0, 1, 3).reshape(kh * kw * C_in, C_out)")),
        "cols rows ordered (i, j, n)": _edit(
            "conv2d_im2col",
            ("windows.reshape(N * oh * ow, kh * kw * C_in)",
             "windows.transpose(1, 2, 0, 3, 4, 5).reshape(N * oh * ow, kh * kw * C_in)"),
            ("z.reshape(N, oh, ow, C_out)", "z.reshape(oh, ow, N, C_out).transpose(2, 0, 1, 3)")),
        "kernel flipped": ("kernel.reshape(kh * kw * C_in, C_out)", "kernel[::-1, ::-1].reshape(kh * kw * C_in, C_out)"),
        "kernel's spatial axes transposed": ("kernel.reshape(kh * kw * C_in, C_out)",
                                             "kernel.transpose(1, 0, 2, 3).reshape(kh * kw * C_in, C_out)"),
        "stride ignored in the windows": _edit(
            "conv2d_im2col", ("np.arange(oh)[:, None, None, None] * sh", "np.arange(oh)[:, None, None, None]"),
            ("np.arange(ow)[None, :, None, None] * sw", "np.arange(ow)[None, :, None, None]")),
        "bias missing": (" + bias\n", "\n"),
        "nnlab's Conv2D for z": NNLAB_IM2COL,
        "'same': column count from sh": ("oh, ow = -(-H // sh), -(-W // sw)", "oh, ow = -(-H // sh), -(-W // sh)"),
        "'same': column padding from H": ("pw = max((ow - 1) * sw + kw - W, 0)", "pw = max((ow - 1) * sw + kw - H, 0)"),
    },
    "gradient_check": {
        "one-sided difference": _edit("gradient_check", (GC_STEP, "            L_minus = L_plus_0"),
                                      ("for idx in np.ndindex(a.shape):",
                                       "L_plus_0 = L()\n        for idx in np.ndindex(a.shape):"),
                                      ("(L_plus - L_minus) / (2 * eps)", "(L_plus - L_minus) / eps")),
        "entries not put back": ("            a[idx] = old\n", ""),
        "divided by eps instead of 2 eps": ("(L_plus - L_minus) / (2 * eps)", "(L_plus - L_minus) / eps"),
        "eps ignored (always 1e-6)": _edit("gradient_check", ("old + eps", "old + 1e-6"), ("old - eps", "old - 1e-6"),
                                           ("(2 * eps)", "(2 * 1e-6)")),
        "returned in the order (dx, dkernel, dbias)": ("for a in (kernel, bias, x):", "for a in (x, kernel, bias):"),
        "perturbs copies the forward never sees": ("for a in (kernel, bias, x):",
                                                   "for a in (kernel.copy(), bias.copy(), x.copy()):"),
        "perturbs a.ravel() (a copy for non-contiguous arrays)": RAVEL_GRADIENT_CHECK,
    },
    "conv2d_backward": {
        "dx: overlapping windows overwrite instead of adding": (DX_LINE, DX_LINE.replace("+= ", "= ")),
        "dx: kernel flipped": (DX_TERM, 'np.einsum("mlcf,nf->nmlc", kernel[::-1, ::-1], d)'),
        "dx: kernel's spatial axes transposed": (DX_TERM, 'np.einsum("mlcf,nf->nmlc", kernel.transpose(1, 0, 2, 3), d)'),
        "dx: only the first filter": (DX_TERM, 'np.einsum("mlc,n->nmlc", kernel[..., 0], d[:, 0])'),
        "dbias per image": ("dz.sum(axis=(0, 1, 2))", "dz.sum(axis=(1, 2))"),
        "dbias summed over filters too": ("dz.sum(axis=(0, 1, 2))", "dz.sum()"),
        "dkernel from the first image only": ('np.einsum("nmlc,nf->mlcf", window, d)',
                                              'np.einsum("mlc,f->mlcf", window[0], d[0])'),
        "gradients averaged over the batch": ("return dkernel, dbias, dx", "return dkernel / N, dbias / N, dx"),
        "stride ignored": _edit("conv2d_backward", ("i * sh", "i"), ("j * sw", "j")),
        "nnlab's Conv2D backward": NNLAB_BACKWARD,
        "dx sized from the output ((oh - 1) * sh + kh rows)": (
            "dx = np.zeros(x.shape)", "dx = np.zeros((N, (oh - 1) * sh + kh, (ow - 1) * sw + kw, C_in))"),
        "changes x in place": ("    return dkernel, dbias, dx", "    x *= 1.0001\n    return dkernel, dbias, dx"),
    },
}

test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
