"""Tests for the augmentation layers in nnlab.layers.preprocessing (lesson 10)."""
import numpy as np
import pytest

from nnlab.layers import (Conv2D, Dense, Flatten, Input, RandomFlip, RandomRotation,
                          RandomTranslation, RandomZoom)
from nnlab.models import Sequential, load_model

IMG = np.arange(12.0).reshape(1, 3, 4, 1)          # rows [0 1 2 3], [4 5 6 7], [8 9 10 11]


def test_inference_is_the_identity_for_every_layer():
    for layer in (RandomFlip(), RandomTranslation(0.3, 0.3), RandomRotation(0.2), RandomZoom(0.3)):
        y = layer(IMG)
        assert y is IMG or np.array_equal(y, IMG)
        np.testing.assert_array_equal(layer.backward(np.ones_like(IMG)), np.ones_like(IMG))


def test_flip_by_hand():
    x = np.repeat(IMG, 64, axis=0)
    y = RandomFlip("horizontal", seed=0)(x, training=True)
    left_right = IMG[:, :, ::-1]
    flipped = [np.array_equal(s, left_right[0]) for s in y]
    kept = [np.array_equal(s, IMG[0]) for s in y]
    assert all(f or k for f, k in zip(flipped, kept))
    assert 16 < sum(flipped) < 48                      # about half of 64
    y = RandomFlip("vertical", seed=1)(x, training=True)
    assert all(np.array_equal(s, IMG[0]) or np.array_equal(s, IMG[0, ::-1]) for s in y)


def test_translation_by_whole_pixels_by_hand():
    # height factor exactly 1/3 of 3 rows = 1 row down; width 0
    layer = RandomTranslation((1 / 3, 1 / 3), (0.0, 0.0), fill_mode="constant", fill_value=-1.0)
    y = layer(IMG, training=True)[0, :, :, 0]
    np.testing.assert_allclose(y, [[-1, -1, -1, -1], [0, 1, 2, 3], [4, 5, 6, 7]], atol=1e-12)
    y = RandomTranslation((0.0, 0.0), (-0.25, -0.25), fill_mode="reflect")(IMG, training=True)
    # one column to the left; the last column reflects (d c b a | a b c d | d c b a)
    np.testing.assert_allclose(y[0, :, :, 0], [[1, 2, 3, 3], [5, 6, 7, 7], [9, 10, 11, 11]], atol=1e-12)
    y = RandomTranslation((0.0, 0.0), (0.25, 0.25), fill_mode="wrap")(IMG, training=True)
    np.testing.assert_allclose(y[0, :, :, 0], [[3, 0, 1, 2], [7, 4, 5, 6], [11, 8, 9, 10]], atol=1e-12)
    y = RandomTranslation((0.0, 0.0), (0.5, 0.5), fill_mode="nearest")(IMG, training=True)
    np.testing.assert_allclose(y[0, :, :, 0], [[0, 0, 0, 1], [4, 4, 4, 5], [8, 8, 8, 9]], atol=1e-12)


def test_half_pixel_shift_is_bilinear_average():
    y = RandomTranslation((0.0, 0.0), (0.125, 0.125), fill_mode="nearest")(IMG, training=True)
    np.testing.assert_allclose(y[0, 0, :, 0], [0.0, 0.5, 1.5, 2.5])


def test_rotation_quarter_turn_is_counter_clockwise():
    x = np.zeros((1, 3, 3, 1))
    x[0, 0, 1, 0] = 1.0                                 # top centre
    y = RandomRotation((0.25, 0.25), fill_mode="constant")(x, training=True)[0, :, :, 0]
    expected = np.zeros((3, 3))
    expected[1, 0] = 1.0                                # counter-clockwise: to the left centre
    np.testing.assert_allclose(y, expected, atol=1e-12)


def test_zoom_in_by_hand():
    x = np.zeros((1, 5, 5, 1))
    x[0, 1:4, 1:4, 0] = 1.0
    # factor -0.5: z = 0.5, output pixel r reads 2 + 0.5 (r - 2): the 3x3 square fills more
    y = RandomZoom((-0.5, -0.5), interpolation="nearest", fill_mode="constant")(x, training=True)
    np.testing.assert_array_equal(y[0, :, :, 0] > 0, np.ones((5, 5), bool))
    y = RandomZoom((1.0, 1.0), interpolation="nearest", fill_mode="constant")(x, training=True)
    assert y[0, 2, 2, 0] == 1.0 and y[0, 0, 0, 0] == 0.0    # zoom out: the square shrinks


@pytest.mark.parametrize("layer", [
    RandomTranslation(0.3, 0.2, seed=3), RandomRotation(0.2, seed=4, fill_mode="wrap"),
    RandomZoom(0.4, 0.2, seed=5, fill_mode="constant"), RandomFlip(seed=6),
    RandomRotation(0.1, seed=7, interpolation="nearest", fill_mode="nearest")])
def test_backward_is_the_transpose_of_forward(layer):
    """y = A x for the drawn A, so <A x, g> = <x, A^T g> for any x and g."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 6, 2))
    layer.fill_value = 0.0
    y = layer(x, training=True)
    g = rng.normal(size=y.shape)
    dx = layer.backward(g)
    assert np.sum(y * g) == pytest.approx(np.sum(x * dx), rel=1e-10)


def test_seeded_layers_repeat_and_fit_uses_them(tmp_path):
    a = RandomRotation(0.1, seed=11)(np.repeat(IMG, 4, axis=0), training=True)
    b = RandomRotation(0.1, seed=11)(np.repeat(IMG, 4, axis=0), training=True)
    np.testing.assert_array_equal(a, b)
    model = Sequential([Input(shape=(3, 4, 1)), RandomTranslation(0.2, 0.2, seed=1),
                        RandomZoom(0.1, seed=2), Conv2D(2, 2), Flatten(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.repeat(IMG, 8, axis=0), np.ones((8, 1)), epochs=1, verbose=0)
    model.save(tmp_path / "aug.keras")
    again = load_model(tmp_path / "aug.keras")
    assert again.layers[0].get_config() == model.layers[0].get_config()
    np.testing.assert_array_equal(again.predict(IMG, verbose=0), model.predict(IMG, verbose=0))


@pytest.mark.parametrize("make, match", [
    (lambda: RandomFlip("diagonal"), "mode"),
    (lambda: RandomTranslation(2.0, 0.1), r"inside \[-1.0, 1.0\]"),
    (lambda: RandomTranslation((0.2, 0.1), 0.1), "lower <= upper"),
    (lambda: RandomRotation("a lot"), "number or a pair"),
    (lambda: RandomZoom((-1.5, 0.0)), "above -1"),
    (lambda: RandomZoom(0.1, fill_mode="mirror"), "fill_mode"),
    (lambda: RandomZoom(0.1, interpolation="cubic"), "interpolation"),
    (lambda: RandomFlip(seed=1.5), "seed"),
])
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_needs_images():
    with pytest.raises(ValueError, match="RandomFlip"):
        RandomFlip()(np.zeros((2, 5)))
