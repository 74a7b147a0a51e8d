"""Mutation test of solutions/14_evaluation.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "14_evaluation"
_edit = partial(edit, SLUG)


FANCY_INDEX_COUNTS_ONCE = '''
def confusion_matrix(y_true, y_pred, labels=None):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    index = {label: k for k, label in enumerate(labels)}
    t = np.array([index[v] for v in y_true.tolist()], dtype=int)
    p = np.array([index[v] for v in y_pred.tolist()], dtype=int)
    C = np.zeros((len(index), len(index)), dtype=int)
    C[t, p] += 1
    return C
'''

LABELS_AS_INDICES = '''
def confusion_matrix(y_true, y_pred, labels=None):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    K = int(max(y_true.max(), y_pred.max())) + 1 if labels is None else len(labels)
    C = np.zeros((K, K), dtype=int)
    np.add.at(C, (y_true, y_pred), 1)
    return C
'''

ONE_POINT_PER_SAMPLE = '''
def roc_curve_auc(y_true, y_score):
    y_true = np.asarray(y_true).astype(bool)
    y_score = np.asarray(y_score, dtype=float)
    order = np.argsort(-y_score, kind="stable")
    tps = np.r_[0, np.cumsum(y_true[order])]
    fps = np.r_[0, np.cumsum(~y_true[order])]
    thresholds = np.r_[np.inf, y_score[order]]
    fpr, tpr = fps / fps[-1], tps / tps[-1]
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    return fpr, tpr, thresholds, auc
'''

CALLS_NNLAB_CONFUSION_MATRIX = '''
def confusion_matrix(y_true, y_pred, labels=None):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    index = {label: k for k, label in enumerate(labels)}
    t = np.array([index[v] for v in y_true.tolist()], dtype=int)
    p = np.array([index[v] for v in y_pred.tolist()], dtype=int)
    return nnlab.metrics.confusion_matrix(t, p, num_classes=len(index))
'''

CALLS_SKLEARN_CONFUSION_MATRIX = '''
def confusion_matrix(y_true, y_pred, labels=None):
    from sklearn import metrics
    return metrics.confusion_matrix(y_true, y_pred, labels=labels)
'''

CALLS_SKLEARN_PRFS = '''
def class_scores(cm):
    from sklearn.metrics import precision_recall_fscore_support
    cm = np.asarray(cm)
    K = len(cm)
    t = np.repeat(np.repeat(np.arange(K)[:, None], K, 1).ravel(), cm.ravel())
    p = np.repeat(np.tile(np.arange(K), K), cm.ravel())
    P, R, F, _ = precision_recall_fscore_support(t, p, labels=range(K), zero_division=0)
    return {"precision": P, "recall": R, "f1": F, "macro_precision": float(P.mean()),
            "macro_recall": float(R.mean()), "macro_f1": float(F.mean())}
'''

CALLS_NNLAB_ROC = '''
def roc_curve_auc(y_true, y_score):
    fpr, tpr, thresholds = nnlab.metrics.roc_curve(y_true, y_score)
    return fpr, tpr, thresholds, nnlab.metrics.roc_auc(y_true, y_score)
'''

CALLS_SKLEARN_ROC = '''
def roc_curve_auc(y_true, y_score):
    from sklearn.metrics import roc_curve, roc_auc_score
    fpr, tpr, thresholds = roc_curve(y_true, y_score, drop_intermediate=False)
    return fpr, tpr, thresholds, roc_auc_score(y_true, y_score)
'''

MUTANTS = {
    "confusion_matrix": {
        "transposed (rows = predicted)": ("C[index[t], index[p]] += 1", "C[index[p], index[t]] += 1"),
        "C[t, p] += 1 with index arrays (repeated pairs counted once)": FANCY_INDEX_COUNTS_ONCE,
        "classes from y_true only (a class only predicted is lost)":
            ("np.unique(np.concatenate([y_true, y_pred]))", "np.unique(y_true)"),
        "labels used as row numbers (3, 7, 9 -> 10 x 10)": LABELS_AS_INDICES,
        "given labels sorted instead of kept in order":
            ("enumerate(labels)}", "enumerate(sorted(labels))}"),
        "float counts": ("dtype=int)", ")"),
        "uint8 counts (overflow past 255)": ("dtype=int)", "dtype=np.uint8)"),
        "calls nnlab.metrics.confusion_matrix": CALLS_NNLAB_CONFUSION_MATRIX,
        "calls sklearn.metrics.confusion_matrix": CALLS_SKLEARN_CONFUSION_MATRIX,
    },
    "class_scores": {
        "precision and recall swapped": _edit("class_scores", ("predicted = cm.sum(axis=0)", "predicted = cm.sum(axis=1)"),
                                              ("actual = cm.sum(axis=1)", "actual = cm.sum(axis=0)")),
        "micro instead of macro averages": _edit(
            "class_scores",
            ("float(precision.mean())", "float(tp.sum() / predicted.sum())"),
            ("float(recall.mean())", "float(tp.sum() / actual.sum())"),
            ("float(f1.mean())", "float(2 * tp.sum() / (actual.sum() + predicted.sum()))")),
        "0/0 gives nan": ("return np.divide(a, b, out=np.zeros(len(a)), where=b > 0)",
                          "with np.errstate(divide='ignore', invalid='ignore'):\n            return a / b"),
        "macro F1 = harmonic mean of macro P and macro R":
            ("float(f1.mean())", "float(2 * precision.mean() * recall.mean() / (precision.mean() + recall.mean()))"),
        "F1 = arithmetic mean (P + R) / 2": ("f1 = safe_divide(2 * tp, actual + predicted)", "f1 = (precision + recall) / 2"),
        "macro average only over classes with true samples": _edit(
            "class_scores",
            ("float(precision.mean())", "float(precision[actual > 0].mean())"),
            ("float(recall.mean())", "float(recall[actual > 0].mean())"),
            ("float(f1.mean())", "float(f1[actual > 0].mean())")),
        "calls sklearn.metrics.precision_recall_fscore_support": CALLS_SKLEARN_PRFS,
    },
    "roc_curve_auc": {
        "thresholds ascending (unsorted curve)": ("np.unique(y_score)[::-1]", "np.unique(y_score)"),
        "one point per sample (ties not grouped)": ONE_POINT_PER_SAMPLE,
        "fpr and tpr swapped": ("return fpr, tpr, thresholds, auc", "return tpr, fpr, thresholds, auc"),
        "does not start at (0, 0) (no inf threshold)":
            ("np.r_[np.inf, np.unique(y_score)[::-1]]", "np.unique(y_score)[::-1]"),
        "score > threshold instead of >=": _edit("roc_curve_auc", ("(y_score >= t)) for t in thresholds]) / P", "(y_score > t)) for t in thresholds]) / P"),
                                                 ("(y_score >= t)) for t in thresholds]) / N", "(y_score > t)) for t in thresholds]) / N")),
        "AUC by left rectangles": ("(tpr[1:] + tpr[:-1]) / 2", "tpr[:-1]"),
        "AUC integrated along the wrong axis": ("np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2",
                                                "np.diff(tpr) * (fpr[1:] + fpr[:-1]) / 2"),
        "rates divided by the number of samples": _edit("roc_curve_auc", ("thresholds]) / P", "thresholds]) / len(y_true)"),
                                                        ("thresholds]) / N", "thresholds]) / len(y_true)")),
        "sorts the caller's scores in place": ("y_score = np.asarray(y_score, dtype=float)",
                                               "y_score = np.asarray(y_score, dtype=float)\n    y_score.sort()"),
        "scores cast to float32 (close scores merge)": ("y_score = np.asarray(y_score, dtype=float)",
                                                        "y_score = np.asarray(y_score, dtype=np.float32)"),
        "scores rounded to 6 decimals before finding the distinct ones": ("np.unique(y_score)[::-1]]",
                                                                          "np.unique(np.round(y_score, 6))[::-1]]"),
        "calls nnlab.metrics.roc_curve and roc_auc": CALLS_NNLAB_ROC,
        "calls sklearn.metrics.roc_curve and roc_auc_score": CALLS_SKLEARN_ROC,
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
