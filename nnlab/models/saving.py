"""Saving and loading models in Keras 3's file formats: JSON and HDF5 arrays, no code.

    model.save("mlp.keras")          # architecture + weights + compile settings + optimizer state
    model = load_model("mlp.keras")  # the same model, ready to predict or to go on training
    model.save_weights("mlp.weights.h5"); model.load_weights("mlp.weights.h5")

A `.keras` file is a zip with the three members Keras 3 writes, in Keras' own layout, so
real Keras opens nnlab's files (`keras.saving.load_model`) and nnlab opens Keras' files
when they use only layers and options nnlab has:

    metadata.json        {"keras_version": ..., "date_saved": ...}
    config.json          the architecture and compile settings (see keras_format.py)
    model.weights.h5     "layers/<dense|dense_1|...>/vars/<i>": each layer's weights
                         (a recurrent layer's under "layers/<lstm>/cell/vars/<i>");
                         "optimizer/vars/<i>": iterations, learning rate, the slots

`.weights.h5` files hold the same HDF5 tree on their own. Loading reads JSON and
numeric HDF5 datasets only (h5py, the library Keras itself uses), and builds layers
through nnlab's registry, so a model file never runs code.

nnlab's first format (config.json + model.weights.npz in the zip, `.weights.npz` files)
is still read; save again to get the Keras format.
"""
import datetime
import io
import json
import os
import zipfile
import zlib

import numpy as np

from nnlab.models import keras_format

CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
H5_NAME = "model.weights.h5"
LEGACY_NPZ_NAME = "model.weights.npz"
LEGACY_FORMAT = "nnlab.model"


class ModelFileError(ValueError):
    """A file given to `load_model` / `load_weights` is not a model or weights file nnlab can read."""


def _check_suffix(filepath, suffixes, what):
    filepath = os.fspath(filepath)
    if not str(filepath).endswith(suffixes):
        wanted = suffixes[0] if isinstance(suffixes, tuple) else suffixes
        raise ValueError(f"The filename for {what} must end in `{wanted}`, as in Keras 3. "
                         f"Received: filepath={filepath}")
    return filepath


# ---- HDF5 weights (Keras' layout) ----------------------------------------------------------
def _h5py():
    import h5py
    return h5py


def _write_h5(model, target):
    """Write every layer's weights (and the optimizer's state) under Keras' paths."""
    h5py = _h5py()
    with h5py.File(target, "w") as f:
        f.create_group("vars").attrs["name"] = model.name
        for path, layer in zip(keras_format.weight_paths(model), model.layers):
            group = f.create_group(f"{path}/vars")
            group.attrs["name"] = layer.name
            cell = getattr(layer, "keras_cell", None)     # Keras keeps an RNN's weights in its cell
            if cell:
                group = f.create_group(f"{path}/cell/vars")
                group.attrs["name"] = cell
            for i, value in enumerate(layer.params.values()):
                group.create_dataset(str(i), data=value)
        opt = model.optimizer if model.compiled else None
        if opt is not None:              # an unbuilt optimizer (no step yet): the first two only
            group = f.create_group("optimizer/vars")
            group.attrs["name"] = opt.name
            group.create_dataset("0", data=np.int64(opt.iterations))
            group.create_dataset("1", data=np.float32(opt.learning_rate))
            if getattr(opt, "built", False):
                state = opt.get_state()
                for i, key in enumerate(keras_format.optimizer_slot_keys(opt), start=2):
                    group.create_dataset(str(i), data=state[key])


def _numeric(dataset, where):
    value = dataset[()]
    value = np.asarray(value)
    if value.dtype.kind not in "biuf":
        raise ModelFileError(f"{where} holds data of type {value.dtype}, not numbers.")
    return value


def _read_h5(source, where):
    """{"layers": {path: [arrays]}, "optimizer": [arrays]} from a Keras-layout HDF5 file."""
    h5py = _h5py()
    try:
        with h5py.File(source, "r") as f:
            layers = {}
            if "layers" in f:
                for name, group in f["layers"].items():
                    sub = "cell/vars" if "cell/vars" in group and len(group["cell/vars"]) else "vars"
                    vars_ = group.get(sub)
                    if vars_ is None:
                        continue
                    keys = sorted(vars_.keys(), key=lambda k: int(k) if k.isdigit() else -1)
                    layers[f"layers/{name}"] = [_numeric(vars_[k], f"{where}: layers/{name}/{sub}/{k}")
                                                for k in keys]
            optimizer = []
            if "optimizer/vars" in f:
                vars_ = f["optimizer/vars"]
                keys = sorted(vars_.keys(), key=lambda k: int(k) if k.isdigit() else -1)
                optimizer = [_numeric(vars_[k], f"{where}: optimizer/vars/{k}") for k in keys]
            return {"layers": layers, "optimizer": optimizer}
    except (OSError, ValueError, KeyError) as e:
        if isinstance(e, ModelFileError):
            raise
        raise ModelFileError(f"{where} is not a readable HDF5 weights file ({e}).") from None


def _set_from_h5(model, data, where, with_optimizer):
    for path, layer in zip(keras_format.weight_paths(model), model.layers):
        arrays = data["layers"].get(path, [])
        if len(arrays) != len(layer.params):
            raise ModelFileError(
                f"{where}: layer '{layer.name}' ({type(layer).__name__}, stored as '{path}') has "
                f"{len(layer.params)} weight arrays in this model, {len(arrays)} in the file: "
                "the architectures differ.")
        for (name, current), value in zip(layer.params.items(), arrays):
            if value.shape != current.shape:
                raise ModelFileError(
                    f"{where}: weight '{name}' of layer '{layer.name}' has shape {current.shape} in "
                    f"this model but {value.shape} in the file.")
        for current, value in zip(layer.params.values(), arrays):
            current[...] = value
    extra = set(data["layers"]) - set(keras_format.weight_paths(model))
    if any(data["layers"][k] for k in extra):
        raise ModelFileError(f"{where} holds weights for layers this model does not have "
                             f"({sorted(extra)[:3]}): the architectures differ.")
    opt_vars = data["optimizer"]
    # 2 variables (iterations, learning rate): the optimizer never took a step, nothing to restore
    if with_optimizer and model.compiled and len(opt_vars) > 2:
        params, _ = model._params_and_grads()
        opt = model.optimizer
        if not getattr(opt, "built", False):
            opt.build(params)
        keys = keras_format.optimizer_slot_keys(opt)
        if len(opt_vars) - 2 == len(keys):
            state = {"iterations": np.int64(opt_vars[0])}
            state.update(zip(keys, opt_vars[2:]))
            opt.set_state(state)
        else:
            import warnings
            warnings.warn(f"{where}: the optimizer state in the file ({len(opt_vars)} variables) "
                          f"does not fit {type(opt).__name__} ({len(keys) + 2}); it starts afresh.",
                          stacklevel=3)


# ---- the .keras zip --------------------------------------------------------------------------
def _check_overwrite(filepath, overwrite):
    """Keras asks before replacing a file when overwrite=False; nnlab refuses instead."""
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} already exists and overwrite=False. Pass "
                              "overwrite=True (the default) to replace it, or choose another name.")


def save_model(model, filepath, overwrite=True):
    """Write `model` to `filepath` (a `.keras` zip in Keras 3's format): see the module docstring.

    With `overwrite=False` an existing file is an error (Keras asks at the prompt).
    """
    filepath = _check_suffix(filepath, ".keras", "model.save()")
    _check_overwrite(filepath, overwrite)
    model._require_built("what to save")
    if _is_sequential(model):
        config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
                  "build_config": {"input_shape": list(model.input_shape)}}
    else:                              # Keras 3 writes functional models this way
        config = {"module": "keras.src.models.functional", "class_name": "Functional",
                  "registered_name": "Functional", "build_config": {"input_shape": None}}
    config.update(config=keras_format.model_config(model),
                  compile_config=keras_format.compile_config(model))
    metadata = {"keras_version": keras_format.KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
                "saved_by": "nnlab"}
    weights = io.BytesIO()
    _write_h5(model, weights)
    with zipfile.ZipFile(filepath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(METADATA_NAME, json.dumps(metadata))
        zf.writestr(CONFIG_NAME, json.dumps(config))
        zf.writestr(H5_NAME, weights.getvalue())


def _is_sequential(model):
    from nnlab.models.sequential import Sequential
    return isinstance(model, Sequential)


def _read_zip(filepath):
    """(config dict, weights member name, its bytes) from a `.keras` file, with clear errors."""
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file or directory found at {filepath}")
    if not zipfile.is_zipfile(filepath):
        raise ModelFileError(
            f"{filepath} is not a zip file, so it is not a model saved by model.save(). "
            "(The file may be corrupted, truncated, or in another format, e.g. Keras 2's .h5.)")
    try:
        with zipfile.ZipFile(filepath) as zf:
            names = set(zf.namelist())
            weights = H5_NAME if H5_NAME in names else LEGACY_NPZ_NAME
            if CONFIG_NAME not in names or weights not in names:
                raise ModelFileError(
                    f"{filepath} is a zip file but not a Keras 3 model: expected the members "
                    f"{CONFIG_NAME} and {H5_NAME}, found {sorted(names)[:10]}.")
            config = json.loads(zf.read(CONFIG_NAME).decode("utf-8"))
            data = zf.read(weights)
    except (zipfile.BadZipFile, zlib.error, EOFError) as e:
        raise ModelFileError(f"{filepath} is a corrupted zip file ({e}).") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelFileError(f"{filepath}: {CONFIG_NAME} is not valid JSON ({e}).") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{filepath}: {CONFIG_NAME} does not describe a model.")
    return config, weights, data


def _layer_registry(class_name):
    from nnlab import layers
    if not isinstance(class_name, str):
        raise ModelFileError(f"Invalid layer class name in the model file: {class_name!r}")
    try:
        return layers.get(class_name)
    except ValueError as e:
        raise ModelFileError(f"The model file uses a layer nnlab does not have: {e}") from None


def load_model(filepath, compile=True):
    """Rebuild a model saved with `model.save(filepath)`, by nnlab or by Keras 3.

    Args:
        filepath: path to a `.keras` file.
        compile: also restore the optimizer (with its state), loss and metrics.
            Defaults to True.

    Returns:
        a `Sequential` or functional `Model` whose predictions equal the saved one's;
        training goes on as it would have on the saved model.

    Raises:
        ModelFileError: the file is not a zip, is corrupted, or uses a layer or an option
            nnlab does not have (the message names it).

    Example:
        >>> model.save("mlp.keras")
        >>> restored = nnlab.models.load_model("mlp.keras")
    """
    config, weights_name, data = _read_zip(filepath)
    if weights_name == LEGACY_NPZ_NAME:
        return _legacy_load_model(config, data, filepath, compile)
    part = "the architecture"
    try:
        model = keras_format.nnlab_model(config, _layer_registry)
        compile_config = config.get("compile_config")
        if compile and compile_config:
            part = "the compile settings (optimizer, loss, metrics)"
            optimizer, loss, metrics = keras_format.nnlab_compile_args(compile_config)
            model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    except ModelFileError:
        raise
    except keras_format.KerasFormatError as e:
        raise ModelFileError(f"{os.fspath(filepath)}: {e}") from None
    except (KeyError, TypeError, ValueError, IndexError) as e:
        hint = (" Load it with compile=False to get the model without them."
                if part != "the architecture" else "")
        raise ModelFileError(f"{os.fspath(filepath)}: {part} in {CONFIG_NAME} is invalid "
                             f"({type(e).__name__}: {e}).{hint}") from None
    _set_from_h5(model, _read_h5(io.BytesIO(data), os.fspath(filepath)), os.fspath(filepath),
                 with_optimizer=compile)
    return model


def save_weights(model, filepath, overwrite=True):
    """Write the model's weights (and optimizer state) to a `.weights.h5` file, as Keras 3."""
    filepath = _check_suffix(filepath, ".weights.h5", "save_weights()")
    _check_overwrite(filepath, overwrite)
    model._require_built("which weights to save")
    _write_h5(model, filepath)


def load_weights(model, filepath, skip_mismatch=False):
    """Load weights from a `.weights.h5` file (nnlab's or Keras'), or from a `.keras` file.

    The model must already have its architecture and be built (as in Keras 3): the file
    holds arrays only, matched to the model's layers in order. `skip_mismatch=True`
    (skip layers whose weights do not fit) is not supported: a mismatch is an error.
    """
    if skip_mismatch:
        raise NotImplementedError("nnlab does not support load_weights(skip_mismatch=True): a "
                                  "layer whose weights do not fit is an error, naming the layer.")
    filepath = os.fspath(filepath)
    _check_suffix(filepath, (".weights.h5", ".keras", ".weights.npz"), "load_weights()")
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file found at {filepath}")
    model._require_built("where to load the weights")
    if filepath.endswith(".weights.npz"):
        with open(filepath, "rb") as f:
            _legacy_set_from_arrays(model, _read_npz(f.read(), filepath), filepath)
        return
    if filepath.endswith(".keras"):
        _, weights_name, data = _read_zip(filepath)
        if weights_name == LEGACY_NPZ_NAME:
            _legacy_set_from_arrays(model, _read_npz(data, filepath), filepath)
            return
        source = io.BytesIO(data)
    else:
        source = filepath
    _set_from_h5(model, _read_h5(source, filepath), filepath, with_optimizer=True)


# ---- nnlab's first format (read only) -----------------------------------------------------------
def _read_npz(data, filepath):
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise ModelFileError(f"{filepath}: the weights are not a valid .npz archive of "
                             f"numeric arrays ({e}).") from None


def _legacy_set_from_arrays(model, arrays, filepath, layer_names=None):
    """Arrays "layers/<i>/<name>", i counting the layers in the order the file lists them."""
    layers = model.layers if layer_names is None else [model.get_layer(n) for n in layer_names]
    for i, layer in enumerate(layers):
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
             and int(k.split("/")[1]) >= len(layers)]
    if extra:
        raise ModelFileError(
            f"{filepath} holds weights for {len(extra)} more arrays than this model has "
            f"(e.g. {extra[0]}): the architectures differ.")


def _legacy_load_model(config, data, filepath, compile):
    from nnlab import losses, metrics as metrics_module, optimizers
    from nnlab.models.functional import Functional
    from nnlab.models.sequential import Sequential

    if config.get("format") != LEGACY_FORMAT:
        raise ModelFileError(f"{filepath}: {CONFIG_NAME} does not describe a model.")
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
    arrays = _read_npz(data, filepath)
    names = [entry["config"]["name"] for entry in config["config"]["layers"]]
    if class_name == "Sequential":
        names = [n for n, e in zip(names, config["config"]["layers"]) if e["class_name"] != "InputLayer"]
    _legacy_set_from_arrays(model, arrays, filepath, names)
    compile_config = config.get("compile_config")
    if compile and compile_config:
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
