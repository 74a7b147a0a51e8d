"""Merge layers: Add and Concatenate, the joints of a branching (functional) model.

    a = Dense(8)(inputs); b = Dense(8)(inputs)
    s = Add()([a, b])                  # y = a + b
    c = Concatenate()([a, b])          # y = [a, b] along the last axis

A merge layer takes a *list* of tensors and returns one; its backward returns a list
of gradients, one per input, which the functional model routes back to each branch.

Derived in lessons/15_functional_api.ipynb.
"""
import numpy as np

from nnlab.layers.base import KerasTensor, Layer


class _Merge(Layer):
    """Shared calling and shape checks of layers that take a list of inputs."""

    def __call__(self, inputs, training=False):
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) should be called on a list of at "
                f"least 2 inputs, e.g. {type(self).__name__}()([a, b]). Received: {inputs!r}")
        symbolic = [isinstance(t, KerasTensor) for t in inputs]
        if all(symbolic):
            self._build_or_check_all([t.shape[1:] for t in inputs])
            return KerasTensor((None,) + self.output_shape, layer=self, parents=tuple(inputs))
        if any(symbolic):
            raise ValueError(f"Layer '{self.name}': mix of symbolic tensors and arrays in {inputs!r}.")
        arrays = [np.asarray(t) for t in inputs]
        if any(a.ndim == 0 for a in arrays):
            raise ValueError(f"Layer '{self.name}' expects batches of samples, received a scalar.")
        if len({a.shape[0] for a in arrays}) != 1:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) received inputs with different "
                f"batch sizes: {[a.shape for a in arrays]}.")
        self._build_or_check_all([a.shape[1:] for a in arrays])
        return self.forward(arrays, training=training)

    def _build_or_check_all(self, shapes):
        shapes = [tuple(s) for s in shapes]
        if not self.built:
            self.build(shapes)
        elif shapes != [tuple(s) for s in self.input_shape]:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) was built for inputs of shapes "
                f"{self.input_shape}, but received inputs of shapes {shapes}.")

    def build(self, input_shape):
        self.input_shape = [tuple(s) for s in input_shape]
        self.output_shape = tuple(self.compute_output_shape(self.input_shape))
        self.built = True


class Add(_Merge):
    """Elementwise sum of its inputs: y = x₁ + x₂ + … + xₖ (all of one shape).

    Backward: each input receives the whole gradient, dL/dxᵢ = dL/dy, since ∂y/∂xᵢ = 1.
    (The branches that meet in an Add each get the full error signal: this is why a
    residual connection y = x + f(x) passes gradients through unchanged.)

    Input: a list of at least 2 tensors of the same shape. Output: that shape.

    Example:
        >>> Add()([np.ones((2, 3)), np.full((2, 3), 2.0)])
        array([[3., 3., 3.],
               [3., 3., 3.]])

    Derived in lessons/15_functional_api.ipynb.
    """

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        for shape in input_shape[1:]:
            if tuple(shape) != first:
                raise ValueError(
                    f"Layer '{self.name}' (Add) needs inputs of one shape; received shapes "
                    f"{[(None,) + tuple(s) for s in input_shape]}. Use Concatenate to join "
                    "tensors of different sizes.")
        return first

    def forward(self, inputs, training=False):
        self._cache = len(inputs)
        y = inputs[0].copy() if np.issubdtype(inputs[0].dtype, np.floating) else inputs[0].astype(float)
        for x in inputs[1:]:
            y += x
        return y

    def backward(self, grad):
        return [grad] * self._cached()


class Concatenate(_Merge):
    """Join its inputs along `axis`: y = [x₁, x₂, …] (the other axes must agree).

    Backward: the gradient is cut back into the pieces, dL/dxᵢ = the slice of dL/dy
    that xᵢ filled, in the same order.

    Args:
        axis: the axis to join along, counted with the batch axis as 0 (as in Keras);
            negative values count from the end. Defaults to -1 (the features/channels).

    Input: a list of at least 2 tensors of one rank. Output: the joined shape.

    Example:
        >>> Concatenate()([np.zeros((2, 3)), np.ones((2, 1))]).shape
        (2, 4)

    Derived in lessons/15_functional_api.ipynb.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"Expected `axis` to be an integer. Received: axis={axis!r}")
        self.axis = int(axis)

    def _sample_axis(self, rank):
        """The axis within one sample's shape (rank = the sample's rank)."""
        axis = self.axis if self.axis < 0 else self.axis - 1
        if self.axis == 0 or not -rank <= axis < rank:
            raise ValueError(
                f"Layer '{self.name}' (Concatenate): axis={self.axis} is not a feature axis of "
                f"inputs of rank {rank + 1} (batch included). Use -1 for the last axis.")
        return axis % rank

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in input_shape]
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ValueError(f"Layer '{self.name}' (Concatenate) needs inputs of one rank; "
                             f"received shapes {[(None,) + s for s in shapes]}.")
        axis = self._sample_axis(ranks.pop())
        rest = {s[:axis] + s[axis + 1:] for s in shapes}
        if len(rest) != 1:
            raise ValueError(
                f"Layer '{self.name}' (Concatenate) needs inputs whose shapes agree except on "
                f"the concatenation axis {self.axis}; received shapes "
                f"{[(None,) + s for s in shapes]}.")
        first = shapes[0]
        return first[:axis] + (sum(s[axis] for s in shapes),) + first[axis + 1:]

    def forward(self, inputs, training=False):
        axis = self._sample_axis(inputs[0].ndim - 1) + 1
        self._cache = (axis, [x.shape[axis] for x in inputs])
        return np.concatenate(inputs, axis=axis)

    def backward(self, grad):
        axis, sizes = self._cached()
        return np.split(grad, np.cumsum(sizes)[:-1], axis=axis)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
