"""Building blocks for feedback checks."""
import numpy as np


class CheckFailed(AssertionError):
    """Raised by a check, with a message a student can act on."""


def _call(fn, *args):
    try:
        return fn(*args)
    except NotImplementedError:
        raise CheckFailed(
            f"{getattr(fn, '__name__', 'your function')} is not implemented yet: replace "
            "`raise NotImplementedError()` with your code.") from None


def expect_shape(what, got, shape):
    """Fail with "what should have shape S, got shape T" unless `got.shape == shape`."""
    got_shape = np.shape(got)
    if tuple(got_shape) != tuple(shape):
        raise CheckFailed(f"{what} should have shape {tuple(shape)}, got shape {tuple(got_shape)}.")


def expect_close(what, got, expected, rtol=1e-6, atol=1e-8):
    """Fail with "what should be E, got G" unless `got` is close to `expected`."""
    expected = np.asarray(expected, dtype=float)
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what} should be a number or an array of numbers, got {got!r}.") from None
    if got_arr.shape != expected.shape:
        expect_shape(what, got_arr, expected.shape)
    if not np.allclose(got_arr, expected, rtol=rtol, atol=atol, equal_nan=False):
        if expected.ndim == 0:
            raise CheckFailed(f"{what} should be {expected.item():.6g}, got {got_arr.item():.6g}.")
        bad = np.argwhere(~np.isclose(got_arr, expected, rtol=rtol, atol=atol))[0]
        index = tuple(int(i) for i in bad)
        raise CheckFailed(
            f"{what} is wrong at index {index}: should be {expected[index]:.6g}, "
            f"got {got_arr[index]:.6g}.")


def passed(what):
    """Print the one-line confirmation every check ends with."""
    print(f"✓ {what}")
