"""End to end: an MLP and a small CNN learn the 8x8 digits (fixed seed, accuracy only)."""
import numpy as np
import pytest

from nnlab import utils
from nnlab.datasets import digits
from nnlab.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from nnlab.models import Sequential
from nnlab.optimizers import Adam


@pytest.fixture(scope="module")
def data():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape[1:] == (8, 8) and x_test.shape[1:] == (8, 8)
    return (x_train / 16.0, y_train), (x_test / 16.0, y_test)


def test_mlp_reaches_95_percent(data):
    (x_train, y_train), (x_test, y_test) = data
    utils.set_random_seed(0)
    model = Sequential([Input(shape=(8, 8)), Flatten(), Dense(64, activation="relu"),
                        Dense(10, activation="softmax")])
    model.compile(optimizer=Adam(learning_rate=0.005), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=20, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    # the same number, counted independently of the metric
    predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
    assert accuracy == pytest.approx(np.mean(predicted == y_test))
    assert accuracy >= 0.95
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_cnn_reaches_97_percent(data):
    (x_train, y_train), (x_test, y_test) = data
    utils.set_random_seed(0)
    model = Sequential([Input(shape=(8, 8, 1)), Conv2D(16, (3, 3), activation="relu"),
                        MaxPooling2D((2, 2)), Flatten(), Dense(64, activation="relu"),
                        Dense(10, activation="softmax")])
    model.compile(optimizer=Adam(learning_rate=0.005), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train[..., None], y_train, epochs=15, batch_size=32, verbose=0)
    predicted = np.argmax(model.predict(x_test[..., None], verbose=0), axis=1)
    assert np.mean(predicted == y_test) >= 0.97
