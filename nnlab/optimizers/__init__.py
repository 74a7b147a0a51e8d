"""Optimizers, named as in `keras.optimizers`: SGD, RMSprop, Adagrad, Adam.

    opt = nnlab.optimizers.get("adam")         # or Adam(learning_rate=0.001)
    opt.apply(grads, params)                   # updates params in place

Derived in lessons/08_optimizers.ipynb.
"""
from nnlab._naming import lookup
from nnlab.optimizers.adagrad import Adagrad
from nnlab.optimizers.adam import Adam
from nnlab.optimizers.base import Optimizer
from nnlab.optimizers.rmsprop import RMSprop
from nnlab.optimizers.sgd import SGD

__all__ = ["Adagrad", "Adam", "Optimizer", "RMSprop", "SGD", "deserialize", "get", "serialize"]

_REGISTRY = {"sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad, "adam": Adam}


def get(identifier):
    """Return an Optimizer for `identifier`.

    Args:
        identifier: a name ('sgd', 'adam', 'rmsprop', 'adagrad', any case), an Optimizer
            (returned as is), an Optimizer class, or a config dict
            {"class_name": ..., "config": {...}} from `serialize`.

    Example:
        >>> get("adam")
        <Adam name='adam', learning_rate=0.001>
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return lookup("optimizer", identifier, _REGISTRY)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise ValueError(
        "Could not interpret optimizer identifier: expected a name such as 'adam' or an "
        f"Optimizer. Received: {identifier!r}")


def serialize(optimizer):
    """{"class_name": ..., "config": ...} (JSON-able)."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config):
    """Inverse of `serialize`."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "Expected a dict {'class_name': ..., 'config': {...}} describing an optimizer. "
            f"Received: {config!r}")
    cls = lookup("optimizer", config["class_name"], _REGISTRY)
    return cls.from_config(dict(config.get("config") or {}))
