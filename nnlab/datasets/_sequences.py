"""What the word-sequence data sets (imdb, reuters) share: Keras' index shifting, dropping
of long sequences and out-of-vocabulary marks, the word index file, and argument checks."""
import json
import os
import pathlib

import numpy as np

from nnlab.datasets import _files

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


def check_int(name, value, allow_none=False, minimum=0):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(
            f"Expected `{name}` to be an integer >= {minimum}"
            f"{' or None' if allow_none else ''}. Received: {name}={value!r}")


def check_args(num_words, skip_top, maxlen, seed, start_char, oov_char, index_from):
    check_int("num_words", num_words, allow_none=True, minimum=1)
    check_int("skip_top", skip_top)
    check_int("maxlen", maxlen, allow_none=True, minimum=1)
    check_int("seed", seed)
    check_int("start_char", start_char, allow_none=True)
    check_int("oov_char", oov_char, allow_none=True)
    check_int("index_from", index_from)


def local_or_download(path, origin, file_hash):
    """An existing absolute path as is; otherwise the data set file (found or downloaded)."""
    if os.path.isabs(os.fspath(path)) and os.path.exists(path):
        return pathlib.Path(path)
    return _files.get_file(os.fspath(path), origin, file_hash)


def shuffled(rng, *arrays):
    """The arrays in one random order drawn from `rng` (a np.random.RandomState)."""
    order = np.arange(len(arrays[0]))
    rng.shuffle(order)
    return [a[order] for a in arrays]


def shift(sequences, start_char, index_from):
    """Add `index_from` to every index and put `start_char` (if any) in front."""
    head = [] if start_char is None else [start_char]
    return [head + [int(w) + index_from for w in seq] for seq in sequences]


def drop_long(sequences, labels, maxlen):
    """Keep the sequences shorter than `maxlen` (Keras drops, it does not truncate)."""
    keep = [i for i, seq in enumerate(sequences) if len(seq) < maxlen]
    return [sequences[i] for i in keep], np.asarray(labels)[keep]


def vocabulary(sequences, num_words, skip_top, oov_char):
    """Indices outside skip_top <= w < num_words become `oov_char` (or go, if None)."""
    def keep(w):
        return skip_top <= w and (num_words is None or w < num_words)

    if oov_char is not None:
        return [[w if keep(w) else oov_char for w in seq] for seq in sequences]
    return [[w for w in seq if keep(w)] for seq in sequences]


def object_array(lists):
    """A 1-D object array of lists (np.array would make a 2-D array of equal lengths)."""
    out = np.empty(len(lists), dtype=object)
    for i, seq in enumerate(lists):
        out[i] = seq
    return out


def word_index(path, origin, file_hash):
    """The JSON word -> index dictionary (indices before the `index_from` shift)."""
    file = local_or_download(path, origin, file_hash)
    with open(file, encoding="utf-8") as f:
        index = json.load(f)
    if not isinstance(index, dict) or not all(isinstance(v, int) for v in index.values()):
        raise ValueError(f"{file} is not a word index: expected a JSON object mapping words to integers.")
    return index
