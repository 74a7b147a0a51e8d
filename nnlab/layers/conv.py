"""The 2-D convolution layer, vectorized with im2col.

im2col ("image to columns") copies every kh×kw×C window of the input into one row of a
matrix `cols`; the convolution is then a single matrix product with the kernel
reshaped to (kh·kw·C, filters). The backward pass reuses the same picture:

    dW = colsᵀ δ                       (one matrix product)
    dx = Σ_(m,l) [δ W[m, l]ᵀ placed on the input cells that offset (m, l) read]

The input gradient is col2im fused with its matrix product: a loop over the kh·kw
kernel offsets only, never over samples or pixels.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnlab import activations, initializers, regularizers
from nnlab.layers import _args
from nnlab.layers.base import Layer


def pad_amounts(input_hw, kernel_hw, strides, padding):
    """((top, bottom), (left, right)) zero padding for 'valid' (none) or 'same'
    (TensorFlow's rule: pad_total = max((ceil(n/s) - 1)·s + k - n, 0), extra at the
    bottom/right)."""
    if padding == "valid":
        return (0, 0), (0, 0)
    return tuple(_args.same_padding(n, k, s) for n, k, s in zip(input_hw, kernel_hw, strides))


def im2col(xp, kh, kw, sh, sw):
    """Windows of the padded batch `xp` (N, H, W, C) as an array (N, oh, ow, kh, kw, C).

    Entry [n, i, j, m, l, c] = xp[n, i·sh + m, j·sw + l, c]; reshaping to
    (N·oh·ow, kh·kw·C) gives the rows of the im2col matrix.
    """
    windows = sliding_window_view(xp, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]  # (N,oh,ow,C,kh,kw)
    return np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3))


class Conv2D(Layer):
    """2-D convolution (as in Keras: a cross-correlation, the kernel is not flipped).

    For one input channel and one filter, with stride 1 and no padding:

        S(i, j) = Σ_m Σ_n I(i + m, j + n) · K(m, n)

    With C input channels, F filters, strides (sh, sw) and bias b:

        z[n, i, j, f] = Σ_m Σ_l Σ_c x[n, i·sh + m, j·sw + l, c] · W[m, l, c, f] + b[f]
        a = φ(z)

    Backward, with δ = dL/dz = dL/da ⊙ φ'(z):

        dL/dW[m, l, c, f] = Σ_n,i,j x[n, i·sh + m, j·sw + l, c] · δ[n, i, j, f]
        dL/db[f]          = Σ_n,i,j δ[n, i, j, f]
        dL/dx[n, p, q, c] = Σ over the windows that contain (p, q) of δ · W

    Args:
        filters: number of output channels F, a positive integer.
        kernel_size: (kh, kw) or one int for both.
        strides: (sh, sw) or one int. Defaults to (1, 1).
        padding: 'valid' (no padding: output floor((n - k) / s) + 1) or 'same'
            (zero padding so the output is ceil(n / s), TensorFlow's rule with the extra
            row/column at the bottom/right). Defaults to 'valid'.
        data_format: only 'channels_last' (batch, height, width, channels) is supported.
            Defaults to None (= 'channels_last').
        dilation_rate: only (1, 1) is supported. Defaults to (1, 1).
        activation: φ, a name or a function. Defaults to None (linear).
        use_bias: whether to add b. Defaults to True.
        kernel_initializer: Defaults to 'glorot_uniform' (fans include kh·kw).
        bias_initializer: Defaults to 'zeros'.
        kernel_regularizer: a penalty on the kernel added to the loss, e.g. 'l2' or
            `nnlab.regularizers.L2(0.01)` (lesson 10). Defaults to None.
        bias_regularizer: the same for the bias. Defaults to None.
        **kwargs: `name`, `input_shape`, `trainable` (see `Layer`).

    Input shape: (batch, height, width, C). Output shape: (batch, oh, ow, filters).
    Kernel shape: (kh, kw, C, filters); bias shape: (filters,).

    Example:
        >>> layer = Conv2D(8, 3, padding="same")
        >>> layer(np.zeros((2, 28, 28, 1))).shape
        (2, 28, 28, 8)

    Derived in lessons/11_convolution.ipynb.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid",
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.filters = _args.positive_int(filters, "filters")
        self.kernel_size = _args.int_pair(kernel_size, "kernel_size")
        self.strides = _args.int_pair(strides, "strides")
        self.padding = _args.padding(padding)
        self.data_format = _args.data_format(data_format)
        if _args.int_pair(dilation_rate, "dilation_rate") != (1, 1):
            raise ValueError(
                "nnlab's Conv2D supports only dilation_rate=(1, 1). "
                f"Received: dilation_rate={dilation_rate!r}")
        self.dilation_rate = (1, 1)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        initializers.get(kernel_initializer)
        initializers.get(bias_initializer)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape):
        _args.image_input(self, input_shape)
        kh, kw = self.kernel_size
        self.add_weight("kernel", (kh, kw, input_shape[-1], self.filters), self.kernel_initializer,
                        regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer,
                            regularizer=self.bias_regularizer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        oh, ow = _args.window_output_hw(
            self, input_shape, self.kernel_size, self.strides, self.padding, "kernel",
            "Use a smaller kernel, a larger input or padding='same'.")
        return (oh, ow, self.filters)

    def _kernel4(self):
        """The kernel as (kh, kw, C, filters) (Conv1D keeps (k, C, filters) and views it)."""
        return self.params["kernel"]

    def forward(self, x, training=False):
        _args.require_weights(self)
        self._cache = None          # free the last batch's im2col matrix before the new one
        W = self._kernel4()
        x = np.asarray(x, dtype=W.dtype)
        _args.check_forward_input(self, x, channels=W.shape[2], image=True)
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        pads = pad_amounts(x.shape[1:3], self.kernel_size, self.strides, self.padding)
        xp = np.pad(x, ((0, 0),) + pads + ((0, 0),)) if any(map(any, pads)) else x
        cols = im2col(xp, kh, kw, sh, sw)                        # (N, oh, ow, kh, kw, C)
        n, oh, ow = cols.shape[:3]
        z = cols.reshape(n * oh * ow, -1) @ W.reshape(-1, self.filters)
        if self.use_bias:
            z += self.params["bias"]
        z = z.reshape(n, oh, ow, self.filters)
        if self.activation is activations.relu:
            # relu(z) written over z: the backward pass needs only the mask a > 0 (the
            # same as z > 0), so keeping z would cost one more output-sized array.
            a, z = np.maximum(z, 0, out=z), None
        else:
            a = self.activation(z)
        self._cache = (cols, xp.shape, x.shape, pads, z, a)
        return a

    def backward(self, grad, input_grad=True):
        """dW, db into `self.grads`; returns dx (None with input_grad=False, which the
        model passes when nothing before this layer needs a gradient)."""
        cols, padded_shape, input_shape, pads, z, a = self._cached()
        W = self._kernel4()
        delta = activations.backward(self.activation, z, a, np.asarray(grad, dtype=W.dtype))
        delta2 = delta.reshape(-1, self.filters)                 # (N·oh·ow, F)
        cols2 = cols.reshape(delta2.shape[0], -1)                # (N·oh·ow, kh·kw·C)
        self.grads["kernel"] = (cols2.T @ delta2).reshape(self.params["kernel"].shape)  # dW = colsᵀ δ
        if self.use_bias:
            self.grads["bias"] = delta2.sum(axis=0)                  # db = Σ δ
        if not input_grad:
            return None
        # dx: kernel offset (m, l) read x[:, i·sh + m, j·sw + l, :] for every output (i, j);
        # send δ W[m, l]ᵀ back to exactly those cells (overlaps add up).
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        n, oh, ow = cols.shape[:3]
        dxp = np.zeros(padded_shape, dtype=delta2.dtype)
        for m in range(kh):                # loops over the kernel offsets only
            for l in range(kw):
                dxp[:, m:m + sh * (oh - 1) + 1:sh, l:l + sw * (ow - 1) + 1:sw, :] += \
                    (delta2 @ W[m, l].T).reshape(n, oh, ow, -1)
        (top, _), (left, _) = pads
        return dxp[:, top:top + input_shape[1], left:left + input_shape[2], :]

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters, kernel_size=list(self.kernel_size),
            strides=list(self.strides), padding=self.padding, data_format=self.data_format,
            dilation_rate=list(self.dilation_rate),
            activation=activations.serialize(self.activation), use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
        )
        return config


class Conv1D(Conv2D):
    """1-D convolution over sequences: Conv2D on an image one row high.

        z[n, t, f] = Σ_m Σ_c x[n, t·s + m, c] · W[m, c, f] + b[f]

    The same formula, gradients and im2col as Conv2D, with the kernel (k, C, filters)
    seen as (1, k, C, filters) and the input (batch, T, C) as (batch, 1, T, C).

    Args:
        filters, kernel_size (an int), strides (an int, default 1), activation, use_bias,
        initializers, regularizers: as Conv2D.
        padding: 'valid', 'same', or 'causal' (k − 1 zeros on the left only, so that
            output t sees inputs up to t and none after). Defaults to 'valid'.
        data_format: only 'channels_last' (batch, steps, channels). Defaults to None (it).
        dilation_rate: only 1 is supported. Defaults to 1.

    Input shape: (batch, T, C). Output shape: (batch, T', filters).

    Example:
        >>> Conv1D(8, 3)(np.zeros((2, 10, 4))).shape
        (2, 8, 8)

    Derived in lessons/16 (recurrent networks: a 1-D convolution on the same data).
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, **kwargs):
        def one(value, argname):                  # 3 or (3,), as Keras accepts
            if isinstance(value, (tuple, list)) and len(value) == 1:
                value = value[0]
            return _args.positive_int(value, argname)
        k, s, d = one(kernel_size, "kernel_size"), one(strides, "strides"), one(dilation_rate, "dilation_rate")
        if d != 1:
            raise ValueError("nnlab's Conv1D supports only dilation_rate=1. "
                             f"Received: dilation_rate={dilation_rate!r}")
        _args.data_format(data_format, sequences=True)
        self.causal = padding == "causal"
        super().__init__(filters, (1, k), (1, s), "valid" if self.causal else padding,
                         data_format, (1, d), activation, use_bias, **kwargs)

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"Layer '{self.name}' (Conv1D) expects sequences of shape (batch, steps, channels). "
                f"Received input of shape {(None,) + tuple(input_shape)}.")
        k = self.kernel_size[1]
        self.add_weight("kernel", (k, input_shape[-1], self.filters), self.kernel_initializer,
                        regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.add_weight("bias", (self.filters,), self.bias_initializer,
                            regularizer=self.bias_regularizer)
        Layer.build(self, input_shape)

    def compute_output_shape(self, input_shape):
        t = input_shape[0] if input_shape[0] is None or not self.causal \
            else input_shape[0] + self.kernel_size[1] - 1
        oh, ow, f = super().compute_output_shape((1, t, input_shape[-1]))
        return (ow, f)

    def _kernel4(self):
        return self.params["kernel"][None]

    def forward(self, x, training=False):
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError(f"Layer '{self.name}' (Conv1D) expects a batch of sequences "
                             f"(batch, steps, channels); received shape {x.shape}.")
        if self.causal:
            x = np.pad(x, ((0, 0), (self.kernel_size[1] - 1, 0), (0, 0)))
        return super().forward(x[:, None], training=training)[:, 0]

    def backward(self, grad, input_grad=True):
        dx = super().backward(np.asarray(grad)[:, None], input_grad)
        if dx is None:
            return None
        dx = dx[:, 0]
        return dx[:, self.kernel_size[1] - 1:] if self.causal else dx

    def get_config(self):
        config = super().get_config()
        config.update(kernel_size=self.kernel_size[1], strides=self.strides[1],
                      dilation_rate=self.dilation_rate[1],
                      padding="causal" if self.causal else self.padding)
        return config
