"""The gradient checker: exact on known gradients, catches wrong backward passes and names
the offender, refuses float32, works on model-like objects with a `layers` list."""
import numpy as np
import pytest

from nnlab import config
from nnlab.layers import Activation, Dense, Layer
from nnlab.utils import check_gradients, numerical_gradient


def test_numerical_gradient_of_known_functions():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    np.testing.assert_allclose(numerical_gradient(lambda: np.sum(x ** 2), x), 2 * before, atol=1e-8)
    np.testing.assert_array_equal(x, before)                 # restored
    np.testing.assert_allclose(numerical_gradient(lambda: np.sum(np.sin(x)), x), np.cos(before),
                               atol=1e-8)
    y = np.array([2.0])
    assert numerical_gradient(lambda: y[0] ** 3, y)[0] == pytest.approx(12.0, rel=1e-8)


def test_numerical_gradient_needs_a_float_array():
    with pytest.raises(TypeError, match="float NumPy array"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])
    with pytest.raises(TypeError, match="float NumPy array"):
        numerical_gradient(lambda: 0.0, np.array([1, 2]))


class Scale(Layer):
    """y = x * w (elementwise, w of shape (d,)); optionally a deliberately wrong backward."""

    def __init__(self, bug=None, **kwargs):
        super().__init__(**kwargs)
        self.bug = bug

    def build(self, input_shape):
        self.add_weight("w", input_shape, "ones")
        super().build(input_shape)

    def forward(self, x, training=False):
        self._cache = x
        return x * self.params["w"]

    def backward(self, grad):
        x = self._cached()
        dw = (grad * x).sum(axis=0)
        if self.bug == "w":
            dw = dw.copy()
            dw[2] += 0.01                         # one wrong entry
        self.grads["w"] = dw
        dx = grad * self.params["w"]
        if self.bug == "x":
            dx = 2 * dx
        return dx


def make_scale(bug=None, name=None):
    with config.floatx_scope("float64"):
        layer = Scale(bug=bug, name=name)
        layer.build((4,))
        layer.params["w"][:] = [0.5, -1.0, 2.0, 3.0]
    return layer


def test_correct_layer_passes_and_reports_errors():
    errors = check_gradients(make_scale(name="scale"), np.random.default_rng(0).normal(size=(3, 4)))
    assert set(errors) == {"input", "scale/w"}
    assert all(e < 1e-8 for e in errors.values())


def test_wrong_input_gradient_is_caught():
    with pytest.raises(AssertionError, match=r"Gradient of input is wrong at index \(\d, \d\): received -?\d"):
        check_gradients(make_scale(bug="x"), np.random.default_rng(0).normal(size=(3, 4)))


def test_wrong_parameter_gradient_is_caught_and_named():
    with pytest.raises(AssertionError, match=r"Gradient of bad/w is wrong at index \(2,\): "
                                             r"received .* \(backward\), expected .* \(central"):
        check_gradients(make_scale(bug="w", name="bad"), np.random.default_rng(0).normal(size=(3, 4)))


def test_float32_is_refused_with_advice():
    with pytest.raises(TypeError, match="float64.*floatx_scope"):
        check_gradients(make_scale(), np.ones((2, 4), dtype="float32"))
    layer = Dense(2)                                         # float32 weights
    with pytest.raises(TypeError, match=r"parameter dense.*/kernel is float32"):
        check_gradients(layer, np.ones((2, 3)))


def test_unbuilt_layer_is_built_on_x():
    with config.floatx_scope("float64"):
        layer = Dense(3, activation="tanh")
    check_gradients(layer, np.random.default_rng(1).normal(size=(2, 5)))
    assert layer.built and layer.params["kernel"].shape == (5, 3)


class TinyModel:
    """A model-like object: a `layers` list, forward and backward through it."""

    def __init__(self, layers):
        self.layers = layers

    def forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad


def test_model_with_layers_list():
    with config.floatx_scope("float64"):
        layers = [Dense(4, activation="relu", name="h1"), Activation("tanh"), Dense(2, name="out")]
        layers[0].build((3,))
        layers[2].build((4,))
    errors = check_gradients(TinyModel(layers), np.random.default_rng(2).normal(size=(5, 3)))
    assert set(errors) == {"input", "h1/kernel", "h1/bias", "out/kernel", "out/bias"}


def test_wrong_gradient_inside_a_model_is_named():
    with config.floatx_scope("float64"):
        dense = Dense(4, name="d")
        dense.build((4,))
    model = TinyModel([dense, make_scale(bug="w", name="broken")])
    with pytest.raises(AssertionError, match="broken/w"):
        check_gradients(model, np.random.default_rng(3).normal(size=(2, 4)))


def test_not_a_layer():
    with pytest.raises(TypeError, match="layer"):
        check_gradients(object(), np.ones((2, 2)))


def test_docstring_examples():
    import doctest
    import importlib

    import nnlab
    module = importlib.import_module("nnlab.utils.gradcheck")
    globs = {**vars(module), "np": np, "nnlab": nnlab}
    result = doctest.testmod(module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
