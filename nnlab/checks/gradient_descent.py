"""Feedback for lessons/05_gradient_descent.ipynb: mini-batch indices, one epoch of
mini-batch gradient descent, counting updates.

Expected values are worked out by hand on tiny inputs (or by an explicit loop written
here), not by calling nnlab; every failure says in plain words what is wrong.
"""

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_minibatch_indices", "check_minibatch_epoch", "check_count_updates"]


def check_minibatch_indices(minibatch_indices):
    """`minibatch_indices(n, batch_size, gen)` should shuffle 0..n-1 with gen.permutation(n) and cut it into slices."""
    got = _call(minibatch_indices, 10, 4, np.random.default_rng(0))
    try:
        batches = [np.asarray(b) for b in got]
    except TypeError:
        raise CheckFailed(f"minibatch_indices should return a list of index arrays, got {got!r}.") from None
    sizes = [len(b) for b in batches]
    if sizes != [4, 4, 2]:
        raise CheckFailed(f"minibatch_indices(10, 4, gen) should give batches of sizes [4, 4, 2] "
                          f"(the last one smaller), got sizes {sizes}.")
    every = np.sort(np.concatenate(batches))
    if not np.array_equal(every, np.arange(10)):
        raise CheckFailed("every sample index 0..9 should appear exactly once per epoch; got the indices "
                          f"{every.tolist()}.")
    order = np.random.default_rng(0).permutation(10)
    if np.array_equal(np.concatenate(batches), np.arange(10)):
        raise CheckFailed("the indices are not shuffled: start from gen.permutation(n).")
    if not np.array_equal(np.concatenate(batches), order):
        raise CheckFailed("shuffle with one call gen.permutation(n), then take consecutive slices "
                          f"order[0:4], order[4:8], ...: expected {order.tolist()} in that order.")
    one = [np.asarray(b) for b in _call(minibatch_indices, 5, 5, np.random.default_rng(3))]
    if len(one) != 1 or len(one[0]) != 5:
        raise CheckFailed("with batch_size = n there should be exactly one batch holding all n indices.")
    passed("minibatch_indices: every sample once per epoch, shuffled, last batch smaller")


def check_minibatch_epoch(minibatch_epoch):
    """`minibatch_epoch(X, y, w, b, lr, batch_size, gen)` should run one epoch of mini-batch GD on the MSE."""
    X = np.array([[1.0], [2.0], [3.0], [4.0]])
    y = np.array([3.0, 5.0, 7.0, 9.0])                 # y = 2x + 1
    got = _call(minibatch_epoch, X, y, np.array([0.0]), 0.0, 0.1, 4, np.random.default_rng(0))
    try:
        w, b = got
    except (TypeError, ValueError):
        raise CheckFailed(f"minibatch_epoch should return the pair (w, b), got {got!r}.") from None
    # batch_size = n: one full-batch step. e = y, dw = -(2/4)(3+10+21+36) = -35, db = -(2/4)(24) = -12
    expect_shape("w after one epoch", w, (1,))
    if np.allclose(np.asarray(w, dtype=float), [1.75]):
        raise CheckFailed("w after one full-batch step should be 3.5, got 1.75: the MSE gradient has "
                          "the factor 2, -(2/B) X^T (y - y_hat).")
    if np.allclose(np.asarray(w, dtype=float), [14.0]):
        raise CheckFailed("w after one full-batch step should be 3.5, got 14: average the gradient over "
                          "the batch (divide by its size), do not sum it.")
    expect_close("w after one epoch with batch_size = n = 4, lr = 0.1 (one step, dw = -35)", w, [3.5])
    expect_close("b after that step (db = -12)", np.reshape(b, ()), 1.2)
    # batch_size = 2: two steps, in the order given by default_rng(5).permutation(4)
    order = np.random.default_rng(5).permutation(4)
    w_ref, b_ref = np.array([0.0]), 0.0
    for k in (0, 2):
        idx = order[k:k + 2]
        e = y[idx] - (X[idx] @ w_ref + b_ref)
        w_ref = w_ref + 0.05 * (2.0 / 2) * (X[idx].T @ e)
        b_ref = b_ref + 0.05 * (2.0 / 2) * np.sum(e)
    w, b = _call(minibatch_epoch, X, y, np.array([0.0]), 0.0, 0.05, 2, np.random.default_rng(5))
    if np.allclose(np.asarray(w, dtype=float), [1.75]) and not np.allclose(w_ref, [1.75]):
        raise CheckFailed("with batch_size = 2 there should be two updates in the epoch, each on its own "
                          "batch; you seem to have made one full-batch step.")
    expect_close("w after one epoch with batch_size = 2, lr = 0.05 (two updates, batches from "
                 "gen.permutation(4))", w, w_ref)
    expect_close("b after that epoch", np.reshape(b, ()), b_ref)
    # batch_size = 3 on 4 samples: batches of 3 and 1; the last one's gradient is divided by 1
    order = np.random.default_rng(2).permutation(4)
    w_ref, b_ref, w_div, b_div = np.array([0.0]), 0.0, np.array([0.0]), 0.0
    for k in (0, 3):
        idx = order[k:k + 3]
        e = y[idx] - (X[idx] @ w_ref + b_ref)
        w_ref = w_ref + 0.05 * (2.0 / len(idx)) * (X[idx].T @ e)
        b_ref = b_ref + 0.05 * (2.0 / len(idx)) * np.sum(e)
        e = y[idx] - (X[idx] @ w_div + b_div)
        w_div = w_div + 0.05 * (2.0 / 3) * (X[idx].T @ e)
        b_div = b_div + 0.05 * (2.0 / 3) * np.sum(e)
    w, b = _call(minibatch_epoch, X, y, np.array([0.0]), 0.0, 0.05, 3, np.random.default_rng(2))
    if np.allclose(np.asarray(w, dtype=float), w_div) and np.isclose(float(np.reshape(b, ())), b_div):
        raise CheckFailed("with batch_size = 3 on 4 samples the last batch holds 1 sample: its gradient "
                          "must be averaged over 1, not over batch_size = 3 (divide by len(idx)).")
    expect_close("w after one epoch with batch_size = 3 on 4 samples (batches of 3 and 1), lr = 0.05",
                 w, w_ref)
    expect_close("b after that epoch", np.reshape(b, ()), b_ref)
    passed("minibatch_epoch: one update per batch, gradient averaged over the batch")


def check_count_updates(count_updates):
    """`count_updates(n, batch_size, epochs)` should be ceil(n / batch_size) * epochs."""
    for args, expected in (((100, 10, 3), 30), ((100, 32, 1), 4), ((1438, 32, 20), 900),
                           ((7, 7, 5), 5), ((5, 1, 2), 10)):
        got = _call(count_updates, *args)
        if int(got) != expected:
            hint = (" The last, smaller batch is an update too: round n / batch_size up."
                    if int(got) == (args[0] // args[1]) * args[2] else "")
            raise CheckFailed(f"count_updates(n={args[0]}, batch_size={args[1]}, epochs={args[2]}) "
                              f"should be {expected}, got {got}.{hint}")
    passed("count_updates: ceil(n / batch_size) updates per epoch")
