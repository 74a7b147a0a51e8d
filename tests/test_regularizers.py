"""Tests for nnlab.regularizers and their use in layers and training (lesson 10)."""
import numpy as np
import pytest

import nnlab
from nnlab import regularizers
from nnlab.layers import Conv2D, Dense, Input
from nnlab.models import Sequential, load_model

W = np.array([[1.0, -2.0], [0.0, 3.0]])


def test_penalties_and_gradients_by_hand():
    # L1: 0.1 * (1 + 2 + 0 + 3) = 0.6;  L2: 0.01 * (1 + 4 + 0 + 9) = 0.14
    assert regularizers.L1(0.1)(W) == pytest.approx(0.6)
    assert regularizers.L2(0.01)(W) == pytest.approx(0.14)
    assert regularizers.L1L2(l1=0.1, l2=0.01)(W) == pytest.approx(0.74)
    np.testing.assert_allclose(regularizers.L1(0.1).gradient(W), [[0.1, -0.1], [0.0, 0.1]])
    np.testing.assert_allclose(regularizers.L2(0.01).gradient(W), [[0.02, -0.04], [0.0, 0.06]])
    assert regularizers.L2().l2 == 0.01 and regularizers.L1().l1 == 0.01     # Keras defaults
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}


@pytest.mark.parametrize("reg", [regularizers.L1(0.3), regularizers.L2(0.2),
                                 regularizers.L1L2(0.1, 0.4)])
def test_gradient_matches_central_differences(reg):
    w = np.array([[0.7, -1.3], [2.1, -0.4]])
    numeric = nnlab.utils.numerical_gradient(lambda: reg(w), w)
    np.testing.assert_allclose(reg.gradient(w), numeric, atol=1e-7)


def test_get_and_serialize():
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert isinstance(regularizers.get("L1"), regularizers.L1)
    assert isinstance(regularizers.get("l1_l2"), regularizers.L1L2)
    assert regularizers.get(None) is None
    again = regularizers.get(regularizers.serialize(regularizers.L1L2(0.5, 0.25)))
    assert again.get_config() == {"l1": 0.5, "l2": 0.25}
    with pytest.raises(ValueError, match="Unknown regularizer: 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match=r"non-negative number.*l2=-1"):
        regularizers.L2(-1)
    with pytest.raises(ValueError, match="Could not interpret regularizer"):
        regularizers.get(3.0)


def test_fit_adds_the_penalty_to_the_loss_and_its_gradient_to_the_update():
    """One SGD step, lr 0.1, on a Dense(1) without bias: loss = mean((xw - y)²) + l2 w²."""
    layer = Dense(1, use_bias=False, kernel_initializer="ones",
                  kernel_regularizer=regularizers.L2(0.5))
    model = Sequential([Input(shape=(1,)), layer])
    model.compile(optimizer=nnlab.optimizers.SGD(0.1), loss="mse")
    x, y = np.array([[2.0]]), np.array([[1.0]])
    # before the step: w = 1, data loss (2 - 1)² = 1, penalty 0.5 * 1 = 0.5
    assert model.evaluate(x, y, verbose=0) == pytest.approx(1.5)
    history = model.fit(x, y, epochs=1, batch_size=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(1.5)
    # gradient: 2 (xw - y) x + 2 * 0.5 * w = 4 + 1 = 5  ->  w = 1 - 0.1 * 5 = 0.5
    assert layer.get_weights()[0][0, 0] == pytest.approx(0.5)
    assert model.losses == [pytest.approx(0.5 * 0.25)]


def test_frozen_layer_has_no_penalty():
    layer = Dense(1, kernel_initializer="ones", kernel_regularizer="l2")
    Sequential([Input(shape=(3,)), layer])
    assert layer.losses == [pytest.approx(0.03)]
    layer.trainable = False
    assert layer.losses == []


def test_conv_regularizer_and_round_trip(tmp_path):
    model = Sequential([Input(shape=(5, 5, 1)),
                        Conv2D(2, 3, kernel_regularizer=regularizers.L1(0.01),
                               bias_regularizer=regularizers.L2(0.1))])
    kernel, bias = model.layers[0].get_weights()
    assert model.losses[0] == pytest.approx(0.01 * np.abs(kernel).sum())
    model.compile(loss="mse")
    model.save(tmp_path / "m.keras")
    layer = load_model(tmp_path / "m.keras").layers[0]
    assert isinstance(layer.kernel_regularizer, regularizers.L1) and layer.kernel_regularizer.l1 == 0.01
    assert isinstance(layer.bias_regularizer, regularizers.L2) and layer.bias_regularizer.l2 == 0.1
