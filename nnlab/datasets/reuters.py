"""Reuters newswires as word-index sequences, labelled by one of 46 topics, as
`keras.datasets.reuters`."""
import numpy as np

from nnlab.datasets import _safe_pickle, _sequences

ORIGIN = _sequences.ORIGIN_FOLDER + "reuters.npz"
SHA256 = "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"
WORD_INDEX_ORIGIN = _sequences.ORIGIN_FOLDER + "reuters_word_index.json"
WORD_INDEX_MD5 = "4d44cc38712099c9e383dc6e5f11a921"
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead")


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """Load the Reuters topic-classification data set: 11,228 newswires, 46 topics.

    The steps, in Keras' order: shuffle all newswires with `np.random.RandomState(seed)`;
    shift every word index by `index_from` and put `start_char` in front; if `maxlen`,
    drop the newswires of `maxlen` indices or more; mark words outside
    `skip_top <= w < num_words` with `oov_char`; then the first `1 - test_split` of
    them are the training set (8,982 with the defaults), the rest the test set.

    The file is Keras' `reuters.npz`, found in `$NNLAB_HOME/datasets` or
    `~/.keras/datasets` or downloaded (sha256 checked); its ragged arrays are read with
    a restricted unpickler, so a tampered file cannot run code.

    Args:
        path: file name relative to those directories, or a path to an existing file.
            Defaults to "reuters.npz".
        num_words, skip_top, maxlen, seed, start_char, oov_char, index_from: as in
            `nnlab.datasets.imdb.load_data`.
        test_split: the fraction kept for testing, in [0, 1). Defaults to 0.2.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of word indices
        and integer arrays of topic labels 0..45 (`get_label_names()` names them).

    Note: Keras 3 with `num_words=None` turns the single largest index into
    `oov_char`; nnlab keeps every word, as documented ("If None, all words are kept").
    """
    _sequences.check_args(num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) \
            or not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split!r}. It must be between 0 "
                         "and 1 (exclusive of 1).")
    file = _sequences.local_or_download(path, ORIGIN, SHA256)
    arrays = _safe_pickle.load_npz(file)
    if not {"x", "y"} <= set(arrays):
        raise ValueError(f"{file} is not Keras' reuters.npz: it lacks the arrays 'x' and 'y'.")
    xs, labels = _sequences.shuffled(np.random.RandomState(seed), arrays["x"], arrays["y"])
    xs = _sequences.shift(xs, start_char, index_from)
    if maxlen:
        xs, labels = _sequences.drop_long(xs, labels, maxlen)
    xs = _sequences.vocabulary(xs, num_words, skip_top, oov_char)
    split = int(len(xs) * (1 - test_split))
    return ((_sequences.object_array(xs[:split]), np.asarray(labels[:split])),
            (_sequences.object_array(xs[split:]), np.asarray(labels[split:])))


def get_word_index(path="reuters_word_index.json"):
    """The dictionary word -> index of the newswires (Keras' `reuters_word_index.json`);
    in `load_data`'s sequences each index appears shifted by `index_from` (3)."""
    return _sequences.word_index(path, WORD_INDEX_ORIGIN, WORD_INDEX_MD5)


def get_label_names():
    """The 46 topic names, in label order (label 3 is 'earn')."""
    return LABEL_NAMES
