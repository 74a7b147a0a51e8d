"""nnlab: a small, readable NumPy neural-network library with the Keras 3 API.

    import nnlab
    model = nnlab.Sequential([nnlab.Input(shape=(64,)), nnlab.layers.Dense(10, activation="softmax")])

As in Keras 3, `Sequential`, `Model`, `Input` and the base classes are at the top level,
and the submodules (`layers`, `models`, `optimizers`, `losses`, `metrics`, `callbacks`,
`datasets`, `utils`, `saving`, `config`, `activations`, `initializers`, `regularizers`,
`ops`, `random`) are reached as attributes. Everything is imported on first use, so
`import nnlab` stays fast. Parts of Keras that nnlab does not have (pretrained
`applications`, `distribution`, `mixed_precision`, ...) raise an error that says so.
"""
import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "activations", "callbacks", "checks", "config", "datasets", "initializers", "layers",
    "losses", "metrics", "models", "ops", "optimizers", "random", "regularizers", "saving", "utils",
)
# top-level name -> (module, attribute), as Keras 3's `keras.Sequential` etc.
_TOP_LEVEL = {
    "Sequential": ("nnlab.models", "Sequential"), "Model": ("nnlab.models", "Model"),
    "Input": ("nnlab.layers", "Input"), "Layer": ("nnlab.layers", "Layer"),
    "Loss": ("nnlab.losses", "Loss"), "Metric": ("nnlab.metrics", "Metric"),
    "Optimizer": ("nnlab.optimizers", "Optimizer"),
    "Initializer": ("nnlab.initializers", "Initializer"),
    "Regularizer": ("nnlab.regularizers", "Regularizer"),
}
# Parts of Keras 3 that are outside nnlab's scope (dense, convolutional and recurrent
# networks on NumPy, one CPU): what to do instead.
_NOT_IN_NNLAB = {
    "applications": "pretrained models (ResNet, MobileNet, ...) need downloaded weights and a "
                    "fast engine",
    "distribution": "training on several devices needs an engine such as JAX",
    "mixed_precision": "float16 training speeds up GPUs, which nnlab does not use",
    "backend": "nnlab has one backend, NumPy (nnlab.ops holds its functions)",
    "export": "exporting for serving (SavedModel, ONNX) needs TensorFlow or PyTorch",
    "quantizers": "quantization is an inference optimization for accelerators",
    "dtype_policies": "nnlab has one float type at a time (nnlab.config.set_floatx)",
    "visualization": "plot models with their summary() instead",
    "wrappers": "the scikit-learn wrappers are not part of nnlab",
    "tree": "nested-structure utilities are not needed on NumPy arrays",
    "constraints": "weight constraints are not implemented",
    "preprocessing": "use nnlab.utils.pad_sequences and the Random* layers in nnlab.layers",
    "legacy": "Keras 2 compatibility code is not part of nnlab",
    "Variable": "nnlab's weights are plain NumPy arrays (layer.params)",
}
__all__ = list(_SUBMODULES) + list(_TOP_LEVEL)


def version():
    """nnlab's version string (Keras 3 has `keras.version()`)."""
    return __version__


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"nnlab.{name}")
    if name in _TOP_LEVEL:
        module, attr = _TOP_LEVEL[name]
        return getattr(importlib.import_module(module), attr)
    if name in _NOT_IN_NNLAB:
        raise AttributeError(
            f"nnlab has no keras.{name}: {_NOT_IN_NNLAB[name]}. For this, move the program to "
            "Keras 3 itself: only the imports change (see lessons/18).")
    raise AttributeError(f"module 'nnlab' has no attribute {name!r}")
