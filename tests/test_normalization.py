"""Tests for nnlab.layers.BatchNormalization (lesson 10)."""
import os

import numpy as np
import pytest

import nnlab
from nnlab.layers import BatchNormalization, Conv2D, Dense, Flatten, Input
from nnlab.models import Sequential, load_model
from nnlab.utils import check_gradients

X = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 40.0], [7.0, 20.0]])


def test_training_forward_by_hand():
    # feature 0: mean 4, biased variance (9 + 1 + 1 + 9) / 4 = 5
    # feature 1: mean 20, biased variance (100 + 100 + 400 + 0) / 4 = 150
    bn = BatchNormalization(epsilon=1e-3)
    y = bn(X, training=True)
    expected0 = (X[:, 0] - 4.0) / np.sqrt(5.0 + 1e-3)
    expected1 = (X[:, 1] - 20.0) / np.sqrt(150.0 + 1e-3)
    np.testing.assert_allclose(y, np.stack([expected0, expected1], axis=1), rtol=1e-6)
    # moving = 0.99 * initial + 0.01 * batch (Keras' momentum convention)
    np.testing.assert_allclose(bn.params["moving_mean"], [0.04, 0.2], rtol=1e-6)
    np.testing.assert_allclose(bn.params["moving_variance"], [0.99 + 0.05, 0.99 + 1.5], rtol=1e-6)


def test_inference_uses_moving_statistics_and_gamma_beta():
    bn = BatchNormalization(epsilon=0.5)
    bn.build((2,))
    bn.set_weights([np.array([2.0, 1.0]), np.array([0.0, -1.0]),
                    np.array([1.0, 10.0]), np.array([1.5, 3.5])])
    # feature 0: 2 (x - 1) / sqrt(2) ; feature 1: (x - 10) / 2 - 1
    y = bn(np.array([[3.0, 14.0]]))
    np.testing.assert_allclose(y, [[2.0 * 2.0 / np.sqrt(2.0), 1.0]], rtol=1e-6)
    before = bn.get_weights()
    bn(X)                                                   # inference: nothing moves
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_order_trainable_split_and_summary_counts():
    model = Sequential([Input(shape=(4,)), Dense(3), BatchNormalization()])
    bn = model.layers[-1]
    assert list(bn.params) == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert list(bn.grads) == ["gamma", "beta"]
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    # Dense 4*3+3 = 15 and BN gamma+beta = 6 trainable; moving statistics 6 non-trainable
    assert "Total params: 27" in text and "Trainable params: 21" in text
    assert "Non-trainable params: 6" in text


@pytest.mark.parametrize("training", [True, False])
def test_gradients_dense_features(training):
    with nnlab.config.floatx_scope("float64"):
        bn = BatchNormalization(momentum=0.5)
        bn.build((3,))
    rng = np.random.default_rng(0)
    bn.set_weights([rng.normal(size=3), rng.normal(size=3), rng.normal(size=3),
                    rng.uniform(0.5, 2.0, size=3)])
    errors = check_gradients(bn, rng.normal(size=(5, 3)) * 3 + 1, training=training)
    assert set(errors) == {"input", f"{bn.name}/gamma", f"{bn.name}/beta"}


def test_gradients_images_and_other_axis():
    rng = np.random.default_rng(1)
    with nnlab.config.floatx_scope("float64"):
        check_gradients(BatchNormalization(), rng.normal(size=(3, 4, 4, 2)), training=True)
        check_gradients(BatchNormalization(axis=1), rng.normal(size=(4, 3, 2)), training=True)
        check_gradients(BatchNormalization(center=False, scale=False), rng.normal(size=(4, 3)),
                        training=True)


def test_frozen_layer_runs_in_inference_mode():
    bn = BatchNormalization()
    bn(X, training=True)
    moving = bn.get_weights()[2:]
    bn.trainable = False
    y = bn(X, training=True)
    np.testing.assert_array_equal(bn.get_weights()[2], moving[0])
    np.testing.assert_allclose(y, bn(X, training=False))


def test_fit_updates_moving_statistics_not_through_the_optimizer(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 4, 4, 1)).astype("float32") * 2 + 3
    model = Sequential([Input(shape=(4, 4, 1)), Conv2D(2, 3), BatchNormalization(),
                        Flatten(), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, rng.normal(size=(32, 1)), epochs=2, batch_size=8, verbose=0)
    bn = model.layers[1]
    assert not np.allclose(bn.params["moving_mean"], 0.0)
    # Adam keeps m and v for the 6 trainable arrays only (conv kernel/bias, gamma, beta,
    # dense kernel/bias), none for the two moving statistics
    assert len(model.trainable_weights) == 6
    assert sorted(model.optimizer.get_state()) == sorted(
        ["iterations"] + [f"adam/{s}/{i}" for i in range(6) for s in "mv"])
    model.save(tmp_path / "bn.keras")
    again = load_model(tmp_path / "bn.keras")
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("kwargs, match", [
    ({"axis": "last"}, "Expected `axis` to be an integer"),
    ({"momentum": 1.5}, "momentum=1.5"),
    ({"epsilon": 0}, "epsilon=0"),
    ({"gamma_initializer": "onez"}, "Unknown initializer"),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BatchNormalization(**kwargs)


def test_axis_outside_the_input():
    with pytest.raises(ValueError, match="axis=3 is not a feature axis of inputs of rank 2"):
        BatchNormalization(axis=3)(np.zeros((2, 3)))


def test_same_weights_same_training_step_as_keras():
    """Training-mode output and the moving statistics after one call, against Keras 3."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(4).normal(size=(6, 3, 3, 2)).astype("float32") * 2 + 1
    theirs = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    theirs.build(x.shape)
    weights = [np.array([1.5, 0.5]), np.array([0.1, -0.2]), np.array([0.3, -0.1]), np.array([2.0, 0.5])]
    theirs.set_weights([w.astype("float32") for w in weights])
    expected = np.asarray(theirs(x, training=True))
    ours = BatchNormalization(momentum=0.9, epsilon=1e-3)
    ours.build(x.shape[1:])
    ours.set_weights(weights)
    np.testing.assert_allclose(ours(x, training=True), expected, rtol=1e-5, atol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours(x), np.asarray(theirs(x, training=False)), rtol=1e-5, atol=1e-5)
