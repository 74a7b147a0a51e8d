"""Mutation test of solutions/16_recurrent.ipynb: plausible wrong answers must fail its tests."""
from functools import partial

from _mutation import edit, mutation_tests

SLUG = "16_recurrent"
_edit = partial(edit, SLUG)


# Whole-cell mutants: the answer delegates to nnlab's own recurrent layers (the hidden tests refuse it).
NNLAB_RNN_STEP = """def rnn_step_backward(x_t, h_prev, W, U, b, dh_out, dh_next):
    layer = nnlab.layers.SimpleRNN(U.shape[0], dtype="float64")
    layer(x_t[:, None, :])
    layer.set_weights([W, U, b])
    layer.grads = {k: np.zeros_like(v) for k, v in layer.params.items()}
    (h,), cache = layer.step(x_t @ W + b, [h_prev])
    dz, (dh_prev,) = layer.step_backward(cache, [dh_out + dh_next])
    return dz @ W.T, dh_prev, x_t.T @ dz, layer.grads["recurrent_kernel"], dz.sum(axis=0)
"""
NNLAB_LSTM_STEP = """def lstm_cell_forward(x_t, h_prev, c_prev, W, U, b):
    layer = nnlab.layers.LSTM(h_prev.shape[1], dtype="float64")
    layer(x_t[:, None, :])
    layer.set_weights([W, U, b])
    (h, c), _ = layer.step(x_t @ W + b, [h_prev, c_prev])
    return h, c
"""

MUTANTS = {
    "rnn_step_backward": {
        "dh from the next step not added": ("dh = dh_out + dh_next", "dh = dh_out"),
        "only the gradient from the next step": ("dh = dh_out + dh_next", "dh = dh_next"),
        "tanh' forgotten": ("dz = dh * (1 - h ** 2)", "dz = dh"),
        "sigmoid's derivative h (1 - h)": ("dz = dh * (1 - h ** 2)", "dz = dh * h * (1 - h)"),
        "1 - h instead of 1 - h²": ("dz = dh * (1 - h ** 2)", "dz = dh * (1 - h)"),
        "transposed recurrent kernel in dh_prev": ("dh_prev = dz @ U.T", "dh_prev = dz @ U"),
        "dU transposed": ("dU = h_prev.T @ dz", "dU = dz.T @ h_prev"),
        "dU from the input instead of the previous state": ("dU = h_prev.T @ dz", "dU = x_t.T @ dz"),
        "dh_prev skips tanh'": ("dh_prev = dz @ U.T", "dh_prev = dh @ U.T"),
        "bias gradient averaged over the batch": ("db = dz.sum(axis=0)", "db = dz.mean(axis=0)"),
        "weight gradients averaged over the batch": _edit("rnn_step_backward", ("dW = x_t.T @ dz", "dW = x_t.T @ dz / len(x_t)"),
                                                          ("dU = h_prev.T @ dz", "dU = h_prev.T @ dz / len(x_t)")),
        "in-place update of dh_out": ("dh = dh_out + dh_next", "dh_out += dh_next\n    dh = dh_out"),
        "h recomputed without the recurrent term": ("h = np.tanh(x_t @ W + h_prev @ U + b)", "h = np.tanh(x_t @ W + b)"),
        "gradients returned in the wrong order": ("return dx_t, dh_prev, dW, dU, db", "return dh_prev, dx_t, dW, dU, db"),
        "float32 arithmetic": ("dz = dh * (1 - h ** 2)", "dz = (dh * (1 - h ** 2)).astype(np.float32)"),
        "delegates to nnlab's SimpleRNN step and step_backward": NNLAB_RNN_STEP,
        "dU from the new state h_t": ("dU = h_prev.T @ dz", "dU = h.T @ dz"),
        "dh_prev also passes dh_next straight through": ("dh_prev = dz @ U.T", "dh_prev = dz @ U.T + dh_next"),
        "tanh' evaluated at h_prev": ("dz = dh * (1 - h ** 2)", "dz = dh * (1 - h_prev ** 2)"),
        "db summed over the units": ("db = dz.sum(axis=0)", "db = dz.sum(axis=1)"),
    },
    "lstm_cell_forward": {
        "gate order i, f, o, c": _edit("lstm_cell_forward",
                                       ("g = np.tanh(z[:, 2 * units:3 * units])", "g = np.tanh(z[:, 3 * units:])"),
                                       ("o = 1 / (1 + np.exp(-z[:, 3 * units:]))", "o = 1 / (1 + np.exp(-z[:, 2 * units:3 * units]))")),
        "gate order f, i, c, o": _edit("lstm_cell_forward",
                                       ("i = 1 / (1 + np.exp(-z[:, :units]))", "i = 1 / (1 + np.exp(-z[:, units:2 * units]))"),
                                       ("f = 1 / (1 + np.exp(-z[:, units:2 * units]))", "f = 1 / (1 + np.exp(-z[:, :units]))")),
        "gate order i, c, f, o": _edit("lstm_cell_forward",
                                       ("f = 1 / (1 + np.exp(-z[:, units:2 * units]))", "f = 1 / (1 + np.exp(-z[:, 2 * units:3 * units]))"),
                                       ("g = np.tanh(z[:, 2 * units:3 * units])", "g = np.tanh(z[:, units:2 * units])")),
        "candidate through a sigmoid": ("g = np.tanh(z[:, 2 * units:3 * units])", "g = 1 / (1 + np.exp(-z[:, 2 * units:3 * units]))"),
        "tanh and sigmoid swapped": _edit("lstm_cell_forward",
                                          ("i = 1 / (1 + np.exp(-z[:, :units]))", "i = np.tanh(z[:, :units])"),
                                          ("f = 1 / (1 + np.exp(-z[:, units:2 * units]))", "f = np.tanh(z[:, units:2 * units])"),
                                          ("o = 1 / (1 + np.exp(-z[:, 3 * units:]))", "o = np.tanh(z[:, 3 * units:])"),
                                          ("g = np.tanh(z[:, 2 * units:3 * units])", "g = 1 / (1 + np.exp(-z[:, 2 * units:3 * units]))")),
        "previous cell state forgotten": ("c = f * c_prev + i * g", "c = i * g"),
        "h = o * c (no tanh)": ("h = o * np.tanh(c)", "h = o * c"),
        "h and c confused in the return": ("return h, c", "return c, h"),
        "h_prev used as the previous cell state": ("c = f * c_prev + i * g", "c = f * h_prev + i * g"),
        "recurrent term forgotten": ("z = x_t @ W + h_prev @ U + b", "z = x_t @ W + b"),
        "in-place update of c_prev": ("c = f * c_prev + i * g", "c_prev *= f\n    c_prev += i * g\n    c = c_prev"),
        "units from the input's width": ("units = h_prev.shape[1]", "units = x_t.shape[1]"),
        "forget gate multiplies the candidate": ("c = f * c_prev + i * g", "c = i * c_prev + f * g"),
        "delegates to nnlab's LSTM step": NNLAB_LSTM_STEP,
        "forget bias of 1 added again": ("f = 1 / (1 + np.exp(-z[:, units:2 * units]))", "f = 1 / (1 + np.exp(-z[:, units:2 * units] - 1))"),
        "gates interleaved (column 4k + gate)": _edit("lstm_cell_forward", ("z[:, :units]", "z[:, 0::4]"), ("z[:, units:2 * units]", "z[:, 1::4]"),
                                                      ("z[:, 2 * units:3 * units]", "z[:, 2::4]"), ("z[:, 3 * units:]", "z[:, 3::4]")),
        "units from the batch size": ("units = h_prev.shape[1]", "units = len(h_prev)"),
        "h from the previous cell state": ("h = o * np.tanh(c)", "h = o * np.tanh(c_prev)"),
    },
}
test_solution_passes, test_mutant_is_rejected = mutation_tests(SLUG, MUTANTS)
