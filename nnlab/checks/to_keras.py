"""Feedback for lessons/18_to_keras.ipynb: porting an nnlab model to Keras 3, and porting the
documents' Keras 2 settings (input_dim / input_shape, lr=, .h5 file names) to Keras 3.

The expected values are worked out independently of nnlab: the forward pass of the model in
exercise 1 is written out in NumPy below, and the expected Keras 3 specs of exercise 2 are
written by hand. Real Keras 3 (the `[keras]` extra, JAX backend) is imported only inside
`check_build_keras_model`, so importing `nnlab.checks` stays fast and never picks a backend.
"""
import copy
import os

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, passed

__all__ = ["check_build_keras_model", "check_port_keras2"]


# ---- exercise 1: Input(64) -> Dense(32, relu) -> Dense(16, tanh) -> Dense(10, softmax),
#      Adam(learning_rate=0.005), sparse_categorical_crossentropy, metrics=["accuracy"]
SHAPES = [(64, 32), (32,), (32, 16), (16,), (16, 10), (10,)]


def _fixed_weights():
    r = np.random.default_rng(1818)
    return [(0.3 * r.normal(size=s)).astype("float32") for s in SHAPES]


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _relu(z):
    return np.maximum(z, 0.0)


def _forward(x, w, act1=_relu, act2=np.tanh):
    """The exercise's model in float64 NumPy; act1/act2 can be swapped to recognise a mistake."""
    x = np.asarray(x, dtype=float)
    w = [np.asarray(a, dtype=float) for a in w]
    h1 = act1(x @ w[0] + w[1])
    h2 = act2(h1 @ w[2] + w[3])
    return _softmax(h2 @ w[4] + w[5])


def check_build_keras_model(build_keras_model):
    """`build_keras_model()` -> a compiled keras.Sequential equivalent to the nnlab model."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    model = _call(build_keras_model)
    if not isinstance(model, keras.Model):
        raise CheckFailed(f"build_keras_model() should return a Keras model (keras.Sequential), got "
                          f"{type(model).__module__}.{type(model).__name__}. Build it with "
                          "`keras.Sequential([...])` from the real `keras` package, not with nnlab.")
    if not model.built:
        raise CheckFailed("the model has no weights yet: start the layer list with "
                          "keras.Input(shape=(64,)) so that Keras builds it at once.")
    shapes = [tuple(np.shape(w)) for w in model.get_weights()]
    if shapes != SHAPES:
        raise CheckFailed(f"the weights should have the shapes {SHAPES} (Dense 64 -> 32 -> 16 -> 10, "
                          f"kernel then bias per layer), got {shapes}.")
    weights = _fixed_weights()
    model.set_weights([w.copy() for w in weights])
    x = np.random.default_rng(18).normal(size=(6, 64)).astype("float32")
    got = np.asarray(model.predict(x, verbose=0), dtype=float)
    want = _forward(x, weights)
    if got.shape != want.shape:
        raise CheckFailed(f"predict on 6 samples should give shape {want.shape}, got {got.shape}.")
    if not np.allclose(got.sum(axis=1), 1.0, atol=1e-5):
        raise CheckFailed("each row of predict() should be a probability distribution (sum 1): "
                          "the last Dense layer needs activation='softmax'.")
    if np.allclose(got, _forward(x, weights, act1=np.tanh, act2=_relu), atol=1e-5):
        raise CheckFailed("the activations are swapped: the 32-unit layer uses 'relu', "
                          "the 16-unit layer uses 'tanh'.")
    expect_close("predict() with fixed weights (relu, tanh, softmax layers)", got, want,
                 rtol=1e-4, atol=1e-5)

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "compiled", True):
        raise CheckFailed("the model is not compiled: call model.compile(...) before returning it.")
    if type(optimizer).__name__ != "Adam":
        raise CheckFailed(f"the optimizer should be Adam, got {type(optimizer).__name__}.")
    lr = float(np.asarray(optimizer.learning_rate))
    if not np.isclose(lr, 0.005, rtol=1e-5):
        raise CheckFailed(f"Adam's learning rate should be 0.005, got {lr:.6g}: pass "
                          "keras.optimizers.Adam(learning_rate=0.005) (the string 'adam' means 0.001).")

    y = np.array([0, 3, 9, 1, 1, 5])
    try:
        scores = model.evaluate(x, y, verbose=0, return_dict=True)
    except Exception as e:     # noqa: BLE001  (Keras raises several types for label mismatches)
        raise CheckFailed("model.evaluate(x, y) with integer labels y (shape (6,)) failed "
                          f"({type(e).__name__}): integer labels need "
                          "loss='sparse_categorical_crossentropy'.") from None
    want_loss = -np.mean(np.log(want[np.arange(6), y]))            # cross-entropy of the true class
    expect_close("the loss that evaluate() reports (sparse categorical cross-entropy)",
                 scores.get("loss"), want_loss, rtol=1e-4)
    if "accuracy" not in scores:
        raise CheckFailed(f"evaluate() should report 'accuracy' too, got only {sorted(scores)}: "
                          "compile with metrics=['accuracy'].")
    expect_close("evaluate()'s accuracy", scores["accuracy"],
                 np.mean(want.argmax(axis=1) == y), rtol=1e-6)
    passed("build_keras_model: 64 -> 32 relu -> 16 tanh -> 10 softmax, Adam(0.005), "
           "sparse categorical cross-entropy, accuracy")


# ---- exercise 2: a Keras 2 spec -> a Keras 3 spec (worked out by hand below)
KERAS2_MLP = {
    "layers": [("Dense", {"units": 128, "activation": "relu", "input_dim": 784}),
               ("Dropout", {"rate": 0.5}),
               ("Dense", {"units": 10, "activation": "softmax"})],
    "optimizer": ("Adam", {"lr": 0.001}),
    "model_file": "mnist_model.h5",
    "weights_file": "mnist_weights.h5",
}
KERAS3_MLP = {
    "input_shape": (784,),
    "layers": [("Dense", {"units": 128, "activation": "relu"}),
               ("Dropout", {"rate": 0.5}),
               ("Dense", {"units": 10, "activation": "softmax"})],
    "optimizer": ("Adam", {"learning_rate": 0.001}),
    "model_file": "mnist_model.keras",
    "weights_file": "mnist_weights.weights.h5",
}
KERAS2_CNN = {
    "layers": [("Conv2D", {"filters": 32, "kernel_size": [3, 3], "activation": "relu",
                           "input_shape": [28, 28, 1]}),
               ("Flatten", {}),
               ("Dense", {"units": 10, "activation": "softmax"})],
    "optimizer": ("RMSprop", {"lr": 0.01, "rho": 0.8}),
    "model_file": "cnn.h5",
    "weights_file": "cnn.weights.h5",
}
KERAS3_CNN = {
    "input_shape": (28, 28, 1),
    "layers": [("Conv2D", {"filters": 32, "kernel_size": [3, 3], "activation": "relu"}),
               ("Flatten", {}),
               ("Dense", {"units": 10, "activation": "softmax"})],
    "optimizer": ("RMSprop", {"learning_rate": 0.01, "rho": 0.8}),
    "model_file": "cnn.keras",
    "weights_file": "cnn.weights.h5",
}


def _compare_spec(what, got, want):
    if not isinstance(got, dict):
        raise CheckFailed(f"{what}: port_keras2 should return a dict, got {type(got).__name__}.")
    if set(got) != set(want):
        raise CheckFailed(f"{what}: the result should have the keys {sorted(want)}, got {sorted(got)}.")
    shape = got["input_shape"]
    if not isinstance(shape, tuple):
        raise CheckFailed(f"{what}: 'input_shape' should be a tuple such as {want['input_shape']}, got "
                          f"{shape!r} ({type(shape).__name__}); keras.Input(shape=...) needs a tuple "
                          "(input_dim=784 becomes shape=(784,)).")
    if shape != want["input_shape"]:
        raise CheckFailed(f"{what}: 'input_shape' should be {want['input_shape']}, got {shape!r}.")
    layers = [(name, dict(kw)) for name, kw in got["layers"]]
    for i, ((name, kw), (want_name, want_kw)) in enumerate(zip(layers, want["layers"])):
        leftover = {"input_dim", "input_shape"} & set(kw)
        if leftover:
            raise CheckFailed(f"{what}: layer {i} ({name}) still has {sorted(leftover)}; Keras 3 takes "
                              "the input shape from keras.Input, so remove it from the layer.")
        if (name, kw) != (want_name, want_kw):
            raise CheckFailed(f"{what}: layer {i} should be {(want_name, want_kw)}, got {(name, kw)}.")
    if len(layers) != len(want["layers"]):
        raise CheckFailed(f"{what}: there should be {len(want['layers'])} layers, got {len(layers)}.")
    name, kw = got["optimizer"]
    if "lr" in kw:
        raise CheckFailed(f"{what}: the optimizer still has lr=...; Keras 3 rejects it "
                          "(ValueError: Argument(s) not recognized): rename it learning_rate.")
    if (name, dict(kw)) != want["optimizer"]:
        raise CheckFailed(f"{what}: the optimizer should be {want['optimizer']}, got {(name, dict(kw))}.")
    for key in ("model_file", "weights_file"):
        if got[key] != want[key]:
            raise CheckFailed(f"{what}: '{key}' should be {want[key]!r}, got {got[key]!r}.")


def check_port_keras2(port_keras2):
    """`port_keras2(spec)` -> the Keras 3 spec (a new dict; the argument unchanged)."""
    for what, old, new in (("the MLP of document 001 §5.2", KERAS2_MLP, KERAS3_MLP),
                           ("a CNN with input_shape=[28, 28, 1]", KERAS2_CNN, KERAS3_CNN)):
        spec = copy.deepcopy(old)
        got = _call(port_keras2, spec)
        if spec != old:
            raise CheckFailed(f"{what}: port_keras2 changed the dict it was given; build a new one "
                              "(copy each layer's kwargs with dict(kw)).")
        _compare_spec(what, got, new)
    passed("port_keras2: input_dim/input_shape -> keras.Input shape, lr -> learning_rate, "
           ".h5 -> .keras and .weights.h5")
