"""IMDB movie reviews as word-index sequences, labelled by sentiment, as `keras.datasets.imdb`."""
import os
import pathlib

import numpy as np

from nnlab.datasets import _files, _safe_pickle

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"


def _check_int(name, value, allow_none=False, minimum=0):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(
            f"Expected `{name}` to be an integer >= {minimum}"
            f"{' or None' if allow_none else ''}. Received: {name}={value!r}")


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """Load the IMDB sentiment data set: 25,000 training and 25,000 test reviews.

    Each review is a list of word indices; words are ranked by frequency, so index
    i + index_from stands for the i-th most frequent word. 0 is kept for padding,
    `start_char` (1) marks the start of a review, `oov_char` (2) a dropped word.

    The steps, in Keras' order:

    1. shuffle the training set, then the test set, with `np.random.RandomState(seed)`;
    2. add `index_from` to every word index and put `start_char` in front;
    3. if `maxlen`, drop (not truncate) every review of `maxlen` or more indices
       (start mark included), as Keras does;
    4. replace every index w outside `skip_top <= w < num_words` by `oov_char`
       (or remove it when `oov_char` is None).

    The file is Keras' `imdb.npz`, read from `$NNLAB_HOME/datasets` (default
    `~/.nnlab/datasets`) or `~/.keras/datasets` and downloaded (17 MB, sha256 checked)
    when missing. Its object arrays are pickles, read with a restricted unpickler
    (never `np.load(allow_pickle=True)`), so a tampered file cannot run code.

    Args:
        path: file name relative to those directories, or a path to an existing file.
            Defaults to `"imdb.npz"`.
        num_words: keep the `num_words` most frequent indices (all indices below
            `num_words` after shifting), others become `oov_char`. None keeps every
            word. Defaults to `None`.
        skip_top: indices below `skip_top` (after shifting: the start mark and the
            most frequent words) become `oov_char`. Defaults to `0`.
        maxlen: drop reviews with `maxlen` indices or more. None keeps all.
            Defaults to `None`.
        seed: seed of the shuffling. Defaults to `113`.
        start_char: index marking a review's start; None for no mark. Defaults to `1`.
        oov_char: index replacing dropped words; None removes them. Defaults to `2`.
        index_from: offset added to every word index. Defaults to `3`.

    Returns:
        Tuple of NumPy arrays: `(x_train, y_train), (x_test, y_test)`.

        **x_train**, **x_test**: object arrays of shape `(num_reviews,)` whose items
        are lists of ints. With `num_words` the largest index is `num_words - 1`; with
        `maxlen` the longest list has `maxlen - 1` items.

        **y_train**, **y_test**: integer arrays of labels, 1 positive / 0 negative.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = nnlab.datasets.imdb.load_data(num_words=10000)
    >>> len(x_train), x_train[0][:3]

    Note: Keras 3 with `num_words=None` turns the single largest index into
    `oov_char`; nnlab keeps it, as Keras documents ("If None, all words are kept").
    """
    _check_int("num_words", num_words, allow_none=True, minimum=1)
    _check_int("skip_top", skip_top)
    _check_int("maxlen", maxlen, allow_none=True, minimum=1)
    _check_int("seed", seed)
    _check_int("start_char", start_char, allow_none=True)
    _check_int("oov_char", oov_char, allow_none=True)
    _check_int("index_from", index_from)
    if os.path.isabs(os.fspath(path)) and os.path.exists(path):
        file = pathlib.Path(path)
    else:
        file = _files.get_file(os.fspath(path), ORIGIN, SHA256)
    arrays = _safe_pickle.load_npz(file)
    missing = {"x_train", "y_train", "x_test", "y_test"} - set(arrays)
    if missing:
        raise ValueError(f"{file} is not Keras' imdb.npz: it lacks {sorted(missing)}.")
    x_train, y_train = arrays["x_train"], arrays["y_train"]
    x_test, y_test = arrays["x_test"], arrays["y_test"]

    # 1. Shuffle exactly as Keras: one RandomState, train indices first, then test.
    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, y_train = x_train[order], y_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, y_test = x_test[order], y_test[order]

    # 2. Shift the word indices and mark the start.
    head = [] if start_char is None else [start_char]
    x_train = [head + [int(w) + index_from for w in review] for review in x_train]
    x_test = [head + [int(w) + index_from for w in review] for review in x_test]

    # 3. Drop long reviews.
    if maxlen:
        keep = [i for i, review in enumerate(x_train) if len(review) < maxlen]
        x_train, y_train = [x_train[i] for i in keep], y_train[keep]
        keep = [i for i, review in enumerate(x_test) if len(review) < maxlen]
        x_test, y_test = [x_test[i] for i in keep], y_test[keep]
        if not x_train or not x_test:
            raise ValueError(
                f"After dropping reviews of maxlen={maxlen} indices or more, no review "
                "was left in the training or the test set. Increase maxlen.")

    # 4. Out-of-vocabulary words.
    def keep_word(w):
        return skip_top <= w and (num_words is None or w < num_words)

    if oov_char is not None:
        x_train = [[w if keep_word(w) else oov_char for w in r] for r in x_train]
        x_test = [[w if keep_word(w) else oov_char for w in r] for r in x_test]
    else:
        x_train = [[w for w in r if keep_word(w)] for r in x_train]
        x_test = [[w for w in r if keep_word(w)] for r in x_test]
    return (_object_array(x_train), y_train), (_object_array(x_test), y_test)


def _object_array(lists):
    """A 1-D object array of lists (np.array would make a 2-D array of equal lengths)."""
    out = np.empty(len(lists), dtype=object)
    for i, review in enumerate(lists):
        out[i] = review
    return out
