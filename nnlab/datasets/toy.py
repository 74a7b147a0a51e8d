"""Small 2-D (and regression) data sets generated on the spot, for the first lessons.

Each generator is seeded (`seed=0` by default) and independent of nnlab's global
generator, so a lesson draws the same points every time. Features are float32 arrays
of shape `(n, d)`; class labels are int64 arrays of shape `(n,)`.
"""
import numpy as np


def _check_positive_int(name, value, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(
            f"Expected `{name}` to be an integer >= {minimum}. Received: {name}={value!r}")


def _check_non_negative(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or value < 0:
        raise ValueError(
            f"Expected `{name}` to be a number >= 0. Received: {name}={value!r}")


def _check_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"Expected `seed` to be a non-negative integer. Received: seed={seed!r}")


def xor(n=200, noise=0.1, seed=0):
    """The XOR problem: four clouds at the corners of the unit square.

    y = x1 XOR x2 for the corners (0,0)->0, (0,1)->1, (1,0)->1, (1,1)->0, then
    Gaussian noise of standard deviation `noise` is added to every point. No straight
    line separates the two classes: the classic case for a hidden layer.

    Args:
        n: number of points (the corners get n // 4 each, the first ones one more
            when n is not a multiple of 4). Defaults to 200.
        noise: standard deviation of the Gaussian noise. Defaults to 0.1.
        seed: seed of the generator. Defaults to 0.

    Returns:
        `(x, y)`: float32 array of shape `(n, 2)` and int64 labels 0/1 of shape `(n,)`,
        in shuffled order.

    Example:

    >>> x, y = nnlab.datasets.toy.xor(n=200, noise=0.1)
    >>> x.shape, np.bincount(y)
    ((200, 2), array([100, 100]))
    """
    _check_positive_int("n", n)
    _check_non_negative("noise", noise)
    _check_seed(seed)
    rng = np.random.default_rng(seed)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    which = np.arange(n) % 4
    x = corners[which] + noise * rng.standard_normal((n, 2))
    y = (corners[which, 0] != corners[which, 1]).astype(np.int64)
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order]


def spirals(n=300, classes=3, noise=0.2, seed=0):
    """Interleaved spiral arms, one per class (the CS231n spiral data).

    For class k and t running from 0 to 1 along its arm:
    radius r = t, angle theta = 4 (k + t) + noise * N(0, 1),
    point = (r sin(theta), r cos(theta)).

    Args:
        n: total number of points, shared as evenly as possible between the classes.
            Defaults to 300.
        classes: number of arms (classes), >= 2. Defaults to 3.
        noise: standard deviation of the noise on the angle. Defaults to 0.2.
        seed: seed of the generator. Defaults to 0.

    Returns:
        `(x, y)`: float32 array of shape `(n, 2)` and int64 labels 0..classes-1 of
        shape `(n,)`, ordered class by class.

    Example:

    >>> x, y = nnlab.datasets.toy.spirals(n=300, classes=3)
    >>> x.shape, np.bincount(y)
    ((300, 2), array([100, 100, 100]))
    """
    _check_positive_int("n", n)
    _check_positive_int("classes", classes, minimum=2)
    _check_non_negative("noise", noise)
    _check_seed(seed)
    if n < classes:
        raise ValueError(
            f"Expected at least one point per class: n >= classes. Received: n={n}, classes={classes}")
    rng = np.random.default_rng(seed)
    counts = [n // classes + (k < n % classes) for k in range(classes)]
    xs, ys = [], []
    for k, count in enumerate(counts):
        t = np.linspace(0.0, 1.0, count)
        theta = 4.0 * (k + t) + noise * rng.standard_normal(count)
        xs.append(np.column_stack([t * np.sin(theta), t * np.cos(theta)]))
        ys.append(np.full(count, k, dtype=np.int64))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles (scikit-learn's `make_moons`).

    Args:
        n: number of points (half in each moon). Defaults to 200.
        noise: standard deviation of the Gaussian noise. Defaults to 0.1.
        seed: seed of the generator. Defaults to 0.

    Returns:
        `(x, y)`: float32 array of shape `(n, 2)` and int64 labels 0/1 of shape `(n,)`.

    Example:

    >>> x, y = nnlab.datasets.toy.moons(n=200, noise=0.1)
    """
    _check_positive_int("n", n)
    _check_non_negative("noise", noise)
    _check_seed(seed)
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=n, noise=noise, random_state=seed)
    return x.astype(np.float32), y.astype(np.int64)


def blobs(n=200, centers=3, cluster_std=1.0, seed=0):
    """Gaussian clouds around random centres (scikit-learn's `make_blobs`).

    Args:
        n: number of points, shared evenly between the clouds. Defaults to 200.
        centers: number of clouds (classes). Defaults to 3.
        cluster_std: standard deviation of each cloud. Defaults to 1.0.
        seed: seed of the generator. Defaults to 0.

    Returns:
        `(x, y)`: float32 array of shape `(n, 2)` and int64 labels 0..centers-1 of
        shape `(n,)`.

    Example:

    >>> x, y = nnlab.datasets.toy.blobs(n=300, centers=3)
    """
    _check_positive_int("n", n)
    _check_positive_int("centers", centers)
    _check_non_negative("cluster_std", cluster_std)
    _check_seed(seed)
    from sklearn.datasets import make_blobs

    x, y = make_blobs(n_samples=n, centers=centers, cluster_std=cluster_std,
                      random_state=seed)
    return x.astype(np.float32), y.astype(np.int64)


def linear_regression(n=100, n_features=1, noise=10.0, seed=0, bias=0.0):
    """A linear target with Gaussian noise (scikit-learn's `make_regression`).

    y = x @ coef + bias + noise * N(0, 1), with x ~ N(0, 1).

    Args:
        n: number of samples. Defaults to 100.
        n_features: number of input features d. Defaults to 1.
        noise: standard deviation of the noise added to y. Defaults to 10.0.
        seed: seed of the generator. Defaults to 0.
        bias: the intercept added to every target. Defaults to 0.0.

    Returns:
        `(x, y, coef)`: float32 inputs of shape `(n, n_features)`, float32 targets of
        shape `(n,)` and the true float32 coefficients of shape `(n_features,)`, so a
        lesson can compare them with the weights a model learns (and `bias` with
        its bias).

    Example:

    >>> x, y, coef = nnlab.datasets.toy.linear_regression(n=100, noise=10.0)
    >>> x.shape, y.shape, coef.shape
    ((100, 1), (100,), (1,))
    """
    _check_positive_int("n", n)
    _check_positive_int("n_features", n_features)
    _check_non_negative("noise", noise)
    _check_seed(seed)
    if isinstance(bias, bool) or not isinstance(bias, (int, float, np.number)):
        raise ValueError(f"Expected `bias` to be a number. Received: bias={bias!r}")
    from sklearn.datasets import make_regression

    x, y, coef = make_regression(n_samples=n, n_features=n_features, noise=noise,
                                 bias=float(bias), coef=True, random_state=seed)
    return x.astype(np.float32), y.astype(np.float32), np.atleast_1d(coef).astype(np.float32)
