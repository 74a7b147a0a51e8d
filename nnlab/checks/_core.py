"""Building blocks for feedback checks."""
import contextlib
import functools
import importlib
import inspect
import sys
import types

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


class OwnCodeRequired(BaseException):
    """Raised when an exercise's answer calls the library function it asks the student to write.

    A BaseException, so that a student's `except Exception:` cannot swallow it.
    """


def _refused(message, *args, **kwargs):
    raise OwnCodeRequired(message)


def _target(path):
    """(owner, attribute name) of a dotted path such as "nnlab.layers.conv.Conv2D.forward";
    None when the path does not exist, or its module is not nnlab's and not imported (then
    it cannot be called without an import, which `block_imports` can stop)."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:split])
        module = sys.modules.get(name)
        if module is None and name.startswith("nnlab."):
            try:
                module = importlib.import_module(name)
            except ImportError:
                module = None
        if module is not None:
            owner = module
            try:
                for part in parts[split:-1]:
                    owner = getattr(owner, part)
            except AttributeError:
                return None
            return (owner, parts[-1]) if hasattr(owner, parts[-1]) else None
    return None


_INHERITED = object()


@contextlib.contextmanager
def own_code_only(what, targets, block_imports=()):
    """While the block runs, every function in `targets` (dotted paths) raises OwnCodeRequired.

    For exercises that ask students to write what a library already has ("write relu",
    "write Conv2D's backward"): an answer that calls `nnlab.activations.relu`, however it
    was imported (`from nnlab.activations import relu as r` in an earlier cell included),
    fails with "`what`: write this yourself". A plain function is refused by giving its
    function object the code of a stub for the duration (so references taken earlier stop
    working too); anything else is replaced on its owner. Modules in `block_imports` that
    are not imported yet (e.g. "keras", "sklearn") cannot be imported inside the block.
    """
    message = (f"{what}: this exercise asks for your own code; the tests do not accept "
               "calls to the library's version of it.")
    swapped, patched = [], []
    try:
        for path in targets:
            found = _target(path)
            if found is None:
                continue
            owner, name = found
            raw = inspect.getattr_static(owner, name)
            func = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
            if isinstance(func, types.FunctionType):
                swapped.append((func, func.__code__))
                func.__code__ = _stub_code(message, len(func.__code__.co_freevars))
            else:
                own = name in getattr(owner, "__dict__", {})
                patched.append((owner, name, raw if own else _INHERITED))
                setattr(owner, name, functools.partial(_refused, message))
        for name in block_imports:
            if name not in sys.modules:
                patched.append((sys.modules, name, None))
                sys.modules[name] = None
        yield
    finally:
        for func, code in reversed(swapped):
            func.__code__ = code
        for owner, name, raw in reversed(patched):
            if owner is sys.modules:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]
            elif raw is _INHERITED:
                delattr(owner, name)
            else:
                setattr(owner, name, raw)


@functools.lru_cache(maxsize=None)
def _stub_code(message, free=0):
    """The code object of `def f(*args, **kwargs): raise OwnCodeRequired(message)`, made to
    run in any module's globals (it imports what it needs), with `free` free variables so
    that it can replace the code of a function with a closure (a method using super())."""
    from nnlab.course._guard import stub_code
    body = ("raise __import__('nnlab.checks._core', fromlist=['_'])"
            f".OwnCodeRequired({message!r})")
    return stub_code(body, free, "<nnlab.checks own_code_only>")
