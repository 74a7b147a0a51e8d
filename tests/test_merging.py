"""Tests for nnlab.layers.merging: Add and Concatenate (lesson 15)."""
import numpy as np
import pytest

import nnlab
from nnlab.layers import Add, Concatenate, Dense, Input
from nnlab.models import Model, load_model
from nnlab.utils import check_gradients


def test_add_sums_its_inputs_by_hand():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    b = np.array([[10.0, 20.0], [30.0, 40.0]])
    c = np.array([[0.5, 0.5], [0.5, 0.5]])
    np.testing.assert_array_equal(Add()([a, b, c]), [[11.5, 22.5], [33.5, 44.5]])
    layer = Add()
    layer([a, b])
    ga, gb = layer.backward(np.array([[1.0, -1.0], [2.0, 0.0]]))
    np.testing.assert_array_equal(ga, [[1.0, -1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(gb, [[1.0, -1.0], [2.0, 0.0]])
    assert not np.shares_memory(Add()([a, b]), a)          # the first input is not modified


def test_concatenate_joins_and_splits_back_by_hand():
    a = np.array([[1.0, 2.0]])
    b = np.array([[3.0]])
    layer = Concatenate()
    np.testing.assert_array_equal(layer([a, b]), [[1.0, 2.0, 3.0]])
    ga, gb = layer.backward(np.array([[7.0, 8.0, 9.0]]))
    np.testing.assert_array_equal(ga, [[7.0, 8.0]])
    np.testing.assert_array_equal(gb, [[9.0]])
    np.testing.assert_array_equal(Concatenate()([b, a]), [[3.0, 1.0, 2.0]])   # order matters
    images = [np.zeros((2, 4, 4, 1)), np.ones((2, 4, 4, 3))]
    assert Concatenate()(images).shape == (2, 4, 4, 4)
    joined = Concatenate(axis=1)(images[:1] * 2)
    assert joined.shape == (2, 8, 4, 1)


def test_symbolic_shapes_and_errors():
    x = Input(shape=(4,))
    a, b = Dense(3)(x), Dense(5)(x)
    assert Concatenate()([a, b]).shape == (None, 8)
    with pytest.raises(ValueError, match=r"Add\) needs inputs of one shape.*\(None, 3\), \(None, 5\)"):
        Add()([a, b])
    with pytest.raises(ValueError, match="list of at least 2 inputs"):
        Add()(a)
    with pytest.raises(ValueError, match="list of at least 2 inputs"):
        Concatenate()([a])
    with pytest.raises(ValueError, match="agree except on the concatenation axis"):
        Concatenate(axis=1)([np.zeros((2, 3, 1)), np.zeros((2, 3, 2))])
    with pytest.raises(ValueError, match="axis=0 is not a feature axis"):
        Concatenate(axis=0)([np.zeros((2, 3)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match="Expected `axis` to be an integer"):
        Concatenate(axis="last")
    with pytest.raises(ValueError, match="different batch sizes"):
        Add()([np.zeros((2, 3)), np.zeros((3, 3))])
    layer = Add()
    layer([np.zeros((2, 3)), np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"built for inputs of shapes \[\(3,\), \(3,\)\]"):
        layer([np.zeros((2, 4)), np.zeros((2, 4))])


def _branching():
    x = Input(shape=(3,))
    a = Dense(4, activation="tanh", name="a")(x)
    b = Dense(4, activation="sigmoid", name="b")(x)
    c = Dense(2, name="c")(x)
    s = Add(name="add")([a, b])
    j = Concatenate(name="cat")([s, c])
    return Model(x, Dense(2, name="head")(j))


def test_gradients_through_add_and_concatenate():
    with nnlab.config.floatx_scope("float64"):
        model = _branching()
    errors = check_gradients(model, np.random.default_rng(0).normal(size=(5, 3)))
    assert set(errors) == {"input", "a/kernel", "a/bias", "b/kernel", "b/bias", "c/kernel",
                           "c/bias", "head/kernel", "head/bias"}


def test_branching_model_saves_and_loads(tmp_path):
    model = _branching()
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(1).normal(size=(8, 3)).astype("float32")
    model.fit(x, np.zeros((8, 2)), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in again.layers] == [
        "InputLayer", "Dense", "Dense", "Add", "Dense", "Concatenate", "Dense"]
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
