"""Tests for nnlab.utils.data: to_categorical and set_random_seed.

Expected values are written by hand (one-hot rows) or come from the standard library
and NumPy seeded directly, never from the code under test.
"""
import random

import numpy as np
import pytest

import nnlab
from nnlab import config
from nnlab.utils.data import set_random_seed, to_categorical



# ----------------------------------------------------------------- to_categorical

def test_public_names():
    assert nnlab.utils.to_categorical is to_categorical
    assert nnlab.utils.set_random_seed is set_random_seed


def test_to_categorical_by_hand():
    out = to_categorical([0, 2, 1, 2], num_classes=3)
    expected = [[1, 0, 0],
                [0, 0, 1],
                [0, 1, 0],
                [0, 0, 1]]
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float32


def test_to_categorical_default_num_classes_is_max_plus_one():
    np.testing.assert_array_equal(to_categorical([1, 3]), [[0, 1, 0, 0], [0, 0, 0, 1]])


def test_to_categorical_extra_classes():
    np.testing.assert_array_equal(to_categorical([1], num_classes=5), [[0, 1, 0, 0, 0]])


@pytest.mark.parametrize("labels", [
    [[0], [2], [1]],                              # (n, 1), as Keras: trailing 1 dropped
    np.array([0, 2, 1], dtype=np.uint8),          # digits/mnist labels
    np.array([0.0, 2.0, 1.0]),                    # integer-valued floats
    np.array([[0], [2], [1]], dtype=np.int32),    # cifar10 labels
])
def test_to_categorical_accepts_label_vectors(labels):
    out = to_categorical(labels, num_classes=3)
    assert out.shape == (3, 3)
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


def test_to_categorical_keeps_other_dimensions():
    out = to_categorical([[0, 1, 1], [1, 0, 0]], num_classes=2)
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out[0, 1], [0, 1])
    np.testing.assert_array_equal(out[1, 2], [1, 0])


def test_to_categorical_follows_floatx():
    with config.floatx_scope("float64"):
        assert to_categorical([0, 1]).dtype == np.float64
    assert to_categorical([0, 1]).dtype == np.float32


def test_to_categorical_rows_sum_to_one():
    labels = np.random.default_rng(0).integers(0, 7, 100)
    out = to_categorical(labels, num_classes=7)
    np.testing.assert_array_equal(out.sum(axis=1), np.ones(100))
    np.testing.assert_array_equal(out.argmax(axis=1), labels)


@pytest.mark.parametrize("labels, num_classes, match", [
    ([0, -1, 2], None, ">= 0"),
    ([0, -1, 2], 3, ">= 0"),
    ([0, 1.5], None, "integer"),
    ([0.5], 3, "integer"),
    ([0, 3], 3, "num_classes=3"),
    ([[0], [5]], 4, "num_classes=4"),
])
def test_to_categorical_errors(labels, num_classes, match):
    with pytest.raises(ValueError, match=match):
        to_categorical(labels, num_classes=num_classes)


def test_to_categorical_too_large_label_says_what_to_pass():
    with pytest.raises(ValueError, match="Pass num_classes=6 or more"):
        to_categorical([0, 5], num_classes=3)


@pytest.mark.parametrize("labels, num_classes", [
    (["cat", "dog"], None),   # TypeError from np.mod
    (None, None),             # TypeError from np.mod
    ([0, 1], 2.5),            # TypeError from np.eye
    ([0, 1], "3"),            # UFuncTypeError from the comparison
])
def test_to_categorical_clear_errors_for_wrong_types(labels, num_classes):
    # A student should get a ValueError that names the argument, not a NumPy traceback.
    with pytest.raises(ValueError, match="to_categorical|num_classes|label"):
        try:
            to_categorical(labels, num_classes=num_classes)
        except ValueError:
            raise
        except Exception as e:  # anything else is the bug this test documents
            raise TypeError(f"bare {type(e).__name__}: {e}") from e


@pytest.mark.parametrize("num_classes", [0, -1])
def test_to_categorical_rejects_non_positive_num_classes(num_classes):
    with pytest.raises(ValueError, match=r"num_classes.*positive|positive.*num_classes"):
        to_categorical([0, 1], num_classes=num_classes)


# ---------------------------------------------------------------- set_random_seed

def draw_all():
    return (nnlab.random.generator().normal(size=5),
            np.random.rand(5),
            [random.random() for _ in range(5)])


def test_set_random_seed_makes_every_generator_reproducible():
    set_random_seed(1234)
    first = draw_all()
    set_random_seed(1234)
    second = draw_all()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert first[2] == second[2]


def test_set_random_seed_matches_directly_seeded_generators():
    set_random_seed(7)
    ours, legacy, python = draw_all()
    np.testing.assert_array_equal(ours, np.random.default_rng(7).normal(size=5))
    np.testing.assert_array_equal(legacy, np.random.RandomState(7).rand(5))
    r = random.Random(7)
    assert python == [r.random() for _ in range(5)]


def test_different_seeds_differ():
    set_random_seed(1)
    a = draw_all()
    set_random_seed(2)
    b = draw_all()
    assert not np.array_equal(a[0], b[0])
    assert not np.array_equal(a[1], b[1])
    assert a[2] != b[2]


def test_set_random_seed_accepts_numpy_and_large_integers():
    set_random_seed(np.int64(3))
    a = nnlab.random.generator().normal(size=3)
    set_random_seed(3)
    np.testing.assert_array_equal(a, nnlab.random.generator().normal(size=3))
    set_random_seed(2**40)  # beyond NumPy's legacy 32-bit seeds: still accepted
    np.random.rand()


def test_set_random_seed_reseeds_what_layers_use():
    # Initializers and Dropout call nnlab.random.generator() each time, so they see
    # the new generator even when it is replaced.
    set_random_seed(5)
    a = nnlab.random.generator().uniform(size=4)
    set_random_seed(5)
    b = nnlab.random.generator().uniform(size=4)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [-1, 1.5, "42", None, True])
def test_set_random_seed_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        set_random_seed(bad)


def test_pad_sequences_by_hand():
    from nnlab.utils import pad_sequences
    seqs = [[1, 2, 3], [4], [], [5, 6]]
    np.testing.assert_array_equal(pad_sequences(seqs), [[1, 2, 3], [0, 0, 4], [0, 0, 0], [0, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2),
                                  [[2, 3], [0, 4], [0, 0], [5, 6]])           # truncating='pre'
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=2, padding="post", truncating="post",
                                                value=-1), [[1, 2], [4, -1], [-1, -1], [5, 6]])
    out = pad_sequences(seqs, maxlen=4, dtype="float32", value=0.5)
    assert out.dtype == np.float32 and out.shape == (4, 4) and out[1, 0] == 0.5
    assert pad_sequences([[1, 2]], maxlen=0).shape == (1, 0)
    assert pad_sequences([]).shape == (0, 0)
    with pytest.raises(ValueError, match='Padding type "middle" not understood'):
        pad_sequences(seqs, padding="middle")
    with pytest.raises(ValueError, match="single number"):
        pad_sequences([1, 2, 3])
    with pytest.raises(ValueError, match="maxlen=-1"):
        pad_sequences(seqs, maxlen=-1)
