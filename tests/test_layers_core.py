"""Dense, Activation, Dropout, Flatten, Reshape: shapes, hand-computed outputs, argument
and shape errors, float64 gradient checks, configs."""
import json

import numpy as np
import pytest

from nnlab import config, layers
from nnlab.layers import Activation, Dense, Dropout, Flatten, Reshape
from nnlab.utils import check_gradients, set_random_seed

ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "softmax"]


def rng(seed=0):
    return np.random.default_rng(seed)


# ---- Dense ----------------------------------------------------------------------------
def test_dense_shapes():
    layer = Dense(3)
    assert layer(np.ones((2, 4))).shape == (2, 3)
    assert layer.params["kernel"].shape == (4, 3) and layer.params["bias"].shape == (3,)
    assert layer.output_shape == (3,) and layer.count_params() == 15
    assert Dense(3)(np.ones((2, 5, 4))).shape == (2, 5, 3)     # acts on the last axis
    assert list(Dense(2, use_bias=False)(np.ones((1, 4))).shape) == [1, 2]


def test_dense_by_hand():
    layer = Dense(2, activation="relu")
    layer.build((3,))
    layer.set_weights([np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([0.5, -1.0])])
    x = np.array([[1.0, 0.0, -1.0], [1.0, 1.0, 1.0]])
    # z row 0: [1 - 5 + 0.5, 2 - 6 - 1] = [-3.5, -5] -> relu 0, 0
    # z row 1: [1 + 3 + 5 + 0.5, 2 + 4 + 6 - 1] = [9.5, 11]
    np.testing.assert_allclose(layer.forward(x), [[0, 0], [9.5, 11]])
    layer.backward(np.array([[1.0, 1.0], [1.0, 2.0]]))
    # delta = grad * relu'(z) = [[0, 0], [1, 2]]; dW = xᵀ delta; db = Σ delta
    np.testing.assert_allclose(layer.grads["kernel"], [[1, 2], [1, 2], [1, 2]])
    np.testing.assert_allclose(layer.grads["bias"], [1, 2])


def test_dense_backward_overwrites_grads():
    layer = Dense(2)
    x = np.ones((3, 4), dtype="float32")
    layer(x)
    layer.backward(np.ones((3, 2)))
    first = layer.grads["kernel"].copy()
    layer.forward(x)
    layer.backward(np.ones((3, 2)))
    np.testing.assert_array_equal(layer.grads["kernel"], first)


def test_dense_keeps_float32():
    layer = Dense(4, activation="tanh")
    y = layer(np.ones((2, 3), dtype="float32"))
    dx = layer.backward(np.ones((2, 4), dtype="float32"))
    assert y.dtype == dx.dtype == layer.grads["kernel"].dtype == np.float32


@pytest.mark.parametrize("kwargs, match", [
    ({"units": 0}, r"`units`, expected a positive integer. Received: units=0"),
    ({"units": -2}, "units=-2"),
    ({"units": 2.5}, "units=2.5"),
    ({"units": "3"}, "units='3'"),
    ({"units": 2, "activation": "rellu"}, "Did you mean 'relu'"),
    ({"units": 2, "kernel_initializer": "glorot"}, "Unknown initializer"),
])
def test_dense_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Dense(**kwargs)


def test_dense_unknown_keyword():
    with pytest.raises(TypeError, match="unit"):
        Dense(3, unit=4)


def test_dense_wrong_input_shape_names_layer_and_shapes():
    layer = Dense(2, name="hidden")
    layer(np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"'hidden'.*\(None, 4\).*\(None, 5\)"):
        layer(np.ones((1, 5)))


def test_dense_forward_after_build():
    layer = Dense(2, kernel_initializer="ones")
    layer.build((3,))
    np.testing.assert_allclose(layer.forward(np.ones((1, 3))), [[3, 3]])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_dense_gradients(activation):
    with config.floatx_scope("float64"):
        layer = Dense(3, activation=activation)
    errors = check_gradients(layer, rng(1).normal(size=(4, 5)))
    assert set(errors) == {"input", f"{layer.name}/kernel", f"{layer.name}/bias"}


def test_dense_gradients_3d_input_no_bias():
    with config.floatx_scope("float64"):
        layer = Dense(3, activation="tanh", use_bias=False)
    check_gradients(layer, rng(2).normal(size=(2, 4, 5)))


# ---- Activation -----------------------------------------------------------------------
def test_activation_layer_by_hand():
    np.testing.assert_allclose(Activation("relu")(np.array([[-1.0, 2.0]])), [[0, 2]])
    np.testing.assert_allclose(Activation("softmax")(np.array([[0.0, np.log(3.0)]])), [[0.25, 0.75]])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation_layer_gradients(activation):
    check_gradients(Activation(activation), rng(3).normal(size=(3, 4)))


def test_activation_layer_unknown():
    with pytest.raises(ValueError, match="Did you mean 'sigmoid'"):
        Activation("sigmoidd")


# ---- Dropout --------------------------------------------------------------------------
def test_dropout_is_identity_when_not_training():
    x = rng().normal(size=(3, 4))
    np.testing.assert_array_equal(Dropout(0.5)(x), x)
    np.testing.assert_array_equal(Dropout(0.5)(x, training=False), x)
    layer = Dropout(0.5)
    layer(x)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), np.ones_like(x))


def test_dropout_training_zeroes_and_rescales():
    set_random_seed(0)
    x = np.ones((200, 500), dtype="float32")
    y = Dropout(0.3)(x, training=True)
    assert y.dtype == np.float32
    kept = y != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)        # 1e5 coins
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)   # inverted dropout
    assert y.mean() == pytest.approx(1.0, abs=0.02)


def test_dropout_backward_uses_the_same_mask():
    set_random_seed(1)
    layer = Dropout(0.5)
    x = rng().normal(size=(4, 6))
    y = layer(x, training=True)
    dx = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(dx == 0, y == 0)
    np.testing.assert_allclose(dx[dx != 0], 2.0)


def test_dropout_reproducible_and_seeded():
    x = np.ones((5, 5))
    set_random_seed(3)
    a = Dropout(0.5)(x, training=True)
    set_random_seed(3)
    np.testing.assert_array_equal(a, Dropout(0.5)(x, training=True))
    b = Dropout(0.5, seed=9)(x, training=True)
    np.testing.assert_array_equal(b, Dropout(0.5, seed=9)(x, training=True))


def test_dropout_rate_edges_and_noise_shape():
    x = np.ones((3, 4))
    np.testing.assert_array_equal(Dropout(0.0)(x, training=True), x)
    np.testing.assert_array_equal(Dropout(1.0)(x, training=True), np.zeros_like(x))
    set_random_seed(4)
    y = Dropout(0.5, noise_shape=(None, 1))(np.ones((50, 4)), training=True)
    assert np.all(y == y[:, :1])                              # one coin per row
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape=(1,))(np.ones((2, 3)), training=True)


@pytest.mark.parametrize("rate", [-0.1, 1.5, "0.5", None, True])
def test_dropout_invalid_rate(rate):
    with pytest.raises(ValueError, match=r"Expected a float value between 0 and 1. Received: rate="):
        Dropout(rate)


class _ReseededDropout:
    """Dropout in training mode with the same mask at every forward: reseed first."""

    def __init__(self, layer):
        self.layer, self.params, self.grads, self.name = layer, {}, {}, layer.name

    def forward(self, x, training=False):
        set_random_seed(5)
        return self.layer.forward(x, training=True)

    def backward(self, grad):
        return self.layer.backward(grad)


def test_dropout_gradients_in_training_mode():
    x = rng(6).normal(size=(4, 6))
    check_gradients(_ReseededDropout(Dropout(0.4)), x)
    check_gradients(Dropout(0.4), x)                            # training=False


# ---- Flatten, Reshape ---------------------------------------------------------------
def test_flatten():
    x = np.arange(24.0).reshape(2, 3, 4)
    layer = Flatten()
    y = layer(x)
    np.testing.assert_array_equal(y, [np.arange(12.0), np.arange(12.0, 24.0)])
    assert layer.output_shape == (12,)
    assert layer.backward(np.ones((2, 12))).shape == (2, 3, 4)
    check_gradients(Flatten(), rng(7).normal(size=(2, 3, 2, 2)))


def test_reshape():
    x = np.arange(24.0).reshape(2, 12)
    np.testing.assert_array_equal(Reshape((3, 4))(x)[1], np.arange(12.0, 24.0).reshape(3, 4))
    layer = Reshape((-1, 2))
    assert layer(x).shape == (2, 6, 2) and layer.output_shape == (6, 2)
    check_gradients(Reshape((2, -1)), rng(8).normal(size=(3, 4, 2)))


@pytest.mark.parametrize("target", [(0, 3), (-1, -1), (-2, 3), "ab", None])
def test_reshape_invalid_target(target):
    with pytest.raises(ValueError, match="target_shape"):
        Reshape(target)


def test_reshape_size_mismatch_names_layer_and_shapes():
    with pytest.raises(ValueError, match=r"'r'.*\(None, 12\).*target_shape=\(5,\)"):
        Reshape((5,), name="r")(np.ones((2, 12)))
    with pytest.raises(ValueError, match=r"\(None, 12\).*target_shape=\(-1, 5\)"):
        Reshape((-1, 5))(np.ones((2, 12)))


# ---- configs and registry -------------------------------------------------------------
CORE_LAYERS = [
    lambda: Dense(3, activation="relu", use_bias=False, kernel_initializer="he_normal",
                  input_shape=(4,)),
    lambda: Dense(2, kernel_initializer=__import__("nnlab").initializers.RandomNormal(stddev=0.1, seed=1)),
    lambda: Activation("softmax", name="probs"),
    lambda: Dropout(0.25, noise_shape=(None, 1), seed=3),
    lambda: Flatten(),
    lambda: Reshape((-1, 2), trainable=False),
]


@pytest.mark.parametrize("make", CORE_LAYERS)
def test_config_round_trip(make):
    layer = make()
    cfg = layer.get_config()
    cfg = json.loads(json.dumps(cfg))                       # JSON-able
    again = type(layer).from_config(cfg)
    assert again.get_config() == cfg
    assert layers.get(type(layer).__name__) is type(layer)


def test_registry_lookup():
    assert layers.get("Dense") is Dense
    assert layers.get("conv2d") is layers.Conv2D
    assert layers.LAYERS["MaxPooling2D"] is layers.MaxPooling2D
    with pytest.raises(ValueError, match="Did you mean 'Dense'"):
        layers.get("Dens")


def test_docstring_examples():
    import doctest
    import importlib

    import nnlab
    module = importlib.import_module("nnlab.layers.core")
    globs = {**vars(module), "np": np, "nnlab": nnlab}
    result = doctest.testmod(module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_direct_forward_gives_clear_errors():
    with pytest.raises(RuntimeError, match="'d0'.*no weights yet"):
        Dense(2, name="d0").forward(np.ones((1, 3)))
    layer = Dense(2, name="d1")
    layer.build((3,))
    with pytest.raises(ValueError, match=r"'d1'.*\(None, 3\).*\(None, 4\)"):
        layer.forward(np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"'d1'.*\(None, 3\).*\(None,\)"):
        layer.forward(np.ones(3))
    with pytest.raises(RuntimeError, match="backward\\(\\) was called before forward"):
        Dense(2).backward(np.ones((1, 2)))
