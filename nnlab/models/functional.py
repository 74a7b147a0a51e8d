"""The functional API: `Model(inputs, outputs)` from a graph of symbolic tensors.

    inputs = Input(shape=(100,))
    x = Dense(64, activation="relu")(inputs)     # each call records (layer, parent tensors)
    outputs = Dense(10, activation="softmax")(x)
    model = Model(inputs=inputs, outputs=outputs)

The model walks the graph back from `outputs` to `inputs` and orders the layers
topologically (every layer after all the layers that feed it). `forward` runs them in
that order; `backward` runs them in reverse and *adds* the gradients where one tensor
feeds several layers (the multivariate chain rule).

Used from lessons/06_backprop.ipynb on (models as stacks of layers).
"""
from nnlab._naming import unique_name
from nnlab.layers.base import InputLayer, KerasTensor
from nnlab.models.model import Model


def _single(tensors, argname):
    if isinstance(tensors, (list, tuple)):
        if len(tensors) != 1:
            raise ValueError(
                f"nnlab models have exactly one input and one output; `{argname}` holds "
                f"{len(tensors)} tensors. Received: {argname}={tensors!r}")
        tensors = tensors[0]
    if isinstance(tensors, dict):
        raise ValueError(f"nnlab models take a single tensor as `{argname}`, not a dict.")
    if not isinstance(tensors, KerasTensor):
        raise TypeError(
            f"Expected `{argname}` to be a symbolic tensor made by Input(...) or by calling a "
            f"layer on one. Received: {argname}={tensors!r} of type {type(tensors).__name__}")
    return tensors


def topological_nodes(inputs, outputs):
    """[(layer, parent node indices)] from `inputs` to `outputs`, parents first.

    The order is Keras 3's, so that weights match layer by layer when files move between
    the two: a walk back from `outputs` gives each layer its depth (the longest path to
    the output) and its place in the walk; layers come deepest first, ties in walk order.
    The node of `inputs` has no parents (it receives the model's input).
    """
    preorder, postorder, visiting, done = {}, [], set(), set()

    def visit(tensor):
        if id(tensor) in visiting:
            raise ValueError("The layer graph has a cycle; a model must be a directed acyclic graph.")
        if id(tensor) in done:
            return
        preorder.setdefault(id(tensor), len(preorder))
        visiting.add(id(tensor))
        if tensor is not inputs:
            if tensor.layer is None or not tensor.parents:
                name = tensor.layer.name if tensor.layer is not None else "?"
                raise ValueError(
                    f"Graph disconnected: the outputs depend on the input tensor of layer "
                    f"'{name}', which is not the model's `inputs` ({inputs!r}). Pass that "
                    "Input as `inputs`, or build the outputs from the `inputs` you pass.")
            for parent in tensor.parents:
                visit(parent)
        visiting.discard(id(tensor))
        done.add(id(tensor))
        postorder.append(tensor)

    visit(outputs)
    if id(inputs) not in done:
        raise ValueError(f"Graph disconnected: `outputs` {outputs!r} cannot be reached from `inputs`.")
    depth = {}
    for tensor in reversed(postorder):                 # from the output back to the input
        d = depth.setdefault(id(tensor), 0)
        if tensor is not inputs:
            for parent in tensor.parents:
                depth[id(parent)] = max(depth.get(id(parent), 0), d + 1)
    order = sorted(postorder, key=lambda t: (-depth[id(t)], preorder[id(t)]))
    index = {id(t): i for i, t in enumerate(order)}

    nodes, seen_layers = [], set()
    for tensor in order:
        layer = tensor.layer
        if id(layer) in seen_layers:
            raise ValueError(
                f"Layer '{layer.name}' is used more than once in the graph. Shared layers are "
                "not supported by nnlab: create one layer per use.")
        seen_layers.add(id(layer))
        parents = () if tensor is inputs else tuple(index[id(p)] for p in tensor.parents)
        nodes.append((layer, parents))
    return nodes


class Functional(Model):
    """A model defined by its input and output tensors: `Model(inputs, outputs, name=None)`.

    Args:
        inputs: the tensor returned by `Input(shape=...)` (or a list holding it).
        outputs: the tensor returned by the last layer call (or a list holding it).
        name: the model's name. Defaults to "functional", made unique.

    Example:
        >>> inputs = Input(shape=(100,))
        >>> x = Dense(64, activation="relu")(inputs)
        >>> model = Model(inputs=inputs, outputs=Dense(10, activation="softmax")(x))
    """

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"Model() got unexpected keyword argument(s): {', '.join(sorted(kwargs))}.")
        if inputs is None or outputs is None:
            raise TypeError(
                "Model() needs `inputs` and `outputs`: x = Input(shape=...); ...; "
                "Model(inputs=x, outputs=y). To stack layers, use Sequential([...]). "
                "Subclassing Model with a custom call() is not supported by nnlab.")
        self._init_model(name or unique_name("functional"))
        self.inputs = [_single(inputs, "inputs")]
        self.outputs = [_single(outputs, "outputs")]
        if not isinstance(self.inputs[0].layer, InputLayer):
            raise ValueError(
                "Expected `inputs` to be the tensor returned by Input(shape=...). Received: "
                f"inputs={self.inputs[0]!r}")
        self._nodes = topological_nodes(self.inputs[0], self.outputs[0])
        self._input_shape = self._nodes[0][0].input_shape
        self.built = True

    def get_config(self):
        """The graph: every layer's class and config, and the nodes feeding it."""
        return {
            "name": self.name,
            "layers": [{"class_name": type(layer).__name__, "config": layer.get_config(),
                        "inbound_nodes": list(parents)} for layer, parents in self._nodes],
        }

    @classmethod
    def from_config(cls, config, layer_registry):
        """Rebuild the graph from `get_config()`, creating layers via `layer_registry`."""
        tensors = []
        for entry in config["layers"]:
            layer = layer_registry(entry["class_name"]).from_config(entry["config"])
            parents = entry["inbound_nodes"]
            if not parents:
                if not isinstance(layer, InputLayer):
                    raise ValueError(f"The first layer of a functional model must be an InputLayer, "
                                     f"found {entry['class_name']}.")
                tensor = KerasTensor((None,) + layer.input_shape, layer=layer)
            elif len(parents) == 1:
                tensor = layer(tensors[parents[0]])
            else:
                tensor = layer([tensors[p] for p in parents])
            tensors.append(tensor)
        return cls(inputs=tensors[0], outputs=tensors[-1], name=config["name"])
