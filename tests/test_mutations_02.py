"""Mutation test of solutions/02_activations.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "02_activations"
_edit = partial(edit, SLUG)


MUTANTS = {
    "relu": {
        "derivative 1 at z = 0": ("(np.asarray(z) > 0)", "(np.asarray(z) >= 0)"),
        "derivative is the sign": ("return (np.asarray(z) > 0).astype(float)", "return np.sign(z)"),
        "np.max instead of np.maximum": ("np.maximum(z, 0.0)", "np.max(z, 0.0)"),
        "absolute value": ("np.maximum(z, 0.0)", "np.abs(z)"),
        "minimum instead of maximum": ("np.maximum(z, 0.0)", "np.minimum(z, 0.0)"),
        "derivative returns relu itself": ("return (np.asarray(z) > 0).astype(float)", "return np.maximum(z, 0.0)"),
    },
    "elu": {
        "forgets alpha": ("alpha * np.expm1(np.minimum(z, 0.0))", "np.expm1(np.minimum(z, 0.0))"),
        "derivative forgets alpha": ("alpha * np.exp(np.minimum(z, 0.0))", "np.exp(np.minimum(z, 0.0))"),
        "derivative uses exp(z) - 1": ("alpha * np.exp(np.minimum(z, 0.0))", "alpha * np.expm1(np.minimum(z, 0.0))"),
        "exp(z) evaluated everywhere (overflows)": ("alpha * np.expm1(np.minimum(z, 0.0))", "alpha * (np.exp(z) - 1)"),
        "exp(z) - 1 instead of expm1 (inaccurate near 0)": ("alpha * np.expm1(np.minimum(z, 0.0))", "alpha * (np.exp(np.minimum(z, 0.0)) - 1)"),
        "derivative 0 on the positive side": ("np.where(z > 0, 1.0,", "np.where(z > 0, 0.0,"),
    },
    "softmax": {
        "global max instead of each row's": ("np.max(Z, axis=-1, keepdims=True)", "np.max(Z)"),
        "no max subtracted (overflow)": ("np.exp(Z - np.max(Z, axis=-1, keepdims=True))", "np.exp(Z)"),
        "sum over the batch axis": ("np.sum(E, axis=-1, keepdims=True)", "np.sum(E, axis=0, keepdims=True)"),
        "one global sum": ("np.sum(E, axis=-1, keepdims=True)", "np.sum(E)"),
        "min instead of max": ("np.max(Z, axis=-1, keepdims=True)", "np.min(Z, axis=-1, keepdims=True)"),
        "max over the wrong axis": ("np.max(Z, axis=-1, keepdims=True)", "np.max(Z, axis=0, keepdims=True)"),
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
