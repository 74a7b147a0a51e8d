"""Mutation test of solutions/05_gradient_descent.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "05_gradient_descent"
_edit = partial(edit, SLUG)


MUTANTS = {
    "minibatch_indices": {
        "no shuffle": ("order = gen.permutation(n)", "order = np.arange(n)"),
        "its own generator instead of gen": ("gen.permutation(n)", "np.random.default_rng(0).permutation(n)"),
        "drops the last partial batch": ("range(0, n, batch_size)", "range(0, n - batch_size + 1, batch_size)"),
        "slices one too short": ("order[k:k + batch_size]", "order[k:k + batch_size - 1]"),
        "draws with replacement": ("gen.permutation(n)", "gen.choice(n, n)"),
        "stops one sample early": ("range(0, n, batch_size)", "range(0, n - 1, batch_size)"),
    },
    "minibatch_epoch": {
        "divides by batch_size, not the batch's real length": ("len(idx)", "batch_size"),
        "sum instead of mean": ("-2.0 / len(idx) *", "-2.0 *"),
        "missing factor 2": ("-2.0 / len(idx)", "-1.0 / len(idx)"),
        "no shuffle": ("gen.permutation(len(y))", "np.arange(len(y))"),
        "drops the last partial batch": ("range(0, len(y), batch_size)", "range(0, len(y) - batch_size + 1, batch_size)"),
        "b's residual recomputed with the new w": _edit("minibatch_epoch", ("        b = b - lr", "        e = y[idx] - (X[idx] @ w + b)\n        b = b - lr")),
    },
    "count_updates": {
        "rounds down": ("-(-n // batch_size)", "(n // batch_size)"),
        "always one extra batch": ("-(-n // batch_size)", "(n // batch_size + 1)"),
        "float division": ("-(-n // batch_size)", "(n / batch_size)"),
        "forgets the epochs": ("-(-n // batch_size) * epochs", "-(-n // batch_size)"),
        "rounds to nearest": ("-(-n // batch_size)", "round(n / batch_size)"),
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
