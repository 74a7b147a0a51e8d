"""Mutation test of solutions/08_optimizers.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "08_optimizers"
_edit = partial(edit, SLUG)


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
