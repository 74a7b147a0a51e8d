"""Saving in Keras 3's formats (`.keras` zip, `.weights.h5`), bit-exact round trips, safe loading."""
import io
import json
import zipfile

import numpy as np
import pytest

from nnlab import utils
from nnlab.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from nnlab.models import Model, ModelFileError, NotBuiltError, Sequential, load_model
from nnlab.optimizers import Adam


def trained_mlp():
    utils.set_random_seed(0)
    model = Sequential([Input(shape=(6,)), Dense(8, activation="relu"), Dropout(0.2),
                        Dense(3, activation="softmax")], name="mlp")
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)).astype("float32")
    y = rng.integers(0, 3, size=40)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    return model, x, y


def test_file_layout(tmp_path):
    import h5py
    model, _, _ = trained_mlp()
    path = tmp_path / "mlp.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(zf.read("config.json"))
        metadata = json.loads(zf.read("metadata.json"))
        (tmp_path / "w.h5").write_bytes(zf.read("model.weights.h5"))
    assert metadata["keras_version"].startswith("3.")
    assert config["module"] == "keras" and config["class_name"] == "Sequential"
    layers = config["config"]["layers"]
    assert [layer["class_name"] for layer in layers] == ["InputLayer", "Dense", "Dropout", "Dense"]
    assert layers[0]["config"]["batch_shape"] == [None, 6]
    assert layers[1]["config"]["dtype"]["config"]["name"] == "float32"
    assert layers[1]["build_config"] == {"input_shape": [None, 6]}
    assert config["compile_config"]["loss"] == "sparse_categorical_crossentropy"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["metrics"] == ["accuracy"]
    with h5py.File(tmp_path / "w.h5") as f:
        names = []
        f.visit(names.append)
        assert f["layers/dense/vars"].attrs["name"] == model.layers[0].name
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()], model.layers[0].get_weights()[0])
        np.testing.assert_array_equal(f["layers/dense_1/vars/1"][()], model.layers[2].get_weights()[1])
        assert "layers/dropout/vars" in names
        assert int(f["optimizer/vars/0"][()]) == model.optimizer.iterations == 10
        # Adam in Keras' order: m and v of each variable in turn, after iterations and lr
        assert [f[f"optimizer/vars/{i}"].shape for i in range(2, 6)] == [(6, 8), (6, 8), (8,), (8,)]


def test_round_trip_is_bit_exact(tmp_path):
    model, x, _ = trained_mlp()
    model.save(tmp_path / "m.keras")
    restored = load_model(tmp_path / "m.keras")
    assert type(restored) is Sequential and restored.name == "mlp"
    assert [type(layer).__name__ for layer in restored.layers] == ["Dense", "Dropout", "Dense"]
    for a, b in zip(model.get_weights(), restored.get_weights()):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert np.array_equal(model.predict(x, verbose=0), restored.predict(x, verbose=0))
    assert restored.optimizer.iterations == model.optimizer.iterations == 10


def test_float64_model_keeps_its_dtype(tmp_path):
    from nnlab.config import floatx_scope
    with floatx_scope("float64"):
        model = Sequential([Input(shape=(3,)), Dense(2)])
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert [w.dtype for w in loaded.get_weights()] == [np.float64, np.float64]
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        assert np.array_equal(a, b)



def test_layer_dtype_given_as_numpy_type_saves(tmp_path):
    # Keras 3 takes dtype=np.float64 or np.dtype("float64") and writes "float64"
    for dtype in (np.float64, np.dtype("float64"), "float64"):
        model = Sequential([Input(shape=(3,)), Dense(2, dtype=dtype)])
        assert model.layers[0].get_config()["dtype"] == "float64"
        model.save(tmp_path / "m.keras")
        assert load_model(tmp_path / "m.keras").get_weights()[0].dtype == np.float64
    with pytest.raises(ValueError, match="no mixed-precision policies"):
        Dense(2, dtype="mixed_float16")
    with pytest.raises(ValueError, match="Received: dtype='bogus'"):
        Dense(2, dtype="bogus")

def test_training_goes_on_identically(tmp_path):
    model, x, y = trained_mlp()
    model.save(tmp_path / "m.keras")
    restored = load_model(tmp_path / "m.keras")
    utils.set_random_seed(123)
    h1 = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    utils.set_random_seed(123)
    h2 = restored.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert h1.history == h2.history
    for a, b in zip(model.get_weights(), restored.get_weights()):
        assert np.array_equal(a, b)


def test_functional_cnn_round_trip(tmp_path):
    utils.set_random_seed(1)
    inp = Input(shape=(6, 6, 1))
    h = MaxPooling2D((2, 2))(Conv2D(4, (3, 3), activation="relu")(inp))
    out = Dense(2, activation="softmax")(Flatten()(h))
    model = Model(inputs=inp, outputs=out, name="tiny_cnn")
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    x = np.random.default_rng(2).normal(size=(5, 6, 6, 1))
    model.save(tmp_path / "cnn.keras")
    restored = load_model(tmp_path / "cnn.keras")
    assert isinstance(restored, Model) and restored.name == "tiny_cnn"
    assert np.array_equal(model.predict(x, verbose=0), restored.predict(x, verbose=0))
    assert restored.optimizer.built is False             # never trained: no state saved


def test_uncompiled_and_lazy_models(tmp_path):
    model = Sequential([Dense(2)])
    with pytest.raises(NotBuiltError, match=r"input_shape=.*Input\(shape=\.\.\.\)"):
        model.save(tmp_path / "lazy.keras")
    model.predict(np.ones((1, 3)), verbose=0)                # builds from data
    model.save(tmp_path / "lazy.keras")
    restored = load_model(tmp_path / "lazy.keras")
    assert not restored.compiled
    assert np.array_equal(restored.predict(np.ones((1, 3)), verbose=0),
                          model.predict(np.ones((1, 3)), verbose=0))


def test_suffixes(tmp_path):
    model, _, _ = trained_mlp()
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        model.save(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.save_weights(tmp_path / "w.h5")


def test_save_and_load_weights(tmp_path):
    model, x, _ = trained_mlp()
    model.save_weights(tmp_path / "w.weights.h5")
    utils.set_random_seed(9)
    other = Sequential([Input(shape=(6,)), Dense(8, activation="relu"), Dropout(0.2),
                        Dense(3, activation="softmax")])
    assert not np.array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    other.load_weights(tmp_path / "w.weights.h5")
    assert np.array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    other.load_weights(tmp_path / "w.weights.h5")                  # uncompiled: weights only
    wrong = Sequential([Input(shape=(6,)), Dense(5), Dense(3)])
    with pytest.raises(ModelFileError, match=r"shape \(6, 5\).*\(6, 8\)"):
        wrong.load_weights(tmp_path / "w.weights.h5")
    unbuilt = Sequential([Dense(8), Dense(3)])
    with pytest.raises(NotBuiltError):
        unbuilt.load_weights(tmp_path / "w.weights.h5")


def test_first_nnlab_format_still_loads(tmp_path):
    """Files of nnlab 0.1 (config.json + model.weights.npz; .weights.npz) keep loading."""
    model, x, _ = trained_mlp()
    arrays = {f"layers/{i}/{k}": v for i, layer in enumerate(model.layers)
              for k, v in layer.params.items()}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    legacy = {"format": "nnlab.model", "format_version": 1, "class_name": "Sequential",
              "config": model.get_config(), "compile_config": None}
    path = _zip(tmp_path / "old.keras", {"config.json": json.dumps(legacy),
                                        "model.weights.npz": buffer.getvalue()})
    assert np.array_equal(load_model(path).predict(x, verbose=0), model.predict(x, verbose=0))
    (tmp_path / "old.weights.npz").write_bytes(buffer.getvalue())
    other = Sequential([Input(shape=(6,)), Dense(8, activation="relu"), Dropout(0.2), Dense(3)])
    other.load_weights(tmp_path / "old.weights.npz")
    np.testing.assert_array_equal(other.layers[0].get_weights()[0], model.layers[0].get_weights()[0])


# ---- files that are not nnlab models: clear errors, nothing executed ------------------------
def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_not_a_zip(tmp_path):
    path = tmp_path / "text.keras"
    path.write_text("hello")
    with pytest.raises(ModelFileError, match="not a zip file"):
        load_model(path)


def test_corrupted_file(tmp_path):
    model, _, _ = trained_mlp()
    model.save(tmp_path / "m.keras")
    data = (tmp_path / "m.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "cut.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["model.weights.h5"] = members["model.weights.h5"][:200]          # truncated HDF5
    with pytest.raises(ModelFileError, match="not a readable HDF5"):
        load_model(_zip(tmp_path / "bad.keras", members))


def test_zip_that_is_not_a_model(tmp_path):
    path = _zip(tmp_path / "other.keras", {"readme.txt": "hi"})
    with pytest.raises(ModelFileError, match="not a Keras 3 model"):
        load_model(path)
    path = _zip(tmp_path / "fake.keras", {"config.json": '{"format": "something"}',
                                         "model.weights.npz": b""})
    with pytest.raises(ModelFileError, match="does not describe a model"):
        load_model(path)
    path = _zip(tmp_path / "json.keras", {"config.json": "{not json", "model.weights.h5": b""})
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(path)


def _members(model, tmp_path):
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_layers_and_options_nnlab_lacks_are_named(tmp_path):
    model, _, _ = trained_mlp()
    members = _members(model, tmp_path)
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["class_name"] = "LayerNormalization"
    members["config.json"] = json.dumps(config)
    with pytest.raises(ModelFileError, match="layer nnlab does not have: Unknown layer: 'LayerNormalization'"):
        load_model(_zip(tmp_path / "norm.keras", members))
    config["config"]["layers"][1]["class_name"] = "Dense"
    config["config"]["layers"][1]["config"]["kernel_constraint"] = {
        "module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2}}
    members["config.json"] = json.dumps(config)
    with pytest.raises(ModelFileError, match=r"option kernel_constraint is a MaxNorm object"):
        load_model(_zip(tmp_path / "constraint.keras", members))
    config["config"]["layers"][1]["config"]["kernel_constraint"] = None      # the default: fine
    config["config"]["layers"][1]["config"]["lora_rank"] = 4
    members["config.json"] = json.dumps(config)
    with pytest.raises(ModelFileError, match=r"option lora_rank=4, which nnlab's Dense does not have"):
        load_model(_zip(tmp_path / "lora.keras", members))


def test_unknown_layer_or_non_numeric_weights_are_refused(tmp_path):
    import h5py
    model, _, _ = trained_mlp()
    members = _members(model, tmp_path)
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["class_name"] = "os.system"
    evil = dict(members, **{"config.json": json.dumps(config)})
    with pytest.raises(ModelFileError, match="layer nnlab does not have"):
        load_model(_zip(tmp_path / "evil.keras", evil))
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.array([b"import os"], dtype=object),
                         dtype=h5py.string_dtype())
    strings = dict(members, **{"model.weights.h5": buffer.getvalue()})
    with pytest.raises(ModelFileError, match="not numbers"):
        load_model(_zip(tmp_path / "strings.keras", strings))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nothing.keras")


def test_keras_save_and_load_arguments(tmp_path):
    # Keras 3: model.save(path, overwrite=True), model.save_weights(path, overwrite=True),
    # model.load_weights(path, skip_mismatch=False) are all valid calls
    model = Sequential([Input(shape=(3,)), Dense(2)])
    model.save(tmp_path / "m.keras", overwrite=True)
    model.save(tmp_path / "m.keras", overwrite=True)
    model.save_weights(tmp_path / "m.weights.h5", overwrite=True)
    model.load_weights(tmp_path / "m.weights.h5", skip_mismatch=False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.keras", overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save_weights(tmp_path / "m.weights.h5", overwrite=False)
    model.save(tmp_path / "new.keras", overwrite=False)
    with pytest.raises(NotImplementedError, match="skip_mismatch=True"):
        model.load_weights(tmp_path / "m.weights.h5", skip_mismatch=True)
