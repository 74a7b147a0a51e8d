"""Mutation test of solutions/15_functional_api.ipynb: plausible wrong answers must fail the tests."""
from tests._mutation import mutation_tests

HEADER_FREEZE = '''def freeze_all_but_last(model, k):
    layers = model.layers
'''
HEADER_ROUND_TRIP = '''def weights_round_trip(model, make_model, directory):
'''

MUTANTS = {
    "branch_forward": {
        "Concatenate([x, s]): wrong order": (
            "np.concatenate([s, x], axis=-1)", "np.concatenate([x, s], axis=-1)"),
        "concatenated along the batch axis": (
            "np.concatenate([s, x], axis=-1)", "np.concatenate([s, x], axis=0)"),
        "Add used where Concatenate belongs": (
            "c = np.concatenate([s, x], axis=-1)", "c = s + x"),
        "Concatenate([s, h]): the skip from h instead of the input": (
            "np.concatenate([s, x], axis=-1)", "np.concatenate([s, h], axis=-1)"),
        "no relu after the second layer": (
            'a = np.maximum(h @ params["W2"] + params["b2"], 0.0)', 'a = h @ params["W2"] + params["b2"]'),
        "no relu after the first layer": (
            'h = np.maximum(x @ params["W1"] + params["b1"], 0.0)', 'h = x @ params["W1"] + params["b1"]'),
        "s = a (residual branch forgotten)": ("s = h + a", "s = a"),
        "residual added in place into h (changes h, fine) but concatenates h twice": (
            "s = h + a\n    c = np.concatenate([s, x], axis=-1)",
            "h += a\n    c = np.concatenate([h, h[:, :2]], axis=-1)"),
        "softmax on the output (the last Dense layer has no activation)": (
            'return c @ params["W3"] + params["b3"]',
            'z = c @ params["W3"] + params["b3"]\n    e = np.exp(z - z.max(axis=-1, keepdims=True))\n'
            '    return e / e.sum(axis=-1, keepdims=True)'),
    },
    "param_counts": {
        "biases forgotten": ("count = n_in * m + m", "count = n_in * m"),
        "first layer's fan-in taken as its own units": ("n_in = input_dim", "n_in = units[0]"),
        "frozen indices counted from 1": ("if i in frozen:", "if i + 1 in frozen:"),
        "pair returned in the wrong order": (
            "return trainable, non_trainable", "return non_trainable, trainable"),
        "fan-in never advances (every layer uses input_dim)": ("        n_in = m\n", "\n"),
        "square layers assumed (m * m + m)": ("count = n_in * m + m", "count = m * m + m"),
        "frozen read as 'the first len(frozen) layers'": ("if i in frozen:", "if i < len(frozen):"),
    },
    "freeze_all_but_last": {
        "layers[:-k] (with k = 0 nothing is frozen)": HEADER_FREEZE + '''    for layer in layers[:-k]:
        layer.trainable = False
    for layer in layers[-k:]:
        layer.trainable = True
    return model
''',
        "off by one: the last k + 1 stay trainable": (
            "n_frozen = max(len(layers) - k, 0)", "n_frozen = max(len(layers) - k - 1, 0)"),
        "off by one: only the last k - 1 stay trainable": (
            "n_frozen = max(len(layers) - k, 0)", "n_frozen = min(len(layers) - k + 1, len(layers))"),
        "freezes the wrong end (the last layers)": (
            "layer.trainable = i >= n_frozen", "layer.trainable = i < len(layers) - n_frozen"),
        "never unfreezes the last k": HEADER_FREEZE + '''    for layer in layers[:max(len(layers) - k, 0)]:
        layer.trainable = False
    return model
''',
        "a made-up attribute instead of trainable": (
            "layer.trainable = i >= n_frozen", "layer.frozen = i < n_frozen"),
        "returns None": ("    return model\n", "    return None\n"),
        "freezes a fresh copy instead of the model": HEADER_FREEZE + '''    import copy
    model = copy.deepcopy(model)
    for i, layer in enumerate(model.layers):
        layer.trainable = i >= len(model.layers) - k
    return model
''',
    },
    "weights_round_trip": {
        "nnlab's old .weights.npz name": ("round_trip.weights.h5", "round_trip.weights.npz"),
        "plain .h5 (Keras 2 style)": ("round_trip.weights.h5", "round_trip.h5"),
        "the new model is not built before load_weights": (
            "    if not new.built:\n        new.build(model.input_shape)\n", ""),
        "built without the batch dimension": ("new.build(model.input_shape)", "new.build(model.input_shape[1:])"),
        "weights loaded back into the original model": ("new.load_weights(path)", "model.load_weights(path)"),
        "returns the original model": ("    return new\n", "    return model\n"),
        "whole model saved and reloaded (make_model ignored)": HEADER_ROUND_TRIP + '''    path = os.path.join(directory, "round_trip.keras")
    model.save(path)
    return nnlab.models.load_model(path)
''',
        "file written to another directory than `directory`": (
            'path = os.path.join(directory, "round_trip.weights.h5")',
            'path = os.path.join(tempfile.mkdtemp(), "round_trip.weights.h5")'),
        "built for the visible check's 4 inputs (hard-coded)": (
            "new.build(model.input_shape)", "new.build((None, 4))"),
        "file saved, but the weights copied with set_weights": (
            "new.load_weights(path)", "new.set_weights(model.get_weights())"),
        "file saved, but the weights copied layer by layer": (
            "new.load_weights(path)",
            "for _a, _b in zip(new.layers, model.layers):\n        _a.set_weights(_b.get_weights())"),
    },
}

test_solution_passes, test_mutant_is_rejected = mutation_tests("15_functional_api", MUTANTS)
