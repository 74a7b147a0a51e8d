"""`Sequential`: a plain stack of layers, each feeding the next.

    model = Sequential()
    model.add(Dense(256, activation="relu", input_shape=(784,)))
    model.add(Dense(10, activation="softmax"))

The input shape can come from `Input(shape=...)` as first element, from `input_shape=`
(or `input_dim=`) on the first layer, or, as in Keras 3, from the first data the model
sees (`fit`, `predict`, `model(x)`, or `model.build((None, 784))`): until then the
layers have no weights and `summary()` cannot count them.

Used from lessons/06_backprop.ipynb on (models as stacks of layers).
"""
from nnlab._naming import unique_name
from nnlab.layers.base import InputLayer, KerasTensor, Layer
from nnlab.models.model import Model


class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: list of layers to add, in order; the first may be `Input(shape=...)`.
            Defaults to None (an empty model; use `add`).
        name: the model's name. Defaults to "sequential", made unique.

    Example:
        >>> model = Sequential([Input(shape=(784,)), Dense(10, activation="softmax")])
        >>> model.output_shape
        (None, 10)
    """

    def __init__(self, layers=None, name=None, trainable=True):
        self._init_model(name or unique_name("sequential"))
        self._stack = []   # the layers as added, including a leading InputLayer if any
        if layers is not None:
            if isinstance(layers, (Layer, KerasTensor)):
                layers = [layers]
            if not isinstance(layers, (list, tuple)):
                raise TypeError("Expected `layers` to be a list of layers. "
                                f"Received: layers={layers!r} of type {type(layers).__name__}")
            for layer in layers:
                self.add(layer)

    @property
    def layers(self):
        """The layers, without the InputLayer (as in Keras 3)."""
        return [layer for layer in self._stack if not isinstance(layer, InputLayer)]

    def add(self, layer):
        """Append `layer` on top of the stack (or `Input(shape=...)` as the first element).

        If the input shape is already known the new layer is built at once, so a layer
        that does not fit the previous output fails here, naming both shapes.
        """
        if isinstance(layer, KerasTensor):
            if not isinstance(layer.layer, InputLayer):
                raise ValueError(
                    "Only the tensor returned by Input(shape=...) can be added to a Sequential "
                    f"model. Received: {layer!r}. Add the layer itself instead.")
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise TypeError(
                "The added layer must be an instance of class Layer (e.g. Dense(10)). "
                f"Received: layer={layer!r} of type {type(layer).__name__}")
        if isinstance(layer, InputLayer) and self._stack:
            raise ValueError(
                "Input(shape=...) can only be the first element of a Sequential model; "
                f"model '{self.name}' already has layers {[l.name for l in self._stack]}.")
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. "
                f"Name '{layer.name}' is already the name of a layer in model '{self.name}'.")
        if any(existing is layer for existing in self._stack):
            raise ValueError(f"Layer '{layer.name}' is already in model '{self.name}'.")
        self._stack.append(layer)
        if self._input_shape is None and len(self._stack) == 1:
            if isinstance(layer, InputLayer):
                self._input_shape = layer.input_shape
            elif layer._declared_input_shape is not None:
                self._input_shape = layer._declared_input_shape
        if self._input_shape is not None:
            try:
                self._connect()
            except Exception:
                self._stack.pop()
                raise
        else:
            self.built = False
            self._nodes = []

    def pop(self):
        """Remove and return the last layer."""
        if not self.layers:
            raise IndexError(f"There are no layers in model '{self.name}' to pop.")
        layer = self._stack.pop()
        if not self._stack:
            self._input_shape = None
        if self._input_shape is not None and self.layers:
            self._connect()
        else:
            self._nodes, self.built = [], False
        return layer

    def build(self, input_shape=None):
        """Build every layer for inputs of `input_shape`, batch dimension first, e.g. (None, 784)."""
        if input_shape is None:
            self._require_built("the network")
        input_shape = tuple(input_shape)
        if len(input_shape) < 2:
            raise ValueError(
                "Expected `input_shape` to include the batch dimension, e.g. (None, 784). "
                f"Received: input_shape={input_shape!r}")
        self._input_shape = tuple(input_shape[1:])
        self._connect()

    def _connect(self):
        """Chain the layers on a symbolic tensor: builds and checks every layer."""
        layers = self.layers
        if not layers:
            self._nodes, self.built = [], False
            return
        tensor = KerasTensor((None,) + tuple(self._input_shape))
        for layer in layers:
            tensor = layer(tensor)
        self._nodes = [(layer, () if i == 0 else (i - 1,)) for i, layer in enumerate(layers)]
        self.built = True

    def _build_for(self, sample_shape):
        if not self.layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers yet. Add some with model.add(...).")
        if not self.built:
            self._input_shape = tuple(sample_shape)
            self._connect()

    def _require_built(self, what):
        if not self.layers:
            raise ValueError(f"Sequential model '{self.name}' has no layers yet. Add some with model.add(...).")
        super()._require_built(what)

    def get_config(self):
        """The stack: every layer's class and config, and the input shape if known."""
        return {
            "name": self.name,
            "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()}
                       for layer in self._stack],
            "build_input_shape": None if self._input_shape is None else [None] + list(self._input_shape),
        }

    @classmethod
    def from_config(cls, config, layer_registry):
        """Rebuild the stack from `get_config()`, creating layers via `layer_registry`."""
        model = cls(name=config["name"])
        for entry in config["layers"]:
            model.add(layer_registry(entry["class_name"]).from_config(entry["config"]))
        if not model.built and config.get("build_input_shape"):
            model.build(tuple(config["build_input_shape"]))
        return model
