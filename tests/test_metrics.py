"""Tests for nnlab.metrics, against scikit-learn on seeded random data."""
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from nnlab import losses, metrics

SEEDS = [0, 1, 2]


def binary_data(seed, n=200):
    gen = np.random.default_rng(seed)
    y = gen.integers(0, 2, n)
    score = np.clip(0.35 * y + gen.uniform(0, 0.65, n), 0, 1)
    return y, score


def multiclass_data(seed, n=150, k=4):
    gen = np.random.default_rng(seed)
    y = gen.integers(0, k, n)
    logits = gen.normal(size=(n, k))
    logits[np.arange(n), y] += 1.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, probs


# ---- functions vs scikit-learn -----------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_functions(seed):
    y, p = binary_data(seed)
    expected = skm.accuracy_score(y, (p > 0.5).astype(int))
    assert np.mean(metrics.binary_accuracy(y, p)) == pytest.approx(expected)
    assert np.mean(metrics.binary_accuracy(y[:, None], p[:, None])) == pytest.approx(expected)
    assert np.mean(metrics.binary_accuracy(y, p[:, None])) == pytest.approx(expected)
    assert metrics.binary_accuracy(y, p).shape == (len(y),)
    expected_03 = skm.accuracy_score(y, (p > 0.3).astype(int))
    assert np.mean(metrics.binary_accuracy(y, p, threshold=0.3)) == pytest.approx(expected_03)

    labels, probs = multiclass_data(seed)
    expected = skm.accuracy_score(labels, probs.argmax(1))
    assert np.mean(metrics.sparse_categorical_accuracy(labels, probs)) == pytest.approx(expected)
    assert np.mean(metrics.sparse_categorical_accuracy(labels[:, None], probs)) == pytest.approx(expected)
    assert np.mean(metrics.categorical_accuracy(np.eye(4)[labels], probs)) == pytest.approx(expected)
    assert np.mean(metrics.accuracy(labels, probs.argmax(1))) == pytest.approx(expected)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.7])
def test_precision_recall_f1(seed, threshold):
    y, p = binary_data(seed)
    hard = (p > threshold).astype(int)
    assert metrics.precision(y, p, threshold) == pytest.approx(skm.precision_score(y, hard))
    assert metrics.recall(y, p, threshold) == pytest.approx(skm.recall_score(y, hard))
    assert metrics.f1_score(y, p, threshold) == pytest.approx(skm.f1_score(y, hard))


def test_small_example_by_hand():
    # TP = 2 (0.9, 0.7), FP = 1 (0.8), FN = 1 (0.2)
    y, p = [1, 0, 1, 1], [0.9, 0.8, 0.2, 0.7]
    assert metrics.precision(y, p) == pytest.approx(2 / 3)
    assert metrics.recall(y, p) == pytest.approx(2 / 3)
    assert metrics.f1_score(y, p) == pytest.approx(2 / 3)


def test_no_positive_predictions_gives_zero_without_warning():
    y = np.array([1, 0, 1, 0])
    p = np.zeros(4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.precision(y, p) == 0.0
        assert metrics.f1_score(y, np.zeros(4), 0.5) == pytest.approx(
            skm.f1_score(y, np.zeros(4, int), zero_division=0))
        assert metrics.recall(np.zeros(4), p) == 0.0
        m = metrics.Precision()
        m.update_state(y, p)
        assert m.result() == 0.0
    assert metrics.precision(y, p) == skm.precision_score(y, np.zeros(4, int), zero_division=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix(seed):
    labels, probs = multiclass_data(seed)
    expected = skm.confusion_matrix(labels, probs.argmax(1), labels=range(4))
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, probs.argmax(1)), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(labels, probs), expected)
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(4)[labels], probs), expected)
    big = metrics.confusion_matrix(labels, probs, num_classes=6)
    assert big.shape == (6, 6) and big[:4, :4].tolist() == expected.tolist()


def test_confusion_matrix_rows_are_true_classes():
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 1, 1], [0, 0, 1]), [[1, 0], [1, 1]])
    with pytest.raises(ValueError, match="num_classes=2"):
        metrics.confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match=r"y_pred > 0\.5"):
        metrics.confusion_matrix([0, 1], [0.2, 0.7])


@pytest.mark.parametrize("seed", SEEDS)
def test_roc_curve_and_auc(seed):
    y, p = binary_data(seed)
    p = np.round(p, 2)                       # ties, to exercise equal scores
    fpr, tpr, thr = metrics.roc_curve(y, p)
    sk_fpr, sk_tpr, sk_thr = skm.roc_curve(y, p, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    np.testing.assert_allclose(thr[1:], sk_thr[1:])
    assert thr[0] == sk_thr[0] == np.inf
    assert metrics.roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_roc_rejects_non_finite_scores(bad):
    # a NaN score used to be sorted to the top and returned as a threshold (sklearn raises)
    with pytest.raises(ValueError, match="finite scores"):
        metrics.roc_curve([0, 1, 1], [0.1, bad, 0.3])
    with pytest.raises(ValueError, match="finite scores"):
        metrics.roc_auc([0, 1, 1], [0.1, bad, 0.3])


def test_roc_needs_both_classes():
    with pytest.raises(ValueError, match="both positive and negative"):
        metrics.roc_auc([1, 1, 1], [0.2, 0.5, 0.9])


def test_shape_errors():
    with pytest.raises(ValueError, match=r"y_true\.shape=\(3,\), y_pred\.shape=\(4,\)"):
        metrics.precision([0, 1, 1], [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="binary labels"):
        metrics.recall([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="sparse_categorical_accuracy"):
        metrics.categorical_accuracy([0, 1], np.eye(2))
    with pytest.raises(ValueError, match="categorical_accuracy"):
        metrics.sparse_categorical_accuracy(np.eye(3), np.eye(3))


# ---- stateful metrics: batches add up to the one-shot value --------------------------------------
def batches(n, sizes=(37, 50, 13, 100)):
    start = 0
    for size in sizes:
        if start >= n:
            return
        yield slice(start, min(start + size, n))
        start += size


@pytest.mark.parametrize("seed", SEEDS)
def test_stateful_binary_metrics_accumulate(seed):
    y, p = binary_data(seed)
    hard = (p > 0.5).astype(int)
    expected = {
        "binary_accuracy": skm.accuracy_score(y, hard), "precision": skm.precision_score(y, hard),
        "recall": skm.recall_score(y, hard), "f1_score": skm.f1_score(y, hard),
        "auc": skm.roc_auc_score(y, p),
    }
    objs = [metrics.BinaryAccuracy(), metrics.Precision(), metrics.Recall(), metrics.F1Score(), metrics.AUC()]
    for m in objs:
        for s in batches(len(y)):
            m.update_state(y[s, None], p[s, None])
        assert m.result() == pytest.approx(expected[m.name]), m.name
        assert isinstance(m.result(), float)
        m.reset_state()
        assert m.result() == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_stateful_categorical_accumulate(seed):
    labels, probs = multiclass_data(seed)
    expected = skm.accuracy_score(labels, probs.argmax(1))
    sparse, cat = metrics.SparseCategoricalAccuracy(), metrics.CategoricalAccuracy()
    for s in batches(len(labels)):
        sparse.update_state(labels[s], probs[s])
        cat.update_state(np.eye(4)[labels[s]], probs[s])
    assert sparse.result() == pytest.approx(expected)
    assert cat.result() == pytest.approx(expected)


def test_mean_metric_wrapper_mse_mae():
    gen = np.random.default_rng(3)
    y, p = gen.normal(size=(90, 2)), gen.normal(size=(90, 2))
    mse, mae = metrics.get("mse"), metrics.get("mae")
    assert (mse.name, mae.name) == ("mse", "mae")
    assert metrics.get("mean_squared_error").name == "mean_squared_error"
    for s in batches(90, sizes=(20, 31, 39)):
        mse.update_state(y[s], p[s])
        mae.update_state(y[s], p[s])
    assert mse.result() == pytest.approx(skm.mean_squared_error(y, p))
    assert mae.result() == pytest.approx(skm.mean_absolute_error(y, p))
    custom = metrics.MeanMetricWrapper(losses.mean_absolute_error, name="my_mae")
    assert custom(y, p) == pytest.approx(skm.mean_absolute_error(y, p))


def test_mean_with_sample_weight():
    m = metrics.Mean()
    m.update_state([1.0, 2.0, 3.0], sample_weight=[1, 0, 1])
    assert m.result() == pytest.approx(2.0)


# ---- 'accuracy' resolved as Keras 3 does -------------------------------------------------------------
@pytest.mark.parametrize("y_true, y_pred, kind", [
    (np.array([[1], [0], [1]]), np.array([[0.8], [0.6], [0.3]]), metrics.BinaryAccuracy),
    (np.array([1, 0, 1]), np.array([[0.8], [0.6], [0.3]]), metrics.BinaryAccuracy),
    (np.array([2, 0, 1]), np.eye(3)[[2, 1, 1]], metrics.SparseCategoricalAccuracy),
    (np.array([[2], [0], [1]]), np.eye(3)[[2, 1, 1]], metrics.SparseCategoricalAccuracy),
    (np.eye(3)[[2, 0, 1]], np.eye(3)[[2, 1, 1]], metrics.CategoricalAccuracy),
])
@pytest.mark.parametrize("identifier", ["accuracy", "acc"])
def test_accuracy_resolution(y_true, y_pred, kind, identifier):
    m = metrics.get(identifier, loss="binary_crossentropy")
    assert m.name == identifier
    m.update_state(y_true, y_pred)
    assert type(m.resolved) is kind
    assert m.result() == pytest.approx(2 / 3 if kind is not metrics.BinaryAccuracy else 1 / 3)
    m.reset_state()
    assert m.result() == 0.0


def test_accuracy_resolution_with_loss_objects():
    m = metrics.get("accuracy", loss=losses.SparseCategoricalCrossentropy())
    m.update_state([0, 1], [[0.9, 0.1], [0.2, 0.8]])
    assert m.result() == 1.0 and m.name == "accuracy"


# ---- lookup ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [
    ("binary_accuracy", metrics.BinaryAccuracy), ("BinaryAccuracy", metrics.BinaryAccuracy),
    ("categorical_accuracy", metrics.CategoricalAccuracy),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
    ("precision", metrics.Precision), ("Precision", metrics.Precision), ("recall", metrics.Recall),
    ("f1_score", metrics.F1Score), ("auc", metrics.AUC), ("AUC", metrics.AUC),
    ("mse", metrics.MeanSquaredError), ("mae", metrics.MeanAbsoluteError),
])
def test_get_by_name_keeps_the_name(name, cls):
    m = metrics.get(name)
    assert type(m) is cls and m.name == name


def test_get_objects_functions_and_unknown():
    m = metrics.Recall(name="rec")
    assert metrics.get(m) is m
    fn_metric = metrics.get(losses.mean_absolute_error)
    assert fn_metric.name == "mean_absolute_error"
    assert metrics.get("binary_crossentropy")([[1.0]], [[0.9]]) == pytest.approx(-np.log(0.9), rel=1e-6)
    again = metrics.get(metrics.serialize(metrics.BinaryAccuracy(threshold=0.3)))
    assert type(again) is metrics.BinaryAccuracy and again.threshold == 0.3
    with pytest.raises(ValueError, match="Did you mean 'precision'"):
        metrics.get("precison")


@pytest.mark.parametrize("make, match", [
    (lambda: metrics.BinaryAccuracy(threshold=1.5), "threshold"),
    (lambda: metrics.Precision(thresholds=2.0), "thresholds"),
    (lambda: metrics.AUC(curve="PR"), "curve"),
    (lambda: metrics.MeanMetricWrapper(3), "function"),
])
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_top_k_accuracy_by_hand_and_against_sklearn():
    from sklearn.metrics import top_k_accuracy_score
    from nnlab.metrics import (SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy,
                               sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
    scores = np.array([[0.1, 0.6, 0.3], [0.05, 0.9, 0.05], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5]])
    labels = np.array([2, 0, 1, 2])
    # top-2 sets: {1, 2}, {1, 0 or 2: tied 0.05 -> both count}, {0, 2}, {2, 1}
    np.testing.assert_array_equal(sparse_top_k_categorical_accuracy(labels, scores, k=2), [1, 1, 0, 1])
    np.testing.assert_array_equal(sparse_top_k_categorical_accuracy(labels, scores, k=1), [0, 0, 0, 1])
    onehot = np.eye(3)[labels]
    np.testing.assert_array_equal(top_k_categorical_accuracy(onehot, scores, k=2), [1, 1, 0, 1])
    rng = np.random.default_rng(0)
    s, y = rng.random((200, 6)), rng.integers(0, 6, 200)        # no ties: sklearn agrees
    for k in (1, 3, 5):
        m = SparseTopKCategoricalAccuracy(k=k)
        m.update_state(y[:120], s[:120])
        m.update_state(y[120:], s[120:])
        assert m.result() == pytest.approx(top_k_accuracy_score(y, s, k=k, labels=range(6)))
    m = metrics.get("top_k_categorical_accuracy")
    assert isinstance(m, TopKCategoricalAccuracy) and m.get_config()["k"] == 5
    again = metrics.deserialize(metrics.serialize(TopKCategoricalAccuracy(k=3)))
    assert again.get_config()["k"] == 3
    with pytest.raises(ValueError, match="positive integer"):
        sparse_top_k_categorical_accuracy(labels, scores, k=0)
