"""Sequential: construction, building (eager and lazy), forward/backward by hand, errors."""
import numpy as np
import pytest

from nnlab import utils
from nnlab.layers import Dense, Dropout, Flatten, Input, InputLayer, Reshape
from nnlab.models import Model, NotBuiltError, Sequential


def test_input_first_builds_at_once():
    model = Sequential([Input(shape=(3,)), Dense(4, name="h"), Dense(2, name="out")])
    assert model.built
    assert model.input_shape == (None, 3)
    assert model.output_shape == (None, 2)
    assert [layer.name for layer in model.layers] == ["h", "out"]     # no InputLayer, as Keras 3
    assert not any(isinstance(layer, InputLayer) for layer in model.layers)
    assert model.count_params() == (3 * 4 + 4) + (4 * 2 + 2)


@pytest.mark.parametrize("kwargs", [{"input_shape": (5,)}, {"input_dim": 5}])
def test_input_shape_on_first_layer(kwargs):
    model = Sequential()
    model.add(Dense(units=8, activation="relu", **kwargs))
    model.add(Dense(units=3, activation="softmax"))
    assert model.built and model.input_shape == (None, 5)
    assert model.count_params() == 5 * 8 + 8 + 8 * 3 + 3
    assert isinstance(model, Model)


def test_lazy_build_from_first_data():
    utils.set_random_seed(0)
    model = Sequential([Dense(4), Dense(1)])
    assert not model.built
    with pytest.raises(NotBuiltError, match=r"input_shape=.*Input\(shape=\.\.\.\)"):
        model.count_params()
    out = model.predict(np.zeros((7, 6)), verbose=0)
    assert out.shape == (7, 1)
    assert model.built and model.input_shape == (None, 6)
    assert model.count_params() == 6 * 4 + 4 + 4 + 1


def test_build_with_batch_shape():
    model = Sequential([Flatten(), Dense(2)])
    model.build((None, 2, 3))
    assert model.output_shape == (None, 2)
    assert model.count_params() == 6 * 2 + 2
    with pytest.raises(ValueError, match="batch dimension"):
        Sequential([Dense(2)]).build((3,))


def test_forward_backward_by_hand():
    model = Sequential([Input(shape=(2,)), Dense(2, name="l1"), Dense(1, name="l2")])
    model.get_layer("l1").set_weights([np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -1.0])])
    model.get_layer("l2").set_weights([np.array([[1.0], [-1.0]]), np.array([0.0])])
    x = np.array([[1.0, 1.0]])
    # h = [1+3+0.5, 2+4-1] = [4.5, 5];  y = 4.5 - 5 = -0.5
    assert np.allclose(model.forward(x), [[-0.5]])
    dx = model.backward(np.array([[1.0]]))
    # dL/dh = [1, -1];  dL/dx = [1*1 - 1*2, 1*3 - 1*4] = [-1, -1]
    assert np.allclose(dx, [[-1.0, -1.0]])
    assert np.allclose(model.get_layer("l1").grads["kernel"], [[1.0, -1.0], [1.0, -1.0]])
    assert np.allclose(model.get_layer("l2").grads["kernel"], [[4.5], [5.0]])
    assert np.allclose(model(x), [[-0.5]])


def test_get_and_set_weights():
    model = Sequential([Input(shape=(2,)), Dense(3), Dense(1)])
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(2, 3), (3,), (3, 1), (1,)]
    new = [np.full(w.shape, i, dtype=w.dtype) for i, w in enumerate(weights)]
    model.set_weights(new)
    for got, expected in zip(model.get_weights(), new):
        assert np.array_equal(got, expected)
    with pytest.raises(ValueError, match="4 weight arrays, received a list of 3"):
        model.set_weights(new[:3])


def test_get_layer():
    model = Sequential([Input(shape=(2,)), Dense(3, name="a"), Dense(1, name="b")])
    assert model.get_layer("b") is model.layers[1]
    assert model.get_layer(index=0).name == "a"
    with pytest.raises(ValueError, match="No such layer: c"):
        model.get_layer("c")
    with pytest.raises(ValueError, match="exactly one"):
        model.get_layer()


def test_wrong_input_shape_names_the_layer():
    model = Sequential([Dense(4, input_shape=(3,), name="first")])
    with pytest.raises(ValueError, match=r"'first'.*\(None, 3\).*\(None, 5\)"):
        model.predict(np.zeros((2, 5)), verbose=0)


def test_incompatible_layer_fails_when_added():
    model = Sequential([Input(shape=(6,))])
    with pytest.raises(ValueError, match="Reshape"):
        model.add(Reshape((4, 2)))
    assert model.layers == []            # the bad layer was not kept
    model.add(Reshape((3, 2)))
    assert model.output_shape == (None, 3, 2)


@pytest.mark.parametrize("bad, error, match", [
    ("dense", TypeError, "must be an instance of class Layer"),
    (np.zeros(3), TypeError, "must be an instance of class Layer"),
])
def test_add_rejects_non_layers(bad, error, match):
    with pytest.raises(error, match=match):
        Sequential().add(bad)


def test_input_only_first_and_unique_names():
    model = Sequential([Dense(2, name="x1")])
    with pytest.raises(ValueError, match="first element"):
        model.add(Input(shape=(3,)))
    with pytest.raises(ValueError, match="unique names"):
        model.add(Dense(2, name="x1"))
    with pytest.raises(TypeError, match="list of layers"):
        Sequential(layers="dense")


def test_pop_and_empty_model():
    model = Sequential([Input(shape=(2,)), Dense(3), Dense(1)])
    last = model.pop()
    assert isinstance(last, Dense) and model.output_shape == (None, 3)
    with pytest.raises(ValueError, match="no layers"):
        Sequential().predict(np.zeros((1, 2)), verbose=0)


def test_dropout_only_in_training():
    utils.set_random_seed(1)
    model = Sequential([Input(shape=(100,)), Dropout(0.5)])
    x = np.ones((4, 100), dtype="float32")
    assert np.array_equal(model.forward(x, training=False), x)
    y = model.forward(x, training=True)
    assert set(np.unique(y)) <= {0.0, 2.0} and (y == 0).any()


def test_gradient_check_float64(float64):
    utils.set_random_seed(2)
    model = Sequential([Input(shape=(4,)), Dense(5, activation="tanh"), Dense(3, activation="softmax")])
    x = np.random.default_rng(0).normal(size=(6, 4))
    errors = utils.check_gradients(model, x)
    assert set(errors) >= {"input"} and all(e < 1e-6 for e in errors.values())


@pytest.fixture
def float64():
    from nnlab import config
    with config.floatx_scope("float64"):
        yield
