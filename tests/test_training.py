"""fit / evaluate / predict / train_on_batch: semantics checked against hand computations."""
import re

import numpy as np
import pytest

from nnlab import config, utils
from nnlab.callbacks import LambdaCallback
from nnlab.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from nnlab.models import NonFiniteLossError, NotCompiledError, Sequential
from nnlab.optimizers import SGD, Adam

W = np.array([[0.5, -1.0], [2.0, 0.25], [-0.5, 1.5]], dtype="float32")
B = np.array([0.1, -0.2], dtype="float32")


def linear_model(frozen=True, **compile_kwargs):
    """y = x W + b with known W, b (no activation); frozen: fit leaves W, b unchanged."""
    model = Sequential([Input(shape=(3,)), Dense(2, name="lin", trainable=not frozen)])
    model.set_weights([W, B])
    model.compile(**{"optimizer": "sgd", "loss": "mse", **compile_kwargs})
    return model


def data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)).astype("float32"), rng.normal(size=(n, 2)).astype("float32")


def by_hand_mse(x, y):
    return float(np.mean((x.astype(np.float64) @ W + B - y) ** 2))


def test_epoch_loss_is_the_batch_size_weighted_average():
    x, y = data(10)
    model = linear_model()
    # batches of 4, 4, 2: the weighted average of batch means is the mean over all samples
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    assert list(history.history) == ["loss"] and history.epoch == [0, 1]
    assert history.history["loss"] == pytest.approx([by_hand_mse(x, y)] * 2, rel=1e-5)
    unweighted = np.mean([by_hand_mse(x[s:s + 4], y[s:s + 4]) for s in (0, 4, 8)])
    assert abs(unweighted - by_hand_mse(x, y)) > 1e-3       # so the test can tell them apart


def test_accuracy_is_weighted_and_history_keys():
    x = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2, 0]]
    labels = np.array([0, 1, 2, 1, 1, 0, 0])         # samples 3 and 5 are wrong: 5 of 7 right
    model = Sequential([Input(shape=(3,)), Dense(3, activation="softmax", trainable=False)])
    model.set_weights([np.eye(3, dtype="float32") * 5, np.zeros(3, dtype="float32")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, labels, batch_size=3, epochs=1, verbose=0, validation_data=(x, labels))
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["accuracy"] == pytest.approx([5 / 7])
    assert history.history["val_accuracy"] == pytest.approx([5 / 7])
    z = x * 5
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(p[np.arange(7), labels]))
    assert history.history["val_loss"] == pytest.approx([expected], rel=1e-5)
    assert history.history["loss"] == pytest.approx([expected], rel=1e-5)


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = data(10)
    y[8:] = 100.0                                  # the last 20 %: far off, only in validation
    history = linear_model().fit(x, y, validation_split=0.2, batch_size=3, verbose=0)
    assert history.history["loss"] == pytest.approx([by_hand_mse(x[:8], y[:8])], rel=1e-5)
    assert history.history["val_loss"] == pytest.approx([by_hand_mse(x[8:], y[8:])], rel=1e-5)


def test_one_sgd_step_by_hand():
    x, y = data(4)
    model = linear_model(frozen=False, optimizer=SGD(learning_rate=0.1))
    loss = model.train_on_batch(x, y)
    assert loss == pytest.approx(by_hand_mse(x, y), rel=1e-6)
    # L = (1/N) Σ (xW + b - y)², N = 4 * 2 entries: dL/dW = (2/N) xᵀ (xW + b - y)
    residual = x.astype(np.float64) @ W + B - y
    dW = 2 / residual.size * x.T @ residual
    db = 2 / residual.size * residual.sum(axis=0)
    kernel, bias = model.get_weights()
    assert np.allclose(kernel, W - 0.1 * dW, atol=1e-6)
    assert np.allclose(bias, B - 0.1 * db, atol=1e-6)


def test_shuffle_draws_from_nnlab_generator():
    x, y = data(40, seed=1)

    def train(seed, shuffle=True):
        model = linear_model(frozen=False, optimizer=SGD(learning_rate=0.05))
        utils.set_random_seed(seed)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=shuffle)
        return model.get_weights()[0]

    assert np.array_equal(train(5), train(5))
    assert not np.allclose(train(5), train(6))
    assert np.array_equal(train(5, shuffle=False), train(6, shuffle=False))


def test_batch_size_none_means_32_and_initial_epoch():
    x, y = data(70)
    batches, params = [], []
    counter = LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch),
                             on_train_begin=lambda logs: params.append(counter.params))
    history = linear_model().fit(x, y, batch_size=None, epochs=5, initial_epoch=2, verbose=0,
                                 callbacks=[counter])
    assert batches == [0, 1, 2] * 3                  # ceil(70 / 32) = 3 batches, 3 epochs
    assert params[0]["steps"] == 3 and params[0]["epochs"] == 5
    assert history.epoch == [2, 3, 4]


def test_evaluate_and_predict():
    x, y = data(9)
    model = linear_model()
    loss = model.evaluate(x, y, batch_size=4, verbose=0)
    assert isinstance(loss, float) and loss == pytest.approx(by_hand_mse(x, y), rel=1e-5)
    pred = model.predict(x, batch_size=4, verbose=0)
    assert pred.shape == (9, 2) and pred.dtype == np.float32
    assert np.allclose(pred, x @ W + B, atol=1e-6)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    result = model.evaluate(x, y, verbose=0)
    mae = float(np.mean(np.abs(x.astype(np.float64) @ W + B - y)))
    assert result == pytest.approx([by_hand_mse(x, y), mae], rel=1e-5)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(
        {"loss": by_hand_mse(x, y), "mae": mae}, rel=1e-5)
    assert model.test_on_batch(x, y) == pytest.approx([by_hand_mse(x, y), mae], rel=1e-5)


def test_training_reduces_the_loss():
    utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    model = Sequential([Input(shape=(2,)), Dense(16, activation="tanh"), Dense(1, activation="sigmoid")])
    model.compile(optimizer=Adam(learning_rate=0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y[:, None], epochs=60, batch_size=20, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9


# ---- output formats ---------------------------------------------------------------------
STEP = r"\d+s \d+(us|ms|s)/step"
VALUE = r"\d+\.\d{4}"


def classifier():
    utils.set_random_seed(0)
    model = Sequential([Input(shape=(4,)), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(50, 4))
    return model, x, np.eye(3)[np.arange(50) % 3]


def test_verbose_1_progress_bar(capsys, monkeypatch):
    from nnlab.models import progbar
    monkeypatch.setattr(progbar, "dynamic_display", lambda stream=None: True)   # as in a terminal
    model, x, y = classifier()
    model.fit(x, y, epochs=2, batch_size=16)            # verbose='auto' is 1
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/2\n") and "\nEpoch 2/2\n" in out
    final = re.findall(rf"\r4/4 ━{{20}} {STEP} - accuracy: {VALUE} - loss: {VALUE}\s*\n", out)
    assert len(final) == 2
    model.fit(x, y, epochs=1, verbose=1)
    assert "Epoch" not in capsys.readouterr().out     # Keras 3 prints it only for epochs > 1
    model.evaluate(x, y)
    assert re.search(rf"\r2/2 ━{{20}} {STEP} - accuracy: {VALUE} - loss: {VALUE}\s*\n$",
                     capsys.readouterr().out)


def test_verbose_2_one_line_per_epoch(capsys):
    model, x, y = classifier()
    model.fit(x, y, epochs=2, batch_size=16, verbose=2, validation_split=0.2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and "Epoch 2/2" in lines
    pattern = (rf"^3/3 - \d+s - \d+(us|ms|s)/step - accuracy: {VALUE} - loss: {VALUE} "
               rf"- val_accuracy: {VALUE} - val_loss: {VALUE}$")
    assert sum(bool(re.match(pattern, line)) for line in lines) == 2
    assert "\r" not in "".join(lines)


def test_verbose_0_is_silent(capsys):
    model, x, y = classifier()
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


# ---- errors -------------------------------------------------------------------------------
def test_fit_before_compile():
    model = Sequential([Input(shape=(3,)), Dense(1)])
    for call in (model.fit, model.evaluate, model.train_on_batch):
        with pytest.raises(NotCompiledError, match=r"call model\.compile\(optimizer=\.\.\., loss=\.\.\.\) first"):
            call(np.zeros((2, 3)), np.zeros((2, 1)))
    model.compile(optimizer="sgd")            # no loss yet: still cannot fit
    with pytest.raises(NotCompiledError):
        model.fit(np.zeros((2, 3)), np.zeros((2, 1)), verbose=0)


def test_length_mismatch_names_both():
    with pytest.raises(ValueError, match=r"x with 10 samples.*y with 7 samples"):
        linear_model().fit(np.zeros((10, 3)), np.zeros((7, 2)), verbose=0)
    with pytest.raises(ValueError, match=r"x_val with 4 samples.*y_val with 3 samples"):
        linear_model().fit(np.zeros((10, 3)), np.zeros((10, 2)), verbose=0,
                           validation_data=(np.zeros((4, 3)), np.zeros((3, 2))))


def test_wrong_input_shape_is_the_layers_error():
    with pytest.raises(ValueError, match=r"Layer 'lin' \(Dense\) expected input of shape \(None, 3\).*\(None, 4\)"):
        linear_model().fit(np.zeros((5, 4)), np.zeros((5, 2)), verbose=0)


def test_labels_checked_before_training():
    model = Sequential([Input(shape=(3,)), Dense(4, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy|to_categorical"):
        model.fit(np.zeros((8, 3)), np.arange(8) % 4, verbose=0)
    for w0, w1 in zip(before, model.get_weights()):
        assert np.array_equal(w0, w1)                # nothing was trained


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_non_finite_loss_stops_with_advice():
    x, y = data(64, seed=2)
    x *= 100
    model = linear_model(frozen=False, optimizer=SGD(learning_rate=1e6))
    with pytest.raises(NonFiniteLossError, match=r"at epoch \d+, batch \d+ of 4.*lower learning rate"):
        model.fit(x, y, batch_size=16, epochs=20, verbose=0)


@pytest.mark.parametrize("kwargs, match", [
    ({"optimizer": "adamm", "loss": "mse"}, "Did you mean 'adam'"),
    ({"optimizer": "sgd", "loss": "categorical_crossentropyy"}, "Did you mean 'categorical_crossentropy'"),
    ({"optimizer": "sgd", "loss": "mse", "metrics": ["acuracy"]}, "Did you mean 'accuracy'"),
])
def test_unknown_names(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Sequential([Dense(1)]).compile(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"batch_size": 0}, "batch_size"),
    ({"verbose": 3}, "verbose"),
    ({"validation_split": 1.0}, "validation_split"),
    ({"epochs": -1}, "epochs"),
    ({"validation_data": (np.zeros((2, 3)),)}, "validation_data"),
])
def test_invalid_fit_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        linear_model().fit(np.zeros((4, 3)), np.zeros((4, 2)), **{"verbose": 0, **kwargs})


def test_ragged_input_is_a_clear_error():
    with pytest.raises(ValueError, match="same shape"):
        linear_model().fit([[1.0, 2.0, 3.0], [1.0]], np.zeros((2, 2)), verbose=0)


def test_data_cast_to_floatx():
    model = linear_model()
    assert model.predict(np.zeros((2, 3), dtype=np.float64), verbose=0).dtype == np.float32
    assert model.predict([[1, 2, 3]], verbose=0).dtype == np.float32


def test_cnn_gradients_pass_the_checker():
    utils.set_random_seed(4)
    with config.floatx_scope("float64"):
        model = Sequential([Input(shape=(5, 5, 2)), Conv2D(3, (2, 2), activation="tanh"),
                            MaxPooling2D((2, 2)), Flatten(), Dense(3, activation="softmax")])
        x = np.random.default_rng(1).normal(size=(2, 5, 5, 2))
        errors = utils.check_gradients(model, x)
    assert "input" in errors and max(errors.values()) < 1e-6


def test_changing_trainable_after_training_asks_to_compile_again():
    """Keras: a change of `trainable` takes effect at the next compile(); nnlab says so."""
    x, y = data()
    model = Sequential([Input(shape=(3,)), Dense(4, name="first"), Dense(2, name="second")])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    model.get_layer("first").trainable = False
    with pytest.raises(ValueError, match=r"changed since it was compiled.*call model.compile"):
        model.fit(x, y, epochs=1, verbose=0)
    frozen = model.get_layer("first").get_weights()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    for before, after in zip(frozen, model.get_layer("first").get_weights()):
        np.testing.assert_array_equal(before, after)


def test_fit_skips_backward_of_layers_with_nothing_trainable_before_them():
    """Augmentation at the input has no weights and nothing before it: fit never calls its
    backward; model.backward(grad) (input_grad=True) still returns dL/dx through it."""
    from nnlab.layers import Flatten, RandomFlip

    calls = []

    class CountingFlip(RandomFlip):
        def backward(self, grad):
            calls.append(1)
            return super().backward(grad)

    model = Sequential([Input(shape=(4, 4, 1)), CountingFlip(seed=0), Flatten(), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 4, 4, 1))
    model.fit(x, np.zeros((8, 2)), epochs=1, batch_size=4, verbose=0)
    assert calls == []
    model.forward(x, training=True)
    assert model.backward(np.ones((8, 2))).shape == x.shape and calls == [1]


@pytest.mark.parametrize("first", ["dense", "conv"])
def test_backward_without_input_grad_skips_only_the_first_layers_input_gradient(first):
    """model.backward(grad, input_grad=False), as fit calls it: the first Dense/Conv2D is
    asked for its weight gradients only (it returns None); every weight gradient is the
    same as with input_grad=True. A layer whose backward has no `input_grad` is called
    as before."""
    from nnlab.layers import Conv2D, Flatten

    calls = []

    class PlainDense(Dense):               # a student's layer: backward(grad) only
        def backward(self, grad):
            calls.append(1)
            return super().backward(grad)

    front = [Conv2D(2, 3), Flatten()] if first == "conv" else [Flatten(), Dense(5)]
    model = Sequential([Input(shape=(5, 5, 1))] + front + [PlainDense(3)])
    x = np.random.default_rng(0).normal(size=(4, 5, 5, 1)).astype("float32")
    grad = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    model.forward(x, training=True)
    assert model.backward(grad).shape == x.shape
    expected = [g.copy() for layer in model.layers for g in layer.grads.values()]
    assert model.backward(grad, input_grad=False) is None
    got = [g for layer in model.layers for g in layer.grads.values()]
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(e, g)
    assert calls == [1, 1]
    first_layer = model.layers[0] if first == "conv" else model.layers[1]
    out_shape = (4, 3, 3, 2) if first == "conv" else (4, 5)
    assert first_layer.backward(np.ones(out_shape, "float32"), input_grad=False) is None
