"""Models, named as in `keras.models`: `Sequential`, the functional `Model`, `load_model`."""
from nnlab.models.model import Model, NonFiniteLossError, NotBuiltError, NotCompiledError
from nnlab.models.functional import Functional
from nnlab.models.sequential import Sequential
from nnlab.models.saving import ModelFileError, load_model

__all__ = ["Functional", "Model", "ModelFileError", "NonFiniteLossError", "NotBuiltError",
           "NotCompiledError", "Sequential", "load_model"]
