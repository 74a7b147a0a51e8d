"""Feedback for lessons/03_linear_regression.ipynb: MSE gradient, gradient descent,
normal equation, critical learning rate.

Every expected value below is worked out by hand on tiny inputs (not by calling nnlab),
and every failure says in plain words what is wrong.
"""
import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_mse_gradient", "check_gradient_descent", "check_normal_equation",
           "check_critical_learning_rate"]


def _pair(name, got):
    try:
        a, b = got
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should return a pair (dw, db) / (w, b), got {got!r}.") from None
    return np.asarray(a, dtype=float), np.asarray(b, dtype=float)


def check_mse_gradient(mse_gradient):
    """`mse_gradient(X, y, w, b)` should return (dw, db) of MSE = mean((y - X@w - b)^2)."""
    X = np.array([[1.0], [2.0], [3.0]])
    y = np.array([2.0, 4.0, 6.0])
    dw, db = _pair("mse_gradient", _call(mse_gradient, X, y, np.array([0.0]), 0.0))
    expect_shape("dw for X of shape (3, 1)", dw, (1,))
    # e = y; dw = -(2/3)(1*2 + 2*4 + 3*6) = -56/3; db = -(2/3)(2 + 4 + 6) = -8
    if np.allclose(dw, [-28.0 / 3.0]) and np.isclose(db, -4.0):
        raise CheckFailed("your gradient is half the right one: dMSE/dw = -(2/n) sum (y_i - y_hat_i) x_ij; "
                          "the 2 comes from differentiating the square (1/(2n) is another loss).")
    if np.allclose(dw, [56.0 / 3.0]) and np.isclose(db, 8.0):
        raise CheckFailed("your gradient has the wrong sign: with w = 0 the predictions are too small, so "
                          "increasing w must lower the loss, i.e. dMSE/dw must be negative.")
    expect_close("dw for X=[[1],[2],[3]], y=[2,4,6], w=[0], b=0", dw, [-56.0 / 3.0])
    expect_close("db for X=[[1],[2],[3]], y=[2,4,6], w=[0], b=0", db, -8.0)
    dw, db = _pair("mse_gradient", _call(mse_gradient, X, y, np.array([2.0]), 0.0))
    expect_close("dw at the exact fit w=[2], b=0 (zero error)", dw, [0.0], atol=1e-12)
    expect_close("db at the exact fit w=[2], b=0 (zero error)", db, 0.0, atol=1e-12)
    X2 = np.array([[1.0, 0.0], [0.0, 1.0]])
    dw, db = _pair("mse_gradient", _call(mse_gradient, X2, np.array([1.0, 1.0]), np.array([0.0, 0.0]), 1.0))
    expect_close("db when y_hat = y everywhere (X=I, y=[1,1], w=0, b=1)", db, 0.0, atol=1e-12)
    dw, db = _pair("mse_gradient", _call(mse_gradient, X2, np.array([3.0, 0.0]), np.array([0.0, 0.0]), 1.0))
    # e = [2, -1]; dw = -(2/2) [2, -1] = [-2, 1]; db = -(2/2)(2 - 1) = -1
    expect_shape("dw for X of shape (2, 2)", dw, (2,))
    expect_close("dw for X=[[1,0],[0,1]], y=[3,0], w=[0,0], b=1", dw, [-2.0, 1.0])
    expect_close("db for X=[[1,0],[0,1]], y=[3,0], w=[0,0], b=1", db, -1.0)
    passed("mse_gradient: -(2/n) X^T (y - y_hat) and -(2/n) sum(y - y_hat)")


def check_gradient_descent(gradient_descent):
    """`gradient_descent(grad_fn, w, b, lr, steps)` should take `steps` steps w -= lr*dw, b -= lr*db."""
    def grad_fn(w, b):          # gradient of (w - 3)^2 + (b + 1)^2
        return 2 * (w - 3.0), 2 * (b + 1.0)

    w, b = _pair("gradient_descent", _call(gradient_descent, grad_fn, np.array([0.0]), 0.0, 0.25, 0))
    expect_close("w after 0 steps (should be the start, 0)", w, [0.0])
    w, b = _pair("gradient_descent", _call(gradient_descent, grad_fn, np.array([0.0]), 0.0, 0.25, 1))
    if np.allclose(w, [-1.5]):
        raise CheckFailed("after one step w should be 1.5, got -1.5: step *against* the gradient, "
                          "w = w - lr * dw.")
    expect_close("w after 1 step from 0 with lr 0.25 on (w-3)^2 (dw = -6)", w, [1.5])
    expect_close("b after 1 step from 0 with lr 0.25 on (b+1)^2 (db = 2)", b, -0.5)
    w, b = _pair("gradient_descent", _call(gradient_descent, grad_fn, np.array([0.0]), 0.0, 0.25, 2))
    if np.allclose(w, [3.0]):
        raise CheckFailed("after 2 steps w should be 2.25, got 3.0: recompute the gradient at the new "
                          "w and b at every step (call grad_fn inside the loop).")
    expect_close("w after 2 steps (1.5 - 0.25 * (-3))", w, [2.25])
    expect_close("b after 2 steps (-0.5 - 0.25 * 1)", b, -0.75)
    w_start = np.array([0.0])
    _call(gradient_descent, grad_fn, w_start, 0.0, 0.25, 2)
    if not np.array_equal(w_start, [0.0]):
        raise CheckFailed(f"gradient_descent changed the caller's array w (it is now {w_start.tolist()}): "
                          "write w = w - lr * dw (a new array), not w -= lr * dw (in place).")
    passed("gradient_descent: steps against the gradient, recomputed at every step")


def check_normal_equation(normal_equation):
    """`normal_equation(X, y)` should return the (w, b) minimising the MSE."""
    w, b = _pair("normal_equation", _call(normal_equation, np.array([[0.0], [1.0], [2.0]]),
                                          np.array([1.0, 3.0, 5.0])))
    expect_shape("w for X of shape (3, 1)", w, (1,))
    expect_close("w for the points (0,1), (1,3), (2,5) on y = 2x + 1", w, [2.0])
    expect_close("b for the points (0,1), (1,3), (2,5) on y = 2x + 1", b, 1.0)
    # not on a line: (0,0), (1,1), (2,1): slope 1/2, intercept 1/6 (least squares by hand)
    w, b = _pair("normal_equation", _call(normal_equation, np.array([[0.0], [1.0], [2.0]]),
                                          np.array([0.0, 1.0, 1.0])))
    expect_close("w for the points (0,0), (1,1), (2,1) (best slope 1/2)", w, [0.5])
    expect_close("b for the points (0,0), (1,1), (2,1) (best intercept 1/6)", b, 1.0 / 6.0)
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 1.0]])
    w, b = _pair("normal_equation", _call(normal_equation, X, X @ np.array([1.0, -2.0]) + 0.5))
    expect_close("w for y = 1*x1 - 2*x2 + 0.5 exactly", w, [1.0, -2.0])
    expect_close("b for y = 1*x1 - 2*x2 + 0.5 exactly", b, 0.5)
    passed("normal_equation: solves X1^T X1 theta = X1^T y with a column of ones for b")


def check_critical_learning_rate(critical_learning_rate):
    """`critical_learning_rate(X)` should return 2 / lambda_max of H = (2/n) X1^T X1."""
    # n = 3, X1 = [[0, 1], [1, 1], [2, 1]]: X1^T X1 = [[5, 3], [3, 3]], eigenvalues 4 +- sqrt(10).
    # H = (2/3) X1^T X1, so the answer is 2 / ((2/3)(4 + sqrt 10)) = 3 / (4 + sqrt 10).
    # Wrong variants give other numbers (n = 3, so leaving out 2/n is visible):
    root = np.sqrt(10.0)
    wrong = [
        (2.0 / (4.0 + root), "leaving out the factor 2/n of H = (2/n) X1^T X1 (using X1^T X1)"),
        (6.0 / (4.0 + root), "leaving out the factor 2 of H: (1/n) X1^T X1 is the Hessian of the "
                             "1/(2n) loss, not of the MSE"),
        (1.0 / (4.0 + root), "leaving out 1/n of H (using 2 X1^T X1, the Hessian of the summed squared error)"),
        (0.6, "leaving out the bias column (X1 = [X, 1])"),
        (3.0 / (4.0 - root), "using the smallest eigenvalue instead of the largest"),
        (3.0 / (4.0 + root) / 2.0, "returning 1 / lambda_max instead of 2 / lambda_max"),
    ]
    got = np.reshape(np.asarray(_call(critical_learning_rate, np.array([[0.0], [1.0], [2.0]])),
                                dtype=float), ())
    for value, cause in wrong:
        if np.isclose(float(got), value, rtol=1e-9):
            raise CheckFailed(f"critical_learning_rate([[0], [1], [2]]) should be "
                              f"{3.0 / (4.0 + root):.6g}, got {float(got):.6g}: that comes from {cause}.")
    expect_close("critical_learning_rate([[0], [1], [2]]) (n = 3, lambda_max(X1^T X1) = 4 + sqrt 10)",
                 got, 3.0 / (4.0 + root))
    # X1 = [[0, 1], [2, 1]]: X1^T X1 = [[4, 2], [2, 2]], H = the same, lambda_max = 3 + sqrt(5)
    got = _call(critical_learning_rate, np.array([[0.0], [2.0]]))
    expect_close("critical_learning_rate([[0], [2]]) (lambda_max = 3 + sqrt 5)", np.reshape(got, ()),
                 2.0 / (3.0 + np.sqrt(5.0)))
    passed("critical_learning_rate: 2 / lambda_max((2/n) X1^T X1)")
