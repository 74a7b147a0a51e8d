"""Metrics: functions on one batch, and stateful `Metric` objects that add up batches.

A metric tells *us* how well the model does; unlike a loss it needs no gradient, so it
may count (accuracy, precision, recall) instead of being smooth. As in Keras:

* the accuracy functions return one value per sample; `precision`, `recall`,
  `f1_score`, `roc_auc` return a float for the whole batch;
* a `Metric` object keeps running totals: `update_state(y_true, y_pred)` after each
  batch, `result()` for the value over all batches so far, `reset_state()` at the start
  of an epoch. Its `name` is the key in `fit`'s History.

Derived in lessons/07_losses.ipynb.
"""
import numpy as np

from nnlab import config, losses
from nnlab._naming import lookup, snake_case


# ---- helpers -------------------------------------------------------------------------------
def _arrays(y_true, y_pred, what):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for arg, value in (("y_true", y_true), ("y_pred", y_pred)):
        if not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
            raise ValueError(f"{what}: `{arg}` must hold numbers. Received dtype {value.dtype}.")
        if value.ndim == 0:
            raise ValueError(f"{what}: `{arg}` must be a batch (at least 1-D). Received {value!r}.")
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"{what}: y_true and y_pred hold different numbers of samples: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")
    return y_true, y_pred


def _same_rank(y_true, y_pred):
    """(n,) labels against (n, 1) predictions: give the 1-D one a trailing axis (Keras)."""
    if y_true.ndim == 1 and y_pred.ndim == 1:     # one value per sample
        return y_true[:, None], y_pred[:, None]
    return losses._same_rank(y_true, y_pred)


def _binary_arrays(y_true, y_pred, what):
    """Flat 0/1 labels and flat scores for the binary metrics."""
    y_true, y_pred = _arrays(y_true, y_pred, what)
    if y_true.size != y_pred.size:
        raise ValueError(
            f"{what} is a binary metric: it needs one score per label. Received "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")
    y_true = y_true.ravel()
    if y_true.size and not np.all((y_true == 0) | (y_true == 1)):
        raise ValueError(
            f"{what} expects binary labels 0/1. Received labels {np.unique(y_true)[:5]}. "
            "For several classes use confusion_matrix or accuracy.")
    return y_true.astype(bool), y_pred.ravel()


def _counts(y_true, y_pred, threshold, what):
    """True positives, false positives, false negatives with positive = y_pred > threshold."""
    y_true, y_pred = _binary_arrays(y_true, y_pred, what)
    positive = y_pred > threshold
    return (int(np.sum(positive & y_true)), int(np.sum(positive & ~y_true)),
            int(np.sum(~positive & y_true)))


def _divide(a, b):
    """a / b, or 0 when b == 0 (Keras' divide_no_nan: no warning)."""
    return float(a / b) if b else 0.0


# ---- per-sample accuracy functions ------------------------------------------------------------
def accuracy(y_true, y_pred):
    """Fraction of exact matches y_pred == y_true, per sample (mean over the last axis).

    Example:
        >>> accuracy([[1], [2]], [[1], [3]])
        array([1., 0.], dtype=float32)
    """
    y_true, y_pred = _same_rank(*_arrays(y_true, y_pred, "accuracy"))
    return np.mean(y_true == y_pred, axis=-1).astype(config.floatx())


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Fraction of correct 0/1 predictions per sample: mean of [y_true == (y_pred > threshold)].

    Args:
        y_true: 0/1 labels, shape (batch, d) or (batch,).
        y_pred: probabilities, same shape (a (batch, 1) output matches (batch,) labels).
        threshold: predictions above it count as 1. Defaults to 0.5.

    Returns:
        per-sample accuracies, shape (batch,). (Keras returns one value for a whole
        1-D batch; nnlab treats each entry of a 1-D batch as a sample.)
    """
    y_true, y_pred = _same_rank(*_arrays(y_true, y_pred, "binary_accuracy"))
    return np.mean(y_true == (y_pred > threshold), axis=-1).astype(config.floatx())


def categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_pred) == argmax(y_true) (one-hot labels), per sample.

    Example:
        >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
        array([0., 1.], dtype=float32)
    """
    y_true, y_pred = _arrays(y_true, y_pred, "categorical_accuracy")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "categorical_accuracy expects one-hot labels of y_pred's shape. Received "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}; for integer labels use "
            "sparse_categorical_accuracy.")
    return (np.argmax(y_true, -1) == np.argmax(y_pred, -1)).astype(config.floatx())


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_pred) == y_true (integer labels), per sample.

    Example:
        >>> sparse_categorical_accuracy([2, 1], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
        array([0., 1.], dtype=float32)
    """
    y_true, y_pred = _arrays(y_true, y_pred, "sparse_categorical_accuracy")
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"sparse_categorical_accuracy expects integer labels of shape {y_pred.shape[:-1]}. "
            f"Received y_true.shape={y_true.shape} for y_pred.shape={y_pred.shape}; for one-hot "
            "labels use categorical_accuracy.")
    return (y_true == y_pred.argmax(-1)).astype(config.floatx())


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the k highest scores of y_pred, per sample.

    A label is in the top k when fewer than k classes score strictly higher than it
    (so tied scores at the boundary all count, as in Keras 3's `ops.in_top_k`).

    Example:
        >>> sparse_top_k_categorical_accuracy([2, 0], [[0.1, 0.6, 0.3], [0.05, 0.9, 0.05]], k=2)
        array([1., 0.], dtype=float32)
    """
    y_true, y_pred = _arrays(y_true, y_pred, "sparse_top_k_categorical_accuracy")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"Expected `k` to be a positive integer. Received: k={k!r}")
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        raise ValueError(
            f"sparse_top_k_categorical_accuracy expects integer labels of shape {y_pred.shape[:-1]}. "
            f"Received y_true.shape={y_true.shape} for y_pred.shape={y_pred.shape}; for one-hot "
            "labels use top_k_categorical_accuracy.")
    at_label = np.take_along_axis(y_pred, y_true.astype(np.int64)[..., None], axis=-1)
    rank = 1 + np.sum(y_pred > at_label, axis=-1)
    return (rank <= k).astype(config.floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the one-hot label's class is among the k highest scores, per sample.

    Example:
        >>> top_k_categorical_accuracy([[0, 0, 1]], [[0.1, 0.6, 0.3]], k=2)
        array([1.], dtype=float32)
    """
    y_true, y_pred = _arrays(y_true, y_pred, "top_k_categorical_accuracy")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "top_k_categorical_accuracy expects one-hot labels of y_pred's shape. Received "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}; for integer labels use "
            "sparse_top_k_categorical_accuracy.")
    return sparse_top_k_categorical_accuracy(np.argmax(y_true, -1), y_pred, k=k)


# ---- whole-batch binary metrics ----------------------------------------------------------------
def precision(y_true, y_pred, threshold=0.5):
    """Precision = TP / (TP + FP): of the samples predicted positive, how many are.

    A sample is predicted positive when y_pred > threshold. With no positive prediction
    the result is 0 (no warning), as in Keras.

    Args:
        y_true: 0/1 labels, shape (batch,) or (batch, 1).
        y_pred: scores or probabilities, same number of entries.
        threshold: Defaults to 0.5.

    Example:
        >>> precision([1, 0, 1, 1], [0.9, 0.8, 0.2, 0.7])   # TP=2, FP=1
        0.6666666666666666
    """
    tp, fp, _ = _counts(y_true, y_pred, threshold, "precision")
    return _divide(tp, tp + fp)


def recall(y_true, y_pred, threshold=0.5):
    """Recall = TP / (TP + FN): of the positive samples, how many were found. 0 if none."""
    tp, _, fn = _counts(y_true, y_pred, threshold, "recall")
    return _divide(tp, tp + fn)


def f1_score(y_true, y_pred, threshold=0.5):
    """F1 = 2 precision recall / (precision + recall) = 2TP / (2TP + FP + FN); 0 if undefined."""
    tp, fp, fn = _counts(y_true, y_pred, threshold, "f1_score")
    return _divide(2 * tp, 2 * tp + fp + fn)


def _labels(y, what, arg):
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1)           # one-hot rows or class probabilities
    y = y.reshape(len(y)) if y.ndim == 2 else y
    if y.ndim != 1 or (y.size and not np.all(np.mod(y, 1) == 0)) or (y.size and y.min() < 0):
        raise ValueError(
            f"{what} expects non-negative integer class labels for `{arg}` (or rows of class "
            f"scores, turned into labels with argmax). Received shape {y.shape} with values "
            f"such as {y.ravel()[:3]}. For one sigmoid output use (y_pred > 0.5).astype(int).")
    return y.astype(np.int64)


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts C[i, j] = number of samples of true class i predicted as class j.

    Rows are true classes, columns predicted classes (as scikit-learn). Rows of scores
    (one-hot labels or class probabilities) are turned into labels with argmax.

    Args:
        y_true: integer labels (batch,) or one-hot (batch, K).
        y_pred: integer labels (batch,) or class scores (batch, K).
        num_classes: K. Defaults to 1 + the largest label seen.

    Returns:
        int array of shape (K, K).

    Example:
        >>> confusion_matrix([0, 1, 1], [0, 0, 1])
        array([[1, 0],
               [1, 1]])
    """
    t = _labels(y_true, "confusion_matrix", "y_true")
    p = _labels(y_pred, "confusion_matrix", "y_pred")
    if t.shape != p.shape:
        raise ValueError(
            f"confusion_matrix: y_true has {t.size} labels and y_pred {p.size}.")
    largest = int(max(t.max(initial=-1), p.max(initial=-1)))
    if num_classes is None:
        num_classes = largest + 1
    elif largest >= num_classes:
        raise ValueError(
            f"confusion_matrix: label {largest} does not fit num_classes={num_classes}.")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (t, p), 1)
    return matrix


def roc_curve(y_true, y_score):
    """ROC curve: false and true positive rates for every threshold, as scikit-learn.

    For each distinct score s (high to low), predict positive when y_score >= s:
    tpr = TP / P, fpr = FP / N. The curve starts at (0, 0) with threshold inf.
    Scores must be finite (NaN has no place in the ranking), as in scikit-learn.
    Same as sklearn.metrics.roc_curve(y_true, y_score, drop_intermediate=False).

    Returns:
        (fpr, tpr, thresholds), each of length 1 + number of distinct scores.

    Example:
        >>> fpr, tpr, thr = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> fpr, tpr
        (array([0. , 0. , 0.5, 0.5, 1. ]), array([0. , 0.5, 0.5, 1. , 1. ]))
    """
    y_true, y_score = _binary_arrays(y_true, y_score, "roc_curve")
    if not np.all(np.isfinite(y_score)):
        raise ValueError(
            "roc_curve needs finite scores: y_score holds "
            f"{np.sum(np.isnan(y_score))} NaN and {np.sum(np.isinf(y_score))} infinite values "
            "(a diverged model?). Received values such as "
            f"{y_score[~np.isfinite(y_score)][:3]}.")
    if y_true.all() or not y_true.any():
        raise ValueError(
            "roc_curve needs both positive and negative samples in y_true; received only "
            f"class {int(y_true[0]) if y_true.size else 'none'}.")
    order = np.argsort(y_score, kind="mergesort")[::-1]
    score, truth = y_score[order], y_true[order]
    last_of_each_score = np.r_[np.nonzero(np.diff(score))[0], score.size - 1]
    tps = np.cumsum(truth)[last_of_each_score]
    fps = last_of_each_score + 1 - tps
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, score[last_of_each_score]]
    return fps / fps[-1], tps / tps[-1], thresholds


def roc_auc(y_true, y_score):
    """Area under the ROC curve, by the trapezoid rule (= sklearn's roc_auc_score).

    Example:
        >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        0.75
    """
    fpr, tpr, _ = roc_curve(y_true, y_score)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


# ---- stateful metrics ------------------------------------------------------------------------
class Metric:
    """Base class: running state, `update_state`, `result`, `reset_state`.

    Args:
        name: the metric's name (History key). Defaults to the snake-cased class name.
        dtype: accepted for Keras compatibility.
    """

    def __init__(self, name=None, dtype=None):
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"Expected `name` to be a non-empty string. Received: name={name!r}")
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype
        self.reset_state()

    def reset_state(self):
        """Forget all batches seen so far."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError(f"{type(self).__name__} does not define update_state().")

    def result(self):
        raise NotImplementedError(f"{type(self).__name__} does not define result().")

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Update with one batch and return the running result."""
        self.update_state(y_true, y_pred, sample_weight=sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """Running (weighted) mean of the values passed to `update_state(values)`."""

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, dtype=np.float64)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
        else:
            w = np.broadcast_to(np.asarray(sample_weight, dtype=np.float64).reshape(
                values.shape[:1] + (1,) * max(values.ndim - 1, 0)), values.shape)
            self.total += float(np.sum(values * w))
            self.count += float(np.sum(w))

    def result(self):
        return _divide(self.total, self.count)


class MeanMetricWrapper(Mean):
    """The running mean of `fn(y_true, y_pred)`, a function returning per-sample values.

    Args:
        fn: e.g. nnlab.losses.mean_squared_error.
        name: Defaults to `fn.__name__`.
        **kwargs: passed to `fn`.

    Example:
        >>> m = MeanMetricWrapper(nnlab.losses.mean_absolute_error, name="mae")
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if not callable(fn):
            raise ValueError(f"MeanMetricWrapper needs a function. Received: fn={fn!r}")
        self._fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", "metric"), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class Accuracy(MeanMetricWrapper):
    """How often y_pred equals y_true exactly (Keras' `Accuracy`: labels vs labels)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often (y_pred > threshold) equals the 0/1 label.

    Args:
        threshold: in (0, 1). Defaults to 0.5.
        name: Defaults to "binary_accuracy".
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.number)) \
                or not 0 < threshold < 1:
            raise ValueError(
                "Invalid value for argument `threshold`. Expected a value in interval (0, 1). "
                f"Received: threshold={threshold!r}")
        self.threshold = float(threshold)
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=self.threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) equals argmax of the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) equals the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the k highest scores.

    Args:
        k: how many top classes count. Defaults to 5.
        name: Defaults to "top_k_categorical_accuracy".
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the k highest scores.

    Args:
        k: how many top classes count. Defaults to 5.
        name: Defaults to "sparse_top_k_categorical_accuracy".
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of the squared error (the 'mse' metric)."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(losses.mean_squared_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of the absolute error (the 'mae' metric)."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(losses.mean_absolute_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class _ThresholdCounts(Metric):
    """Running TP, FP, FN of binary predictions y_pred > threshold."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        if thresholds is None:
            thresholds = 0.5
        if isinstance(thresholds, bool) or not isinstance(thresholds, (int, float, np.number)) \
                or not 0 <= thresholds <= 1:
            raise ValueError(
                "nnlab supports one threshold in [0, 1]. "
                f"Received: thresholds={thresholds!r}")
        self.thresholds = float(thresholds)
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self.true_positives = self.false_positives = self.false_negatives = 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(f"{type(self).__name__} does not support sample_weight in nnlab.")
        tp, fp, fn = _counts(y_true, y_pred, self.thresholds, self.name)
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn

    def get_config(self):
        return {**super().get_config(), "thresholds": self.thresholds}


class Precision(_ThresholdCounts):
    """Precision TP / (TP + FP) over all batches seen; positive = y_pred > thresholds.

    Args:
        thresholds: one float in [0, 1]. Defaults to None, meaning 0.5 (Keras).
        name: Defaults to "precision".
    """

    def result(self):
        return _divide(self.true_positives, self.true_positives + self.false_positives)


class Recall(_ThresholdCounts):
    """Recall TP / (TP + FN) over all batches seen; positive = y_pred > thresholds.

    Args:
        thresholds: one float in [0, 1]. Defaults to None, meaning 0.5 (Keras).
        name: Defaults to "recall".
    """

    def result(self):
        return _divide(self.true_positives, self.true_positives + self.false_negatives)


class F1Score(_ThresholdCounts):
    """Binary F1 = 2TP / (2TP + FP + FN) over all batches seen.

    Keras' F1Score is multi-class (average=None returns one score per class); nnlab's
    is the binary score of one sigmoid output, positive = y_pred > threshold.

    Args:
        threshold: Defaults to 0.5.
        name: Defaults to "f1_score".
    """

    def __init__(self, threshold=0.5, name="f1_score", dtype=None):
        super().__init__(thresholds=threshold, name=name, dtype=dtype)

    def result(self):
        tp = self.true_positives
        return _divide(2 * tp, 2 * tp + self.false_positives + self.false_negatives)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "threshold": self.thresholds}


class AUC(Metric):
    """Area under the ROC curve of all batches seen, computed exactly.

    Keras approximates the curve with `num_thresholds` (200) fixed thresholds; nnlab
    keeps every score and computes the exact trapezoid area (= sklearn's roc_auc_score).
    With only one class seen so far the result is 0.

    Args:
        name: Defaults to "auc".
    """

    def __init__(self, num_thresholds=200, curve="ROC", name=None, dtype=None):
        if curve != "ROC":
            raise ValueError(f"nnlab's AUC supports curve='ROC' only. Received: curve={curve!r}")
        self.num_thresholds = num_thresholds
        self.curve = curve
        super().__init__(name=name, dtype=dtype)

    def reset_state(self):
        self._labels, self._scores = [], []

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("AUC does not support sample_weight in nnlab.")
        y_true, y_pred = _binary_arrays(y_true, y_pred, self.name)
        self._labels.append(y_true)
        self._scores.append(y_pred.astype(np.float64))

    def result(self):
        labels = np.concatenate(self._labels) if self._labels else np.zeros(0, bool)
        if labels.all() or not labels.any():
            return 0.0
        return roc_auc(labels, np.concatenate(self._scores))

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve}


class _AccuracyByShape(Metric):
    """'accuracy' as `compile(metrics=["accuracy"])` means it in Keras 3.

    The kind is chosen from the shapes of the first batch
    (keras/src/trainers/compile_utils.py, `get_metric`):
    binary if y_pred has one column; sparse categorical if y_true has a lower rank than
    y_pred, or one column while y_pred has several; categorical otherwise.
    The chosen metric is in `self.resolved`; the name stays the one asked for.
    """

    def __init__(self, name="accuracy", dtype=None):
        self.resolved = None
        super().__init__(name=name, dtype=dtype)

    def _resolve(self, y_true, y_pred):
        y_true, y_pred = _arrays(y_true, y_pred, self.name)
        if y_pred.shape[-1] == 1 or y_pred.ndim == 1:
            return BinaryAccuracy(name=self.name)
        if y_true.ndim < y_pred.ndim or (y_true.shape[-1] == 1 and y_pred.shape[-1] > 1):
            return SparseCategoricalAccuracy(name=self.name)
        return CategoricalAccuracy(name=self.name)

    def reset_state(self):
        if self.resolved is not None:
            self.resolved.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.resolved is None:
            self.resolved = self._resolve(y_true, y_pred)
        self.resolved.update_state(y_true, y_pred, sample_weight)

    def result(self):
        return self.resolved.result() if self.resolved is not None else 0.0


# ---- lookup ------------------------------------------------------------------------------------
_REGISTRY = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "precision": Precision, "recall": Recall, "f1_score": F1Score, "auc": AUC,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "binary_crossentropy": lambda name: MeanMetricWrapper(losses.binary_crossentropy, name=name),
    "categorical_crossentropy": lambda name: MeanMetricWrapper(losses.categorical_crossentropy, name=name),
    "sparse_categorical_crossentropy":
        lambda name: MeanMetricWrapper(losses.sparse_categorical_crossentropy, name=name),
    "accuracy": _AccuracyByShape, "acc": _AccuracyByShape,
}
_CLASSES = {c.__name__: c for c in (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                    SparseCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
                                    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                                    Precision, Recall, F1Score, AUC, Mean)}


def get(identifier, loss=None):
    """Return a Metric for `identifier`; its `name` is the History key.

    Args:
        identifier: a name ("accuracy", "acc", "binary_accuracy", "precision", "recall",
            "f1_score", "auc", "mse", "mae", ...; CamelCase class names too), a Metric
            (returned as is), or a function `fn(y_true, y_pred)` returning per-sample
            values (wrapped in MeanMetricWrapper). A string keeps its spelling as the
            name: "mse" gives History key "mse", as in Keras.
        loss: the compiled loss. Accepted for compatibility; Keras 3 picks the kind of
            "accuracy" from the shapes of y_true and y_pred, not from the loss, and so
            does nnlab (at the first `update_state`).

    Example:
        >>> m = get("accuracy")
        >>> m.update_state([[1], [0]], [[0.8], [0.6]]); m.result()   # binary: 1 of 2
        0.5
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in _CLASSES and identifier not in ("Accuracy",):
            return _CLASSES[identifier](name=identifier)
        factory = lookup("metric", snake_case(identifier), _REGISTRY)
        return factory(name=identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise ValueError(
        "Could not interpret metric identifier: expected a name such as 'accuracy', a Metric "
        f"or a function. Received: {identifier!r}")


def serialize(metric):
    """{"class_name": ..., "config": ...} for a built-in Metric."""
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config):
    """Inverse of `serialize` for the built-in metric classes."""
    if not isinstance(config, dict) or config.get("class_name") not in _CLASSES:
        raise ValueError(
            "Expected a dict {'class_name': ..., 'config': {...}} naming one of "
            f"{sorted(_CLASSES)}. Received: {config!r}")
    return _CLASSES[config["class_name"]].from_config(dict(config.get("config") or {}))
