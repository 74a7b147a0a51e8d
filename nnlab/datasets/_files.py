"""Finding a data set's files on disk, and downloading them (checked) when missing.

Files are looked for, under the names and layout Keras uses, in

1. `$NNLAB_HOME/datasets` (default `~/.nnlab/datasets`), where downloads go;
2. `$KERAS_HOME/datasets` (default `~/.keras/datasets`), so files Keras already
   downloaded are reused.

A missing file is downloaded from Keras' origin URL into a temporary file next to its
destination, its sha256 (or md5) checked, and only then moved into place: an
interrupted or tampered download never leaves a file that looks valid. Without a
network (or with `NNLAB_OFFLINE=1`) a `DatasetNotFoundError` says which file to get,
from where, and in which directory to put it. Files found on disk are trusted as they
are (they are not re-hashed), so a course can ship its own copies.
"""
import hashlib
import os
import pathlib
import tempfile
from urllib.request import urlopen  # a module attribute, so tests can replace it

_TIMEOUT = 30  # seconds without data before a download gives up


class DatasetNotFoundError(FileNotFoundError):
    """A data set file is neither on disk nor downloadable (e.g. offline)."""


class ChecksumError(ValueError):
    """A downloaded file does not have the expected sha256/md5 hash."""


def data_home():
    """Directory nnlab reads and downloads data sets into: `$NNLAB_HOME/datasets`."""
    home = os.environ.get("NNLAB_HOME") or os.path.join("~", ".nnlab")
    return pathlib.Path(home).expanduser() / "datasets"


def keras_data_home():
    """Keras' data set cache, reused when present: `$KERAS_HOME/datasets`."""
    home = os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    return pathlib.Path(home).expanduser() / "datasets"


def search_dirs():
    """The directories searched for data set files, in order."""
    return [data_home(), keras_data_home()]


def find(*relative_paths):
    """First existing `dir / relative_path` over `search_dirs()`, or None."""
    for directory in search_dirs():
        for rel in relative_paths:
            candidate = directory / rel
            if candidate.exists():
                return candidate
    return None


def hash_file(path, algorithm="sha256", chunk_size=1 << 20):
    """Hex digest of a file; `algorithm` is 'sha256' or 'md5'."""
    hasher = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _algorithm(file_hash):
    # As Keras: a 64-hex-digit hash is sha256, a 32-digit one md5.
    return "sha256" if len(file_hash) == 64 else "md5"


def _not_found(rel, origin, reason):
    target = data_home() / rel
    return DatasetNotFoundError(
        f"The data set file {rel!r} is not on this computer and could not be "
        f"downloaded ({reason}).\n"
        f"  Download it from: {origin}\n"
        f"  and save it as:   {target}\n"
        f"  i.e. put it in the directory {target.parent}\n"
        "  (set the NNLAB_HOME environment variable to use another directory).\n"
        f"  Also looked in: {', '.join(str(d) for d in search_dirs()[1:])}.\n"
        "  Without a network, `nnlab.datasets.digits.load_data()` works offline.")


def download(origin, destination, file_hash):
    """Download `origin` to `destination`, checking `file_hash` before moving it there.

    Raises:
        DatasetNotFoundError: the download failed (no network, HTTP error...).
        ChecksumError: the bytes received do not have the expected hash.
    """
    destination = pathlib.Path(destination)
    rel = destination.relative_to(data_home()) if destination.is_relative_to(data_home()) \
        else destination.name
    algorithm = _algorithm(file_hash)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _not_found(rel, origin, f"cannot create {destination.parent}: {e}") from e
    print(f"Downloading data from {origin}")
    fd, tmp = tempfile.mkstemp(prefix=destination.name + ".", suffix=".part",
                               dir=destination.parent)
    try:
        hasher = hashlib.new(algorithm)
        try:
            with os.fdopen(fd, "wb") as out, urlopen(origin, timeout=_TIMEOUT) as response:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    hasher.update(chunk)
                    out.write(chunk)
        except OSError as e:  # URLError, HTTPError, timeouts, connection resets are OSErrors
            raise _not_found(rel, origin, f"{type(e).__name__}: {e}") from e
        digest = hasher.hexdigest()
        if digest != file_hash.lower():
            raise ChecksumError(
                f"The file downloaded from {origin} is corrupted or not the expected one: "
                f"its {algorithm} is {digest}, expected {file_hash}. It was not saved. "
                "Try again later, or download it yourself and save it as "
                f"{destination}.")
        os.replace(tmp, destination)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return destination


def get_file(rel, origin, file_hash):
    """Path to the data set file `rel` (relative to a search dir), downloading it if missing.

    Args:
        rel: file name relative to the data set directory, e.g. "mnist.npz" or
            "fashion-mnist/train-images-idx3-ubyte.gz".
        origin: the URL Keras downloads it from.
        file_hash: its sha256 (64 hex digits) or md5 (32 hex digits).
    """
    found = find(rel)
    if found is not None:
        return found
    if os.environ.get("NNLAB_OFFLINE", "") not in ("", "0"):
        raise _not_found(rel, origin, "NNLAB_OFFLINE is set")
    return download(origin, data_home() / rel, file_hash)
