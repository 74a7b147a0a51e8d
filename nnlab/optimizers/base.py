"""The Optimizer base class: state (slots) kept apart from the update rule.

An optimizer turns gradients into parameter updates. Every rule follows the same frame:

    opt.apply(grads, variables)      # lists of arrays, same order and shapes
      -> builds the slots on the first call (one dict of arrays per variable:
         momentum, running averages, ...)
      -> for each variable: update_step(grad, variable, slots, learning_rate)
         (updates `variable` and its slots in place)
      -> iterations += 1

Subclasses only define `update_step` (the formula) and `slot_names()` (the state the
formula needs). `get_state()` / `set_state()` save and restore iterations and every slot
exactly, so a reloaded model continues training bit for bit.

Derived in lessons/08_optimizers.ipynb.
"""
import math
import numbers
import warnings

import numpy as np


class Optimizer:
    """Base class of optimizers.

    Args:
        learning_rate: the step size η, a positive float.
        name: the optimizer's name. Defaults to the rule's Keras name ("adam", "SGD", ...).
        clipnorm: if set, each gradient is rescaled so that its L2 norm is at most this.
            Defaults to None.
        clipvalue: if set, each gradient entry is clipped to [-clipvalue, clipvalue].
            Defaults to None.
        global_clipnorm: if set, all gradients are rescaled together so that the norm
            of their concatenation is at most this. Defaults to None.
        lr: deprecated alias of `learning_rate` (Keras 2); warns.
    """

    _default_name = "optimizer"

    def __init__(self, learning_rate, name=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, **kwargs):
        if "lr" in kwargs:
            lr = kwargs.pop("lr")
            default = type(self).__init__.__defaults__[0] if type(self).__init__.__defaults__ else None
            if learning_rate != default:
                raise ValueError(
                    f"{type(self).__name__} received both `lr` and `learning_rate`. `lr` is the "
                    "deprecated Keras 2 name: pass only learning_rate=. "
                    f"Received: lr={lr!r}, learning_rate={learning_rate!r}")
            warnings.warn(
                f"{type(self).__name__}: the argument `lr` is deprecated, use learning_rate= "
                "instead (Keras 3 name).", DeprecationWarning, stacklevel=3)
            learning_rate = lr
        if "decay" in kwargs:
            kwargs.pop("decay")
            warnings.warn(
                f"{type(self).__name__}: the argument `decay` is no longer supported (Keras 3) "
                "and is ignored. Use a callback to lower the learning rate instead.", UserWarning,
                stacklevel=3)
        if kwargs:
            raise ValueError(
                f"{type(self).__name__}: argument(s) not recognized: {sorted(kwargs)}.")
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"Expected `name` to be a non-empty string. Received: name={name!r}")
        set_clips = [n for n, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                    ("global_clipnorm", global_clipnorm)) if v is not None]
        if len(set_clips) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: {', '.join(set_clips)}.")
        self.name = name or self._default_name
        self.learning_rate = learning_rate
        self.clipnorm = _positive_or_none("clipnorm", clipnorm)
        self.clipvalue = _positive_or_none("clipvalue", clipvalue)
        self.global_clipnorm = _positive_or_none("global_clipnorm", global_clipnorm)
        self.iterations = 0
        self.built = False
        self._slots = []

    # ---- the learning rate -------------------------------------------------------
    @property
    def learning_rate(self):
        """The step size η (a positive float); callbacks may change it between steps."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = check_positive("learning_rate", value)

    # ---- state -------------------------------------------------------------------
    def slot_names(self):
        """Names of the arrays this rule keeps per variable (e.g. ("m", "v"))."""
        return ()

    def _initial_slot(self, slot_name, variable):
        """The starting value of a slot: zeros like the variable (same dtype)."""
        return np.zeros_like(variable)

    def build(self, variables):
        """Create the slots of every variable (called by the first `apply`)."""
        self._slots = [{s: self._initial_slot(s, v) for s in self.slot_names()} for v in variables]
        self.built = True

    # ---- one step ------------------------------------------------------------------
    def update_step(self, grad, variable, slots, learning_rate):
        """Update `variable` (and its `slots`) in place from `grad`. Defined by each rule."""
        raise NotImplementedError(f"{type(self).__name__} does not define update_step().")

    def apply(self, grads, variables):
        """Update each variable in place from its gradient, then count the step.

        Args:
            grads: list of gradient arrays (None entries are skipped).
            variables: list of float NumPy arrays (the parameters), same order/shapes.
        """
        grads, variables = list(grads), list(variables)
        self._check(grads, variables)
        if not self.built:
            self.build(variables)
        grads = self._clip([None if g is None else np.asarray(g, dtype=v.dtype)
                            for g, v in zip(grads, variables)])
        for grad, variable, slots in zip(grads, variables, self._slots):
            if grad is not None:
                self.update_step(grad, variable, slots, self.learning_rate)
        self.iterations += 1

    def apply_gradients(self, grads_and_vars):
        """Keras' form: `apply_gradients(zip(grads, variables))`."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def _check(self, grads, variables):
        name = type(self).__name__
        if len(grads) != len(variables):
            raise ValueError(
                f"{name}.apply received {len(grads)} gradients for {len(variables)} variables; "
                "pass one gradient per variable, in the same order.")
        for i, (g, v) in enumerate(zip(grads, variables)):
            if not isinstance(v, np.ndarray) or not np.issubdtype(v.dtype, np.floating):
                raise ValueError(
                    f"{name}.apply updates variables in place, so variable {i} must be a float "
                    f"NumPy array. Received: {type(v).__name__}"
                    f"{' of dtype ' + str(v.dtype) if isinstance(v, np.ndarray) else ''}.")
            if g is not None and np.shape(g) != v.shape:
                raise ValueError(
                    f"{name}.apply: gradient {i} has shape {np.shape(g)} but variable {i} has "
                    f"shape {v.shape}; each gradient must have its variable's shape.")
        if self.built:
            if len(variables) != len(self._slots):
                raise ValueError(
                    f"{name} '{self.name}' was built for {len(self._slots)} variables and now "
                    f"received {len(variables)}. Use one optimizer per model.")
            for i, (v, slots) in enumerate(zip(variables, self._slots)):
                for s, arr in slots.items():
                    if arr.shape != v.shape:
                        raise ValueError(
                            f"{name} '{self.name}': variable {i} has shape {v.shape} but its "
                            f"slot '{s}' has shape {arr.shape}. Use one optimizer per model.")

    def _clip(self, grads):
        """Keras' gradient clipping (clipnorm, global_clipnorm or clipvalue)."""
        if self.clipnorm is not None:
            return [None if g is None else
                    g * (self.clipnorm / max(float(np.sqrt(np.sum(np.square(g)))), self.clipnorm))
                    for g in grads]
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(float(np.sum(np.square(g))) for g in grads if g is not None))
            scale = self.global_clipnorm / max(norm, self.global_clipnorm)
            return [None if g is None else g * scale for g in grads]
        if self.clipvalue is not None:
            return [None if g is None else np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # ---- saving ----------------------------------------------------------------------
    def get_config(self):
        """JSON-able constructor arguments."""
        return {"name": self.name, "learning_rate": self.learning_rate, "clipnorm": self.clipnorm,
                "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def _state_prefix(self):
        """Slot names in get_state() are "<prefix>/<slot>/<index>", e.g. "adam/m/0"."""
        return self._default_name.lower()

    def get_state(self):
        """Iterations and every slot, as a dict name -> NumPy array (copies).

        Slots are named "<rule>/<slot>/<variable index>", e.g. "adam/m/0".
        """
        state = {"iterations": np.array(self.iterations, dtype=np.int64)}
        for i, slots in enumerate(self._slots):
            for s, arr in slots.items():
                state[f"{self._state_prefix}/{s}/{i}"] = arr.copy()
        return state

    def set_state(self, state):
        """Restore what `get_state` returned, exactly (also on a fresh optimizer)."""
        state = dict(state)
        if "iterations" not in state:
            raise ValueError(f"{type(self).__name__}.set_state: the state has no 'iterations' entry.")
        n = len(self._slots)
        if not self.built:
            indices = [int(k.rsplit("/", 1)[1]) for k in state if k.count("/") == 2
                       and k.rsplit("/", 1)[1].isdigit()]
            n = max(indices) + 1 if indices else 0
        expected = {f"{self._state_prefix}/{s}/{i}" for i in range(n) for s in self.slot_names()}
        received = set(state) - {"iterations"}
        if expected != received:
            raise ValueError(
                f"{type(self).__name__}.set_state: the state does not fit this optimizer "
                f"({self.get_config()}). Missing: {sorted(expected - received)}; "
                f"unexpected: {sorted(received - expected)}.")
        if self.built:
            for i, slots in enumerate(self._slots):
                for s, arr in slots.items():
                    new = np.asarray(state[f"{self._state_prefix}/{s}/{i}"])
                    if new.shape != arr.shape:
                        raise ValueError(
                            f"{type(self).__name__}.set_state: slot '{self._state_prefix}/{s}/{i}' "
                            f"has shape {arr.shape}, received {new.shape}.")
        self._slots = [{s: np.array(state[f"{self._state_prefix}/{s}/{i}"]) for s in self.slot_names()}
                       for i in range(n)]
        self.built = n > 0 or self.built
        self.iterations = int(np.asarray(state["iterations"]))

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, learning_rate={self.learning_rate}>"


# ---- argument checks shared by the rules ----------------------------------------------
def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_positive(name, value):
    """`value` as a float if it is a finite number > 0, else a Keras-style ValueError."""
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"Received an invalid value for `{name}`, expected a positive float. "
            f"Received: {name}={value!r}")
    return float(value)


def check_range(name, value, low, high, high_inclusive=False):
    """`value` as a float if low <= value < high (or <= high), else a ValueError."""
    ok = _is_number(value) and math.isfinite(value) and low <= value and (
        value <= high if high_inclusive else value < high)
    if not ok:
        bracket = "]" if high_inclusive else ")"
        raise ValueError(
            f"Received an invalid value for `{name}`, expected a float in [{low}, {high}{bracket}. "
            f"Received: {name}={value!r}")
    return float(value)


def check_bool(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"Expected `{name}` to be True or False. Received: {name}={value!r}")
    return bool(value)


def _positive_or_none(name, value):
    return None if value is None else check_positive(name, value)
