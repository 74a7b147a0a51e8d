"""Mutation test of solutions/07_losses.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "07_losses"
_edit = partial(edit, SLUG)


MUTANTS = {
    "bce_from_logits": {
        "naive formula through the sigmoid": ("return np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))", "p = 1 / (1 + np.exp(-z))\n    return -(y * np.log(p) + (1 - y) * np.log(1 - p))"),
        "exp(-z) without the absolute value": ("np.exp(-np.abs(z))", "np.exp(-z)"),
        "wrong sign of z y": ("- z * y", "+ z * y"),
        "forgets max(z, 0)": ("np.maximum(z, 0) - z * y", "- z * y"),
        "y and 1 - y swapped": ("- z * y", "- z * (1 - y)"),
        "min instead of max": ("np.maximum(z, 0)", "np.minimum(z, 0)"),
    },
    "cce_from_logits": {
        "global max instead of each row's": ("z.max(axis=-1, keepdims=True)", "z.max()"),
        "max without keepdims": ("z.max(axis=-1, keepdims=True)", "z.max(axis=-1)"),
        "log-sum-exp over the batch axis": ("np.sum(np.exp(z - m), axis=-1, keepdims=True)", "np.sum(np.exp(z - m), axis=0, keepdims=True)"),
        "no max subtracted (overflow)": ("m = z.max(axis=-1, keepdims=True)", "m = 0.0"),
        "mean over the classes": ("-np.sum(y * log_p, axis=-1)", "-np.mean(y * log_p, axis=-1)"),
        "one sum over the whole batch": ("-np.sum(y * log_p, axis=-1)", "-np.sum(y * log_p)"),
        "forgets to subtract m in the first term": ("(z - m) - np.log", "z - np.log"),
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
