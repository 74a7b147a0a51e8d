"""Stochastic gradient descent, with optional (Nesterov) momentum."""
from nnlab.optimizers.base import Optimizer, check_bool, check_range


class SGD(Optimizer):
    """Gradient descent (with momentum), as Keras 3 computes it.

    Plain (momentum = 0):        w ← w - η g
    Momentum μ (velocity m, starts at 0):
                                 m ← μ m - η g
                                 w ← w + m
    Nesterov:                    m ← μ m - η g
                                 w ← w + μ m - η g

    Keras keeps η inside the velocity (m holds a step, not a gradient average); the
    textbook form v ← μ v + g, w ← w - η v gives the same steps while η is constant.

    Args:
        learning_rate: η. Defaults to 0.01.
        momentum: μ >= 0, how much of the previous step is kept. Defaults to 0.0.
        nesterov: whether to apply Nesterov momentum. Defaults to False.
        name: Defaults to "SGD".

    Example:
        >>> w, g = np.array([1.0]), np.array([0.5])
        >>> SGD(learning_rate=0.1).apply([g], [w]); w
        array([0.95])

    Derived in lessons/08_optimizers.ipynb.
    """

    _default_name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = check_range("momentum", momentum, 0, float("inf"))
        self.nesterov = check_bool("nesterov", nesterov)

    def slot_names(self):
        return ("momentum",) if self.momentum != 0 else ()

    def update_step(self, grad, variable, slots, learning_rate):
        lr = variable.dtype.type(learning_rate)
        if "momentum" not in slots:
            variable -= lr * grad
            return
        m = slots["momentum"]
        m *= self.momentum
        m -= lr * grad                                  # m = μ m - η g
        if self.nesterov:
            variable += self.momentum * m - lr * grad   # w += μ m - η g
        else:
            variable += m                               # w += m

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
