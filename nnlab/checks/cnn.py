"""Feedback for lessons/13_cnn.ipynb: conv layer shapes, a 1-D convolution, a digit CNN.

The expected shapes, parameter counts and convolution values are worked out by hand
here (not by calling nnlab.layers). `check_digit_cnn` trains the student's model on
part of the *training* digits and validates it on the rest; the held-out test digits
are used only by the grader's hidden test.
"""
import contextlib

import numpy as np

from nnlab.checks._core import (CheckFailed, OwnCodeRequired, _call, expect_close, expect_shape,
                                own_code_only, passed)

__all__ = ["check_conv2d_output", "check_conv1d", "check_digit_cnn"]

# nnlab's convolution layers and helpers, and Keras' (refused only when Keras is imported;
# when it is not, importing it inside the block fails).
_CONVOLUTION = (
    *(f"nnlab.layers.conv.{cls}.{name}" for cls in ("Conv2D", "Conv1D")
      for name in ("__init__", "forward", "backward", "compute_output_shape")),
    "nnlab.layers.conv.im2col", "nnlab.layers.conv.pad_amounts",
    "keras.src.backend.nn.conv", "keras.src.ops.operation_utils.compute_conv_output_shape",
    *(f"keras.src.layers.convolutional.base_conv.BaseConv.{name}"
      for name in ("__init__", "call", "compute_output_shape")),
)


@contextlib.contextmanager
def _own_code_only(what):
    """While the student's function runs, refuse nnlab's and Keras' convolution layers and ops.

    Exercises 1 and 2 ask for the formulas, written by hand: a `conv2d_output` that builds
    a Conv2D layer and reads its shape, or a `conv1d` that calls nnlab's Conv1D/Conv2D or
    `keras.ops.conv`, would pass every value test without the student writing either.
    """
    try:
        with own_code_only(what, _CONVOLUTION, ("keras",)):
            yield
    except (OwnCodeRequired, ImportError) as error:
        if isinstance(error, ImportError) and (error.name or "").partition(".")[0] != "keras":
            raise
        raise CheckFailed(f"{what}: this exercise asks for your own code, from the formula; "
                          "the checks do not accept nnlab's or Keras' convolution layers or ops.") from None


def _as_result(got, what):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailed(f"{what} should return a pair (output_shape, n_params), "
                          f"got {got!r}.")
    shape, n_params = got
    try:
        values = tuple(shape)
        ints = tuple(int(v) for v in values)
        whole = all(float(v) == i for v, i in zip(values, ints))
    except (TypeError, ValueError):
        raise CheckFailed(f"{what}: the output shape should be a tuple of 3 integers "
                          f"(out_h, out_w, filters), got {shape!r}.") from None
    if not whole:
        raise CheckFailed(f"{what}: the output shape {values} is not made of whole numbers; "
                          "a size counts positions: floor with // ('valid'), or take the ceiling "
                          "('same').")
    return ints, n_params


def check_conv2d_output(conv2d_output):
    """`conv2d_output(input_shape, filters, kernel_size, strides=1, padding='valid')`
    -> ((out_h, out_w, filters), n_params)."""
    # (call, expected shape, expected params, what the case tests)
    cases = [
        (((28, 28, 1), 32, 3), (26, 26, 32), (3 * 3 * 1 + 1) * 32,
         "valid, stride 1: out = n - k + 1 = 28 - 3 + 1 = 26"),
        (((13, 13, 32), 64, (3, 3)), (11, 11, 64), (3 * 3 * 32 + 1) * 64,
         "valid, stride 1, 32 input channels (each filter has 3*3*32 weights + 1 bias)"),
        (((32, 32, 3), 16, 5, 2), (14, 14, 16), (5 * 5 * 3 + 1) * 16,
         "valid, stride 2: out = floor((32 - 5) / 2) + 1 = 14"),
        (((7, 7, 8), 4, 3, 2, "same"), (4, 4, 4), (3 * 3 * 8 + 1) * 4,
         "'same', stride 2: out = ceil(7 / 2) = 4"),
        (((1, 32, 1), 8, (1, 5)), (1, 28, 8), (1 * 5 * 1 + 1) * 8,
         "a (1, 5) kernel on a (1, 32, 1) input (a 1-D convolution)"),
        (((10, 9, 2), 3, (4, 2), (3, 1)), (3, 8, 3), (4 * 2 * 2 + 1) * 3,
         "kernel (4, 2), strides (3, 1): floor((10 - 4) / 3) + 1 = 3 rows, 9 - 2 + 1 = 8 columns"),
        (((8, 8, 1), 6, 3, 1, "same"), (8, 8, 6), (3 * 3 * 1 + 1) * 6,
         "'same', stride 1: the output keeps the input's 8 x 8"),
    ]
    for args, shape, n_params, why in cases:
        call = "conv2d_output(" + ", ".join(repr(a) for a in args) + ")"
        with _own_code_only("conv2d_output"):
            result = _call(conv2d_output, *args)
        got_shape, got_params = _as_result(result, call)
        if got_shape != shape:
            raise CheckFailed(f"{call} should give the output shape {shape}, got {got_shape} "
                              f"({why}).")
        if got_params != n_params:
            k = args[2] if isinstance(args[2], tuple) else (args[2], args[2])
            hint = ""
            if got_params == k[0] * k[1] * args[0][2] * args[1]:
                hint = " You forgot the bias: one per filter."
            elif got_params == (k[0] * k[1] + 1) * args[1]:
                hint = " Each filter has kh*kw weights *per input channel*."
            raise CheckFailed(f"{call} should have {n_params} parameters, got {got_params}."
                              + hint)
    passed("conv2d_output: output size floor((n - k) / s) + 1 ('valid') or ceil(n / s) "
           "('same'), parameters (kh*kw*C + 1)*filters")


def check_conv1d(conv1d):
    """`conv1d(x, kernel, bias, stride=1, padding='valid')`, x (N, L, C), kernel (k, C, F)."""
    x = np.array([[[1.0], [2.0], [4.0], [8.0]]])           # N=1, L=4, C=1
    kernel = np.array([[[1.0]], [[0.0]], [[-1.0]]])         # k=3, C=1, F=1
    with _own_code_only("conv1d"):
        got = _call(conv1d, x.copy(), kernel.copy(), np.array([0.0]))
    expect_shape("conv1d of x (1, 4, 1) with a kernel (3, 1, 1), 'valid'", got, (1, 2, 1))
    g = np.asarray(got, dtype=float).ravel()
    if np.allclose(g, [3.0, 6.0]):
        raise CheckFailed("conv1d(x=[1, 2, 4, 8], kernel=[1, 0, -1]) should be [-3, -6] "
                          "(out[i] = sum_m x[i + m] * kernel[m]), got [3, 6]: you flipped the "
                          "kernel. Keras' convolution is a cross-correlation.")
    expect_close("conv1d(x=[1, 2, 4, 8], kernel=[1, 0, -1], bias=0)", g, [-3.0, -6.0])

    # two channels, two filters, a bias: worked out by hand
    x = np.array([[[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]])   # (1, 3, 2)
    kernel = np.zeros((2, 2, 2))
    kernel[0, 0, 0], kernel[1, 1, 0] = 1.0, 0.5      # filter 0: x[i, ch0] + 0.5 x[i+1, ch1]
    kernel[0, 1, 1], kernel[1, 0, 1] = -1.0, 2.0     # filter 1: -x[i, ch1] + 2 x[i+1, ch0]
    bias = np.array([0.5, -1.0])
    x0, k0 = x.copy(), kernel.copy()
    with _own_code_only("conv1d"):
        got = _call(conv1d, x, kernel, bias)
    if not (np.array_equal(x, x0) and np.array_equal(kernel, k0)):
        raise CheckFailed("conv1d changed its input x or kernel in place; leave them as they are.")
    expected = [[[1 + 10 + 0.5, -10 + 4 - 1], [2 + 15 + 0.5, -20 + 6 - 1]]]
    expect_shape("conv1d of x (1, 3, 2) with a kernel (2, 2, 2)", got, (1, 2, 2))
    expect_close("conv1d with 2 channels and 2 filters (sum over the kernel offsets *and* the "
                 "input channels, then add bias[f])", got, expected)

    x = np.arange(1.0, 8.0).reshape(1, 7, 1)                  # 1..7
    kernel = np.array([[[1.0]], [[1.0]], [[1.0]]])
    with _own_code_only("conv1d"):
        got = _call(conv1d, x, kernel, np.array([0.0]), 2)
    expect_shape("conv1d of a length-7 signal, kernel 3, stride 2, 'valid' "
                 "(floor((7 - 3) / 2) + 1 = 3 outputs)", got, (1, 3, 1))
    expect_close("conv1d([1..7], kernel=[1, 1, 1], stride=2)", np.asarray(got).ravel(),
                 [1 + 2 + 3, 3 + 4 + 5, 5 + 6 + 7])

    # 'same', stride 1, k=3: one zero on each side
    with _own_code_only("conv1d"):
        got = _call(conv1d, x, kernel, np.array([0.0]), 1, "same")
    expect_shape("conv1d of a length-7 signal, kernel 3, 'same'", got, (1, 7, 1))
    expect_close("conv1d([1..7], kernel=[1, 1, 1], padding='same')", np.asarray(got).ravel(),
                 [0 + 1 + 2, 6, 9, 12, 15, 18, 6 + 7 + 0])
    # 'same', k=2 (even): TensorFlow's rule puts the one extra zero at the end
    kernel2 = np.array([[[1.0]], [[10.0]]])
    with _own_code_only("conv1d"):
        got = _call(conv1d, x[:, :4], kernel2, np.array([0.0]), 1, "same")
    expect_shape("conv1d of [1, 2, 3, 4], kernel 2, 'same'", got, (1, 4, 1))
    g = np.asarray(got, dtype=float).ravel()
    if np.allclose(g, [10.0, 21.0, 32.0, 43.0]):
        raise CheckFailed("conv1d([1, 2, 3, 4], kernel=[1, 10], padding='same') should be "
                          "[21, 32, 43, 4]: with an even kernel the extra zero goes at the "
                          "*end* (pad_left = total // 2, pad_right = the rest), got "
                          "[10, 21, 32, 43] (zero at the start).")
    expect_close("conv1d([1, 2, 3, 4], kernel=[1, 10], padding='same')", g,
                 [1 + 20, 2 + 30, 3 + 40, 4 + 0])
    passed("conv1d: a cross-correlation over offsets and channels, plus bias, with stride "
           "and 'same' padding")


def _activation_name(fn):
    if fn is None:
        return "linear"
    return getattr(fn, "__name__", str(fn))


def _from_logits(model):
    return bool(getattr(getattr(model, "loss", None), "from_logits", False))


MAX_PARAMS = 100_000
MAX_MULTIPLY_ADDS = 400_000


def check_digit_cnn(build_cnn, epochs, batch_size):
    """`build_cnn()` -> a compiled nnlab CNN for 8x8x1 digits and integer labels 0..9."""
    import nnlab
    from nnlab.layers import Activation, Conv2D, Dense

    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) \
            or not 1 <= epochs <= 20:
        raise CheckFailed(f"EPOCHS should be a whole number from 1 to 20, got {epochs!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or not 16 <= batch_size <= 256:
        raise CheckFailed(f"BATCH_SIZE should be a whole number from 16 to 256, got {batch_size!r}.")
    nnlab.utils.set_random_seed(0)
    model = _call(build_cnn)
    if not isinstance(model, nnlab.models.Model):
        raise CheckFailed(f"build_cnn() should return an nnlab model "
                          f"(nnlab.models.Sequential), got {type(model).__name__}.")
    if not getattr(model, "compiled", False) or model.loss is None:
        raise CheckFailed("build_cnn() should return a *compiled* model: call "
                          "model.compile(optimizer=..., loss=..., metrics=['accuracy']) before "
                          "returning it.")
    x = np.zeros((2, 8, 8, 1))
    try:
        probs = model.predict(x, verbose=0)
    except Exception as e:  # noqa: BLE001 - any failure is the student's to fix
        raise CheckFailed(f"the model cannot take a batch of 8x8x1 images (shape (2, 8, 8, 1)): "
                          f"{type(e).__name__}: {e}") from None
    expect_shape("the model's output for 2 images", probs, (2, 10))
    layers = list(model.layers)
    if not any(isinstance(layer, Conv2D) for layer in layers):
        raise CheckFailed("build_cnn() should build a *convolutional* network: it has no "
                          "Conv2D layer.")
    hidden = [_activation_name(getattr(layer, "activation", None)) for layer in layers[:-1]
              if isinstance(layer, (Conv2D, Dense, Activation))]
    if all(name == "linear" for name in hidden):
        raise CheckFailed("none of the hidden Conv2D/Dense layers has a non-linear activation "
                          "(e.g. activation='relu'): without one, convolutions and Dense "
                          "layers compose to a single linear map.")
    probs = model.predict(np.random.default_rng(0).random((4, 8, 8, 1)), verbose=0)
    are_probabilities = not np.any(probs < -1e-6) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    if not _from_logits(model) and not are_probabilities:
        raise CheckFailed("the model's outputs are not probabilities (each row should be "
                          ">= 0 and sum to 1), but its loss expects probabilities: end "
                          "with Dense(10, activation='softmax').")
    if _from_logits(model) and are_probabilities:
        raise CheckFailed("the loss is built with from_logits=True, so it applies softmax "
                          "itself, but the model already ends with a softmax: softmax twice. "
                          "Drop from_logits=True (or end with a linear Dense(10)).")
    n_params = model.count_params()
    if n_params > MAX_PARAMS:
        raise CheckFailed(f"the model has {n_params:,} parameters; keep it at most "
                          f"{MAX_PARAMS:,} so that it trains in seconds.")
    a, cost = np.zeros((1, 8, 8, 1)), 0
    for layer in layers:
        a = layer.forward(a)
        if isinstance(layer, Conv2D):
            cost += int(np.prod(a.shape[1:3])) * layer.params["kernel"].size
        elif isinstance(layer, Dense):
            cost += int(np.prod(a.shape[1:-1], dtype=int)) * layer.params["kernel"].size
    if cost > MAX_MULTIPLY_ADDS:
        raise CheckFailed(f"the model needs {cost:,} multiply-adds per image; keep it at most "
                          f"{MAX_MULTIPLY_ADDS:,} so that it trains in seconds.")

    (x_train, y_train), _ = nnlab.datasets.digits.load_data()
    x_train = x_train[..., None] / 16.0
    nnlab.utils.set_random_seed(0)
    model = build_cnn()
    try:
        model.fit(x_train[:1150], y_train[:1150], epochs=int(epochs),
                  batch_size=int(batch_size), verbose=0)
    except Exception as e:  # noqa: BLE001
        raise CheckFailed(f"model.fit(x_train, y_train) with integer labels 0..9 failed: "
                          f"{type(e).__name__}: {e}") from None
    predicted = np.argmax(model.predict(x_train[1150:], verbose=0), axis=1)
    accuracy = float(np.mean(predicted == y_train[1150:]))
    if accuracy < 0.90:
        raise CheckFailed(f"trained on 1,150 training digits for EPOCHS={epochs} epochs, the "
                          f"model classifies only {accuracy:.1%} of the other 288 correctly "
                          "(at least 90% expected): train longer, or change the learning rate "
                          "or the architecture.")
    passed(f"build_cnn: a compiled CNN with {n_params:,} parameters; trained on 1,150 training "
           f"digits it gets {accuracy:.1%} of the other 288 right")
