"""Real Keras 3 programs by other authors run on nnlab with only the imports changed.

The programs and their license are listed in tests/keras_programs.toml: the runnable
examples of Keras 3's own API documentation, read from the installed `keras` package (so
these tests need the [dev] extra's Keras; without it they skip). Each program runs line
by line as the interactive interpreter would, once with `keras` bound to nnlab and once
to Keras 3 (JAX backend); every line must print the same numbers on both, or nnlab must
stop where the manifest says, with its clear error.
"""
import contextlib
import doctest
import importlib
import inspect
import io
import os
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

import nnlab  # noqa: E402

PROGRAMS = tomllib.loads((Path(__file__).with_name("keras_programs.toml"))
                         .read_text(encoding="utf-8"))["program"]


def _program(path):
    """The `>>>` examples of the Keras object at `path` ("keras.layers.Conv2D")."""
    owner = keras
    for part in path.split(".")[1:]:
        owner = getattr(owner, part)
    examples = doctest.DocTestParser().get_examples(inspect.getdoc(owner) or "")
    assert examples, f"{path}'s documentation has no runnable example any more"
    return examples


def _run(examples, module):
    """Run the examples with `keras` = module; [(printed, error or None)] up to the first error."""
    namespace = {"keras": module, "np": np, "numpy": np}
    if module is nnlab:
        nnlab.utils.set_random_seed(0)
    else:                       # fresh layer/metric names, as in a program of its own
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
    results = []
    for example in examples:
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(example.source, "<keras docs>", "single"), namespace)
        except Exception as error:      # noqa: BLE001 - recorded and compared
            results.append((out.getvalue(), f"{type(error).__name__}: {error}"))
            break
        results.append((out.getvalue(), None))
    return results


def _numbers(text):
    """The numbers a line printed (dtype names, addresses, type names, colours and the
    progress bar's "1/1 ━━━ 0s 337us/step" left out)."""
    text = re.sub(r"\x1b\[[0-9;]*m|\x08", "", text)
    text = re.sub(r"\d+/\d+ ━+\S* \S+ \S+/step", "", text)
    text = re.sub(r"dtype=\w+|0x[0-9a-f]+|float\d+|int\d+", "", text)
    return [float(x) for x in re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", text)]


def _same_print(ours, theirs):
    a, b = _numbers(ours), _numbers(theirs)
    return len(a) == len(b) and np.allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("program", PROGRAMS, ids=[p["object"] for p in PROGRAMS])
def test_keras_program_runs_on_nnlab(program):
    examples = _program(program["object"])
    theirs = _run(examples, keras)
    assert all(error is None for _, error in theirs), \
        f"Keras itself fails its own example: {theirs[-1][1]}"
    ours = _run(examples, nnlab)
    if program["expect"] == "stops":
        error = ours[-1][1]
        assert error is not None, "the program now runs on nnlab: mark it 'same'"
        assert program["error"] in error, error
        checked = ours[:-1]
    else:
        assert len(ours) == len(examples) and ours[-1][1] is None, \
            f"stopped at line {len(ours)}: {examples[len(ours) - 1].source.strip()!r}: {ours[-1][1]}"
        checked = ours
    for example, (printed, _), (keras_printed, _) in zip(examples, checked, theirs):
        assert _same_print(printed, keras_printed), (
            f"{example.source.strip()!r} printed {printed.strip()!r} on nnlab, "
            f"{keras_printed.strip()!r} on Keras")


def test_at_least_ten_programs_run_entirely():
    assert sum(p["expect"] == "same" for p in PROGRAMS) >= 10
    assert all(p["expect"] in ("same", "stops") for p in PROGRAMS)
    assert all(p.get("why") for p in PROGRAMS if p["expect"] == "stops")
