"""Mutation test of solutions/08_optimizers.ipynb: plausible wrong answers must fail its tests."""
from _mutation import _cells, _meta, _source, mutation_tests

SLUG = "08_optimizers"


def _edit(grade_id, *pairs):
    """The solution cell `grade_id` with every (old, new) pair substituted (each old must occur)."""
    source = next(_source(c) for c in _cells(SLUG) if _meta(c).get("grade_id") == grade_id)
    for old, new in pairs:
        assert old in source, f"{old!r} is not in cell {grade_id!r}"
        source = source.replace(old, new)
    return source


MUTANTS = {
    "momentum_step": {
        "updates w and m in place": ("m = momentum * m - learning_rate * g\n    return w + m, m", "m *= momentum\n    m -= learning_rate * g\n    w += m\n    return w, m"),
        "textbook velocity returned as Keras' m": ("m = momentum * m - learning_rate * g\n    return w + m, m", "m = momentum * m + g\n    return w - learning_rate * m, m"),
        "wrong sign of the gradient": ("- learning_rate * g", "+ learning_rate * g"),
        "moves by the old velocity": ("m = momentum * m - learning_rate * g\n    return w + m, m", "m_new = momentum * m - learning_rate * g\n    return w + m, m_new"),
        "Nesterov step instead": ("return w + m, m", "return w + momentum * m - learning_rate * g, m"),
        "momentum applied to w too": ("return w + m, m", "return momentum * w + m, m"),
    },
    "adam_step": {
        "no bias correction (the documents' Adam)": _edit("adam_step", ("m_hat = m / (1 - beta_1 ** t)", "m_hat = m"), ("v_hat = v / (1 - beta_2 ** t)", "v_hat = v")),
        "returns m_hat and v_hat as the state": ("return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v", "return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m_hat, v_hat"),
        "epsilon inside the root": ("np.sqrt(v_hat) + epsilon", "np.sqrt(v_hat + epsilon)"),
        "off by one in t": _edit("adam_step", ("beta_1 ** t", "beta_1 ** (t + 1)"), ("beta_2 ** t", "beta_2 ** (t + 1)")),
        "no square root": ("np.sqrt(v_hat) + epsilon", "v_hat + epsilon"),
        "g not squared in v": ("(1 - beta_2) * g ** 2", "(1 - beta_2) * g"),
        "only m corrected": ("v_hat = v / (1 - beta_2 ** t)", "v_hat = v"),
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
