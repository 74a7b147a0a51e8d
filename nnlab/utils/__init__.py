"""Utilities, named as in `keras.utils`: one-hot labels, seeding, gradient checks."""
from nnlab.utils.data import set_random_seed, to_categorical
from nnlab.utils.gradcheck import check_gradients, numerical_gradient

__all__ = ["check_gradients", "numerical_gradient", "set_random_seed", "to_categorical"]
