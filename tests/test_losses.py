"""Tests for nnlab.losses: values by hand, Keras' documented examples, central-difference
gradients in float64, clipping, label-mismatch errors and lookup."""
import math

import numpy as np
import pytest

from nnlab import losses

EPS = 1e-7


def numerical_gradient(f, x, h=1e-6):
    """Central differences of the scalar f(x) with respect to every entry of x."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def assert_gradient(loss, y_true, y_pred, rtol=1e-5, atol=1e-8):
    y_pred = np.asarray(y_pred, dtype=np.float64)
    analytic = loss.gradient(y_true, y_pred)
    numeric = numerical_gradient(lambda p: loss(y_true, p), y_pred)
    assert analytic.shape == y_pred.shape
    bad = ~np.isclose(analytic, numeric, rtol=rtol, atol=atol)
    assert not bad.any(), (
        f"{loss!r}: gradient differs at indices {np.argwhere(bad).tolist()}: "
        f"received {analytic[bad]}, expected (central differences) {numeric[bad]}")


rng = np.random.default_rng(0)


# ---- values by hand ---------------------------------------------------------------------
def test_bce_by_hand():
    assert losses.BinaryCrossentropy()([[1.0]], [[0.9]]) == pytest.approx(-math.log(0.9), rel=1e-6)
    assert losses.BinaryCrossentropy()([[0.0]], [[0.2]]) == pytest.approx(-math.log(0.8), rel=1e-6)
    # batch mean of both
    value = losses.BinaryCrossentropy()([1, 0], np.array([[0.9], [0.2]]))
    assert value == pytest.approx((-math.log(0.9) - math.log(0.8)) / 2, rel=1e-6)
    assert isinstance(value, float)


def test_per_sample_functions_by_hand():
    y_true = np.array([[0.0, 1.0], [0.0, 0.0]])
    y_pred = np.array([[1.0, 1.0], [1.0, 0.5]])
    np.testing.assert_allclose(losses.mean_squared_error(y_true, y_pred), [0.5, (1 + 0.25) / 2])
    np.testing.assert_allclose(losses.mse(y_true, y_pred), [0.5, 0.625])
    np.testing.assert_allclose(losses.mean_absolute_error(y_true, y_pred), [0.5, 0.75])
    np.testing.assert_allclose(losses.mae(y_true, y_pred), [0.5, 0.75])
    np.testing.assert_allclose(
        losses.categorical_crossentropy([[0, 1, 0]], [[0.1, 0.8, 0.1]]), [-math.log(0.8)], rtol=1e-6)
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy([1], [[0.1, 0.8, 0.1]]), [-math.log(0.8)], rtol=1e-6)
    np.testing.assert_allclose(
        losses.binary_crossentropy([[1.0, 0.0]], [[0.9, 0.2]]),
        [(-math.log(0.9) - math.log(0.8)) / 2], rtol=1e-6)


def test_keras_documented_examples():
    # Values printed in the Keras 3 docstrings of the loss classes.
    y_true = [[0.0, 1.0], [0.0, 0.0]]
    y_pred = [[1.0, 1.0], [1.0, 0.0]]
    assert losses.MeanSquaredError()(y_true, y_pred) == pytest.approx(0.5)
    assert losses.MeanAbsoluteError()(y_true, y_pred) == pytest.approx(0.5)
    assert losses.BinaryCrossentropy(from_logits=True)(
        [0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8]) == pytest.approx(0.865, abs=1e-3)
    probs = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    assert losses.CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]], probs) == pytest.approx(1.177, abs=1e-3)
    assert losses.SparseCategoricalCrossentropy()([1, 2], probs) == pytest.approx(1.177, abs=1e-3)


def test_label_smoothing_by_hand():
    # binary: y -> y (1 - s) + s/2 ; y = 1, s = 0.2 -> 0.9
    expected = -(0.9 * math.log(0.7) + 0.1 * math.log(0.3))
    assert losses.BinaryCrossentropy(label_smoothing=0.2)([[1.0]], [[0.7]]) == pytest.approx(expected, rel=1e-6)
    # categorical: y -> y (1 - s) + s/K ; K = 3, s = 0.3 -> [0.1, 0.8, 0.1]
    p = [0.2, 0.5, 0.3]
    expected = -(0.1 * math.log(0.2) + 0.8 * math.log(0.5) + 0.1 * math.log(0.3))
    assert losses.CategoricalCrossentropy(label_smoothing=0.3)([[0, 1, 0]], [p]) == pytest.approx(expected, rel=1e-6)


def test_categorical_renormalizes_like_keras():
    # y_pred = [1, 2, 1] sums to 4 -> probabilities [0.25, 0.5, 0.25]
    assert losses.CategoricalCrossentropy()([[0, 1, 0]], [[1.0, 2.0, 1.0]]) == pytest.approx(math.log(2), rel=1e-6)


def test_mse_mean_over_last_axis_then_batch():
    y_true = np.zeros((2, 3, 2))
    y_pred = np.arange(12, dtype=np.float64).reshape(2, 3, 2)
    assert losses.mean_squared_error(y_true, y_pred).shape == (2, 3)
    assert losses.MeanSquaredError()(y_true, y_pred) == pytest.approx(np.mean(np.arange(12) ** 2))


def test_labels_of_shape_n_match_outputs_of_shape_n_1():
    y = np.array([1.0, 0.0, 1.0])
    p = np.array([[0.8], [0.3], [0.6]])
    expected = -(math.log(0.8) + math.log(0.7) + math.log(0.6)) / 3
    assert losses.BinaryCrossentropy()(y, p) == pytest.approx(expected, rel=1e-6)
    assert losses.BinaryCrossentropy().gradient(y, p).shape == (3, 1)
    assert losses.MeanSquaredError()(y, p) == pytest.approx((0.04 + 0.09 + 0.16) / 3)
    assert losses.SparseCategoricalCrossentropy()(np.array([[1], [0]]), [[0.2, 0.8], [0.6, 0.4]]) \
        == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2, rel=1e-6)


# ---- gradients -----------------------------------------------------------------------------
def _probs(n, k):
    p = rng.uniform(0.05, 1.0, size=(n, k))
    return p / p.sum(axis=1, keepdims=True)


GRADIENT_CASES = [
    ("mse", losses.MeanSquaredError(), rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
    ("mae", losses.MeanAbsoluteError(), np.zeros((4, 3)), rng.choice([-1, 1], (4, 3)) * rng.uniform(0.1, 1, (4, 3))),
    ("bce", losses.BinaryCrossentropy(), rng.integers(0, 2, (5, 2)), rng.uniform(0.05, 0.95, (5, 2))),
    ("bce soft labels", losses.BinaryCrossentropy(), rng.uniform(0, 1, (5, 1)), rng.uniform(0.05, 0.95, (5, 1))),
    ("bce smoothing", losses.BinaryCrossentropy(label_smoothing=0.1), rng.integers(0, 2, (5, 1)), rng.uniform(0.05, 0.95, (5, 1))),
    ("bce logits", losses.BinaryCrossentropy(from_logits=True), rng.integers(0, 2, (5, 2)), rng.normal(0, 3, (5, 2))),
    ("bce logits smoothing", losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2), rng.integers(0, 2, (5, 1)), rng.normal(0, 3, (5, 1))),
    ("cce", losses.CategoricalCrossentropy(), np.eye(4)[rng.integers(0, 4, 6)], _probs(6, 4)),
    ("cce unnormalized", losses.CategoricalCrossentropy(), np.eye(4)[rng.integers(0, 4, 6)], rng.uniform(0.1, 2, (6, 4))),
    ("cce smoothing", losses.CategoricalCrossentropy(label_smoothing=0.1), np.eye(3)[rng.integers(0, 3, 5)], _probs(5, 3)),
    ("cce logits", losses.CategoricalCrossentropy(from_logits=True), np.eye(4)[rng.integers(0, 4, 6)], rng.normal(0, 3, (6, 4))),
    ("cce logits smoothing", losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2), np.eye(3)[rng.integers(0, 3, 5)], rng.normal(0, 2, (5, 3))),
    ("cce axis 0", losses.CategoricalCrossentropy(axis=0), np.eye(3)[rng.integers(0, 3, 4)].T, _probs(4, 3).T),
    ("sparse", losses.SparseCategoricalCrossentropy(), rng.integers(0, 4, 6), _probs(6, 4)),
    ("sparse logits", losses.SparseCategoricalCrossentropy(from_logits=True), rng.integers(0, 4, (6, 1)), rng.normal(0, 3, (6, 4))),
    ("sparse sequence", losses.SparseCategoricalCrossentropy(from_logits=True), rng.integers(0, 3, (2, 4)), rng.normal(0, 1, (2, 4, 3))),
    ("mse (n,) vs (n,1)", losses.MeanSquaredError(), rng.normal(size=5), rng.normal(size=(5, 1))),
]


@pytest.mark.parametrize("label, loss, y_true, y_pred", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_gradient_matches_central_differences(label, loss, y_true, y_pred):
    assert_gradient(loss, y_true, y_pred)


def test_gradient_keeps_float32():
    p = np.array([[0.3, 0.7]], dtype=np.float32)
    for loss in (losses.MeanSquaredError(), losses.BinaryCrossentropy(), losses.CategoricalCrossentropy()):
        assert loss.gradient(np.array([[0, 1]]), p).dtype == np.float32


def test_simple_gradients_by_hand():
    # MSE: 2 (p - y) / N ; MAE: sign(p - y) / N with 0 at equality
    np.testing.assert_allclose(losses.MeanSquaredError().gradient([[1.0, 2.0]], [[2.0, 2.0]]), [[1.0, 0.0]])
    np.testing.assert_allclose(losses.MeanAbsoluteError().gradient([[1.0, 2.0, 3.0]], [[2.0, 2.0, 1.0]]),
                               [[1 / 3, 0.0, -1 / 3]])
    # BCE from logits: (σ(x) - y) / N ; softmax CE from logits: (softmax - onehot) / M
    np.testing.assert_allclose(losses.BinaryCrossentropy(from_logits=True).gradient([[1.0]], [[0.0]]), [[-0.5]])
    np.testing.assert_allclose(
        losses.SparseCategoricalCrossentropy(from_logits=True).gradient([0, 1], np.zeros((2, 2))),
        [[-0.25, 0.25], [0.25, -0.25]])


# ---- clipping and extreme inputs -------------------------------------------------------------
def test_bce_clipping_at_0_and_1_is_finite():
    loss = losses.BinaryCrossentropy()
    y_pred = np.array([[0.0], [1.0]])
    value = loss([[1.0], [0.0]], y_pred)
    assert value == pytest.approx(-math.log(EPS), rel=1e-6)   # both samples clipped to ε
    grad = loss.gradient([[1.0], [0.0]], y_pred)
    assert np.all(grad == 0), "the gradient is 0 where clipping is active"
    assert losses.BinaryCrossentropy()(np.array([[1.0]]), np.array([[1.0]])) == pytest.approx(-math.log(1 - EPS), abs=1e-12)
    # lists become float32, where 1 - ε rounds to 1 - 2**-23
    assert losses.BinaryCrossentropy()([[1.0]], [[1.0]]) == pytest.approx(-math.log(1 - 2 ** -23), rel=1e-3)


def test_categorical_clipping_is_finite():
    loss = losses.CategoricalCrossentropy()
    y_pred = np.array([[0.0, 1.0, 0.0]])
    assert loss([[1, 0, 0]], y_pred) == pytest.approx(-math.log(EPS), rel=1e-6)
    assert np.all(np.isfinite(loss.gradient([[1, 0, 0]], y_pred)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_from_logits_is_stable_for_huge_logits(dtype):
    x = np.array([[1e4], [-1e4], [1e4], [-1e4]], dtype=dtype)
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert losses.BinaryCrossentropy(from_logits=True)(y, x) == pytest.approx(1e4 / 2)
        np.testing.assert_allclose(losses.BinaryCrossentropy(from_logits=True).gradient(y, x),
                                   [[0.25], [-0.25], [0.0], [0.0]])
        logits = np.array([[1e4, -1e4, 0.0]], dtype=dtype)
        assert losses.SparseCategoricalCrossentropy(from_logits=True)([1], logits) == pytest.approx(2e4)
        assert np.all(np.isfinite(losses.CategoricalCrossentropy(from_logits=True).gradient([[0, 1, 0]], logits)))


def test_from_logits_agrees_with_probabilities():
    x = rng.normal(0, 2, size=(6, 1))
    y = rng.integers(0, 2, size=(6, 1))
    p = 1 / (1 + np.exp(-x))
    assert losses.BinaryCrossentropy(from_logits=True)(y, x) == pytest.approx(losses.BinaryCrossentropy()(y, p), rel=1e-6)
    z = rng.normal(0, 2, size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    softmax = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.mean(np.log(softmax[np.arange(6), labels]))
    assert losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z) == pytest.approx(expected, rel=1e-6)


# ---- label checks ------------------------------------------------------------------------------
def test_integer_labels_to_categorical_crossentropy():
    probs = np.full((4, 3), 1 / 3)
    for labels in (np.array([0, 1, 2, 1]), np.array([[0], [1], [2], [1]])):
        with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*to_categorical\(y, 3\)"):
            losses.CategoricalCrossentropy()(labels, probs)
        with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
            losses.get("categorical_crossentropy").gradient(labels, probs)
        with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
            losses.categorical_crossentropy(labels, probs)


def test_one_hot_labels_to_sparse():
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*y\.argmax\(-1\)"):
        losses.SparseCategoricalCrossentropy()(np.eye(3), np.full((3, 3), 1 / 3))


@pytest.mark.parametrize("bad", [3, -1])
def test_sparse_labels_out_of_range(bad):
    with pytest.raises(ValueError, match=r"outside \[0, 2\]"):
        losses.SparseCategoricalCrossentropy()(np.array([0, bad]), np.full((2, 3), 1 / 3))


def test_sparse_non_integer_labels():
    with pytest.raises(ValueError, match="integer class labels"):
        losses.SparseCategoricalCrossentropy()(np.array([0.5, 1.0]), np.full((2, 3), 1 / 3))


def test_binary_labels_outside_0_1():
    with pytest.raises(ValueError, match=r"labels in \[0, 1\].*from 0 to 3"):
        losses.BinaryCrossentropy()(np.array([[0.0], [3.0]]), np.array([[0.5], [0.5]]))


def test_batch_size_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"y_true\.shape=\(3, 1\), y_pred\.shape=\(4, 1\)"):
        losses.MeanSquaredError()(np.zeros((3, 1)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"y_true\.shape=\(3,\), y_pred\.shape=\(2, 3\)"):
        losses.SparseCategoricalCrossentropy()(np.zeros(3), np.full((2, 3), 1 / 3))


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"same shape.*y_true\.shape=\(4, 2\), y_pred\.shape=\(4, 3\)"):
        losses.MeanSquaredError()(np.zeros((4, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"y_true\.shape=\(4, 2\), y_pred\.shape=\(4, 3\)"):
        losses.BinaryCrossentropy().check(np.zeros((4, 2)), np.zeros((4, 3)))


def test_check_passes_on_good_labels():
    assert losses.CategoricalCrossentropy().check(np.eye(3), np.full((3, 3), 1 / 3)) is None
    assert losses.SparseCategoricalCrossentropy().check([0, 2], np.full((2, 3), 1 / 3)) is None


def test_categorical_with_one_output_unit_advises_binary():
    with pytest.raises(ValueError, match="binary_crossentropy"):
        losses.CategoricalCrossentropy()(np.ones((3, 1)), np.full((3, 1), 0.5))


def test_non_numeric_input():
    with pytest.raises(ValueError, match="numbers"):
        losses.MeanSquaredError()(["a", "b"], [0.0, 1.0])


# ---- lookup and configuration ---------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [
    ("mse", losses.MeanSquaredError), ("MSE", losses.MeanSquaredError),
    ("mean_squared_error", losses.MeanSquaredError), ("MeanSquaredError", losses.MeanSquaredError),
    ("mae", losses.MeanAbsoluteError), ("MAE", losses.MeanAbsoluteError),
    ("MeanAbsoluteError", losses.MeanAbsoluteError),
    ("binary_crossentropy", losses.BinaryCrossentropy), ("BinaryCrossentropy", losses.BinaryCrossentropy),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("CategoricalCrossentropy", losses.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
    ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy),
])
def test_get_by_name(name, cls):
    assert type(losses.get(name)) is cls


def test_get_instances_functions_and_configs():
    loss = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    assert losses.get(loss) is loss
    assert losses.get(None) is None
    assert type(losses.get(losses.mean_squared_error)) is losses.MeanSquaredError
    assert type(losses.get(losses.SparseCategoricalCrossentropy)) is losses.SparseCategoricalCrossentropy
    again = losses.get(losses.serialize(loss))
    assert type(again) is losses.BinaryCrossentropy
    assert again.get_config() == loss.get_config()
    assert loss.get_config()["from_logits"] is True
    assert losses.get("categorical_crossentropy").name == "categorical_crossentropy"


def test_get_unknown_name_did_you_mean():
    with pytest.raises(ValueError, match="Did you mean 'binary_crossentropy'"):
        losses.get("binary_crossentropyy")
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        losses.get("mes")


def test_custom_function_loss():
    def half_squares(y_true, y_pred):
        return 0.5 * np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2, axis=-1)

    loss = losses.get(half_squares)
    assert loss.name == "half_squares"
    assert loss([[1.0], [3.0]], [[0.0], [1.0]]) == pytest.approx((0.5 + 2.0) / 2)
    with pytest.raises(NotImplementedError, match="gradient"):
        loss.gradient([[1.0]], [[0.0]])
    half_squares.gradient = lambda y_true, y_pred: (np.asarray(y_pred) - y_true) / np.size(y_pred)
    np.testing.assert_allclose(loss.gradient([[1.0], [3.0]], [[0.0], [1.0]]), [[-0.5], [-1.0]])


@pytest.mark.parametrize("kwargs, match", [
    ({"label_smoothing": 1.5}, "label_smoothing"),
    ({"label_smoothing": -0.1}, "label_smoothing"),
    ({"reduction": "sum"}, "reduction"),
    ({"name": ""}, "name"),
])
def test_invalid_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        losses.BinaryCrossentropy(**kwargs)
