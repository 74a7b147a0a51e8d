"""Activation functions as layers (Keras 3's ReLU, LeakyReLU, Softmax).

`Dense(64, activation="relu")` and `Dense(64)` followed by `ReLU()` compute the same
thing; the layer form lets a program put an activation anywhere (after a
BatchNormalization, say) or give it arguments.

Derived in lessons/02_activations.ipynb.
"""
import numpy as np

from nnlab import activations
from nnlab.layers.base import Layer


def _non_negative(value, argname, allow_none=False):
    if allow_none and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not value >= 0:
        raise ValueError(f"Expected `{argname}` to be a non-negative number"
                         + (" or None" if allow_none else "") + f". Received: {argname}={value!r}")
    return float(value)


class ReLU(Layer):
    """Rectified linear unit with Keras 3's options:

        y = min(x, max_value)                      if x >= threshold
        y = negative_slope · (x − threshold)       otherwise

    With the defaults this is max(x, 0). Backward: dL/dx = dL/dy · (1 where
    threshold <= x < max_value, negative_slope where x < threshold, 0 above max_value).

    Args:
        max_value: the largest output (ReLU6 is max_value=6). Defaults to None (no cap).
        negative_slope: slope below the threshold. Defaults to 0.0.
        threshold: where the unit switches on. Defaults to 0.0.

    Example:
        >>> ReLU(max_value=6.0)(np.array([[-1.0, 3.0, 8.0]]))
        array([[0., 3., 6.]])

    Derived in lessons/02_activations.ipynb.
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative(max_value, "max_value", allow_none=True)
        self.negative_slope = _non_negative(negative_slope, "negative_slope")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)):
            raise ValueError(f"Expected `threshold` to be a number. Received: threshold={threshold!r}")
        self.threshold = float(threshold)

    def forward(self, x, training=False):
        x = np.asarray(x)
        x = x if np.issubdtype(x.dtype, np.floating) else x.astype(self.dtype)
        on = x >= self.threshold
        y = np.where(on, x, self.negative_slope * (x - self.threshold)) + 0.0   # no -0.0
        slope = np.where(on, 1.0, self.negative_slope)
        if self.max_value is not None:
            slope = np.where(y > self.max_value, 0.0, slope)
            y = np.minimum(y, self.max_value)
        self._cache = slope.astype(x.dtype)
        return y.astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * self._cached()

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope,
                      threshold=self.threshold)
        return config


class LeakyReLU(Layer):
    """Leaky ReLU: y = x for x >= 0, negative_slope · x otherwise.

    Args:
        negative_slope: slope for x < 0. Defaults to 0.3 (Keras 3's *layer* default;
            the function `nnlab.activations.leaky_relu` defaults to 0.2, as in Keras).

    Example:
        >>> LeakyReLU()(np.array([[-1.0, 2.0]]))
        array([[-0.3,  2. ]])

    Derived in lessons/02_activations.ipynb.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        self.negative_slope = _non_negative(negative_slope, "negative_slope")

    def forward(self, x, training=False):
        x = np.asarray(x)
        x = x if np.issubdtype(x.dtype, np.floating) else x.astype(self.dtype)
        self._cache = x
        return activations.leaky_relu(x, self.negative_slope)

    def backward(self, grad):
        return grad * activations.leaky_relu_derivative(self._cached(), self.negative_slope)

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class Softmax(Layer):
    """Softmax along `axis`: y_i = exp(x_i) / Σ_j exp(x_j).

    Backward (the Jacobian ∂y_i/∂x_j = y_i (δ_ij − y_j)):
    dL/dx = y ⊙ (dL/dy − Σ_j dL/dy_j y_j).

    Args:
        axis: the axis to normalize. Defaults to -1.

    Example:
        >>> Softmax()(np.array([[0.0, 0.0]]))
        array([[0.5, 0.5]])

    Derived in lessons/02_activations.ipynb.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Expected `axis` to be an integer. Received: axis={axis!r}")
        self.axis = int(axis)

    def forward(self, x, training=False):
        x = np.asarray(x)
        x = x if np.issubdtype(x.dtype, np.floating) else x.astype(self.dtype)
        y = activations.softmax(x, axis=self.axis)
        self._cache = y
        return y

    def backward(self, grad):
        y = self._cached()
        return y * (grad - np.sum(grad * y, axis=self.axis, keepdims=True))

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
