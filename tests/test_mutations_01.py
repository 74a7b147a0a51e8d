"""Mutation test of solutions/01_neuron.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "01_neuron"
_edit = partial(edit, SLUG)


MUTANTS = {
    "weighted_sum": {
        "forgets the bias": ("return np.sum(w * x) + b", "return np.sum(w * x)"),
        "adds the bias to every product": ("return np.sum(w * x) + b", "return np.sum(w * x + b)"),
        "no sum (returns the products)": ("return np.sum(w * x) + b", "return w * x + b"),
        "mean instead of sum": ("return np.sum(w * x) + b", "return np.mean(w * x) + b"),
        "subtracts the bias": ("return np.sum(w * x) + b", "return np.sum(w * x) - b"),
        "w + x instead of w * x": ("return np.sum(w * x) + b", "return np.sum(w + x) + b"),
    },
    "sigmoid": {
        "naive formula (overflows for z = -800)": _edit("sigmoid", ("e = np.exp(-np.abs(z))\n    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "return 1.0 / (1.0 + np.exp(-z))")),
        "np.where with exp(z) and exp(-z) (both branches overflow)": ("np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))"),
        "branches swapped": ("np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))"),
        "ignores the sign (sigmoid of |z|)": ("np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "1.0 / (1.0 + e)"),
        "float32": ("e = np.exp(-np.abs(z))", "z = z.astype(np.float32); e = np.exp(-np.abs(z))"),
        "tanh form loses the tiny values (cancellation)": ("np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))", "0.5 * (1.0 + np.tanh(z / 2))"),
    },
    "neuron_forward": {
        "forgets the activation": ("return phi(z)", "return z"),
        "forgets the bias": ("z = X @ w + b", "z = X @ w"),
        "bias after the activation": _edit("neuron_forward", ("z = X @ w + b", "z = X @ w"), ("return phi(z)", "return phi(z) + b")),
        "one sum over the whole batch": ("z = X @ w + b", "z = np.sum(X * w) + b"),
        "only the first sample": ("return phi(z)", "return phi(z)[:1]"),
        "sums over samples instead of inputs (X.T)": ("z = X @ w + b", "z = X.T @ w + b"),
    },
    "layer_forward": {
        "forgets the bias": ("phi(X @ kernel + bias)", "phi(X @ kernel)"),
        "bias after the activation": ("phi(X @ kernel + bias)", "phi(X @ kernel) + bias"),
        "transposed kernel": ("phi(X @ kernel + bias)", "phi(X @ kernel.T + bias)"),
        "bias per sample instead of per neuron": ("phi(X @ kernel + bias)", "phi(X @ kernel + bias[:, None])"),
        "sums the neurons": ("phi(X @ kernel + bias)", "phi(X @ kernel + bias).sum(axis=1, keepdims=True)"),
        "forgets the activation": ("phi(X @ kernel + bias)", "X @ kernel + bias"),
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
