"""Tests for nnlab.datasets: offline data, Keras file formats, downloads and safe unpickling.

No test touches the network: `urlopen` is replaced by a fake for every test, and the
Keras-format files are small fixtures written to `tmp_path`.
"""
import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.error
import zipfile

import numpy as np
import pytest

import nnlab
from nnlab.datasets import (_files, _safe_pickle, boston_housing, cifar10, digits, fashion_mnist, imdb,
                            reuters,
                            mnist, toy)
from nnlab.datasets import ChecksumError, DatasetNotFoundError


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Every test gets empty nnlab and Keras homes and a network that always fails."""
    monkeypatch.setenv("NNLAB_HOME", str(tmp_path / "nnlab"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.delenv("NNLAB_OFFLINE", raising=False)

    def no_network(url, *args, **kwargs):
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(_files, "urlopen", no_network)
    return tmp_path / "nnlab" / "datasets"


class FakeResponse(io.BytesIO):
    """What urlopen returns: a readable context manager."""


def serve(monkeypatch, payload):
    """Make urlopen return `payload`; returns the list of URLs requested."""
    calls = []

    def fake_urlopen(url, *args, **kwargs):
        calls.append(url)
        return FakeResponse(payload)

    monkeypatch.setattr(_files, "urlopen", fake_urlopen)
    return calls


# ----------------------------------------------------------------------------- digits

def test_digits_shapes_dtypes_and_range():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    assert x_train.shape == (1438, 8, 8) and x_test.shape == (359, 8, 8)
    assert y_train.shape == (1438,) and y_test.shape == (359,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8
    for x in (x_train, x_test):
        assert x.min() == 0 and x.max() == 16
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))


def test_digits_is_sklearn_data_and_split_has_no_overlap():
    from sklearn.datasets import load_digits
    bunch = load_digits()
    (x_train, y_train), (x_test, y_test) = digits.load_data()

    def rows(x, y):
        return sorted(tuple(xi.ravel().astype(int)) + (int(yi),) for xi, yi in zip(x, y))

    original = rows(bunch.images, bunch.target)
    split = rows(np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test]))
    assert split == original  # every sample exactly once: nothing lost, nothing in both


def test_digits_is_stratified():
    from sklearn.datasets import load_digits
    counts = np.bincount(load_digits().target)
    for test_size in (0.2, 0.5):
        (_, y_train), (_, y_test) = digits.load_data(test_size=test_size)
        expected_test = [int(round(test_size * c)) for c in counts]
        assert list(np.bincount(y_test, minlength=10)) == expected_test
        assert list(np.bincount(y_train, minlength=10)) == list(counts - expected_test)


def test_digits_is_deterministic_and_ignores_the_global_seed():
    nnlab.random.seed(1)
    np.random.seed(1)
    (a_x, a_y), (a_xt, a_yt) = digits.load_data()
    nnlab.random.seed(2)
    np.random.seed(2)
    (b_x, b_y), (b_xt, b_yt) = digits.load_data()
    for a, b in ((a_x, b_x), (a_y, b_y), (a_xt, b_xt), (a_yt, b_yt)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a_y[:50], np.sort(a_y[:50]))  # shuffled, not class by class


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, "0.2", None, True])
def test_digits_rejects_bad_test_size(bad):
    with pytest.raises(ValueError, match="test_size"):
        digits.load_data(test_size=bad)


# ------------------------------------------------------------------------------- toy

@pytest.mark.parametrize("make, d", [
    (toy.xor, 2), (toy.spirals, 2), (toy.moons, 2), (toy.blobs, 2)])
@pytest.mark.parametrize("n", [12, 31])
def test_toy_classification_shapes_and_seeds(make, d, n):
    x, y = make(n=n)
    assert x.shape == (n, d) and x.dtype == np.float32
    assert y.shape == (n,) and np.issubdtype(y.dtype, np.integer)
    x2, y2 = make(n=n)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = make(n=n, seed=1)
    assert not np.array_equal(x, x3)


def test_xor_without_noise_is_the_truth_table():
    x, y = toy.xor(n=40, noise=0.0)
    assert set(map(tuple, x.astype(int))) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    np.testing.assert_array_equal(y, (x[:, 0] != x[:, 1]).astype(int))
    assert np.bincount(y).tolist() == [20, 20]


def test_xor_noise_has_the_requested_spread():
    x, y = toy.xor(n=4000, noise=0.1)
    corner = np.round(x)  # noise 0.1 never moves a point half-way to another corner
    np.testing.assert_array_equal(y, (corner[:, 0] != corner[:, 1]).astype(int))
    assert abs(np.std(x - corner) - 0.1) < 0.005


def test_spirals_follow_the_formula_without_noise():
    x, y = toy.spirals(n=30, classes=3, noise=0.0)
    assert np.bincount(y).tolist() == [10, 10, 10]
    for k in range(3):
        t = np.linspace(0, 1, 10)
        expected = np.column_stack([t * np.sin(4 * (k + t)), t * np.cos(4 * (k + t))])
        np.testing.assert_allclose(x[y == k], expected, atol=1e-6)


def test_spirals_uneven_counts():
    _, y = toy.spirals(n=10, classes=3)
    assert np.bincount(y).tolist() == [4, 3, 3]


def test_moons_and_blobs_are_sklearn_generators():
    from sklearn.datasets import make_blobs, make_moons
    x, y = toy.moons(n=50, noise=0.2, seed=3)
    ex, ey = make_moons(n_samples=50, noise=0.2, random_state=3)
    np.testing.assert_allclose(x, ex, rtol=1e-6)
    np.testing.assert_array_equal(y, ey)
    x, y = toy.blobs(n=60, centers=4, cluster_std=0.5, seed=3)
    ex, ey = make_blobs(n_samples=60, centers=4, cluster_std=0.5, random_state=3)
    np.testing.assert_allclose(x, ex, rtol=1e-6)
    np.testing.assert_array_equal(y, ey)
    assert set(y) == {0, 1, 2, 3}


def test_linear_regression_returns_the_true_coefficients():
    x, y, coef = toy.linear_regression(n=50, n_features=3, noise=0.0, bias=2.5)
    assert x.shape == (50, 3) and y.shape == (50,) and coef.shape == (3,)
    assert x.dtype == y.dtype == coef.dtype == np.float32
    np.testing.assert_allclose(y, x.astype(np.float64) @ coef + 2.5, rtol=1e-4, atol=1e-3)
    x, y, coef = toy.linear_regression(n=2000, noise=10.0)
    residual = y - x[:, 0] * coef[0]
    assert abs(np.std(residual) - 10.0) < 0.6
    np.testing.assert_array_equal(toy.linear_regression()[1], toy.linear_regression()[1])


@pytest.mark.parametrize("call, name", [
    (lambda: toy.xor(n=0), "n"),
    (lambda: toy.xor(noise=-1), "noise"),
    (lambda: toy.xor(seed=-1), "seed"),
    (lambda: toy.spirals(classes=1), "classes"),
    (lambda: toy.spirals(n=2, classes=3), "n >= classes"),
    (lambda: toy.moons(n=2.5), "n"),
    (lambda: toy.blobs(centers=0), "centers"),
    (lambda: toy.blobs(cluster_std=-1), "cluster_std"),
    (lambda: toy.linear_regression(n_features=0), "n_features"),
    (lambda: toy.linear_regression(bias="1"), "bias"),
])
def test_toy_rejects_bad_arguments(call, name):
    with pytest.raises(ValueError, match=name):
        call()


# --------------------------------------------------------------- Keras-format fixtures

def write_mnist(directory, name="mnist.npz"):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 6).astype(np.uint8),
        "x_test": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 4).astype(np.uint8),
    }
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(directory / name, **arrays)
    return arrays


def test_mnist_round_trip(isolated_home):
    arrays = write_mnist(isolated_home)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    for got, key in ((x_train, "x_train"), (y_train, "y_train"),
                     (x_test, "x_test"), (y_test, "y_test")):
        np.testing.assert_array_equal(got, arrays[key])
        assert got.dtype == np.uint8
    assert x_train.shape == (6, 28, 28) and y_test.shape == (4,)


def test_mnist_reuses_the_keras_cache_and_absolute_paths(tmp_path):
    arrays = write_mnist(tmp_path / "keras" / "datasets")
    (x_train, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    arrays = write_mnist(tmp_path / "elsewhere", "my.npz")
    (x_train, _), _ = mnist.load_data(path=str(tmp_path / "elsewhere" / "my.npz"))
    np.testing.assert_array_equal(x_train, arrays["x_train"])


def idx_bytes(array):
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def write_fashion(directory):
    rng = np.random.default_rng(1)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 5).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3).astype(np.uint8),
    }
    (directory / "fashion-mnist").mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        (directory / "fashion-mnist" / name).write_bytes(idx_bytes(array))
    return arrays


def test_fashion_mnist_round_trip(isolated_home):
    arrays = write_fashion(isolated_home)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_train, arrays["train-labels-idx1-ubyte.gz"])
    np.testing.assert_array_equal(x_test, arrays["t10k-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert x_train.dtype == y_train.dtype == np.uint8
    assert x_train.shape == (5, 28, 28) and y_test.shape == (3,)
    assert len(fashion_mnist.CLASS_NAMES) == 10


def test_fashion_mnist_truncated_file_is_a_clear_error(isolated_home):
    write_fashion(isolated_home)
    path = isolated_home / "fashion-mnist" / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-10]))
    with pytest.raises(ValueError, match="truncated or corrupted"):
        fashion_mnist.load_data()


def cifar_fixture():
    """Six batches of 2 random images; returns {name: (data (n, 3072), labels)}."""
    rng = np.random.default_rng(2)
    return {name: (rng.integers(0, 256, (2, 3072), dtype=np.uint8),
                   [int(v) for v in rng.integers(0, 10, 2)])
            for name in cifar10.BATCHES + ("test_batch",)}


def cifar_pickle(data, labels, protocol=pickle.HIGHEST_PROTOCOL):
    return pickle.dumps({b"batch_label": b"fixture", b"labels": labels, b"data": data,
                         b"filenames": [b"a.png", b"b.png"]}, protocol=protocol)


def check_cifar(batches):
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert y_train.shape == (10, 1) and y_test.shape == (2, 1)
    assert x_train.dtype == y_train.dtype == x_test.dtype == y_test.dtype == np.uint8
    data = np.concatenate([batches[n][0] for n in cifar10.BATCHES])
    labels = sum((batches[n][1] for n in cifar10.BATCHES), [])
    assert y_train[:, 0].tolist() == labels
    assert y_test[:, 0].tolist() == batches["test_batch"][1]
    # A row stores the red plane, then green, then blue, each 32 rows of 32 pixels.
    for i, r, c, ch in [(0, 0, 0, 0), (3, 5, 7, 1), (9, 31, 30, 2), (4, 17, 0, 2)]:
        assert x_train[i, r, c, ch] == data[i, ch * 1024 + r * 32 + c]
    assert x_test[1, 2, 3, 1] == batches["test_batch"][0][1, 1024 + 2 * 32 + 3]


@pytest.mark.parametrize("layout", ["cifar-10-batches-py",
                                    "cifar-10-batches-py/cifar-10-batches-py"])
@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_cifar10_from_extracted_batches(isolated_home, layout, protocol):
    batches = cifar_fixture()
    directory = isolated_home / layout
    directory.mkdir(parents=True)
    for name, (data, labels) in batches.items():
        (directory / name).write_bytes(cifar_pickle(data, labels, protocol))
    check_cifar(batches)


def write_cifar_archive(path, batches):
    with tarfile.open(path, "w:gz") as archive:
        for name, (data, labels) in batches.items():
            payload = cifar_pickle(data, labels)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))


def test_cifar10_from_the_archive(isolated_home):
    batches = cifar_fixture()
    isolated_home.mkdir(parents=True)
    write_cifar_archive(isolated_home / "cifar-10-python.tar.gz", batches)
    check_cifar(batches)
    assert not (isolated_home / "cifar-10-batches-py").exists()  # read in place


def imdb_fixture(path):
    """Three training and two test reviews of raw word ranks, as in imdb.npz."""
    def obj(lists):
        out = np.empty(len(lists), dtype=object)
        for i, item in enumerate(lists):
            out[i] = item
        return out

    np.savez(path,
             x_train=obj([[1, 2, 3], [4, 5], [6]]), y_train=np.array([0, 1, 0]),
             x_test=obj([[7, 1], [2, 2, 2, 2]]), y_test=np.array([1, 0]))


def shuffled(seed):
    """Keras' order: one RandomState shuffles the train indices, then the test ones."""
    rng = np.random.RandomState(seed)
    train, test = np.arange(3), np.arange(2)
    rng.shuffle(train)
    rng.shuffle(test)
    return train, test


# Expected reviews in file order, worked out by hand from the fixture above.
IMDB_CASES = [
    ({}, [[1, 4, 5, 6], [1, 7, 8], [1, 9]], [[1, 10, 4], [1, 5, 5, 5, 5]]),
    ({"num_words": 6}, [[1, 4, 5, 2], [1, 2, 2], [1, 2]], [[1, 2, 4], [1, 5, 5, 5, 5]]),
    ({"skip_top": 5}, [[2, 2, 5, 6], [2, 7, 8], [2, 9]], [[2, 10, 2], [2, 5, 5, 5, 5]]),
    ({"num_words": 6, "oov_char": None}, [[1, 4, 5], [1], [1]], [[1, 4], [1, 5, 5, 5, 5]]),
    ({"start_char": None, "index_from": 0}, [[1, 2, 3], [4, 5], [6]], [[7, 1], [2, 2, 2, 2]]),
    ({"index_from": 10, "oov_char": 3, "num_words": 14},
     [[1, 11, 12, 13], [1, 3, 3], [1, 3]], [[1, 3, 11], [1, 12, 12, 12, 12]]),
]


@pytest.mark.parametrize("kwargs, train, test", IMDB_CASES)
@pytest.mark.parametrize("seed", [113, 7])
def test_imdb_options(isolated_home, kwargs, train, test, seed):
    isolated_home.mkdir(parents=True)
    imdb_fixture(isolated_home / "imdb.npz")
    (x_train, y_train), (x_test, y_test) = imdb.load_data(seed=seed, **kwargs)
    p, q = shuffled(seed)
    assert x_train.dtype == object and x_train.shape == (3,)
    assert [list(r) for r in x_train] == [train[i] for i in p]
    assert [list(r) for r in x_test] == [test[i] for i in q]
    assert y_train.tolist() == [[0, 1, 0][i] for i in p]
    assert y_test.tolist() == [[1, 0][i] for i in q]
    assert np.issubdtype(y_train.dtype, np.integer)


def test_imdb_maxlen_drops_long_reviews(isolated_home):
    isolated_home.mkdir(parents=True)
    imdb_fixture(isolated_home / "imdb.npz")
    (x_train, y_train), (x_test, y_test) = imdb.load_data(maxlen=4)
    # Kept: reviews of fewer than 4 indices, start mark included.
    p, q = shuffled(113)
    lengths = {0: 4, 1: 3, 2: 2}
    assert sorted(map(list, x_train)) == [[1, 7, 8], [1, 9]]
    assert y_train.tolist() == [[0, 1, 0][i] for i in p if lengths[i] < 4]
    assert [list(r) for r in x_test] == [[1, 10, 4]] and y_test.tolist() == [1]
    with pytest.raises(ValueError, match="Increase maxlen"):
        imdb.load_data(maxlen=2)


@pytest.mark.parametrize("kwargs, name", [
    ({"num_words": 0}, "num_words"), ({"skip_top": -1}, "skip_top"),
    ({"maxlen": 1.5}, "maxlen"), ({"index_from": "3"}, "index_from")])
def test_imdb_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        imdb.load_data(**kwargs)


# ------------------------------------------------------------------- safe unpickling

class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"echo pwned > {self.marker}",))


class EvilEval:
    def __reduce__(self):
        return (eval, ("__import__('builtins').setattr(__import__('builtins'), 'PWNED', 1)",))


def test_safe_unpickler_loads_plain_data_and_arrays():
    data = {"a": [1, 2.5, "x", b"y", None, True], "t": (1, 2)}
    assert _safe_pickle.loads(pickle.dumps(data)) == data
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        for array in (np.arange(6, dtype=np.uint8).reshape(2, 3), np.float32(1.5),
                      np.array([[1, 2], [3]], dtype=object)):
            out = _safe_pickle.loads(pickle.dumps(array, protocol=protocol), encoding="bytes")
            assert type(out) is type(array)
            assert np.asarray(out).dtype == np.asarray(array).dtype


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_safe_unpickler_refuses_code(tmp_path, protocol):
    import builtins
    marker = tmp_path / "pwned"
    with pytest.raises(pickle.UnpicklingError, match=r"posix\.system|os\.system|nt\.system"):
        _safe_pickle.loads(pickle.dumps(Evil(marker), protocol=protocol))
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError, match=r"(__builtin__|builtins)\.eval"):
        _safe_pickle.loads(pickle.dumps({"x": [EvilEval()]}, protocol=protocol))
    assert not hasattr(builtins, "PWNED")


def test_malicious_imdb_npz_is_refused(isolated_home, tmp_path):
    marker = tmp_path / "pwned"
    isolated_home.mkdir(parents=True)
    npy = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        npy, {"descr": "|O", "fortran_order": False, "shape": (1,)})
    pickle.dump(Evil(marker), npy)
    with zipfile.ZipFile(isolated_home / "imdb.npz", "w") as z:
        z.writestr("x_train.npy", npy.getvalue())
    with pytest.raises(pickle.UnpicklingError, match="corrupted or malicious"):
        imdb.load_data()
    assert not marker.exists()


def test_malicious_cifar_batch_is_refused(isolated_home, tmp_path):
    marker = tmp_path / "pwned"
    directory = isolated_home / "cifar-10-batches-py"
    directory.mkdir(parents=True)
    batches = cifar_fixture()
    for name, (data, labels) in batches.items():
        (directory / name).write_bytes(cifar_pickle(data, labels))
    (directory / "data_batch_3").write_bytes(
        pickle.dumps({b"data": Evil(marker), b"labels": [0]}))
    with pytest.raises(pickle.UnpicklingError, match="corrupted or malicious"):
        cifar10.load_data()
    assert not marker.exists()


# ------------------------------------------------------------ downloads, offline errors

@pytest.mark.parametrize("module, file, url", [
    (mnist, "mnist.npz", mnist.ORIGIN),
    (fashion_mnist, os.path.join("fashion-mnist", "train-labels-idx1-ubyte.gz"),
     fashion_mnist.BASE + "train-labels-idx1-ubyte.gz"),
    (cifar10, "cifar-10-python.tar.gz", cifar10.ORIGIN),
    (imdb, "imdb.npz", imdb.ORIGIN),
    (reuters, "reuters.npz", reuters.ORIGIN),
    (boston_housing, "boston_housing.npz", boston_housing.ORIGIN),
])
def test_offline_error_names_file_url_and_directory(isolated_home, module, file, url):
    with pytest.raises(DatasetNotFoundError) as info:
        module.load_data()
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert os.path.basename(file) in message
    assert url in message
    assert str((isolated_home / file).parent) in message
    assert "network disabled in tests" in message
    assert not any(p.name.endswith(".part") for p in isolated_home.rglob("*"))


def test_nnlab_offline_skips_the_download(monkeypatch):
    calls = serve(monkeypatch, b"")
    monkeypatch.setenv("NNLAB_OFFLINE", "1")
    with pytest.raises(DatasetNotFoundError, match="NNLAB_OFFLINE"):
        mnist.load_data()
    assert calls == []


def test_download_checks_the_hash_then_saves(isolated_home, tmp_path, monkeypatch):
    arrays = write_mnist(tmp_path / "server")
    payload = (tmp_path / "server" / "mnist.npz").read_bytes()
    calls = serve(monkeypatch, payload)
    monkeypatch.setattr(mnist, "SHA256", hashlib.sha256(payload).hexdigest())
    (x_train, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["x_train"])
    assert calls == [mnist.ORIGIN]
    assert (isolated_home / "mnist.npz").read_bytes() == payload
    mnist.load_data()
    assert calls == [mnist.ORIGIN]  # the second load reads the saved file


def test_download_with_a_wrong_checksum_is_refused(isolated_home, monkeypatch):
    serve(monkeypatch, b"not the mnist file")
    with pytest.raises(ChecksumError, match=mnist.SHA256):
        mnist.load_data()
    assert not (isolated_home / "mnist.npz").exists()
    assert list(isolated_home.iterdir()) == []  # no partial file left behind


def test_download_accepts_md5_hashes(isolated_home, monkeypatch):
    payload = b"some bytes"
    serve(monkeypatch, payload)
    path = _files.get_file("sub/f.bin", "https://example.invalid/f.bin",
                           hashlib.md5(payload).hexdigest())
    assert path == isolated_home / "sub" / "f.bin" and path.read_bytes() == payload
    with pytest.raises(ChecksumError, match="md5"):
        _files.get_file("g.bin", "https://example.invalid/g.bin", "0" * 32)


def test_latin1_only_for_codecs_encode():
    # Protocol 2 pickles of bytes call _codecs.encode(text, 'latin1'): allowed, and
    # nothing else through that door.
    assert _safe_pickle.loads(pickle.dumps(b"\x00\xffab", protocol=2)) == b"\x00\xffab"
    evil = (b"\x80\x02c_codecs\nencode\nq\x00X\x03\x00\x00\x00abcq\x01X\x05\x00\x00\x00"
            b"rot13q\x02\x86q\x03Rq\x04.")
    with pytest.raises(pickle.UnpicklingError, match="rot13"):
        _safe_pickle.loads(evil)


# ------------------------------------------------------------ reuters, boston_housing, word indices

def reuters_fixture(path):
    """Five newswires of raw word ranks and their topics, as in reuters.npz."""
    x = np.empty(5, dtype=object)
    for i, item in enumerate([[1, 2], [3, 4, 5, 6], [7], [2, 2, 2], [9, 1]]):
        x[i] = item
    np.savez(path, x=x, y=np.array([3, 4, 3, 19, 1]))


@pytest.mark.parametrize("seed", [113, 5])
def test_reuters_shuffles_once_then_splits(isolated_home, seed):
    isolated_home.mkdir(parents=True)
    reuters_fixture(isolated_home / "reuters.npz")
    (x_train, y_train), (x_test, y_test) = reuters.load_data(seed=seed, test_split=0.4)
    order = np.arange(5)
    np.random.RandomState(seed).shuffle(order)
    # worked out by hand: each index + 3, a start mark 1 in front
    shifted = [[1, 4, 5], [1, 6, 7, 8, 9], [1, 10], [1, 5, 5, 5], [1, 12, 4]]
    labels = [3, 4, 3, 19, 1]
    assert len(x_train) == 3 and len(x_test) == 2                 # int(5 * 0.6) = 3
    assert [list(r) for r in x_train] + [list(r) for r in x_test] == [shifted[i] for i in order]
    assert y_train.tolist() + y_test.tolist() == [labels[i] for i in order]
    (x_train, _), _ = reuters.load_data(seed=seed, num_words=6, maxlen=4, test_split=0.0)
    kept = [[1, 4, 5], [1, 10], [1, 12, 4]]                       # length < 4 only
    kept = [[w if w < 6 else 2 for w in r] for r in kept]
    assert sorted(map(list, x_train)) == sorted(kept)
    assert reuters.get_label_names()[3] == "earn" and len(reuters.get_label_names()) == 46
    with pytest.raises(ValueError, match="test_split"):
        reuters.load_data(test_split=1.0)


def test_boston_housing_split_and_types(isolated_home):
    isolated_home.mkdir(parents=True)
    x = np.arange(10 * 13, dtype=float).reshape(10, 13)
    y = np.arange(10, dtype=float) + 20
    np.savez(isolated_home / "boston_housing.npz", x=x, y=y)
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    order = np.arange(10)
    np.random.RandomState(113).shuffle(order)
    assert x_train.shape == (8, 13) and x_test.shape == (2, 13)
    np.testing.assert_array_equal(np.concatenate([y_train, y_test]), y[order])
    np.testing.assert_array_equal(x_train[:, 0], x[order[:8], 0])
    np.savez(isolated_home / "boston_housing.npz", x=np.array([{"a": 1}], dtype=object), y=y[:1])
    with pytest.raises(ValueError, match="allow_pickle"):
        boston_housing.load_data()


@pytest.mark.parametrize("module, name", [(imdb, "imdb_word_index.json"),
                                          (reuters, "reuters_word_index.json")])
def test_word_index_files(isolated_home, module, name):
    with pytest.raises(DatasetNotFoundError, match=name):
        module.get_word_index()
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / name).write_text('{"the": 1, "of": 2}')
    assert module.get_word_index() == {"the": 1, "of": 2}
    (isolated_home / name).write_text('["not", "an", "index"]')
    with pytest.raises(ValueError, match="not a word index"):
        module.get_word_index()
