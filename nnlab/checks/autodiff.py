"""Feedback for lessons/17_autodiff.ipynb: backward steps of a small reverse-mode engine.

A node is the exercise notebook's `Tensor(data, parents=())`, with `.data`, `.grad`
(zeros of data's shape), `._parents` and `._backward` (a function of no arguments that adds
this node's share of `out.grad` to its parents' `.grad`). The checks call `_backward` by hand
with a chosen upstream gradient, so each exercise is checked without the others. Expected
values are worked out by hand here (small integer examples) or by an independent formula
(np.einsum, explicit sums); nothing here calls nnlab's layers.
"""
import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_matmul_backward", "check_add_backward", "check_tanh_backward",
           "check_backward_driver"]


def _run_backward(out, upstream, what):
    """Set out.grad = upstream and call out._backward(), turning errors into advice."""
    out.grad = np.array(upstream, dtype=np.float64)
    try:
        out._backward()
    except NotImplementedError:
        raise CheckFailed(f"the backward step of {what} is not implemented yet: replace "
                          "`raise NotImplementedError()` with your code.") from None
    except ValueError as error:
        raise CheckFailed(f"the backward step of {what} raised ValueError ({error}): a gradient "
                          "must have exactly the shape of the tensor it belongs to (check the "
                          "transposes and the order of the factors).") from None


def check_matmul_backward(matmul, Tensor):
    """`matmul(a, b)`: a.grad += g @ b.T and b.grad += a.T @ g, accumulated."""
    A = np.array([[1.0, 2.0, 0.0], [-1.0, 0.0, 3.0]])                 # (2, 3)
    B = np.array([[1.0, 0.0, 2.0, -1.0], [0.0, 1.0, 1.0, 0.0], [2.0, -1.0, 0.0, 1.0]])  # (3, 4)
    G = np.array([[1.0, 0.0, -1.0, 2.0], [0.0, 3.0, 1.0, 0.0]])       # upstream, (2, 4)
    a, b = Tensor(A.copy()), Tensor(B.copy())
    out = _call(matmul, a, b)
    expect_close("matmul(a, b).data (the forward pass is given)", out.data, np.einsum("ik,kj->ij", A, B))
    _run_backward(out, G, "matmul(a (2x3), b (3x4))")
    if not np.array_equal(a.data, A) or not np.array_equal(b.data, B):
        raise CheckFailed("the backward step of matmul changed a.data or b.data: "
                          "only the .grad arrays may change.")
    expect_shape("a.grad for a of shape (2, 3)", a.grad, (2, 3))
    expect_shape("b.grad for b of shape (3, 4)", b.grad, (3, 4))
    # dL/da[i, k] = sum_j G[i, j] B[k, j];  dL/db[k, j] = sum_i A[i, k] G[i, j]
    da = np.array([[sum(G[i, j] * B[k, j] for j in range(4)) for k in range(3)] for i in range(2)])
    db = np.array([[sum(A[i, k] * G[i, j] for i in range(2)) for j in range(4)] for k in range(3)])
    if np.allclose(np.asarray(a.grad, dtype=float), np.ones((2, 4)) @ B.T):
        raise CheckFailed("a.grad does not depend on the upstream gradient: multiply out.grad "
                          "(dL/d out), not a matrix of ones, by b.data.T.")
    expect_close("a.grad = out.grad @ b.data.T (upstream G of shape (2, 4))", a.grad, da)
    expect_close("b.grad = a.data.T @ out.grad (upstream G of shape (2, 4))", b.grad, db)
    # accumulation: gradients already present must be kept
    a, b = Tensor(A.copy()), Tensor(B.copy())
    a.grad = np.ones((2, 3))
    b.grad = np.full((3, 4), 2.0)
    out = _call(matmul, a, b)
    _run_backward(out, G, "matmul")
    if np.allclose(np.asarray(a.grad, dtype=float), da):
        raise CheckFailed("a.grad lost the gradient it already had (1 in every entry): use "
                          "`a.grad += ...`, not `a.grad = ...` (a tensor used twice gets both "
                          "contributions added).")
    expect_close("a.grad when it already held ones (+=, accumulate)", a.grad, da + 1.0)
    expect_close("b.grad when it already held twos (+=, accumulate)", b.grad, db + 2.0)
    passed("matmul backward: a.grad += g @ b.T, b.grad += a.T @ g, accumulated")


def check_add_backward(add, unbroadcast, Tensor):
    """`unbroadcast(grad, shape)` sums back to shape; `add(a, b)` uses it for both inputs."""
    got = _call(unbroadcast, np.ones((2, 3, 4)), (3, 1))
    expect_shape("unbroadcast(np.ones((2, 3, 4)), (3, 1))", got, (3, 1))
    expect_close("unbroadcast(np.ones((2, 3, 4)), (3, 1)) (each entry was used 2 * 4 = 8 times)",
                 got, np.full((3, 1), 8.0))
    g = np.arange(12.0).reshape(3, 4)
    expect_close("unbroadcast(arange(12).reshape(3, 4), (4,)) (column sums)",
                 _call(unbroadcast, g.copy(), (4,)), [12.0, 15.0, 18.0, 21.0])
    expect_close("unbroadcast(arange(12).reshape(3, 4), (3, 1)) (row sums, kept as a column)",
                 _call(unbroadcast, g.copy(), (3, 1)), [[6.0], [22.0], [38.0]])
    expect_close("unbroadcast(arange(12).reshape(3, 4), (3, 4)) (no broadcasting: unchanged)",
                 _call(unbroadcast, g.copy(), (3, 4)), g)
    # add with broadcasting: (3, 4) + (4,)
    A = np.zeros((3, 4))
    b = Tensor(np.array([1.0, 2.0, 3.0, 4.0]))
    a = Tensor(A)
    out = _call(add, a, b)
    expect_close("add(a (3x4 zeros), b = [1, 2, 3, 4]).data", out.data, np.tile([1.0, 2.0, 3.0, 4.0], (3, 1)))
    _run_backward(out, g, "add(a (3x4), b (4,))")
    expect_close("a.grad for add(a (3x4), b (4,)) (same shape as out: the upstream itself)", a.grad, g)
    expect_shape("b.grad for b of shape (4,)", b.grad, (4,))
    expect_close("b.grad for add(a (3x4), b (4,)) (upstream summed over the rows)", b.grad,
                 [12.0, 15.0, 18.0, 21.0])
    # a (3, 1) column broadcast over 4 columns, accumulation
    a, b = Tensor(np.zeros((3, 1))), Tensor(np.zeros((3, 4)))
    a.grad = np.full((3, 1), 100.0)
    out = _call(add, a, b)
    _run_backward(out, g, "add(a (3x1), b (3x4))")
    expect_shape("a.grad for a of shape (3, 1)", a.grad, (3, 1))
    if np.allclose(np.asarray(a.grad, dtype=float), [[6.0], [22.0], [38.0]]):
        raise CheckFailed("a.grad lost the gradient it already had (100): use `a.grad += ...`.")
    expect_close("a.grad for add(a (3x1), b (3x4)) when a.grad held 100 (row sums, accumulated)",
                 a.grad, [[106.0], [122.0], [138.0]])
    passed("add backward: the upstream gradient summed back to each input's shape, accumulated")


def check_tanh_backward(tanh, Tensor):
    """`tanh(a)`: y = tanh(a), a.grad += g * (1 - y**2), accumulated, a.data unchanged."""
    X = np.array([[0.0, 0.5], [-1.0, 2.0]])
    a = Tensor(X.copy())
    out = _call(tanh, a)
    if not np.array_equal(a.data, X):
        raise CheckFailed("tanh(a) changed a.data (an in-place np.tanh?): compute y = np.tanh(a.data) "
                          "into a new array.")
    t = np.array([[0.0, np.tanh(0.5)], [np.tanh(-1.0), np.tanh(2.0)]])
    expect_close("tanh(a).data", out.data, t)
    G = np.array([[2.0, 1.0], [-1.0, 3.0]])
    _run_backward(out, G, "tanh")
    if not np.array_equal(a.data, X):
        raise CheckFailed("the backward step of tanh changed a.data: only a.grad may change.")
    if not np.array_equal(np.asarray(out.grad, dtype=float), G):
        raise CheckFailed("the backward step of tanh changed out.grad (an in-place `out.grad *= ...`?): "
                          "out.grad is dL/d out and must stay as it is; only a.grad may change.")
    right = G * (1 - t ** 2)
    got = np.asarray(a.grad, dtype=float)
    if got.shape == right.shape and np.allclose(got, G * (1 - t)):
        raise CheckFailed("a.grad looks like out.grad * (1 - y): the derivative of tanh is 1 - y**2.")
    if got.shape == right.shape and np.allclose(got, 1 - t ** 2):
        raise CheckFailed("a.grad is 1 - y**2 without the upstream gradient: multiply by out.grad.")
    if got.shape == right.shape and np.allclose(got, G * (1 - X ** 2)):
        raise CheckFailed("a.grad looks like out.grad * (1 - x**2): square the output y = tanh(x), "
                          "not the input.")
    expect_close("a.grad = out.grad * (1 - y**2) at x = [[0, 0.5], [-1, 2]], upstream [[2, 1], [-1, 3]]",
                 a.grad, right)
    a = Tensor(X.copy())
    a.grad = np.ones((2, 2))
    out = _call(tanh, a)
    _run_backward(out, G, "tanh")
    expect_close("a.grad when it already held ones (+=, accumulate)", a.grad, right + 1.0)
    passed("tanh backward: a.grad += out.grad * (1 - y**2), accumulated, input unchanged")


def _ops(Tensor, calls):
    """Tiny same-shape ops for the driver check; calls[name] counts each node's _backward."""
    def node(data, parents, name, step):
        out = Tensor(data, parents)
        calls[name] = 0

        def _backward():
            calls[name] += 1
            step(out)
        out._backward = _backward
        return out

    def mul(x, y, name):
        def step(out):
            x.grad += out.grad * y.data
            y.grad += out.grad * x.data
        return node(x.data * y.data, (x, y), name, step)

    def add(x, y, name):
        def step(out):
            x.grad += out.grad
            y.grad += out.grad
        return node(x.data + y.data, (x, y), name, step)

    def exp(x, name):
        e = np.exp(x.data)

        def step(out):
            x.grad += out.grad * e
        return node(e, (x,), name, step)

    def total(x, name):
        def step(out):
            x.grad += out.grad * np.ones_like(x.data)
        return node(x.data.sum(), (x,), name, step)
    return mul, add, exp, total


def _driver(backward, root, what):
    try:
        backward(root)
    except NotImplementedError:
        raise CheckFailed("backward is not implemented yet: replace `raise NotImplementedError()` "
                          "with your code.") from None
    except RecursionError:
        raise CheckFailed(f"backward({what}) recursed without end: mark each node as visited "
                          "before visiting its parents.") from None


def check_backward_driver(backward, Tensor):
    """`backward(root)`: topological order, seed ones, every `_backward` once, output first."""
    calls = {}
    mul, add, exp, total = _ops(Tensor, calls)
    # L = sum(x * y): dL/dx = y, dL/dy = x
    x, y = Tensor(np.array([1.0, -2.0])), Tensor(np.array([3.0, 0.5]))
    L = total(mul(x, y, "x*y"), "sum")
    _driver(backward, L, "sum(x * y)")
    if np.allclose(np.asarray(x.grad, dtype=float), 0.0):
        raise CheckFailed("after backward(L) for L = sum(x * y), x.grad is still zero: set root.grad "
                          "to ones (dL/dL = 1) and call the nodes' _backward from the output back.")
    expect_close("x.grad after backward(L), L = sum(x * y), x = [1, -2], y = [3, 0.5] (= y)", x.grad, [3.0, 0.5])
    expect_close("y.grad after backward(L), L = sum(x * y) (= x)", y.grad, [1.0, -2.0])
    expect_close("L.grad after backward(L) (dL/dL = 1)", L.grad, 1.0)
    # a node used by two later nodes: a = x*x feeds both b = exp(a) and c = a*b
    # L = sum(a * exp(a)), a = x^2:  dL/dx = 2x e^(x^2) (1 + x^2)
    calls.clear()
    xv = np.array([0.5, -1.0])
    x = Tensor(xv.copy())
    a = mul(x, x, "a = x*x")
    b = exp(a, "b = exp(a)")
    c = mul(a, b, "c = a*b")
    L = total(c, "L = sum(c)")
    _driver(backward, L, "sum(a * exp(a)), a = x*x")
    twice = [name for name, n in calls.items() if n > 1]
    if twice:
        raise CheckFailed(f"the _backward of node '{twice[0]}' ran {calls[twice[0]]} times: a node "
                          "reached along two paths must be visited once (keep a set of visited nodes).")
    never = [name for name, n in calls.items() if n == 0]
    if never:
        raise CheckFailed(f"the _backward of node '{never[0]}' never ran: visit every node the root "
                          "depends on (through ._parents).")
    expect_close("x.grad for L = sum(a * exp(a)), a = x * x, x = [0.5, -1] (= 2x e^(x^2) (1 + x^2))",
                 x.grad, 2 * xv * np.exp(xv ** 2) * (1 + xv ** 2))
    # a short and a long path from the same node: a node's _backward must wait for all its users
    # L = sum(e + exp(exp(e))), e = exp(x):  dL/dx = e (1 + exp(exp(e)) exp(e))
    calls.clear()
    x = Tensor(np.array([0.1]))
    e = exp(x, "e = exp(x)")
    L = total(add(e, exp(exp(e, "exp(e)"), "exp(exp(e))"), "e + exp(exp(e))"), "L")
    _driver(backward, L, "sum(e + exp(exp(e)))")
    ev = np.exp(0.1)
    expect_close("x.grad for L = sum(e + exp(exp(e))), e = exp(x), x = 0.1 (a node's _backward may "
                 "run only after every node that uses it: a topological order, not breadth first)",
                 x.grad, [ev * (1 + np.exp(np.exp(ev)) * np.exp(ev))])
    passed("backward: topological order, root.grad = 1, every _backward once from the output back")
