"""nnlab: a small, readable NumPy neural-network library with the Keras 3 API.

    import nnlab
    model = nnlab.models.Sequential([nnlab.layers.Dense(10, activation="softmax")])

Submodules are imported on first use, so `import nnlab` stays fast.
"""
import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "activations", "callbacks", "checks", "config", "datasets", "initializers", "layers",
    "losses", "metrics", "models", "optimizers", "random", "regularizers", "utils",
)
__all__ = list(_SUBMODULES)


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"nnlab.{name}")
    raise AttributeError(f"module 'nnlab' has no attribute {name!r}")
