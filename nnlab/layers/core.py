"""Core layers: Dense, Activation, Dropout, Flatten, Reshape.

Each keeps `forward` and `backward` side by side; `backward(grad)` receives dL/dy,
stores dL/dθ in `self.grads` and returns dL/dx.
"""
import numpy as np

from nnlab import activations, initializers, regularizers
from nnlab import random as nnlab_random
from nnlab.layers import _args
from nnlab.layers.base import Layer


class Dense(Layer):
    """A fully connected layer: every output unit sees every input.

        z = x · W + b          a = φ(z)

    Backward, with δ = dL/dz = dL/da ⊙ φ'(z) (softmax: its Jacobian):

        dL/dW = xᵀ δ           dL/db = Σ_batch δ           dL/dx = δ Wᵀ

    Args:
        units: number of output units, a positive integer.
        activation: φ, a name ('relu', 'softmax', ...) or a function. Defaults to None
            (linear: a = z).
        use_bias: whether to add b. Defaults to True.
        kernel_initializer: how W starts. Defaults to 'glorot_uniform'.
        bias_initializer: how b starts. Defaults to 'zeros'.
        kernel_regularizer: a penalty on W added to the loss, e.g. 'l2' or
            `nnlab.regularizers.L2(0.01)` (lesson 10). Defaults to None.
        bias_regularizer: the same for b. Defaults to None.
        **kwargs: `name`, `input_shape`, `input_dim`, `trainable` (see `Layer`).

    Input shape: (batch, ..., in). Output shape: (batch, ..., units); W has shape
    (in, units), b has shape (units,), and the product acts on the last axis.

    Example:
        >>> layer = Dense(3, activation="relu")
        >>> layer(np.ones((2, 4))).shape
        (2, 3)

    Derived in lessons/06_backprop.ipynb.
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = _args.positive_int(units, "units")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        initializers.get(kernel_initializer)     # fail now on an unknown name
        initializers.get(bias_initializer)
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def build(self, input_shape):
        if len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(
                f"Layer '{self.name}' (Dense) needs inputs with a known last axis, e.g. "
                f"(batch, features). Received input of shape {(None,) + tuple(input_shape)}.")
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer,
                        regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer,
                            regularizer=self.bias_regularizer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def forward(self, x, training=False):
        _args.require_weights(self)
        W = self.params["kernel"]
        x = np.asarray(x, dtype=W.dtype)
        _args.check_forward_input(self, x, channels=W.shape[0])
        z = x @ W
        if self.use_bias:
            z += self.params["bias"]
        a = self.activation(z)
        self._cache = (x, z, a)
        return a

    def backward(self, grad, input_grad=True):
        """dW, db into `self.grads`; returns dx (None with input_grad=False, which the
        model passes when nothing before this layer needs a gradient)."""
        x, z, a = self._cached()
        W = self.params["kernel"]
        delta = activations.backward(self.activation, z, a, np.asarray(grad, dtype=W.dtype))
        x2 = x.reshape(-1, x.shape[-1])
        delta2 = delta.reshape(-1, self.units)
        self.grads["kernel"] = x2.T @ delta2                 # dW = xᵀ δ
        if self.use_bias:
            self.grads["bias"] = delta2.sum(axis=0)          # db = Σ δ
        if not input_grad:
            return None
        return delta @ W.T                                   # dx = δ Wᵀ

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
        )
        return config


class Activation(Layer):
    """Applies an activation function: y = φ(x).

    Backward: dL/dx = dL/dy ⊙ φ'(x) (softmax: its Jacobian, see
    `nnlab.activations.backward`).

    Args:
        activation: a name ('relu', ...) or a function.

    Input shape: any. Output shape: the same.

    Example:
        >>> Activation("relu")(np.array([[-1.0, 2.0]]))
        array([[0., 2.]])

    Derived in lessons/02_activations.ipynb.
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def forward(self, x, training=False):
        x = np.asarray(x)
        y = self.activation(x)
        self._cache = (x, y)
        return y

    def backward(self, grad):
        x, y = self._cached()
        return activations.backward(self.activation, x, y, grad)

    def get_config(self):
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config


class Dropout(Layer):
    """Inverted dropout: while training, zero each input with probability `rate` and
    scale the survivors by 1 / (1 - rate), so the expected output equals the input.

        y = x ⊙ m / (1 - rate),  m_i ~ Bernoulli(1 - rate)      (training=True)
        y = x                                                  (training=False)

    Backward: dL/dx = dL/dy ⊙ m / (1 - rate) (the same mask).

    Args:
        rate: fraction of inputs to drop, a float in [0, 1].
        noise_shape: shape of the mask, broadcast over the input; None entries take the
            input's size (e.g. (None, 1, 1, None) drops whole feature maps). Defaults to
            None (one coin per entry).
        seed: None (use nnlab's generator) or an int (this layer's own generator).
            Defaults to None.

    Input shape: any. Output shape: the same.

    Example:
        >>> Dropout(0.5)(np.ones((1, 4)), training=False)
        array([[1., 1., 1., 1.]])

    Derived in lesson 10 (overfitting and regularization).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.number)) \
                or not 0 <= rate <= 1:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float value "
                f"between 0 and 1. Received: rate={rate!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or seed < 0):
            raise ValueError(f"Expected `seed` to be None or a non-negative integer. Received: seed={seed!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def _mask_shape(self, x):
        if self.noise_shape is None:
            return x.shape
        if len(self.noise_shape) != x.ndim:
            raise ValueError(
                f"Layer '{self.name}' (Dropout): noise_shape={self.noise_shape} must have one "
                f"entry per input axis; the input has shape {x.shape}.")
        return tuple(n if d is None else d for d, n in zip(self.noise_shape, x.shape))

    def forward(self, x, training=False):
        x = np.asarray(x)
        if not training or self.rate == 0:
            self._cache = (None,)
            return x
        rng = self._rng or nnlab_random.generator()
        keep = rng.random(self._mask_shape(x)) >= self.rate
        if self.rate == 1:
            mask = np.zeros(keep.shape, dtype=x.dtype)
        else:
            mask = keep.astype(x.dtype) * x.dtype.type(1 / (1 - self.rate))
        self._cache = (mask,)
        return x * mask

    def backward(self, grad):
        (mask,) = self._cached()
        return grad if mask is None else grad * mask

    def get_config(self):
        config = super().get_config()
        config.update(rate=self.rate, seed=self.seed,
                      noise_shape=None if self.noise_shape is None else list(self.noise_shape))
        return config


class Flatten(Layer):
    """Flattens each sample to a vector: (batch, d1, d2, ...) -> (batch, d1*d2*...).

    Backward: reshape the gradient back to the input's shape.

    Args:
        data_format: only 'channels_last' (the order is kept as it is). Defaults to None.

    Input shape: (batch, ...). Output shape: (batch, product of the other axes).

    Example:
        >>> Flatten()(np.zeros((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = _args.data_format(data_format)

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        x = np.asarray(x)
        self._cache = (x.shape,)
        return x.reshape(x.shape[0], -1)

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config

    def backward(self, grad):
        (shape,) = self._cached()
        return np.reshape(grad, shape)


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (the batch axis is kept).

    Backward: reshape the gradient back to the input's shape.

    Args:
        target_shape: tuple of positive ints, one entry may be -1 (inferred).

    Input shape: (batch, ...). Output shape: (batch,) + target_shape.

    Example:
        >>> Reshape((3, 4))(np.zeros((2, 12))).shape
        (2, 3, 4)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        try:
            target = tuple(int(d) for d in (
                (target_shape,) if isinstance(target_shape, (int, np.integer)) else target_shape))
        except (TypeError, ValueError):
            target = None
        if target is None or any(d == 0 or d < -1 for d in target) or target.count(-1) > 1:
            raise ValueError(
                "Expected `target_shape` to be a tuple of positive integers, at most one of "
                f"them -1 (inferred). Received: target_shape={target_shape!r}")
        self.target_shape = target

    def compute_output_shape(self, input_shape):
        size = int(np.prod(input_shape))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        if -1 in self.target_shape:
            ok = known > 0 and size % known == 0
            shape = tuple(size // known if d == -1 else d for d in self.target_shape) if ok else None
        else:
            ok = known == size
            shape = self.target_shape
        if not ok:
            raise ValueError(
                f"Layer '{self.name}' (Reshape) cannot reshape input of shape "
                f"{(None,) + tuple(input_shape)} ({size} values per sample) to target_shape="
                f"{self.target_shape} ({known} values{' times the -1 axis' if -1 in self.target_shape else ''}). "
                "The total size of a sample must be unchanged.")
        return shape

    def forward(self, x, training=False):
        x = np.asarray(x)
        self._cache = (x.shape,)
        return x.reshape((x.shape[0],) + tuple(self.compute_output_shape(x.shape[1:])))

    def backward(self, grad):
        (shape,) = self._cached()
        return np.reshape(grad, shape)

    def get_config(self):
        config = super().get_config()
        config["target_shape"] = list(self.target_shape)
        return config
