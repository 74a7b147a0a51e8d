"""Small data sets, named as in `keras.datasets`.

`digits` and `toy` work offline (they come with scikit-learn or are generated);
`mnist`, `fashion_mnist`, `cifar10`, `imdb`, `reuters` and `boston_housing` read the
files Keras uses from
`$NNLAB_HOME/datasets` (default `~/.nnlab/datasets`) or `~/.keras/datasets`, and
download them once (checksum verified) when they are missing.
"""
from nnlab.datasets import boston_housing, cifar10, digits, fashion_mnist, imdb, mnist, reuters, toy
from nnlab.datasets._files import ChecksumError, DatasetNotFoundError

__all__ = ["ChecksumError", "DatasetNotFoundError", "boston_housing", "cifar10", "digits",
           "fashion_mnist", "imdb", "mnist", "reuters", "toy"]
