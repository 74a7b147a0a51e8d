"""Tests for the sequence layers: SimpleRNN, LSTM, GRU, Embedding, Conv1D, 1-D global pooling."""
import math
import os

import numpy as np
import pytest

import nnlab
from nnlab.layers import (GRU, LSTM, Conv1D, Dense, Embedding, GlobalAveragePooling1D,
                          GlobalMaxPooling1D, Input, SimpleRNN)
from nnlab.models import Sequential, load_model
from nnlab.utils import check_gradients

RNG = np.random.default_rng(0)


def sig(t):
    return 1 / (1 + math.exp(-t))


def _set(layer, x, *weights):
    layer(x)
    layer.set_weights([np.array(w, dtype=float) for w in weights])
    return layer


def test_simple_rnn_two_steps_by_hand():
    x = np.array([[[1.0], [2.0]]])                          # one sample, two steps, one feature
    layer = _set(SimpleRNN(1, return_sequences=True), x, [[0.5]], [[-1.0]], [0.1])
    h1 = math.tanh(1.0 * 0.5 + 0.1)
    h2 = math.tanh(2.0 * 0.5 + h1 * -1.0 + 0.1)
    np.testing.assert_allclose(layer(x)[0, :, 0], [h1, h2], rtol=1e-6)
    last = _set(SimpleRNN(1, go_backwards=True), x, [[0.5]], [[-1.0]], [0.1])
    g1 = math.tanh(2.0 * 0.5 + 0.1)                          # reads step 2 first
    np.testing.assert_allclose(last(x)[0, 0], math.tanh(1.0 * 0.5 + g1 * -1.0 + 0.1), rtol=1e-6)


def test_lstm_one_step_by_hand_gate_order_i_f_c_o():
    x = np.array([[[2.0]]])
    # kernel columns: i, f, c, o; recurrent kernel irrelevant at the first step (h0 = 0)
    layer = _set(LSTM(1, return_state=True), x, [[0.1, 0.2, 0.3, 0.4]], [[1.0, 1.0, 1.0, 1.0]],
                 [0.0, 1.0, 0.0, -0.5])
    i, f, g, o = sig(0.2), sig(0.4 + 1.0), math.tanh(0.6), sig(0.8 - 0.5)
    c = f * 0.0 + i * g
    out, h, c_state = layer(x)
    np.testing.assert_allclose(h[0, 0], o * math.tanh(c), rtol=1e-6)
    np.testing.assert_allclose(c_state[0, 0], c, rtol=1e-6)
    np.testing.assert_array_equal(out, h)
    fresh = LSTM(3)
    fresh(np.zeros((1, 2, 4)))
    np.testing.assert_array_equal(fresh.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])


def test_gru_one_step_by_hand_reset_after():
    x = np.array([[[1.0]], [[-1.0]]])
    layer = _set(GRU(1), x, [[0.5, -0.5, 2.0]], [[0.3, 0.3, 0.3]], [[0.1, 0.2, 0.3], [0.0, 0.0, 0.0]])
    for n, xv in enumerate([1.0, -1.0]):
        z, r = sig(0.5 * xv + 0.1), sig(-0.5 * xv + 0.2)
        hh = math.tanh(2.0 * xv + 0.3 + r * 0.0)               # h0 = 0
        np.testing.assert_allclose(layer(x)[n, 0], z * 0.0 + (1 - z) * hh, rtol=1e-6)
    assert GRU(2, reset_after=False).get_config()["reset_after"] is False


CASES = [
    lambda: SimpleRNN(3), lambda: SimpleRNN(3, activation="relu", return_sequences=True),
    lambda: SimpleRNN(2, go_backwards=True, return_sequences=True),
    lambda: LSTM(3), lambda: LSTM(2, return_sequences=True, go_backwards=True),
    lambda: GRU(3), lambda: GRU(3, return_sequences=True), lambda: GRU(2, reset_after=False),
    lambda: GRU(2, use_bias=False, return_sequences=True),
    lambda: Conv1D(3, 2), lambda: Conv1D(2, 3, strides=2, padding="same", activation="tanh"),
    lambda: Conv1D(2, 3, padding="causal"), lambda: GlobalMaxPooling1D(), lambda: GlobalAveragePooling1D(),
]


@pytest.mark.parametrize("make", CASES)
def test_gradients_through_time(make):
    with nnlab.config.floatx_scope("float64"):
        layer = make()
    x = np.random.default_rng(1).normal(size=(3, 6, 4))
    layer(x)
    for value in layer.params.values():                        # larger weights than the defaults
        value[...] = np.random.default_rng(2).normal(size=value.shape) * 0.6
    errors = check_gradients(layer, x)
    assert set(errors) == {"input"} | {f"{layer.name}/{k}" for k in layer.params}


def test_return_state_gradients_reach_the_states():
    with nnlab.config.floatx_scope("float64"):
        layer = LSTM(2, return_state=True)
    x = np.random.default_rng(3).normal(size=(2, 4, 3))
    out, h, c = layer(x)
    g_out, g_h, g_c = (np.random.default_rng(s).normal(size=(2, 2)) for s in (4, 5, 6))
    dx = layer.backward([g_out, g_h, g_c])

    def loss():
        o, hh, cc = layer(x)
        return np.sum(o * g_out) + np.sum(hh * g_h) + np.sum(cc * g_c)
    np.testing.assert_allclose(dx, nnlab.utils.numerical_gradient(loss, x), atol=1e-7)


def test_embedding_lookup_gradient_and_errors():
    layer = Embedding(5, 2)
    x = np.array([[1, 3, 1], [0, 4, 4]])
    y = layer(x)
    E = layer.get_weights()[0]
    np.testing.assert_array_equal(y[0, 0], E[1])
    np.testing.assert_array_equal(y[1, 2], E[4])
    assert np.all(np.abs(E) <= 0.05)                           # Keras' 'uniform': U(-0.05, 0.05)
    g = np.arange(12.0).reshape(2, 3, 2)
    assert layer.backward(g) is None
    dE = layer.grads["embeddings"]
    np.testing.assert_array_equal(dE[1], g[0, 0] + g[0, 2])    # index 1 appears twice
    np.testing.assert_array_equal(dE[2], [0.0, 0.0])
    with pytest.raises(ValueError, match=r"index 5, outside 0\.\.4 \(input_dim=5\)"):
        layer(np.array([[5, 0, 0]]))
    with pytest.raises(ValueError, match="integer token indices"):
        layer(np.array([[1.5, 0, 0]]))
    with pytest.raises(NotImplementedError, match="mask_zero"):
        Embedding(5, 2, mask_zero=True)
    with pytest.raises(NotImplementedError, match="dropout"):
        LSTM(3, dropout=0.2)
    with pytest.raises(ValueError, match=r"expects sequences of shape \(batch, timesteps, features\)"):
        LSTM(3)(np.zeros((2, 5)))


def test_parameter_counts_and_a_text_model_learns(tmp_path):
    nnlab.utils.set_random_seed(0)
    model = Sequential([Input(shape=(12,)), Embedding(20, 8), LSTM(6), Dense(1, activation="sigmoid")])
    lines = []
    model.summary(print_fn=lines.append)
    # embedding 20*8 = 160; LSTM 4*(6*(8+6) + 6) = 360; dense 6 + 1 = 7
    assert "Total params: 527" in "\n".join(lines)
    rng = np.random.default_rng(0)
    x = rng.integers(1, 20, size=(200, 12))
    y = (np.sum(x == 7, axis=1) > 0).astype("float32")        # does token 7 occur?
    model.compile(optimizer=nnlab.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=20, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] >= 0.9
    model.save(tmp_path / "text.keras")
    again = load_model(tmp_path / "text.keras")
    np.testing.assert_array_equal(again.predict(x[:5], verbose=0), model.predict(x[:5], verbose=0))
    with pytest.raises(NotImplementedError, match="return_state=True gives several outputs"):
        LSTM(3, return_state=True)(Input(shape=(4, 2)))


@pytest.mark.parametrize("name, kwargs", [
    ("SimpleRNN", {"units": 4, "return_sequences": True}), ("LSTM", {"units": 4}),
    ("LSTM", {"units": 3, "return_sequences": True, "go_backwards": True}),
    ("GRU", {"units": 4, "return_sequences": True}), ("GRU", {"units": 3, "reset_after": False}),
    ("Conv1D", {"filters": 3, "kernel_size": 3, "padding": "causal"}),
    ("Conv1D", {"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same"}),
])
def test_same_weights_same_outputs_as_keras(name, kwargs):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    x = RNG.normal(size=(2, 7, 3)).astype("float32")
    theirs = getattr(keras.layers, name)(**kwargs)
    expected = np.asarray(theirs(x))
    ours = getattr(nnlab.layers, name)(**kwargs)
    ours(x)
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(ours(x), expected, rtol=1e-5, atol=1e-6)


def test_text_model_file_opens_in_keras(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    nnlab.utils.set_random_seed(1)
    model = Sequential([Input(shape=(9,)), Embedding(30, 4), Conv1D(5, 3, activation="relu"),
                        GRU(4, return_sequences=True), GlobalMaxPooling1D(), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).integers(0, 30, size=(8, 9))
    model.fit(x, np.arange(8) % 2, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
