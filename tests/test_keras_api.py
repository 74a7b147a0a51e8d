"""The Keras 3 public API surface: top-level names, nnlab.ops, nnlab.config, and clear
errors for what nnlab does not have. Where Keras 3 is installed (the optional oracle),
nnlab.ops is compared with keras.ops on the same inputs."""
import os

import numpy as np
import pytest

import nnlab
from nnlab import ops
from nnlab.layers import Dense, Input
from nnlab.models import Sequential


def test_top_level_names_as_in_keras3():
    assert nnlab.Sequential is nnlab.models.Sequential and nnlab.Model is nnlab.models.Model
    assert nnlab.Input is nnlab.layers.Input and nnlab.Layer is nnlab.layers.Layer
    assert nnlab.Optimizer is nnlab.optimizers.Optimizer and nnlab.Loss is nnlab.losses.Loss
    assert nnlab.saving.load_model is nnlab.models.load_model
    for module in ("layers", "models", "optimizers", "losses", "metrics", "callbacks", "datasets",
                   "utils", "saving", "config", "activations", "initializers", "regularizers", "ops"):
        assert getattr(nnlab, module).__name__ == f"nnlab.{module}"
    model = nnlab.Sequential([nnlab.Input(shape=(3,)), nnlab.layers.Dense(2)])
    assert model.output_shape == (None, 2)


@pytest.mark.parametrize("name", ["applications", "distribution", "mixed_precision", "backend"])
def test_parts_outside_nnlab_say_so(name):
    with pytest.raises(AttributeError, match=rf"nnlab has no keras\.{name}: .*lessons/18"):
        getattr(nnlab, name)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        nnlab.nonsense


def test_ops_by_hand():
    x = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]])
    assert ops.mean(ops.square(x)) == pytest.approx((1 + 4 + 9 + 0.25 + 0 + 1) / 6)
    np.testing.assert_array_equal(ops.argmax(x, axis=-1), [2, 0])
    np.testing.assert_array_equal(ops.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    assert ops.one_hot(np.array([1]), 2).dtype == np.float32 and ops.zeros((2,)).dtype == np.float32
    np.testing.assert_array_equal(ops.one_hot(np.array([1, 0]), 2, axis=0), [[0, 1], [1, 0]])
    np.testing.assert_allclose(ops.softmax(np.array([0.0, np.log(3.0)])), [0.25, 0.75])
    np.testing.assert_allclose(ops.logsumexp(np.array([1000.0, 1000.0])), 1000 + np.log(2))
    np.testing.assert_allclose(ops.log_softmax(np.array([[0.0, 0.0]])), [[-np.log(2)] * 2])
    values, indices = ops.top_k(np.array([[1.0, 5.0, 3.0, 4.0]]), 2)
    np.testing.assert_array_equal(values, [[5.0, 4.0]])
    np.testing.assert_array_equal(indices, [[1, 3]])
    np.testing.assert_array_equal(ops.in_top_k(np.array([0, 2]), np.array([[1.0, 2.0, 0.0],
                                                                           [1.0, 2.0, 3.0]]), 1),
                                  [False, True])
    np.testing.assert_array_equal(ops.relu(x), np.maximum(x, 0))
    # elementwise binary cross-entropy, no reduction: -log(0.8) and -log(1 - 0.25)
    np.testing.assert_allclose(ops.binary_crossentropy(np.array([1.0, 0.0]), np.array([0.8, 0.25])),
                               [-np.log(0.8), -np.log(0.75)], rtol=1e-6)
    np.testing.assert_allclose(ops.binary_crossentropy(np.array([1.0]), np.array([2.0]), from_logits=True),
                               [np.log1p(np.exp(-2.0))])
    assert ops.shape(x) == (2, 3) and ops.matmul(x, x.T).shape == (2, 2)
    with pytest.raises(AttributeError, match="nnlab.ops has no function 'fft'"):
        ops.fft



def test_ops_float_results_default_to_floatx():
    # Keras 3.15.1 (numpy backend too): ops.full((2,), 3) -> float32 [3., 3.];
    # ops.linspace(0, 1, 5) -> float32; ops.convert_to_tensor([1.0, 2]) -> float32;
    # a float64 array given to convert_to_tensor or linspace stays float64.
    assert ops.full((2,), 3).dtype == np.float32
    np.testing.assert_array_equal(ops.full((2,), 3), [3.0, 3.0])
    assert ops.linspace(0, 1, 5).dtype == np.float32
    np.testing.assert_allclose(ops.linspace(0, 1, 5), [0, 0.25, 0.5, 0.75, 1])
    assert ops.linspace(np.float64(0), 1, 3).dtype == np.float64
    assert ops.convert_to_tensor([1.0, 2]).dtype == np.float32
    assert ops.convert_to_tensor(np.array([1.0, 2])).dtype == np.float64
    assert ops.convert_to_tensor([1.0, 2], dtype="float64").dtype == np.float64
    assert ops.full((2,), 3, dtype="int32").dtype == np.int32

def test_config_switches_are_harmless():
    nnlab.config.disable_traceback_filtering()
    assert not nnlab.config.is_traceback_filtering_enabled()
    nnlab.config.enable_traceback_filtering()
    nnlab.config.enable_unsafe_deserialization()
    assert nnlab.config.backend() == "numpy" and nnlab.config.image_data_format() == "channels_last"
    with pytest.raises(ValueError, match="channels_last"):
        nnlab.config.set_image_data_format("channels_first")
    with pytest.raises(ValueError, match="mixed-precision"):
        nnlab.config.set_dtype_policy("mixed_float16")
    old = nnlab.config.epsilon()
    nnlab.config.set_epsilon(1e-5)
    assert nnlab.config.epsilon() == 1e-5
    nnlab.config.set_epsilon(old)


def _model():
    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True, steps_per_execution=4,
                  jit_compile="auto")
    return model


def test_keras_compile_and_fit_options():
    model = _model()
    with pytest.raises(ValueError, match="jit_compile=True asks for XLA"):
        model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    with pytest.raises(NotImplementedError, match="loss_weights"):
        model.compile(optimizer="sgd", loss="mse", loss_weights=[1.0])
    x, y = np.zeros((8, 2)), np.zeros((8, 1))
    with pytest.raises(NotImplementedError, match=r"`sample_weight` \(received sample_weight="):
        model.fit(x, y, sample_weight=np.ones(8), verbose=0)
    with pytest.raises(NotImplementedError, match="class_weight"):
        model.fit(x, y, class_weight={0: 1.0}, verbose=0)
    with pytest.raises(NotImplementedError, match="steps"):
        model.evaluate(x, y, steps=2, verbose=0)
    history = model.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2,
                        validation_batch_size=3, verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(x, y, validation_freq=0, verbose=0)


ORACLE_CASES = [
    ("mean", lambda m, x: m.mean(x, axis=0)), ("sum", lambda m, x: m.sum(x, axis=-1, keepdims=True)),
    ("std", lambda m, x: m.std(x)), ("var", lambda m, x: m.var(x, axis=1)),
    ("max", lambda m, x: m.max(x, axis=1)), ("argmin", lambda m, x: m.argmin(x, axis=0)),
    ("sqrt", lambda m, x: m.sqrt(m.abs(x))), ("exp", lambda m, x: m.exp(x)),
    ("log1p", lambda m, x: m.log1p(m.abs(x))), ("clip", lambda m, x: m.clip(x, -0.5, 0.5)),
    ("relu", lambda m, x: m.relu(x)), ("sigmoid", lambda m, x: m.sigmoid(x)),
    ("softmax", lambda m, x: m.softmax(x, axis=0)), ("log_softmax", lambda m, x: m.log_softmax(x)),
    ("logsumexp", lambda m, x: m.logsumexp(x, axis=1)),
    ("one_hot", lambda m, x: m.one_hot(m.argmax(x, axis=1), 4)),
    ("matmul", lambda m, x: m.matmul(x, m.transpose(x))), ("reshape", lambda m, x: m.reshape(x, (4, 3))),
    ("top_k", lambda m, x: m.top_k(x, 2)[1]), ("cumsum", lambda m, x: m.cumsum(x, axis=1)),
    ("where", lambda m, x: m.where(x > 0, x, 0.0)), ("norm", lambda m, x: m.norm(x, axis=1)),
    ("binary_crossentropy", lambda m, x: m.binary_crossentropy(m.sigmoid(x), m.sigmoid(-x))),
    ("categorical_crossentropy", lambda m, x: m.categorical_crossentropy(
        m.one_hot(m.argmax(x, axis=1), 4), m.softmax(x))),
]


@pytest.mark.parametrize("name, call", ORACLE_CASES, ids=[c[0] for c in ORACLE_CASES])
def test_ops_match_keras_ops(name, call):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    ours = np.asarray(call(ops, x))
    theirs = np.asarray(keras.ops.convert_to_numpy(call(keras.ops, x)))
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
