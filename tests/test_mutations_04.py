"""Mutation test of solutions/04_logistic_regression.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "04_logistic_regression"
_edit = partial(edit, SLUG)


MUTANTS = {
    "bce": {
        "no clipping (log 0)": ("p = np.clip(p, 1e-7, 1 - 1e-7)", "p = p"),
        "sum instead of mean": ("-np.mean(", "-np.sum("),
        "wrong sign": ("-np.mean(", "np.mean("),
        "forgets the (1 - y) term": (" + (1 - y) * np.log(1 - p)", ""),
        "log10 instead of ln": ("np.log(", "np.log10("),
        "clips at 1e-15 instead of Keras' 1e-7": ("np.clip(p, 1e-7, 1 - 1e-7)", "np.clip(p, 1e-15, 1 - 1e-15)"),
    },
    "bce_gradient": {
        "wrong sign (y - p)": ("r = p - y", "r = y - p"),
        "sum instead of mean": ("X.T @ r / len(y)", "X.T @ r"),
        "divides by the number of features": ("X.T @ r / len(y)", "X.T @ r / X.shape[1]"),
        "MSE-style extra factor p(1 - p)": ("r = p - y", "r = (p - y) * p * (1 - p)"),
        "forgets the bias": ("(X @ w + b)", "(X @ w)"),
        "db summed": ("np.mean(r)", "np.sum(r)"),
    },
    "confusion_counts": {
        "strict > instead of >=": ("pred = p >= threshold", "pred = p > threshold"),
        "FP and FN swapped": ("return tp, fp, fn, tn", "return tp, fn, fp, tn"),
        "TN counts the wrong label": ("tn = int(np.sum(~pred & (y == 0)))", "tn = int(np.sum(~pred & (y == 1)))"),
        "threshold reversed": ("pred = p >= threshold", "pred = p <= threshold"),
        "FN counted among predicted positives": ("fn = int(np.sum(~pred & (y == 1)))", "fn = int(np.sum(pred & (y == 1)))"),
    },
    "boundary_x2": {
        "ignores the threshold (z = 0)": ("z_t = np.log(threshold / (1 - threshold))", "z_t = 0.0"),
        "uses the threshold as z": ("z_t = np.log(threshold / (1 - threshold))", "z_t = threshold"),
        "log t instead of the logit": ("z_t = np.log(threshold / (1 - threshold))", "z_t = np.log(threshold)"),
        "sign of b": ("(z_t - b - w[0] * x1)", "(z_t + b - w[0] * x1)"),
        "w[0] and w[1] swapped": _edit("boundary_x2", ("(z_t - b - w[0] * x1) / w[1]", "(z_t - b - w[1] * x1) / w[0]")),
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
