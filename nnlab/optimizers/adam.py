"""Adam: momentum on the gradient and on its square, with bias correction."""
import numpy as np

from nnlab.optimizers.base import Optimizer, check_bool, check_positive, check_range


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as Keras 3 computes it.

    At step t = iterations + 1, with m and v starting at 0:

        m ← m + (1 - β₁)(g - m)          (= β₁ m + (1 - β₁) g)
        v ← v + (1 - β₂)(g² - v)         (= β₂ v + (1 - β₂) g²)
        α = η √(1 - β₂ᵗ) / (1 - β₁ᵗ)
        w ← w - α m / (√v + ε)

    AMSGrad keeps v̂ ← max(v̂, v) and divides by √v̂ + ε instead.

    Where Keras differs from the paper's Algorithm 1: the bias corrections are folded
    into the learning rate (α above) instead of computing m̂ = m/(1 - β₁ᵗ) and
    v̂ = v/(1 - β₂ᵗ), so ε is added to √v, not to √v̂ — Keras' ε is the paper's "ε hat"
    (the formula just before its Section 2.1). The difference is only in ε's effective
    size (ε √(1 - β₂ᵗ) in the paper's terms), large only in the first steps.
    Since m/√v ≈ ±1 on the first step, each weight moves by ≈ η in the direction -sign(g).

    Args:
        learning_rate: η. Defaults to 0.001.
        beta_1: decay rate β₁ of the gradient average, in [0, 1). Defaults to 0.9.
        beta_2: decay rate β₂ of the squared-gradient average, in [0, 1). Defaults to 0.999.
        epsilon: ε > 0, keeps the division finite. Defaults to 1e-7.
        amsgrad: whether to use the AMSGrad variant. Defaults to False.
        name: Defaults to "adam".

    Example:
        >>> w, g = np.array([1.0, 1.0]), np.array([0.5, -2.0])
        >>> Adam(learning_rate=0.1).apply([g], [w]); w     # ≈ w - 0.1 sign(g)
        array([0.90000063, 1.09999984])

    Derived in lessons/08_optimizers.ipynb.
    """

    _default_name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, name=None, **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = check_range("beta_1", beta_1, 0, 1)
        self.beta_2 = check_range("beta_2", beta_2, 0, 1)
        self.epsilon = check_positive("epsilon", epsilon)
        self.amsgrad = check_bool("amsgrad", amsgrad)

    def slot_names(self):
        return ("m", "v", "vhat") if self.amsgrad else ("m", "v")

    def update_step(self, grad, variable, slots, learning_rate):
        f = variable.dtype.type
        t = f(self.iterations + 1)
        lr = f(learning_rate)
        alpha = lr * np.sqrt(1 - f(self.beta_2) ** t) / (1 - f(self.beta_1) ** t)
        m, v = slots["m"], slots["v"]
        m += (grad - m) * (1 - self.beta_1)
        v += (np.square(grad) - v) * (1 - self.beta_2)
        if self.amsgrad:
            np.maximum(slots["vhat"], v, out=slots["vhat"])
            v = slots["vhat"]
        variable -= m * alpha / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
