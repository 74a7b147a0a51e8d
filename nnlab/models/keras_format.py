"""Translate between nnlab's model configs and Keras 3's `config.json` and weight paths.

Keras 3 writes a model's architecture as nested dicts:

    {"module": "keras", "class_name": "Sequential", "config": {"name": ..., "layers": [
        {"module": "keras.layers", "class_name": "Dense", "config": {...}, "build_config": {...}},
        ...]}, "compile_config": {"optimizer": {...}, "loss": ..., "metrics": [...]}}

and its weights (in `model.weights.h5` and `.weights.h5` files) under paths made from
the *class* names of the layers, numbered in the order of `model.layers`:
"layers/dense/vars/0", "layers/dense_1/vars/0", ...; the optimizer's under
"optimizer/vars/<i>" (iterations, learning rate, then its slots).

Reading a Keras config never imports or runs anything named in it: layer classes come
from nnlab's own registry, options are plain JSON values, and an option nnlab does not
have is an error naming the layer and the option, unless its value is the Keras default
(a None, a False, or one of `KERAS_DEFAULTS`), which changes nothing.
"""
import inspect

from nnlab._naming import snake_case

KERAS_VERSION = "3.15.1"     # the Keras release whose format this file follows

# Options Keras writes that nnlab does not have, with the value that makes them no-ops.
KERAS_DEFAULTS = {"groups": 1, "renorm_momentum": 0.99, "ema_momentum": 0.99,
                  "reduction": "sum_over_batch_size", "steps_per_execution": 1,
                  "run_eagerly": False, "jit_compile": True, "value_range": [0, 255],
                  "summation_method": "interpolation"}


class KerasFormatError(ValueError):
    """A Keras config uses a layer or an option that nnlab does not have."""


def policy_name(dtype):
    """'float32' from a dtype string or a Keras DTypePolicy dict."""
    if isinstance(dtype, dict):
        return dtype.get("config", {}).get("name", "float32")
    return dtype


def _policy(name):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": name},
            "registered_name": None}


def _object(module, obj):
    """nnlab's {"class_name", "config"} serialization as a Keras object dict."""
    if isinstance(obj, dict) and "class_name" in obj:
        return {"module": module, "class_name": obj["class_name"],
                "config": obj.get("config", {}), "registered_name": None}
    return obj


def _plain(obj):
    """A Keras object dict as nnlab's {"class_name", "config"} (strings stay strings)."""
    if isinstance(obj, dict) and "class_name" in obj:
        return {"class_name": obj["class_name"], "config": dict(obj.get("config") or {})}
    return obj


def fit_kwargs(cls, config, where):
    """`config` reduced to what `cls(**config)` accepts; a meaningful extra option is an error."""
    accepted = set()
    for klass in cls.__mro__:                  # a layer's **kwargs go on to Layer.__init__
        if "__init__" in vars(klass) and klass is not object:
            accepted |= set(inspect.signature(klass.__init__).parameters) - {"self", "args", "kwargs"}
    kept = {}
    for key, value in config.items():
        if key in accepted:
            kept[key] = value
        elif value is None or value is False or value == {} or KERAS_DEFAULTS.get(key, object()) == value:
            continue
        else:
            raise KerasFormatError(
                f"{where} uses the option {key}={value!r}, which nnlab's {cls.__name__} does not "
                "have. Remove it (or set it to its default) in Keras before saving, or use Keras "
                "for this model (lessons/18).")
    return kept


def _initializer_or_regularizer(value, where):
    """Keras' initializer/regularizer dict -> nnlab's, with options checked."""
    from nnlab import initializers, regularizers
    if not (isinstance(value, dict) and "class_name" in value):
        return value
    plain = _plain(value)
    name = snake_case(plain["class_name"])
    if name in regularizers.REGULARIZERS:
        cls = regularizers.REGULARIZERS[name]
    elif name in initializers.INITIALIZERS:
        cls = initializers.INITIALIZERS[name]
    else:
        raise KerasFormatError(f"{where} uses {plain['class_name']}, which nnlab does not have.")
    return {"class_name": plain["class_name"],
            "config": fit_kwargs(cls, plain["config"], f"{where} ({plain['class_name']})")}


# ---- nnlab -> Keras ------------------------------------------------------------------------
def keras_layer_config(layer):
    """A layer's config as Keras writes it (dtype policy, module dicts, no input_shape)."""
    config = dict(layer.get_config())
    config.pop("input_shape", None)
    if "dtype" in config:
        config["dtype"] = _policy(config["dtype"])
    for key, value in config.items():
        if key.endswith("_initializer"):
            config[key] = _object("keras.initializers", value)
        elif key.endswith("_regularizer"):
            config[key] = _object("keras.regularizers", value)
    return config


def _input_entry(name, shape, dtype):
    return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
            "config": {"batch_shape": [None] + list(shape), "dtype": dtype, "sparse": False,
                       "name": name}}


def _layer_entry(layer):
    entry = {"module": "keras.layers", "class_name": type(layer).__name__,
             "config": keras_layer_config(layer), "registered_name": None}
    shape = layer.input_shape
    if isinstance(shape, list):
        entry["build_config"] = {"input_shape": [[None] + list(s) for s in shape]}
    else:
        entry["build_config"] = {"input_shape": [None] + list(shape)}
    return entry


def _tensor_ref(layer):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": [None] + list(layer.output_shape), "dtype": layer.dtype,
                       "keras_history": [layer.name, 0, 0]}}


def model_config(model):
    """The `config` dict of `model` (Sequential or Functional) as Keras 3 writes it."""
    from nnlab.layers.base import InputLayer
    from nnlab.models.sequential import Sequential
    if isinstance(model, Sequential):
        first = model.layers[0]
        layers = [_input_entry("input_layer", model.input_shape[1:], first.dtype)]
        layers += [_layer_entry(layer) for layer in model.layers]
        return {"name": model.name, "trainable": True, "dtype": _policy(first.dtype),
                "layers": layers, "build_input_shape": list(model.input_shape)}
    entries = []
    for layer, parents in model._nodes:
        if isinstance(layer, InputLayer):
            entry = _input_entry(layer.name, layer.input_shape, model.layers[-1].dtype)
            entry["inbound_nodes"] = []
        else:
            entry = _layer_entry(layer)
            refs = [_tensor_ref(model._nodes[p][0]) for p in parents]
            entry["inbound_nodes"] = [{"args": refs if len(refs) == 1 else [refs], "kwargs": {}}]
        entry["name"] = layer.name
        entries.append(entry)
    return {"name": model.name, "trainable": True, "layers": entries,
            "input_layers": [model._nodes[0][0].name, 0, 0],
            "output_layers": [model._nodes[-1][0].name, 0, 0]}


def compile_config(model):
    """The model's compile settings as Keras 3 writes them, or None if not compiled."""
    if not model.compiled:
        return None
    from nnlab import losses, metrics as metrics_module
    opt = model.optimizer
    given = model._compile_args["metrics"]
    metrics = [g if isinstance(g, str) else _object("keras.metrics", metrics_module.serialize(m))
               for g, m in zip(given, model.compiled_metrics)]
    loss = model._compile_args.get("loss")
    return {
        "optimizer": {"module": "keras.optimizers", "class_name": type(opt).__name__,
                      "config": opt.get_config(), "registered_name": None},
        "loss": loss if isinstance(loss, str) or loss is None
        else _object("keras.losses", losses.serialize(model.loss)),
        "loss_weights": None, "metrics": metrics, "weighted_metrics": None,
        "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False,
    }


def weight_paths(model):
    """Keras' h5 group of each layer: the snake-cased class name, numbered in layer order."""
    paths, seen = [], {}
    for layer in model.layers:
        base = snake_case(type(layer).__name__)
        n = seen.get(base, 0)
        seen[base] = n + 1
        paths.append(f"layers/{base}" if n == 0 else f"layers/{base}_{n}")
    return paths


# Keras 3's order of optimizer variables after (iterations, learning_rate): groups of slot
# names; within a group the slots of one variable follow each other, the groups in turn.
KERAS_SLOT_ORDER = {"SGD": [("momentum",)], "Adam": [("m", "v"), ("vhat",)],
                    "RMSprop": [("velocity",), ("momentum",), ("average_gradient",)],
                    "Adagrad": [("accumulator",)]}


def optimizer_slot_keys(optimizer):
    """nnlab `get_state()` keys in the order Keras stores the optimizer's variables."""
    present = set(optimizer.slot_names())
    n = len(optimizer._slots)
    keys = []
    for group in KERAS_SLOT_ORDER.get(type(optimizer).__name__, [tuple(optimizer.slot_names())]):
        group = [s for s in group if s in present]
        keys += [f"{optimizer._state_prefix}/{s}/{i}" for i in range(n) for s in group]
    return keys


# ---- Keras -> nnlab --------------------------------------------------------------------------
def _nnlab_layer_config(class_name, config, registry):
    cls = registry(class_name)
    where = f"Layer '{config.get('name', '?')}' ({class_name})"
    config = dict(config)
    if "dtype" in config:
        config["dtype"] = policy_name(config["dtype"])
    for key, value in list(config.items()):
        if key.endswith(("_initializer", "_regularizer")):
            config[key] = _initializer_or_regularizer(value, where)
        elif isinstance(value, dict) and "class_name" in value:
            raise KerasFormatError(f"{where}: the option {key} is a {value['class_name']} object, "
                                   "which nnlab cannot read.")
    return cls, fit_kwargs(cls, config, where)


def _input_shape(config):
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if shape is not None:
        return list(shape[1:])
    return list(config["shape"])


def _parents(entry, index_of):
    """Indices of the layers feeding a functional layer, from Keras' inbound_nodes."""
    nodes = entry.get("inbound_nodes") or []
    if not nodes:
        return []
    if len(nodes) > 1:
        raise KerasFormatError(f"Layer '{entry['config'].get('name')}' is used more than once "
                               "(a shared layer); nnlab creates one layer per use.")
    node = nodes[0]
    if isinstance(node, dict):
        args = node.get("args", [])
        refs = args[0] if len(args) == 1 and isinstance(args[0], list) else args
        names = [ref["config"]["keras_history"][0] for ref in refs]
    else:                              # older Keras: [[name, node, tensor, kwargs], ...]
        names = [ref[0] for ref in node]
    try:
        return [index_of[name] for name in names]
    except KeyError as e:
        raise KerasFormatError(f"Layer '{entry['config'].get('name')}' is fed by unknown layer {e}.") from None


def nnlab_model(config, registry):
    """Build a Sequential or Functional nnlab model from a Keras 3 `config.json` dict."""
    from nnlab.layers.base import Input
    from nnlab.models.functional import Functional
    from nnlab.models.sequential import Sequential

    class_name = config.get("class_name")
    inner = config.get("config") or {}
    if class_name == "Sequential":
        layers, shape = [], inner.get("build_input_shape")
        for entry in inner.get("layers", []):
            if entry["class_name"] == "InputLayer":
                shape = [None] + _input_shape(entry["config"])
                continue
            cls, kwargs = _nnlab_layer_config(entry["class_name"], entry["config"], registry)
            layers.append(cls(**kwargs))
        model = Sequential(([Input(shape=tuple(shape[1:]))] if shape else []) + layers,
                           name=inner.get("name"))
        return model
    if class_name in ("Functional", "Model"):
        tensors, index_of, first = [], {}, None
        for entry in inner.get("layers", []):
            name = entry["config"].get("name")
            if entry["class_name"] == "InputLayer":
                if first is not None:
                    raise KerasFormatError("The model has more than one input; nnlab models "
                                           "have exactly one.")
                tensor = first = Input(shape=tuple(_input_shape(entry["config"])), name=name)
            else:
                cls, kwargs = _nnlab_layer_config(entry["class_name"], entry["config"], registry)
                parents = [tensors[i] for i in _parents(entry, index_of)]
                tensor = cls(**kwargs)(parents[0] if len(parents) == 1 else parents)
            index_of[name] = len(tensors)
            tensors.append(tensor)
        outputs = inner.get("output_layers")
        out_name = outputs[0][0] if outputs and isinstance(outputs[0], list) else outputs[0]
        if isinstance(outputs[0], list) and len(outputs) > 1:
            raise KerasFormatError("The model has more than one output; nnlab models have exactly one.")
        return Functional(inputs=first, outputs=tensors[index_of[out_name]], name=inner.get("name"))
    raise KerasFormatError(f"Unknown model class {class_name!r}: nnlab reads Sequential and "
                           "functional models (subclassed models have no config to read).")


def nnlab_compile_args(compile_config):
    """(optimizer, loss, metrics) for `model.compile` from Keras' compile_config."""
    from nnlab import losses, metrics as metrics_module, optimizers
    for key in ("loss_weights", "weighted_metrics"):
        if compile_config.get(key):
            raise KerasFormatError(f"compile_config uses {key}={compile_config[key]!r}; nnlab "
                                   "models have one output and no weighted metrics.")
    opt = compile_config.get("optimizer")
    if isinstance(opt, dict):
        plain = _plain(opt)
        cls = type(optimizers.get(plain["class_name"]))
        opt = cls(**fit_kwargs(cls, plain["config"], f"Optimizer {plain['class_name']}"))
    loss = compile_config.get("loss")
    if isinstance(loss, dict):
        plain = _plain(loss)
        cls = type(losses.get(plain["class_name"]))
        loss = cls(**fit_kwargs(cls, plain["config"], f"Loss {plain['class_name']}"))
    metrics = []
    for m in compile_config.get("metrics") or []:
        if isinstance(m, dict):
            plain = _plain(m)
            cls = type(metrics_module.get(plain["class_name"]))
            m = cls(**fit_kwargs(cls, plain["config"], f"Metric {plain['class_name']}"))
        metrics.append(m)
    return opt, loss, metrics
