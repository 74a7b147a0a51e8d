"""Mutation test of solutions/18_to_keras.ipynb: plausible wrong answers must fail the tests.

Mutants that the same check rejects for the same reason are listed once (the runs are slow:
every port_keras2 mutant also runs exercise 1's tests, with their XLA compilations).

Needs real Keras 3 (the `[dev]` / `[keras]` extra, JAX backend); skipped without it.
"""
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")   # Keras 3 defaults to TensorFlow, which [dev] does not install
pytest.importorskip("keras")

from tests._mutation import mutation_tests  # noqa: E402

HEADER_PORT = '''def port_keras2(spec):
'''

MUTANTS = {
    "build_keras_model": {
        "activations swapped (tanh first, relu second)": (
            'Dense(32, activation="relu"),\n        keras.layers.Dense(16, activation="tanh")',
            'Dense(32, activation="tanh"),\n        keras.layers.Dense(16, activation="relu")'),
        "no softmax on the output layer": (
            'Dense(10, activation="softmax")', 'Dense(10)'),
        "Dense sizes swapped (16 then 32)": (
            'Dense(32, activation="relu"),\n        keras.layers.Dense(16, activation="tanh")',
            'Dense(16, activation="relu"),\n        keras.layers.Dense(32, activation="tanh")'),
        "categorical_crossentropy for integer labels": (
            'loss="sparse_categorical_crossentropy"', 'loss="categorical_crossentropy"'),
        "Keras 2's lr= instead of learning_rate=": (
            "Adam(learning_rate=0.005)", "Adam(lr=0.005)"),
        "the string 'adam' (learning rate 0.001)": (
            "keras.optimizers.Adam(learning_rate=0.005)", '"adam"'),
        "SGD with the same learning rate": (
            "keras.optimizers.Adam(learning_rate=0.005)", "keras.optimizers.SGD(learning_rate=0.005)"),
        "no metrics": (
            ', metrics=["accuracy"])', ')'),
        "not compiled": (
            "    model.compile(", "    0 and model.compile("),
        "nnlab's model returned instead of a Keras one": (
            "    return model\n", "    return nn_model\n"),
        "mse loss": (
            'loss="sparse_categorical_crossentropy"', 'loss="mse"'),
    },
    "port_keras2": {
        "input_dim kept as an int, not a tuple": (
            'input_shape = (kw.pop("input_dim"),)', 'input_shape = kw.pop("input_dim")'),
        "input_dim read but left in the layer": (
            'input_shape = (kw.pop("input_dim"),)', 'input_shape = (kw["input_dim"],)'),
        "lr kept (Keras 3 rejects it)": (
            '        opt_kw["learning_rate"] = opt_kw.pop("lr")\n', '        pass\n'),
        "lr dropped, learning_rate not set": (
            'opt_kw["learning_rate"] = opt_kw.pop("lr")', 'opt_kw.pop("lr")'),
        ".keras appended to the .h5 name": (
            'model_file = model_file[:-len(".h5")] + ".keras"', 'model_file = model_file + ".keras"'),
        "weights file left as .h5": (
            'weights_file = weights_file[:-len(".h5")] + ".weights.h5"', 'pass'),
        ".weights.h5 doubled on a name that has it": (
            'if weights_file.endswith(".h5") and not weights_file.endswith(".weights.h5"):',
            'if weights_file.endswith(".h5"):'),
        "every dot-part replaced (split at the first dot)": (
            'model_file = model_file[:-len(".h5")] + ".keras"', 'model_file = model_file.split(".")[0] + ".keras"'),
        "kwargs changed in place (input spec modified)": (
            "        kw = dict(kw)\n", ""),
        "layers dropped after the first": HEADER_PORT + '''    name, kw = spec["layers"][0]
    kw = dict(kw)
    shape = (kw.pop("input_dim"),) if "input_dim" in kw else tuple(kw.pop("input_shape"))
    opt_name, opt_kw = spec["optimizer"]
    opt_kw = dict(opt_kw)
    if "lr" in opt_kw:
        opt_kw["learning_rate"] = opt_kw.pop("lr")
    w = spec["weights_file"]
    if not w.endswith(".weights.h5"):
        w = w[:-3] + ".weights.h5"
    return {"input_shape": shape, "layers": [(name, kw)], "optimizer": (opt_name, opt_kw),
            "model_file": spec["model_file"][:-3] + ".keras", "weights_file": w}
''',
    },
}

test_solution_passes, test_mutant_is_rejected = mutation_tests("18_to_keras", MUTANTS)
