"""Feedback for lessons/15_functional_api.ipynb: a branching forward pass by hand, parameter
counts of frozen layers, freezing all but the last k layers, and a weights round trip.

The expected numbers are worked out by hand in the comments (not by calling the nnlab
code under study); nnlab models only serve as the objects the student's functions act on.
"""
import os
import tempfile

import numpy as np

from nnlab.checks._core import CheckFailed, _call, expect_close, expect_shape, passed

__all__ = ["check_branch_forward", "check_param_counts", "check_freeze_all_but_last",
           "check_weights_round_trip"]


# ---- exercise 1: h = relu(x W1 + b1); a = relu(h W2 + b2); s = h + a; c = [s, x]; out = c W3 + b3
BRANCH_PARAMS = {
    "W1": np.array([[1.0, 0.0, -1.0], [0.0, 1.0, 1.0]]), "b1": np.array([0.0, 0.0, -2.0]),
    "W2": np.array([[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 1.0]]), "b2": np.array([0.0, 0.0, 1.0]),
    "W3": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0], [0.0, -1.0]]), "b3": np.array([0.0, 1.0]),
}
# Row 1, x = [1, 2]: x W1 + b1 = [1, 2, -1] -> h = [1, 2, 0]; h W2 + b2 = [1, -2, 1] -> a = [1, 0, 1];
#   s = h + a = [2, 2, 1]; c = [s, x] = [2, 2, 1, 1, 2]; c W3 + b3 = [2+1+2, 2+1-2] + [0, 1] = [5, 2].
# Row 2, x = [0, -1]: x W1 + b1 = [0, -1, -3] -> h = [0, 0, 0]; a = relu([0, 0, 1]) = [0, 0, 1];
#   s = [0, 0, 1]; c = [0, 0, 1, 0, -1]; c W3 + b3 = [1, 1 + 1] + [0, 1] = [1, 3].
BRANCH_X = np.array([[1.0, 2.0], [0.0, -1.0]])
BRANCH_EXPECTED = np.array([[5.0, 2.0], [1.0, 3.0]])


def check_branch_forward(branch_forward):
    """`branch_forward(x, params)` -> the graph's output, shape (N, 2)."""
    params = {k: v.copy() for k, v in BRANCH_PARAMS.items()}
    x = BRANCH_X.copy()
    got = _call(branch_forward, x[:1], params)
    expect_shape("branch_forward(x = [[1, 2]], params) (one sample, 2 outputs)", got, (1, 2))
    got = np.asarray(got, dtype=float)
    # plausible mistakes on the first sample, each worked out by hand
    if np.allclose(got, [[7.0, 4.0]]):
        raise CheckFailed("for x = [[1, 2]] the output should be [[5, 2]], got [[7, 4]]: that is "
                          "Concatenate([x, s]). The order of the list is the order of the columns: "
                          "c = Concatenate([s, x]) puts s's 3 columns first.")
    if np.allclose(got, [[5.0, 0.0]]):
        raise CheckFailed("for x = [[1, 2]] the output should be [[5, 2]], got [[5, 0]]: the relu "
                          "after the second Dense layer (a = relu(h W2 + b2)) is missing.")
    if np.allclose(got, [[3.0, 0.0]]):
        raise CheckFailed("for x = [[1, 2]] the output should be [[5, 2]], got [[3, 0]]: the relu "
                          "of the first layer (h = relu(x W1 + b1)) is missing.")
    if np.allclose(got, [[4.0, 0.0]]):
        raise CheckFailed("for x = [[1, 2]] the output should be [[5, 2]], got [[4, 0]]: s should be "
                          "Add([h, a]) = h + a (the residual branch), not a alone.")
    expect_close("branch_forward(x = [[1, 2]], params)", got, BRANCH_EXPECTED[:1])
    got = _call(branch_forward, x, params)
    expect_shape("branch_forward(x of shape (2, 2), params)", got, (2, 2))
    expect_close("branch_forward for the batch x = [[1, 2], [0, -1]] (each row is one sample)",
                 got, BRANCH_EXPECTED)
    for k, v in BRANCH_PARAMS.items():
        if not np.array_equal(params[k], v):
            raise CheckFailed(f"branch_forward changed params['{k}'] in place; leave the weights as they are.")
    if not np.array_equal(x, BRANCH_X):
        raise CheckFailed("branch_forward changed its input x in place.")
    passed("branch_forward: relu layers, Add([h, a]), Concatenate([s, x]) in that order, linear output")


# ---- exercise 2: trainable / non-trainable counts of a Dense stack
def check_param_counts(param_counts):
    """`param_counts(input_dim, units, frozen)` -> (trainable, non_trainable)."""
    # Dense 64 -> 32: 64*32 + 32 = 2080;  32 -> 16: 32*16 + 16 = 528;  16 -> 10: 16*10 + 10 = 170.
    got = _call(param_counts, 64, [32, 16, 10], [])
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        raise CheckFailed(f"param_counts should return a pair (trainable, non_trainable), got {got!r}.")
    if tuple(got) == (2720, 0):
        raise CheckFailed("param_counts(64, [32, 16, 10], []) should be (2778, 0), got (2720, 0): "
                          "each Dense layer also has one bias per unit (n_in * units + units).")
    if tuple(got) == (1882, 0):
        raise CheckFailed("param_counts(64, [32, 16, 10], []) should be (2778, 0), got (1882, 0): the first "
                          "layer's inputs are the input_dim = 64 features, not its own 32 units.")
    expect_close("param_counts(64, [32, 16, 10], []) (nothing frozen)", list(got), [2778, 0])
    got = tuple(_call(param_counts, 64, [32, 16, 10], [0, 1]))
    if got == (2608, 170):
        raise CheckFailed("param_counts(64, [32, 16, 10], frozen=[0, 1]) should be (170, 2608), got "
                          "(2608, 170): return (trainable, non_trainable) in that order.")
    if got == (2080, 698):
        raise CheckFailed("param_counts(64, [32, 16, 10], frozen=[0, 1]) should be (170, 2608), got "
                          "(2080, 698): the indices in `frozen` count from 0, as Python lists do "
                          "(0 is the first Dense layer).")
    expect_close("param_counts(64, [32, 16, 10], frozen=[0, 1])", list(got), [170, 2608])
    got = tuple(_call(param_counts, 64, [32, 16, 10], [2]))
    expect_close("param_counts(64, [32, 16, 10], frozen=[2]) (only the last layer frozen)",
                 list(got), [2608, 170])
    passed("param_counts: n_in * units + units per layer, split by `frozen` (0-based)")


# ---- exercise 3: freeze every layer except the last k
def _stack():
    from nnlab.layers import Dense, Input
    from nnlab.models import Sequential
    # Dense 4 -> 3: 15 parameters; 3 -> 3: 12; 3 -> 2: 8.
    return Sequential([Input(shape=(4,)), Dense(3, activation="tanh", name="d0"),
                       Dense(3, activation="tanh", name="d1"), Dense(2, name="d2")])


def check_freeze_all_but_last(freeze_all_but_last):
    """`freeze_all_but_last(model, k)`: all layers but the last k frozen, the last k trainable."""
    import nnlab

    nnlab.utils.set_random_seed(0)
    model = _stack()
    for k, expected in [(1, [False, False, True]), (2, [False, True, True]), (0, [False, False, False]),
                        (3, [True, True, True]), (5, [True, True, True]), (1, [False, False, True])]:
        result = _call(freeze_all_but_last, model, k)
        if result is not model:
            raise CheckFailed("freeze_all_but_last should change the model in place and return that same "
                              f"model object, got {result!r}.")
        flags = [layer.trainable for layer in model.layers]
        if flags != expected:
            hint = ""
            if k == 0 and flags == [True, True, True]:
                hint = (" With k = 0, model.layers[:-0] is model.layers[:0], an empty list: "
                        "use model.layers[:len(model.layers) - k].")
            elif k >= 3 and False in flags:
                hint = " Layers among the last k must be trainable again (set trainable = True)."
            raise CheckFailed(f"after freeze_all_but_last(model, {k}) the layers' `trainable` flags "
                              f"should be {expected}, got {flags}.{hint}")
    # k = 1: d0 (15) and d1 (12) frozen, d2 (8) trainable
    frozen = sum(w.size for w in model.non_trainable_weights)
    trainable = sum(w.size for w in model.trainable_weights)
    expect_close("non-trainable parameters with k = 1 (15 + 12)", frozen, 27)
    expect_close("trainable parameters with k = 1 (the last layer's 3*2 + 2)", trainable, 8)
    before = model.get_weights()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)), rng.normal(size=(16, 2))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    after = model.get_weights()
    for i in range(4):
        if not np.array_equal(before[i], after[i]):
            raise CheckFailed("after fit, the frozen layers' weights changed: freeze them by setting "
                              "layer.trainable = False (fit updates only trainable layers).")
    if np.array_equal(before[4], after[4]):
        raise CheckFailed("after fit, the last layer's kernel did not change: it should stay trainable.")
    passed("freeze_all_but_last: first layers frozen (unchanged by fit), last k trainable, k = 0 freezes all")


# ---- exercise 4: save_weights -> fresh model -> load_weights
def check_weights_round_trip(weights_round_trip):
    """`weights_round_trip(model, make_model, directory)` -> a new model with model's weights."""
    import nnlab
    from nnlab.layers import Dense, Input
    from nnlab.models import Sequential

    made = []
    copied = []

    def watched(m):
        # nnlab's load_weights writes into the layers' arrays and never calls set_weights;
        # a call to set_weights on the new model (or a layer of it) means the weights were
        # copied from the original model in memory instead of being loaded from the file.
        for obj in [m, *m.layers]:
            def set_weights(weights, _original=obj.set_weights):
                copied.append(True)
                return _original(weights)
            obj.set_weights = set_weights
        made.append(m)
        return m

    def make_unbuilt():
        return watched(Sequential([Dense(5, activation="relu"), Dense(3, activation="softmax")]))

    def make_built():
        return watched(Sequential([Input(shape=(4,)), Dense(5, activation="relu"),
                                   Dense(3, activation="softmax")]))

    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 4))
    for factory, what in [(make_built, "a built model"), (make_unbuilt, "an unbuilt Sequential")]:
        nnlab.utils.set_random_seed(1)
        model = make_built()
        model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
        original = model.get_weights()
        made.clear()
        copied.clear()
        with tempfile.TemporaryDirectory() as directory:
            new = _call(weights_round_trip, model, factory, directory)
            files = sorted(os.listdir(directory))
        if new is model:
            raise CheckFailed("weights_round_trip returned the original model; return the new one "
                              "made by make_model().")
        if not made or new is not made[-1]:
            raise CheckFailed(f"with make_model returning {what}, weights_round_trip should return the "
                              "model that make_model() created (with the weights loaded into it).")
        if not any(f.endswith(".weights.h5") for f in files):
            raise CheckFailed(f"no file ending in .weights.h5 was written into `directory` (found {files}): "
                              "save with model.save_weights(os.path.join(directory, '....weights.h5')).")
        for w0, w1 in zip(original, model.get_weights()):
            if not np.array_equal(w0, w1):
                raise CheckFailed("weights_round_trip changed the original model's weights.")
        if copied:
            raise CheckFailed("weights_round_trip copied the weights into the new model with set_weights; "
                              "load them from the file you saved instead: new.load_weights(path).")
        for w0, w1 in zip(original, new.get_weights()):
            if not np.array_equal(w0, w1):
                raise CheckFailed(f"with make_model returning {what}, the new model's weights differ "
                                  "from the saved ones: load the weights into the new model.")
        if not np.array_equal(new.predict(x, verbose=0), model.predict(x, verbose=0)):
            raise CheckFailed("the new model predicts differently from the original.")
    passed("weights_round_trip: .weights.h5 file, new model built before load_weights, same predictions")
