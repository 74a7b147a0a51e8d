"""Saving and loading models: one `.keras` zip file with JSON and NumPy arrays, no code.

    model.save("mlp.keras")          # architecture + weights + compile settings + optimizer state
    model = load_model("mlp.keras")  # the same model, ready to predict or to go on training

The zip holds two members:

    config.json          {"format": "nnlab.model", "class_name": "Sequential", "config": {...},
                          "compile_config": {...}, "nnlab_version": "..."}
                         every layer as its class name + get_config(); a functional graph
                         also lists, for every layer, the indices of the layers feeding it
    model.weights.npz    "layers/<i>/<name>" -> the i-th layer's parameter,
                         "optimizer/<key>"   -> the optimizer's state (iterations, slots)

Loading only reads JSON and `.npz` arrays (`np.load(..., allow_pickle=False)`) and builds
layers through the `nnlab.layers` registry, so a model file can never run code. The
names mirror Keras 3 (`.keras`, `config.json`, `model.weights.*`), but Keras stores the
weights as HDF5 (`model.weights.h5`): the two formats cannot read each other's files.

`save_weights` / `load_weights` use files ending in `.weights.npz` (Keras: `.weights.h5`).
"""
import io
import json
import os
import zipfile
import zlib

import numpy as np

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.weights.npz"
FORMAT = "nnlab.model"


class ModelFileError(ValueError):
    """A file given to `load_model` / `load_weights` is not a valid nnlab file."""


def _check_suffix(filepath, suffix, what):
    filepath = os.fspath(filepath)
    if not str(filepath).endswith(suffix):
        raise ValueError(
            f"The filename for {what} must end in `{suffix}`"
            + (" (nnlab's weights format; Keras uses `.weights.h5`, and nnlab has no HDF5 "
               "dependency)" if suffix == ".weights.npz" else " (the Keras 3 model format)")
            + f". Received: filepath={filepath}")
    return filepath


def _weights_arrays(model):
    arrays = {}
    for i, layer in enumerate(model.layers):
        for name, value in layer.params.items():
            arrays[f"layers/{i}/{name}"] = value
    return arrays


def _npz_bytes(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _serialize_compile(model):
    if not model.compiled:
        return None
    from nnlab import losses, metrics as metrics_module, optimizers
    opt = model.optimizer
    compiled_metrics = []
    for given, metric in zip(model._compile_args["metrics"], model.compiled_metrics):
        if isinstance(given, str):
            compiled_metrics.append(given)
        else:
            compiled_metrics.append(metrics_module.serialize(metric))
    return {
        "optimizer": optimizers.serialize(opt) if hasattr(optimizers, "serialize")
        else {"class_name": type(opt).__name__, "config": opt.get_config()},
        "loss": None if model.loss is None else losses.serialize(model.loss),
        "metrics": compiled_metrics,
    }


def save_model(model, filepath):
    """Write `model` to `filepath` (a `.keras` zip): see the module docstring."""
    import nnlab

    filepath = _check_suffix(filepath, ".keras", "model.save()")
    model._require_built("what to save")
    config = {
        "format": FORMAT,
        "format_version": 1,
        "nnlab_version": nnlab.__version__,
        "class_name": type(model).__name__,
        "config": model.get_config(),
        "compile_config": _serialize_compile(model),
    }
    arrays = _weights_arrays(model)
    if model.compiled and getattr(model.optimizer, "built", False):
        for key, value in model.optimizer.get_state().items():
            arrays[f"optimizer/{key}"] = np.asarray(value)
    with zipfile.ZipFile(filepath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(CONFIG_NAME, json.dumps(config, indent=2))
        zf.writestr(WEIGHTS_NAME, _npz_bytes(arrays))


def _read_zip(filepath):
    """(config dict, {name: array}) from a `.keras` file, with clear errors for bad files."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file or directory found at {filepath}")
    if not zipfile.is_zipfile(filepath):
        raise ModelFileError(
            f"{filepath} is not a zip file, so it is not a model saved by model.save(). "
            "(The file may be corrupted, truncated, or in another format.)")
    try:
        with zipfile.ZipFile(filepath) as zf:
            names = set(zf.namelist())
            if CONFIG_NAME not in names or WEIGHTS_NAME not in names:
                if "model.weights.h5" in names or "metadata.json" in names:
                    raise ModelFileError(
                        f"{filepath} was saved by Keras (it holds HDF5 weights, "
                        "model.weights.h5), not by nnlab. nnlab cannot read HDF5: rebuild the "
                        "architecture with nnlab and train it, or export the weights as NumPy "
                        "arrays from Keras and use model.set_weights(...).")
                raise ModelFileError(
                    f"{filepath} is a zip file but not an nnlab model: expected the members "
                    f"{CONFIG_NAME} and {WEIGHTS_NAME}, found {sorted(names)[:10]}.")
            config = json.loads(zf.read(CONFIG_NAME).decode("utf-8"))
            weights_bytes = zf.read(WEIGHTS_NAME)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise ModelFileError(f"{filepath} is a corrupted zip file ({e}).") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{filepath}: {CONFIG_NAME} is not valid JSON ({e}).") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(
            f"{filepath}: {CONFIG_NAME} does not describe an nnlab model "
            f"(expected \"format\": \"{FORMAT}\").")
    return config, _read_npz(weights_bytes, filepath)


def _read_npz(data, filepath):
    try:
        with np.load(io.BytesIO(data) if isinstance(data, bytes) else data,
                     allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise ModelFileError(f"{filepath}: the weights are not a valid .npz archive of "
                             f"numeric arrays ({e}).") from None


def _set_from_arrays(model, arrays, filepath):
    for i, layer in enumerate(model.layers):
        for name, current in layer.params.items():
            key = f"layers/{i}/{name}"
            if key not in arrays:
                raise ModelFileError(
                    f"{filepath}: no weight '{name}' for layer {i} ('{layer.name}'). The file was "
                    "saved from a model with a different architecture.")
            value = arrays[key]
            if value.shape != current.shape:
                raise ModelFileError(
                    f"{filepath}: weight '{name}' of layer '{layer.name}' has shape {current.shape} "
                    f"in this model but {value.shape} in the file.")
            current[...] = value
    extra = [k for k in arrays if k.startswith("layers/")
             and int(k.split("/")[1]) >= len(model.layers)]
    if extra:
        raise ModelFileError(
            f"{filepath} holds weights for {len(extra)} more arrays than this model has "
            f"(e.g. {extra[0]}): the architectures differ.")


def _layer_registry(class_name):
    from nnlab import layers
    if not isinstance(class_name, str):
        raise ModelFileError(f"Invalid layer class name in the model file: {class_name!r}")
    try:
        return layers.get(class_name)
    except ValueError as e:
        raise ModelFileError(f"The model file uses a layer nnlab does not know: {e}") from None


def load_model(filepath, compile=True):
    """Rebuild a model saved with `model.save(filepath)`.

    Args:
        filepath: path to a `.keras` file written by nnlab.
        compile: also restore the optimizer (with its state), loss and metrics.
            Defaults to True.

    Returns:
        a `Sequential` or functional `Model` whose predictions equal the saved one's
        bit for bit; training goes on exactly as it would have on the saved model.

    Raises:
        ModelFileError: the file is not a zip, is corrupted, is a Keras (HDF5) file,
            or does not describe an nnlab model.

    Example:
        >>> model.save("mlp.keras")
        >>> restored = nnlab.models.load_model("mlp.keras")
    """
    from nnlab.models.functional import Functional
    from nnlab.models.sequential import Sequential

    config, arrays = _read_zip(filepath)
    classes = {"Sequential": Sequential, "Functional": Functional}
    class_name = config.get("class_name")
    if class_name not in classes:
        raise ModelFileError(f"{filepath}: unknown model class {class_name!r}; expected one of "
                             f"{sorted(classes)}.")
    try:
        model = classes[class_name].from_config(config["config"], _layer_registry)
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise ModelFileError(f"{filepath}: the architecture in {CONFIG_NAME} is invalid "
                             f"({type(e).__name__}: {e}).") from None
    _set_from_arrays(model, arrays, filepath)
    compile_config = config.get("compile_config")
    if compile and compile_config:
        from nnlab import losses, metrics as metrics_module, optimizers
        try:
            model.compile(optimizer=optimizers.get(compile_config["optimizer"]),
                          loss=losses.get(compile_config["loss"]),
                          metrics=[m if isinstance(m, str) else metrics_module.get(m)
                                   for m in compile_config["metrics"]])
        except (KeyError, TypeError) as e:
            raise ModelFileError(f"{filepath}: invalid compile settings ({e}).") from None
        state = {k[len("optimizer/"):]: v for k, v in arrays.items() if k.startswith("optimizer/")}
        if state:
            params, _ = model._params_and_grads()
            if not getattr(model.optimizer, "built", False):
                model.optimizer.build(params)
            model.optimizer.set_state(state)
    return model


def save_weights(model, filepath):
    """Write the model's parameters to `filepath`, which must end in `.weights.npz`."""
    filepath = _check_suffix(filepath, ".weights.npz", "save_weights()")
    model._require_built("which weights to save")
    with open(filepath, "wb") as f:
        f.write(_npz_bytes(_weights_arrays(model)))


def load_weights(model, filepath):
    """Load parameters saved by `save_weights` (or from a `.keras` model file) into `model`."""
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras"):
        _, arrays = _read_zip(filepath)
    else:
        _check_suffix(filepath, ".weights.npz", "load_weights()")
        if not os.path.exists(filepath):
            raise FileNotFoundError(f"No file found at {filepath}")
        with open(filepath, "rb") as f:
            arrays = _read_npz(f.read(), filepath)
    model._require_built("where to load the weights")
    _set_from_arrays(model, arrays, filepath)
