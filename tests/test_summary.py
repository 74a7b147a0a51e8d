"""model.summary(): Keras 3's table; parameter counts checked against the hand formulas."""
import re

import numpy as np
import pytest

from nnlab.layers import Conv2D, Dense, Dropout, Flatten, Input, Layer, MaxPooling2D
from nnlab.models import Model, NotBuiltError, Sequential


def dense_params(n_in, n_out):
    return n_in * n_out + n_out


def conv_params(kh, kw, c_in, c_out):
    return kh * kw * c_in * c_out + c_out


def kb(n_params, bytes_per_param=4):
    return f"{n_params * bytes_per_param / 1024:.2f} KB"


def capture(model, **kwargs):
    texts = []
    model.summary(print_fn=texts.append, **kwargs)
    assert len(texts) == 1          # one call with the whole text, as Keras 3
    return texts[0]


def mlp():
    model = Sequential(name="mlp")
    model.add(Dense(units=256, input_dim=784, activation="relu", name="dense"))
    model.add(Dense(units=128, activation="relu", name="dense_1"))
    model.add(Dense(units=10, activation="softmax", name="dense_2"))
    return model


def test_mlp_summary_counts_and_rows():
    total = dense_params(784, 256) + dense_params(256, 128) + dense_params(128, 10)
    assert total == 235_146
    text = capture(mlp())
    lines = text.splitlines()
    assert lines[0] == 'Model: "mlp"'
    assert re.search(r"│ dense \(Dense\)\s+│ \(None, 256\)\s+│\s+200,960 │", text)
    assert re.search(r"│ dense_1 \(Dense\)\s+│ \(None, 128\)\s+│\s+32,896 │", text)
    assert re.search(r"│ dense_2 \(Dense\)\s+│ \(None, 10\)\s+│\s+1,290 │", text)
    assert f" Total params: {total:,} ({kb(total)})" in lines
    assert " Total params: 235,146 (918.54 KB)" in lines
    assert f" Trainable params: {total:,} ({kb(total)})" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines
    assert "Optimizer params" not in text


def test_table_shape():
    lines = capture(mlp()).splitlines()
    table = [line for line in lines if line[:1] in "┏┃┡│├└"]
    assert table[0].startswith("┏") and table[-1].startswith("└")
    assert "Layer (type)" in table[1] and "Output Shape" in table[1] and "Param #" in table[1]
    assert {len(line) for line in table} == {76}
    assert sum(line.startswith("├") for line in table) == 2      # a rule between the 3 rows
    wide = capture(mlp(), line_length=100).splitlines()
    assert {len(line) for line in wide if line[:1] in "┏┃┡│├└"} == {100}


def test_document_cnn_count():
    model = Sequential(name="cnn")
    model.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(Conv2D(64, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    # 28 -> 26 -> 24 (valid 3x3 convolutions) -> 12 (pool 2): 12 * 12 * 64 = 9216 features
    total = (conv_params(3, 3, 1, 32) + conv_params(3, 3, 32, 64)
             + dense_params(12 * 12 * 64, 128) + dense_params(128, 10))
    assert total == 1_199_882
    assert model.count_params() == total
    text = capture(model)
    assert f" Total params: {total:,} (4.58 MB)" in text.splitlines()
    assert f"{total * 4 / 1024 ** 2:.2f} MB" == "4.58 MB"
    assert re.search(r"\(None, 12, 12, 64\)", text) and re.search(r"\(None, 9216\)", text)


def test_prints_to_stdout(capsys):
    mlp().summary()
    out = capsys.readouterr().out
    assert out.startswith('Model: "mlp"\n') and "235,146" in out


def test_functional_chain_lists_input_layer():
    inp = Input(shape=(100,), name="pixels")
    out = Dense(10, name="out")(Dense(64, name="hidden")(inp))
    text = capture(Model(inp, out, name="f"))
    assert re.search(r"│ pixels \(InputLayer\)\s+│ \(None, 100\)\s+│\s+0 │", text)
    assert "Connected to" not in text


class Add(Layer):
    def __call__(self, inputs, training=False):
        from nnlab.layers import KerasTensor
        self.built, self.input_shape, self.output_shape = True, inputs[0].shape[1:], inputs[0].shape[1:]
        return KerasTensor(inputs[0].shape, layer=self, parents=tuple(inputs))


def test_graph_has_connected_to_column():
    inp = Input(shape=(4,), name="x_in")
    a, b = Dense(3, name="a")(inp), Dense(3, name="b")(inp)
    text = capture(Model(inp, Add(name="s")([a, b]), name="g"))
    assert "Connected to" in text
    assert re.search(r"│ a \(Dense\)\s+│ \(None, 3\)\s+│\s+15 │ x_in\[0\]\[0\]", text)
    assert re.search(r"│ s \(Add\)\s+│ \(None, 3\)\s+│\s+0 │ a\[0\]\[0\], b\[0\]\[0\]", text)


def test_optimizer_params_after_training():
    model = Sequential([Input(shape=(3,)), Dense(2)], name="o")
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)
    weights = dense_params(3, 2)
    # Adam keeps m and v per weight, plus the iteration count and the learning rate (Keras 3)
    optimizer = 2 * weights + 2
    text = capture(model)
    assert f" Optimizer params: {optimizer:,}" in text
    assert f" Total params: {weights + optimizer:,}" in text


def test_unbuilt_model_errors():
    model = Sequential([Dense(3)])
    for call in (model.summary, model.count_params):
        with pytest.raises(NotBuiltError, match=r"input_shape=.*Input\(shape=\.\.\.\)"):
            call()


def test_non_trainable_layers_are_counted_apart():
    model = Sequential([Input(shape=(4,)), Dense(3, name="frozen", trainable=False), Dense(2, name="free")])
    text = capture(model)
    frozen, free = dense_params(4, 3), dense_params(3, 2)
    assert f" Trainable params: {free:,} ({free * 4:.2f} B)" in text
    assert f" Non-trainable params: {frozen:,} ({frozen * 4:.2f} B)" in text
    assert f" Total params: {frozen + free:,} ({(frozen + free) * 4:.2f} B)" in text
