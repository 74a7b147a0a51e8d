"""Activations: values against math by hand, derivatives against central differences,
softmax's backward against its explicit Jacobian, stability at |x| = 1e4."""
import math
import warnings

import numpy as np
import pytest

from nnlab import activations as A

ELEMENTWISE = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"]


def reference(name, v):
    """The textbook formula, one Python float at a time."""
    return {
        "linear": lambda t: t,
        "sigmoid": lambda t: 1 / (1 + math.exp(-t)),
        "tanh": math.tanh,
        "relu": lambda t: max(t, 0.0),
        "leaky_relu": lambda t: t if t >= 0 else 0.2 * t,
        "elu": lambda t: t if t > 0 else math.exp(t) - 1,
        "softplus": lambda t: math.log(1 + math.exp(t)),
    }[name](v)


POINTS = np.array([-3.0, -1.3, -0.2, 0.4, 1.1, 2.7])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_values_match_textbook_formula(name):
    expected = np.array([reference(name, float(v)) for v in POINTS])
    np.testing.assert_allclose(A.get(name)(POINTS), expected, rtol=1e-12, atol=1e-15)


def test_values_by_hand():
    np.testing.assert_allclose(A.sigmoid(np.array([0.0, math.log(3)])), [0.5, 0.75])
    np.testing.assert_allclose(A.relu(np.array([-2.0, 0.0, 3.0])), [0, 0, 3])
    np.testing.assert_allclose(A.leaky_relu(np.array([-1.0, 2.0])), [-0.2, 2.0])  # Keras 3 slope 0.2
    np.testing.assert_allclose(A.leaky_relu(np.array([-1.0]), negative_slope=0.1), [-0.1])
    np.testing.assert_allclose(A.elu(np.array([-math.log(2)])), [-0.5])          # e^{-ln2} - 1
    np.testing.assert_allclose(A.elu(np.array([-math.log(2)]), alpha=2.0), [-1.0])
    np.testing.assert_allclose(A.softplus(np.array([0.0])), [math.log(2)])
    np.testing.assert_allclose(A.softmax(np.array([[0.0, math.log(3)]])), [[0.25, 0.75]])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_differences(name):
    fn, d = A.get(name), A.derivative(name)
    h = 1e-6
    numeric = (fn(POINTS + h) - fn(POINTS - h)) / (2 * h)
    np.testing.assert_allclose(getattr(A, f"{name}_derivative")(POINTS), numeric, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(d(POINTS), numeric, rtol=1e-6, atol=1e-8)


def test_derivatives_by_hand():
    assert A.sigmoid_derivative(np.array([0.0]))[0] == 0.25
    assert A.tanh_derivative(np.array([0.0]))[0] == 1.0
    np.testing.assert_array_equal(A.relu_derivative(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])
    np.testing.assert_allclose(A.leaky_relu_derivative(np.array([-1.0, 2.0])), [0.2, 1])
    np.testing.assert_allclose(A.elu_derivative(np.array([-math.log(2), 1.0])), [0.5, 1])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_backward_multiplies_by_derivative(name):
    grad = np.array([0.5, -2.0, 1.0, 3.0, -1.0, 0.25])
    y = A.get(name)(POINTS)
    h = 1e-6
    numeric = (A.get(name)(POINTS + h) - A.get(name)(POINTS - h)) / (2 * h)
    np.testing.assert_allclose(A.backward(name, POINTS, y, grad), grad * numeric, rtol=1e-6, atol=1e-8)


def test_softmax_backward_is_jacobian_product():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4))
    s = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)        # textbook formula
    expected = np.stack([(np.diag(si) - np.outer(si, si)) @ gi for si, gi in zip(s, g)])
    np.testing.assert_allclose(A.backward("softmax", x, A.softmax(x), g), expected, rtol=1e-10)
    np.testing.assert_allclose(A.backward(A.softmax, x, None, g), expected, rtol=1e-10)
    # and against central differences of L = Σ softmax(x) * g
    h, numeric = 1e-6, np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        numeric[idx] = (np.sum(A.softmax(xp) * g) - np.sum(A.softmax(xm) * g)) / (2 * h)
    np.testing.assert_allclose(A.backward("softmax", x, None, g), numeric, rtol=1e-6, atol=1e-9)


def test_softmax_axis_and_rows_sum_to_one():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(A.softmax(x).sum(axis=-1), [1, 1])
    np.testing.assert_allclose(A.softmax(x, axis=0).sum(axis=0), [1, 1, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax"])
def test_stable_for_large_inputs(name, dtype):
    x = np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        y = A.get(name)(x)
        A.backward(name, x, y, np.ones_like(x))
        if name != "softmax":
            A.derivative(name)(x)
    assert y.dtype == dtype
    assert np.all(np.isfinite(y))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_limits_for_large_inputs(dtype):
    big = np.array([-1e4, 1e4], dtype=dtype)
    np.testing.assert_array_equal(A.sigmoid(big), [0, 1])
    np.testing.assert_array_equal(A.tanh(big), [-1, 1])
    np.testing.assert_array_equal(A.softplus(big), [0, 1e4])
    np.testing.assert_array_equal(A.elu(big), [-1, 1e4])
    np.testing.assert_array_equal(A.softmax(big), [0, 1])
    np.testing.assert_array_equal(A.sigmoid_derivative(big), [0, 0])


def test_get_and_serialize():
    assert A.get(None) is A.linear
    assert A.get("relu") is A.relu
    assert A.get("ReLU") is A.relu
    assert A.get(A.tanh) is A.tanh
    my = lambda x: x  # noqa: E731
    assert A.get(my) is my
    for name in ELEMENTWISE + ["softmax"]:
        assert A.serialize(A.get(name)) == name
        assert A.get(A.serialize(A.get(name))) is A.get(name)


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match="Unknown activation: 'rellu'. Did you mean 'relu'"):
        A.get("rellu")
    with pytest.raises(ValueError, match="Received: activation=3"):
        A.get(3)


def test_backward_of_unknown_function_is_a_clear_error():
    with pytest.raises(ValueError, match="No derivative known"):
        A.backward(np.sin, np.zeros(2), np.zeros(2), np.ones(2))


def test_docstring_examples():
    import doctest
    import importlib

    import nnlab
    module = importlib.import_module("nnlab.activations")
    globs = {**vars(module), "np": np, "nnlab": nnlab}
    result = doctest.testmod(module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_partial_activations_backpropagate_but_do_not_serialize():
    import functools
    fn = functools.partial(A.leaky_relu, negative_slope=0.1)
    x = np.array([-2.0, 3.0])
    np.testing.assert_allclose(A.backward(fn, x, fn(x), np.ones(2)), [0.1, 1.0])
    with pytest.raises(ValueError, match="arguments would be lost"):
        A.serialize(fn)
    with pytest.raises(ValueError, match="only named functions"):
        A.serialize(lambda t: t)
    assert A.serialize(np.sin) == "sin"
