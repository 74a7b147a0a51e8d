"""Feedback for lessons/10_regularization.ipynb: inverted dropout, batch normalization,
an L2-penalized gradient and the early-stopping rule.

The expected values are worked out by hand here, or with this module's own few-line
formulas and central differences (never by calling nnlab.layers or nnlab.callbacks).
"""
import math

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed
from nnlab.utils.gradcheck import numerical_gradient

__all__ = ["check_dropout_layer", "check_batchnorm_forward", "check_batchnorm_backward",
           "check_l2_grads", "check_early_stopping"]


def _arr(what, got):
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should be an array of numbers, got {got!r}.") from None


def check_dropout_layer(make_layer):
    """`make_layer(rate, seed)` -> an object with forward(x, training) and backward(grad)."""
    x = np.arange(1.0, 20001.0).reshape(100, 200) / 1000.0      # all entries > 0
    x0 = x.copy()
    for rate in (0.2, 0.7):
        layer = _call(make_layer, rate, 0)
        y = _arr(f"forward(x, training=True) with rate={rate}", _call(layer.forward, x, True))
        expect_shape(f"forward(x, training=True) with rate={rate}", y, x.shape)
        if not np.array_equal(x, x0):
            raise CheckFailed("forward changed its input x in place: compute y = x * mask as a new array.")
        dropped = float(np.mean(y == 0))
        if abs(dropped - (1 - rate)) < 0.02 and abs(dropped - rate) > 0.05:
            raise CheckFailed(f"with rate={rate} you zeroed {dropped:.3f} of the entries, about 1 - rate: "
                              "`rate` is the fraction to DROP (keep an entry when its uniform number is >= rate).")
        if abs(dropped - rate) > 0.02:
            raise CheckFailed(f"with rate={rate} a fraction {rate} of the entries should be zeroed in training, "
                              f"you zeroed {dropped:.3f}.")
        kept = y != 0
        ratio = y[kept] / x[kept]
        if np.allclose(ratio, 1.0):
            raise CheckFailed(f"with rate={rate} the kept entries are unchanged: inverted dropout multiplies "
                              f"them by 1/(1 - rate) = {1 / (1 - rate):.4g} in training.")
        if np.allclose(ratio, 1 - rate):
            raise CheckFailed(f"with rate={rate} the kept entries were multiplied by 1 - rate; inverted dropout "
                              f"divides by it: multiply by 1/(1 - rate) = {1 / (1 - rate):.4g}.")
        expect_close(f"kept entries / x with rate={rate} (should all be 1/(1 - rate))", ratio,
                     np.full(ratio.shape, 1 / (1 - rate)))
        grad = np.ones_like(x)
        dx = _arr("backward(grad)", _call(layer.backward, grad))
        expect_shape("backward(grad)", dx, x.shape)
        if not np.array_equal(dx == 0, ~kept):
            raise CheckFailed("backward(grad) must use the SAME mask as the forward pass that preceded it "
                              "(store it in forward); a gradient flows exactly through the kept entries.")
        expect_close("backward(ones) (= mask / (1 - rate), the forward's mask)", dx, kept / (1 - rate))
        y2 = _arr("a second forward(x, training=True)", _call(layer.forward, x, True))
        if np.array_equal(y2 == 0, ~kept):
            raise CheckFailed("two training-mode forward passes dropped the same entries: draw a new mask "
                              "every forward pass (self.rng.random(x.shape)).")
        y_inf = _arr("forward(x, training=False)", _call(layer.forward, x, False))
        if np.allclose(y_inf, x * (1 - rate)) or np.allclose(y_inf, x / (1 - rate)):
            raise CheckFailed("at inference (training=False) inverted dropout is the identity: return x "
                              "unchanged, no scaling (the scaling already happened in training).")
        expect_close("forward(x, training=False) (the identity)", y_inf, x)
        g = np.full(x.shape, 3.0)
        dx_inf = _arr("backward(grad) after an inference forward", _call(layer.backward, g))
        expect_close("backward(grad) after forward(x, training=False) (the identity: no mask at inference)",
                     dx_inf, g)
    layer = _call(make_layer, 0.0, 1)
    expect_close("forward(x, training=True) with rate=0 (nothing dropped, scale 1)",
                 _call(layer.forward, x[:2], True), x[:2])
    passed("inverted dropout: drops a fraction rate, scales by 1/(1 - rate) in training, "
           "identity at inference, backward with the same mask")


def check_batchnorm_forward(batchnorm_forward):
    """`batchnorm_forward(x, gamma, beta, eps)` -> y in training mode, per feature over the batch."""
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    x0 = x.copy()
    got = _arr("batchnorm_forward(x, gamma=[1, 1], beta=[0, 0], eps=0)",
               _call(batchnorm_forward, x, np.ones(2), np.zeros(2), 0.0))
    if not np.array_equal(x, x0):
        raise CheckFailed("batchnorm_forward changed x in place: compute x - mean as a new array.")
    expect_shape("batchnorm_forward(x of shape (2, 2), ...)", got, (2, 2))
    # column means [2, 4], biased variances [1, 4] -> x_hat = [[-1, -1], [1, 1]]
    expect_close("batchnorm_forward(x=[[1, 2], [3, 6]], gamma=1, beta=0, eps=0) "
                 "(each column minus its mean, over its standard deviation)", got, [[-1.0, -1.0], [1.0, 1.0]])
    x = np.array([[0.0, 1.0], [1.0, 1.0], [5.0, 4.0]])
    gamma, beta, eps = np.array([2.0, 0.5]), np.array([1.0, -1.0]), 1e-3
    got = _arr("batchnorm_forward for a batch of 3", _call(batchnorm_forward, x, gamma, beta, eps))
    expect_shape("batchnorm_forward(x of shape (3, 2), ...)", got, (3, 2))
    # column 0: mean 2, biased variance (4 + 1 + 9)/3 = 14/3; column 1: mean 2, variance (1 + 1 + 4)/3 = 2
    s0, s1 = math.sqrt(14 / 3 + eps), math.sqrt(2 + eps)
    expected = [[2 * -2 / s0 + 1, 0.5 * -1 / s1 - 1],
                [2 * -1 / s0 + 1, 0.5 * -1 / s1 - 1],
                [2 * 3 / s0 + 1, 0.5 * 2 / s1 - 1]]
    g = got
    if np.allclose(g, [[2 * -2 / math.sqrt(7) + 1, 0.5 * -1 / math.sqrt(3) - 1],
                       [2 * -1 / math.sqrt(7) + 1, 0.5 * -1 / math.sqrt(3) - 1],
                       [2 * 3 / math.sqrt(7) + 1, 0.5 * 2 / math.sqrt(3) - 1]], atol=1e-3):
        raise CheckFailed("the variance looks like the unbiased one (divided by N - 1); batch normalization "
                          "uses the biased variance, divided by N (np.var's default).")
    if np.allclose(g, [[2 * -2 / (math.sqrt(14 / 3) + eps) + 1, 0.5 * -1 / (math.sqrt(2) + eps) - 1],
                       [2 * -1 / (math.sqrt(14 / 3) + eps) + 1, 0.5 * -1 / (math.sqrt(2) + eps) - 1],
                       [2 * 3 / (math.sqrt(14 / 3) + eps) + 1, 0.5 * 2 / (math.sqrt(2) + eps) - 1]],
                   rtol=0, atol=1e-9):
        raise CheckFailed("epsilon belongs inside the square root: (x - mean) / sqrt(var + eps).")
    expect_close("batchnorm_forward(x=[[0, 1], [1, 1], [5, 4]], gamma=[2, 0.5], beta=[1, -1], eps=1e-3) "
                 "(statistics per column, over the batch axis 0; biased variance; eps inside the sqrt; "
                 "y = gamma * x_hat + beta)", g, expected, rtol=1e-9, atol=1e-12)
    got = _arr("batchnorm_forward with a constant column", _call(batchnorm_forward, np.array([[7.0], [7.0]]),
                                                                    np.ones(1), np.zeros(1), 1e-3))
    expect_close("batchnorm_forward(x=[[7], [7]], eps=1e-3) (a constant feature normalizes to 0)", got, [[0.0], [0.0]])
    passed("batchnorm_forward: per feature over the batch, biased variance, eps inside the sqrt")


def _bn(x, gamma, beta, eps):
    mu = x.sum(axis=0) / len(x)
    var = ((x - mu) ** 2).sum(axis=0) / len(x)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def check_batchnorm_backward(batchnorm_backward):
    """`batchnorm_backward(grad_y, x, gamma, eps)` -> (dx, dgamma, dbeta), training mode."""
    x = np.array([[1.0], [3.0]])
    got = _call(batchnorm_backward, np.array([[1.0], [0.0]]), x, np.array([2.0]), 0.0)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed("batchnorm_backward should return three arrays (dx, dgamma, dbeta), "
                          f"got {type(got).__name__}.")
    dx, dgamma, dbeta = (_arr(n, v) for n, v in zip(("dx", "dgamma", "dbeta"), got))
    # x_hat = [-1, 1] for any two distinct values: y does not depend on x at all, so dx = 0
    expect_shape("dx", dx, (2, 1))
    expect_close("dbeta for grad_y=[[1], [0]] (the sum of grad_y over the batch)", dbeta, [1.0])
    expect_close("dgamma for grad_y=[[1], [0]], x_hat=[[-1], [1]] (the sum of grad_y * x_hat)", dgamma, [-1.0])
    if np.allclose(dx, [[2.0], [0.0]]):
        raise CheckFailed("dx = grad_y * gamma / sigma treats the batch mean and variance as constants; they "
                          "depend on every x of the batch. Here (two samples) x_hat is always [-1, 1], so dx "
                          "must be 0.")
    expect_close("dx for a batch of two samples (x_hat is always [-1, 1], so y does not depend on x)",
                 dx, [[0.0], [0.0]], atol=1e-12)
    r = np.random.default_rng(10)
    x = r.normal(size=(6, 3)) * [1.0, 3.0, 0.2] + [0.0, 2.0, -1.0]
    gamma, beta, eps = np.array([1.5, -0.5, 2.0]), np.array([0.1, 0.2, 0.3]), 1e-3
    G = r.normal(size=(6, 3))
    x0, G0, gamma0 = x.copy(), G.copy(), gamma.copy()
    got = _call(batchnorm_backward, G, x, gamma, eps)
    if not np.array_equal(x, x0):
        raise CheckFailed("batchnorm_backward changed x in place.")
    if not np.array_equal(G, G0):
        raise CheckFailed("batchnorm_backward changed grad_y in place: compute d = grad_y * gamma as a new array.")
    if not np.array_equal(gamma, gamma0):
        raise CheckFailed("batchnorm_backward changed gamma in place.")
    dx, dgamma, dbeta = (_arr(n, v) for n, v in zip(("dx", "dgamma", "dbeta"), got))
    loss = lambda: float(np.sum(G * _bn(x, gamma, beta, eps)))
    expect_shape("dx (the shape of x)", dx, (6, 3))
    expect_shape("dgamma (one value per feature)", dgamma, (3,))
    expect_shape("dbeta (one value per feature)", dbeta, (3,))
    expect_close("dbeta (central differences)", dbeta, numerical_gradient(loss, beta), rtol=1e-6, atol=1e-7)
    expect_close("dgamma (central differences)", dgamma, numerical_gradient(loss, gamma), rtol=1e-6, atol=1e-7)
    expect_close("dx for a (6, 3) batch, eps=1e-3 (central differences of sum(grad_y * y))", dx,
                 numerical_gradient(loss, x), rtol=1e-5, atol=1e-7)
    passed("batchnorm_backward: dx, dgamma, dbeta agree with central differences")


def check_l2_grads(l2_grads):
    """`l2_grads(x, y, kernel, bias, l2)` -> (loss, dkernel, dbias) for z = x @ kernel + bias,
    loss = mean((z - y)**2) + l2 * sum(kernel**2)."""
    x = np.array([[1.0, 2.0], [0.0, 1.0]])
    y = np.array([[1.0], [0.0]])
    kernel = np.array([[1.0], [-1.0]])
    bias = np.array([0.5])
    k0, b0 = kernel.copy(), bias.copy()
    got = _call(l2_grads, x, y, kernel, bias, 0.1)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed(f"l2_grads should return (loss, dkernel, dbias), got {type(got).__name__}.")
    loss, dk, db = got
    if not (np.array_equal(kernel, k0) and np.array_equal(bias, b0)):
        raise CheckFailed("l2_grads changed kernel or bias in place: it should only compute.")
    # z = [[-0.5], [-0.5]], z - y = [[-1.5], [-0.5]]: mse = (2.25 + 0.25)/2 = 1.25; penalty 0.1 * 2 = 0.2
    loss = _arr("loss", loss)
    if np.isclose(loss, 1.25 + 0.2 + 0.1 * 0.25):
        raise CheckFailed("the loss includes 0.1 * bias**2: the penalty is on the kernel only "
                          "(bias_regularizer is a separate argument, None here).")
    if np.isclose(loss, 1.25 + 0.1):
        raise CheckFailed("the penalty in the loss is half of l2 * sum(kernel**2) = 0.2 here (a factor 1/2, or "
                          "divided by the batch size of 2?); Keras 3's L2 adds l2 * sum(kernel**2), once.")
    if np.isclose(loss, 1.25):
        raise CheckFailed("the loss should be mean((z - y)**2) + l2 * sum(kernel**2) = 1.25 + 0.2 here; "
                          "the penalty is added once, not divided by the batch size, and not left out.")
    expect_close("loss (= mean((z - y)**2) + l2 * sum(kernel**2) = 1.25 + 0.2)", loss, 1.45)
    dk, db = _arr("dkernel", dk), _arr("dbias", db)
    # d mse/dz = 2 (z - y) / (N K) = [[-1.5], [-0.5]]; x.T @ that = [[-1.5], [-3.5]]; + 2 * 0.1 * kernel
    expect_shape("dkernel (the kernel's shape)", dk, (2, 1))
    if np.allclose(dk, [[-1.5 + 0.1], [-3.5 - 0.1]]):
        raise CheckFailed("dkernel's penalty term is l2 * kernel; the derivative of l2 * kernel**2 is "
                          "2 * l2 * kernel.")
    if np.allclose(dk, [[-1.5], [-3.5]]):
        raise CheckFailed("dkernel has no penalty term: add 2 * l2 * kernel.")
    expect_close("dkernel (= x.T @ (2 (z - y) / z.size) + 2 * l2 * kernel)", dk, [[-1.5 + 0.2], [-3.5 - 0.2]])
    expect_shape("dbias (one value per output)", db, (1,))
    if np.allclose(db, [-2.0 + 0.1]):
        raise CheckFailed("dbias includes a penalty term: only the kernel is penalized.")
    expect_close("dbias (= the sum over the batch of 2 (z - y) / z.size)", db, [-2.0])
    # two outputs: the mean runs over N * K = 4 entries
    x = np.array([[1.0], [2.0]])
    y = np.array([[0.0, 1.0], [1.0, 0.0]])
    kernel = np.array([[1.0, 2.0]])
    bias = np.array([0.0, -1.0])
    loss, dk, db = _call(l2_grads, x, y, kernel, bias, 0.5)
    # z = [[1, 1], [2, 3]], z - y = [[1, 0], [1, 3]]: mse = 11/4; penalty 0.5 * 5
    expect_close("loss with 2 samples and 2 outputs (the mean runs over all N*K entries)", _arr("loss", loss),
                 11 / 4 + 2.5)
    # dmse/dz = (z - y)/2 = [[0.5, 0], [0.5, 1.5]]; x.T @ = [[1.5, 3]]; + 2*0.5*kernel = [[1, 2]]
    expect_close("dkernel with 2 samples and 2 outputs", _arr("dkernel", dk), [[2.5, 5.0]])
    expect_close("dbias with 2 samples and 2 outputs", _arr("dbias", db), [1.0, 1.5])
    passed("l2_grads: mean squared error + l2 * sum(kernel**2); dkernel gets 2 * l2 * kernel, the bias nothing")


def check_early_stopping(early_stopping):
    """`early_stopping(val_losses, patience, min_delta)` -> (last, best), 0-based epoch indices."""
    losses = [1.0, 0.8, 0.7, 0.69, 0.695, 0.71, 0.68, 0.72, 0.75, 0.8]
    cases = [
        # (val_losses, patience, min_delta, expected, {wrong answer: diagnosis})
        (losses, 2, 0.0, (5, 3), {
            (9, 6): "it ran one epoch too many: stop as soon as wait >= patience (two bad epochs after "
                    "index 3 are indices 4 and 5), not when wait > patience.",
            (4, 3): "patience=2 allows two epochs in a row without improvement; you stopped after one.",
            (9, 3): "the restored epoch is right but training never stopped: after each epoch without "
                    "improvement, add 1 to the counter and stop when it reaches patience.",
        }),
        (losses, 3, 0.0, (9, 6), {}),
        ([1.0, 0.9, 0.95, 0.91, 0.92, 0.93], 3, 0.0, (4, 1), {
            (5, 1): "only an improvement on the best loss resets the counter; 0.91 is lower than 0.95 but "
                    "not lower than the best, 0.9.",
        }),
        ([1.0, 0.9, 0.9, 0.9], 2, 0.0, (3, 1), {
            (3, 3): "a loss equal to the best is not an improvement: use loss < best - min_delta, not <=.",
        }),
        ([1.0, 0.96, 0.949, 0.93, 0.92, 0.91], 2, 0.05, (4, 2), {
            (5, 5): "with min_delta=0.05 a loss must be MORE than 0.05 below the best to count: "
                    "loss < best - min_delta (not best + min_delta).",
            (4, 4): "the epoch whose weights are restored is the last one that improved by more than "
                    "min_delta (index 2), not the lowest loss seen.",
        }),
        ([10.0, 9.6, 9.3, 9.25], 1, 0.1, (3, 2), {
            (1, 0): "min_delta is an absolute amount, not a fraction of the best loss: 9.6 < 10.0 - 0.1 "
                    "is an improvement (loss < best - min_delta).",
        }),
        ([0.5, 0.4, 0.3], 1, 0.0, (2, 2), {}),
        ([0.5, 0.6, 0.7], 0, 0.0, (1, 0), {}),
    ]
    for val_losses, patience, min_delta, expected, diagnoses in cases:
        got = _call(early_stopping, list(val_losses), patience, min_delta)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise CheckFailed(f"early_stopping should return a pair (last, best), got {got!r}.")
        try:
            got = tuple(int(v) for v in got)
        except (TypeError, ValueError):
            raise CheckFailed(f"early_stopping should return two integer epoch indices, got {got!r}.") from None
        if got != expected:
            call = f"early_stopping({list(val_losses)}, patience={patience}, min_delta={min_delta})"
            hint = diagnoses.get(got)
            if hint is None and got == (expected[0] + 1, expected[1] + 1):
                hint = "the epochs are counted from 0 (the first loss is epoch index 0)."
            if hint is None and expected == (len(val_losses) - 1, expected[1]) and got[0] == len(val_losses):
                hint = "when training never stops, `last` is the index of the last epoch, len(val_losses) - 1."
            raise CheckFailed(f"{call} should return {expected}, got {got}"
                              + (f": {hint}" if hint else "."))
    passed("early_stopping: loss < best - min_delta improves and resets the counter; stop when it reaches patience")
