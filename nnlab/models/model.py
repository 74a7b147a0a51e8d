"""`Model`: a graph of layers plus the training loop (`compile`, `fit`, `evaluate`, `predict`).

One training step on a batch (x, y) is the whole of backpropagation:

    y_pred = model.forward(x, training=True)       # every layer, in order
    L      = loss(y, y_pred)                       # mean over the batch
    delta  = loss.gradient(y, y_pred)              # dL/dy_pred, already divided by the batch size
    model.backward(delta)                          # every layer in reverse: fills layer.grads
    optimizer.apply(grads, params)                 # θ <- θ - (update from dL/dθ)

`Sequential` (a stack) and the functional `Model(inputs, outputs)` (a graph) only differ
in how they build the list of nodes that `forward` walks; everything else is here.

Derived in lessons/06_backprop.ipynb (forward and backward through the layers).
"""
import functools
import inspect
import math

import numpy as np

from nnlab import config
from nnlab import random as nnlab_random
from nnlab.callbacks import Callback, CallbackList, History, TerminateOnNaN
from nnlab.models.progbar import Progbar


class NotCompiledError(RuntimeError):
    """`fit`/`evaluate`/`train_on_batch` was called before `compile`."""


class NotBuiltError(ValueError):
    """The model does not know its input shape yet (no `input_shape=`, no `Input`, never called)."""


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite during `fit`."""


def _takes_input_grad(backward):
    """Does this `backward` accept `input_grad=False` (weight gradients only, returns
    None)? Dense's and Conv2D's do; a layer written without it is called as usual."""
    return _has_input_grad(getattr(backward, "__func__", backward))


@functools.lru_cache(maxsize=None)
def _has_input_grad(function):
    try:
        return "input_grad" in inspect.signature(function).parameters
    except (TypeError, ValueError):        # no signature to read: call it the plain way
        return False


def _check_verbose(verbose):
    if verbose == "auto":
        return 1
    if not isinstance(verbose, (int, np.integer)) or verbose not in (0, 1, 2):
        raise ValueError(f"Expected `verbose` to be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")
    return int(verbose)


def _unsupported(**options):
    """Keras options nnlab does not have: only their default None is accepted."""
    for name, value in options.items():
        if value is not None:
            raise NotImplementedError(
                f"nnlab does not support `{name}` (received {name}={value!r}): it trains on NumPy "
                "arrays, one sample weight each. Remove it, or use Keras itself (lessons/18).")


def _check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(
            f"Expected `batch_size` to be a positive integer. Received: batch_size={batch_size!r}")
    return int(batch_size)


class Model:
    """A network of layers with Keras' training API.

    `Model(inputs, outputs, name=None)` builds a functional model from symbolic tensors
    (see `nnlab.models.functional`); `Sequential` stacks layers. Both share:

    - `forward(x, training=False)` / `backward(grad)`: the whole network's forward and
      backward pass, for teaching and for `nnlab.utils.check_gradients`;
    - `compile`, `fit`, `evaluate`, `predict`, `train_on_batch`, `test_on_batch`;
    - `summary`, `count_params`, `get_weights`, `set_weights`, `get_layer`;
    - `save`, `save_weights`, `load_weights` (see `nnlab.models.saving`).

    Attributes:
        layers: the layers, in the order `forward` runs them.
        history: the `History` of the last `fit`.
        stop_training: set to True (e.g. by a callback) to end `fit`: after the current
            batch when set in a batch hook (the epoch's end hooks still run), as in Keras 3.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model:
            from nnlab.models.functional import Functional
            return super().__new__(Functional)
        return super().__new__(cls)

    def _init_model(self, name):
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"Expected `name` to be a non-empty string. Received: name={name!r}")
        self.name = name
        self._nodes = []          # [(layer, parents)]: parents are node indices, () = the model input
        self._input_shape = None  # shape of one sample, no batch dimension
        self.built = False
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.compiled_metrics = []
        self._compile_args = None
        self.stop_training = False
        self.history = None

    # ---- the graph ------------------------------------------------------------------
    @property
    def layers(self):
        return [layer for layer, _ in self._nodes]

    @property
    def input_shape(self):
        self._require_built("input_shape")
        return (None,) + tuple(self._input_shape)

    @property
    def output_shape(self):
        self._require_built("output_shape")
        return (None,) + tuple(self._nodes[-1][0].output_shape)

    def _require_built(self, what):
        if not self.built:
            raise NotBuiltError(
                f"Model '{self.name}' has no input shape yet, so {what} is not known. "
                "Give the first layer `input_shape=` (e.g. Dense(64, input_shape=(784,))), "
                "start with `Input(shape=...)`, or call the model on data (fit/predict) first.")

    def _build_for(self, sample_shape):
        """Build from the first data if needed (Sequential overrides)."""
        self._require_built("the network")

    def forward(self, x, training=False):
        """Run every layer on the batch `x`; each caches what its backward needs.

        Args:
            x: a batch of inputs (batch dimension first). Not converted: pass float64
                data to a float64 model for gradient checks.
            training: True switches on training-only behaviour (Dropout). Defaults to False.

        Returns:
            the output batch.
        """
        x = np.asarray(x)
        if x.ndim == 0:
            raise ValueError(f"Model '{self.name}' expects a batch of samples, received a scalar {x!r}.")
        self._build_for(x.shape[1:])
        values = []
        for layer, parents in self._nodes:
            if not parents:
                inputs = x
            elif len(parents) == 1:
                inputs = values[parents[0]]
            else:
                inputs = [values[p] for p in parents]
            values.append(layer(inputs, training=training))
        return values[-1]

    def backward(self, grad, input_grad=True):
        """Backpropagate dL/d(output) through every layer in reverse order.

        Each layer stores dL/dθ in `layer.grads` and returns dL/d(its input). Where one
        tensor feeds several layers, the gradients coming back from them are added.

        Args:
            grad: dL/d(output).
            input_grad: also compute dL/dx. With False (what `fit` uses), layers with no
                trainable weights at or before them (augmentation layers at the input,
                say) are skipped: nothing they would compute is needed. So is the input
                gradient of a layer whose inputs need none (the first Dense or Conv2D:
                `layer.backward(grad, input_grad=False)`).

        Returns:
            dL/dx, the gradient with respect to the model's input (None if skipped).
        """
        pending = {len(self._nodes) - 1: grad}
        grad_x = None
        needed = self._needs_backward() if not input_grad else None
        for i in range(len(self._nodes) - 1, -1, -1):
            layer, parents = self._nodes[i]
            if i not in pending or (needed is not None and not needed[i]):
                continue
            if needed is not None and _takes_input_grad(layer.backward) \
                    and not any(needed[p] for p in parents):
                layer.backward(pending.pop(i), input_grad=False)   # weights' gradients only
                continue
            grad_in = layer.backward(pending.pop(i))
            if not parents:
                grad_x = grad_in if grad_x is None else grad_x + grad_in
                continue
            grads_in = [grad_in] if len(parents) == 1 else list(grad_in)
            for p, g in zip(parents, grads_in):
                pending[p] = g if p not in pending else pending[p] + g
        return grad_x

    def _needs_backward(self):
        """For each node: does it, or any layer feeding it, have trainable weights?"""
        needed = []
        for layer, parents in self._nodes:                  # parents come first
            own = layer.trainable and bool(layer.grads)
            needed.append(own or any(needed[p] for p in parents))
        return needed

    def __call__(self, x, training=False):
        """`model(x)`: the same as `forward(x, training)`."""
        return self.forward(x, training=training)

    # ---- weights ------------------------------------------------------------------
    @property
    def weights(self):
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self):
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def losses(self):
        """The layers' regularization penalties (floats), added to the loss in fit/evaluate."""
        return [penalty for layer in self.layers for penalty in layer.losses]

    def _params_and_grads(self):
        """The trainable parameters and their gradients, in a fixed order (layer by layer)."""
        params, grads = [], []
        for layer in self.layers:
            if layer.trainable:
                for key in layer.grads:
                    params.append(layer.params[key])
                    grads.append(layer.grads[key])
        return params, grads

    def get_weights(self):
        """Copies of all parameters, layer by layer, in Keras order."""
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        """Overwrite all parameters (in place) from a list like `get_weights()` returns."""
        weights = list(weights)
        expected = sum(len(layer.params) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(
                f"Model '{self.name}' has {expected} weight arrays, received a list of {len(weights)}.")
        start = 0
        for layer in self.layers:
            n = len(layer.params)
            layer.set_weights(weights[start:start + n])
            start += n

    def count_params(self):
        """Number of scalars in all parameters (needs a built model)."""
        self._require_built("its number of parameters")
        return int(sum(layer.count_params() for layer in self.layers))

    def get_layer(self, name=None, index=None):
        """The layer called `name`, or the one at position `index` in `model.layers`."""
        if (name is None) == (index is None):
            raise ValueError("Provide exactly one of `name` or `index` to get_layer(). "
                             f"Received: name={name!r}, index={index!r}")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model "
                                 f"'{self.name}' only has {len(self.layers)} layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in self.layers]}.")

    # ---- compile ------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Choose the optimizer, the loss and the metrics reported during training.

        Args:
            optimizer: a name ('sgd', 'adam', ...) or an Optimizer. Defaults to 'rmsprop'.
            loss: a name ('categorical_crossentropy', 'mse', ...) or a Loss. Defaults to None
                (then `fit` and `evaluate` refuse to run).
            metrics: list of names ('accuracy', ...) or Metric objects. Defaults to None.
            run_eagerly, steps_per_execution, auto_scale_loss: accepted as in Keras 3; they
                change nothing in nnlab, which always runs step by step in NumPy.
            jit_compile: 'auto' or False (nnlab compiles nothing). True is an error: XLA
                compilation needs Keras with a compiling backend.
            loss_weights, weighted_metrics: for several outputs or weighted samples, which
                nnlab does not have; only None is accepted.
        """
        from nnlab import losses, metrics as metrics_module, optimizers

        if jit_compile not in ("auto", False, None):
            raise ValueError("nnlab does not compile models (jit_compile=True asks for XLA, which "
                             "needs Keras with the JAX or TensorFlow backend, see lessons/18). "
                             "Leave jit_compile at its default.")
        for name, value in (("loss_weights", loss_weights), ("weighted_metrics", weighted_metrics)):
            if value is not None:
                raise NotImplementedError(
                    f"nnlab models have one output and no sample weights, so `{name}` is not "
                    f"supported. Received: {name}={value!r}. Use Keras for this (lessons/18).")

        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss) if loss is not None else None
        if metrics is None:
            metrics = []
        elif isinstance(metrics, (str, metrics_module.Metric)):
            metrics = [metrics]
        elif not isinstance(metrics, (list, tuple)):
            raise TypeError(
                "Expected `metrics` to be a list such as ['accuracy']. "
                f"Received: metrics={metrics!r} of type {type(metrics).__name__}")
        self.compiled_metrics = [metrics_module.get(m, loss=self.loss) for m in metrics]
        self._batch_labels_checked = False
        self._compile_args = {"optimizer": optimizer, "loss": loss, "metrics": list(metrics)}
        self._trained_params = None   # the trainable arrays of the first step after compile
        self.compiled = True

    @property
    def metrics_names(self):
        return ["loss"] + [m.name for m in self.compiled_metrics]

    def _require_compiled(self, what):
        if not self.compiled or self.loss is None:
            raise NotCompiledError(
                f"You must compile model '{self.name}' before calling {what}(): "
                "call model.compile(optimizer=..., loss=...) first, e.g. "
                "model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy']).")

    # ---- data ---------------------------------------------------------------------
    def _as_x(self, x, argname="x"):
        if x is None:
            raise ValueError(f"Expected `{argname}` to be an array of input samples. Received: {argname}=None")
        try:
            x = np.asarray(x, dtype=config.floatx())
        except (TypeError, ValueError) as e:
            raise ValueError(
                f"Could not convert `{argname}` to a float array of shape (samples, ...): {e}. "
                "All samples must have the same shape and hold numbers (pad sequences to one length, "
                "or turn them into fixed-size vectors first).") from None
        if x.ndim == 0:
            raise ValueError(f"Expected `{argname}` to be a batch of samples (batch first). "
                             f"Received a scalar: {argname}={x!r}")
        return x

    def _as_y(self, y, argname="y"):
        if y is None:
            raise ValueError(f"Expected `{argname}` (the targets) to be an array. Received: {argname}=None. "
                             "fit/evaluate need both x and y.")
        y = np.asarray(y)
        if y.dtype.kind not in "biuf":
            raise ValueError(f"Expected `{argname}` to hold numbers (labels or targets). "
                             f"Received an array of dtype {y.dtype}.")
        return y

    def _cast_y(self, y):
        """Labels for the sparse losses stay integer; everything else becomes floatx."""
        if y.dtype.kind in "biu" and "sparse" in type(self.loss).__name__.lower():
            return y
        return y.astype(config.floatx())

    @staticmethod
    def _check_lengths(x, y, xname="x", yname="y"):
        if len(x) != len(y):
            raise ValueError(
                f"Data cardinality is ambiguous: {xname} and {yname} must have the same number of "
                f"samples (first dimension). Received: {xname} with {len(x)} samples "
                f"(shape {x.shape}), {yname} with {len(y)} samples (shape {y.shape}).")
        if len(x) == 0:
            raise ValueError(f"Received empty data: {xname} has 0 samples.")

    def _check_labels(self, x, y):
        """Let the loss check the labels against real predictions before any update."""
        y_pred = self.forward(x, training=False)
        self.loss.check(y, y_pred)

    # ---- steps ---------------------------------------------------------------------
    def _reset_metrics(self):
        for metric in self.compiled_metrics:
            metric.reset_state()

    def _logs(self, loss_total, count):
        logs = {"loss": loss_total / count}
        for metric in self.compiled_metrics:
            logs[metric.name] = float(metric.result())
        return dict(sorted(logs.items()))

    def _train_step(self, x, y):
        y_pred = self.forward(x, training=True)
        loss = float(self.loss(y, y_pred)) + sum(self.losses)    # + penalties, as Keras
        if not math.isfinite(loss):
            return loss
        self.backward(self.loss.gradient(y, y_pred), input_grad=False)
        for layer in self.layers:
            layer.add_penalty_gradients()
        params, grads = self._params_and_grads()
        self._check_trainable_unchanged(params)
        self.optimizer.apply(grads, params)
        for metric in self.compiled_metrics:
            metric.update_state(y, y_pred)
        return loss

    def _check_trainable_unchanged(self, params):
        """Keras: after changing `trainable`, call compile() again (the optimizer's slots
        belong to the trainable arrays it was built for)."""
        ids = [id(p) for p in params]
        if getattr(self, "_trained_params", None) is None:
            self._trained_params = ids
        elif ids != self._trained_params:
            raise ValueError(
                f"The trainable weights of model '{self.name}' changed since it was compiled "
                f"(it trained {len(self._trained_params)} arrays, now {len(ids)} are trainable): "
                "after setting `layer.trainable`, call model.compile(...) again, as Keras requires.")

    def _test_step(self, x, y):
        y_pred = self.forward(x, training=False)
        for metric in self.compiled_metrics:
            metric.update_state(y, y_pred)
        return float(self.loss(y, y_pred)) + sum(self.losses)

    # ---- fit ----------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for `epochs` passes over (x, y) in mini-batches.

        Each epoch shuffles the samples (with `nnlab.random.generator()`), then for every
        batch runs forward, loss, backward and one optimizer update. 'loss' and the
        metrics in the logs are running averages over the epoch's batches, weighted by
        batch size, as Keras reports them; 'val_*' are computed on the whole validation
        set at the end of the epoch.

        Args:
            x: input samples, batch dimension first.
            y: targets (one-hot rows, integer labels for sparse losses, or values).
            batch_size: samples per gradient update. Defaults to 32 (None means 32).
            epochs: index of the epoch to stop at. Defaults to 1.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch, 'auto' = 1.
                Defaults to 'auto'.
            callbacks: list of `nnlab.callbacks.Callback`. Defaults to None.
            validation_split: fraction of the data held out for validation: the *last*
                samples of x and y, taken before shuffling. Defaults to 0.0.
            validation_data: (x_val, y_val) to validate on; overrides validation_split.
                Defaults to None.
            shuffle: shuffle the training samples before each epoch. Defaults to True.
            initial_epoch: epoch to start from (to resume training). Defaults to 0.
            validation_batch_size: batch size for the validation pass. Defaults to None
                (= batch_size).
            validation_freq: validate after every `validation_freq`-th epoch. Defaults to 1.
            class_weight, sample_weight, steps_per_epoch, validation_steps: Keras options for
                weighted samples and for data generators, which nnlab does not have; only
                None is accepted.

        Returns:
            a `History` whose `.history` maps 'loss', metric names and 'val_*' to lists of
            per-epoch values.
        """
        self._require_compiled("fit")
        _unsupported(class_weight=class_weight, sample_weight=sample_weight,
                     steps_per_epoch=steps_per_epoch, validation_steps=validation_steps)
        if isinstance(validation_freq, bool) or not isinstance(validation_freq, (int, np.integer)) \
                or validation_freq < 1:
            raise ValueError("Expected `validation_freq` to be a positive integer (validate every "
                             f"N epochs). Received: validation_freq={validation_freq!r}")
        validation_batch_size = _check_batch_size(validation_batch_size or batch_size)
        batch_size = _check_batch_size(batch_size)
        verbose = _check_verbose(verbose)
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"Expected `epochs` to be a non-negative integer. Received: epochs={epochs!r}")
        if not 0.0 <= float(validation_split) < 1.0:
            raise ValueError("Expected `validation_split` to be a float in [0, 1). "
                             f"Received: validation_split={validation_split!r}")
        x, y = self._as_x(x), self._as_y(y)
        self._check_lengths(x, y)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("Expected `validation_data` to be a tuple (x_val, y_val). "
                                 f"Received: {type(validation_data).__name__} of length "
                                 f"{len(validation_data) if hasattr(validation_data, '__len__') else '?'}")
            x_val = self._as_x(validation_data[0], "x_val")
            y_val = self._as_y(validation_data[1], "y_val")
            self._check_lengths(x_val, y_val, "x_val", "y_val")
        elif validation_split:
            split_at = int(math.floor(len(x) * (1.0 - validation_split)))
            if split_at == 0 or split_at == len(x):
                raise ValueError(
                    f"validation_split={validation_split} leaves no samples for "
                    f"{'training' if split_at == 0 else 'validation'} with {len(x)} samples.")
            x, x_val, y, y_val = x[:split_at], x[split_at:], y[:split_at], y[split_at:]
        else:
            x_val = y_val = None

        self._build_for(x.shape[1:])
        self._check_labels(x[:batch_size], y[:batch_size])
        if x_val is not None:
            self._check_labels(x_val[:batch_size], y_val[:batch_size])
            y_val = self._cast_y(y_val)
        y = self._cast_y(y)

        n = len(x)
        steps = math.ceil(n / batch_size)
        history = History()
        # as in Keras, History comes after the user's callbacks (it records what they
        # changed in the logs) and the progress line is finished last
        callbacks = [callbacks] if isinstance(callbacks, Callback) else list(callbacks or [])
        cbs = CallbackList(callbacks + [history], model=self,
                           epochs=epochs, steps=steps, verbose=verbose)
        self.stop_training = False
        cbs.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            self._reset_metrics()
            cbs.on_epoch_begin(epoch)
            if verbose and epochs > 1:
                print(f"Epoch {epoch + 1}/{epochs}")
            bar = Progbar(steps, verbose=verbose)
            order = nnlab_random.generator().permutation(n) if shuffle else np.arange(n)
            loss_total, count = 0.0, 0
            logs = {}
            for step in range(steps):
                idx = order[step * batch_size:(step + 1) * batch_size]
                cbs.on_train_batch_begin(step)
                loss = self._train_step(x[idx], y[idx])
                if not math.isfinite(loss):
                    if any(isinstance(cb, TerminateOnNaN) for cb in callbacks):
                        logs = {"loss": loss}       # Keras' TerminateOnNaN stops, quietly
                        cbs.on_train_batch_end(step, logs)
                        break
                    raise NonFiniteLossError(
                        f"The loss became {loss} at epoch {epoch + 1}, batch {step + 1} of {steps}: "
                        "training diverged and was stopped before this update. Try a lower "
                        "learning rate (e.g. optimizer=SGD(learning_rate=0.01)), scale the inputs "
                        "to about [0, 1], and check the data for NaN or inf values.")
                loss_total += loss * len(idx)
                count += len(idx)
                logs = self._logs(loss_total, count)
                cbs.on_train_batch_end(step, logs)
                if self.stop_training:         # as Keras 3: a batch hook may stop at once
                    break
                if step + 1 < steps:
                    bar.update(step + 1, logs)
            if x_val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_arrays(x_val, y_val, validation_batch_size)
                logs.update({"val_" + k: v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, logs)
            bar.update(steps, logs, finalize=True)
            if self.stop_training:
                break
        cbs.on_train_end(logs if epochs > initial_epoch else None)
        self.history = history
        return history

    # ---- evaluate / predict ---------------------------------------------------------------
    def _evaluate_arrays(self, x, y, batch_size, cbs=None, bar=None):
        self._reset_metrics()
        loss_total, count = 0.0, 0
        logs = {}
        for step, start in enumerate(range(0, len(x), batch_size)):
            if cbs is not None:
                cbs.on_test_batch_begin(step)
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            loss_total += self._test_step(xb, yb) * len(xb)
            count += len(xb)
            logs = self._logs(loss_total, count)
            if cbs is not None:
                cbs.on_test_batch_end(step, logs)
            if bar is not None:
                bar.update(step + 1, logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Loss and metrics of the model on (x, y), in inference mode (no Dropout).

        Args:
            x, y: samples and targets.
            batch_size: samples per batch. Defaults to 32.
            verbose: 0 silent, 1 progress bar, 2 one line. Defaults to 'auto' (= 1).
            callbacks: list of callbacks (their `on_test_*` hooks run). Defaults to None.
            return_dict: return {'loss': ..., 'accuracy': ...} instead. Defaults to False.

        Returns:
            the loss (a float) if there are no metrics, else [loss, metric1, ...] in
            the order given to `compile` (`model.metrics_names`).
        """
        self._require_compiled("evaluate")
        _unsupported(sample_weight=sample_weight, steps=steps)
        batch_size = _check_batch_size(batch_size)
        verbose = _check_verbose(verbose)
        x, y = self._as_x(x), self._as_y(y)
        self._check_lengths(x, y)
        self._build_for(x.shape[1:])
        self._check_labels(x[:batch_size], y[:batch_size])
        y = self._cast_y(y)
        steps = math.ceil(len(x) / batch_size)
        cbs = CallbackList(callbacks, model=self, epochs=1, steps=steps, verbose=verbose)
        cbs.on_test_begin()
        logs = self._evaluate_arrays(x, y, batch_size, cbs, Progbar(steps, verbose=verbose))
        cbs.on_test_end(logs)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for `x`, computed batch by batch in inference mode.

        Args:
            x: input samples.
            batch_size: samples per batch. Defaults to 32.
            verbose: 0 silent, 1 progress bar, 2 one line. Defaults to 'auto' (= 1).
            callbacks: list of callbacks (their `on_predict_*` hooks run). Defaults to None.

        Returns:
            an array with one output row per sample.
        """
        _unsupported(steps=steps)
        batch_size = _check_batch_size(batch_size)
        verbose = _check_verbose(verbose)
        x = self._as_x(x)
        self._build_for(x.shape[1:])
        steps = math.ceil(len(x) / batch_size)
        cbs = CallbackList(callbacks, model=self, epochs=1, steps=steps, verbose=verbose)
        bar = Progbar(steps, verbose=verbose)
        cbs.on_predict_begin()
        outputs = []
        for step, start in enumerate(range(0, len(x), batch_size)):
            cbs.on_predict_batch_begin(step)
            outputs.append(self.forward(x[start:start + batch_size], training=False))
            cbs.on_predict_batch_end(step, {"outputs": outputs[-1]})
            bar.update(step + 1)
        cbs.on_predict_end()
        if not outputs:
            return np.zeros((0,) + tuple(self._nodes[-1][0].output_shape), dtype=config.floatx())
        return np.concatenate(outputs, axis=0)

    def train_on_batch(self, x, y, return_dict=False):
        """One gradient update on one batch; returns its loss (and metrics on it)."""
        self._require_compiled("train_on_batch")
        x, y = self._as_x(x), self._as_y(y)
        self._check_lengths(x, y)
        self._build_for(x.shape[1:])
        if not self._batch_labels_checked:   # once, like fit: it costs a forward pass
            self._check_labels(x, y)
            self._batch_labels_checked = True
        y = self._cast_y(y)
        self._reset_metrics()
        loss = self._train_step(x, y)
        if not math.isfinite(loss):
            raise NonFiniteLossError(
                f"The loss became {loss} in train_on_batch; no update was made. "
                "Try a lower learning rate or check the data for NaN or inf values.")
        return self._batch_result(self._logs(loss, 1), return_dict)

    def test_on_batch(self, x, y, return_dict=False):
        """Loss (and metrics) on one batch, without updating the weights."""
        self._require_compiled("test_on_batch")
        x, y = self._as_x(x), self._as_y(y)
        self._check_lengths(x, y)
        self._build_for(x.shape[1:])
        self._check_labels(x, y)
        y = self._cast_y(y)
        self._reset_metrics()
        loss = self._test_step(x, y)
        return self._batch_result(self._logs(loss, 1), return_dict)

    def predict_on_batch(self, x):
        """The outputs for one batch, in inference mode."""
        return self.forward(self._as_x(x), training=False)

    def _batch_result(self, logs, return_dict):
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    # ---- summary and saving -------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None):
        """Print the table of layers, output shapes and parameter counts (Keras 3 style).

        Args:
            line_length: total width of the table. Defaults to 76 (Keras 3's width in a
                notebook or an 80-column terminal).
            positions: relative end positions of the columns, e.g. [0.458, 0.792, 1.0]
                (a fourth column, "Connected to", appears for graphs that are not a chain).
            print_fn: function called with the whole summary text instead of `print`.
        """
        from nnlab.models.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def save(self, filepath, overwrite=True):
        """Save architecture, weights, compile settings and optimizer state to a `.keras` zip.

        With `overwrite=False` an existing file is an error (Keras asks at the prompt).
        """
        from nnlab.models.saving import save_model
        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        """Save only the weights, to a file ending in `.weights.h5` (Keras 3's format)."""
        from nnlab.models.saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Load weights saved by `save_weights` into this (same-architecture) model."""
        from nnlab.models.saving import load_weights
        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def get_config(self):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"
