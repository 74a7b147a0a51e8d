"""Mutation test of solutions/17_autodiff.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "17_autodiff"
_edit = partial(edit, SLUG)

_BFS_BACKWARD = '''
def backward(root):
    from collections import deque
    order, seen, queue = [], {id(root)}, deque([root])
    while queue:                                   # breadth first: not a topological order
        node = queue.popleft()
        order.append(node)
        for parent in node._parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                queue.append(parent)
    root.grad = np.ones_like(root.data)
    for node in order:
        node._backward()
'''

_PREORDER_BACKWARD = '''
def backward(root):
    seen = set()
    root.grad = np.ones_like(root.data)
    def go(node):                                  # a node's step may run before all its users'
        if id(node) in seen:
            return
        seen.add(id(node))
        node._backward()
        for parent in node._parents:
            go(parent)
    go(root)
'''

MUTANTS = {
    "matmul": {
        "= instead of += for a": ("a.grad += out.grad @ b.data.T", "a.grad = out.grad @ b.data.T"),
        "= instead of += for both": _edit("matmul", ("a.grad += out.grad @ b.data.T", "a.grad = out.grad @ b.data.T"),
                                          ("b.grad += a.data.T @ out.grad", "b.grad = a.data.T @ out.grad")),
        "factors in the wrong order for a": ("out.grad @ b.data.T", "b.data.T @ out.grad"),
        "transpose missing for a": ("out.grad @ b.data.T", "out.grad @ b.data"),
        "b's gradient transposed": ("a.data.T @ out.grad", "out.grad.T @ a.data"),
        "transposes swapped between a and b": _edit("matmul", ("out.grad @ b.data.T", "out.grad.T @ b.data"),
                                                    ("a.data.T @ out.grad", "a.data @ out.grad.T")),
        "upstream gradient ignored": _edit("matmul", ("out.grad @ b.data.T", "np.ones_like(out.grad) @ b.data.T"),
                                           ("a.data.T @ out.grad", "a.data.T @ np.ones_like(out.grad)")),
        "a's gradient built from a instead of b": ("out.grad @ b.data.T", "out.grad @ a.data.T"),
        "b.grad from the output instead of a": ("a.data.T @ out.grad", "out.data.T @ out.grad"),
        "float32 product": ("a.grad += out.grad @ b.data.T", "a.grad += (out.grad @ b.data.T).astype(np.float32)"),
        "both sums taken before either is stored (a @ a loses one)": _edit("matmul", (
            "        a.grad += out.grad @ b.data.T\n        b.grad += a.data.T @ out.grad\n",
            "        da = a.grad + out.grad @ b.data.T\n        db = b.grad + a.data.T @ out.grad\n"
            "        a.grad = da\n        b.grad = db\n")),
    },
    "add": {
        "no reduction at all": _edit("add", ("    while grad.ndim > len(shape):\n        grad = grad.sum(axis=0)\n    for axis, size in enumerate(shape):\n        if size == 1:\n            grad = grad.sum(axis=axis, keepdims=True)\n", "")),
        "leading axes only (size-1 axes not summed)": ("    for axis, size in enumerate(shape):\n        if size == 1:\n            grad = grad.sum(axis=axis, keepdims=True)\n", ""),
        "size-1 axes summed without keepdims": ("grad = grad.sum(axis=axis, keepdims=True)", "grad = grad.sum(axis=axis)"),
        "mean instead of sum": _edit("add", ("grad = grad.sum(axis=0)", "grad = grad.mean(axis=0)"),
                                     ("grad = grad.sum(axis=axis, keepdims=True)", "grad = grad.mean(axis=axis, keepdims=True)")),
        "trailing axes removed instead of leading": ("grad = grad.sum(axis=0)", "grad = grad.sum(axis=-1)"),
        "size-1 test on grad's shape instead of the target's": ("if size == 1:", "if grad.shape[axis] == 1:"),
        "= instead of +=": _edit("add", ("a.grad += unbroadcast", "a.grad = unbroadcast"),
                                 ("b.grad += unbroadcast", "b.grad = unbroadcast")),
        "b's gradient reduced to a's shape": ("unbroadcast(out.grad, b.data.shape)", "unbroadcast(out.grad, a.data.shape)"),
        "one leading axis removed (if, not while)": ("while grad.ndim > len(shape):", "if grad.ndim > len(shape):"),
        "first slice instead of the sum over a leading axis": ("grad = grad.sum(axis=0)", "grad = grad[0]"),
    },
    "tanh": {
        "1 - y instead of 1 - y**2": ("(1 - y ** 2)", "(1 - y)"),
        "1 - x**2 (input squared)": ("(1 - y ** 2)", "(1 - a.data ** 2)"),
        "(1 - y)**2": ("(1 - y ** 2)", "(1 - y) ** 2"),
        "sech, not squared": ("(1 - y ** 2)", "(1 / np.cosh(a.data))"),
        "upstream gradient ignored": ("a.grad += out.grad * (1 - y ** 2)", "a.grad += (1 - y ** 2)"),
        "= instead of +=": ("a.grad += out.grad", "a.grad = out.grad"),
        "in-place tanh of the input": ("y = np.tanh(a.data)", "y = np.tanh(a.data, out=a.data)"),
        "upstream from a.grad instead of out.grad": ("a.grad += out.grad * (1 - y ** 2)", "a.grad += a.grad * (1 - y ** 2) + out.grad * 0"),
        "output not linked to its input": ("out = Tensor(y, (a,))", "out = Tensor(y)"),
        "upstream gradient changed in place": ("        a.grad += out.grad * (1 - y ** 2)\n",
                                               "        out.grad *= 1 - y ** 2\n        a.grad += out.grad\n"),
        "float32 forward value": ("y = np.tanh(a.data)", "y = np.tanh(a.data.astype(np.float32)).astype(np.float64)"),
    },
    "backward": {
        "not reversed (inputs first)": ("for node in reversed(order):", "for node in order:"),
        "no visited set (shared nodes visited twice)": _edit("backward", ("        if id(node) not in seen:\n            seen.add(id(node))\n            for parent in node._parents:\n                visit(parent)\n            order.append(node)",
                                                                          "        for parent in node._parents:\n            visit(parent)\n        order.append(node)")),
        "pre-order (node before its parents)": ("            for parent in node._parents:\n                visit(parent)\n            order.append(node)",
                                                "            order.append(node)\n            for parent in node._parents:\n                visit(parent)"),
        "breadth first instead of topological": _BFS_BACKWARD,
        "seed with zeros": ("root.grad = np.ones_like(root.data)", "root.grad = np.zeros_like(root.data)"),
        "seed with the root's value": ("root.grad = np.ones_like(root.data)", "root.grad = root.data.copy()"),
        "root seeded after the sweep": _edit("backward", ("    root.grad = np.ones_like(root.data)\n    for node in reversed(order):\n        node._backward()",
                                                          "    for node in reversed(order):\n        node._backward()\n    root.grad = np.ones_like(root.data)")),
        "only the root's own step": ("    for node in reversed(order):\n        node._backward()", "    root._backward()"),
        "visits only the first parent": ("for parent in node._parents:", "for parent in node._parents[:1]:"),
        "pre-order recursion, each _backward on first reach": _PREORDER_BACKWARD,
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
