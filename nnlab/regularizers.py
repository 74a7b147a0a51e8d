"""Weight penalties (Keras 3's `keras.regularizers`): L1, L2 and L1L2.

A regularizer maps a weight array w to a number the model adds to its loss, so that
training trades fitting the data against keeping the weights small:

    L1(l1):      penalty = l1 · Σ|w|            gradient = l1 · sign(w)
    L2(l2):      penalty = l2 · Σ w²            gradient = 2 · l2 · w
    L1L2(l1, l2): the sum of both

Keras' L2 has no ½ in front, so its gradient carries the factor 2. Layers take them
as `Dense(64, kernel_regularizer=L2(0.01))` (or the name 'l2'); `fit` and `evaluate`
report the data loss plus the penalties, and the optimizer sees the gradient of both.

Derived in lessons/10_regularization.ipynb.
"""
import numpy as np

from nnlab._naming import lookup, snake_case


def _factor(value, argname):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or value < 0:
        raise ValueError(
            f"Expected `{argname}` to be a non-negative number, e.g. {argname}=0.01. "
            f"Received: {argname}={value!r}")
    return float(value)


class Regularizer:
    """Base class: `reg(w)` is the penalty (a float), `reg.gradient(w)` its gradient."""

    def __call__(self, w):
        raise NotImplementedError

    def gradient(self, w):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """penalty = l1 · Σ|w| + l2 · Σ w²;  gradient = l1 · sign(w) + 2 · l2 · w.

    Args:
        l1: the L1 factor. Defaults to 0.0.
        l2: the L2 factor. Defaults to 0.0.

    Example:
        >>> L1L2(l1=0.1, l2=0.5)(np.array([1.0, -2.0]))
        2.8
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1")
        self.l2 = _factor(l2, "l2")

    def __call__(self, w):
        w = np.asarray(w, dtype=np.float64)
        return self.l1 * float(np.sum(np.abs(w))) + self.l2 * float(np.sum(w * w))

    def gradient(self, w):
        w = np.asarray(w)
        return self.l1 * np.sign(w) + 2.0 * self.l2 * w

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """penalty = l1 · Σ|w|;  gradient = l1 · sign(w) (0 at w = 0).

    Args:
        l1: the factor. Defaults to 0.01.

    Example:
        >>> L1(0.1)(np.array([1.0, -2.0]))
        0.30000000000000004
    """

    def __init__(self, l1=0.01):
        super().__init__(l1=l1, l2=0.0)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """penalty = l2 · Σ w²;  gradient = 2 · l2 · w.

    Args:
        l2: the factor. Defaults to 0.01.

    Example:
        >>> L2(0.5)(np.array([1.0, -2.0]))
        2.5
    """

    def __init__(self, l2=0.01):
        super().__init__(l1=0.0, l2=l2)

    def get_config(self):
        return {"l2": self.l2}


REGULARIZERS = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}

# Functional aliases, as `keras.regularizers.l2(0.01)`.
l1, l2, l1_l2 = L1, L2, L1L2


def get(identifier):
    """A Regularizer for `identifier`: None, a name ('l1', 'l2', 'l1_l2'), a Regularizer,
    or a dict {"class_name": ..., "config": ...} as written by `serialize`."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError("A regularizer dict needs 'class_name' (and optionally 'config'). "
                             f"Received: {identifier!r}")
        cls = lookup("regularizer", snake_case(identifier["class_name"]), REGULARIZERS)
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        return lookup("regularizer", identifier, REGULARIZERS)()
    raise ValueError(
        "Could not interpret regularizer identifier: expected None, 'l1', 'l2', 'l1_l2' or a "
        f"Regularizer such as nnlab.regularizers.L2(0.01). Received: {identifier!r}")


def serialize(regularizer):
    """JSON-able form {"class_name": ..., "config": ...} (None stays None)."""
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
