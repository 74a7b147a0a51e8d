"""Conv2D: the document's worked example by hand, a naive loop reference, TensorFlow's
'same' padding, argument and shape errors, float64 gradient checks, config."""
import json
import math

import numpy as np
import pytest

from nnlab import config
from nnlab.layers import Conv2D
from nnlab.utils import check_gradients


def naive_conv(x, kernel, bias, strides, padding):
    """Reference: S(i, j) = Σ_m Σ_n I(i·s + m, j·s + n) · K(m, n), four plain loops.

    'same' padding written from TensorFlow's documentation: out = ceil(n / s),
    pad_total = max((out - 1)·s + k - n, 0), pad_top = pad_total // 2.
    """
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    sh, sw = strides
    if padding == "same":
        oh, ow = math.ceil(h / sh), math.ceil(w / sw)
        top = max((oh - 1) * sh + kh - h, 0) // 2
        left = max((ow - 1) * sw + kw - w, 0) // 2
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
        top = left = 0
    out = np.zeros((n, oh, ow, f))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for k in range(f):
                    total = bias[k]
                    for m in range(kh):
                        for l in range(kw):
                            r, q = i * sh + m - top, j * sw + l - left
                            if 0 <= r < h and 0 <= q < w:
                                total += np.dot(x[b, r, q, :], kernel[m, l, :, k])
                    out[b, i, j, k] = total
    return out


# Document 000 §4.1's input and kernel.
I = np.array([[1, 0, 2, 1, 0],
              [0, 1, 0, 2, 1],
              [2, 1, 3, 0, 1],
              [1, 2, 1, 1, 0],
              [0, 1, 2, 0, 1]], dtype=float)
K = np.array([[1, 0, 1],
              [1, 1, 0],
              [0, 1, 1]], dtype=float)


def test_document_example_by_hand():
    # K has ones at (0,0), (0,2), (1,0), (1,1), (2,1), (2,2), so
    # S(i,j) = I(i,j) + I(i,j+2) + I(i+1,j) + I(i+1,j+1) + I(i+2,j+1) + I(i+2,j+2).
    # S(0,0) = 1 + 2 + 0 + 1 + 1 + 3 = 8
    # S(0,1) = 0 + 1 + 1 + 0 + 3 + 0 = 5      S(0,2) = 2 + 0 + 0 + 2 + 0 + 1 = 5
    # S(1,0) = 0 + 0 + 2 + 1 + 2 + 1 = 6      S(1,1) = 1 + 2 + 1 + 3 + 1 + 1 = 9
    # S(1,2) = 0 + 1 + 3 + 0 + 1 + 0 = 5      S(2,0) = 2 + 3 + 1 + 2 + 1 + 2 = 11
    # S(2,1) = 1 + 0 + 2 + 1 + 2 + 0 = 6      S(2,2) = 3 + 1 + 1 + 1 + 0 + 1 = 7
    # A 5x5 input and a 3x3 kernel give (5 - 3) + 1 = 3 rows and columns, not 4x5.
    expected = np.array([[8, 5, 5], [6, 9, 5], [11, 6, 7]], dtype=float)
    layer = Conv2D(1, 3, use_bias=False)
    layer.build((5, 5, 1))
    layer.set_weights([K.reshape(3, 3, 1, 1)])
    np.testing.assert_array_equal(layer(I.reshape(1, 5, 5, 1))[0, :, :, 0], expected)


def test_same_padding_by_hand():
    # 7x6 ones, 3x3 ones kernel, stride 2, 'same': output ceil(7/2) x ceil(6/2) = 4x3.
    # Rows: pad_total = (4-1)*2 + 3 - 7 = 2 -> 1 on top, 1 below; windows cover rows
    # -1..1, 1..3, 3..5, 5..7 -> 2, 3, 3, 2 real rows.
    # Columns: pad_total = (3-1)*2 + 3 - 6 = 1 -> 0 left, 1 right (extra on the right);
    # windows cover 0..2, 2..4, 4..6 -> 3, 3, 2 real columns.
    layer = Conv2D(1, 3, strides=2, padding="same", use_bias=False, kernel_initializer="ones")
    y = layer(np.ones((1, 7, 6, 1)))[0, :, :, 0]
    np.testing.assert_array_equal(y, np.outer([2, 3, 3, 2], [3, 3, 2]))
    # An even kernel: 2x2 on 3x3, stride 1: pad_total 1, all of it bottom/right.
    layer = Conv2D(1, 2, padding="same", use_bias=False, kernel_initializer="ones")
    np.testing.assert_array_equal(layer(np.ones((1, 3, 3, 1)))[0, :, :, 0],
                                  [[4, 4, 2], [4, 4, 2], [2, 2, 1]])


CONFIGS = [  # (h, w, c, filters, kernel, strides, padding)
    (5, 5, 1, 1, 3, 1, "valid"),
    (6, 7, 2, 3, 3, 1, "same"),
    (7, 6, 2, 3, 3, 2, "same"),
    (7, 6, 3, 2, 3, 2, "valid"),
    (8, 5, 1, 4, (2, 3), (2, 1), "same"),
    (6, 6, 4, 2, (1, 1), 1, "valid"),
    (5, 6, 2, 2, (4, 2), (3, 2), "same"),
]


@pytest.mark.parametrize("h, w, c, filters, kernel, strides, padding", CONFIGS)
def test_matches_naive_reference(h, w, c, filters, kernel, strides, padding):
    rng = np.random.default_rng(0)
    with config.floatx_scope("float64"):
        layer = Conv2D(filters, kernel, strides=strides, padding=padding,
                       bias_initializer="random_normal")
    x = rng.normal(size=(2, h, w, c))
    y = layer(x)
    W, b = layer.get_weights()
    expected = naive_conv(x, W, b, layer.strides, padding)
    assert y.shape == expected.shape == (2,) + layer.output_shape
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("h, w, c, filters, kernel, strides, padding", CONFIGS)
@pytest.mark.parametrize("activation", [None, "tanh"])
def test_gradients(h, w, c, filters, kernel, strides, padding, activation):
    with config.floatx_scope("float64"):
        layer = Conv2D(filters, kernel, strides=strides, padding=padding,
                       activation=activation, bias_initializer="random_normal")
    errors = check_gradients(layer, np.random.default_rng(1).normal(size=(2, h, w, c)))
    assert set(errors) == {"input", f"{layer.name}/kernel", f"{layer.name}/bias"}


def test_gradients_relu_no_bias():
    with config.floatx_scope("float64"):
        layer = Conv2D(3, 3, activation="relu", use_bias=False)
    check_gradients(layer, np.random.default_rng(2).normal(size=(2, 5, 5, 2)))


def test_shapes_names_and_dtype():
    layer = Conv2D(8, 3, padding="same")
    y = layer(np.zeros((2, 28, 28, 1), dtype="float32"))
    assert y.shape == (2, 28, 28, 8) and y.dtype == np.float32
    assert layer.params["kernel"].shape == (3, 3, 1, 8) and layer.params["bias"].shape == (8,)
    assert layer.name.startswith("conv2d")
    dx = layer.backward(np.ones_like(y))
    assert dx.dtype == layer.grads["kernel"].dtype == np.float32 and dx.shape == (2, 28, 28, 1)
    assert Conv2D(4, (3, 2), strides=(2, 1))(np.zeros((1, 9, 9, 3))).shape == (1, 4, 8, 4)


@pytest.mark.parametrize("kwargs, match", [
    ({"filters": 0, "kernel_size": 3}, r"`filters`, expected a positive integer. Received: filters=0"),
    ({"filters": 2.0, "kernel_size": 3}, "filters=2.0"),
    ({"filters": 2, "kernel_size": 0}, "kernel_size=0"),
    ({"filters": 2, "kernel_size": (3,)}, r"kernel_size=\(3,\)"),
    ({"filters": 2, "kernel_size": "3"}, "kernel_size='3'"),
    ({"filters": 2, "kernel_size": 3, "strides": (1, 0)}, r"strides=\(1, 0\)"),
    ({"filters": 2, "kernel_size": 3, "padding": "full"}, "padding='full'"),
    ({"filters": 2, "kernel_size": 3, "data_format": "channels_first"}, "only data_format='channels_last'"),
    ({"filters": 2, "kernel_size": 3, "data_format": "nhwc"}, "data_format='nhwc'"),
    ({"filters": 2, "kernel_size": 3, "dilation_rate": 2}, "only dilation_rate=\\(1, 1\\)"),
    ({"filters": 2, "kernel_size": 3, "activation": "relux"}, "Did you mean 'relu'"),
])
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Conv2D(**kwargs)


def test_wrong_input_shapes():
    with pytest.raises(ValueError, match=r"'c'.*\(batch, height, width, channels\).*\(None, 28, 28\)"):
        Conv2D(2, 3, name="c")(np.zeros((1, 28, 28)))
    layer = Conv2D(2, 3, name="c2")
    layer(np.zeros((1, 5, 5, 1)))
    with pytest.raises(ValueError, match=r"'c2'.*\(None, 5, 5, 1\).*\(None, 5, 5, 2\)"):
        layer(np.zeros((1, 5, 5, 2)))
    with pytest.raises(ValueError, match="does not fit"):
        Conv2D(2, 5)(np.zeros((1, 3, 3, 1)))


def test_config_round_trip():
    layer = Conv2D(4, (3, 2), strides=2, padding="SAME", activation="relu",
                   kernel_initializer="he_normal", name="conv_a", input_shape=(8, 8, 1))
    cfg = json.loads(json.dumps(layer.get_config()))
    assert cfg["padding"] == "same" and cfg["kernel_size"] == [3, 2] and cfg["strides"] == [2, 2]
    again = Conv2D.from_config(cfg)
    assert again.get_config() == cfg


def test_matches_pytorch_if_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 7, 6, 3))
    with config.floatx_scope("float64"):
        layer = Conv2D(4, 3, strides=2, bias_initializer="random_normal")
    y = layer(x)
    W, b = layer.get_weights()
    t = torch.nn.functional.conv2d(torch.tensor(x).permute(0, 3, 1, 2),
                                   torch.tensor(W).permute(3, 2, 0, 1), torch.tensor(b), stride=2)
    np.testing.assert_allclose(y, t.permute(0, 2, 3, 1).numpy(), rtol=1e-10, atol=1e-12)


def test_gradients_match_pytorch_if_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 7, 6, 3))
    with config.floatx_scope("float64"):
        layer = Conv2D(4, (3, 2), strides=(2, 1), bias_initializer="random_normal")
    y = layer(x)
    g = rng.normal(size=y.shape)
    dx = layer.backward(g)
    W, b = layer.get_weights()
    tx = torch.tensor(x).permute(0, 3, 1, 2).requires_grad_()
    tW = torch.tensor(W).permute(3, 2, 0, 1).detach().requires_grad_()
    tb = torch.tensor(b).requires_grad_()
    ty = torch.nn.functional.conv2d(tx, tW, tb, stride=(2, 1))
    (ty * torch.tensor(g).permute(0, 3, 1, 2)).sum().backward()
    np.testing.assert_allclose(dx, tx.grad.permute(0, 2, 3, 1).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["kernel"], tW.grad.permute(2, 3, 1, 0).numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_docstring_examples():
    import doctest
    import importlib

    import nnlab
    module = importlib.import_module("nnlab.layers.conv")
    globs = {**vars(module), "np": np, "nnlab": nnlab}
    result = doctest.testmod(module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_direct_forward_gives_clear_errors():
    with pytest.raises(RuntimeError, match="'c0'.*no weights yet"):
        Conv2D(2, 3, name="c0").forward(np.ones((1, 5, 5, 1)))
    layer = Conv2D(2, 3, name="c1")
    layer.build((5, 5, 1))
    with pytest.raises(ValueError, match=r"'c1'.*\(None, 5, 5, 1\).*\(None, 5, 5, 3\)"):
        layer.forward(np.ones((1, 5, 5, 3)))
    with pytest.raises(ValueError, match=r"'c1'.*\(batch, height, width, channels\).*\(None, 5, 5\)"):
        layer.forward(np.ones((1, 5, 5)))


def test_conv1d_unsupported_options_are_named_as_conv1d():
    # Keras' Conv1D(2, 3, dilation_rate=2) and data_format="channels_first" are valid;
    # nnlab refuses them naming Conv1D, its argument as given, and 1-D advice
    from nnlab.layers import Conv1D
    with pytest.raises(ValueError, match=r"^nnlab's Conv1D supports only dilation_rate=1\. "
                                         r"Received: dilation_rate=2$"):
        Conv1D(2, 3, dilation_rate=2)
    with pytest.raises(ValueError, match=r"steps, channels.*x\.transpose\(0, 2, 1\)"):
        Conv1D(2, 3, data_format="channels_first")
    assert Conv1D(2, 3, dilation_rate=(1,)).get_config()["dilation_rate"] == 1
