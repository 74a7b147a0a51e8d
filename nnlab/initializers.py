"""Weight initializers with Keras 3's names, defaults and formulas.

An initializer is a callable `f(shape, dtype=None)` returning a new array. The
variance-scaling family sets the spread from the layer's fans:

    fan_in  = inputs feeding one unit   (Dense: in;   Conv2D: kh * kw * in_channels)
    fan_out = units fed by one input    (Dense: out;  Conv2D: kh * kw * filters)

    glorot_uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out))
    glorot_normal:  truncated N(0, σ²), σ = sqrt(2 / (fan_in + fan_out)) / 0.8796...
    he_uniform:     U(-limit, limit), limit = sqrt(6 / fan_in)
    he_normal:      truncated N(0, σ²), σ = sqrt(2 / fan_in) / 0.8796...

"Truncated" means values beyond 2σ are redrawn; 0.87962566103423978 is the standard
deviation of a unit normal truncated to [-2, 2], so dividing by it makes the *sample*
standard deviation the target sqrt(2 / fan...).

Random draws come from `nnlab.random.generator()` unless an initializer has its own
`seed`; then, as in Keras 3, every call returns the same values.

Discussed in lessons/06_backprop.ipynb (why the spread of the weights matters).
"""
import math

import numpy as np

from nnlab import config
from nnlab import random as nnlab_random
from nnlab._naming import lookup, snake_case

TRUNCATION_STDDEV_CORRECTION = 0.87962566103423978


def compute_fans(shape):
    """(fan_in, fan_out) of a weight of `shape`, as Keras computes them.

    Dense kernels (in, out): (in, out). Conv kernels (kh, kw, in, out): the receptive
    field kh*kw multiplies both. Scalars: (1, 1); vectors (n,): (n, n).
    """
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = int(np.prod(shape[:-2]))
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def _check_seed(seed):
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)
                             or seed < 0):
        raise ValueError(
            f"Expected `seed` to be None or a non-negative integer. Received: seed={seed!r}")
    return seed


class Initializer:
    """Base class: `init(shape, dtype=None)` returns a new array."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def _rng(self):
        seed = getattr(self, "seed", None)
        return nnlab_random.generator() if seed is None else np.random.default_rng(seed)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _dtype(dtype):
    return np.dtype(dtype or config.floatx())


def _truncated_normal(rng, shape, mean, stddev):
    """N(mean, stddev²) samples, redrawing those beyond 2 standard deviations."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return mean + stddev * values


class Zeros(Initializer):
    """All zeros: w = 0 (the Keras default for biases)."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones: w = 1."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    """Every entry equal to `value`. Defaults to 0.0."""

    def __init__(self, value=0.0):
        self.value = float(value)

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class RandomNormal(Initializer):
    """w ~ N(mean, stddev²).

    Args:
        mean: Defaults to 0.0.
        stddev: Defaults to 0.05.
        seed: None (draw from nnlab's generator) or an int (same values every call).
            Defaults to None.
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        if not stddev >= 0:
            raise ValueError(f"Expected `stddev` to be >= 0. Received: stddev={stddev!r}")
        self.mean, self.stddev, self.seed = float(mean), float(stddev), _check_seed(seed)

    def __call__(self, shape, dtype=None):
        return self._rng().normal(self.mean, self.stddev, size=shape).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """w ~ N(mean, stddev²) with values beyond 2·stddev redrawn. Defaults as RandomNormal."""

    def __call__(self, shape, dtype=None):
        return _truncated_normal(self._rng(), shape, self.mean, self.stddev).astype(_dtype(dtype))


class RandomUniform(Initializer):
    """w ~ U(minval, maxval).

    Args:
        minval: Defaults to -0.05.
        maxval: Defaults to 0.05.
        seed: None or an int. Defaults to None.
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        if not maxval >= minval:
            raise ValueError(
                f"Expected `minval` <= `maxval`. Received: minval={minval!r}, maxval={maxval!r}")
        self.minval, self.maxval, self.seed = float(minval), float(maxval), _check_seed(seed)

    def __call__(self, shape, dtype=None):
        return self._rng().uniform(self.minval, self.maxval, size=shape).astype(_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(Initializer):
    """Spread scaled to the fans: Var(w) = scale / n.

    n = fan_in, fan_out or (fan_in + fan_out) / 2 for mode 'fan_in', 'fan_out',
    'fan_avg'. 'uniform': U(-limit, limit) with limit = sqrt(3 scale / n);
    'truncated_normal': stddev sqrt(scale / n) / 0.87962566103423978, cut at 2σ;
    'untruncated_normal': N(0, scale / n).

    Args:
        scale: positive float. Defaults to 1.0.
        mode: 'fan_in', 'fan_out' or 'fan_avg'. Defaults to 'fan_in'.
        distribution: 'truncated_normal', 'untruncated_normal' or 'uniform'.
            Defaults to 'truncated_normal'.
        seed: None or an int. Defaults to None.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if not scale > 0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale!r}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                "Invalid `mode` argument: expected one of 'fan_in', 'fan_out', 'fan_avg'. "
                f"Received: mode={mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "Invalid `distribution` argument: expected one of 'truncated_normal', "
                f"'untruncated_normal', 'uniform'. Received: distribution={distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution
        self.seed = _check_seed(seed)

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "truncated_normal":
            values = _truncated_normal(
                rng, shape, 0.0, math.sqrt(variance) / TRUNCATION_STDDEV_CORRECTION)
        else:
            values = rng.normal(0.0, math.sqrt(variance), size=shape)
        return np.asarray(values).astype(_dtype(dtype))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "seed": self.seed}


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed scale/mode/distribution; only `seed` is an argument."""
    _preset = {}

    def __init__(self, seed=None):
        super().__init__(seed=seed, **self._preset)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    """Glorot (Xavier) uniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)).

    The Keras default for kernels. Args: seed (None or int). Defaults to None.
    """
    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


class GlorotNormal(_Preset):
    """Glorot normal: truncated N(0, σ²), σ = sqrt(2 / (fan_in + fan_out)) / 0.8796...."""
    _preset = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


class HeUniform(_Preset):
    """He uniform: U(-limit, limit), limit = sqrt(6 / fan_in). Suits relu layers."""
    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


class HeNormal(_Preset):
    """He normal: truncated N(0, σ²), σ = sqrt(2 / fan_in) / 0.8796.... Suits relu layers."""
    _preset = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


class LecunUniform(_Preset):
    """LeCun uniform: U(-limit, limit), limit = sqrt(3 / fan_in)."""
    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform"}


class LecunNormal(_Preset):
    """LeCun normal: truncated N(0, σ²), σ = sqrt(1 / fan_in) / 0.8796...."""
    _preset = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


class Orthogonal(Initializer):
    """A random orthogonal matrix (times `gain`): the rows (or columns) are orthonormal.

    Keras' default for recurrent kernels: multiplying a state by an orthogonal matrix
    keeps its length, so repeated steps neither shrink nor blow it up (lesson 16).
    Drawn as the Q of the QR decomposition of a normal matrix, signs fixed by diag(R).

    Args:
        gain: factor applied to the matrix. Defaults to 1.0.
        seed: None or an int. Defaults to None.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = float(gain), _check_seed(seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError("The Orthogonal initializer needs a shape of at least 2 dimensions. "
                             f"Received: shape={shape}")
        rows = int(np.prod(shape[:-1]))
        cols = shape[-1]
        a = self._rng().normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


INITIALIZERS = {snake_case(cls.__name__): cls for cls in (
    Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal)}
INITIALIZERS.update(uniform=RandomUniform, normal=RandomNormal)     # Keras' short aliases

# Functional aliases, as `keras.initializers.glorot_uniform`.
zeros, ones, constant = Zeros, Ones, Constant
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal, orthogonal = LecunUniform, LecunNormal, Orthogonal


def get(identifier):
    """A callable `f(shape, dtype=None)` for `identifier`.

    Args:
        identifier: a name ('glorot_uniform' or 'GlorotUniform'), an Initializer,
            any callable `f(shape, dtype)`, or a dict {"class_name": ..., "config": ...}
            as written by `serialize`.

    Example:
        >>> w = get("zeros")((2, 3))
        >>> w.shape
        (2, 3)
    """
    if isinstance(identifier, dict):
        if "class_name" not in identifier:
            raise ValueError(
                "An initializer dict needs 'class_name' (and optionally 'config'). "
                f"Received: {identifier!r}")
        cls = lookup("initializer", snake_case(identifier["class_name"]), INITIALIZERS)
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, str):
        return lookup("initializer", snake_case(identifier), INITIALIZERS)()
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        "Could not interpret initializer identifier: expected a name such as "
        f"'glorot_uniform', an Initializer or a callable. Received: {identifier!r}")


def serialize(initializer):
    """JSON-able form: a name string (or a dict) stays as it is; an Initializer becomes
    {"class_name": ..., "config": ...}."""
    if isinstance(initializer, (str, dict)):
        return initializer
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    raise ValueError(
        f"Cannot serialize initializer {initializer!r}: use a name or an nnlab Initializer.")
