"""Plausible wrong answers to the graded exercises of solutions/10_regularization.ipynb must fail."""
from tests._mutation import mutation_tests

DROPOUT_FORWARD = """
        if not training:
            self.scaled_mask = None
            return x
        keep = self.rng.random(x.shape) >= self.rate
        self.scaled_mask = keep / (1.0 - self.rate)
        return x * self.scaled_mask
"""

# Keras 3 imported before the function runs (where Keras is not installed, keras is None and
# the mutant fails for that reason alone).
_KERAS = """import os
os.environ.setdefault("KERAS_BACKEND", "jax")
try:
    import keras
except ImportError:
    keras = None
"""

# Whole-cell mutants that delegate to nnlab's or Keras' own layer or callback (the hidden tests refuse them).
_DRIVE_EARLY_STOPPING = """def early_stopping(val_losses, patience, min_delta=0.0):
    class _Model:                      # just enough of a model for the callback
        stop_training, epoch = False, 0
        def get_weights(self):
            return [np.array(self.epoch)]
        def set_weights(self, weights):
            self.restored = int(weights[0])
    stop = {lib}.callbacks.EarlyStopping(patience=patience, min_delta=min_delta, restore_best_weights=True)
    model = _Model()
    stop.set_model(model)
    stop.on_train_begin()
    for epoch, loss in enumerate(val_losses):
        model.epoch = epoch
        stop.on_epoch_end(epoch, {{"val_loss": loss}})
        if model.stop_training:
            break
    stop.on_train_end()
    return epoch, model.restored
"""
_NNLAB_BN_FORWARD = """def batchnorm_forward(x, gamma, beta, eps=1e-3):
    x = np.asarray(x, dtype=float)
    bn = nnlab.layers.BatchNormalization(epsilon=max(eps, 1e-300), dtype="float64")
    bn(x)
    bn.set_weights([np.asarray(gamma, float), np.asarray(beta, float), np.zeros(x.shape[1]), np.ones(x.shape[1])])
    return bn(x, training=True)
"""
_NNLAB_BN_BACKWARD = """def batchnorm_backward(grad_y, x, gamma, eps=1e-3):
    x = np.asarray(x, dtype=float)
    bn = nnlab.layers.BatchNormalization(epsilon=max(eps, 1e-300), dtype="float64")
    bn(x)
    bn.set_weights([np.asarray(gamma, float), np.zeros(x.shape[1]), np.zeros(x.shape[1]), np.ones(x.shape[1])])
    bn(x, training=True)
    return bn.backward(grad_y), bn.grads["gamma"], bn.grads["beta"]
"""

MUTANTS = {
    "dropout_layer": {
        "no scaling of the kept entries": ("self.scaled_mask = keep / (1.0 - self.rate)",
                                           "self.scaled_mask = keep * 1.0"),
        "scaled by (1 - rate) instead of 1/(1 - rate)": ("self.scaled_mask = keep / (1.0 - self.rate)",
                                                         "self.scaled_mask = keep * (1.0 - self.rate)"),
        "classic dropout: no scaling in training, times (1 - rate) at inference": (
            DROPOUT_FORWARD,
            """
        if not training:
            self.scaled_mask = None
            return x * (1.0 - self.rate)
        keep = self.rng.random(x.shape) >= self.rate
        self.scaled_mask = keep * 1.0
        return x * self.scaled_mask
"""),
        "scaling also at inference": ("            return x\n", "            return x / (1.0 - self.rate)\n"),
        "rate used as the keep probability": ("keep = self.rng.random(x.shape) >= self.rate",
                                              "keep = self.rng.random(x.shape) < self.rate"),
        "a new mask drawn in backward": ("        return grad * self.scaled_mask",
                                         "        return grad * (self.rng.random(grad.shape) >= self.rate) / (1.0 - self.rate)"),
        "backward ignores the mask": ("        return grad * self.scaled_mask", "        return grad"),
        "backward forgets the scaling": ("        return grad * self.scaled_mask",
                                         "        return grad * (self.scaled_mask > 0)"),
        "the old mask is kept after an inference forward": (
            "        if not training:\n            self.scaled_mask = None\n            return x",
            "        if not training:\n            return x"),
        "x changed in place": ("        return x * self.scaled_mask",
                               "        x *= self.scaled_mask\n        return x"),
        "one mask drawn once and reused": (
            "        keep = self.rng.random(x.shape) >= self.rate",
            "        if getattr(self, '_keep', None) is None or self._keep.shape != x.shape:\n"
            "            self._keep = self.rng.random(x.shape) >= self.rate\n"
            "        keep = self._keep"),
        "nnlab's Dropout, given the layer's generator": (
            """        keep = self.rng.random(x.shape) >= self.rate
        self.scaled_mask = keep / (1.0 - self.rate)
        return x * self.scaled_mask""",
            """        layer = nnlab.layers.Dropout(self.rate, seed=0)
        layer._rng = self.rng
        y = layer(x, training=True)
        self.scaled_mask = layer.backward(np.ones_like(x, dtype=float))
        return y"""),
        "one mask per feature, shared over the batch": ("keep = self.rng.random(x.shape) >= self.rate",
                                                        "keep = self.rng.random(x.shape[-1]) >= self.rate"),
        "scaled by 1/rate": ("self.scaled_mask = keep / (1.0 - self.rate)",
                             "self.scaled_mask = keep / self.rate if self.rate else keep * 1.0"),
    },
    "batchnorm_forward": {
        "unbiased variance (N - 1)": ("var = x.var(axis=0)", "var = x.var(axis=0, ddof=1)"),
        "eps outside the square root": ("x_hat = (x - mu) / np.sqrt(var + eps)",
                                        "x_hat = (x - mu) / (np.sqrt(var) + eps)"),
        "statistics per sample (axis=1)": (
            "mu = x.mean(axis=0)\n    var = x.var(axis=0)",
            "mu = x.mean(axis=1, keepdims=True)\n    var = x.var(axis=1, keepdims=True)"),
        "statistics over the whole batch": ("mu = x.mean(axis=0)\n    var = x.var(axis=0)",
                                            "mu = x.mean()\n    var = x.var()"),
        "gamma and beta swapped": ("return gamma * x_hat + beta", "return beta * x_hat + gamma"),
        "no epsilon": ("np.sqrt(var + eps)", "np.sqrt(var)"),
        "standard deviation instead of variance under the root": (
            "x_hat = (x - mu) / np.sqrt(var + eps)", "x_hat = (x - mu) / np.sqrt(np.sqrt(var) + eps)"),
        "x changed in place": ("x_hat = (x - mu) / np.sqrt(var + eps)",
                               "x -= mu\n    x_hat = x / np.sqrt(var + eps)"),
        "nnlab's BatchNormalization in training mode": _NNLAB_BN_FORWARD,
        "computed in float32": ("mu = x.mean(axis=0)\n    var", "x = x.astype(np.float32)\n    mu = x.mean(axis=0)\n    var"),
    },
    "batchnorm_backward": {
        "mean and variance treated as constants": (
            "dx = s / N * (N * d - d.sum(axis=0) - x_hat * np.sum(d * x_hat, axis=0))", "dx = d * s"),
        "missing the x_hat term": (
            "dx = s / N * (N * d - d.sum(axis=0) - x_hat * np.sum(d * x_hat, axis=0))",
            "dx = s / N * (N * d - d.sum(axis=0))"),
        "missing the mean term": (
            "dx = s / N * (N * d - d.sum(axis=0) - x_hat * np.sum(d * x_hat, axis=0))",
            "dx = s / N * (N * d - x_hat * np.sum(d * x_hat, axis=0))"),
        "gamma left out of dx": ("d = grad_y * gamma", "d = grad_y"),
        "dgamma and dbeta swapped": ("return dx, dgamma, dbeta", "return dx, dbeta, dgamma"),
        "sums over the features (axis=1)": ("d.sum(axis=0) - x_hat * np.sum(d * x_hat, axis=0)",
                                            "d.sum(axis=1, keepdims=True) - x_hat * np.sum(d * x_hat, axis=1, keepdims=True)"),
        "unbiased variance": ("s = 1.0 / np.sqrt(x.var(axis=0) + eps)", "s = 1.0 / np.sqrt(x.var(axis=0, ddof=1) + eps)"),
        "dgamma without x_hat": ("dgamma = np.sum(grad_y * x_hat, axis=0)", "dgamma = np.sum(grad_y, axis=0)"),
        "1/N missing": ("dx = s / N * (", "dx = s * ("),
        "nnlab's BatchNormalization backward": _NNLAB_BN_BACKWARD,
        "no epsilon in the backward": ("s = 1.0 / np.sqrt(x.var(axis=0) + eps)", "s = 1.0 / np.sqrt(x.var(axis=0))"),
        "grad_y changed in place": ("d = grad_y * gamma", "grad_y *= gamma\n    d = grad_y"),
    },
    "l2_grads": {
        "missing factor 2 in the penalty's gradient": ("2.0 * l2 * kernel", "l2 * kernel"),
        "bias penalized too": ("return loss, x.T @ delta + 2.0 * l2 * kernel, delta.sum(axis=0)",
                               "loss = loss + l2 * np.sum(bias ** 2)\n"
                               "    return loss, x.T @ delta + 2.0 * l2 * kernel, delta.sum(axis=0) + 2.0 * l2 * bias"),
        "penalty left out of the loss": ("loss = np.mean((z - y) ** 2) + l2 * np.sum(kernel ** 2)",
                                         "loss = np.mean((z - y) ** 2)"),
        "penalty with a factor 1/2 (loss and gradient)": (
            "return loss, x.T @ delta + 2.0 * l2 * kernel, delta.sum(axis=0)",
            "loss = np.mean((z - y) ** 2) + 0.5 * l2 * np.sum(kernel ** 2)\n"
            "    return loss, x.T @ delta + l2 * kernel, delta.sum(axis=0)"),
        "penalty divided by the batch size": (
            "return loss, x.T @ delta + 2.0 * l2 * kernel, delta.sum(axis=0)",
            "loss = np.mean((z - y) ** 2) + l2 * np.sum(kernel ** 2) / len(x)\n"
            "    return loss, x.T @ delta + 2.0 * l2 * kernel / len(x), delta.sum(axis=0)"),
        "mean over the batch only (not over N*K)": ("delta = 2.0 * (z - y) / z.size", "delta = 2.0 * (z - y) / len(x)"),
        "no penalty in the gradient": ("x.T @ delta + 2.0 * l2 * kernel", "x.T @ delta"),
        "penalty's gradient with the wrong sign": ("x.T @ delta + 2.0 * l2 * kernel", "x.T @ delta - 2.0 * l2 * kernel"),
        "mean squared error's gradient without the 2": ("delta = 2.0 * (z - y) / z.size", "delta = (z - y) / z.size"),
        "dbias averaged over the batch": ("delta.sum(axis=0)\n", "delta.sum(axis=0) / len(x)\n"),
        "L1 penalty in the loss": ("loss = np.mean((z - y) ** 2) + l2 * np.sum(kernel ** 2)",
                                   "loss = np.mean((z - y) ** 2) + l2 * np.sum(np.abs(kernel))"),
    },
    "early_stopping": {
        "patience off by one (wait > patience)": ("if wait >= patience:", "if wait > patience:"),
        "min_delta in the wrong direction": ("if loss < best - min_delta:", "if loss < best + min_delta:"),
        "an equal loss counts as an improvement": ("if loss < best - min_delta:", "if loss <= best - min_delta:"),
        "best epoch = lowest loss seen": ("    return len(val_losses) - 1, best_epoch",
                                          "    return len(val_losses) - 1, int(np.argmin(val_losses))"),
        "counter reset by any decrease": (
            """        else:
            wait += 1""",
            """        else:
            wait = 0 if epoch > 0 and loss < val_losses[epoch - 1] else wait + 1"""),
        "counter never reset": ("best, best_epoch, wait = loss, epoch, 0", "best, best_epoch = loss, epoch"),
        "never stops early (last = len)": ("    return len(val_losses) - 1, best_epoch", "    return len(val_losses), best_epoch"),
        "epochs counted from 1": ("return epoch, best_epoch", "return epoch + 1, best_epoch + 1"),
        "min_delta ignored": ("if loss < best - min_delta:", "if loss < best:"),
        "min_delta relative to the best loss": ("if loss < best - min_delta:", "if loss < best * (1 - min_delta):"),
        "patience compared before the counter grows": ("""            wait += 1
            if wait >= patience:
                return epoch, best_epoch""", """            if wait >= patience:
                return epoch, best_epoch
            wait += 1"""),
        "patience 0 taken as 'never stop'": ("if wait >= patience:", "if patience and wait >= patience:"),
        "best starts at the first loss (epoch 0 not an improvement)": (
            "best, best_epoch, wait = np.inf, 0, 0", "best, best_epoch, wait = val_losses[0], 0, 0"),
        "nnlab's EarlyStopping driven by a stand-in model": _DRIVE_EARLY_STOPPING.format(lib="nnlab"),
        "Keras' EarlyStopping driven by a stand-in model": _KERAS + _DRIVE_EARLY_STOPPING.format(lib="keras"),
    },
}

test_solution_passes, test_mutant_is_rejected = mutation_tests("10_regularization", MUTANTS)
