"""Saving: one `.keras` zip (config.json + model.weights.npz), bit-exact round trips, safe loading."""
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
    model, _, _ = trained_mlp()
    path = tmp_path / "mlp.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "model.weights.npz"]
        config = json.loads(zf.read("config.json"))
        arrays = np.load(io.BytesIO(zf.read("model.weights.npz")), allow_pickle=False)
        keys = set(arrays.files)
    assert config["format"] == "nnlab.model" and config["class_name"] == "Sequential"
    assert "nnlab_version" in config
    assert [layer["class_name"] for layer in config["config"]["layers"]] == [
        "InputLayer", "Dense", "Dropout", "Dense"]
    assert config["compile_config"]["loss"]["class_name"] == "SparseCategoricalCrossentropy"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    assert config["compile_config"]["metrics"] == ["accuracy"]
    assert {"layers/0/kernel", "layers/0/bias", "layers/2/kernel", "layers/2/bias"} <= keys
    assert "optimizer/iterations" in keys


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
    with pytest.raises(ValueError, match=r"`\.weights\.npz`.*`\.weights\.h5`"):
        model.save_weights(tmp_path / "w.weights.h5")


def test_save_and_load_weights(tmp_path):
    model, x, _ = trained_mlp()
    model.save_weights(tmp_path / "w.weights.npz")
    utils.set_random_seed(9)
    other = Sequential([Input(shape=(6,)), Dense(8, activation="relu"), Dropout(0.2),
                        Dense(3, activation="softmax")])
    assert not np.array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    other.load_weights(tmp_path / "w.weights.npz")
    assert np.array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    wrong = Sequential([Input(shape=(6,)), Dense(5), Dense(3)])
    with pytest.raises(ModelFileError, match=r"shape \(6, 5\).*\(6, 8\)"):
        wrong.load_weights(tmp_path / "w.weights.npz")


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
    corrupted = bytearray(data)
    start = data.index(b"model.weights.npz") + 40          # inside the compressed weights
    corrupted[start:start + 64] = b"\x00" * 64
    (tmp_path / "bad.keras").write_bytes(bytes(corrupted))
    with pytest.raises(ModelFileError):
        load_model(tmp_path / "bad.keras")


def test_zip_that_is_not_a_model(tmp_path):
    path = _zip(tmp_path / "other.keras", {"readme.txt": "hi"})
    with pytest.raises(ModelFileError, match="not an nnlab model"):
        load_model(path)
    path = _zip(tmp_path / "fake.keras", {"config.json": '{"format": "something"}',
                                         "model.weights.npz": b""})
    with pytest.raises(ModelFileError, match="does not describe an nnlab model"):
        load_model(path)
    path = _zip(tmp_path / "json.keras", {"config.json": "{not json", "model.weights.npz": b""})
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(path)


def test_real_keras_file_is_refused(tmp_path):
    keras_config = {"module": "keras", "class_name": "Sequential", "config": {"layers": []}}
    path = _zip(tmp_path / "keras_model.keras", {
        "metadata.json": json.dumps({"keras_version": "3.3.3"}),
        "config.json": json.dumps(keras_config),
        "model.weights.h5": b"\x89HDF\r\n\x1a\n" + b"\x00" * 64})
    with pytest.raises(ModelFileError, match=r"saved by Keras.*HDF5"):
        load_model(path)


def test_unknown_layer_or_pickled_weights_are_refused(tmp_path):
    model, _, _ = trained_mlp()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.npz")
    config["config"]["layers"][1]["class_name"] = "os.system"
    path = _zip(tmp_path / "evil.keras", {"config.json": json.dumps(config), "model.weights.npz": weights})
    with pytest.raises(ModelFileError, match="layer nnlab does not know"):
        load_model(path)
    buffer = io.BytesIO()
    np.savez(buffer, **{"layers/0/kernel": np.array([{"a": 1}], dtype=object)})
    config["config"]["layers"][1]["class_name"] = "Dense"
    path = _zip(tmp_path / "pickled.keras", {"config.json": json.dumps(config),
                                            "model.weights.npz": buffer.getvalue()})
    with pytest.raises(ModelFileError, match="numeric arrays"):
        load_model(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nothing.keras")
