"""Tests for nnlab.optimizers: each rule's steps recomputed by hand from its written
formula, state save/restore, the deprecated `lr` alias, validation and lookup."""
import json
import math

import numpy as np
import pytest

from nnlab import optimizers
from nnlab.optimizers import SGD, Adagrad, Adam, RMSprop

GRADS = [np.array([0.5, -1.0, 2.0]), np.array([0.1, -0.3, 1.0]), np.array([-0.4, 0.2, 0.5])]
W0 = np.array([1.0, -2.0, 0.5])


def run(opt, steps=3, w0=W0, grads=GRADS):
    w = w0.copy()
    for g in grads[:steps]:
        opt.apply([g], [w])
    return w


# ---- update rules, by hand --------------------------------------------------------------
def test_sgd_plain():
    w = run(SGD(learning_rate=0.1), steps=2)
    np.testing.assert_allclose(w, W0 - 0.1 * GRADS[0] - 0.1 * GRADS[1])
    np.testing.assert_allclose(run(SGD(learning_rate=0.1), steps=1), [0.95, -1.9, 0.3])


def test_sgd_momentum():
    lr, mu = 0.1, 0.9
    m = np.zeros(3)
    w = W0.copy()
    for g in GRADS:
        m = mu * m - lr * g
        w = w + m
    np.testing.assert_allclose(run(SGD(learning_rate=lr, momentum=mu)), w)
    # second step by hand for the first weight: m1 = -0.05, m2 = 0.9*(-0.05) - 0.01 = -0.055
    np.testing.assert_allclose(run(SGD(learning_rate=lr, momentum=mu), steps=2)[0], 1.0 - 0.05 - 0.055)


def test_sgd_nesterov():
    lr, mu = 0.1, 0.9
    m = np.zeros(3)
    w = W0.copy()
    for g in GRADS:
        m = mu * m - lr * g
        w = w + mu * m - lr * g
    np.testing.assert_allclose(run(SGD(learning_rate=lr, momentum=mu, nesterov=True)), w)
    # first step, first weight: m = -0.05, w = 1 + 0.9*(-0.05) - 0.05
    np.testing.assert_allclose(run(SGD(learning_rate=lr, momentum=mu, nesterov=True), steps=1)[0], 0.905)


def test_adam_first_step_moves_each_weight_by_lr_sign_g():
    w = run(Adam(learning_rate=0.01), steps=1)
    np.testing.assert_allclose(W0 - w, 0.01 * np.sign(GRADS[0]), rtol=1e-4)


def test_adam_three_steps():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    m, v, w = np.zeros(3), np.zeros(3), W0.copy()
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w = w - alpha * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(run(Adam(learning_rate=lr)), w, rtol=1e-12)


def test_adam_epsilon_is_keras_epsilon_hat_not_algorithm_1():
    # With a large ε the two placements differ visibly: Keras adds ε to √v (not to √v̂).
    lr, b1, b2, eps, g = 0.1, 0.9, 0.999, 1.0, GRADS[0]
    m, v = (1 - b1) * g, (1 - b2) * g ** 2
    keras = W0 - lr * math.sqrt(1 - b2) / (1 - b1) * m / (np.sqrt(v) + eps)
    paper = W0 - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    w = run(Adam(learning_rate=lr, epsilon=eps), steps=1)
    np.testing.assert_allclose(w, keras, rtol=1e-12)
    assert not np.allclose(w, paper)


def test_adam_amsgrad():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    grads = [np.array([2.0, -1.0]), np.array([0.1, -0.1]), np.array([0.05, 3.0])]
    m, v, vhat, w = np.zeros(2), np.zeros(2), np.zeros(2), np.array([0.0, 1.0])
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        vhat = np.maximum(vhat, v)
        w = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(vhat) + eps)
    got = run(Adam(learning_rate=lr, amsgrad=True), w0=np.array([0.0, 1.0]), grads=grads)
    np.testing.assert_allclose(got, w, rtol=1e-12)
    assert not np.allclose(got, run(Adam(learning_rate=lr), w0=np.array([0.0, 1.0]), grads=grads))


def test_rmsprop_plain():
    lr, rho, eps = 0.01, 0.9, 1e-7
    v, w = np.zeros(3), W0.copy()
    for g in GRADS:
        v = rho * v + (1 - rho) * g ** 2
        w = w - lr * g / np.sqrt(v + eps)        # Keras: ε inside the root
    np.testing.assert_allclose(run(RMSprop(learning_rate=lr)), w, rtol=1e-12)
    # first step: v = 0.1 g², step = lr g / √(0.1 g²) = lr sign(g) / √0.1
    np.testing.assert_allclose(W0 - run(RMSprop(learning_rate=lr), steps=1),
                               lr * np.sign(GRADS[0]) / math.sqrt(0.1), rtol=1e-5)


def test_rmsprop_centered_with_momentum():
    lr, rho, mu, eps = 0.01, 0.8, 0.5, 1e-7
    v, avg, m, w = np.zeros(3), np.zeros(3), np.zeros(3), W0.copy()
    for g in GRADS:
        v = rho * v + (1 - rho) * g ** 2
        avg = rho * avg + (1 - rho) * g
        m = mu * m + lr * g / np.sqrt(v - avg ** 2 + eps)
        w = w - m
    np.testing.assert_allclose(run(RMSprop(learning_rate=lr, rho=rho, momentum=mu, centered=True)), w,
                               rtol=1e-12)


def test_adagrad():
    lr, a0, eps = 0.1, 0.1, 1e-7
    a, w = np.full(3, a0), W0.copy()
    for g in GRADS:
        a = a + g ** 2
        w = w - lr * g / np.sqrt(a + eps)
    np.testing.assert_allclose(run(Adagrad(learning_rate=lr)), w, rtol=1e-12)
    # first weight, first step: a = 0.1 + 0.25 = 0.35
    np.testing.assert_allclose(run(Adagrad(learning_rate=lr), steps=1)[0], 1.0 - 0.1 * 0.5 / math.sqrt(0.35 + eps))


def test_adagrad_initial_accumulator_value():
    w = run(Adagrad(learning_rate=1.0, initial_accumulator_value=0.0, epsilon=1e-7), steps=1)
    np.testing.assert_allclose(W0 - w, np.sign(GRADS[0]) * np.abs(GRADS[0]) / np.sqrt(GRADS[0] ** 2 + 1e-7))


def test_keras_documented_rmsprop_example():
    # keras.optimizers.RMSprop docstring: loss = var²/2 from var = 10, lr = 0.1 -> 9.683772
    var = np.array([10.0])
    RMSprop(learning_rate=0.1).apply([var.copy()], [var])
    assert var[0] == pytest.approx(9.683772, abs=1e-6)


# ---- the apply frame ------------------------------------------------------------------------
@pytest.mark.parametrize("opt", [SGD(momentum=0.9), RMSprop(momentum=0.5, centered=True), Adagrad(),
                                 Adam(amsgrad=True)], ids=lambda o: type(o).__name__)
def test_in_place_float32_and_iterations(opt):
    w = np.ones((2, 3), dtype=np.float32)
    b = np.zeros(3, dtype=np.float32)
    ids = (id(w), id(b))
    for _ in range(3):
        opt.apply([np.full((2, 3), 0.5, np.float32), np.full(3, -0.5)], [w, b])
    assert (id(w), id(b)) == ids
    assert w.dtype == np.float32 and b.dtype == np.float32
    assert np.all(w < 1) and np.all(b > 0)
    assert opt.iterations == 3
    state = opt.get_state()
    assert all(a.dtype == np.float32 for k, a in state.items() if k != "iterations")


def test_apply_gradients_pairs():
    w = W0.copy()
    opt = SGD(learning_rate=0.1)
    opt.apply_gradients(zip([GRADS[0]], [w]))
    np.testing.assert_allclose(w, W0 - 0.1 * GRADS[0])
    assert opt.iterations == 1


def test_learning_rate_can_change_between_steps():
    opt = SGD(learning_rate=0.1)
    w = W0.copy()
    opt.apply([GRADS[0]], [w])
    opt.learning_rate = 0.01
    opt.apply([GRADS[1]], [w])
    np.testing.assert_allclose(w, W0 - 0.1 * GRADS[0] - 0.01 * GRADS[1])
    with pytest.raises(ValueError, match="learning_rate"):
        opt.learning_rate = -1


def test_clipping():
    g = np.array([3.0, 4.0])                     # norm 5
    w = np.zeros(2)
    SGD(learning_rate=1.0, clipnorm=1.0).apply([g], [w])
    np.testing.assert_allclose(w, [-0.6, -0.8])
    w = np.zeros(2)
    SGD(learning_rate=1.0, clipvalue=3.5).apply([g], [w])
    np.testing.assert_allclose(w, [-3.0, -3.5])
    w1, w2 = np.zeros(1), np.zeros(1)
    SGD(learning_rate=1.0, global_clipnorm=2.5).apply([np.array([3.0]), np.array([4.0])], [w1, w2])
    np.testing.assert_allclose([w1[0], w2[0]], [-1.5, -2.0])
    with pytest.raises(ValueError, match="Only one of"):
        SGD(clipnorm=1.0, clipvalue=1.0)


# ---- state ----------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: SGD(momentum=0.9, nesterov=True), lambda: RMSprop(momentum=0.5, centered=True),
                                  lambda: Adagrad(), lambda: Adam(amsgrad=True), lambda: Adam()],
                         ids=["sgd", "rmsprop", "adagrad", "adam-amsgrad", "adam"])
def test_state_restore_continues_bit_for_bit(make):
    gen = np.random.default_rng(1)
    grads = [[gen.normal(size=(3, 2)).astype(np.float32), gen.normal(size=2).astype(np.float32)]
             for _ in range(5)]
    a = make()
    wa = [np.ones((3, 2), np.float32), np.zeros(2, np.float32)]
    for g in grads[:3]:
        a.apply(g, wa)
    state = a.get_state()
    # through JSON-free copies, into a fresh (unbuilt) optimizer
    b = make()
    b.set_state({k: np.array(v) for k, v in state.items()})
    wb = [w.copy() for w in wa]
    assert b.iterations == 3
    for g in grads[3:]:
        a.apply(g, wa)
        b.apply(g, wb)
    for x, y in zip(wa, wb):
        assert np.array_equal(x, y)
    assert a.iterations == b.iterations == 5


def test_state_names():
    opt = Adam()
    opt.apply([np.ones(2), np.ones(3)], [np.zeros(2), np.zeros(3)])
    assert set(opt.get_state()) == {"iterations", "adam/m/0", "adam/v/0", "adam/m/1", "adam/v/1"}
    assert int(opt.get_state()["iterations"]) == 1
    sgd = SGD(momentum=0.5)
    sgd.apply([np.ones(2)], [np.zeros(2)])
    assert set(sgd.get_state()) == {"iterations", "sgd/momentum/0"}
    np.testing.assert_allclose(sgd.get_state()["sgd/momentum/0"], [-0.01, -0.01])


def test_set_state_mismatch():
    opt = Adam()
    opt.apply([np.ones(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match="Missing"):
        Adam().set_state({"iterations": np.array(1), "adam/m/0": np.zeros(2)})
    with pytest.raises(ValueError, match="iterations"):
        Adam().set_state({"adam/m/0": np.zeros(2), "adam/v/0": np.zeros(2)})
    with pytest.raises(ValueError, match="shape"):
        opt.set_state({"iterations": np.array(1), "adam/m/0": np.zeros(3), "adam/v/0": np.zeros(3)})


# ---- errors ----------------------------------------------------------------------------------
def test_grads_and_variables_must_match():
    opt = SGD()
    with pytest.raises(ValueError, match="2 gradients for 1 variables"):
        opt.apply([np.ones(2), np.ones(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match=r"gradient 1 has shape \(3,\) but variable 1 has shape \(2, 3\)"):
        opt.apply([np.ones(2), np.ones(3)], [np.zeros(2), np.zeros((2, 3))])
    with pytest.raises(ValueError, match="float NumPy array"):
        opt.apply([np.ones(2)], [[0.0, 0.0]])
    built = Adam()
    built.apply([np.ones(2)], [np.zeros(2)])
    with pytest.raises(ValueError, match="built for 1 variables"):
        built.apply([np.ones(2), np.ones(2)], [np.zeros(2), np.zeros(2)])


@pytest.mark.parametrize("make, match", [
    (lambda: SGD(learning_rate=0), "learning_rate"),
    (lambda: SGD(learning_rate=-0.1), "learning_rate"),
    (lambda: SGD(learning_rate="fast"), "learning_rate"),
    (lambda: SGD(momentum=-0.1), "momentum"),
    (lambda: SGD(nesterov="yes"), "nesterov"),
    (lambda: Adam(beta_1=1.0), "beta_1"),
    (lambda: Adam(beta_2=-0.1), "beta_2"),
    (lambda: Adam(epsilon=0), "epsilon"),
    (lambda: RMSprop(rho=1.0), "rho"),
    (lambda: RMSprop(momentum=-1), "momentum"),
    (lambda: Adagrad(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (lambda: Adam(betas=(0.9, 0.99)), "not recognized"),
    (lambda: Adam(lr=0.1, learning_rate=0.01), "both"),
])
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_invalid_value_is_echoed():
    with pytest.raises(ValueError, match=r"Received: learning_rate=0\b"):
        Adam(learning_rate=0)


@pytest.mark.parametrize("cls", [SGD, RMSprop, Adagrad, Adam])
def test_lr_alias_warns(cls):
    with pytest.warns(DeprecationWarning, match="learning_rate"):
        opt = cls(lr=0.05)
    assert opt.learning_rate == 0.05


def test_decay_is_ignored_with_a_warning():
    with pytest.warns(UserWarning, match="decay"):
        opt = SGD(learning_rate=0.01, decay=1e-6, momentum=0.9, nesterov=True)
    assert opt.momentum == 0.9


# ---- defaults, config, lookup -------------------------------------------------------------------
def test_keras_defaults():
    c = SGD().get_config()
    assert (c["learning_rate"], c["momentum"], c["nesterov"], c["name"]) == (0.01, 0.0, False, "SGD")
    r = RMSprop()
    assert (r.learning_rate, r.rho, r.momentum, r.epsilon, r.centered, r.name) == (0.001, 0.9, 0.0, 1e-7, False, "rmsprop")
    a = Adagrad()
    assert (a.learning_rate, a.initial_accumulator_value, a.epsilon, a.name) == (0.001, 0.1, 1e-7, "adagrad")
    d = Adam()
    assert (d.learning_rate, d.beta_1, d.beta_2, d.epsilon, d.amsgrad, d.name) == (0.001, 0.9, 0.999, 1e-7, False, "adam")


@pytest.mark.parametrize("opt", [SGD(0.05, momentum=0.9, nesterov=True), RMSprop(rho=0.8, centered=True),
                                 Adagrad(initial_accumulator_value=0.2), Adam(beta_2=0.99, amsgrad=True, clipnorm=1.0)],
                         ids=lambda o: type(o).__name__)
def test_config_round_trip(opt):
    config = json.loads(json.dumps(opt.get_config()))
    assert type(opt).from_config(config).get_config() == opt.get_config()
    again = optimizers.get(optimizers.serialize(opt))
    assert type(again) is type(opt) and again.get_config() == opt.get_config()


@pytest.mark.parametrize("name, cls", [("sgd", SGD), ("SGD", SGD), ("adam", Adam), ("Adam", Adam),
                                       ("rmsprop", RMSprop), ("RMSprop", RMSprop), ("adagrad", Adagrad)])
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_instance_class_and_unknown():
    opt = Adam()
    assert optimizers.get(opt) is opt
    assert type(optimizers.get(SGD)) is SGD
    assert optimizers.get("adam") is not optimizers.get("adam")
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adma'\. Did you mean 'adam'\?"):
        optimizers.get("adma")
    with pytest.raises(ValueError, match="optimizer"):
        optimizers.get(3)


# ---- optional cross-check with PyTorch ---------------------------------------------------------
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_matches_torch(nesterov):
    torch = pytest.importorskip("torch")
    p = torch.tensor(W0.copy(), requires_grad=True)
    topt = torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=nesterov)
    for g in GRADS:
        p.grad = torch.tensor(g)
        topt.step()
    np.testing.assert_allclose(run(SGD(learning_rate=0.1, momentum=0.9, nesterov=nesterov)),
                               p.detach().numpy(), rtol=1e-12)
