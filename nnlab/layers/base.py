"""The Layer base class, symbolic tensors and `Input` (the Functional API's start).

Every layer is a pair of functions side by side:

    forward(x, training=False) -> y      computes the output and caches what backward needs
    backward(grad) -> grad_x             receives dL/dy, stores dL/dθ in `self.grads`,
                                         returns dL/dx

Parameters live in `self.params` (an ordered dict name -> array, in Keras'
`get_weights()` order, e.g. kernel then bias) and their gradients in `self.grads`
(same names, same shapes). Optimizers update `params` arrays in place. A weight that
training does not update by gradient (BatchNormalization's moving statistics) is in
`params` but has no entry in `grads`: it is one of the layer's non-trainable weights.
A weight may carry a regularizer (a penalty the model adds to its loss, lesson 10).
Shapes in `input_shape` / `output_shape` exclude the batch dimension.
"""
import numpy as np

from nnlab import config, initializers
from nnlab._naming import snake_case, unique_name


class KerasTensor:
    """A symbolic tensor: a shape (batch dimension `None`) and the layer that made it.

    Calling a layer on a KerasTensor records the graph instead of computing numbers;
    `nnlab.models.Model(inputs, outputs)` walks that graph back from `outputs`.
    """

    def __init__(self, shape, layer=None, parents=()):
        self.shape = tuple(shape)
        self.layer = layer
        self.parents = tuple(parents)

    def __repr__(self):
        producer = self.layer.name if self.layer is not None else None
        return f"<KerasTensor shape={self.shape}, produced by layer {producer!r}>"


class Layer:
    """Base class of all layers.

    Args:
        name: the layer's name. Defaults to the snake-cased class name, made unique
            ("dense", "dense_1", ...).
        input_shape: shape of one sample (no batch dimension), accepted on the first
            layer of a Sequential model, as in Keras. Defaults to None.
        input_dim: shorthand for `input_shape=(input_dim,)` (Keras 2 style, used in
            the documents). Defaults to None.
        trainable: whether `fit` updates this layer's parameters. Defaults to True.
    """

    def __init__(self, name=None, input_shape=None, input_dim=None, trainable=True,
                 dtype=None, batch_input_shape=None, **kwargs):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__} got unexpected keyword argument(s): "
                f"{', '.join(sorted(kwargs))}.")
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"Expected `name` to be a non-empty string. Received: name={name!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        if input_dim is not None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            input_shape = tuple(batch_input_shape)[1:]
        self._declared_input_shape = _as_shape(input_shape, "input_shape") if input_shape is not None else None
        self.dtype = _dtype_name(dtype)          # fixed at construction, as in Keras
        self.trainable = trainable
        self.params = {}
        self.grads = {}
        self.regularizers = {}     # weight name -> regularizer (penalty added to the loss)
        self.built = False
        self.input_shape = None
        self.output_shape = None
        self._cache = None

    # ---- building ---------------------------------------------------------------
    def build(self, input_shape):
        """Create the parameters for samples of shape `input_shape` (no batch dim).

        Subclasses validate `input_shape`, call `add_weight`, then `super().build`.
        """
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(self.compute_output_shape(self.input_shape))
        self.built = True

    def compute_output_shape(self, input_shape):
        """Shape of one output sample for one input sample of `input_shape`."""
        return tuple(input_shape)

    def add_weight(self, name, shape, initializer, trainable=True, regularizer=None):
        """Create parameter `name` with `initializer`, and a zero gradient beside it.

        `trainable=False` gives no gradient (the optimizer never touches it);
        `regularizer` (e.g. `nnlab.regularizers.L2(0.01)`) adds its penalty to the loss.
        """
        value = initializers.get(initializer)(tuple(shape), dtype=self.dtype)
        self.params[name] = np.asarray(value)
        if trainable:
            self.grads[name] = np.zeros_like(self.params[name])
        if regularizer is not None:
            self.regularizers[name] = regularizer
        return self.params[name]

    # ---- the teaching surface ------------------------------------------------------
    def forward(self, x, training=False):
        """Compute the output for a batch `x`; cache what `backward` needs."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward().")

    def backward(self, grad):
        """Given dL/d(output), store dL/d(params) in `self.grads` and return dL/d(input)."""
        raise NotImplementedError(f"{type(self).__name__} does not define backward().")

    def _cached(self):
        """The cache `forward` left, or a clear error when backward comes first."""
        if self._cache is None:
            raise RuntimeError(
                f"Layer '{self.name}': backward() was called before forward(). "
                "Run forward(x, training=True) on a batch first.")
        return self._cache

    # ---- calling -----------------------------------------------------------------
    def __call__(self, x, training=False):
        """`layer(tensor)`: numbers in, numbers out; `layer(KerasTensor)`: record the graph."""
        if isinstance(x, KerasTensor):
            self._build_or_check(x.shape[1:])
            return KerasTensor((None,) + self.output_shape, layer=self, parents=(x,))
        x = np.asarray(x)
        if x.ndim == 0:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects a batch of samples, "
                f"received a scalar {x!r}.")
        self._build_or_check(x.shape[1:])
        return self.forward(x, training=training)

    def _build_or_check(self, sample_shape):
        sample_shape = tuple(sample_shape)
        if not self.built:
            if self._declared_input_shape is not None and not _compatible(
                    self._declared_input_shape, sample_shape):
                self._shape_error(self._declared_input_shape, sample_shape)
            self.build(sample_shape)
        elif not _compatible(self.input_shape, sample_shape):
            self._shape_error(self.input_shape, sample_shape)

    def _shape_error(self, expected, received):
        raise ValueError(
            f"Layer '{self.name}' ({type(self).__name__}) expected input of shape "
            f"{(None,) + tuple(expected)} (batch first), but received input of shape "
            f"{(None,) + tuple(received)}. Check the previous layer's output or your data's shape.")

    # ---- weights -----------------------------------------------------------------
    @property
    def weights(self):
        """The parameter arrays, in Keras order (e.g. [kernel, bias])."""
        return list(self.params.values())

    @property
    def trainable_weights(self):
        """The weights the optimizer updates: those with a gradient, if `trainable`."""
        return [self.params[k] for k in self.grads] if self.trainable else []

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self.params.values() if id(w) not in trainable]

    @property
    def losses(self):
        """The regularization penalties of this layer's trainable weights, as Python floats
        (as in Keras 3, a frozen layer's penalties are not part of the loss)."""
        if not self.trainable:
            return []
        return [float(reg(self.params[name])) for name, reg in self.regularizers.items()
                if name in self.grads]

    def add_penalty_gradients(self):
        """Add each regularized weight's penalty gradient to `grads` (after `backward`)."""
        if not self.trainable:
            return
        for name, reg in self.regularizers.items():
            if name in self.grads:
                self.grads[name] += reg.gradient(self.params[name]).astype(self.grads[name].dtype)

    def get_weights(self):
        """Copies of the parameters, in Keras order."""
        return [w.copy() for w in self.params.values()]

    def set_weights(self, weights):
        """Overwrite the parameters (in place) with `weights`, a list in Keras order."""
        weights = list(weights)
        if len(weights) != len(self.params):
            raise ValueError(
                f"Layer '{self.name}' expects {len(self.params)} weight arrays "
                f"({', '.join(self.params) or 'none'}), received {len(weights)}.")
        for (pname, current), new in zip(self.params.items(), weights):
            new = np.asarray(new)
            if new.shape != current.shape:
                raise ValueError(
                    f"Layer '{self.name}': weight '{pname}' has shape {current.shape}, "
                    f"received an array of shape {new.shape}.")
            np.copyto(current, new, casting="unsafe")

    def count_params(self):
        """Number of scalars in all parameters."""
        return int(sum(w.size for w in self.params.values()))

    # ---- saving ------------------------------------------------------------------
    def get_config(self):
        """JSON-able constructor arguments; `type(self)(**config)` rebuilds the layer."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"


class InputLayer(Layer):
    """The layer behind `Input`: passes its input through unchanged."""

    def __init__(self, shape=None, name=None, **kwargs):
        if shape is None and "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if shape is None:
            raise ValueError("InputLayer needs `shape`, the shape of one sample, e.g. shape=(784,).")
        super().__init__(name=name, input_shape=shape, **kwargs)
        self.build(self._declared_input_shape)

    def forward(self, x, training=False):
        return x

    def backward(self, grad):
        return grad

    def get_config(self):
        return {"name": self.name, "shape": list(self.input_shape)}


def _dtype_name(dtype):
    """A layer's dtype as a name ('float32'), from None (floatx), a name or a NumPy type."""
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        raise ValueError(f"nnlab has no mixed-precision policies (dtype={dtype!r}): they speed up "
                         "GPUs, which nnlab does not use. Use 'float32', or Keras itself (lessons/18).")
    try:
        return np.dtype(dtype).name
    except TypeError:
        raise ValueError(f"Expected `dtype` to be a type name such as 'float32' or 'float64'. "
                         f"Received: dtype={dtype!r}") from None


def Input(shape=None, name=None, batch_size=None, dtype=None):
    """Start of a functional model: `x = Input(shape=(784,))`, a symbolic tensor.

    Args:
        shape: shape of one sample, without the batch dimension, e.g. (28, 28, 1).
        name: name of the input layer. Defaults to "input_layer", made unique.
    """
    if shape is None:
        raise ValueError("Input() needs `shape`, the shape of one sample, e.g. Input(shape=(784,)).")
    layer = InputLayer(shape=shape, name=name or unique_name("input_layer"))
    return KerasTensor((batch_size,) + layer.input_shape, layer=layer)


def _as_shape(shape, argname):
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"Expected `{argname}` to be a tuple of positive integers, e.g. (784,). "
            f"Received: {argname}={shape!r}") from None
    if any(d is not None and d <= 0 for d in shape):
        raise ValueError(
            f"Expected `{argname}` to be a tuple of positive integers. Received: {argname}={shape!r}")
    return shape


def _compatible(expected, received):
    """Same rank and equal wherever `expected` is not None."""
    return len(expected) == len(received) and all(
        e is None or e == r for e, r in zip(expected, received))
