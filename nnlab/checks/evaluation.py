"""Feedback for lessons/14_evaluation.ipynb: confusion matrix, per-class scores, ROC and AUC.

Every expected value below is worked out by hand on tiny inputs (the arithmetic is in the
comments), not by calling nnlab.metrics or scikit-learn, and every failure says in plain
words what is wrong.
"""
import numpy as np

from nnlab.checks._core import (CheckFailed, OwnCodeRequired, _call as _call_any, expect_close,
                                expect_shape, own_code_only, passed)

__all__ = ["check_confusion_matrix_labels", "check_class_scores", "check_roc_curve_auc"]

# Every metric of nnlab.metrics and scikit-learn's confusion_matrix, precision_recall_fscore_support,
# roc_curve and roc_auc_score go through one of these module-level helpers, however the student
# imported the function; while a student's function runs, they refuse to work (scikit-learn's
# when it is imported; when it is not, importing sklearn.metrics inside the call fails).
_LIBRARY_HELPERS = ("nnlab.metrics._arrays", "nnlab.metrics._labels",
                    "sklearn.metrics._classification._check_targets",
                    "sklearn.metrics._ranking.confusion_matrix_at_thresholds",
                    "sklearn.metrics._ranking._binary_clf_curve")


def _call(fn, *args):
    """Call the student's function with nnlab.metrics and sklearn.metrics switched off."""
    name = getattr(fn, "__name__", "your function")
    try:
        with own_code_only(name, _LIBRARY_HELPERS, ("sklearn", "sklearn.metrics")):
            return _call_any(fn, *args)
    except (OwnCodeRequired, ImportError) as error:
        if isinstance(error, ImportError) and (error.name or "").partition(".")[0] != "sklearn":
            raise
        raise CheckFailed(f"{name} calls nnlab.metrics or sklearn.metrics: this exercise asks for "
                          "your own NumPy code.") from None


def _int_matrix(what, got, expected):
    expected = np.asarray(expected)
    got_arr = np.asarray(got)
    expect_shape(what, got_arr, expected.shape)
    if got_arr.dtype.kind not in "iu":
        raise CheckFailed(f"{what} should hold integer counts, got dtype {got_arr.dtype}: "
                          "create the matrix with np.zeros((K, K), dtype=int).")
    if not np.array_equal(got_arr, expected):
        if np.array_equal(got_arr, expected.T):
            raise CheckFailed(f"{what} should be {expected.tolist()}, got {got_arr.tolist()}: that is the "
                              "transpose. Rows are the true classes, columns the predicted ones "
                              "(C[i, j] counts samples of true class i predicted as j).")
        raise CheckFailed(f"{what} should be {expected.tolist()}, got {got_arr.tolist()}.")


def check_confusion_matrix_labels(confusion_matrix):
    """`confusion_matrix(y_true, y_pred, labels=None)`: rows true, columns predicted, any labels."""
    # true 0 -> pred 0; true 1 -> pred 0 and pred 2; true 2 -> pred 2
    got = _call(confusion_matrix, np.array([0, 1, 1, 2]), np.array([0, 0, 2, 2]))
    _int_matrix("confusion_matrix(y_true=[0, 1, 1, 2], y_pred=[0, 0, 2, 2])", got,
                [[1, 0, 0], [1, 0, 1], [0, 0, 1]])
    # the pair (true 1, pred 1) occurs twice
    got = _call(confusion_matrix, np.array([1, 1, 1, 0]), np.array([1, 1, 0, 0]))
    if np.array_equal(np.asarray(got), [[1, 0], [1, 1]]):
        raise CheckFailed("confusion_matrix(y_true=[1, 1, 1, 0], y_pred=[1, 1, 0, 0]) should be "
                          "[[1, 0], [1, 2]], got [[1, 0], [1, 1]]: the pair (true 1, predicted 1) occurs "
                          "twice but was counted once. `C[t, p] += 1` with index arrays adds 1 once per "
                          "distinct cell; loop over the samples or use np.add.at(C, (t, p), 1).")
    _int_matrix("confusion_matrix(y_true=[1, 1, 1, 0], y_pred=[1, 1, 0, 0])", got, [[1, 0], [1, 2]])
    # class 2 is never predicted: it still gets a column (of zeros)
    got = _call(confusion_matrix, np.array([0, 1, 2]), np.array([0, 1, 1]))
    _int_matrix("confusion_matrix(y_true=[0, 1, 2], y_pred=[0, 1, 1]) (class 2 is never predicted "
                "but is a class: 3 x 3)", got, [[1, 0, 0], [0, 1, 0], [0, 1, 0]])
    # class 1 is only predicted, never true
    try:
        got = _call(confusion_matrix, np.array([0, 0]), np.array([0, 1]))
    except (KeyError, IndexError) as error:
        raise CheckFailed("confusion_matrix(y_true=[0, 0], y_pred=[0, 1]) failed with "
                          f"{type(error).__name__}: {error}: class 1 occurs only in y_pred. Take the classes "
                          "from y_true and y_pred together.") from None
    _int_matrix("confusion_matrix(y_true=[0, 0], y_pred=[0, 1]) (class 1 appears only in the "
                "predictions: 2 x 2)", got, [[1, 1], [0, 0]])
    # labels 3, 7, 9 -> rows/columns 0, 1, 2
    y_true, y_pred = np.array([3, 7, 7, 9]), np.array([3, 9, 7, 9])
    got = _call(confusion_matrix, y_true, y_pred)
    if np.shape(got) == (10, 10):
        raise CheckFailed("confusion_matrix(y_true=[3, 7, 7, 9], y_pred=[3, 9, 7, 9]) should be 3 x 3 "
                          "(the classes are 3, 7 and 9), got 10 x 10: the labels were used as row "
                          "numbers. Map labels[k] to row/column k.")
    _int_matrix("confusion_matrix(y_true=[3, 7, 7, 9], y_pred=[3, 9, 7, 9]) (classes 3, 7, 9)",
                got, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    got = _call(confusion_matrix, y_true, y_pred, [9, 7, 3])
    if np.array_equal(np.asarray(got), [[1, 0, 0], [0, 1, 1], [0, 0, 1]]):
        raise CheckFailed("with labels=[9, 7, 3] row 0 (and column 0) is class 9: keep the order of "
                          "`labels` as given, do not sort it.")
    _int_matrix("confusion_matrix(y_true=[3, 7, 7, 9], y_pred=[3, 9, 7, 9], labels=[9, 7, 3])", got,
                [[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    got = _call(confusion_matrix, y_true, y_pred, [3, 5, 7, 9])
    _int_matrix("confusion_matrix(..., labels=[3, 5, 7, 9]) (class 5 never occurs: a row and a column "
                "of zeros)", got, [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 0, 1]])
    # 300 samples in one cell: more than an 8-bit integer holds
    y = np.r_[np.zeros(300, dtype=int), 1]
    got = _call(confusion_matrix, y, y)
    if np.asarray(got).dtype.kind in "iu" and np.asarray(got).dtype.itemsize == 1:
        raise CheckFailed(f"confusion_matrix of 300 correct class-0 samples and 1 correct class-1 sample "
                          f"should be [[300, 0], [0, 1]], got {np.asarray(got).tolist()}: the count overflows. "
                          f"dtype {np.asarray(got).dtype} holds at most {np.iinfo(np.asarray(got).dtype).max}"
                          "; create the matrix with np.zeros((K, K), dtype=int).")
    _int_matrix("confusion_matrix of 300 correct class-0 samples and 1 correct class-1 sample", got,
                [[300, 0], [0, 1]])
    got = _call(confusion_matrix, np.array(["cat", "dog", "dog"]), np.array(["dog", "dog", "cat"]))
    _int_matrix("confusion_matrix(y_true=['cat', 'dog', 'dog'], y_pred=['dog', 'dog', 'cat'])", got,
                [[0, 1], [1, 1]])
    passed("confusion_matrix: rows = true, columns = predicted, any labels in the given order")


def _scores(class_scores, cm):
    cm = np.array(cm)
    before = cm.copy()
    got = _call(class_scores, cm)
    if not np.array_equal(cm, before):
        raise CheckFailed("class_scores changed the confusion matrix it was given; work on copies.")
    if not isinstance(got, dict):
        raise CheckFailed(f"class_scores should return a dict, got {type(got).__name__}.")
    keys = {"precision", "recall", "f1", "macro_precision", "macro_recall", "macro_f1"}
    if set(got) != keys:
        raise CheckFailed(f"class_scores should return the keys {sorted(keys)}, got {sorted(got)}.")
    for key in keys:
        if np.any(np.isnan(np.asarray(got[key], dtype=float))):
            raise CheckFailed(f"class_scores({cm.tolist()})[{key!r}] contains nan: where a denominator "
                              "is 0 (a class never predicted, or with no true samples) the score is "
                              "defined as 0.")
    return got


def check_class_scores(class_scores):
    """`class_scores(cm)`: per-class precision, recall, F1 and their macro averages, 0 for 0/0."""
    # cm rows = true, columns = predicted. Column sums [7, 4, 0], row sums [5, 5, 1], diagonal [4, 3, 0]
    cm = [[4, 1, 0], [2, 3, 0], [1, 0, 0]]
    got = _scores(class_scores, cm)
    precision, recall = [4 / 7, 3 / 4, 0.0], [4 / 5, 3 / 5, 0.0]
    if np.allclose(np.asarray(got["precision"], dtype=float), recall):
        raise CheckFailed(f"precision for cm={cm} should be [4/7, 3/4, 0], got [4/5, 3/5, 0], which is the "
                          "recall: precision divides by the column sum (all samples *predicted* as k), "
                          "recall by the row sum (all samples that *are* k).")
    expect_close(f"precision for cm={cm} (diagonal / column sums [7, 4, 0]; 0 for the never predicted "
                 "class 2)", got["precision"], precision)
    expect_close(f"recall for cm={cm} (diagonal / row sums [5, 5, 1])", got["recall"], recall)
    if np.allclose(np.asarray(got["f1"], dtype=float), [(4 / 7 + 4 / 5) / 2, (3 / 4 + 3 / 5) / 2, 0.0]):
        raise CheckFailed("f1 is the harmonic mean 2PR / (P + R), not the arithmetic mean (P + R) / 2.")
    expect_close(f"f1 for cm={cm} (2 TP / (row sum + column sum) = [8/12, 6/9, 0])", got["f1"],
                 [2 / 3, 2 / 3, 0.0])
    if np.isclose(float(got["macro_precision"]), 7 / 11):
        raise CheckFailed(f"macro_precision for cm={cm} should be (4/7 + 3/4 + 0) / 3 = {37 / 84:.6f}, got "
                          f"{7 / 11:.6f} = trace / total, the *micro* average. Macro = the plain mean of "
                          "the K per-class scores.")
    if np.isclose(float(got["macro_precision"]), (4 / 7 + 3 / 4) / 2):
        raise CheckFailed(f"macro_precision for cm={cm} should be (4/7 + 3/4 + 0) / 3 = {37 / 84:.6f}, got "
                          f"{(4 / 7 + 3 / 4) / 2:.6f}: the average is over all K = 3 classes, including "
                          "class 2 whose precision is 0.")
    expect_close(f"macro_precision for cm={cm} ((4/7 + 3/4 + 0) / 3)", got["macro_precision"], 37 / 84)
    expect_close(f"macro_recall for cm={cm} ((4/5 + 3/5 + 0) / 3)", got["macro_recall"], 7 / 15)
    mp, mr = 37 / 84, 7 / 15
    if np.isclose(float(got["macro_f1"]), 2 * mp * mr / (mp + mr)):
        raise CheckFailed(f"macro_f1 for cm={cm} should be the mean of the per-class F1, (2/3 + 2/3 + 0) / 3 "
                          f"= {4 / 9:.6f}, got {2 * mp * mr / (mp + mr):.6f}, the harmonic mean of macro "
                          "precision and macro recall.")
    expect_close(f"macro_f1 for cm={cm} ((2/3 + 2/3 + 0) / 3)", got["macro_f1"], 4 / 9)
    # class 1 predicted once, never true: precision 0/1, recall 0/0 -> 0, f1 0/(0 + 1) = 0
    cm = [[1, 1], [0, 0]]
    got = _scores(class_scores, cm)
    expect_close(f"precision for cm={cm}", got["precision"], [1.0, 0.0])
    expect_close(f"recall for cm={cm} (class 1 has no true samples: 0/0 -> 0)", got["recall"], [0.5, 0.0])
    expect_close(f"f1 for cm={cm} (2/(2 + 1) and 0)", got["f1"], [2 / 3, 0.0])
    if np.isclose(float(got["macro_f1"]), 2 / 3):
        raise CheckFailed(f"macro_f1 for cm={cm} should be (2/3 + 0) / 2 = 0.333333, got 0.666667: class 1 has no "
                          "true samples but is still one of the K classes; average over all of them.")
    expect_close(f"macro_f1 for cm={cm}", got["macro_f1"], 1 / 3)
    passed("class_scores: per-class precision/recall/F1 (0 for 0/0) and their macro averages")


def check_roc_curve_auc(roc_curve_auc):
    """`roc_curve_auc(y_true, y_score)` -> (fpr, tpr, thresholds, auc), scikit-learn's points."""
    y, s = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    y0, s0 = y.copy(), s.copy()
    got = _call(roc_curve_auc, y, s)
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        raise CheckFailed("roc_curve_auc should return four things: (fpr, tpr, thresholds, auc).")
    if not (np.array_equal(y, y0) and np.array_equal(s, s0)):
        raise CheckFailed("roc_curve_auc changed its inputs (did you sort y_score in place?): work on copies.")
    fpr, tpr, thr, auc = got
    # thresholds inf, 0.8, 0.4, 0.35, 0.1: P = N = 2
    # >= 0.8: TP 1 FP 0; >= 0.4: TP 1 FP 1; >= 0.35: TP 2 FP 1; >= 0.1: TP 2 FP 2
    what = "for y_true=[0, 0, 1, 1], y_score=[0.1, 0.4, 0.35, 0.8]"
    expect_shape(f"fpr {what} (one point per distinct score, plus the start (0, 0))", fpr, (5,))
    thr = np.asarray(thr, dtype=float)
    expect_shape(f"thresholds {what}", thr, (5,))
    if not np.isinf(thr[0]) or thr[0] < 0:
        raise CheckFailed(f"thresholds {what} should start with np.inf (no sample predicted positive: the "
                          f"point (0, 0)), got {thr[0]}.")
    if np.allclose(thr[1:], [0.1, 0.35, 0.4, 0.8]):
        raise CheckFailed(f"thresholds {what} should decrease: [inf, 0.8, 0.4, 0.35, 0.1]. The curve goes from "
                          "(0, 0) (threshold above every score) to (1, 1) (threshold at the lowest score).")
    expect_close(f"thresholds {what}", thr[1:], [0.8, 0.4, 0.35, 0.1])
    if np.allclose(np.asarray(fpr, dtype=float), [0, 0.5, 0.5, 1, 1]) and \
            np.allclose(np.asarray(tpr, dtype=float), [0, 0, 0.5, 0.5, 1]):
        raise CheckFailed(f"fpr and tpr {what} are swapped: return (fpr, tpr, ...), fpr = FP/N on the x axis "
                          "first.")
    expect_close(f"fpr {what} (FP / N with score >= threshold)", fpr, [0, 0, 0.5, 0.5, 1])
    expect_close(f"tpr {what} (TP / P with score >= threshold)", tpr, [0, 0.5, 0.5, 1, 1])
    expect_close(f"auc {what}", auc, 0.75)
    # ties: scores 0.5 are shared by one positive and two negatives; P = 2, N = 3
    y, s = np.array([1, 0, 0, 1, 0]), np.array([0.9, 0.5, 0.5, 0.5, 0.2])
    fpr, tpr, thr, auc = _call(roc_curve_auc, y, s)
    what = "for y_true=[1, 0, 0, 1, 0], y_score=[0.9, 0.5, 0.5, 0.5, 0.2]"
    if np.shape(fpr) == (6,):
        raise CheckFailed(f"{what} the curve has 6 points, should have 4 (inf and the distinct scores 0.9, 0.5, "
                          "0.2): samples with equal scores are predicted positive together, so a tie makes "
                          "one diagonal step, not one step per sample.")
    expect_shape(f"fpr {what}", fpr, (4,))
    expect_close(f"thresholds {what}", np.asarray(thr, dtype=float)[1:], [0.9, 0.5, 0.2])
    # >= 0.9: TP 1 FP 0; >= 0.5: TP 2 FP 2; >= 0.2: TP 2 FP 3
    expect_close(f"fpr {what}", fpr, [0, 0, 2 / 3, 1])
    expect_close(f"tpr {what}", tpr, [0, 0.5, 1, 1])
    # trapezoids: 0 + (2/3)(0.5 + 1)/2 + (1/3)(1 + 1)/2 = 1/2 + 1/3
    if np.isclose(float(auc), 2 / 3):
        raise CheckFailed(f"auc {what} should be 5/6 = 0.833333, got 0.666667: that is the sum of rectangles "
                          "width x left height. The trapezoid rule uses the mean of the two heights, "
                          "(tpr[i] + tpr[i + 1]) / 2.")
    expect_close(f"auc {what} (trapezoid rule)", auc, 5 / 6)
    # two scores 1e-9 apart are distinct: 4 thresholds (inf, 0.3 + 1e-9, 0.3, 0.1), not 3
    y, s = np.array([1, 0, 0]), np.array([0.3 + 1e-9, 0.3, 0.1])
    fpr, tpr, thr, auc = _call(roc_curve_auc, y, s)
    what = "for y_true=[1, 0, 0], y_score=[0.3 + 1e-9, 0.3, 0.1]"
    if np.shape(fpr) != (4,) or abs(float(auc) - 1.0) > 1e-12:
        raise CheckFailed(f"{what} the positive scores higher than both negatives: 4 points and auc 1.0, got "
                          f"{np.shape(fpr)[0] if np.ndim(fpr) else fpr} points and auc {float(auc):.6f}. Scores "
                          "1e-9 apart are distinct: keep y_score in float64 and do not round it.")
    passed("roc_curve_auc: points from (0, 0) to (1, 1) at decreasing thresholds, ties together, "
           "trapezoid AUC")
