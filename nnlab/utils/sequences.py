"""Sequences of different lengths made into one array: `pad_sequences` (keras.utils)."""
import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pad (or cut) every sequence to one length and stack them, as Keras does.

    Args:
        sequences: a list of sequences (lists or 1-D arrays of numbers; rows of equal
            trailing shape also work).
        maxlen: the common length. Defaults to None (the longest sequence's length).
        dtype: the result's dtype. Defaults to 'int32'.
        padding: 'pre' puts the padding before each sequence, 'post' after it.
            Defaults to 'pre'.
        truncating: 'pre' drops values from the start of a too-long sequence, 'post'
            from its end. Defaults to 'pre'.
        value: the padding value. Defaults to 0.0.

    Returns:
        array of shape (len(sequences), maxlen) (plus any trailing shape).

    Example:
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
        array([[2, 3],
               [0, 4]], dtype=int32)

    Used in lessons/16 (recurrent networks on text).
    """
    for name, arg in (("padding", padding), ("truncating", truncating)):
        if arg not in ("pre", "post"):
            raise ValueError(f'{name.capitalize()} type "{arg}" not understood: use "pre" or "post".')
    try:
        sequences = [np.asarray(s) for s in sequences]
    except TypeError:
        raise ValueError("`sequences` must be a list of sequences (e.g. lists of word indices). "
                         f"Received: {sequences!r}") from None
    if any(s.ndim == 0 for s in sequences):
        raise ValueError("`sequences` must be a list of sequences (iterables), but an element is "
                         "a single number. Wrap it in a list, e.g. [[3], [1, 2]].")
    lengths = [len(s) for s in sequences]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"Expected `maxlen` to be a non-negative integer or None. Received: maxlen={maxlen!r}")
    trailing = next((s.shape[1:] for s in sequences if len(s)), ())
    out = np.full((len(sequences), maxlen) + tuple(trailing), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s):
            continue
        if s.shape[1:] != tuple(trailing):
            raise ValueError(f"Shape of sample {s.shape[1:]} of sequence at position {i} is "
                             f"different from expected shape {tuple(trailing)}.")
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if maxlen == 0:
            kept = s[:0]
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out
