"""Feedback for lessons/08_optimizers.ipynb: one momentum step and one Adam step.

The expected values are worked out by hand here (not by calling nnlab.optimizers).
"""
import math

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, passed

__all__ = ["check_momentum_step", "check_adam_step"]


def _unpack(name, got, n):
    if not isinstance(got, (tuple, list)) or len(got) != n:
        raise CheckFailed(f"{name} should return a tuple of {n} arrays, got {type(got).__name__}.")
    return [np.asarray(a, dtype=float) for a in got]


def check_momentum_step(momentum_step):
    """`momentum_step(w, g, m, learning_rate, momentum)` -> (w, m), Keras' form."""
    w, m = _unpack("momentum_step", _call(momentum_step, np.array([1.0]), np.array([0.5]),
                                          np.array([0.0]), 0.1, 0.9), 2)
    if np.allclose(m, [0.05]):
        raise CheckFailed("after one step from m = 0 with g = 0.5, learning_rate = 0.1, the velocity "
                          "m should be -0.05, got 0.05: in Keras' form m = momentum*m - learning_rate*g "
                          "and w = w + m.")
    expect_close("the velocity m after one step (m=0, g=0.5, learning_rate=0.1, momentum=0.9)", m, [-0.05])
    expect_close("w after one step (w=1)", w, [0.95])
    w, m = _unpack("momentum_step", _call(momentum_step, np.array([0.95, 2.0]), np.array([0.5, -1.0]),
                                          np.array([-0.05, 0.2]), 0.1, 0.9), 2)
    expect_close("m for m=[-0.05, 0.2], g=[0.5, -1] (momentum*m - learning_rate*g)", m, [-0.095, 0.28])
    expect_close("w for w=[0.95, 2] (w + m)", w, [0.855, 2.28])
    w_in, m_in = np.array([1.0, -1.0]), np.array([0.3, 0.0])
    _call(momentum_step, w_in, np.array([1.0, 2.0]), m_in, 0.1, 0.9)
    if not (np.array_equal(w_in, [1.0, -1.0]) and np.array_equal(m_in, [0.3, 0.0])):
        raise CheckFailed("momentum_step changed the arrays it was given (w or m): compute new arrays "
                          "(m_new = momentum * m - learning_rate * g) instead of updating in place "
                          "with m *= ... or w += ...; the caller may still need the old values.")
    passed("momentum_step: m = momentum*m - learning_rate*g, w = w + m")


def check_adam_step(adam_step):
    """`adam_step(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon)` -> (w, m, v), with bias correction."""
    w, m, v = _unpack("adam_step", _call(adam_step, np.array([1.0]), np.array([0.5]), np.array([0.0]),
                                         np.array([0.0]), 1, 0.1, 0.9, 0.999, 1e-7), 3)
    expect_close("m after step 1 (0.9*0 + 0.1*0.5)", m, [0.05])
    expect_close("v after step 1 (0.999*0 + 0.001*0.5**2)", v, [0.00025])
    uncorrected = 1 - 0.1 * 0.05 / (math.sqrt(0.00025) + 1e-7)
    if np.allclose(w, [uncorrected]):
        raise CheckFailed(f"w after step 1 should be about 0.9 (a first step of learning_rate), got "
                          f"{w[0]:.6f}: that is Adam without bias correction. Divide m by (1 - beta_1**t) "
                          "and v by (1 - beta_2**t) before the update.")
    expect_close("w after step 1 (m_hat = 0.5, v_hat = 0.25: w - 0.1 * 0.5 / (0.5 + 1e-7))", w,
                 [1 - 0.1 * 0.5 / (0.5 + 1e-7)])
    # step 2 from the state above with g = -1
    m2 = 0.9 * 0.05 + 0.1 * (-1.0)
    v2 = 0.999 * 0.00025 + 0.001 * 1.0
    m_hat, v_hat = m2 / (1 - 0.9 ** 2), v2 / (1 - 0.999 ** 2)
    w2_expected = w[0] - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-7)
    w2, m2_got, v2_got = _unpack("adam_step", _call(adam_step, w.copy(), np.array([-1.0]), m.copy(), v.copy(),
                                                    2, 0.1, 0.9, 0.999, 1e-7), 3)
    expect_close("m after step 2 with g = -1", m2_got, [m2])
    expect_close("v after step 2 with g = -1", v2_got, [v2])
    if np.allclose(w2, [w[0] - 0.1 * (m2 / (1 - 0.9)) / (math.sqrt(v2 / (1 - 0.999)) + 1e-7)]):
        raise CheckFailed("w after step 2 is wrong: the bias correction uses the step number t, "
                          "1 - beta_1**t and 1 - beta_2**t, not 1 - beta_1 and 1 - beta_2.")
    expect_close("w after step 2 with g = -1 (t = 2)", w2, [w2_expected])
    passed("adam_step: moving averages, bias correction with t, and the step")
