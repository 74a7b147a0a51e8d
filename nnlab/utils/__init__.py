"""Utilities, named as in `keras.utils`: one-hot labels, padding, seeding, gradient checks."""
from nnlab.utils.data import set_random_seed, to_categorical
from nnlab.utils.gradcheck import check_gradients, numerical_gradient
from nnlab.utils.sequences import pad_sequences

__all__ = ["check_gradients", "numerical_gradient", "pad_sequences", "set_random_seed",
           "to_categorical"]
