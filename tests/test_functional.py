"""Functional models: graph walking, topological order, gradient accumulation, errors."""
import numpy as np
import pytest

from nnlab import config, utils
from nnlab.layers import Dense, Dropout, Input, InputLayer, KerasTensor, Layer
from nnlab.models import Functional, Model


class Add(Layer):
    """A test-only merge layer: y = x1 + x2 (dL/dx1 = dL/dx2 = dL/dy)."""

    def __call__(self, inputs, training=False):
        if all(isinstance(t, KerasTensor) for t in inputs):
            self.built, self.input_shape, self.output_shape = True, inputs[0].shape[1:], inputs[0].shape[1:]
            return KerasTensor(inputs[0].shape, layer=self, parents=tuple(inputs))
        return self.forward(inputs, training)

    def forward(self, inputs, training=False):
        self._cache = len(inputs)
        return sum(inputs)

    def backward(self, grad):
        return [grad] * self._cached()


def test_seed_document_functional_model():
    input_layer = Input(shape=(100,))
    x = Dense(64, activation="relu", name="f_hidden")(input_layer)
    x = Dropout(0.5, name="f_drop")(x)
    output_layer = Dense(10, activation="softmax", name="f_out")(x)
    model = Model(inputs=input_layer, outputs=output_layer)
    assert isinstance(model, Functional) and isinstance(model, Model)
    assert isinstance(model.layers[0], InputLayer)          # Keras 3 lists the InputLayer
    assert [layer.name for layer in model.layers[1:]] == ["f_hidden", "f_drop", "f_out"]
    assert model.input_shape == (None, 100) and model.output_shape == (None, 10)
    assert model.count_params() == 100 * 64 + 64 + 64 * 10 + 10
    out = model.predict(np.zeros((3, 100)), verbose=0)
    assert out.shape == (3, 10) and np.allclose(out.sum(axis=1), 1.0, atol=1e-6)


def _diamond():
    """input -> a, input -> b, add(a, b) -> out: the input feeds two layers."""
    inp = Input(shape=(2,))
    a = Dense(2, name="branch_a")(inp)
    b = Dense(2, name="branch_b")(inp)
    s = Add(name="sum")([a, b])
    out = Dense(1, name="head")(s)
    return Model(inp, out, name="diamond")


def test_topological_order():
    model = _diamond()
    names = [layer.name for layer in model.layers]
    assert names[0].startswith("input_layer") and names[-1] == "head"
    assert names.index("sum") > names.index("branch_a") and names.index("sum") > names.index("branch_b")
    parents = dict(zip(names, [p for _, p in model._nodes]))
    assert sorted(names[i] for i in parents["sum"]) == ["branch_a", "branch_b"]


def test_gradients_accumulate_by_hand():
    model = _diamond()
    model.get_layer("branch_a").set_weights([np.array([[1.0, 0.0], [0.0, 1.0]]), np.zeros(2)])
    model.get_layer("branch_b").set_weights([np.array([[2.0, 1.0], [0.0, 3.0]]), np.zeros(2)])
    model.get_layer("head").set_weights([np.array([[1.0], [1.0]]), np.zeros(1)])
    x = np.array([[1.0, 2.0]])
    # a = [1, 2], b = [2, 1+6] = [2, 7], s = [3, 9], y = 12
    assert np.allclose(model.forward(x), [[12.0]])
    dx = model.backward(np.array([[1.0]]))
    # dL/ds = [1, 1]; dL/dx = [1,1] Wa^T + [1,1] Wb^T = [1, 1] + [3, 3] = [4, 4]
    assert np.allclose(dx, [[4.0, 4.0]])


def test_gradient_check_on_a_dag():
    utils.set_random_seed(3)
    with config.floatx_scope("float64"):
        inp = Input(shape=(3,))
        h = Dense(4, activation="tanh")(inp)
        a = Dense(4, activation="sigmoid")(h)
        b = Dense(4)(h)                       # h feeds two layers
        out = Dense(2, activation="softmax")(Add()([a, b]))
        model = Model(inputs=inp, outputs=out)
        errors = utils.check_gradients(model, np.random.default_rng(0).normal(size=(5, 3)))
    assert len(errors) == 1 + 2 * 4 and max(errors.values()) < 1e-6


def test_unused_branch_is_not_part_of_the_model():
    inp = Input(shape=(2,))
    used = Dense(1, name="used")(inp)
    Dense(5, name="unused")(inp)
    model = Model(inp, used)
    assert [layer.name for layer in model.layers[1:]] == ["used"]


def test_single_element_lists_accepted():
    inp = Input(shape=(2,))
    out = Dense(1)(inp)
    model = Model(inputs=[inp], outputs=[out])
    assert model.output_shape == (None, 1)


def test_errors():
    inp, other = Input(shape=(2,)), Input(shape=(2,))
    out = Dense(1)(other)
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(inputs=inp, outputs=out)
    hidden = Dense(3)(inp)
    with pytest.raises(ValueError, match=r"Input\(shape=\.\.\.\)"):
        Model(inputs=hidden, outputs=Dense(1)(hidden))
    with pytest.raises(ValueError, match="exactly one input"):
        Model(inputs=[inp, other], outputs=out)
    with pytest.raises(TypeError, match="symbolic tensor"):
        Model(inputs=np.zeros((1, 2)), outputs=out)
    with pytest.raises(TypeError, match="needs `inputs` and `outputs`"):
        Model()
    shared = Dense(2)
    with pytest.raises(ValueError, match="more than once"):
        Model(inp, shared(shared(Dense(2)(inp))))


def test_wrong_input_shape_names_the_input_layer():
    inp = Input(shape=(4,), name="pixels")
    model = Model(inp, Dense(2)(inp))
    with pytest.raises(ValueError, match=r"'pixels'.*\(None, 4\).*\(None, 3\)"):
        model.predict(np.zeros((2, 3)), verbose=0)
