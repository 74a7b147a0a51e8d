"""BatchNormalization: standardize each feature over the batch, then scale and shift.

Training (training=True), for each feature (each index along `axis`), over the m values
the batch holds for it (all samples, and all positions for images):

    μ = (1/m) Σ x            σ² = (1/m) Σ (x − μ)²        (the biased variance)
    x̂ = (x − μ) / √(σ² + ε)   y = γ x̂ + β
    moving_mean ← momentum · moving_mean + (1 − momentum) · μ          (the same for σ²)

Inference (training=False) uses moving_mean and moving_variance instead of μ and σ², so
one sample's output does not depend on the others in its batch.

Backward (training), with g = dL/dy:

    dL/dγ = Σ g x̂      dL/dβ = Σ g
    dL/dx = γ / (m √(σ² + ε)) · (m g − Σ g − x̂ Σ g x̂)

(μ and σ² depend on every x of the batch, which is where the two sums come from.)
Backward (inference) is elementwise: dL/dx = γ g / √(moving_variance + ε).

Derived in lessons/10_regularization.ipynb.
"""
import numpy as np

from nnlab import initializers
from nnlab.layers.base import Layer


class BatchNormalization(Layer):
    """Batch normalization (Keras 3 names and defaults).

    Args:
        axis: the feature axis (counted with the batch axis as 0; negative counts from
            the end). Defaults to -1 (the channels of an image, the units of Dense).
        momentum: how much of the old moving statistics is kept at each training step:
            moving = momentum · moving + (1 − momentum) · batch. Defaults to 0.99.
            (Keras' convention; PyTorch's `momentum` is the *other* weight, 1 − 0.99 = 0.01.)
        epsilon: added to the variance before the square root. Defaults to 1e-3.
        center: learn the shift β. Defaults to True.
        scale: learn the scale γ. Defaults to True.
        beta_initializer, gamma_initializer: Default to 'zeros' and 'ones'.
        moving_mean_initializer, moving_variance_initializer: Default to 'zeros' and 'ones'.

    Weights, in Keras' order: gamma, beta (trainable), moving_mean, moving_variance
    (non-trainable: updated by training steps, not by the optimizer). With
    `trainable = False` the layer runs in inference mode even during `fit`, as in Keras 3.

    Input shape: any; output shape: the same.

    Example:
        >>> bn = BatchNormalization()
        >>> y = bn(np.array([[1.0], [3.0]]), training=True)
        >>> np.round(y, 3)
        array([[-0.999],
               [ 0.999]])

    Derived in lessons/10_regularization.ipynb.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones", **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Expected `axis` to be an integer. Received: axis={axis!r}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"Expected `momentum` in [0, 1], e.g. 0.99. Received: momentum={momentum!r}")
        if not epsilon > 0:
            raise ValueError(f"Expected `epsilon` > 0, e.g. 1e-3. Received: epsilon={epsilon!r}")
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.initializers = {"gamma": gamma_initializer, "beta": beta_initializer,
                             "moving_mean": moving_mean_initializer,
                             "moving_variance": moving_variance_initializer}
        for init in self.initializers.values():
            initializers.get(init)                       # fail now on an unknown name

    def _feature_axis(self, rank):
        """The feature axis of a batch of rank `rank` (batch included), as a positive int."""
        axis = self.axis + rank if self.axis < 0 else self.axis
        if not 1 <= axis < rank:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization): axis={self.axis} is not a feature "
                f"axis of inputs of rank {rank} (batch included). Use -1 for the last axis.")
        return axis

    def build(self, input_shape):
        axis = self._feature_axis(len(input_shape) + 1)
        features = input_shape[axis - 1]
        if features is None:
            raise ValueError(f"Layer '{self.name}' (BatchNormalization) needs a known size on "
                             f"axis {self.axis}; received input of shape {(None,) + tuple(input_shape)}.")
        if self.scale:
            self.add_weight("gamma", (features,), self.initializers["gamma"])
        if self.center:
            self.add_weight("beta", (features,), self.initializers["beta"])
        self.add_weight("moving_mean", (features,), self.initializers["moving_mean"], trainable=False)
        self.add_weight("moving_variance", (features,), self.initializers["moving_variance"],
                        trainable=False)
        super().build(input_shape)

    def _broadcast(self, v, ndim, axis):
        shape = [1] * ndim
        shape[axis] = -1
        return v.reshape(shape)

    def forward(self, x, training=False):
        x = np.asarray(x, dtype=self.params["moving_mean"].dtype)
        axis = self._feature_axis(x.ndim)
        reduce = tuple(i for i in range(x.ndim) if i != axis)
        features = self.params["moving_mean"].shape[0]
        gamma = self.params.get("gamma", np.ones(features, dtype=x.dtype))
        beta = self.params.get("beta", np.zeros(features, dtype=x.dtype))
        if training and self.trainable:
            mean, var = x.mean(axis=reduce), x.var(axis=reduce)
            for name, batch in (("moving_mean", mean), ("moving_variance", var)):
                moving = self.params[name]
                moving *= self.momentum
                moving += (1.0 - self.momentum) * batch
        else:
            mean, var = self.params["moving_mean"].copy(), self.params["moving_variance"].copy()
        inv_std = 1.0 / np.sqrt(var + self.epsilon)
        x_hat = (x - self._broadcast(mean, x.ndim, axis)) * self._broadcast(inv_std, x.ndim, axis)
        self._cache = (x_hat, inv_std, axis, reduce, bool(training and self.trainable))
        return self._broadcast(gamma, x.ndim, axis) * x_hat + self._broadcast(beta, x.ndim, axis)

    def backward(self, grad):
        x_hat, inv_std, axis, reduce, batch_stats = self._cached()
        grad = np.asarray(grad, dtype=x_hat.dtype)
        if self.scale:
            self.grads["gamma"] = np.sum(grad * x_hat, axis=reduce)
        if self.center:
            self.grads["beta"] = np.sum(grad, axis=reduce)
        gamma = self.params.get("gamma", np.ones_like(inv_std))
        g_hat = grad * self._broadcast(gamma * inv_std, grad.ndim, axis)   # γ g / √(σ² + ε)
        if not batch_stats:
            return g_hat
        mean_g = np.mean(g_hat, axis=reduce, keepdims=True)
        mean_gx = np.mean(g_hat * x_hat, axis=reduce, keepdims=True)
        return g_hat - mean_g - x_hat * mean_gx          # = γ/(m√(σ²+ε)) (m g − Σg − x̂ Σ g x̂)

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, momentum=self.momentum, epsilon=self.epsilon,
                      center=self.center, scale=self.scale,
                      **{f"{k}_initializer": initializers.serialize(v)
                         for k, v in self.initializers.items()})
        return config
