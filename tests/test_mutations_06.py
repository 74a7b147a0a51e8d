"""Mutation test of solutions/06_backprop.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "06_backprop"
_edit = partial(edit, SLUG)


MUTANTS = {
    "output_delta": {
        "global max instead of each row's": ("z.max(axis=-1, keepdims=True)", "z.max()"),
        "y - p": ("return p - y", "return y - p"),
        "sum over the batch axis": ("e.sum(axis=-1, keepdims=True)", "e.sum(axis=0, keepdims=True)"),
        "one global sum": ("e / e.sum(axis=-1, keepdims=True)", "e / e.sum()"),
        "no max subtracted (overflow)": ("np.exp(z - z.max(axis=-1, keepdims=True))", "np.exp(z)"),
        "elementwise f' (p - y) p (1 - p)": ("return p - y", "return (p - y) * p * (1 - p)"),
        "float32": ("e = np.exp(z - z.max(axis=-1, keepdims=True))", "e = np.exp((z - z.max(axis=-1, keepdims=True)).astype(np.float32))"),
    },
    "dense_backward": {
        "forgets f'": ("delta = grad_a * f_prime(z)", "delta = grad_a"),
        "kernel gradient transposed": ("return x.T @ delta,", "return delta.T @ x,"),
        "bias gradient averaged": ("delta.sum(axis=0)", "delta.mean(axis=0)"),
        "bias gradient over the wrong axis": ("delta.sum(axis=0)", "delta.sum(axis=1)"),
        "dx skips f'": ("delta @ kernel.T", "grad_a @ kernel.T"),
        "kernel gradient averaged over the batch": ("return x.T @ delta,", "return x.T @ delta / len(x),"),
    },
    "numerical_gradient": {
        "forward difference": _edit("numerical_gradient", ("x[idx] = old - eps\n        f_minus = f()", "x[idx] = old\n        f_minus = f()"), ("/ (2 * eps)", "/ eps")),
        "missing factor 2": ("/ (2 * eps)", "/ eps"),
        "does not restore x": ("        x[idx] = old\n        grad", "        grad"),
        "integer gradient array": ("grad = np.zeros(x.shape)", "grad = np.zeros(x.shape, dtype=int)"),
        "only the first entry": ("for idx in np.ndindex(x.shape):", "for idx in [(0,) * x.ndim]:"),
        "eps fixed at 1e-6 (ignores the argument)": ("        x[idx] = old + eps\n", "        eps = 1e-6\n        x[idx] = old + eps\n"),
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
