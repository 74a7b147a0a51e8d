"""Callbacks: EarlyStopping on scripted sequences, ModelCheckpoint files, LambdaCallback, History."""
import os

import numpy as np
import pytest

from nnlab import utils
from nnlab.callbacks import (Callback, CallbackList, EarlyStopping, History, LambdaCallback,
                             ModelCheckpoint)
from nnlab.layers import Dense, Input
from nnlab.models import Sequential, load_model


class FakeModel:
    """Stands in for a model: weights are [epoch number] after each scripted epoch."""

    def __init__(self):
        self.stop_training = False
        self.weights = [np.array(-1.0)]
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, path):
        self.saved.append(path)

    save_weights = save


def run(callback, values, monitor="val_loss"):
    """Feed `values` as the monitored quantity, epoch by epoch; return the epochs run."""
    model = FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    epochs = 0
    for epoch, value in enumerate(values):
        model.weights = [np.array(float(epoch))]
        callback.on_epoch_end(epoch, {monitor: value})
        epochs += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs, model


@pytest.mark.parametrize("values, kwargs, epochs_run", [
    # best 0.9 at epoch 1; epochs 2 and 3 do not improve: wait reaches 2 at epoch 3
    ([1.0, 0.9, 0.95, 0.97, 0.85], {"patience": 2}, 4),
    # patience 0: the first epoch without improvement stops
    ([1.0, 0.9, 0.95, 0.5], {"patience": 0}, 3),
    # min_delta 0.1: 0.95 is not 0.1 below 1.0
    ([1.0, 0.95, 0.85, 0.84], {"patience": 1, "min_delta": 0.1}, 2),
    # min_delta 0.1: 0.85 is, 0.80 is not below 0.85 - 0.1
    ([1.0, 0.85, 0.80, 0.2], {"patience": 1, "min_delta": 0.1}, 3),
    # a baseline never beaten: the wait is never reset, so stop one epoch earlier
    ([0.8, 0.9, 0.9, 0.9], {"patience": 2}, 3),
    ([0.8, 0.9, 0.9, 0.9], {"patience": 2, "baseline": 0.5}, 2),
    # warm-up: epochs 0 and 1 are not monitored
    ([1.0, 2.0, 3.0, 4.0], {"patience": 0}, 2),
    ([1.0, 2.0, 3.0, 4.0], {"patience": 0, "start_from_epoch": 2}, 4),
    # always improving: never stops
    ([5.0, 4.0, 3.0, 2.0], {"patience": 0}, 4),
])
def test_early_stopping_scripted(values, kwargs, epochs_run):
    assert run(EarlyStopping(**kwargs), values)[0] == epochs_run


def test_early_stopping_mode():
    # accuracy goes up: auto mode maximizes
    assert run(EarlyStopping(monitor="val_accuracy", patience=1), [0.5, 0.6, 0.55, 0.7],
               monitor="val_accuracy")[0] == 3
    # explicit max mode on a loss-like name would treat rising values as improvement
    assert run(EarlyStopping(monitor="val_loss", mode="max", patience=0), [1.0, 2.0, 3.0])[0] == 3
    with pytest.raises(ValueError, match="mode='max'"):
        run(EarlyStopping(monitor="val_weirdness"), [1.0, 2.0], monitor="val_weirdness")
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="largest")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)


def test_restore_best_weights():
    callback = EarlyStopping(patience=2, restore_best_weights=True)
    epochs, model = run(callback, [1.0, 0.5, 0.7, 0.8, 0.1])
    assert epochs == 4
    assert callback.best_epoch == 1 and callback.best == 0.5
    assert model.get_weights()[0] == 1.0          # the weights at the end of epoch 1
    # without restoring, the last epoch's weights stay
    epochs, model = run(EarlyStopping(patience=2), [1.0, 0.5, 0.7, 0.8, 0.1])
    assert model.get_weights()[0] == 3.0


def test_reuse_resets_state(capsys):
    callback = EarlyStopping(patience=1, verbose=1)
    first = run(callback, [1.0, 2.0, 3.0])[0]
    second = run(callback, [1.0, 2.0, 3.0])[0]
    assert first == second == 2
    assert capsys.readouterr().out.count("Epoch 2: early stopping") == 2


def test_missing_monitor_warns_and_continues():
    with pytest.warns(UserWarning, match="val_loss.*not available"):
        epochs, _ = run(EarlyStopping(), [1.0, 2.0, 3.0], monitor="loss")
    assert epochs == 3


def test_checkpoint_best_only_scripted(capsys):
    callback = ModelCheckpoint("m_{epoch:02d}-{loss:.1f}.keras", monitor="loss",
                               save_best_only=True, verbose=1)
    _, model = run(callback, [3.0, 2.0, 2.5, 1.0], monitor="loss")
    assert model.saved == ["m_01-3.0.keras", "m_02-2.0.keras", "m_04-1.0.keras"]
    out = capsys.readouterr().out
    # Keras 3.15.1's words: "improved from None" for the first value, then "finished saving"
    assert "Epoch 1: loss improved from None to 3.00000, saving model to m_01-3.0.keras" in out
    assert "Epoch 1: finished saving model to m_01-3.0.keras" in out
    assert "Epoch 3: finished saving" not in out
    assert "Epoch 3: loss did not improve from 2.00000" in out
    maximize = ModelCheckpoint("a.keras", monitor="val_accuracy", save_best_only=True)
    assert run(maximize, [0.5, 0.4, 0.6], monitor="val_accuracy")[1].saved == ["a.keras"] * 2


def test_checkpoint_suffixes():
    with pytest.raises(ValueError, match=r"must end in `\.keras`"):
        ModelCheckpoint("model.h5")
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5` \(Keras weights format\)"):
        ModelCheckpoint("w.weights.npz", save_weights_only=True)
    with pytest.raises(ValueError, match="Unrecognized save_freq: 0"):
        ModelCheckpoint("m.keras", save_freq=0)


def _tiny_model():
    utils.set_random_seed(0)
    model = Sequential([Input(shape=(3,)), Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(0).normal(size=(20, 3))
    y = np.eye(2)[np.arange(20) % 2]
    return model, x, y


def test_checkpoint_writes_files_during_fit(tmp_path):
    model, x, y = _tiny_model()
    pattern = str(tmp_path / "ckpt_{epoch:02d}.keras")
    model.fit(x, y, epochs=3, verbose=0, callbacks=[ModelCheckpoint(pattern, monitor="loss")])
    assert sorted(os.listdir(tmp_path)) == ["ckpt_01.keras", "ckpt_02.keras", "ckpt_03.keras"]
    restored = load_model(tmp_path / "ckpt_03.keras")
    assert np.array_equal(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    weights_path = str(tmp_path / "w.weights.h5")
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[ModelCheckpoint(weights_path, monitor="loss", save_weights_only=True)])
    assert os.path.exists(weights_path)


def test_lambda_callback_and_hook_order():
    model, x, y = _tiny_model()
    events = []
    callback = LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: events.append(f"batch_end {batch}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: events.append("train_end"))
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[callback])
    assert events == ["train_begin",
                      "epoch_begin 0", "batch_end 0", "batch_end 1", "epoch_end 0 ['accuracy', 'loss']",
                      "epoch_begin 1", "batch_end 0", "batch_end 1", "epoch_end 1 ['accuracy', 'loss']",
                      "train_end"]
    with pytest.raises(TypeError, match="unknown hook"):
        LambdaCallback(on_everything=print)


def test_stop_training_from_a_callback():
    model, x, y = _tiny_model()
    stopper = LambdaCallback(on_epoch_end=lambda epoch, logs: setattr(model, "stop_training", epoch == 1))
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[stopper])
    assert history.epoch == [0, 1]


def test_history_and_base_callback():
    history = History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 0.5})
    assert history.history == {"loss": [1.0, 0.5]} and history.epoch == [0, 1]
    base = Callback()
    base.on_epoch_end(0, {})        # every hook exists and does nothing
    base.on_predict_batch_end(0, {})
    with pytest.raises(TypeError, match="Callback"):
        CallbackList([print])


def test_early_stopping_inside_fit_restores_best_weights():
    model, x, y = _tiny_model()
    scripted = [0.9, 0.5, 0.7, 0.8, 0.6, 0.4]          # best at epoch 1, patience 2 -> stop at 3
    snapshots = []

    def script(epoch, logs):
        logs["val_loss"] = scripted[epoch]             # runs before EarlyStopping sees the logs
        snapshots.append(model.get_weights())

    def reset(logs):
        snapshots.clear()

    stop = EarlyStopping(patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=6, verbose=0,
                        callbacks=[LambdaCallback(on_epoch_end=script, on_train_begin=reset), stop])
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["val_loss"] == [0.9, 0.5, 0.7, 0.8]
    for got, best in zip(model.get_weights(), snapshots[1]):
        assert np.array_equal(got, best)
    assert not np.array_equal(model.get_weights()[0], snapshots[3][0])
    # the same instance, reused: its state starts afresh
    history = model.fit(x, y, epochs=6, verbose=0,
                        callbacks=[LambdaCallback(on_epoch_end=script), stop])
    assert history.epoch == [0, 1, 2, 3]


def test_keras3_contract_logs_always_a_dict_and_every_hook_called():
    """Every hook gets a dict as `logs` (never None); params and model are set."""
    calls = []

    class Recorder(Callback):
        def __getattribute__(self, name):
            attr = super().__getattribute__(name)
            if name.startswith("on_") and callable(attr):
                def hook(*args):
                    assert isinstance(args[-1], dict), f"{name} got logs={args[-1]!r}"
                    calls.append(name)
                return hook
            return attr

    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.zeros((6, 2)), np.zeros((6, 1))
    rec = Recorder()
    model.fit(x, y, batch_size=4, epochs=1, validation_data=(x, y), verbose=0, callbacks=[rec])
    model.evaluate(x, y, batch_size=4, verbose=0, callbacks=[rec])
    model.predict(x, batch_size=4, verbose=0, callbacks=[rec])
    assert rec.model is model and rec.params == {"epochs": 1, "steps": 2, "verbose": 0}
    for hook in ("on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_train_batch_end",
                 "on_epoch_end", "on_train_end", "on_test_begin", "on_test_batch_begin",
                 "on_test_batch_end", "on_test_end", "on_predict_begin", "on_predict_batch_begin",
                 "on_predict_batch_end", "on_predict_end"):
        assert hook in calls, hook
    assert calls.count("on_train_batch_end") == 2 and calls.count("on_predict_batch_end") == 2


def test_stop_training_in_a_batch_hook_stops_after_that_batch():
    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []

    def on_batch_end(batch, logs):
        seen.append(batch)
        if batch == 1:
            model.stop_training = True

    history = model.fit(np.zeros((10, 2)), np.zeros((10, 1)), batch_size=2, epochs=3, verbose=0,
                        callbacks=[LambdaCallback(on_train_batch_end=on_batch_end)])
    assert seen == [0, 1] and history.epoch == [0]


def test_checkpoint_every_n_batches_and_initial_threshold(tmp_path):
    model, x, y = _tiny_model()                 # 20 samples, batch 8: 3 batches an epoch
    pattern = str(tmp_path / "b_{epoch}_{batch}.weights.h5")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[ModelCheckpoint(pattern, save_weights_only=True, save_freq=2)])
    # batches seen 2, 4, 6: epoch 1 batch 2, epoch 2 batch 1, epoch 2 batch 3
    assert sorted(os.listdir(tmp_path)) == ["b_1_2.weights.h5", "b_2_1.weights.h5", "b_2_3.weights.h5"]
    never = ModelCheckpoint(str(tmp_path / "best.keras"), monitor="loss", save_best_only=True,
                            initial_value_threshold=0.0)          # no loss is below 0
    model.fit(x, y, epochs=2, verbose=0, callbacks=[never])
    assert not (tmp_path / "best.keras").exists()


def test_reduce_lr_on_plateau_by_hand():
    from nnlab.callbacks import ReduceLROnPlateau
    model, _, _ = _tiny_model()
    model.optimizer.learning_rate = 1.0
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, cooldown=1, min_lr=0.2)
    cb.set_model(model)
    cb.on_train_begin()
    rates = []
    for epoch, loss in enumerate([5, 4, 4, 4, 4, 4, 4, 4, 4]):
        cb.on_epoch_end(epoch, {"loss": loss})
        rates.append(model.optimizer.learning_rate)
    # improvements at epochs 0-1; epochs 2, 3 without -> halve at epoch 3. Epoch 4 ends the
    # cooldown and (as in Keras) already counts as a wait, so epoch 5 halves again; the same
    # at 6-7, where 0.25 * 0.5 = 0.125 is held at min_lr = 0.2.
    assert rates == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]
    with pytest.raises(ValueError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=2.0)


def test_learning_rate_scheduler_and_csv_logger(tmp_path):
    from nnlab.callbacks import CSVLogger, LearningRateScheduler
    model, x, y = _tiny_model()
    path = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[
        LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)), CSVLogger(path)])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    rows = path.read_text().splitlines()
    # Keras 3.15.1's CSVLogger adds val_ columns ("NA") when the first epoch has none
    assert rows[0] == ("epoch,accuracy,learning_rate,loss,val_accuracy,val_learning_rate,"
                       "val_loss") and len(rows) == 4
    assert rows[2].split(",")[0] == "1" and rows[2].split(",")[4:] == ["NA", "NA", "NA"]
    assert float(rows[3].split(",")[2]) == pytest.approx(0.1 / 3)


def test_terminate_on_nan_stops_instead_of_raising():
    from nnlab.callbacks import TerminateOnNaN
    from nnlab.models import NonFiniteLossError
    model, x, y = _tiny_model()
    x = x.copy()
    x[5] = np.nan
    with pytest.raises(NonFiniteLossError):
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0,
                        callbacks=[TerminateOnNaN()])
    assert history.epoch == [0] and np.isnan(history.history["loss"][0])


def test_checkpoint_auto_mode_keeps_the_highest_auc_precision_recall():
    # Keras 3 reads the direction from the metric (AUC, Precision, Recall: "up"), so with
    # mode="auto" a higher value is the better one; 0.5 after 0.6 is no improvement.
    for monitor in ("val_auc", "val_precision", "recall"):
        callback = ModelCheckpoint("best.keras", monitor=monitor, save_best_only=True)
        _, model = run(callback, [0.6, 0.5, 0.7], monitor=monitor)
        assert model.saved == ["best.keras", "best.keras"], monitor
        assert callback.best == 0.7


def test_reduce_lr_on_plateau_logs_the_learning_rate_like_keras():
    # Keras 3.15.1: fit(epochs=2, ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5,
    # min_delta=10)) gives history["learning_rate"] == [0.01, 0.01]: the rate of the epoch
    # is logged before the reduction made at the end of epoch 2.
    from nnlab.callbacks import ReduceLROnPlateau
    model, x, y = _tiny_model()
    model.optimizer.learning_rate = 0.01
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[
        ReduceLROnPlateau(monitor="loss", patience=0, factor=0.5, min_delta=10)])
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.01])
    assert model.optimizer.learning_rate == pytest.approx(0.005)


def test_checkpoint_best_only_without_the_monitor_warns_and_saves_as_keras():
    # Keras 3.15.1 (ModelCheckpoint._should_save_model): the monitor missing from the logs
    # gives the warning "Can save best model only with val_loss available." and a save.
    callback = ModelCheckpoint("m.keras", monitor="val_loss", save_best_only=True)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        _, model = run(callback, [1.0, 2.0], monitor="loss")
    assert model.saved == ["m.keras", "m.keras"]


def test_learning_rate_scheduler_accepts_what_keras_accepts():
    # Keras 3.15.1: a NumPy float32 rate is accepted, and so is a schedule of the epoch
    # only (its "old API"); an int is refused ("should be a float. Got: 1").
    from nnlab.callbacks import LearningRateScheduler
    model, x, y = _tiny_model()
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[
        LearningRateScheduler(lambda epoch, lr: np.float32(0.5) * np.float32(0.25 + epoch))])
    assert history.history["learning_rate"] == pytest.approx([0.125, 0.625])
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[
        LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))])
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.02])
    with pytest.raises(ValueError, match="should be a float. Got: 1"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: 1)])


def test_csv_logger_matches_keras_file(tmp_path):
    # Keras 3.15.1: Sequential([Input((2,)), Dense(1)]).compile("sgd", "mse") and
    # fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, callbacks=[CSVLogger(path)]) writes
    # 'epoch,loss,val_loss\r\n0,<loss>,NA\r\n1,<loss>,NA\r\n'.
    from nnlab.callbacks import CSVLogger
    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    path = tmp_path / "log.csv"
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    text = path.read_bytes().decode()
    lines = text.split("\r\n")
    assert lines[0] == "epoch,loss,val_loss" and lines[-1] == ""
    assert [line.split(",")[0::2] for line in lines[1:3]] == [["0", "NA"], ["1", "NA"]]
    # with validation the columns are the logs' keys only
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=0, validation_split=0.5,
              callbacks=[CSVLogger(path)])
    assert path.read_text().splitlines()[0] == "epoch,loss,val_loss"


def test_terminate_on_nan_raise_error_as_keras():
    # Keras 3.15.1: TerminateOnNaN(raise_error=True) raises RuntimeError("NaN or Inf loss
    # encountered at batch 1. ...") and on_train_end hooks do not run.
    from nnlab.callbacks import TerminateOnNaN
    model, x, y = _tiny_model()
    x = x.copy()
    x[5] = np.nan                                       # in the second batch of 4
    ended = []
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 1"):
        model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[
            TerminateOnNaN(raise_error=True), LambdaCallback(on_train_end=ended.append)])
    assert ended == []


def test_star_import_gives_every_callback():
    namespace = {}
    exec("from nnlab.callbacks import *", namespace)
    for name in ("CSVLogger", "LearningRateScheduler", "ReduceLROnPlateau", "TerminateOnNaN",
                 "EarlyStopping", "ModelCheckpoint"):
        assert name in namespace, name
