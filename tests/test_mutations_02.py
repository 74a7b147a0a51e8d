"""Mutation test of solutions/02_activations.ipynb: plausible wrong answers must fail its tests."""
from _mutation import _cells, _meta, _source, mutation_tests

SLUG = "02_activations"


def _edit(grade_id, *pairs):
    """The solution cell `grade_id` with every (old, new) pair substituted (each old must occur)."""
    source = next(_source(c) for c in _cells(SLUG) if _meta(c).get("grade_id") == grade_id)
    for old, new in pairs:
        assert old in source, f"{old!r} is not in cell {grade_id!r}"
        source = source.replace(old, new)
    return source


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
