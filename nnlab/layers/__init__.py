"""Layers, named as in `keras.layers`.

`LAYERS` maps each class name to its class; `get(class_name)` looks one up (with a
did-you-mean), which is how saved models rebuild their layers from `get_config()`.
"""
from nnlab._naming import lookup
from nnlab.layers.activation_layers import LeakyReLU, ReLU, Softmax
from nnlab.layers.base import Input, InputLayer, KerasTensor, Layer
from nnlab.layers.conv import Conv1D, Conv2D
from nnlab.layers.core import Activation, Dense, Dropout, Flatten, Reshape
from nnlab.layers.merging import Add, Concatenate
from nnlab.layers.normalization import BatchNormalization
from nnlab.layers.pooling import (AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
                                 GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling2D)
from nnlab.layers.recurrent import GRU, LSTM, Embedding, SimpleRNN
from nnlab.layers.preprocessing import RandomFlip, RandomRotation, RandomTranslation, RandomZoom

__all__ = [
    "Input", "InputLayer", "Layer", "KerasTensor",
    "Dense", "Activation", "Dropout", "Flatten", "Reshape",
    "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D", "GlobalMaxPooling2D",
    "Add", "Concatenate", "BatchNormalization",
    "RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom",
    "ReLU", "LeakyReLU", "Softmax", "Embedding", "SimpleRNN", "LSTM", "GRU",
    "Conv1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
    "LAYERS", "get",
]

LAYERS = {cls.__name__: cls for cls in (
    InputLayer, Dense, Activation, Dropout, Flatten, Reshape,
    Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
    Add, Concatenate, BatchNormalization,
    RandomFlip, RandomTranslation, RandomRotation, RandomZoom, ReLU, LeakyReLU, Softmax,
    Embedding, SimpleRNN, LSTM, GRU, Conv1D, GlobalAveragePooling1D, GlobalMaxPooling1D)}


def __getattr__(name):
    """A clear error for a Keras layer nnlab does not have (`nnlab.layers.MaxPooling1D`)."""
    if name.startswith("_") or not name[:1].isupper():
        raise AttributeError(f"module 'nnlab.layers' has no attribute {name!r}")
    raise AttributeError(
        f"nnlab.layers has no {name}: nnlab implements {', '.join(sorted(LAYERS))} (README: "
        f"'Keras 3 API'). For {name}, move the program to Keras 3: only the imports change "
        "(lessons/18_to_keras.ipynb).")


def get(class_name):
    """The layer class called `class_name` ('Dense', 'Conv2D', ...)."""
    if isinstance(class_name, type) and issubclass(class_name, Layer):
        return class_name
    for name, cls in LAYERS.items():
        if name.lower() == str(class_name).lower():
            return cls
    return lookup("layer", class_name, LAYERS)
