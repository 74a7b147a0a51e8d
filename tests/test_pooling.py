"""Pooling layers: the document's max-pool example, hand-computed routing of gradients
(ties, overlapping windows, 'same' padding), errors, float64 gradient checks, configs."""
import json

import numpy as np
import pytest

from nnlab.layers import AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D
from nnlab.utils import check_gradients

X = np.array([[1, 3, 2, 4],
              [5, 6, 2, 3],
              [1, 2, 3, 4],
              [3, 2, 1, 3]], dtype=float)


def image(a):
    return np.asarray(a, dtype=float).reshape((1,) + np.shape(a) + (1,))


def test_max_pool_document_example():
    layer = MaxPooling2D()
    np.testing.assert_array_equal(layer(image(X))[0, :, :, 0], [[6, 4], [3, 4]])
    # The gradient of each window goes to its maximum: 6 at (1,1), 4 at (0,3),
    # 3 at (3,0) and, in the bottom-right window [[3, 4], [1, 3]], the 4 at (2,3).
    dx = layer.backward(image([[10, 20], [30, 40]]))[0, :, :, 0]
    expected = np.zeros((4, 4))
    expected[1, 1], expected[0, 3], expected[3, 0], expected[2, 3] = 10, 20, 30, 40
    np.testing.assert_array_equal(dx, expected)


def test_max_pool_ties_go_to_first_max_in_row_major_order():
    layer = MaxPooling2D()
    layer(image([[1, 1], [1, 0]]))
    np.testing.assert_array_equal(layer.backward(image([[5]]))[0, :, :, 0], [[5, 0], [0, 0]])
    layer(image([[0, 2], [2, 1]]))
    np.testing.assert_array_equal(layer.backward(image([[5]]))[0, :, :, 0], [[0, 5], [0, 0]])
    # the general (overlapping) path uses the same rule
    layer = MaxPooling2D(2, strides=1)
    layer(image([[3, 3, 0], [3, 3, 0], [0, 0, 0]]))
    # windows: top-left all 3s -> (0,0); top-right [[3,0],[3,0]] -> (0,1);
    # bottom-left [[3,3],[0,0]] -> (1,0); bottom-right [[3,0],[0,0]] -> (1,1)
    np.testing.assert_array_equal(layer.backward(image(np.ones((2, 2))))[0, :, :, 0],
                                  [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_max_pool_overlapping_windows_accumulate():
    layer = MaxPooling2D(2, strides=1)
    y = layer(image([[1, 2, 1], [2, 9, 2], [1, 2, 1]]))
    np.testing.assert_array_equal(y[0, :, :, 0], [[9, 9], [9, 9]])
    # the centre is the max of all four windows: it receives 1 + 2 + 3 + 4
    dx = layer.backward(image([[1, 2], [3, 4]]))[0, :, :, 0]
    np.testing.assert_array_equal(dx, [[0, 0, 0], [0, 10, 0], [0, 0, 0]])


def test_same_padding_by_hand():
    x = image(np.arange(1.0, 10.0).reshape(3, 3))
    # 3x3 input, pool 2, stride 2, 'same': output ceil(3/2) = 2; pad_total = 1, after.
    # Windows: rows 0-1/cols 0-1, rows 0-1/col 2, row 2/cols 0-1, row 2/col 2.
    np.testing.assert_array_equal(MaxPooling2D(padding="same")(x)[0, :, :, 0], [[5, 6], [8, 9]])
    # Average over the real cells only (TensorFlow): (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9/1.
    avg = AveragePooling2D(padding="same")
    np.testing.assert_allclose(avg(x)[0, :, :, 0], [[3, 4.5], [7.5, 9]])
    dx = avg.backward(image([[4, 2], [2, 1]]))[0, :, :, 0]
    np.testing.assert_allclose(dx, [[1, 1, 1], [1, 1, 1], [1, 1, 1]])


def test_average_pool_by_hand():
    layer = AveragePooling2D()
    # (1+3+5+6)/4, (2+4+2+3)/4, (1+2+3+2)/4, (3+4+1+3)/4
    np.testing.assert_allclose(layer(image(X))[0, :, :, 0], [[3.75, 2.75], [2.0, 2.75]])
    dx = layer.backward(image([[4, 8], [12, 16]]))[0, :, :, 0]
    np.testing.assert_allclose(dx, np.kron([[1, 2], [3, 4]], np.ones((2, 2))))


def test_odd_sizes_drop_the_remainder_with_valid():
    x = np.arange(5 * 7, dtype=float).reshape(1, 5, 7, 1)
    layer = MaxPooling2D()
    y = layer(x)
    assert y.shape == (1, 2, 3, 1)
    np.testing.assert_array_equal(y[0, :, :, 0], x[0, [1, 3]][:, [1, 3, 5], 0])
    dx = layer.backward(np.ones_like(y))
    assert dx.shape == x.shape and dx[0, 4].sum() == 0 and dx[0, :, 6].sum() == 0


def test_channels_and_batch_are_independent():
    rng = np.random.default_rng(0)
    x = rng.permutation(2 * 4 * 4 * 3).reshape(2, 4, 4, 3).astype(float)
    y = MaxPooling2D()(x)
    for n in range(2):
        for c in range(3):
            for i in range(2):
                for j in range(2):
                    assert y[n, i, j, c] == x[n, 2 * i:2 * i + 2, 2 * j:2 * j + 2, c].max()


POOL_CONFIGS = [  # (h, w, pool_size, strides, padding)
    (4, 4, 2, None, "valid"),
    (5, 7, 2, None, "valid"),
    (6, 6, 2, 1, "valid"),
    (7, 6, 3, 2, "same"),
    (5, 5, 2, None, "same"),
    (5, 6, (2, 3), (1, 2), "same"),
    (6, 5, 2, 3, "valid"),
]


@pytest.mark.parametrize("h, w, pool, strides, padding", POOL_CONFIGS)
@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
def test_gradients(cls, h, w, pool, strides, padding):
    # distinct values (no ties), spaced far more than the finite-difference step
    x = np.random.default_rng(1).permutation(2 * h * w * 3).reshape(2, h, w, 3) / 10.0
    layer = cls(pool, strides, padding)
    errors = check_gradients(layer, x)
    assert list(errors) == ["input"]


@pytest.mark.parametrize("h, w, pool, strides, padding", POOL_CONFIGS)
def test_output_shapes(h, w, pool, strides, padding):
    layer = MaxPooling2D(pool, strides, padding)
    y = layer(np.zeros((2, h, w, 3)))
    p = (pool, pool) if isinstance(pool, int) else pool
    s = p if strides is None else ((strides, strides) if isinstance(strides, int) else strides)
    if padding == "same":
        expected = (-(-h // s[0]), -(-w // s[1]))
    else:
        expected = ((h - p[0]) // s[0] + 1, (w - p[1]) // s[1] + 1)
    assert y.shape == (2,) + expected + (3,) and layer.output_shape == expected + (3,)


def test_float32_is_kept():
    x = np.random.default_rng(2).normal(size=(2, 6, 6, 3)).astype("float32")
    for layer in (MaxPooling2D(), AveragePooling2D(3, 2, "same"), GlobalAveragePooling2D()):
        y = layer(x)
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32


def test_global_average_pooling():
    x = np.arange(2 * 2 * 3 * 2, dtype=float).reshape(2, 2, 3, 2)
    layer = GlobalAveragePooling2D()
    y = layer(x)
    # sample 0, channel 0: mean of 0, 2, 4, 6, 8, 10 = 5; channel 1: 6
    np.testing.assert_allclose(y, [[5, 6], [17, 18]])
    dx = layer.backward(np.array([[6.0, 12.0], [0.0, 6.0]]))
    np.testing.assert_allclose(dx[0, :, :, 0], np.ones((2, 3)))
    np.testing.assert_allclose(dx[0, :, :, 1], 2 * np.ones((2, 3)))
    keep = GlobalAveragePooling2D(keepdims=True)
    assert keep(x).shape == (2, 1, 1, 2) and keep.output_shape == (1, 1, 2)
    check_gradients(GlobalAveragePooling2D(), np.random.default_rng(3).normal(size=(2, 3, 4, 5)))
    check_gradients(GlobalAveragePooling2D(keepdims=True), np.random.default_rng(4).normal(size=(2, 3, 4, 5)))


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize("kwargs, match", [
    ({"pool_size": 0}, "pool_size=0"),
    ({"pool_size": (2,)}, r"pool_size=\(2,\)"),
    ({"strides": -1}, "strides=-1"),
    ({"padding": "full"}, "padding='full'"),
    ({"data_format": "channels_first"}, "only data_format='channels_last'"),
])
def test_invalid_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_wrong_input_shapes():
    with pytest.raises(ValueError, match=r"'p'.*\(None, 4, 4\)"):
        MaxPooling2D(name="p")(np.zeros((1, 4, 4)))
    layer = AveragePooling2D(name="a")
    layer(np.zeros((1, 4, 4, 1)))
    with pytest.raises(ValueError, match=r"'a'.*\(None, 4, 4, 1\).*\(None, 6, 6, 1\)"):
        layer(np.zeros((1, 6, 6, 1)))
    with pytest.raises(ValueError, match="does not fit"):
        MaxPooling2D(3)(np.zeros((1, 2, 2, 1)))
    with pytest.raises(ValueError, match="GlobalAveragePooling2D"):
        GlobalAveragePooling2D()(np.zeros((2, 5)))


@pytest.mark.parametrize("layer", [
    MaxPooling2D((3, 2), strides=1, padding="same", name="mp"),
    AveragePooling2D(),
    GlobalAveragePooling2D(keepdims=True),
])
def test_config_round_trip(layer):
    cfg = json.loads(json.dumps(layer.get_config()))
    assert type(layer).from_config(cfg).get_config() == cfg


def test_default_names_are_keras_names():
    assert MaxPooling2D().name.startswith("max_pooling2d")
    assert AveragePooling2D().name.startswith("average_pooling2d")
    assert GlobalAveragePooling2D().name.startswith("global_average_pooling2d")


@pytest.mark.parametrize("pool, strides", [(2, None), (3, 2), (2, 1)])
def test_max_pool_matches_pytorch_if_installed(pool, strides):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(5).permutation(2 * 7 * 6 * 3).reshape(2, 7, 6, 3).astype(float)
    layer = MaxPooling2D(pool, strides)
    y = layer(x)
    g = np.random.default_rng(6).normal(size=y.shape)
    tx = torch.tensor(x).permute(0, 3, 1, 2).requires_grad_()
    ty = torch.nn.functional.max_pool2d(tx, pool, stride=strides or pool)
    (ty * torch.tensor(g).permute(0, 3, 1, 2)).sum().backward()
    np.testing.assert_array_equal(y, ty.detach().permute(0, 2, 3, 1).numpy())
    np.testing.assert_allclose(layer.backward(g), tx.grad.permute(0, 2, 3, 1).numpy(), rtol=1e-12)


def test_docstring_examples():
    import doctest
    import importlib

    import nnlab
    module = importlib.import_module("nnlab.layers.pooling")
    globs = {**vars(module), "np": np, "nnlab": nnlab}
    result = doctest.testmod(module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("layer", [MaxPooling2D(name="p0"), AveragePooling2D(name="p0"),
                                   GlobalAveragePooling2D(name="p0")])
def test_direct_forward_needs_images(layer):
    with pytest.raises(ValueError, match=r"'p0'.*\(batch, height, width, channels\).*\(None, 4, 4\)"):
        layer.forward(np.ones((2, 4, 4)))


def test_global_max_pooling_by_hand_ties_and_gradients():
    from nnlab.layers import GlobalMaxPooling2D
    x = np.zeros((2, 2, 3, 2))
    x[0, :, :, 0] = [[1, 5, 2], [0, 3, 4]]
    x[0, :, :, 1] = [[7, 1, 7], [2, 0, 1]]          # a tie: the first 7 (row-major) wins
    x[1, :, :, 0] = [[-1, -2, -3], [-4, -5, -6]]
    x[1, :, :, 1] = [[0, 0, 0], [0, 0, 9]]
    layer = GlobalMaxPooling2D()
    np.testing.assert_array_equal(layer(x), [[5.0, 7.0], [-1.0, 9.0]])
    dx = layer.backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    expected = np.zeros_like(x)
    expected[0, 0, 1, 0] = 1.0
    expected[0, 0, 0, 1] = 2.0
    expected[1, 0, 0, 0] = 3.0
    expected[1, 1, 2, 1] = 4.0
    np.testing.assert_array_equal(dx, expected)
    keep = GlobalMaxPooling2D(keepdims=True)
    assert keep(x).shape == (2, 1, 1, 2) and keep.name.startswith("global_max_pooling2d")
    distinct = np.random.default_rng(5).permutation(2 * 3 * 4 * 5).reshape(2, 3, 4, 5) / 10.0
    check_gradients(GlobalMaxPooling2D(), distinct)
    check_gradients(GlobalMaxPooling2D(keepdims=True), distinct)


def test_1d_pooling_channels_first_advice_is_for_sequences():
    from nnlab.layers import GlobalAveragePooling1D, GlobalMaxPooling1D
    for cls in (GlobalAveragePooling1D, GlobalMaxPooling1D):
        with pytest.raises(ValueError, match=r"steps, channels.*x\.transpose\(0, 2, 1\)"):
            cls(data_format="channels_first")
