"""Lesson 09's graded exercises reject plausible wrong answers (see tests/_mutation.py)."""
from tests._mutation import mutation_tests

PARAMS_HEADER = '''def dense_stack_params(input_shape, units):
    import numpy as np
'''

SPLIT_HEADER = '''def stratified_split(y, val_fraction=0.2, test_fraction=0.2, seed=0):
    y = np.asarray(y)
'''

EVAL_HEADER = '''def evaluate_predictions(y_true, y_pred, metrics=True):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
'''

MUTANTS = {
    "dense_stack_params": {
        "no bias": ("counts.append(n_in * n_out + n_out)", "counts.append(n_in * n_out)"),
        "one bias per input": ("counts.append(n_in * n_out + n_out)", "counts.append(n_in * n_out + n_in)"),
        "running totals": ("counts.append(n_in * n_out + n_out)",
                           "counts.append(n_in * n_out + n_out + (counts[-1] if counts else 0))"),
        "first dimension only (no flatten)": PARAMS_HEADER + '''    n_in = int(input_shape[0])
    counts = []
    for n_out in units:
        counts.append(n_in * n_out + n_out)
        n_in = n_out
    return counts
''',
        "n_in never updated": ("        n_in = n_out\n", ""),
        "int32 arithmetic overflows": PARAMS_HEADER + '''    n_in = np.int32(np.prod(input_shape, dtype=np.int32))
    counts = []
    for n_out in units:
        counts.append(n_in * np.int32(n_out) + np.int32(n_out))
        n_in = np.int32(n_out)
    return counts
''',
        "changes the caller's units list": PARAMS_HEADER + '''    units.insert(0, int(np.prod(input_shape)))
    return [(n_in + 1) * n_out for n_in, n_out in zip(units, units[1:])]
''',
        "float arithmetic (inexact above 2**53)": PARAMS_HEADER + '''    n_in = float(np.prod(input_shape))
    counts = []
    for n_out in units:
        counts.append(n_in * n_out + n_out)
        n_in = n_out
    return counts
''',
        "only the total": PARAMS_HEADER + '''    n_in = int(np.prod(input_shape))
    total = 0
    for n_out in units:
        total += n_in * n_out + n_out
        n_in = n_out
    return [total]
''',
    },
    "stratified_split": {
        "not stratified (one global permutation)": SPLIT_HEADER + '''    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))
    n_test = round(test_fraction * len(y))
    n_val = round(val_fraction * len(y))
    return (np.sort(idx[n_test + n_val:]), np.sort(idx[n_test:n_test + n_val]), np.sort(idx[:n_test]))
''',
        "floor instead of round": ("n_test = round(test_fraction * len(idx))", "n_test = int(test_fraction * len(idx))"),
        "val fraction of what is left after test": (
            "n_val = round(val_fraction * len(idx))", "n_val = round(val_fraction * (len(idx) - n_test))"),
        "val and test overlap": ("val.append(idx[n_test:n_test + n_val])", "val.append(idx[:n_val])"),
        "not random (no shuffle)": ("idx = rng.permutation(np.flatnonzero(y == c))", "idx = np.flatnonzero(y == c)"),
        "global numpy random, seed ignored": (
            "idx = rng.permutation(np.flatnonzero(y == c))", "idx = np.random.permutation(np.flatnonzero(y == c))"),
        "shuffles y in place": ("rng = np.random.default_rng(seed)\n",
                                "rng = np.random.default_rng(seed)\n    rng.shuffle(y)\n"),
        "negative slices (idx[-0:] is everything when a class gets 0)": SPLIT_HEADER + '''    rng = np.random.default_rng(seed)
    train, val, test = [], [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n_test = round(test_fraction * len(idx))
        n_val = round(val_fraction * len(idx))
        test.append(idx[-n_test:])
        val.append(idx[:n_val])
        train.append(idx[n_val:len(idx) - n_test])
    return tuple(np.sort(np.concatenate(part)).astype(np.int64) for part in (train, val, test))
''',
        "rounds halves up (int(x + 0.5))": (
            "n_test = round(test_fraction * len(idx))\n        n_val = round(val_fraction * len(idx))",
            "n_test = int(test_fraction * len(idx) + 0.5)\n        n_val = int(val_fraction * len(idx) + 0.5)"),
        "not sorted": ("return tuple(np.sort(np.concatenate(part)).astype(np.int64) for part in (train, val, test))",
                       "return tuple(np.concatenate(part).astype(np.int64) for part in (train, val, test))"),
        "test and train swapped": (
            "return tuple(np.sort(np.concatenate(part)).astype(np.int64) for part in (train, val, test))",
            "return tuple(np.sort(np.concatenate(part)).astype(np.int64) for part in (test, val, train))"),
    },
    "evaluate_predictions": {
        "sum instead of mean": ("loss = float(np.mean(-np.sum(y_true * np.log(p), axis=1)))",
                                "loss = float(np.sum(-np.sum(y_true * np.log(p), axis=1)))"),
        "mean over all entries": ("loss = float(np.mean(-np.sum(y_true * np.log(p), axis=1)))",
                                  "loss = float(np.mean(-y_true * np.log(p)))"),
        "no clipping": ("p = np.clip(y_pred, 1e-7, 1 - 1e-7)", "p = y_pred"),
        "clip at 1e-12": ("p = np.clip(y_pred, 1e-7, 1 - 1e-7)", "p = np.clip(y_pred, 1e-12, 1 - 1e-12)"),
        "lower clip only": ("p = np.clip(y_pred, 1e-7, 1 - 1e-7)", "p = np.clip(y_pred, 1e-7, None)"),
        "log10": ("np.log(p)", "np.log10(p)"),
        "clips the caller's y_pred in place": ("    p = np.clip(y_pred, 1e-7, 1 - 1e-7)\n",
                                               "    np.clip(y_pred, 1e-7, 1 - 1e-7, out=y_pred)\n    p = y_pred\n"),
        "raises small probabilities in place": ("    p = np.clip(y_pred, 1e-7, 1 - 1e-7)\n",
                                                "    y_pred[y_pred < 1e-7] = 1e-7\n    p = np.minimum(y_pred, 1 - 1e-7)\n"),
        "binary cross-entropy formula": (
            "loss = float(np.mean(-np.sum(y_true * np.log(p), axis=1)))",
            "loss = float(np.mean(-np.sum(y_true * np.log(p) + (1 - y_true) * np.log(1 - p), axis=1)))"),
        "argmax along the wrong axis": ("accuracy = float(np.mean(y_pred.argmax(axis=1) == y_true.argmax(axis=1)))",
                                        "accuracy = float(np.mean(y_pred.argmax(axis=0) == y_true.argmax(axis=0)))"),
        "[accuracy, loss] order": ("return [loss, accuracy]", "return [accuracy, loss]"),
        "always a list": ("        return loss\n", "        return [loss]\n"),
        "ignores metrics=False": ("    if not metrics:\n        return loss\n", ""),
        "accuracy from the probability of the true class > 0.5": (
            "accuracy = float(np.mean(y_pred.argmax(axis=1) == y_true.argmax(axis=1)))",
            "accuracy = float(np.mean(np.sum(y_true * y_pred, axis=1) > 0.5))"),
    },
}

test_solution_passes, test_mutant_is_rejected = mutation_tests("09_sequential_api", MUTANTS)
