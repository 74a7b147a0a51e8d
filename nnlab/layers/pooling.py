"""Pooling layers: MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D.

A pooling window slides over each channel separately and summarizes it by its maximum
or its mean. There are no parameters; the backward pass only routes gradients:

    max:      the window's gradient goes to the cell that held the maximum
    average:  the window's gradient is shared equally by the cells it averaged

Windows are gathered as (N, oh, ow, C, ph·pw) arrays: by a reshape when the windows tile
the input (strides == pool_size, 'valid'), otherwise with `sliding_window_view`. The
backward pass loops over the ph·pw pool offsets only.

Derived in lessons/12_pooling.ipynb.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnlab.layers import _args
from nnlab.layers.base import Layer
from nnlab.layers.conv import pad_amounts


class _Pooling2D(Layer):
    """Shared arguments, shapes and window bookkeeping of the 2-D pooling layers."""
    _default_name = "pooling2d"

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(**_args.keras_default_name(kwargs, self._default_name))
        self.pool_size = _args.int_pair(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else _args.int_pair(strides, "strides")
        self.padding = _args.padding(padding)
        self.data_format = _args.data_format(data_format)

    def build(self, input_shape):
        _args.image_input(self, input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        h, w, c = input_shape
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        oh = _args.output_length(h, ph, sh, self.padding)
        ow = _args.output_length(w, pw, sw, self.padding)
        if oh <= 0 or ow <= 0:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}): the {ph}x{pw} pool does not fit "
                f"in input of shape {(None,) + tuple(input_shape)} with padding='valid'. "
                "Use a smaller pool_size or padding='same'.")
        return (oh, ow, c)

    def _tiles(self, shape):
        """True when windows tile the input exactly: strides == pool_size, no padding."""
        return (self.strides == self.pool_size and self.padding == "valid")

    def _windows(self, x, fill):
        """(windows (N, oh, ow, C, ph·pw), padded shape, pads); padding uses `fill`."""
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        n, h, w, c = x.shape
        pads = pad_amounts((h, w), self.pool_size, self.strides, self.padding)
        if self._tiles(x.shape):
            oh, ow = h // ph, w // pw
            tiles = x[:, :oh * ph, :ow * pw, :].reshape(n, oh, ph, ow, pw, c)
            windows = tiles.transpose(0, 1, 3, 5, 2, 4).reshape(n, oh, ow, c, ph * pw)
            return windows, x.shape, pads
        xp = np.pad(x, ((0, 0),) + pads + ((0, 0),), constant_values=fill) \
            if any(map(any, pads)) else x
        windows = sliding_window_view(xp, (ph, pw), axis=(1, 2))[:, ::sh, ::sw]
        return windows.reshape(windows.shape[:4] + (ph * pw,)), xp.shape, pads

    def _scatter(self, dwindows, padded_shape, pads, input_shape):
        """Add the window gradients (N, oh, ow, C, ph·pw) back onto the input."""
        (ph, pw), (sh, sw) = self.pool_size, self.strides
        n, oh, ow, c, _ = dwindows.shape
        if self._tiles(input_shape):
            dx = np.zeros(input_shape, dtype=dwindows.dtype)
            tiles = dwindows.reshape(n, oh, ow, c, ph, pw).transpose(0, 1, 4, 2, 5, 3)
            dx[:, :oh * ph, :ow * pw, :] = tiles.reshape(n, oh * ph, ow * pw, c)
            return dx
        dxp = np.zeros(padded_shape, dtype=dwindows.dtype)
        for m in range(ph):                          # loops over the pool offsets only
            for l in range(pw):
                dxp[:, m:m + sh * (oh - 1) + 1:sh, l:l + sw * (ow - 1) + 1:sw, :] += \
                    dwindows[..., m * pw + l]
        (top, _), (left, _) = pads
        return dxp[:, top:top + input_shape[1], left:left + input_shape[2], :]

    def get_config(self):
        config = super().get_config()
        config.update(pool_size=list(self.pool_size), strides=list(self.strides),
                      padding=self.padding, data_format=self.data_format)
        return config


class MaxPooling2D(_Pooling2D):
    """Max pooling: each output is the maximum of its window.

        y[n, i, j, c] = max_{m < ph, l < pw} x[n, i·sh + m, j·sw + l, c]

    Backward: dL/dx is dL/dy placed at the position of each window's maximum, zero
    elsewhere (summed where windows overlap). Ties: when several cells of a window
    hold the maximum, the whole gradient goes to the *first* one in row-major order
    (top row first, then left to right), as `np.argmax` picks it. (Central differences
    cannot decide ties, so gradient checks use inputs without them.)

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
    _default_name = "max_pooling2d"

    def forward(self, x, training=False):
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
        windows, padded_shape, pads = self._windows(x, fill=-np.inf)
        winner = np.argmax(windows, axis=-1)[..., None]         # first max per window
        y = np.take_along_axis(windows, winner, axis=-1)[..., 0]
        self._cache = (winner, padded_shape, pads, x.shape)
        return y

    def backward(self, grad):
        winner, padded_shape, pads, input_shape = self._cached()
        grad = np.asarray(grad)
        offsets = np.arange(self.pool_size[0] * self.pool_size[1])
        dwindows = np.where(offsets == winner, grad[..., None], 0).astype(grad.dtype, copy=False)
        return self._scatter(dwindows, padded_shape, pads, input_shape)


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
    _default_name = "average_pooling2d"

    def _counts(self, h, w, dtype):
        """Number of real (unpadded) cells in each window, shape (1, oh, ow, 1, 1)."""
        ones = np.ones((1, h, w, 1), dtype=dtype)
        windows, _, _ = self._windows(ones, fill=0)
        return windows.sum(axis=-1, keepdims=True)

    def forward(self, x, training=False):
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
        windows, padded_shape, pads = self._windows(x, fill=0)
        counts = self._counts(x.shape[1], x.shape[2], x.dtype)
        y = windows.sum(axis=-1) / counts[..., 0]
        self._cache = (counts, padded_shape, pads, x.shape)
        return y

    def backward(self, grad):
        counts, padded_shape, pads, input_shape = self._cached()
        grad = np.asarray(grad)
        share = (grad[..., None] / counts).astype(grad.dtype, copy=False)
        dwindows = np.broadcast_to(share, share.shape[:-1] + (self.pool_size[0] * self.pool_size[1],))
        return self._scatter(dwindows, padded_shape, pads, input_shape)


class GlobalAveragePooling2D(Layer):
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

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**_args.keras_default_name(kwargs, "global_average_pooling2d"))
        self.data_format = _args.data_format(data_format)
        self.keepdims = bool(keepdims)

    def build(self, input_shape):
        _args.image_input(self, input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        c = input_shape[-1]
        return (1, 1, c) if self.keepdims else (c,)

    def forward(self, x, training=False):
        x = np.asarray(x)
        self._cache = (x.shape,)
        return x.mean(axis=(1, 2), keepdims=self.keepdims)

    def backward(self, grad):
        (shape,) = self._cached()
        n, h, w, c = shape
        grad = np.asarray(grad).reshape(n, 1, 1, c)
        return np.broadcast_to(grad / (h * w), shape).copy()

    def get_config(self):
        config = super().get_config()
        config.update(data_format=self.data_format, keepdims=self.keepdims)
        return config
