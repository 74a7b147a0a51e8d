"""Adagrad: per-weight step sizes that shrink with the sum of past squared gradients."""
import numpy as np

from nnlab.optimizers.base import Optimizer, check_positive, check_range


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as Keras 3 computes it.

    With the accumulator a starting at `initial_accumulator_value`:

        a ← a + g²
        w ← w - η g / √(a + ε)

    Keras puts ε inside the square root and starts a at 0.1, not 0 (the paper has
    √a + ε with a starting at 0); the paper's form is closer with learning_rate=1.0.

    Args:
        learning_rate: η. Defaults to 0.001.
        initial_accumulator_value: starting value of a, >= 0. Defaults to 0.1.
        epsilon: ε > 0. Defaults to 1e-7.
        name: Defaults to "adagrad".

    Derived in lessons/08_optimizers.ipynb.
    """

    _default_name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.initial_accumulator_value = check_range(
            "initial_accumulator_value", initial_accumulator_value, 0, float("inf"))
        self.epsilon = check_positive("epsilon", epsilon)

    def slot_names(self):
        return ("accumulator",)

    def _initial_slot(self, slot_name, variable):
        return np.full_like(variable, self.initial_accumulator_value)

    def update_step(self, grad, variable, slots, learning_rate):
        lr = variable.dtype.type(learning_rate)
        a = slots["accumulator"]
        a += np.square(grad)
        variable -= lr * grad / np.sqrt(a + self.epsilon)

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
