"""Small data sets, named as in `keras.datasets`.

`digits` and `toy` work offline (they come with scikit-learn or are generated);
`mnist`, `fashion_mnist`, `cifar10` and `imdb` read the files Keras uses from
`$NNLAB_HOME/datasets` (default `~/.nnlab/datasets`) or `~/.keras/datasets`, and
download them once (checksum verified) when they are missing.
"""
from nnlab.datasets import cifar10, digits, fashion_mnist, imdb, mnist, toy
from nnlab.datasets._files import ChecksumError, DatasetNotFoundError

__all__ = ["ChecksumError", "DatasetNotFoundError", "cifar10", "digits", "fashion_mnist",
           "imdb", "mnist", "toy"]
