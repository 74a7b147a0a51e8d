"""Plain-words feedback for exercises: `check_sigmoid(sigmoid)` says what is wrong.

Each lesson keeps its checks in its own module (`neuron.py`, `activations.py`, ...);
this package re-exports every public `check_*` function, so a notebook only needs
`from nnlab.checks import check_sigmoid`.
A check prints a short confirmation when all is well and raises `CheckFailed`
(an AssertionError) with a sentence such as "sigmoid(0) should be 0.5, got 0.0" otherwise.
"""
import importlib
import pkgutil

from nnlab.checks._core import CheckFailed, expect_close, expect_shape, passed

__all__ = ["CheckFailed", "expect_close", "expect_shape", "passed"]

for _info in pkgutil.iter_modules(__path__):
    if not _info.name.startswith("_"):
        _module = importlib.import_module(f"{__name__}.{_info.name}")
        for _name in getattr(_module, "__all__", ()):
            if _name in globals():             # two lessons must not share a check's name
                raise ImportError(f"nnlab.checks.{_info.name} exports {_name!r}, which another "
                                  "checks module already exports: give it a lesson-specific name.")
            globals()[_name] = getattr(_module, _name)
            __all__.append(_name)
