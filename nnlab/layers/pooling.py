"""Pooling layers: MaxPooling2D, AveragePooling2D, the global 2-D poolings, and the global
1-D poolings over sequences (GlobalAveragePooling1D, GlobalMaxPooling1D).

A pooling window slides over each channel separately and summarizes it by its maximum
or its mean. There are no parameters; the backward pass only routes gradients:

    max:      the window's gradient goes to the cell that held the maximum
    average:  the window's gradient is shared equally by the cells it averaged

The code loops over the ph·pw pool offsets (m, l) only: the strided view
x[:, m::sh, l::sw] holds cell (m, l) of every window at once. (For average pooling
whose windows tile the input — strides == pool_size, 'valid' padding — a reshape to
(N, oh, ph, ow, pw, C) puts each window on axes 2 and 4 and one mean does the work; for
max pooling the loop over the offsets is faster than that reshape, so it is always used.)

Derived in lessons/12_pooling.ipynb.
"""
import numpy as np

from nnlab.layers import _args
from nnlab.layers.base import Layer
from nnlab.layers.conv import pad_amounts


class _Pooling2D(Layer):
    """Shared arguments, shapes and window bookkeeping of the 2-D pooling layers."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _args.int_pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _args.int_pair(strides, "strides")
        self.padding = _args.padding(padding)
        self.data_format = _args.data_format(data_format)

    def build(self, input_shape):
        _args.image_input(self, input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        oh, ow = _args.window_output_hw(
            self, input_shape, self.pool_size, self.strides, self.padding, "pool",
            "Use a smaller pool_size or padding='same'.")
        c = input_shape[-1]
        return (oh, ow, c)

    def _tiles(self):
        """True when the windows tile the input: strides == pool_size, 'valid' padding.
        Then a reshape (N, oh, ph, ow, pw, C) puts each window on axes 2 and 4."""
        return self.strides == self.pool_size and self.padding == "valid"

    def _pad(self, x, fill):
        """x padded for 'same' with `fill` (-inf for max, 0 for average), and the pads."""
        pads = pad_amounts(x.shape[1:3], self.pool_size, self.strides, self.padding)
        if any(map(any, pads)):
            x = np.pad(x, ((0, 0),) + pads + ((0, 0),), constant_values=fill)
        return x, pads

    def _offsets(self, xp, out_hw):
        """For each pool offset (m, l), row-major: the strided view
        xp[:, i·sh + m, j·sw + l, :] over all outputs (i, j), shape (N, oh, ow, C)."""
        (ph, pw), (sh, sw), (oh, ow) = self.pool_size, self.strides, out_hw
        for m in range(ph):
            for l in range(pw):
                yield (slice(None), slice(m, m + sh * (oh - 1) + 1, sh),
                       slice(l, l + sw * (ow - 1) + 1, sw))

    def _unpad(self, dxp, pads, input_shape):
        (top, _), (left, _) = pads
        return dxp[:, top:top + input_shape[1], left:left + input_shape[2], :]

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides),
                      padding=self.padding, data_format=self.data_format)
        return config


def _as_float(x):
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


class MaxPooling2D(_Pooling2D):
    """Max pooling: each output is the maximum of its window.

        y[n, i, j, c] = max_{m < ph, l < pw} x[n, i·sh + m, j·sw + l, c]

    Backward: dL/dx is dL/dy placed at the position of each window's maximum, zero
    elsewhere (summed where windows overlap). Ties: when several cells of a window
    hold the maximum, the whole gradient goes to the *first* one in row-major order
    (top row first, then left to right), the cell `np.argmax` would pick. (Central
    differences cannot decide ties, so gradient checks use inputs without them.)

    Args:
        pool_size: (ph, pw) or one int. Defaults to (2, 2).
        strides: (sh, sw) or one int. Defaults to None (= pool_size).
        padding: 'valid' or 'same' (TensorFlow's rule; padded cells never win).
            Defaults to 'valid'.
        data_format: only 'channels_last'. Defaults to None (= 'channels_last').

    Input shape: (batch, height, width, C). Output shape: (batch, oh, ow, C).

    Example:
        >>> x = np.array([[1, 3, 2, 4], [5, 6, 2, 3], [1, 2, 3, 4], [3, 2, 1, 3]], float)
        >>> MaxPooling2D()(x.reshape(1, 4, 4, 1))[0, :, :, 0]
        array([[6., 4.],
               [3., 4.]])

    Derived in lessons/12_pooling.ipynb.
    """

    def forward(self, x, training=False):
        x = _as_float(x)
        _args.check_forward_input(self, x, image=True)
        out_hw = self.compute_output_shape(x.shape[1:])[:2]
        xp, pads = self._pad(x, fill=-np.inf)
        cells = [xp[view] for view in self._offsets(xp, out_hw)]   # one per pool offset
        y = np.maximum(cells[0], cells[1]) if len(cells) > 1 else cells[0].copy()
        for cell in cells[2:]:                 # loop over the pool offsets only
            np.maximum(y, cell, out=y)
        self._cache = (xp, y, pads, x.shape)
        return y

    def backward(self, grad):
        xp, y, pads, input_shape = self._cached()
        grad = np.asarray(grad, dtype=y.dtype)
        (oh, ow), (ph, pw) = y.shape[1:3], self.pool_size
        covered = self._tiles() and (oh * ph, ow * pw) == xp.shape[1:3]
        dxp = np.empty_like(xp) if covered else np.zeros_like(xp)  # every cell written?
        free = np.ones(y.shape, dtype=bool)    # windows whose max is not found yet
        for view in self._offsets(xp, y.shape[1:3]):
            hit = xp[view] == y
            hit &= free                        # first max in row-major order wins
            free &= ~hit
            if self._tiles():                  # each cell is in one window: just write
                np.multiply(grad, hit, out=dxp[view])      # grad where hit, else ±0
            else:                              # overlapping windows add up
                dxp[view] += np.where(hit, grad, 0)
        if self._tiles():
            dxp += 0.0          # -0.0 (a negative grad times 0) + 0.0 = 0.0, as np.where gives
        return self._unpad(dxp, pads, input_shape)


class AveragePooling2D(_Pooling2D):
    """Average pooling: each output is the mean of its window.

        y[n, i, j, c] = (1 / count) Σ_{m, l} x[n, i·sh + m, j·sw + l, c]

    where count = ph·pw, except with padding='same', where (as in TensorFlow) only the
    cells inside the input are averaged, so count can be smaller at the borders.

    Backward: each cell of a window receives dL/dy / count (summed over overlapping
    windows).

    Args:
        pool_size: (ph, pw) or one int. Defaults to (2, 2).
        strides: (sh, sw) or one int. Defaults to None (= pool_size).
        padding: 'valid' or 'same'. Defaults to 'valid'.
        data_format: only 'channels_last'. Defaults to None (= 'channels_last').

    Input shape: (batch, height, width, C). Output shape: (batch, oh, ow, C).

    Example:
        >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
        >>> AveragePooling2D()(x)[0, :, :, 0]
        array([[ 2.5,  4.5],
               [10.5, 12.5]])

    Derived in lessons/12_pooling.ipynb.
    """

    def _window_sums(self, x, out_hw):
        """Σ over each window of x (zero padded), shape (N, oh, ow, C), and the pads."""
        xp, pads = self._pad(x, fill=0)
        views = self._offsets(xp, out_hw)
        total = xp[next(views)].copy()
        for view in views:                     # loop over the pool offsets only
            total += xp[view]
        return total, xp.shape, pads

    def forward(self, x, training=False):
        x = _as_float(x)
        _args.check_forward_input(self, x, image=True)
        n, h, w, c = x.shape
        (ph, pw), out_hw = self.pool_size, self.compute_output_shape(x.shape[1:])[:2]
        if self._tiles():
            oh, ow = out_hw
            y = x[:, :oh * ph, :ow * pw].reshape(n, oh, ph, ow, pw, c).mean(axis=(2, 4))
            self._cache = (x.shape, None, None)
            return y.astype(x.dtype, copy=False)
        total, padded_shape, pads = self._window_sums(x, out_hw)
        counts, _, _ = self._window_sums(np.ones((1, h, w, 1), dtype=x.dtype), out_hw)
        self._cache = (x.shape, counts, (padded_shape, pads))   # counts: real cells
        return total / counts

    def backward(self, grad):
        input_shape, counts, padding = self._cached()
        grad = np.asarray(grad)
        n, oh, ow, c = grad.shape
        (ph, pw) = self.pool_size
        if counts is None:                     # tiles: every cell gets grad / (ph·pw)
            dx = np.zeros(input_shape, dtype=grad.dtype)
            share = (grad / (ph * pw)).astype(grad.dtype, copy=False)
            dx[:, :oh * ph, :ow * pw] = np.broadcast_to(
                share[:, :, None, :, None, :], (n, oh, ph, ow, pw, c)).reshape(n, oh * ph, ow * pw, c)
            return dx
        padded_shape, pads = padding
        share = (grad / counts).astype(grad.dtype, copy=False)
        dxp = np.zeros(padded_shape, dtype=grad.dtype)
        for view in self._offsets(dxp, (oh, ow)):
            dxp[view] += share
        return self._unpad(dxp, pads, input_shape)


class _GlobalPooling(Layer):
    """The arguments the global poolings share: `data_format` and `keepdims`."""

    sequences = False     # the 1-D poolings word their data_format error for sequences

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _args.data_format(data_format, sequences=self.sequences)
        self.keepdims = bool(keepdims)

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean of each channel over all positions: y[n, c] = (1 / (H·W)) Σ_{i, j} x[n, i, j, c].

    Backward: every position receives dL/dy[n, c] / (H·W).

    Args:
        data_format: only 'channels_last'. Defaults to None (= 'channels_last').
        keepdims: keep the spatial axes with size 1, output (batch, 1, 1, C).
            Defaults to False (output (batch, C)).

    Input shape: (batch, height, width, C).

    Example:
        >>> GlobalAveragePooling2D()(np.ones((2, 5, 5, 3))).shape
        (2, 3)

    Derived in lessons/12_pooling.ipynb.
    """

    def build(self, input_shape):
        _args.image_input(self, input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        c = input_shape[-1]
        return (1, 1, c) if self.keepdims else (c,)

    def forward(self, x, training=False):
        x = np.asarray(x)
        _args.check_forward_input(self, x, image=True)
        self._cache = (x.shape,)
        return x.mean(axis=(1, 2), keepdims=self.keepdims)

    def backward(self, grad):
        (shape,) = self._cached()
        n, h, w, c = shape
        grad = np.asarray(grad).reshape(n, 1, 1, c)
        return np.broadcast_to(grad / (h * w), shape).copy()


class GlobalMaxPooling2D(GlobalAveragePooling2D):
    """Maximum of each channel over all positions: y[n, c] = max_{i, j} x[n, i, j, c].

    Backward: dL/dy[n, c] goes to the position of the maximum, zero elsewhere. Ties
    follow MaxPooling2D's rule: the first maximum in row-major order takes it all.

    Args:
        data_format: only 'channels_last'. Defaults to None (= 'channels_last').
        keepdims: keep the spatial axes with size 1, output (batch, 1, 1, C).
            Defaults to False (output (batch, C)).

    Input shape: (batch, height, width, C).

    Example:
        >>> x = np.arange(8.0).reshape(1, 2, 2, 2)
        >>> GlobalMaxPooling2D()(x)
        array([[6., 7.]])

    Derived in lessons/12_pooling.ipynb.
    """

    def forward(self, x, training=False):
        x = np.asarray(x)
        _args.check_forward_input(self, x, image=True)
        n, h, w, c = x.shape
        winner = x.reshape(n, h * w, c).argmax(axis=1)        # first maximum, row-major
        self._cache = (x.shape, winner)
        return x.max(axis=(1, 2), keepdims=self.keepdims)

    def backward(self, grad):
        (n, h, w, c), winner = self._cached()
        grad = np.asarray(grad).reshape(n, c)
        dx = np.zeros((n, h * w, c), dtype=grad.dtype)
        np.put_along_axis(dx, winner[:, None, :], grad[:, None, :], axis=1)
        return dx.reshape(n, h, w, c)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps of a sequence: y[n, c] = (1/T) Σ_t x[n, t, c].

    Backward: every step receives dL/dy[n, c] / T.

    Args:
        data_format: only 'channels_last'. keepdims: output (batch, 1, C). Default False.

    Input shape: (batch, T, C). Output shape: (batch, C).

    Derived in lessons/16 (recurrent networks).
    """

    sequences = True

    def build(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expects sequences "
                             f"(batch, steps, channels); received input of shape "
                             f"{(None,) + tuple(input_shape)}.")
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return (1, input_shape[-1]) if self.keepdims else (input_shape[-1],)

    def forward(self, x, training=False):
        x = np.asarray(x)
        self._cache = (x.shape,)
        return x.mean(axis=1, keepdims=self.keepdims)

    def backward(self, grad):
        (shape,) = self._cached()
        n, t, c = shape
        return np.broadcast_to(np.asarray(grad).reshape(n, 1, c) / t, shape).copy()


class GlobalMaxPooling1D(GlobalAveragePooling1D):
    """Maximum over the steps of a sequence: y[n, c] = max_t x[n, t, c].

    Backward: dL/dy[n, c] goes to the step that held the maximum (the first one on ties).

    Input shape: (batch, T, C). Output shape: (batch, C).

    Derived in lessons/16 (recurrent networks).
    """

    def forward(self, x, training=False):
        x = np.asarray(x)
        self._cache = (x.shape, x.argmax(axis=1))
        return x.max(axis=1, keepdims=self.keepdims)

    def backward(self, grad):
        (n, t, c), winner = self._cached()
        dx = np.zeros((n, t, c), dtype=np.asarray(grad).dtype)
        np.put_along_axis(dx, winner[:, None, :], np.asarray(grad).reshape(n, 1, c), axis=1)
        return dx
