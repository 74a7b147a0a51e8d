"""Feedback for lessons/16_recurrent.ipynb: one SimpleRNN step's backward pass, one LSTM step.

The expected values are worked out by hand here or by central differences of the
step's formula written out below (never by calling nnlab.layers).
"""
import math

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed
from nnlab.utils.gradcheck import numerical_gradient

__all__ = ["check_rnn_step_backward", "check_lstm_cell_forward"]


def _tanh_step(x_t, h_prev, W, U, b):
    return np.tanh(x_t @ W + h_prev @ U + b)


def _same(a, b):
    try:
        return np.shape(a) == np.shape(b) and np.allclose(np.asarray(a, dtype=float), b, rtol=1e-6, atol=1e-9)
    except (TypeError, ValueError):
        return False


def _unpack(got, n, what):
    if not isinstance(got, (tuple, list)) or len(got) != n:
        raise CheckFailed(f"{what} should return a tuple of {n} arrays, got {type(got).__name__}"
                          + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "") + ".")
    return got


def _call_unchanged(fn, name, args, names):
    """Call fn on copies of args; fail if it changed any of them."""
    copies = [np.array(a, copy=True) for a in args]
    got = _call(fn, *copies)
    for a, c, nm in zip(args, copies, names):
        if not np.array_equal(a, c):
            raise CheckFailed(f"{name} changed its input `{nm}` in place (e.g. `{nm} += ...`): "
                              "compute new arrays instead, the caller still needs the old values.")
    return got


def check_rnn_step_backward(rnn_step_backward):
    """`rnn_step_backward(x_t, h_prev, W, U, b, dh_out, dh_next)` -> (dx_t, dh_prev, dW, dU, db)."""
    names = ["x_t", "h_prev", "W", "U", "b", "dh_out", "dh_next"]
    what = "rnn_step_backward"
    # 1. one sample, one feature, one unit, by hand:
    # z = 1*0.5 + 0.5*(-1) + 0.1 = 0.1; h = tanh(0.1); dh = 1 + 2 = 3; dz = 3 (1 - h^2)
    args = [np.array([[1.0]]), np.array([[0.5]]), np.array([[0.5]]), np.array([[-1.0]]),
            np.array([0.1]), np.array([[1.0]]), np.array([[2.0]])]
    got = _unpack(_call_unchanged(rnn_step_backward, what, args, names), 5, what)
    h = math.tanh(0.1)
    dz = 3 * (1 - h * h)
    if _same(got[4], [1 * (1 - h * h)]):
        raise CheckFailed("db for dh_out = 1, dh_next = 2 should be 3 (1 - h²) = "
                          f"{dz:.6f}, got {float(np.ravel(got[4])[0]):.6f}: the gradient coming back "
                          "from step t + 1 (dh_next) is not added. dh = dh_out + dh_next.")
    if _same(got[4], [3.0]):
        raise CheckFailed(f"db should be dh · tanh'(z) = 3 (1 - h²) = {dz:.6f}, got 3: multiply by "
                          "the derivative of tanh, 1 - h² with h = tanh(z).")
    if _same(got[4], [3 * (1 - h)]) or _same(got[4], [3 * h * (1 - h)]):
        raise CheckFailed(f"db should be 3 (1 - h²) = {dz:.6f}, got {float(np.ravel(got[4])[0]):.6f}: "
                          "tanh'(z) = 1 - tanh(z)², not 1 - h or h (1 - h) (that is the sigmoid's).")
    for i, (nm, val) in enumerate((("dx_t", 0.5 * dz), ("dh_prev", -1.0 * dz), ("dW", 1.0 * dz),
                                   ("dU", 0.5 * dz), ("db", dz))):
        expect_close(f"{nm} for x_t = 1, h_prev = 0.5, W = 0.5, U = -1, b = 0.1, dh_out = 1, dh_next = 2 "
                     f"(z = 0.1, dz = 3 (1 - tanh(0.1)²) = {dz:.6f})",
                     got[i], [val] if nm == "db" else [[val]])
    # 2. a batch of 2, 3 features, 2 units: against central differences of
    # L = sum((dh_out + dh_next) * tanh(x_t W + h_prev U + b))
    x_t = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, 1.5]])
    h_prev = np.array([[0.3, -0.6], [-0.2, 0.9]])
    W = np.array([[0.2, -0.4], [0.5, 0.1], [-0.3, 0.7]])
    U = np.array([[0.9, -0.5], [0.3, 0.8]])
    b = np.array([0.1, -0.2])
    dh_out = np.array([[1.0, -0.5], [0.25, 2.0]])
    dh_next = np.array([[-0.3, 0.4], [0.6, -1.0]])
    args = [x_t, h_prev, W, U, b, dh_out, dh_next]
    got = _unpack(_call_unchanged(rnn_step_backward, what, args, names), 5, what)
    G = dh_out + dh_next
    loss = lambda: float(np.sum(G * _tanh_step(x_t, h_prev, W, U, b)))
    shapes = {"dx_t": x_t.shape, "dh_prev": h_prev.shape, "dW": W.shape, "dU": U.shape, "db": b.shape}
    for i, (nm, p) in enumerate((("dx_t", x_t), ("dh_prev", h_prev), ("dW", W), ("dU", U), ("db", b))):
        expect_shape(f"{nm} (the shape of {nm[1:]})", got[i], shapes[nm])
        num = numerical_gradient(loss, p)
        if nm == "dh_prev":
            dz = G * (1 - _tanh_step(x_t, h_prev, W, U, b) ** 2)
            if _same(got[i], dz @ U):
                raise CheckFailed("dh_prev should be dz @ U.T (U has shape (units, units) and maps h_prev "
                                  "to z as h_prev @ U), got dz @ U: the recurrent kernel is transposed.")
        if nm == "dU":
            dz = G * (1 - _tanh_step(x_t, h_prev, W, U, b) ** 2)
            if _same(got[i], (h_prev.T @ dz).T):
                raise CheckFailed("dU should be h_prev.T @ dz, got its transpose (dz.T @ h_prev).")
        if nm in ("dW", "dU", "db") and _same(got[i], num / 2):
            raise CheckFailed(f"{nm} is half the central-difference gradient: sum over the batch, "
                              "do not average (the loss is a sum over the samples).")
        expect_close(f"{nm} for a batch of 2 samples, 3 features, 2 units (gradient check: central "
                     "differences of L = Σ (dh_out + dh_next) ⊙ tanh(x_t W + h_prev U + b))",
                     got[i], num, rtol=1e-5, atol=1e-7)
    passed("rnn_step_backward: dh = dh_out + dh_next, dz = dh (1 - h²), all five gradients "
           "agree with central differences")


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _lstm_ref(x_t, h_prev, c_prev, W, U, b, order=(0, 1, 2, 3), act_g=np.tanh, act_gate=_sig,
              keep=True, tanh_c=True):
    u = h_prev.shape[1]
    z = x_t @ W + h_prev @ U + b
    blocks = [z[:, k * u:(k + 1) * u] for k in range(4)]
    zi, zf, zg, zo = (blocks[k] for k in order)
    i, f, o = act_gate(zi), act_gate(zf), act_gate(zo)
    g = act_g(zg)
    c = (f * c_prev if keep else 0) + i * g
    h = o * (np.tanh(c) if tanh_c else c)
    return h, c


def check_lstm_cell_forward(lstm_cell_forward):
    """`lstm_cell_forward(x_t, h_prev, c_prev, W, U, b)` -> (h, c), Keras' gate order i, f, c, o."""
    names = ["x_t", "h_prev", "c_prev", "W", "U", "b"]
    what = "lstm_cell_forward"
    # 1. one unit, one feature, by hand: W = [w_i, w_f, w_c, w_o] = [1, 2, 3, -1], U = [0.5, -0.5, 1, 2],
    # b = [0, 1, 0, 0]; x = 1, h_prev = 0.5, c_prev = 2:
    # z_i = 1 + 0.25 = 1.25, z_f = 2 - 0.25 + 1 = 2.75, z_c = 3 + 0.5 = 3.5, z_o = -1 + 1 = 0
    sig = lambda t: 1 / (1 + math.exp(-t))
    i, f, g, o = sig(1.25), sig(2.75), math.tanh(3.5), sig(0.0)
    c = f * 2 + i * g
    h = o * math.tanh(c)
    args = [np.array([[1.0]]), np.array([[0.5]]), np.array([[2.0]]), np.array([[1.0, 2.0, 3.0, -1.0]]),
            np.array([[0.5, -0.5, 1.0, 2.0]]), np.array([0.0, 1.0, 0.0, 0.0])]
    got = _unpack(_call_unchanged(lstm_cell_forward, what, args, names), 2, what)
    got_h, got_c = (np.asarray(v, dtype=float) for v in got)
    wrong = {
        "the gates in the order i, f, o, c (Keras' order is i, f, c, o: the candidate is the third block)":
            dict(order=(0, 1, 3, 2)),
        "the gates in the order i, c, f, o (Keras' order is i, f, c, o)": dict(order=(0, 2, 1, 3)),
        "the gates in the order f, i, c, o (Keras' order is i, f, c, o)": dict(order=(1, 0, 2, 3)),
        "sigmoid and tanh swapped (the gates i, f, o use the sigmoid, the candidate g uses tanh)":
            dict(act_g=_sig, act_gate=np.tanh),
        "the candidate g through a sigmoid (g = tanh(z_c))": dict(act_g=_sig),
        "c = i ⊙ g: the previous cell state is forgotten entirely (c = f ⊙ c_prev + i ⊙ g)":
            dict(keep=False),
        "h = o ⊙ c (h = o ⊙ tanh(c))": dict(tanh_c=False),
    }
    for why, kw in wrong.items():
        wh, wc = _lstm_ref(*args, **kw)
        if _same(got_h, wh) and _same(got_c, wc):
            raise CheckFailed(f"lstm_cell_forward gives h = {got_h.ravel()[0]:.6f}, c = {got_c.ravel()[0]:.6f} "
                              f"(expected h = {h:.6f}, c = {c:.6f}): that is {why}.")
    if _same(got_h, [[c]]) and _same(got_c, [[h]]):
        raise CheckFailed("lstm_cell_forward returns (c, h): return (h, c), the output state first.")
    expect_shape("h (batch, units)", got_h, (1, 1))
    expect_shape("c (batch, units)", got_c, (1, 1))
    expect_close("c for one unit: x = 1, h_prev = 0.5, c_prev = 2, W = [[1, 2, 3, -1]], "
                 "U = [[0.5, -0.5, 1, 2]], b = [0, 1, 0, 0] (c = σ(2.75)·2 + σ(1.25)·tanh(3.5))", got_c, [[c]])
    expect_close("h for the same step (h = σ(0)·tanh(c))", got_h, [[h]])
    # 2. a batch of 2, 3 features, 2 units, random weights: the formula written out above
    r = np.random.default_rng(16)
    args = [r.normal(size=(2, 3)), r.normal(size=(2, 2)), r.normal(size=(2, 2)),
            r.normal(size=(3, 8)), r.normal(size=(2, 8)), r.normal(size=8)]
    got = _unpack(_call_unchanged(lstm_cell_forward, what, args, names), 2, what)
    eh, ec = _lstm_ref(*args)
    expect_shape("h for a batch of 2, 3 features, 2 units", got[0], (2, 2))
    expect_shape("c for a batch of 2, 3 features, 2 units", got[1], (2, 2))
    expect_close("c for a batch of 2, 3 features, 2 units (kernel (3, 8), recurrent kernel (2, 8))", got[1], ec)
    expect_close("h for a batch of 2, 3 features, 2 units", got[0], eh)
    passed("lstm_cell_forward: gates i, f, c, o in Keras' order, c = f⊙c_prev + i⊙g, h = o⊙tanh(c)")
