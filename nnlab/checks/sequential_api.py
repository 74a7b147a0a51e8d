"""Feedback for lessons/09_sequential_api.ipynb: parameter counts, a stratified split, evaluate.

The expected values are worked out by hand here (not by calling nnlab.models).
"""
import math

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, passed

__all__ = ["check_dense_stack_params", "check_stratified_split", "check_evaluate_predictions"]


def _as_int_list(what, got, length):
    if not isinstance(got, (list, tuple, np.ndarray)) or np.ndim(got) != 1:
        raise CheckFailed(f"{what} should be a list with one count per Dense layer, got {got!r}.")
    if len(got) != length:
        raise CheckFailed(f"{what} should have {length} entries (one per Dense layer), got {len(got)}: {list(got)}.")
    values = []
    for v in got:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer, float, np.floating)) \
                or float(v) != int(v):
            raise CheckFailed(f"{what} should hold whole numbers, got {list(got)}.")
        values.append(int(v))
    return values


def check_dense_stack_params(dense_stack_params):
    """`dense_stack_params(input_shape, units)` -> per-layer counts (n_in + 1) * n_out."""
    units = [256, 128, 10]
    got = _call(dense_stack_params, (784,), units)
    if units != [256, 128, 10]:
        raise CheckFailed(f"dense_stack_params changed the list `units` it was given: [256, 128, 10] became {units}. "
                          "Leave the argument as it is; build a new list (e.g. [n_in] + list(units)) if you need one.")
    got = _as_int_list("dense_stack_params((784,), [256, 128, 10])", got, 3)
    if got == [784 * 256, 256 * 128, 128 * 10]:
        raise CheckFailed("dense_stack_params((784,), [256, 128, 10]) gave [200704, 32768, 1280]: "
                          "each Dense layer also has one bias per unit, n_in * n_out + n_out.")
    if got == [200960, 200960 + 32896, 200960 + 32896 + 1290]:
        raise CheckFailed("dense_stack_params gave running totals; return each layer's own count "
                          "(summary() shows 200,960, 32,896 and 1,290).")
    if got == [784 * 256 + 784, 256 * 128 + 256, 128 * 10 + 128]:
        raise CheckFailed("dense_stack_params counted one bias per *input*; a Dense layer has one bias "
                          "per unit (output): n_in * n_out + n_out.")
    if got != [200960, 32896, 1290]:
        raise CheckFailed("dense_stack_params((784,), [256, 128, 10]) should be [200960, 32896, 1290] "
                          f"(784*256+256, 256*128+128, 128*10+10), got {got}.")
    got = _as_int_list("dense_stack_params((28, 28), [512, 10])",
                       _call(dense_stack_params, (28, 28), [512, 10]), 2)
    if got[0] == 28 * 512 + 512:
        raise CheckFailed("dense_stack_params((28, 28), [512, 10]): the first layer got 28 inputs; "
                          "Flatten turns a 28x28 image into 28*28 = 784 inputs (multiply all dimensions).")
    if got != [401920, 5130]:
        raise CheckFailed("dense_stack_params((28, 28), [512, 10]) should be [401920, 5130] "
                          f"(784*512+512, 512*10+10), got {got}.")
    got = _as_int_list("dense_stack_params((3,), [2])", _call(dense_stack_params, (3,), [2]), 1)
    if got != [8]:
        raise CheckFailed(f"dense_stack_params((3,), [2]) should be [8] (3*2 + 2), got {got}.")
    passed("dense_stack_params: (n_in + 1) * n_out per Dense layer, n_in = product of the input shape")


def _check_index_array(what, arr, n):
    arr = np.asarray(arr)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise CheckFailed(f"{what} should be a 1-D array of integer indices, got dtype {arr.dtype}, "
                          f"shape {arr.shape}.")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise CheckFailed(f"{what} holds indices outside 0..{n - 1}.")
    if np.any(np.diff(arr) <= 0):
        raise CheckFailed(f"{what} should be sorted in increasing order, without repeats "
                          "(np.sort the indices before returning them).")
    return arr


def _check_three_sets(got, n):
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise CheckFailed("stratified_split should return three index arrays (train, val, test), "
                          f"got {type(got).__name__}.")
    train, val, test = (_check_index_array(name, a, n) for name, a in zip(("train", "val", "test"), got))
    for (na, a), (nb, b) in [(("train", train), ("val", val)), (("train", train), ("test", test)),
                             (("val", val), ("test", test))]:
        shared = np.intersect1d(a, b)
        if shared.size:
            raise CheckFailed(f"the {na} and {nb} sets share indices {shared[:5].tolist()}: "
                              "a sample may be in one set only (that is the leak this split prevents).")
    if len(train) + len(val) + len(test) != n:
        raise CheckFailed(f"train, val and test should cover all {n} samples together, "
                          f"got {len(train)} + {len(val)} + {len(test)}.")
    return train, val, test


def _expect_class_counts(y, got, expected, setting, why):
    """Each set's samples per class 0, 1, 2 must be `expected[name]`; else say so, with `why`."""
    train, val, test = _check_three_sets(got, len(y))
    for name, idx in (("test", test), ("val", val), ("train", train)):
        counts = np.bincount(y[idx], minlength=3).tolist()
        if counts != expected[name]:
            raise CheckFailed(f"with {setting}, the {name} set should hold {expected[name]} samples "
                              f"of classes 0, 1, 2, got {counts}. {why}")


def check_stratified_split(stratified_split):
    """`stratified_split(y, val_fraction, test_fraction, seed)` -> sorted (train, val, test) indices."""
    # 13 samples of class 0, 11 of class 1, 20 of class 2, in a fixed mixed order
    y = np.array([2, 0, 1, 2, 0, 2, 1, 0, 2, 2, 1, 0, 2, 0, 1, 2, 0, 2, 1, 2, 0, 1,
                  2, 0, 2, 1, 2, 0, 2, 1, 2, 0, 2, 1, 0, 2, 2, 0, 1, 2, 2, 1, 2, 0])
    y_copy = y.copy()
    got = _call(stratified_split, y, 0.2, 0.2, 0)
    if not np.array_equal(y, y_copy):
        raise CheckFailed("stratified_split changed the labels y it was given (shuffled or sorted them in "
                          "place). Work on indices, e.g. np.flatnonzero(y == c), and leave y as it is.")
    # per class: round(0.2 * n_c) for test and for val; 13 -> 3 (2.6), 11 -> 2 (2.2), 20 -> 4
    _expect_class_counts(
        y, got, {"test": [3, 2, 4], "val": [3, 2, 4], "train": [7, 7, 12]},
        "classes of 13, 11 and 20 samples and fractions 0.2 / 0.2",
        "Per class c with n_c samples: round(test_fraction * n_c) for test, round(val_fraction * n_c) "
        "for val (both fractions of n_c, rounded to the nearest integer), the rest for training.")
    again = _call(stratified_split, y, 0.2, 0.2, 0)
    if not all(np.array_equal(a, b) for a, b in zip(got, again)):
        raise CheckFailed("stratified_split(y, 0.2, 0.2, seed=0) gave a different split the second time: "
                          "draw every random number from np.random.default_rng(seed).")
    tests = {tuple(np.asarray(_call(stratified_split, y, 0.2, 0.2, s)[2]).tolist()) for s in range(5)}
    if len(tests) == 1:
        raise CheckFailed("seeds 0 to 4 all gave the same test set: the split should be random "
                          "(shuffle each class's indices with np.random.default_rng(seed)).")
    # halves and zeros: 0.25 of 10, 2 and 6 samples is 2.5, 0.5, 1.5; Python's round gives 2, 0, 2
    y = np.array([0, 2, 0, 1, 0, 2, 0, 0, 2, 0, 2, 0, 1, 0, 2, 0, 2, 0])
    got = _call(stratified_split, y, 0.25, 0.25, 1)
    _expect_class_counts(
        y, got, {"test": [2, 0, 2], "val": [2, 0, 2], "train": [6, 2, 2]},
        "classes of 10, 2 and 6 samples and fractions 0.25 / 0.25",
        "0.25 * 10 = 2.5, 0.25 * 2 = 0.5 and 0.25 * 6 = 1.5; Python's round(2.5) = 2, round(0.5) = 0, "
        "round(1.5) = 2 (a half goes to the even neighbour), and a set may get no sample of a class.")
    passed("stratified_split: disjoint sorted index sets, per-class sizes round(f * n_c), seeded, y untouched")


def check_evaluate_predictions(evaluate_predictions):
    """`evaluate_predictions(y_true, y_pred, metrics=True)` -> [loss, accuracy] or the loss alone."""
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    p = np.array([[0.2, 0.7, 0.1], [0.3, 0.6, 0.1]])
    loss = (-math.log(0.7) - math.log(0.3)) / 2
    got = _call(evaluate_predictions, y, p, True)
    if not isinstance(got, (list, tuple)) or len(got) != 2:
        raise CheckFailed("evaluate_predictions(..., metrics=True) should return a list [loss, accuracy], "
                          f"got {got!r}.")
    if np.isclose(float(got[0]), 0.5) and np.isclose(float(got[1]), loss):
        raise CheckFailed("evaluate_predictions returned [accuracy, loss]; evaluate's order is [loss, accuracy].")
    if np.isclose(float(got[0]), 2 * loss):
        raise CheckFailed(f"the loss should be the mean over the samples ({loss:.6f}), got {float(got[0]):.6f}, "
                          "twice as much: did you sum instead of averaging?")
    expect_close("the loss for y = [[0, 1, 0], [1, 0, 0]], p = [[0.2, 0.7, 0.1], [0.3, 0.6, 0.1]] "
                 "(-(ln 0.7 + ln 0.3) / 2)", got[0], loss)
    expect_close("the accuracy for the same y, p (row 1 right, row 2 wrong)", got[1], 0.5)
    single = _call(evaluate_predictions, y, p, False)
    if isinstance(single, (list, tuple, dict)) or np.ndim(single) != 0:
        raise CheckFailed("evaluate_predictions(..., metrics=False) should return the loss alone, a float, "
                          f"as model.evaluate does without metrics; got {single!r}.")
    expect_close("evaluate_predictions(..., metrics=False)", single, loss)
    y1, p1 = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    got = _call(evaluate_predictions, y1, p1, True)
    if not (np.array_equal(y1, [[1.0, 0.0]]) and np.array_equal(p1, [[0.0, 1.0]])):
        raise CheckFailed(f"evaluate_predictions changed the arrays it was given: y_pred [[0, 1]] became "
                          f"{p1.tolist()}, y_true [[1, 0]] became {y1.tolist()}. Clip into a new array "
                          "(p = np.clip(y_pred, ...)) instead of writing into y_pred.")
    if not np.isfinite(float(got[0])):
        raise CheckFailed("a probability of 0 for the true class gave an infinite loss: clip the "
                          "probabilities to [1e-7, 1 - 1e-7] before the log, as Keras does.")
    expect_close("the loss for y = [[1, 0]], p = [[0, 1]] (clipped: -ln 1e-7)", got[0], -math.log(1e-7))
    expect_close("the accuracy for y = [[1, 0]], p = [[0, 1]]", got[1], 0.0)
    passed("evaluate_predictions: mean clipped cross-entropy and accuracy; the loss alone without metrics")
