"""Tests for the activation layers ReLU, LeakyReLU and Softmax."""
import numpy as np
import pytest

import nnlab
from nnlab.layers import Dense, Input, LeakyReLU, ReLU, Softmax
from nnlab.models import Sequential, load_model
from nnlab.utils import check_gradients

X = np.array([[-2.0, -0.5, 0.5, 3.0, 7.0]])


def test_relu_options_by_hand():
    np.testing.assert_array_equal(ReLU()(X), [[0.0, 0.0, 0.5, 3.0, 7.0]])
    np.testing.assert_array_equal(ReLU(max_value=6.0)(X), [[0.0, 0.0, 0.5, 3.0, 6.0]])
    np.testing.assert_allclose(ReLU(negative_slope=0.1)(X), [[-0.2, -0.05, 0.5, 3.0, 7.0]])
    # threshold 1: below it, negative_slope * (x - 1)
    np.testing.assert_allclose(ReLU(negative_slope=0.5, threshold=1.0)(X),
                               [[-1.5, -0.75, -0.25, 3.0, 7.0]])
    assert not np.signbit(ReLU()(X)).any()


def test_leaky_relu_and_softmax_by_hand():
    np.testing.assert_allclose(LeakyReLU()(X), [[-0.6, -0.15, 0.5, 3.0, 7.0]])   # slope 0.3
    np.testing.assert_allclose(LeakyReLU(0.1)(X), [[-0.2, -0.05, 0.5, 3.0, 7.0]])
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(Softmax()(np.array([[1.0, 2.0, 3.0]])), [e / e.sum()])
    y = Softmax(axis=1)(np.array([[[0.0], [np.log(3.0)]]]))
    np.testing.assert_allclose(y[0, :, 0], [0.25, 0.75])


@pytest.mark.parametrize("make", [lambda: ReLU(), lambda: ReLU(max_value=2.0, negative_slope=0.2),
                                  lambda: ReLU(threshold=0.3, negative_slope=0.1),
                                  lambda: LeakyReLU(), lambda: Softmax(), lambda: Softmax(axis=1)])
def test_gradients(make):
    x = np.array([[-1.7, -0.4, 0.9, 2.6], [1.3, -2.2, 0.1, 3.1]])        # no kinks within 1e-6
    with nnlab.config.floatx_scope("float64"):
        layer = make()
    check_gradients(layer, x.reshape(2, 2, 2) if getattr(layer, "axis", -1) == 1 else x)


@pytest.mark.parametrize("make, match", [
    (lambda: ReLU(max_value=-1), "max_value"), (lambda: ReLU(negative_slope=-0.1), "negative_slope"),
    (lambda: ReLU(threshold="0"), "threshold"), (lambda: LeakyReLU(-1), "negative_slope"),
    (lambda: Softmax(axis=1.5), "axis")])
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_keras_default_names_and_round_trip(tmp_path):
    model = Sequential([Input(shape=(5,)), Dense(4), ReLU(max_value=6.0), Dense(3),
                        LeakyReLU(0.1), Softmax()])
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "ReLU", "Dense", "LeakyReLU", "Softmax"]
    assert model.layers[1].name.startswith("re_lu") and model.layers[3].name.startswith("leaky_re_lu")
    model.compile(loss="categorical_crossentropy")
    model.save(tmp_path / "a.keras")
    again = load_model(tmp_path / "a.keras")
    np.testing.assert_array_equal(again.predict(X, verbose=0), model.predict(X, verbose=0))
    assert again.layers[1].max_value == 6.0 and again.layers[3].negative_slope == 0.1
