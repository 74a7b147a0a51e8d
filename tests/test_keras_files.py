"""Files move both ways between nnlab and real Keras 3 (the optional oracle).

Skipped unless Keras 3 is installed (`pip install -e ".[keras]"`: Keras with its JAX
backend on the CPU). Each test builds a model on one side, saves it, opens it on the
other side and compares predictions.
"""
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import nnlab  # noqa: E402
from nnlab import layers as L  # noqa: E402
from nnlab.models import Model, ModelFileError, Sequential, load_model  # noqa: E402

RNG = np.random.default_rng(0)
IMAGES = RNG.random((16, 8, 8, 1)).astype("float32")
LABELS = RNG.integers(0, 3, 16)


def nnlab_cnn():
    nnlab.utils.set_random_seed(1)
    inp = L.Input(shape=(8, 8, 1))
    x = L.RandomFlip("horizontal", seed=3)(inp)
    x = L.Conv2D(4, 3, padding="same", kernel_regularizer=nnlab.regularizers.L2(1e-3))(x)
    x = L.BatchNormalization()(x)
    x = L.ReLU(max_value=6.0)(x)
    x = L.MaxPooling2D()(x)
    a = L.Flatten()(x)
    g = L.GlobalMaxPooling2D()(x)
    b = L.Dense(4, activation="tanh")(a)
    c = L.Dense(4)(g)
    s = L.Add()([b, c])
    j = L.Concatenate()([s, L.LeakyReLU(0.1)(c)])
    out = L.Softmax()(L.Dense(3)(L.Dropout(0.3)(j)))
    model = Model(inp, out)
    model.compile(optimizer=nnlab.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(IMAGES, LABELS, epochs=2, batch_size=8, verbose=0)
    return model


def keras_cnn():
    keras.utils.set_random_seed(2)
    inp = keras.Input(shape=(8, 8, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.MaxPooling2D()(x)
    a = keras.layers.Dense(5)(keras.layers.Flatten()(x))
    b = keras.layers.Dense(5)(keras.layers.GlobalAveragePooling2D()(x))
    j = keras.layers.Concatenate()([keras.layers.Add()([a, b]), b])
    out = keras.layers.Dense(3, activation="softmax")(keras.layers.Dropout(0.2)(j))
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(IMAGES, LABELS, epochs=2, batch_size=8, verbose=0)
    return model


def test_nnlab_model_opens_in_keras_with_the_same_predictions(tmp_path):
    model = nnlab_cnn()
    model.save(tmp_path / "n.keras")
    theirs = keras.saving.load_model(tmp_path / "n.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(IMAGES, verbose=0)),
                               model.predict(IMAGES, verbose=0), rtol=1e-5, atol=1e-6)
    assert int(theirs.optimizer.iterations) == model.optimizer.iterations == 4
    assert [type(layer).__name__ for layer in theirs.layers] == [
        type(layer).__name__ for layer in model.layers]


def test_sequential_mlp_and_weights_file_both_ways(tmp_path):
    nnlab.utils.set_random_seed(0)
    ours = Sequential([L.Input(shape=(64,)), L.Dense(16, activation="relu"), L.Dropout(0.2),
                       L.Dense(10, activation="softmax")])
    ours.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = IMAGES.reshape(16, 64)
    ours.fit(x, LABELS, epochs=1, verbose=0)
    ours.save(tmp_path / "mlp.keras")
    theirs = keras.saving.load_model(tmp_path / "mlp.keras")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    # Keras trains on, saves weights; nnlab loads them into its own copy of the architecture
    theirs.fit(x, LABELS, epochs=1, verbose=0)
    theirs.save_weights(tmp_path / "k.weights.h5")
    ours.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(theirs.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)
    # and back: nnlab's weights file into the Keras model
    ours.fit(x, LABELS, epochs=1, verbose=0)
    ours.save_weights(tmp_path / "n.weights.h5")
    theirs.load_weights(tmp_path / "n.weights.h5")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), ours.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_keras_model_opens_in_nnlab_and_trains_on_alike(tmp_path):
    theirs = keras_cnn()
    theirs.save(tmp_path / "k.keras")
    ours = load_model(tmp_path / "k.keras")
    np.testing.assert_allclose(ours.predict(IMAGES, verbose=0),
                               np.asarray(theirs.predict(IMAGES, verbose=0)), rtol=1e-5, atol=1e-6)
    assert ours.optimizer.iterations == int(theirs.optimizer.iterations)
    # one more SGD-with-momentum step on each side from the restored state: same weights
    xb, yb = IMAGES[:8], LABELS[:8]
    theirs.layers[-2].rate = ours.layers[-2].rate = 0.0          # no random dropout mask
    theirs.train_on_batch(xb, yb)
    ours.train_on_batch(xb, yb)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)


def test_keras_layer_nnlab_lacks_gets_a_clear_error(tmp_path):
    model = keras.Sequential([keras.Input(shape=(5, 3)), keras.layers.LayerNormalization(),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.save(tmp_path / "norm.keras")
    with pytest.raises(ModelFileError, match="Unknown layer: 'LayerNormalization'"):
        load_model(tmp_path / "norm.keras")


def test_keras_text_model_opens_in_nnlab(tmp_path):
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Embedding(50, 8),
                              keras.layers.LSTM(6, return_sequences=True), keras.layers.GRU(4),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x = RNG.integers(0, 50, size=(16, 10))
    model.fit(x, RNG.integers(0, 2, 16), epochs=1, verbose=0)
    model.save(tmp_path / "text.keras")
    ours = load_model(tmp_path / "text.keras")
    np.testing.assert_allclose(ours.predict(x, verbose=0), np.asarray(model.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)


def test_compiled_but_untrained_models_keep_keras_optimizer_layout(tmp_path):
    import io
    import warnings
    import zipfile

    import h5py
    # Keras writes an optimizer that never stepped as two variables (iterations, learning
    # rate); nnlab reads that without a warning and writes the same two.
    theirs = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    theirs.compile(optimizer="adam", loss="mse")
    theirs.save(tmp_path / "k.keras")
    ours = Sequential([L.Input(shape=(4,)), L.Dense(2)])
    ours.compile(optimizer="adam", loss="mse")
    ours.save(tmp_path / "n.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        restored = load_model(tmp_path / "k.keras")
    assert restored.optimizer.iterations == 0 and restored.optimizer.built is False

    def optimizer_vars(path):
        with zipfile.ZipFile(path) as zf, h5py.File(io.BytesIO(zf.read("model.weights.h5"))) as f:
            return sorted(f["optimizer/vars"].keys())
    assert optimizer_vars(tmp_path / "n.keras") == optimizer_vars(tmp_path / "k.keras") == ["0", "1"]


def test_keras_auc_metric_with_its_defaults_loads(tmp_path):
    # keras.metrics.AUC() writes summation_method='interpolation' (its default), which
    # changes nothing for nnlab's AUC; a non-default value is refused by name
    keras.backend.clear_session()           # Keras names an AUC created before this one 'auc_1'
    theirs = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1, activation="sigmoid")])
    theirs.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[keras.metrics.AUC()])
    theirs.save(tmp_path / "auc.keras")
    assert [m.name for m in load_model(tmp_path / "auc.keras").compiled_metrics] == ["auc"]
    theirs.compile(optimizer="sgd", loss="binary_crossentropy",
                   metrics=[keras.metrics.AUC(summation_method="minoring")])
    theirs.save(tmp_path / "minoring.keras")
    with pytest.raises(ModelFileError, match="summation_method='minoring'"):
        load_model(tmp_path / "minoring.keras")


def test_keras_loss_nnlab_lacks_is_named_as_a_compile_setting(tmp_path):
    theirs = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    theirs.compile(optimizer="sgd", loss=keras.losses.Huber())
    theirs.save(tmp_path / "huber.keras")
    with pytest.raises(ModelFileError, match=r"the compile settings .* invalid .*Unknown loss: "
                                             r"'huber'.*compile=False"):
        load_model(tmp_path / "huber.keras")
    assert load_model(tmp_path / "huber.keras", compile=False).compiled is False
