"""IMDB movie reviews as word-index sequences, labelled by sentiment, as `keras.datasets.imdb`."""
import numpy as np

from nnlab.datasets import _safe_pickle, _sequences

ORIGIN = _sequences.ORIGIN_FOLDER + "imdb.npz"
SHA256 = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_ORIGIN = _sequences.ORIGIN_FOLDER + "imdb_word_index.json"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


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
    _sequences.check_args(num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    file = _sequences.local_or_download(path, ORIGIN, SHA256)
    arrays = _safe_pickle.load_npz(file)
    missing = {"x_train", "y_train", "x_test", "y_test"} - set(arrays)
    if missing:
        raise ValueError(f"{file} is not Keras' imdb.npz: it lacks {sorted(missing)}.")
    # 1. Shuffle exactly as Keras: one RandomState, the training set first, then the test set.
    rng = np.random.RandomState(seed)
    x_train, y_train = _sequences.shuffled(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = _sequences.shuffled(rng, arrays["x_test"], arrays["y_test"])
    # 2. Shift the word indices and mark the start.
    x_train = _sequences.shift(x_train, start_char, index_from)
    x_test = _sequences.shift(x_test, start_char, index_from)
    # 3. Drop long reviews.
    if maxlen:
        x_train, y_train = _sequences.drop_long(x_train, y_train, maxlen)
        x_test, y_test = _sequences.drop_long(x_test, y_test, maxlen)
        if not x_train or not x_test:
            raise ValueError(
                f"After dropping reviews of maxlen={maxlen} indices or more, no review "
                "was left in the training or the test set. Increase maxlen.")
    # 4. Out-of-vocabulary words.
    x_train = _sequences.vocabulary(x_train, num_words, skip_top, oov_char)
    x_test = _sequences.vocabulary(x_test, num_words, skip_top, oov_char)
    return ((_sequences.object_array(x_train), y_train),
            (_sequences.object_array(x_test), y_test))


def get_word_index(path="imdb_word_index.json"):
    """The dictionary word -> index of the IMDB reviews (Keras' `imdb_word_index.json`).

    Indices start at 1 for the most frequent word; in `load_data`'s sequences every
    index is shifted by `index_from` (3), so word w appears as `get_word_index()[w] + 3`
    (0 = padding, 1 = start, 2 = out of vocabulary). The file is found or downloaded
    (md5 checked) like the data set itself.

    Example:
        >>> index = nnlab.datasets.imdb.get_word_index()
        >>> words = {i + 3: w for w, i in index.items()}
        >>> " ".join(words.get(i, "?") for i in x_train[0][1:10])
    """
    return _sequences.word_index(path, WORD_INDEX_ORIGIN, WORD_INDEX_MD5)
