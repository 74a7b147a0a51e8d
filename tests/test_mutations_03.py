"""Mutation test of solutions/03_linear_regression.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "03_linear_regression"
_edit = partial(edit, SLUG)


MUTANTS = {
    "mse_gradient": {
        "missing factor 2": ("-2.0 / n", "-1.0 / n"),
        "wrong sign": ("-2.0 / n", "2.0 / n"),
        "sum instead of mean": ("-2.0 / n *", "-2.0 *"),
        "forgets the bias in the residual": ("e = y - (X @ w + b)", "e = y - X @ w"),
        "n from the wrong axis": ("n = len(y)", "n = X.shape[1]"),
        "mean of X times mean of e": ("dw = -2.0 / n * (X.T @ e)", "dw = -2.0 * X.mean(axis=0) * e.mean()"),
    },
    "gradient_descent": {
        "gradient computed once, before the loop": _edit("gradient_descent", ("    for _ in range(steps):\n        dw, db = grad_fn(w, b)\n", "    dw, db = grad_fn(w, b)\n    for _ in range(steps):\n")),
        "plus instead of minus": ("w = w - lr * dw", "w = w + lr * dw"),
        "one step too few": ("range(steps)", "range(steps - 1)"),
        "one step too many": ("range(steps)", "range(steps + 1)"),
        "updates the caller's array in place": ("w = w - lr * dw", "w -= lr * dw"),
        "forgets to update b": ("b = b - lr * db", "b = b"),
    },
    "normal_equation": {
        "no bias column": _edit("normal_equation", ("X1 = np.column_stack([X, np.ones(len(X))])\n    theta = np.linalg.solve(X1.T @ X1, X1.T @ y)\n    return theta[:-1], theta[-1]", "w = np.linalg.solve(X.T @ X, X.T @ y)\n    return w, 0.0")),
        "ones column first, read as last": ("np.column_stack([X, np.ones(len(X))])", "np.column_stack([np.ones(len(X)), X])"),
        "w and b read from the wrong ends": ("return theta[:-1], theta[-1]", "return theta[1:], theta[0]"),
        "one simple regression per feature (cov / var)": _edit("normal_equation", ("X1 = np.column_stack([X, np.ones(len(X))])\n    theta = np.linalg.solve(X1.T @ X1, X1.T @ y)\n    return theta[:-1], theta[-1]", "xm, ym = X.mean(axis=0), y.mean()\n    w = ((X - xm).T @ (y - ym)) / ((X - xm) ** 2).sum(axis=0)\n    return w, ym - xm @ w")),
        "lstsq on X without the ones column": _edit("normal_equation", ("X1 = np.column_stack([X, np.ones(len(X))])\n    theta = np.linalg.solve(X1.T @ X1, X1.T @ y)\n    return theta[:-1], theta[-1]", "w = np.linalg.lstsq(X, y - y.mean(), rcond=None)[0]\n    return w, y.mean()")),
    },
    "critical_learning_rate": {
        "missing 2/n (X1^T X1)": ("H = 2.0 / len(X) * X1.T @ X1", "H = X1.T @ X1"),
        "missing factor 2 ((1/n) X1^T X1)": ("H = 2.0 / len(X) * X1.T @ X1", "H = 1.0 / len(X) * X1.T @ X1"),
        "missing 1/n (2 X1^T X1)": ("H = 2.0 / len(X) * X1.T @ X1", "H = 2.0 * X1.T @ X1"),
        "no bias column": ("X1 = np.column_stack([X, np.ones(len(X))])", "X1 = np.asarray(X)"),
        "smallest eigenvalue": ("np.linalg.eigvalsh(H).max()", "np.linalg.eigvalsh(H).min()"),
        "1 / lambda_max": ("return 2.0 /", "return 1.0 /"),
        "divides by n - 1": ("2.0 / len(X)", "2.0 / (len(X) - 1)"),
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
