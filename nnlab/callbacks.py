"""Callbacks: code that `fit` runs at fixed moments of training, as `keras.callbacks`.

    fit ─ on_train_begin
          for each epoch:  on_epoch_begin
                           for each batch: on_train_batch_begin, (step), on_train_batch_end
                           on_epoch_end(epoch, logs)     logs = {'loss': ..., 'val_loss': ...}
          on_train_end

`evaluate` and `predict` call the matching `on_test_*` / `on_predict_*` hooks.
Setting `model.stop_training = True` in a hook ends `fit` after the current epoch.
Every callback resets its state in `on_train_begin`, so one instance can be reused.

Used in the training lessons (early stopping, checkpoints); ReduceLROnPlateau,
LearningRateScheduler, TerminateOnNaN and CSVLogger are there for Keras programs.
"""
import math
import warnings

import numpy as np

_MAX_DIRECTION = ("acc", "auc", "precision", "recall", "f1", "fmeasure")
_MIN_DIRECTION = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy", "hinge")


class Callback:
    """Base class: override the hooks you need; the others do nothing.

    Attributes:
        model: the model being trained (set by `fit`).
        params: dict with 'epochs', 'steps' (batches per epoch) and 'verbose'.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    # training
    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        """Keras' older name for `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Keras' older name for `on_train_batch_end`."""

    # evaluate / predict
    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """Calls one hook on every callback in order (used by `fit`/`evaluate`/`predict`)."""

    def __init__(self, callbacks=None, model=None, **params):
        callbacks = [] if callbacks is None else callbacks
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    "Expected `callbacks` to be a list of keras-style Callback instances "
                    f"(nnlab.callbacks.Callback). Received an element of type {type(cb).__name__}: {cb!r}")
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(dict(params))

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        # hooks with an epoch/batch index take (index, logs), the others (logs); logs are
        # always passed, positionally, as Keras does (so `lambda logs: ...` works), and
        # are always a dict, never None (Keras 3's contract: `{}` when there is nothing)
        n_args = 2 if ("epoch_" in hook or "batch_" in hook) else 1

        def call(*args):
            args = args + (None,) * (n_args - len(args))
            logs = {} if args[-1] is None else args[-1]
            for cb in self.callbacks:
                getattr(cb, hook)(*args[:-1], logs)
        setattr(self, hook, call)          # found directly next time (fit calls it per batch)
        return call


class History(Callback):
    """Records the logs of every epoch; `fit` returns it.

    Attributes:
        history: dict metric name -> list of per-epoch values, e.g.
            {'accuracy': [...], 'loss': [...], 'val_accuracy': [...], 'val_loss': [...]}.
        epoch: list of epoch indices (0-based) that were run.

    Example:
        >>> history = model.fit(x, y, epochs=3, verbose=0)
        >>> history.history['loss']          # three numbers
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self


def _direction(monitor, mode, who):
    """'min' or 'max' for `monitor` under `mode` ('auto' guesses from the name)."""
    if mode in ("min", "max"):
        return mode
    name = monitor[4:] if monitor.startswith("val_") else monitor
    if any(word in name for word in _MIN_DIRECTION):
        return "min"
    if any(word in name for word in _MAX_DIRECTION):
        return "max"
    raise ValueError(
        f"{who} received monitor={monitor!r} but cannot tell whether that quantity "
        "should be maximized or minimized. Pass mode='max' to keep the highest value, "
        "or mode='min' to keep the lowest.")


def _check_mode(mode):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"Expected `mode` to be one of 'auto', 'min', 'max'. Received: mode={mode!r}")


class EarlyStopping(Callback):
    """Stop training when a monitored quantity has stopped improving.

    At the end of every epoch (from `start_from_epoch` on) the monitored value is an
    improvement when

        min mode:  current < best - min_delta        max mode:  current > best + min_delta

    After `patience` epochs in a row without improvement, `model.stop_training` is set.

    Args:
        monitor: quantity to watch, a key of the epoch logs. Defaults to "val_loss".
        min_delta: smallest change that counts as an improvement. Defaults to 0.
        patience: epochs without improvement before stopping. Defaults to 0.
        verbose: 0 silent, 1 prints a message when stopping. Defaults to 0.
        mode: "min", "max" or "auto" (guessed from the name: losses go down,
            accuracies go up). Defaults to "auto".
        baseline: training stops if the model does not beat this value within
            `patience` epochs. Defaults to None.
        restore_best_weights: put back the weights of the best epoch when training
            ends. Defaults to False.
        start_from_epoch: epochs of warm-up before monitoring starts. Defaults to 0.

    Example:
        >>> stop = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])

    Used in the training lessons.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if not isinstance(monitor, str):
            raise ValueError(f"Expected `monitor` to be a string such as 'val_loss'. Received: monitor={monitor!r}")
        if not isinstance(patience, int) or isinstance(patience, bool) or patience < 0:
            raise ValueError(f"Expected `patience` to be a non-negative integer. Received: patience={patience!r}")
        if not isinstance(start_from_epoch, int) or start_from_epoch < 0:
            raise ValueError("Expected `start_from_epoch` to be a non-negative integer. "
                             f"Received: start_from_epoch={start_from_epoch!r}")
        _check_mode(mode)
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if _direction(self.monitor, self.mode, "EarlyStopping") == "min":
            return value - (-self.min_delta) < reference
        return value - self.min_delta > reference

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs)}", stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # the wait restarts only when the baseline is beaten too
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (or its weights) at the end of every epoch.

    `filepath` may hold `str.format` fields filled from the epoch number (1-based)
    and the logs, e.g. "model_{epoch:02d}-{val_loss:.2f}.keras".

    Args:
        filepath: where to save; must end in ".keras" (whole model) or, with
            `save_weights_only=True`, in ".weights.h5" (Keras 3's rules and messages).
        monitor: quantity compared when `save_best_only=True`. Defaults to "val_loss".
        verbose: 0 silent, 1 prints a line per save. Defaults to 0.
        save_best_only: save only when `monitor` improved on the best value so far.
            Defaults to False.
        save_weights_only: save only the weights (`model.save_weights`). Defaults to False.
        mode: "min", "max" or "auto" (guessed from the monitor's name). Defaults to "auto".
        save_freq: "epoch" (at the end of every epoch) or an integer N (after every N
            training batches, counted across epochs; `{batch}` may appear in filepath).
            Defaults to "epoch".
        initial_value_threshold: with save_best_only, the value the first save must
            beat. Defaults to None (the first value always counts as an improvement).

    Example:
        >>> ckpt = ModelCheckpoint("best.keras", monitor="val_accuracy", save_best_only=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[ckpt])
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        filepath = str(filepath)
        if save_weights_only and not filepath.endswith(".weights.h5"):
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                "provided must end in `.weights.h5` (Keras weights format). "
                f"Received: filepath={filepath}")
        if not save_weights_only and not filepath.endswith(".keras"):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format). "
                f"Received: filepath={filepath}")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are "
                             "'epoch' or a positive integer (a number of batches).")
        _check_mode(mode)
        self.filepath = filepath
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = mode
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.best = self.initial_value_threshold
        self._batches_seen = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _file_path(self, epoch, logs, batch=None):
        fields = dict(logs) if batch is None else {"batch": batch + 1, **logs}
        try:
            return self.filepath.format(epoch=epoch + 1, **fields)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". '
                f"The field {e} is not among epoch, batch and the logs' keys {sorted(logs)}.") from None

    def _save(self, filepath, epoch):
        if self.save_weights_only:
            self.model.save_weights(filepath)
        else:
            self.model.save(filepath)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self.save_freq != "epoch" and self._batches_seen % self.save_freq == 0:
            self._checkpoint(self._epoch, logs or {}, batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._checkpoint(epoch, logs or {})

    def _checkpoint(self, epoch, logs, batch=None):
        filepath = self._file_path(epoch, logs, batch)
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            self._save(filepath, epoch)
            return
        current = logs.get(self.monitor)
        if current is None:            # Keras 3 warns and saves anyway
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=2)
            self._save(filepath, epoch)
            return
        minimize = _direction(self.monitor, self.mode, "ModelCheckpoint") == "min"
        best_text = "None" if self.best is None else f"{self.best:.5f}"    # Keras 3's words
        improved = self.best is None or (current < self.best if minimize else current > self.best)
        if improved:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_text} to "
                      f"{current:.5f}, saving model to {filepath}")
            self.best = current
            self._save(filepath, epoch)
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_text}")


class LambdaCallback(Callback):
    """A callback made of plain functions, e.g. to print or record something.

    Args:
        on_epoch_begin, on_epoch_end: `f(epoch, logs)`.
        on_train_begin, on_train_end: `f(logs)`.
        on_train_batch_begin, on_train_batch_end: `f(batch, logs)`.
        **kwargs: any other hook by name, e.g. `on_test_end=f`.

    Example:
        >>> losses = []
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise TypeError(f"LambdaCallback got an unknown hook {name!r}.")
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"Expected `{name}` to be a function. Received: {name}={fn!r}")
                setattr(self, name, fn)


__all__ = ["Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History", "LambdaCallback",
           "LearningRateScheduler", "ModelCheckpoint", "ReduceLROnPlateau", "TerminateOnNaN"]


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when `monitor` stops improving.

    After `patience` epochs without an improvement (by more than `min_delta`), the
    learning rate becomes max(lr · factor, min_lr), and `cooldown` epochs pass before
    the count starts again, as in Keras. Like Keras it adds the epoch's learning rate
    (before any reduction) to the logs, so `history.history["learning_rate"]` exists.

    Args:
        monitor: Defaults to "val_loss".
        factor: in (0, 1). Defaults to 0.1.
        patience: Defaults to 10.
        verbose: 1 prints a line at each reduction. Defaults to 0.
        mode: "min", "max" or "auto". Defaults to "auto".
        min_delta: Defaults to 1e-4.
        cooldown: Defaults to 0.
        min_lr: Defaults to 0.0.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if not 0.0 < factor < 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0 (or <= 0). "
                             f"Received: factor={factor!r}")
        _check_mode(mode)
        self.monitor, self.factor, self.patience, self.verbose = monitor, float(factor), patience, verbose
        self.mode, self.min_delta, self.cooldown, self.min_lr = mode, float(min_delta), cooldown, float(min_lr)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)   # before any change, as Keras
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` which "
                          f"is not available. Available metrics are: {','.join(logs)}.",
                          stacklevel=2)
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        minimize = _direction(self.monitor, self.mode, "ReduceLROnPlateau") == "min"
        if self.best is None or (current < self.best - self.min_delta if minimize
                                 else current > self.best + self.min_delta):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(self.model.optimizer.learning_rate)
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch: lr = schedule(epoch, lr).

    Args:
        schedule: a function of (epoch index from 0, current learning rate) -> new rate,
            a float (Python or NumPy; an int is refused, as in Keras). A function of the
            epoch only is accepted too.
        verbose: 1 prints the new rate each epoch. Defaults to 0.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ValueError(f"Expected `schedule` to be a function (epoch, lr) -> lr. Received: {schedule!r}")
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        try:
            lr = self.schedule(epoch, float(self.model.optimizer.learning_rate))
        except TypeError:                        # Keras also accepts schedule(epoch)
            lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.floating)) or not math.isfinite(lr):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {lr!r}")
        self.model.optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch, logs=None):
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class TerminateOnNaN(Callback):
    """Stop training as soon as the loss is NaN or infinite (after that batch).

    Args:
        raise_error: raise a RuntimeError at once instead of stopping gracefully
            (then `on_train_end` hooks do not run). Defaults to False.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. "
                                   f"Loss value: {loss}. Terminating training immediately.")
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Write the logs of every epoch as a row of a CSV file (columns: epoch, then the keys).

    The columns are those of the first epoch, sorted, as in Keras 3; when they include no
    `val_` key, a `val_` column is added for each (filled with "NA" without validation).

    Args:
        filename: the CSV file.
        separator: Defaults to ",".
        append: add to an existing file instead of overwriting it. Defaults to False.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.separator, self.append = str(filename), separator, append
        self._keys = None

    def on_train_begin(self, logs=None):
        import os
        self._keys = None
        self._header = not (self.append and os.path.exists(self.filename)
                            and os.path.getsize(self.filename) > 0)
        if not self.append:
            open(self.filename, "w", encoding="utf-8").close()

    def on_epoch_end(self, epoch, logs=None):
        import csv
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
            # Keras 3 reserves val_ columns when the first epoch has none (they may come
            # later, with validation_freq > 1); without validation they hold "NA"
            if self._keys and not any(k.startswith("val_") for k in self._keys):
                self._keys += [f"val_{k}" for k in self._keys]
        with open(self.filename, "a", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter=self.separator)
            if self._header:
                writer.writerow(["epoch"] + self._keys)
                self._header = False
            writer.writerow([epoch] + [logs.get(k, "NA") for k in self._keys])
