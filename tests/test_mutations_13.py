"""Mutation test of solutions/13_cnn.ipynb: plausible wrong answers must fail its tests."""
from _mutation import _cells, _meta, _source, mutation_tests

SLUG = "13_cnn"


def _edit(grade_id, *pairs):
    """The solution cell `grade_id` with every (old, new) pair substituted (each old must occur)."""
    source = next(_source(c) for c in _cells(SLUG) if _meta(c).get("grade_id") == grade_id)
    for old, new in pairs:
        assert old in source, f"{old!r} is not in cell {grade_id!r}"
        source = source.replace(old, new)
    return source


def _body(grade_id, body, preamble=""):
    """The solution cell `grade_id` with its answer replaced by `body` (which returns)."""
    source = next(_source(c) for c in _cells(SLUG) if _meta(c).get("grade_id") == grade_id)
    return preamble + source.split("    ### BEGIN SOLUTION")[0] + body


# Keras 3 imported before the function runs (skipped silently where Keras is not installed:
# then keras is None and the mutant fails for that reason alone).
_KERAS = """import os
os.environ.setdefault("KERAS_BACKEND", "jax")
try:
    import keras
except ImportError:
    keras = None
"""

MUTANTS = {
    "conv2d_output": {
        "off by one: n - k": ("(H - kh) // sh + 1, (W - kw) // sw + 1", "(H - kh) // sh, (W - kw) // sw"),
        "ceil instead of floor for 'valid'": ("(H - kh) // sh + 1, (W - kw) // sw + 1",
                                              "-(-(H - kh) // sh) + 1, -(-(W - kw) // sw) + 1"),
        "'same' ignores the stride": ("out_h, out_w = -(-H // sh), -(-W // sw)", "out_h, out_w = H, W"),
        "'same' floors n / s": ("out_h, out_w = -(-H // sh), -(-W // sw)", "out_h, out_w = H // sh, W // sw"),
        "'valid' ignores the stride": ("(H - kh) // sh + 1, (W - kw) // sw + 1", "H - kh + 1, W - kw + 1"),
        "true division: sizes are not whole numbers": ("(H - kh) // sh + 1, (W - kw) // sw + 1",
                                                      "(H - kh) / sh + 1, (W - kw) / sw + 1"),
        "no bias": ("(kh * kw * C + 1) * filters", "kh * kw * C * filters"),
        "ignores the input channels": ("(kh * kw * C + 1) * filters", "(kh * kw + 1) * filters"),
        "one bias per layer, not per filter": ("(kh * kw * C + 1) * filters", "kh * kw * C * filters + 1"),
        "rows and columns swapped": ("(H - kh) // sh + 1, (W - kw) // sw + 1", "(H - kw) // sw + 1, (W - kh) // sh + 1"),
        "padding tested as 'valid' only": ('if padding == "same":', 'if padding == "SAME":'),
        "builds nnlab's Conv2D and reads its shape": _body("conv2d_output", """    layer = nnlab.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding)
    out = layer(np.zeros((1,) + tuple(input_shape)))
    return tuple(out.shape[1:]), layer.count_params()
"""),
        "builds a Keras Conv2D (imported in the function)": _body("conv2d_output", """    import keras
    layer = keras.layers.Conv2D(filters, kernel_size, strides=strides, padding=padding)
    layer.build((None,) + tuple(input_shape))
    return tuple(layer.compute_output_shape((None,) + tuple(input_shape))[1:]), layer.count_params()
"""),
    },
    "conv1d": {
        "flipped kernel (true convolution)": ("@ kernel[m]", "@ kernel[k - 1 - m]"),
        "no bias": ("return z + bias", "return z"),
        "'valid' length L - k": ("out = (L - k) // stride + 1", "out = (L - k) // stride"),
        "stride ignored": (_edit("conv1d", ("x[:, m:m + stride * (out - 1) + 1:stride, :]", "x[:, m:m + out, :]"))),
        "'same' pads the extra zero at the start": ("(total // 2, total - total // 2)", "(total - total // 2, total // 2)"),
        "'same' keeps the input length whatever the stride": ("out = -(-L // stride)", "out = L"),
        "'same' pads k // 2 on both sides": (_edit("conv1d", ("(total // 2, total - total // 2)", "(k // 2, k // 2)"))),
        "only the first input channel": ("@ kernel[m]", "[..., :1] @ kernel[m][:1]"),
        "kernel's channel and filter axes swapped": ("@ kernel[m]", "@ kernel[m].T"),
        "'same' pads a negative amount when k < stride": ("total = max((out - 1) * stride + k - L, 0)",
                                                        "total = (out - 1) * stride + k - L"),
        "nnlab's Conv1D computes it": _body("conv1d", """    layer = nnlab.layers.Conv1D(kernel.shape[2], k, strides=stride, padding=padding, dtype="float64")
    layer(x)
    layer.set_weights([kernel, bias])
    return layer.forward(x)
"""),
        "nnlab's Conv2D with a (1, k) kernel computes it": _body("conv1d", """    layer = nnlab.layers.Conv2D(kernel.shape[2], (1, k), strides=(1, stride), padding=padding, dtype="float64")
    layer(x[:, None])
        layer.set_weights([kernel[None], bias])
    return layer.forward(x[:, None])[:, 0]
""".replace("        layer.set", "    layer.set")),
        "keras.ops.conv computes it": _body("conv1d", """    return np.asarray(keras.ops.conv(x, kernel, strides=stride, padding=padding), dtype=float) + bias
""", preamble=_KERAS),
    },
    "build_cnn": {
        "categorical_crossentropy with integer labels": ('loss="sparse_categorical_crossentropy"', 'loss="categorical_crossentropy"'),
        "no softmax on the output": ('Dense(10, activation="softmax")', "Dense(10)"),
        "too few epochs": ("EPOCHS = 10 ", "EPOCHS = 2 "),
        "no activation anywhere (linear layers)": (_edit("build_cnn", ('Conv2D(16, (3, 3), activation="relu")', "Conv2D(16, (3, 3))"),
                                                          ('Dense(64, activation="relu")', "Dense(64)"))),
        "an MLP, no convolution": (_edit("build_cnn", ('        Conv2D(16, (3, 3), activation="relu"),\n        MaxPooling2D((2, 2)),\n', ""))),
        "no channel axis in the input shape": ("Input(shape=(8, 8, 1))", "Input(shape=(8, 8))"),
        "learning rate far too small (plain SGD)": ("nnlab.optimizers.Adam(learning_rate=0.005)", "nnlab.optimizers.SGD(learning_rate=0.001)"),
        "9 output units": ('Dense(10, activation="softmax")', 'Dense(9, activation="softmax")'),
        "not compiled": (_edit("build_cnn", ("    model.compile(", "    (lambda **kw: None)("))),
        "sigmoid output with binary cross-entropy": (_edit("build_cnn", ('Dense(10, activation="softmax")', 'Dense(10, activation="sigmoid")'),
                                                            ('loss="sparse_categorical_crossentropy"', 'loss="binary_crossentropy"'))),
        "softmax output and a from_logits=True loss (softmax twice)": (
            'loss="sparse_categorical_crossentropy"',
            "loss=nnlab.losses.SparseCategoricalCrossentropy(from_logits=True)"),
        "far too big to train in seconds": ("Conv2D(16, (3, 3), activation=\"relu\"),\n        MaxPooling2D((2, 2)),",
                                            "Conv2D(256, (3, 3), activation=\"relu\", padding=\"same\"),\n        MaxPooling2D((2, 2)),"),
    },
}

test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
