"""Recurrent layers: SimpleRNN, LSTM, GRU (Keras 3's names, defaults, weight layouts).

A recurrent layer reads a sequence x₁ … x_T (input shape (batch, T, features)) one step
at a time, carrying a state h from step to step:

    SimpleRNN:  h_t = tanh(x_t W + h_{t−1} U + b)

    LSTM (gates in Keras' order i, f, c, o; σ = sigmoid):
        [z_i, z_f, z_g, z_o] = x_t W + h_{t−1} U + b
        i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
        c_t = f ⊙ c_{t−1} + i ⊙ g          h_t = o ⊙ tanh(c_t)

    GRU (gates z, r, candidate h̃; Keras' default reset_after=True, two bias rows):
        [x_z, x_r, x_h] = x_t W + b_in       [u_z, u_r, u_h] = h_{t−1} U + b_rec
        z = σ(x_z + u_z)   r = σ(x_r + u_r)   h̃ = tanh(x_h + r ⊙ u_h)
        h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃

The output is h_T, or every h_t with `return_sequences=True`; `return_state=True` adds
the final state(s). Backward is back-propagation through time (BPTT): the same steps in
reverse, each receiving dL/dh_t from the output *and* from step t + 1, the weight
gradients summed over all steps. The input projections x_t W of all steps are one
matrix product before the loop, and dW = Xᵀ dZ one product after it.

Derived in lessons/16 (recurrent networks).
"""
import numpy as np

from nnlab import activations, initializers, regularizers
from nnlab.layers import _args
from nnlab.layers.base import KerasTensor, Layer


def _act_backward(fn, z, y, grad):
    return activations.backward(fn, z, y, grad)


class _RNN(Layer):
    """What the three recurrent layers share: arguments, shapes, the time loop's frame."""

    gates = 1            # blocks of `units` columns in the kernels

    @property
    def keras_cell(self):
        """Keras keeps a recurrent layer's weights in a cell object: its name in .h5 files."""
        return f"{self._snake()}_cell"

    def _snake(self):
        return {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[type(self).__name__]

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = _args.positive_int(units, "units")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        for init in (kernel_initializer, recurrent_initializer, bias_initializer):
            initializers.get(init)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        if stateful:
            raise NotImplementedError(f"{type(self).__name__}(stateful=True) is not supported by "
                                      "nnlab: every batch starts from a zero state.")
        if dropout or recurrent_dropout:
            raise NotImplementedError(
                f"{type(self).__name__}(dropout=..., recurrent_dropout=...) is not supported by "
                "nnlab; put a Dropout layer before or after the recurrent layer instead.")
        self.unroll = bool(unroll)           # nnlab always loops in Python: no effect
        self.seed = seed

    # ---- building -----------------------------------------------------------------
    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) expects sequences of shape "
                f"(batch, timesteps, features). Received input of shape "
                f"{(None,) + tuple(input_shape)}.")
        n = self.gates * self.units
        self.add_weight("kernel", (input_shape[-1], n), self.kernel_initializer,
                        regularizer=self.kernel_regularizer)
        self.add_weight("recurrent_kernel", (self.units, n), self.recurrent_initializer,
                        regularizer=self.recurrent_regularizer)
        if self.use_bias:
            self.add_weight("bias", self._bias_shape(), self._bias_initializer(),
                            regularizer=self.bias_regularizer)
        super().build(input_shape)

    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def compute_output_shape(self, input_shape):
        t = input_shape[0]
        return (t, self.units) if self.return_sequences else (self.units,)

    def _state_count(self):
        return 1

    def __call__(self, x, training=False):
        if self.return_state and isinstance(x, KerasTensor):
            raise NotImplementedError(
                f"Layer '{self.name}': return_state=True gives several outputs, and nnlab models "
                "have one output per layer. Call the layer on arrays to get the states, or use "
                "Keras for models that pass states between layers (lessons/18).")
        return super().__call__(x, training=training)

    # ---- the time loop --------------------------------------------------------------
    def forward(self, x, training=False):
        _args.require_weights(self)
        W = self.params["kernel"]
        x = np.asarray(x, dtype=W.dtype)
        if x.ndim != 3:
            raise ValueError(f"Layer '{self.name}' ({type(self).__name__}) expects a batch of "
                             f"sequences (batch, timesteps, features); received shape {x.shape}.")
        _args.check_forward_input(self, x, channels=W.shape[0])
        if self.go_backwards:
            x = x[:, ::-1]
        n, t, d = x.shape
        xw = (x.reshape(n * t, d) @ W).reshape(n, t, -1)     # all input projections at once
        if self.use_bias:
            xw = xw + self._input_bias()
        states = [np.zeros((n, self.units), dtype=W.dtype) for _ in range(self._state_count())]
        steps, outputs = [], []
        for step in range(t):
            states, cache = self.step(xw[:, step], states)
            steps.append(cache)
            outputs.append(states[0])
        hs = np.stack(outputs, axis=1)                        # (n, t, units)
        self._cache = (x, steps, t)
        out = hs if self.return_sequences else hs[:, -1]
        return [out, *states] if self.return_state else out

    def backward(self, grad):
        x, steps, t = self._cached()
        W, U = self.params["kernel"], self.params["recurrent_kernel"]
        if isinstance(grad, (list, tuple)):                   # return_state: [dout, dh, (dc)]
            grad, *dstates = grad
            dstates = [np.zeros_like(s) if s is None else np.asarray(s, dtype=W.dtype) for s in dstates]
        else:
            dstates = None
        grad = np.asarray(grad, dtype=W.dtype)
        n = grad.shape[0]
        if dstates is None:
            dstates = [np.zeros((n, self.units), dtype=W.dtype) for _ in range(self._state_count())]
        dxw = np.empty((n, t, W.shape[1]), dtype=W.dtype)
        self.grads["recurrent_kernel"] = np.zeros_like(U)
        self._zero_extra_grads()
        for step in range(t - 1, -1, -1):                     # back through time
            dh_out = grad[:, step] if self.return_sequences else (grad if step == t - 1 else 0)
            dstates[0] = dstates[0] + dh_out
            dxw[:, step], dstates = self.step_backward(steps[step], dstates)
        d = x.shape[2]
        self.grads["kernel"] = x.reshape(n * t, d).T @ dxw.reshape(n * t, -1)   # dW = Xᵀ dZ
        if self.use_bias:
            self._input_bias_grad(dxw.sum(axis=(0, 1)))
        dx = (dxw.reshape(n * t, -1) @ W.T).reshape(n, t, d)
        return dx[:, ::-1] if self.go_backwards else dx

    def _input_bias(self):
        return self.params["bias"]

    def _input_bias_grad(self, db):
        self.grads["bias"] = db

    def _zero_extra_grads(self):
        pass

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            return_sequences=self.return_sequences, return_state=self.return_state,
            go_backwards=self.go_backwards, stateful=False, unroll=self.unroll, seed=self.seed)
        return config


class SimpleRNN(_RNN):
    """Fully connected recurrence: h_t = φ(x_t W + h_{t−1} U + b), φ = tanh by default.

    Backward through one step, with dh = dL/dh_t (from the output and from step t + 1):
    dz = dh ⊙ φ′(z_t);  dW += x_tᵀ dz;  dU += h_{t−1}ᵀ dz;  db += Σ dz;
    dL/dx_t = dz Wᵀ;  dL/dh_{t−1} = dz Uᵀ.

    Args:
        units: size of the state h. activation: Defaults to 'tanh'.
        use_bias, kernel_initializer ('glorot_uniform'), recurrent_initializer
        ('orthogonal'), bias_initializer ('zeros'), *_regularizer: as in Dense.
        return_sequences: output every h_t, (batch, T, units). Defaults to False (h_T).
        return_state: also return the final state: [output, h_T]. Defaults to False.
        go_backwards: read the sequence from its end. Defaults to False.

    Weights (Keras' layout): kernel (features, units), recurrent_kernel (units, units),
    bias (units,).

    Example:
        >>> SimpleRNN(4)(np.zeros((2, 5, 3))).shape
        (2, 4)

    Derived in lessons/16 (recurrent networks).
    """

    def step(self, xw_t, states):
        (h_prev,) = states
        z = xw_t + h_prev @ self.params["recurrent_kernel"]
        h = self.activation(z)
        return [h], (h_prev, z, h)

    def step_backward(self, cache, dstates):
        h_prev, z, h = cache
        dz = _act_backward(self.activation, z, h, dstates[0])
        self.grads["recurrent_kernel"] += h_prev.T @ dz
        return dz, [dz @ self.params["recurrent_kernel"].T]


class LSTM(_RNN):
    """Long short-term memory: gates decide what the cell state c forgets, adds and shows.

        [z_i, z_f, z_g, z_o] = x_t W + h_{t−1} U + b       (Keras' gate order i, f, c, o)
        i, f, o = σ(z_i), σ(z_f), σ(z_o);  g = tanh(z_g)
        c_t = f ⊙ c_{t−1} + i ⊙ g;          h_t = o ⊙ tanh(c_t)

    Backward through one step, given dh and dc from above:
        do = dh ⊙ tanh(c_t);   dc ← dc + dh ⊙ o ⊙ tanh′(c_t)
        df = dc ⊙ c_{t−1};  di = dc ⊙ g;  dg = dc ⊙ i;  dc_{t−1} = dc ⊙ f
        dz = [di σ′, df σ′, dg tanh′, do σ′];  dh_{t−1} = dz Uᵀ
    The path c_{t−1} → c_t multiplies by f only (no squashing): this is how an LSTM
    keeps gradients alive over many steps.

    Args:
        units, activation ('tanh'), use_bias, initializers, regularizers,
        return_sequences, return_state ([output, h_T, c_T]), go_backwards: as SimpleRNN.
        recurrent_activation: the gates' function. Defaults to 'sigmoid'.
        unit_forget_bias: start the forget gate's bias at 1 (keep by default).
            Defaults to True.

    Weights: kernel (features, 4·units), recurrent_kernel (units, 4·units), bias (4·units,).

    Derived in lessons/16 (recurrent networks).
    """

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias=True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _state_count(self):
        return 2

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, u = initializers.get(self.bias_initializer), self.units

        def init(shape, dtype=None):                      # [b_i, 1, b_c, b_o]
            b = np.asarray(base(shape, dtype=dtype))
            b[u:2 * u] = 1.0
            return b
        return init

    def step(self, xw_t, states):
        h_prev, c_prev = states
        u = self.units
        z = xw_t + h_prev @ self.params["recurrent_kernel"]
        sig = self.recurrent_activation
        i_f = sig(z[:, :2 * u])                       # i and f are neighbours: one call
        i, f, o = i_f[:, :u], i_f[:, u:], sig(z[:, 3 * u:])
        g = self.activation(z[:, 2 * u:3 * u])
        c = f * c_prev + i * g
        tc = self.activation(c)
        h = o * tc
        return [h, c], (h_prev, c_prev, z, i, f, g, o, c, tc)

    def step_backward(self, cache, dstates):
        h_prev, c_prev, z, i, f, g, o, c, tc = cache
        dh, dc = dstates
        u = self.units
        sig, act = self.recurrent_activation, self.activation
        do = dh * tc
        dc = dc + _act_backward(act, c, tc, dh * o)
        di, df, dg = dc * g, dc * c_prev, dc * i
        dz = np.concatenate([_act_backward(sig, z[:, :u], i, di),
                             _act_backward(sig, z[:, u:2 * u], f, df),
                             _act_backward(act, z[:, 2 * u:3 * u], g, dg),
                             _act_backward(sig, z[:, 3 * u:], o, do)], axis=1)
        self.grads["recurrent_kernel"] += h_prev.T @ dz
        return dz, [dz @ self.params["recurrent_kernel"].T, dc * f]

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      unit_forget_bias=self.unit_forget_bias)
        return config


class GRU(_RNN):
    """Gated recurrent unit, Keras 3's default form (reset_after=True):

        [x_z, x_r, x_h] = x_t W + b_in            [u_z, u_r, u_h] = h_{t−1} U + b_rec
        z = σ(x_z + u_z)   r = σ(x_r + u_r)   h̃ = tanh(x_h + r ⊙ u_h)
        h_t = z ⊙ h_{t−1} + (1 − z) ⊙ h̃

    With reset_after=False the reset gate acts before the product:
    h̃ = tanh(x_h + (r ⊙ h_{t−1}) U_h), and there is one bias row.

    Backward through one step, given dh: dz = dh ⊙ (h_{t−1} − h̃), dh̃ = dh ⊙ (1 − z),
    dh_{t−1} gets dh ⊙ z directly plus the paths through z, r and h̃.

    Args:
        units, activation ('tanh'), recurrent_activation ('sigmoid'), use_bias,
        initializers, regularizers, return_sequences, return_state ([output, h_T]),
        go_backwards: as LSTM.
        reset_after: Defaults to True (Keras 3's default).

    Weights: kernel (features, 3·units), recurrent_kernel (units, 3·units), bias
    (2, 3·units) with reset_after (input row, recurrent row), else (3·units,).

    Derived in lessons/16 (recurrent networks).
    """

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid",
                 reset_after=True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        return self.params["bias"][0] if self.reset_after else self.params["bias"]

    def _input_bias_grad(self, db):
        if self.reset_after:
            self.grads["bias"][0] = db                   # row 1 was filled step by step
        else:
            self.grads["bias"] = db

    def _zero_extra_grads(self):
        if self.use_bias and self.reset_after:
            self.grads["bias"] = np.zeros_like(self.params["bias"])

    def step(self, xw_t, states):
        (h_prev,) = states
        u, U, sig = self.units, self.params["recurrent_kernel"], self.recurrent_activation
        if self.reset_after:
            uh = h_prev @ U
            if self.use_bias:
                uh = uh + self.params["bias"][1]
            z = sig(xw_t[:, :u] + uh[:, :u])
            r = sig(xw_t[:, u:2 * u] + uh[:, u:2 * u])
            pre = xw_t[:, 2 * u:] + r * uh[:, 2 * u:]
        else:
            uh = h_prev @ U[:, :2 * u]
            z = sig(xw_t[:, :u] + uh[:, :u])
            r = sig(xw_t[:, u:2 * u] + uh[:, u:])
            pre = xw_t[:, 2 * u:] + (r * h_prev) @ U[:, 2 * u:]
        hh = self.activation(pre)
        h = z * h_prev + (1 - z) * hh
        return [h], (h_prev, xw_t, uh, z, r, pre, hh)

    def step_backward(self, cache, dstates):
        h_prev, xw_t, uh, z, r, pre, hh = cache
        (dh,) = dstates
        u, U, sig = self.units, self.params["recurrent_kernel"], self.recurrent_activation
        dpre = _act_backward(self.activation, pre, hh, dh * (1 - z))
        dz_pre = _act_backward(sig, xw_t[:, :u] + uh[:, :u], z, dh * (h_prev - hh))
        dh_prev = dh * z
        if self.reset_after:
            dr = dpre * uh[:, 2 * u:]
            dr_pre = _act_backward(sig, xw_t[:, u:2 * u] + uh[:, u:2 * u], r, dr)
            duh = np.concatenate([dz_pre, dr_pre, dpre * r], axis=1)      # d(h U + b_rec)
            self.grads["recurrent_kernel"] += h_prev.T @ duh
            if self.use_bias:
                self.grads["bias"][1] += duh.sum(axis=0)
            dh_prev = dh_prev + duh @ U.T
        else:
            drh = dpre @ U[:, 2 * u:].T                                     # d(r ⊙ h_{t−1})
            dr_pre = _act_backward(sig, xw_t[:, u:2 * u] + uh[:, u:], r, drh * h_prev)
            dzr = np.concatenate([dz_pre, dr_pre], axis=1)
            self.grads["recurrent_kernel"][:, :2 * u] += h_prev.T @ dzr
            self.grads["recurrent_kernel"][:, 2 * u:] += (r * h_prev).T @ dpre
            dh_prev = dh_prev + dzr @ U[:, :2 * u].T + drh * r
        dxw = np.concatenate([dz_pre, dr_pre, dpre], axis=1)
        return dxw, [dh_prev]

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      reset_after=self.reset_after)
        return config


class Embedding(Layer):
    """A lookup table: integer token i → row i of a (input_dim, output_dim) matrix.

        y[n, t] = E[x[n, t]]          dL/dE[i] = Σ over the positions holding i of dL/dy

    (the same as a Dense layer without bias applied to one-hot vectors, without building
    them). There is no gradient for the integer input.

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the length of each token's vector.
        embeddings_initializer: Defaults to 'uniform' (U(−0.05, 0.05), as Keras).
        embeddings_regularizer: Defaults to None.
        mask_zero: only False is supported (nnlab has no masking).

    Input shape: (batch, T) integers. Output shape: (batch, T, output_dim).

    Example:
        >>> Embedding(10, 4)(np.array([[1, 2, 3]])).shape
        (1, 3, 4)

    Derived in lessons/16 (recurrent networks).
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, mask_zero=False, input_length=None, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = _args.positive_int(input_dim, "input_dim")
        self.output_dim = _args.positive_int(output_dim, "output_dim")
        initializers.get(embeddings_initializer)
        self.embeddings_initializer = embeddings_initializer
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        if mask_zero:
            raise NotImplementedError(
                "Embedding(mask_zero=True) is not supported: nnlab has no masking. Pad with 0 "
                "and let the model learn to ignore it, or use Keras (lessons/18).")
        self.mask_zero = False

    def build(self, input_shape):
        self.add_weight("embeddings", (self.input_dim, self.output_dim),
                        self.embeddings_initializer, regularizer=self.embeddings_regularizer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def forward(self, x, training=False):
        _args.require_weights(self, "embeddings")
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.integer):
            if not np.all(np.isfinite(x)) or not np.all(x == np.round(x)):
                raise ValueError(f"Layer '{self.name}' (Embedding) expects integer token indices; "
                                 "received non-integer values.")
            x = x.astype(np.int64)
        if x.size and (x.min() < 0 or x.max() >= self.input_dim):
            raise ValueError(
                f"Layer '{self.name}' (Embedding) received the index {int(x.max() if x.max() >= self.input_dim else x.min())}, "
                f"outside 0..{self.input_dim - 1} (input_dim={self.input_dim}). Make input_dim "
                "the vocabulary size (largest index + 1).")
        self._cache = x
        return self.params["embeddings"][x]

    def backward(self, grad):
        x = self._cached()
        E = self.params["embeddings"]
        dE = np.zeros_like(E)
        np.add.at(dE, x.ravel(), np.asarray(grad, dtype=E.dtype).reshape(-1, self.output_dim))
        self.grads["embeddings"] = dE
        return None                                      # no gradient for integer indices

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim,
                      embeddings_initializer=initializers.serialize(self.embeddings_initializer),
                      embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
                      mask_zero=False)
        return config
