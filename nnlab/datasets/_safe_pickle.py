"""Reading the pickles inside data set files without letting them run code.

A pickle is a small program: loading one may call any function it names
(`os.system`, `builtins.eval`, ...). CIFAR-10's batches are pickled dicts and
imdb.npz stores its reviews as object arrays, which NumPy can only save as pickles.
`SafeUnpickler` loads them but admits only the few globals these files need to
rebuild NumPy arrays; anything else stops the load with an `UnpicklingError` before
it is called. Lists, dicts, ints, strings and bytes need no global at all: the pickle
format builds them directly.
"""
import importlib
import io
import pickle
import warnings
import zipfile

import numpy as np

# (module, name) pairs a data set pickle may name. `numpy.core` (NumPy 1.x) and
# `numpy._core` (NumPy 2.x) spell the same modules.
_ALLOWED = {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),   # ndarray pickles, protocol <= 4
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),         # NumPy scalars (e.g. np.int64(3))
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),       # ndarray pickles, protocol 5
    ("numpy._core.numeric", "_frombuffer"),
}


def _latin1_encode(text, encoding="latin1", errors="strict"):
    """`_codecs.encode` as pickle protocols 0-2 use it for bytes, latin-1 only."""
    if encoding.replace("-", "").replace("_", "").lower() not in ("latin1", "iso88591"):
        raise pickle.UnpicklingError(
            f"Refused `_codecs.encode` with encoding {encoding!r} in a data set file "
            "(protocol 0-2 pickles only use it with 'latin1').")
    return text.encode("latin1", errors)


def _numpy_global(module, name):
    """Import an allowed NumPy global under whichever spelling this NumPy has."""
    candidates = [module]
    if module.startswith("numpy.core."):
        candidates.insert(0, "numpy._core." + module[len("numpy.core."):])
    elif module.startswith("numpy._core."):
        candidates.append("numpy.core." + module[len("numpy._core."):])
    for candidate in candidates:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                return getattr(importlib.import_module(candidate), name)
        except (ImportError, AttributeError):
            continue
    raise pickle.UnpicklingError(f"Cannot find {module}.{name} in this NumPy version.")


class SafeUnpickler(pickle.Unpickler):
    """A `pickle.Unpickler` that only rebuilds NumPy arrays and plain Python data.

    Example:

    >>> SafeUnpickler(io.BytesIO(pickle.dumps({"a": [1, 2]}))).load()
    {'a': [1, 2]}
    """

    def find_class(self, module, name):
        if (module, name) == ("_codecs", "encode"):  # bytes in protocol 0-2 pickles
            return _latin1_encode
        if (module, name) in _ALLOWED:
            return _numpy_global(module, name)
        raise pickle.UnpicklingError(
            f"Refused to load `{module}.{name}` from a data set file: data set pickles "
            "only hold NumPy arrays, lists, dicts, numbers and strings, so this file is "
            "corrupted or malicious. Delete it and download it again from the "
            "official source.")


def loads(data, encoding="ASCII"):
    """Unpickle bytes with `SafeUnpickler`."""
    return SafeUnpickler(io.BytesIO(data), encoding=encoding).load()


def load(file, encoding="ASCII"):
    """Unpickle an open binary file with `SafeUnpickler`."""
    return SafeUnpickler(file, encoding=encoding).load()


def _read_npy(fp):
    """One .npy stream: numeric arrays without any pickle, object arrays safely."""
    version = np.lib.format.read_magic(fp)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(fp)
    elif version in ((2, 0), (3, 0)):
        # 3.0 only changes the header's text encoding; its layout is 2.0's.
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(fp)
    else:
        raise ValueError(f"Unsupported .npy format version {version}.")
    if dtype.hasobject:
        array = SafeUnpickler(fp, encoding="latin1").load()
        if not isinstance(array, np.ndarray):
            raise pickle.UnpicklingError(
                f"Expected a NumPy array in the .npy stream, got {type(array).__name__}.")
        return array
    fp.seek(0)
    return np.lib.format.read_array(fp, allow_pickle=False)


def load_npz(path):
    """Read every array of an .npz archive into a dict, unpickling only safely.

    Use instead of `np.load(path, allow_pickle=True)`, which would run any code a
    tampered file contains.
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if not member.endswith(".npy"):
                continue
            with archive.open(member) as raw:
                arrays[member[:-len(".npy")]] = _read_npy(io.BytesIO(raw.read()))
    return arrays
