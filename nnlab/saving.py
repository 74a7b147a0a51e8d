"""`nnlab.saving`, as `keras.saving`: load and save models and weights in Keras 3's formats.

    nnlab.saving.save_model(model, "m.keras");  model = nnlab.saving.load_model("m.keras")

The implementation is in `nnlab.models.saving` (files) and `nnlab.models.keras_format`
(the translation of Keras' config.json).
"""
from nnlab.models.saving import ModelFileError, load_model, load_weights, save_model, save_weights

__all__ = ["ModelFileError", "load_model", "load_weights", "save_model", "save_weights",
           "register_keras_serializable", "get_custom_objects"]


def register_keras_serializable(package="Custom", name=None):
    """Accepted for Keras compatibility: nnlab saves only its own layers, so a custom class
    registered here still cannot be saved. Use it as a decorator; it returns the class."""
    def decorator(cls):
        return cls
    return decorator


def get_custom_objects():
    """Keras' registry of custom classes; nnlab has none (files load nnlab's own layers only)."""
    return {}
