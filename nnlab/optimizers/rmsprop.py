"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
import numpy as np

from nnlab.optimizers.base import Optimizer, check_bool, check_positive, check_range


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), as Keras 3 computes it.

    With v (and the optional m, ḡ) starting at 0:

        v ← ρ v + (1 - ρ) g²
        step = η g / √(v + ε)                 (centered: η g / √(v - ḡ² + ε),
                                               with ḡ ← ρ ḡ + (1 - ρ) g)
        w ← w - step                          (momentum μ > 0: m ← μ m + step, w ← w - m)

    Note where ε goes: Keras adds it *inside* the square root (√(v + ε)), while most
    textbooks write √v + ε. With ε = 1e-7 the two differ only for tiny v.

    Args:
        learning_rate: η. Defaults to 0.001.
        rho: decay rate ρ of the squared-gradient average, in [0, 1). Defaults to 0.9.
        momentum: μ >= 0. Defaults to 0.0.
        epsilon: ε > 0. Defaults to 1e-7.
        centered: whether to divide by the estimated variance instead of the raw second
            moment. Defaults to False.
        name: Defaults to "rmsprop".

    Derived in lessons/08_optimizers.ipynb.
    """

    _default_name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho = check_range("rho", rho, 0, 1)
        self.momentum = check_range("momentum", momentum, 0, float("inf"))
        self.epsilon = check_positive("epsilon", epsilon)
        self.centered = check_bool("centered", centered)

    def slot_names(self):
        names = ("velocity",)
        if self.momentum > 0:
            names += ("momentum",)
        if self.centered:
            names += ("average_gradient",)
        return names

    def update_step(self, grad, variable, slots, learning_rate):
        lr = variable.dtype.type(learning_rate)
        rho = self.rho
        v = slots["velocity"]
        v[...] = rho * v + (1 - rho) * np.square(grad)
        if self.centered:
            avg = slots["average_gradient"]
            avg[...] = rho * avg + (1 - rho) * grad
            denominator = v - np.square(avg) + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = lr * grad / np.sqrt(denominator)
        if self.momentum > 0:
            m = slots["momentum"]
            m[...] = self.momentum * m + increment
            variable -= m
        else:
            variable -= increment

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
