"""Initializers: sample statistics against Keras 3's formulas, fans, reproducibility."""
import json
import math

import numpy as np
import pytest

from nnlab import config, initializers
from nnlab.utils import set_random_seed

TRUNC = 0.87962566103423978    # std of N(0, 1) truncated to [-2, 2]


def test_truncation_constant_is_std_of_truncated_unit_normal():
    # Var of N(0,1) truncated to [-a, a]: 1 - 2 a φ(a) / (2Φ(a) - 1), independent formula
    a = 2.0
    phi = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
    mass = math.erf(a / math.sqrt(2))
    assert math.sqrt(1 - 2 * a * phi / mass) == pytest.approx(TRUNC, rel=1e-12)


@pytest.mark.parametrize("shape, fans", [
    ((), (1, 1)), ((7,), (7, 7)), ((4, 5), (4, 5)),
    ((3, 3, 16, 32), (3 * 3 * 16, 3 * 3 * 32)), ((5, 2, 3, 4), (5 * 2 * 3, 5 * 2 * 4)),
])
def test_compute_fans(shape, fans):
    assert initializers.compute_fans(shape) == fans


@pytest.mark.parametrize("name, shape, limit", [
    ("glorot_uniform", (400, 600), math.sqrt(6 / (400 + 600))),
    ("he_uniform", (400, 600), math.sqrt(6 / 400)),
    ("lecun_uniform", (400, 600), math.sqrt(3 / 400)),
    ("glorot_uniform", (3, 3, 16, 32), math.sqrt(6 / (144 + 288))),
    ("he_uniform", (3, 3, 16, 32), math.sqrt(6 / 144)),
    ("random_uniform", (500, 500), 0.05),
])
def test_uniform_bounds_and_spread(name, shape, limit):
    set_random_seed(0)
    w = initializers.get(name)(shape)
    assert w.shape == shape and w.dtype == np.float32
    assert np.abs(w).max() <= limit * (1 + 1e-6)
    assert np.abs(w).max() > 0.99 * limit            # the bound is reached, not smaller
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.02)   # std of U(-l, l)
    assert abs(w.mean()) < 0.02 * limit


@pytest.mark.parametrize("name, shape, target_std", [
    ("glorot_normal", (400, 600), math.sqrt(2 / (400 + 600))),
    ("he_normal", (400, 600), math.sqrt(2 / 400)),
    ("lecun_normal", (400, 600), math.sqrt(1 / 400)),
    ("he_normal", (3, 3, 16, 32), math.sqrt(2 / 144)),
])
def test_truncated_normals_have_target_std_and_cut_at_two_sigma(name, shape, target_std):
    set_random_seed(1)
    w = initializers.get(name)(shape, dtype="float64")
    assert w.dtype == np.float64
    assert w.std() == pytest.approx(target_std, rel=0.02)
    sigma = target_std / TRUNC                      # the normal's own parameter
    assert np.abs(w).max() <= 2 * sigma * (1 + 1e-12)
    assert np.abs(w).max() > 1.95 * sigma


def test_random_normal_defaults():
    set_random_seed(2)
    w = initializers.RandomNormal()((600, 500))
    assert w.mean() == pytest.approx(0, abs=1e-3)
    assert w.std() == pytest.approx(0.05, rel=0.01)
    assert np.abs(w).max() > 0.2                    # not truncated: 4σ values occur in 3e5 draws
    w = initializers.RandomNormal(mean=1.0, stddev=0.5)((600, 500))
    assert w.mean() == pytest.approx(1, abs=0.01) and w.std() == pytest.approx(0.5, rel=0.01)


def test_zeros_ones_constant():
    np.testing.assert_array_equal(initializers.get("zeros")((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.get("ones")((4,)), np.ones(4))
    np.testing.assert_array_equal(initializers.Constant(2.5)((2,)), [2.5, 2.5])
    assert initializers.get("zeros")((2,)).dtype == np.float32
    with config.floatx_scope("float64"):
        assert initializers.get("ones")((2,)).dtype == np.float64


def test_reproducible_with_set_random_seed():
    init = initializers.get("glorot_uniform")
    set_random_seed(42)
    a = init((5, 4))
    set_random_seed(42)
    b = init((5, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, init((5, 4)))      # the next draw differs


def test_seeded_initializer_repeats_and_ignores_global_seed():
    init = initializers.HeNormal(seed=7)
    set_random_seed(0)
    a = init((3, 3))
    set_random_seed(1)
    np.testing.assert_array_equal(a, init((3, 3)))
    assert not np.array_equal(a, initializers.HeNormal(seed=8)((3, 3)))


def test_get_accepts_names_classes_instances_callables_and_dicts():
    assert isinstance(initializers.get("glorot_uniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get(initializers.HeNormal), initializers.HeNormal)
    inst = initializers.RandomUniform(-1, 1, seed=3)
    assert initializers.get(inst) is inst
    fn = lambda shape, dtype=None: np.full(shape, 7.0)  # noqa: E731
    assert initializers.get(fn) is fn
    blob = json.loads(json.dumps(initializers.serialize(inst)))
    again = initializers.get(blob)
    assert isinstance(again, initializers.RandomUniform)
    np.testing.assert_array_equal(again((4,)), inst((4,)))
    assert initializers.serialize("he_normal") == "he_normal"


@pytest.mark.parametrize("identifier, match", [
    ("glorot_unifrom", "Unknown initializer: 'glorot_unifrom'. Did you mean 'glorot_uniform'"),
    (3, "Could not interpret initializer"),
    ({"config": {}}, "class_name"),
])
def test_get_errors(identifier, match):
    with pytest.raises(ValueError, match=match):
        initializers.get(identifier)


@pytest.mark.parametrize("make, match", [
    (lambda: initializers.RandomNormal(stddev=-1), "stddev"),
    (lambda: initializers.RandomUniform(1, 0), "minval"),
    (lambda: initializers.VarianceScaling(scale=0), "scale"),
    (lambda: initializers.VarianceScaling(mode="fan"), "mode"),
    (lambda: initializers.VarianceScaling(distribution="normal"), "distribution"),
    (lambda: initializers.GlorotUniform(seed=-1), "seed"),
])
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_docstring_examples():
    import doctest
    import importlib

    import nnlab
    module = importlib.import_module("nnlab.initializers")
    globs = {**vars(module), "np": np, "nnlab": nnlab}
    result = doctest.testmod(module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
