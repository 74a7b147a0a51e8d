"""Loss functions and `Loss` objects, each with the gradient of its batch mean.

A loss compares the labels `y_true` with the predictions `y_pred`. As in Keras:

* the functions (`mean_squared_error(y_true, y_pred)`, ...) return one loss per sample
  (they reduce the last axis only);
* the classes (`MeanSquaredError()`, ...) return the mean over the batch, a Python float
  (Keras' `reduction="sum_over_batch_size"`), and `gradient(y_true, y_pred)` returns
  dL/dy_pred of that mean, the array that backpropagation starts from.

Probabilities are clipped to [ε, 1 - ε] with ε = `nnlab.config.epsilon()` = 1e-7 before
taking a log, as Keras does; the gradient is the exact derivative of the clipped loss,
so it is 0 where clipping is active. With `from_logits=True` the crossentropies use
log-sigmoid / log-softmax, which never overflow.

Derived in lessons/07_losses.ipynb.
"""
import numpy as np

from nnlab import config
from nnlab._naming import lookup, snake_case

_REDUCTIONS = ("sum_over_batch_size",)


# ---- preparing and checking the inputs ------------------------------------------------
def _as_arrays(y_true, y_pred, loss_name):
    """y_pred as a float array, y_true as an array; clear errors for non-numbers.

    Lists become `config.floatx()` arrays (float32), as Keras converts them; NumPy float
    arrays keep their dtype (float64 for gradient checks).
    """
    as_list = not isinstance(y_pred, np.ndarray)
    try:
        y_pred = np.asarray(y_pred)
        y_true = np.asarray(y_true)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{loss_name}: y_true and y_pred must be arrays of numbers ({error}).") from None
    for arg, value in (("y_true", y_true), ("y_pred", y_pred)):
        if not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
            raise ValueError(
                f"{loss_name}: `{arg}` must hold numbers. Received an array of dtype {value.dtype}.")
    if y_pred.ndim == 0:
        raise ValueError(
            f"{loss_name}: `y_pred` must be a batch of predictions (at least 1-D). "
            f"Received a scalar {y_pred!r}.")
    if as_list or not np.issubdtype(y_pred.dtype, np.floating):
        y_pred = y_pred.astype(config.floatx())
    if y_true.ndim >= 1 and y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"{loss_name}: y_true and y_pred hold different numbers of samples: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}. "
            "Pass the labels of the same batch as the predictions.")
    return y_true, y_pred


def _same_rank(y_true, y_pred):
    """Keras' `squeeze_or_expand_to_same_rank`: (n,) labels against (n, 1) outputs.

    When the ranks differ by one and the longer array ends in a dimension of 1, a 1-D
    array gets that axis added; otherwise the trailing 1 is squeezed away.
    """
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        if y_pred.ndim == 1:
            return y_true, y_pred[:, None]
        return y_true[..., 0], y_pred
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        if y_true.ndim == 1:
            return y_true[:, None], y_pred
        return y_true, y_pred[..., 0]
    return y_true, y_pred


def _prepare_same_shape(y_true, y_pred, loss_name):
    y_true, y_pred = _as_arrays(y_true, y_pred, loss_name)
    y_true, y_pred = _same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"{loss_name}: y_true and y_pred must have the same shape. Received "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")
    return y_true.astype(y_pred.dtype), y_pred


def _prepare_binary(y_true, y_pred, loss_name):
    y_true, y_pred = _prepare_same_shape(y_true, y_pred, loss_name)
    if y_true.size and (y_true.min() < 0 or y_true.max() > 1):
        raise ValueError(
            f"{loss_name} expects labels in [0, 1] (one probability per output unit). "
            f"Received labels from {y_true.min():g} to {y_true.max():g}. For more than two "
            "classes use a softmax output with sparse_categorical_crossentropy "
            "(integer labels) or categorical_crossentropy (one-hot labels).")
    return y_true, y_pred


def _prepare_categorical(y_true, y_pred, loss_name, axis):
    y_true, y_pred = _as_arrays(y_true, y_pred, loss_name)
    k = y_pred.shape[axis]
    without_class_axis = tuple(int(d) for d in np.delete(y_pred.shape, axis))
    if y_true.shape != y_pred.shape:
        if y_true.shape in (without_class_axis, without_class_axis + (1,)) and k > 1:
            raise ValueError(
                f"{loss_name} expects one-hot labels of shape {y_pred.shape}, but received "
                f"y_true.shape={y_true.shape}, which looks like integer class labels. "
                "Either use loss='sparse_categorical_crossentropy', or one-hot encode the "
                f"labels with nnlab.utils.to_categorical(y, {k}).")
        raise ValueError(
            f"{loss_name}: y_true and y_pred must have the same shape. Received "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}.")
    if k == 1:
        raise ValueError(
            f"{loss_name} needs one output per class, but y_pred has a single column "
            f"(y_pred.shape={y_pred.shape}), so the loss is always 0. For two classes with "
            "one sigmoid output use loss='binary_crossentropy'.")
    return y_true.astype(y_pred.dtype), y_pred


def _prepare_sparse(y_true, y_pred, loss_name, axis):
    y_true, y_pred = _as_arrays(y_true, y_pred, loss_name)
    k = y_pred.shape[axis]
    without_class_axis = tuple(int(d) for d in np.delete(y_pred.shape, axis))
    if y_true.shape == without_class_axis + (1,):
        y_true = y_true[..., 0]
    if y_true.shape != without_class_axis:
        if y_true.shape == y_pred.shape and k > 1:
            raise ValueError(
                f"{loss_name} expects integer class labels of shape {without_class_axis}, "
                f"but received y_true.shape={y_true.shape}, which looks like one-hot labels. "
                "Either use loss='categorical_crossentropy', or turn them into integer "
                "labels with y.argmax(-1).")
        raise ValueError(
            f"{loss_name} expects integer class labels of shape {without_class_axis} for "
            f"y_pred.shape={y_pred.shape}. Received y_true.shape={y_true.shape}.")
    if y_true.size:
        if not np.all(np.mod(y_true, 1) == 0):
            raise ValueError(
                f"{loss_name} expects integer class labels 0, 1, ..., {k - 1}. "
                f"Received non-integer labels such as {y_true[np.mod(y_true, 1) != 0].ravel()[0]!r}.")
        if y_true.min() < 0 or y_true.max() >= k:
            bad = y_true.min() if y_true.min() < 0 else y_true.max()
            raise ValueError(
                f"{loss_name}: label {bad:g} is outside [0, {k - 1}]: y_pred has {k} "
                f"classes (y_pred.shape={y_pred.shape}). Check the labels, or give the last "
                "layer one unit per class.")
    return y_true.astype(np.int64), y_pred


def _clip(p):
    """Clip probabilities to [ε, 1 - ε]; also return where the clip left them unchanged."""
    eps = config.epsilon()
    clipped = np.clip(p, eps, 1 - eps)
    return clipped, clipped == p


def _log_sigmoid(x):
    """log σ(x) = -log(1 + exp(-x)), computed without overflow."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _log_softmax(x, axis):
    """log softmax(x) = x - max - log Σ exp(x - max), computed without overflow."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _one_hot(labels, k, axis, dtype):
    return np.moveaxis(np.eye(k, dtype=dtype)[labels], -1, axis)


# ---- the per-sample functions -----------------------------------------------------------
# Each `_x(y_true, y_pred, ...)` works on prepared arrays; `_x_grad` is the derivative of
# the *sum* of its elementwise terms, divided later by the number of loss values.

def _mse(y_true, y_pred):
    return np.mean(np.square(y_true - y_pred), axis=-1)


def _mae(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def _bce_elementwise(y_true, y_pred, from_logits):
    if from_logits:   # -[y log σ(x) + (1 - y) log σ(-x)]
        return -(y_true * _log_sigmoid(y_pred) + (1 - y_true) * _log_sigmoid(-y_pred))
    p, _ = _clip(y_pred)
    return -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))


def _bce_grad(y_true, y_pred, from_logits):
    if from_logits:   # dl/dx = σ(x) - y
        return np.exp(_log_sigmoid(y_pred)) - y_true
    p, inside = _clip(y_pred)
    return np.where(inside, -y_true / p + (1 - y_true) / (1 - p), 0)


def _smooth_binary(y_true, label_smoothing):
    return y_true * (1 - label_smoothing) + 0.5 * label_smoothing if label_smoothing else y_true


def _smooth_categorical(y_true, label_smoothing, axis):
    if not label_smoothing:
        return y_true
    return y_true * (1 - label_smoothing) + label_smoothing / y_true.shape[axis]


def _cce(y_true, y_pred, from_logits, axis):
    if from_logits:
        return -np.sum(y_true * _log_softmax(y_pred, axis), axis=axis)
    q = y_pred / np.sum(y_pred, axis=axis, keepdims=True)
    p, _ = _clip(q)
    return -np.sum(y_true * np.log(p), axis=axis)


def _cce_grad(y_true, y_pred, from_logits, axis):
    if from_logits:   # dl/dx = softmax(x) Σy - y
        return np.exp(_log_softmax(y_pred, axis)) * np.sum(y_true, axis=axis, keepdims=True) - y_true
    s = np.sum(y_pred, axis=axis, keepdims=True)
    q = y_pred / s
    p, inside = _clip(q)
    g = np.where(inside, -y_true / p, 0)             # dl/dq
    # q_j = p_j / s  =>  dl/dp_i = (g_i - Σ_j g_j q_j) / s
    return (g - np.sum(g * q, axis=axis, keepdims=True)) / s


def mean_squared_error(y_true, y_pred):
    """Mean squared error of each sample: mean over the last axis of (y_true - y_pred)².

    Gradient of the batch mean L = (1/N) Σ (y_pred - y_true)² over all N entries:
    dL/dy_pred = 2 (y_pred - y_true) / N.

    Args:
        y_true: labels, shape (batch, d) (a (batch,) array is matched with (batch, 1)).
        y_pred: predictions, same shape.

    Returns:
        per-sample losses, shape (batch,).

    Example:
        >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])
        array([0.5], dtype=float32)

    Derived in lessons/07_losses.ipynb.
    """
    return _mse(*_prepare_same_shape(y_true, y_pred, "mean_squared_error"))


def mean_absolute_error(y_true, y_pred):
    """Mean absolute error of each sample: mean over the last axis of |y_true - y_pred|.

    Gradient of the batch mean over all N entries: dL/dy_pred = sign(y_pred - y_true) / N
    (0 where y_pred == y_true, the subgradient Keras' autodiff picks).

    Example:
        >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 1.0]])
        array([0.5], dtype=float32)

    Derived in lessons/07_losses.ipynb.
    """
    return _mae(*_prepare_same_shape(y_true, y_pred, "mean_absolute_error"))


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """Binary crossentropy of each sample, averaged over the last axis.

    l = -[y log p + (1 - y) log(1 - p)],  p = clip(y_pred, ε, 1 - ε)
    dl/dp = -y/p + (1 - y)/(1 - p)   (0 where the clip is active)

    With from_logits=True, p = σ(x) and l = -[y log σ(x) + (1 - y) log σ(-x)],
    dl/dx = σ(x) - y, computed with a stable log-sigmoid and without clipping, as
    Keras' TensorFlow and PyTorch backends do (some Keras backends clip σ(x) to
    [ε, 1 - ε] instead, which caps the loss at -ln ε ≈ 16.1).
    Label smoothing replaces y by y (1 - s) + s/2.

    Args:
        y_true: labels in [0, 1], shape (batch, d) or (batch,).
        y_pred: probabilities (or logits with from_logits=True), same shape.
        from_logits: whether y_pred holds logits. Defaults to False.
        label_smoothing: s in [0, 1]. Defaults to 0.0.

    Returns:
        per-sample losses, shape (batch,).

    Example:
        >>> binary_crossentropy([[1.0]], [[0.9]])   # -ln 0.9
        array([0.10536055], dtype=float32)

    Derived in lessons/07_losses.ipynb.
    """
    _check_smoothing(label_smoothing)
    y_true, y_pred = _prepare_binary(y_true, y_pred, "binary_crossentropy")
    y_true = _smooth_binary(y_true, label_smoothing)
    return np.mean(_bce_elementwise(y_true, y_pred, from_logits), axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Categorical crossentropy of each sample, with one-hot labels.

    l = -Σ_k y_k log p_k,  p = clip(y_pred / Σ y_pred, ε, 1 - ε)   (renormalized, as Keras)
    With from_logits=True, log p = log_softmax(x) and dl/dx = softmax(x) Σ_k y_k - y.
    Label smoothing replaces y by y (1 - s) + s/K for K classes.

    Args:
        y_true: one-hot labels, shape (batch, K).
        y_pred: class probabilities (or logits with from_logits=True), shape (batch, K).
        from_logits: whether y_pred holds logits. Defaults to False.
        label_smoothing: s in [0, 1]. Defaults to 0.0.
        axis: the class axis. Defaults to -1.

    Returns:
        per-sample losses, shape (batch,).

    Example:
        >>> categorical_crossentropy([[0, 1, 0]], [[0.1, 0.8, 0.1]])   # -ln 0.8
        array([0.22314353], dtype=float32)

    Derived in lessons/07_losses.ipynb.
    """
    _check_smoothing(label_smoothing)
    y_true, y_pred = _prepare_categorical(y_true, y_pred, "categorical_crossentropy", axis)
    y_true = _smooth_categorical(y_true, label_smoothing, axis)
    return _cce(y_true, y_pred, from_logits, axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Categorical crossentropy with integer labels: l = -log p_{y}.

    Same as categorical_crossentropy with the one-hot encoding of y_true.

    Args:
        y_true: integer class labels in [0, K), shape (batch,) or (batch, 1).
        y_pred: class probabilities (or logits), shape (batch, K).
        from_logits: whether y_pred holds logits. Defaults to False.
        axis: the class axis. Defaults to -1.

    Returns:
        per-sample losses, shape (batch,).

    Example:
        >>> sparse_categorical_crossentropy([1], [[0.1, 0.8, 0.1]])   # -ln 0.8
        array([0.22314353], dtype=float32)

    Derived in lessons/07_losses.ipynb.
    """
    y_true, y_pred = _prepare_sparse(y_true, y_pred, "sparse_categorical_crossentropy", axis)
    one_hot = _one_hot(y_true, y_pred.shape[axis], axis, y_pred.dtype)
    return _cce(one_hot, y_pred, from_logits, axis)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


def _check_smoothing(label_smoothing):
    if not isinstance(label_smoothing, (int, float, np.number)) or isinstance(label_smoothing, bool) \
            or not 0 <= label_smoothing <= 1:
        raise ValueError(
            "Expected `label_smoothing` to be a float in [0, 1]. "
            f"Received: label_smoothing={label_smoothing!r}")


# ---- Loss objects ------------------------------------------------------------------------
class Loss:
    """Base class of losses: a per-sample `call`, its batch mean and the mean's gradient.

    Subclasses define `call(y_true, y_pred)` (per-sample losses of prepared arrays) and
    `gradient(y_true, y_pred)`; built-in losses also define `_prepare`, which checks the
    labels and returns the arrays in the form `call` expects.

    Args:
        name: the loss' name. Defaults to the snake-cased class name.
        reduction: only "sum_over_batch_size" (the mean over the batch, Keras' default)
            is supported. Defaults to "sum_over_batch_size".
        dtype: accepted for Keras compatibility; the loss computes in y_pred's float type.
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"Expected `name` to be a non-empty string. Received: name={name!r}")
        if reduction not in _REDUCTIONS:
            raise ValueError(
                "nnlab losses support reduction='sum_over_batch_size' only (the mean over the "
                f"batch). Received: reduction={reduction!r}")
        self.name = name or snake_case(type(self).__name__)
        self.reduction = reduction
        self.dtype = dtype

    def _prepare(self, y_true, y_pred):
        y_true, y_pred = _as_arrays(y_true, y_pred, self.name)
        return y_true, y_pred

    def check(self, y_true, y_pred):
        """Raise a ValueError with advice if `y_true` does not fit `y_pred` for this loss."""
        self._prepare(y_true, y_pred)

    def call(self, y_true, y_pred):
        """Per-sample losses."""
        raise NotImplementedError(f"{type(self).__name__} does not define call().")

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The mean loss over the batch, a Python float."""
        if sample_weight is not None:
            raise ValueError(f"{type(self).__name__} does not support sample_weight in nnlab: "
                             "repeat or drop samples instead, or move the program to Keras 3 "
                             "(lessons/18_to_keras.ipynb).")
        y_true_p, y_pred_p = self._prepare(y_true, y_pred)
        return float(np.mean(self.call(y_true_p, y_pred_p)))

    def gradient(self, y_true, y_pred):
        """dL/dy_pred of the batch mean L = self(y_true, y_pred); same shape as y_pred."""
        raise NotImplementedError(
            f"Loss '{self.name}' ({type(self).__name__}) does not define gradient(). nnlab has "
            "no automatic differentiation: subclass nnlab.losses.Loss and define both call() "
            "and gradient(y_true, y_pred), or use a built-in loss such as 'mse'.")

    def _finish(self, grad, y_pred):
        """Reshape to y_pred's shape and cast to its float type."""
        y_pred = np.asarray(y_pred)
        dtype = y_pred.dtype if np.issubdtype(y_pred.dtype, np.floating) else config.floatx()
        return np.asarray(grad, dtype=dtype).reshape(y_pred.shape)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class MeanSquaredError(Loss):
    """Mean of squares of errors: L = (1/N) Σ (y_true - y_pred)² over all N entries.

    Gradient: dL/dy_pred = 2 (y_pred - y_true) / N. (Keras takes the mean over the last
    axis, then over the batch: the same mean, as every row has the same length.)

    Args:
        name: Defaults to "mean_squared_error".

    Example:
        >>> MeanSquaredError()([[0.0], [1.0]], [[1.0], [1.0]])
        0.5

    Derived in lessons/07_losses.ipynb.
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _prepare(self, y_true, y_pred):
        return _prepare_same_shape(y_true, y_pred, self.name)

    def call(self, y_true, y_pred):
        return _mse(y_true, y_pred)

    def gradient(self, y_true, y_pred):
        t, p = self._prepare(y_true, y_pred)
        return self._finish(2 * (p - t) / p.size, y_pred)


class MeanAbsoluteError(Loss):
    """Mean of absolute errors: L = (1/N) Σ |y_true - y_pred| over all N entries.

    Gradient: dL/dy_pred = sign(y_pred - y_true) / N, 0 where they are equal.

    Args:
        name: Defaults to "mean_absolute_error".

    Derived in lessons/07_losses.ipynb.
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)

    def _prepare(self, y_true, y_pred):
        return _prepare_same_shape(y_true, y_pred, self.name)

    def call(self, y_true, y_pred):
        return _mae(y_true, y_pred)

    def gradient(self, y_true, y_pred):
        t, p = self._prepare(y_true, y_pred)
        return self._finish(np.sign(p - t) / p.size, y_pred)


class BinaryCrossentropy(Loss):
    """Binary crossentropy, the mean of `binary_crossentropy` over the batch.

    L = -(1/N) Σ [y log p + (1 - y) log(1 - p)],  p = clip(y_pred, ε, 1 - ε)
    dL/dp = (-y/p + (1 - y)/(1 - p)) / N, 0 where the clip is active.
    from_logits=True: dL/dx = (σ(x) - y) / N.

    Args:
        from_logits: whether y_pred holds logits rather than probabilities. Defaults to False.
        label_smoothing: s in [0, 1]; labels become y (1 - s) + s/2. Defaults to 0.0.
        axis: accepted for Keras compatibility; only -1 is supported. Defaults to -1.
        name: Defaults to "binary_crossentropy".

    Example:
        >>> BinaryCrossentropy()([[1.0]], [[0.9]])   # -ln 0.9
        0.10536...

    Derived in lessons/07_losses.ipynb.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        _check_smoothing(label_smoothing)
        if axis != -1:
            raise ValueError(f"BinaryCrossentropy supports axis=-1 only. Received: axis={axis!r}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis

    def _prepare(self, y_true, y_pred):
        t, p = _prepare_binary(y_true, y_pred, self.name)
        return _smooth_binary(t, self.label_smoothing), p

    def call(self, y_true, y_pred):
        return np.mean(_bce_elementwise(y_true, y_pred, self.from_logits), axis=-1)

    def gradient(self, y_true, y_pred):
        t, p = self._prepare(y_true, y_pred)
        return self._finish(_bce_grad(t, p, self.from_logits) / p.size, y_pred)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class CategoricalCrossentropy(Loss):
    """Categorical crossentropy with one-hot labels, averaged over the batch.

    L = -(1/M) Σ_samples Σ_k y_k log p_k,  p = clip(y_pred / Σ_k y_pred_k, ε, 1 - ε)
    With g = dl/dp = -y/p (0 where clipped) and q = y_pred / s, s = Σ_k y_pred_k:
    dL/dy_pred_i = (g_i - Σ_j g_j q_j) / (s M). For softmax outputs (s = 1, no clip)
    this is -y/p + Σ y. from_logits=True: dL/dx = (softmax(x) Σ_k y_k - y) / M.

    Args:
        from_logits: whether y_pred holds logits. Defaults to False.
        label_smoothing: s in [0, 1]; labels become y (1 - s) + s/K. Defaults to 0.0.
        axis: the class axis. Defaults to -1.
        name: Defaults to "categorical_crossentropy".

    Derived in lessons/07_losses.ipynb.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        _check_smoothing(label_smoothing)
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = _check_axis(axis)

    def _prepare(self, y_true, y_pred):
        t, p = _prepare_categorical(y_true, y_pred, self.name, self.axis)
        return _smooth_categorical(t, self.label_smoothing, self.axis), p

    def call(self, y_true, y_pred):
        return _cce(y_true, y_pred, self.from_logits, self.axis)

    def gradient(self, y_true, y_pred):
        t, p = self._prepare(y_true, y_pred)
        m = p.size // p.shape[self.axis]
        return self._finish(_cce_grad(t, p, self.from_logits, self.axis) / m, y_pred)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis}


class SparseCategoricalCrossentropy(Loss):
    """Categorical crossentropy with integer labels: L = -(1/M) Σ_samples log p_{y}.

    Gradient: as CategoricalCrossentropy with y the one-hot encoding of the labels; for
    logits dL/dx = (softmax(x) - onehot(y)) / M.

    Args:
        from_logits: whether y_pred holds logits. Defaults to False.
        axis: the class axis. Defaults to -1.
        name: Defaults to "sparse_categorical_crossentropy".

    Example:
        >>> SparseCategoricalCrossentropy()([1], [[0.1, 0.8, 0.1]])   # -ln 0.8
        0.22314...

    Derived in lessons/07_losses.ipynb.
    """

    def __init__(self, from_logits=False, axis=-1, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.from_logits = bool(from_logits)
        self.axis = _check_axis(axis)

    def _prepare(self, y_true, y_pred):
        t, p = _prepare_sparse(y_true, y_pred, self.name, self.axis)
        return _one_hot(t, p.shape[self.axis], self.axis, p.dtype), p

    def call(self, y_true, y_pred):
        return _cce(y_true, y_pred, self.from_logits, self.axis)

    def gradient(self, y_true, y_pred):
        t, p = self._prepare(y_true, y_pred)
        m = p.size // p.shape[self.axis]
        return self._finish(_cce_grad(t, p, self.from_logits, self.axis) / m, y_pred)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits, "axis": self.axis}


def _check_axis(axis):
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise ValueError(f"Expected `axis` to be an integer. Received: axis={axis!r}")
    return int(axis)


class LossFunctionWrapper(Loss):
    """A plain function `fn(y_true, y_pred)` → per-sample losses, as a Loss.

    The mean works at once; the gradient needs one: give `fn` an attribute
    `fn.gradient(y_true, y_pred)` (dL/dy_pred of the batch mean), or subclass Loss.

    Args:
        fn: the loss function.
        name: Defaults to `fn.__name__`.
        **kwargs: passed to `fn` on every call.
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name or getattr(fn, "__name__", "loss"), reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return np.asarray(self.fn(y_true, y_pred, **self._fn_kwargs))

    def gradient(self, y_true, y_pred):
        self.check(y_true, y_pred)
        if not callable(getattr(self.fn, "gradient", None)):
            raise NotImplementedError(
                f"Loss '{self.name}' is a plain Python function, so nnlab cannot compute its "
                "gradient (nnlab has no automatic differentiation). Training needs one: "
                "subclass nnlab.losses.Loss and define call() and gradient(y_true, y_pred), "
                f"or set {self.name}.gradient = a function returning dL/dy_pred of the batch "
                "mean, or use a built-in loss such as 'mse'.")
        return self._finish(self.fn.gradient(y_true, y_pred), y_pred)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


# ---- lookup ---------------------------------------------------------------------------------
_CLASSES = (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy)
_REGISTRY = {snake_case(c.__name__): c for c in _CLASSES}
_REGISTRY.update({"mse": MeanSquaredError, "mae": MeanAbsoluteError})
_FUNCTIONS = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
              binary_crossentropy: BinaryCrossentropy,
              categorical_crossentropy: CategoricalCrossentropy,
              sparse_categorical_crossentropy: SparseCategoricalCrossentropy}


def get(identifier):
    """Return a Loss object for `identifier`.

    Args:
        identifier: a name ("mse", "mean_squared_error", "MeanSquaredError",
            "binary_crossentropy", ...), a Loss instance (returned as is), a Loss class,
            a built-in loss function, a config dict {"class_name": ..., "config": ...}
            (from `serialize`), or a function `fn(y_true, y_pred)` (wrapped; see
            `LossFunctionWrapper`). None returns None.

    Example:
        >>> get("mse")
        <MeanSquaredError name='mean_squared_error'>
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        return lookup("loss", snake_case(identifier), _REGISTRY)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        if identifier in _FUNCTIONS:
            return _FUNCTIONS[identifier]()
        return LossFunctionWrapper(identifier)
    raise ValueError(
        "Could not interpret loss identifier: expected a name such as 'mse', a Loss or a "
        f"function. Received: {identifier!r}")


def serialize(loss):
    """{"class_name": ..., "config": ...} for a built-in Loss (JSON-able)."""
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config):
    """Inverse of `serialize`."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "Expected a dict {'class_name': ..., 'config': {...}} describing a loss. "
            f"Received: {config!r}")
    cls = lookup("loss", snake_case(config["class_name"]), _REGISTRY)
    return cls.from_config(dict(config.get("config") or {}))
