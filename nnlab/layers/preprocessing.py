"""Data augmentation layers: RandomFlip, RandomTranslation, RandomRotation, RandomZoom.

Each draws a random geometric transformation per image and applies it *only while
training* (`training=True`, as in `fit`); at inference (`predict`, `evaluate`) it passes
images through unchanged. The network thus sees a slightly different version of each
training image every epoch, which acts as more data.

All four are one operation: for every output pixel (r, c), compute where it comes from
in the input, (r', c') = T(r, c) (a flip, a shift, a rotation or a zoom about the
image centre), and read the input there:

    nearest:   y[r, c] = x[round(r'), round(c')]
    bilinear:  y[r, c] = Σ over the 4 pixels around (r', c') of weight · x[pixel],
               the weights (1 − a)(1 − b), (1 − a)b, a(1 − b), ab for the fractional
               parts a, b of r', c'.

Pixels outside the image are found by `fill_mode` (Keras' names): 'reflect'
(d c b a | a b c d | d c b a), 'wrap' (a b c d | a b c d), 'nearest' (a a | a b c d | d d)
or 'constant' (fill_value). The output is a fixed linear function of x once the
transformation is drawn, so backward applies the transposed weights.

Derived in lessons/10_regularization.ipynb.
"""
import math

import numpy as np

from nnlab import random as nnlab_random
from nnlab.layers import _args
from nnlab.layers.base import Layer

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def _range(factor, argname, limit=None):
    """Keras' factor: one number f means (−f, f); a pair is (lower, upper)."""
    if isinstance(factor, (int, float, np.integer, np.floating)) and not isinstance(factor, bool):
        lower, upper = -abs(float(factor)), abs(float(factor))
    elif isinstance(factor, (tuple, list)) and len(factor) == 2:
        lower, upper = float(factor[0]), float(factor[1])
    else:
        raise ValueError(f"Expected `{argname}` to be a number or a pair (lower, upper), e.g. "
                         f"{argname}=0.1. Received: {argname}={factor!r}")
    if lower > upper or (limit is not None and not (-limit <= lower and upper <= limit)):
        raise ValueError(
            f"Expected `{argname}` to be a range (lower, upper) with lower <= upper"
            + (f" inside [-{limit}, {limit}]" if limit is not None else "")
            + f". Received: {argname}={factor!r}")
    return lower, upper


def _choice(value, argname, choices):
    if value not in choices:
        raise ValueError(f"Expected `{argname}` to be one of {', '.join(map(repr, choices))}. "
                         f"Received: {argname}={value!r}")
    return value


def _fix_index(i, n, fill_mode):
    """Integer indices i (any values) mapped into [0, n) by the fill mode; and which are inside."""
    inside = (i >= 0) & (i < n)
    if fill_mode == "reflect":
        i = np.mod(i, 2 * n)
        i = np.where(i >= n, 2 * n - 1 - i, i)
    elif fill_mode == "wrap":
        i = np.mod(i, n)
    else:                       # 'nearest'; for 'constant' the clipped index is masked out
        i = np.clip(i, 0, n - 1)
    return i, (inside if fill_mode == "constant" else np.ones_like(inside))


class _RandomTransform(Layer):
    """Shared machinery: draw T per image, sample the input at T(r, c), transpose in backward."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.fill_mode = _choice(fill_mode, "fill_mode", FILL_MODES)
        self.interpolation = _choice(interpolation, "interpolation", INTERPOLATIONS)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"Expected `seed` to be an integer or None. Received: seed={seed!r}")
        self.seed = seed
        self.fill_value = float(fill_value)
        self.data_format = _args.data_format(data_format)
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def _generator(self):
        return self._rng if self._rng is not None else nnlab_random.generator()

    def build(self, input_shape):
        _args.image_input(self, input_shape)
        super().build(input_shape)

    def source_coordinates(self, n, h, w):
        """(rows, cols), each (n, h, w): where each output pixel reads the input."""
        raise NotImplementedError

    def forward(self, x, training=False):
        x = np.asarray(x)
        _args.check_forward_input(self, x, image=True)
        if not training:
            self._cache = ("identity",)
            return x
        x = x if np.issubdtype(x.dtype, np.floating) else x.astype(self.dtype)
        n, h, w, c = x.shape
        rows, cols = self.source_coordinates(n, h, w)
        if self.interpolation == "nearest":
            corners = [(np.floor(rows + 0.5), np.floor(cols + 0.5), np.ones_like(rows))]
        else:
            r0, c0 = np.floor(rows), np.floor(cols)
            a, b = rows - r0, cols - c0
            corners = [(r0, c0, (1 - a) * (1 - b)), (r0, c0 + 1, (1 - a) * b),
                       (r0 + 1, c0, a * (1 - b)), (r0 + 1, c0 + 1, a * b)]
        base = (np.arange(n) * h * w)[:, None, None]
        index, weight, fill = [], [], np.zeros((n, h, w))
        for r, cc, wt in corners:
            ri, r_in = _fix_index(r.astype(np.int64), h, self.fill_mode)
            ci, c_in = _fix_index(cc.astype(np.int64), w, self.fill_mode)
            inside = r_in & c_in
            index.append((base + ri * w + ci).ravel())
            weight.append(np.where(inside, wt, 0.0).ravel())
            fill += np.where(inside, 0.0, wt)
        flat = x.reshape(n * h * w, c)
        y = sum(wt[:, None] * flat[idx] for idx, wt in zip(index, weight))
        y = y.reshape(n, h, w, c) + self.fill_value * fill[..., None]
        self._cache = ("sampled", x.shape, index, weight)
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        cache = self._cached()
        if cache[0] == "identity":
            return grad
        _, shape, index, weight = cache
        n, h, w, c = shape
        g = np.asarray(grad).reshape(n * h * w, c)
        dx = np.zeros((n * h * w, c), dtype=g.dtype)
        for idx, wt in zip(index, weight):
            np.add.at(dx, idx, wt[:, None] * g)       # each input pixel collects its shares
        return dx.reshape(shape)

    def get_config(self):
        config = super().get_config()
        config.update(fill_mode=self.fill_mode, interpolation=self.interpolation,
                      seed=self.seed, fill_value=self.fill_value, data_format=self.data_format)
        return config


def _grid(n, h, w):
    r, c = np.meshgrid(np.arange(h, dtype=float), np.arange(w, dtype=float), indexing="ij")
    return np.broadcast_to(r, (n, h, w)), np.broadcast_to(c, (n, h, w))


class RandomFlip(_RandomTransform):
    """Flip each image left–right and/or upside down, each with probability 1/2.

        horizontal: y[r, c] = x[r, W − 1 − c]      vertical: y[r, c] = x[H − 1 − r, c]

    Args:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical'.
            Defaults to 'horizontal_and_vertical'.
        seed: an int for reproducible draws. Defaults to None (nnlab's global generator).

    Only active with training=True. Input and output shape: (batch, height, width, C).

    Example:
        >>> RandomFlip("horizontal")(np.ones((2, 4, 4, 1))).shape      # inference: identity
        (2, 4, 4, 1)

    Derived in lessons/10_regularization.ipynb.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(fill_mode="nearest", interpolation="nearest", seed=seed,
                         data_format=data_format, **kwargs)
        self.mode = _choice(mode, "mode", ("horizontal", "vertical", "horizontal_and_vertical"))

    def source_coordinates(self, n, h, w):
        rows, cols = _grid(n, h, w)
        rng = self._generator()
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            flip = rng.random(n) < 0.5
            cols = np.where(flip[:, None, None], w - 1 - cols, cols)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            flip = rng.random(n) < 0.5
            rows = np.where(flip[:, None, None], h - 1 - rows, rows)
        return rows, cols

    def get_config(self):
        config = Layer.get_config(self)
        config.update(mode=self.mode, seed=self.seed, data_format=self.data_format)
        return config


class RandomTranslation(_RandomTransform):
    """Shift each image by a random fraction of its height and width.

        y[r, c] = x[r − dy, c − dx],   dy = U(height_factor) · H,  dx = U(width_factor) · W

    A positive dy moves the content down, a positive dx to the right (Keras' convention).

    Args:
        height_factor: a fraction f (the range (−f, f)) or a pair (lower, upper), inside
            [−1, 1].
        width_factor: the same for the width.
        fill_mode: 'reflect', 'wrap', 'constant' or 'nearest'. Defaults to 'reflect'.
        interpolation: 'bilinear' or 'nearest'. Defaults to 'bilinear'.
        seed: an int for reproducible draws. Defaults to None.
        fill_value: the value outside the image with fill_mode='constant'. Defaults to 0.0.

    Only active with training=True. Input and output shape: (batch, height, width, C).

    Example:
        >>> RandomTranslation(0.1, 0.1)(np.ones((2, 8, 8, 1))).shape
        (2, 8, 8, 1)

    Derived in lessons/10_regularization.ipynb.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = _range(height_factor, "height_factor", limit=1.0)
        self.width_factor = _range(width_factor, "width_factor", limit=1.0)

    def source_coordinates(self, n, h, w):
        rows, cols = _grid(n, h, w)
        rng = self._generator()
        dy = rng.uniform(*self.height_factor, size=n) * h
        dx = rng.uniform(*self.width_factor, size=n) * w
        return rows - dy[:, None, None], cols - dx[:, None, None]

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=list(self.height_factor), width_factor=list(self.width_factor))
        return config


class RandomRotation(_RandomTransform):
    """Rotate each image about its centre by a random angle θ = U(factor) · 2π.

    A positive θ turns the content counter-clockwise as seen on screen. With the centre
    (r₀, c₀) = ((H − 1)/2, (W − 1)/2), output pixel (r, c) reads the input at

        c' = c₀ + cos θ (c − c₀) − sin θ (r − r₀)
        r' = r₀ + sin θ (c − c₀) + cos θ (r − r₀)

    Args:
        factor: a fraction of a full turn f (the range (−f, f)) or a pair (lower, upper),
            inside [−1, 1]; factor=0.05 rotates by up to ±18°.
        fill_mode, interpolation, seed, fill_value: as in RandomTranslation.

    Only active with training=True. Input and output shape: (batch, height, width, C).

    Derived in lessons/10_regularization.ipynb.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _range(factor, "factor", limit=1.0)

    def source_coordinates(self, n, h, w):
        rows, cols = _grid(n, h, w)
        theta = self._generator().uniform(*self.factor, size=n)[:, None, None] * 2 * math.pi
        r0, c0 = (h - 1) / 2, (w - 1) / 2
        cos, sin = np.cos(theta), np.sin(theta)
        return (r0 + sin * (cols - c0) + cos * (rows - r0),
                c0 + cos * (cols - c0) - sin * (rows - r0))

    def get_config(self):
        config = super().get_config()
        config["factor"] = list(self.factor)
        return config


class RandomZoom(_RandomTransform):
    """Zoom each image about its centre by a random amount.

    With z = 1 + U(height_factor) (and the same draw for the width when width_factor is
    None), output pixel (r, c) reads the input at r' = r₀ + z (r − r₀), c' = c₀ + z (c − c₀):
    a positive factor (z > 1) zooms *out* (the content shrinks), a negative one zooms in,
    as in Keras.

    Args:
        height_factor: a fraction f (the range (−f, f)) or a pair (lower, upper), lower > −1.
        width_factor: the same for the width. Defaults to None (keep the aspect ratio).
        fill_mode, interpolation, seed, fill_value: as in RandomTranslation.

    Only active with training=True. Input and output shape: (batch, height, width, C).

    Derived in lessons/10_regularization.ipynb.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = _range(height_factor, "height_factor")
        self.width_factor = None if width_factor is None else _range(width_factor, "width_factor")
        for name, f in (("height_factor", self.height_factor), ("width_factor", self.width_factor)):
            if f is not None and f[0] <= -1:
                raise ValueError(f"Expected `{name}` above -1 (a zoom-in of 100% or more leaves "
                                 f"no image). Received: {name}={f}")

    def source_coordinates(self, n, h, w):
        rows, cols = _grid(n, h, w)
        rng = self._generator()
        zh = 1 + rng.uniform(*self.height_factor, size=n)[:, None, None]
        zw = zh if self.width_factor is None else 1 + rng.uniform(*self.width_factor, size=n)[:, None, None]
        r0, c0 = (h - 1) / 2, (w - 1) / 2
        return r0 + zh * (rows - r0), c0 + zw * (cols - c0)

    def get_config(self):
        config = super().get_config()
        config.update(height_factor=list(self.height_factor),
                      width_factor=None if self.width_factor is None else list(self.width_factor))
        return config
