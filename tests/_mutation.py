"""Mutation tests of the graded exercises: plausible wrong answers must fail the tests.

A lesson's mutation test lives in `tests/test_mutations_NN.py` and lists, per solution
cell (by its nbgrader `grade_id`), the wrong implementations a student could plausibly
write (off-by-one, wrong axis, global instead of per-row, missing factor, in-place update,
float32 or overflow, ...):

    MUTANTS = {
        "output_delta": {
            "global max instead of each row's": ("z.max(axis=-1, keepdims=True)", "z.max()"),
            "returns y - p": FULL_REPLACEMENT_SOURCE,
        },
    }
    test_solution_passes, test_mutant_is_rejected = mutation_tests("06_backprop", MUTANTS)

A mutant is either a pair `(old, new)` (a text substitution in the solution cell, where
`old` must occur) or a string (the whole new source of that cell). The solutions notebook's
code cells run in order in one fresh namespace, in this process, up to and including the
first graded test cell after the mutated cell (visible checks *and* hidden tests): the
mutant is rejected when that test cell raises an Exception, or OwnCodeRequired (the answer
called the library's version of what the exercise asks for; that one is a BaseException,
other BaseExceptions such as KeyboardInterrupt still stop the run). The unmutated solution
must pass the same run, so a mutant that "fails" only because the harness broke counts for
nothing.
"""
import contextlib
import io
import json
from pathlib import Path

import matplotlib
import pytest

from nnlab.checks._core import OwnCodeRequired

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]


def _cells(slug):
    nb = json.loads((ROOT / "solutions" / f"{slug}.ipynb").read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _source(cell):
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def _python(source):
    """The cell without IPython's line magics and shell escapes (`%matplotlib inline`)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def solution_source(slug, grade_id):
    """The source of the solution cell `grade_id` in solutions/<slug>.ipynb."""
    return next(_source(c) for c in _cells(slug) if _meta(c).get("grade_id") == grade_id)


def edit(slug, grade_id, *pairs):
    """That cell's source with every (old, new) pair substituted in turn (each old must occur):
    a whole-source mutant made of several edits. Files use `_edit = partial(edit, SLUG)`."""
    source = solution_source(slug, grade_id)
    for old, new in pairs:
        assert old in source, f"{old!r} is not in cell {grade_id!r}"
        source = source.replace(old, new)
    return source


def run_until_test(slug, grade_id, replacement=None):
    """Run solutions/<slug>.ipynb up to the test cell that grades `grade_id`.

    `replacement` (a `(old, new)` pair or a whole source) replaces the cell `grade_id`.
    Returns None when the test cell passes, else the exception it raised.
    """
    cells = _cells(slug)
    ids = [_meta(c).get("grade_id") for c in cells]
    if grade_id not in ids:
        raise KeyError(f"solutions/{slug}.ipynb has no cell with grade_id {grade_id!r}; "
                       f"it has {[i for i in ids if i]}")
    target = ids.index(grade_id)
    namespace = {"__name__": "__main__"}
    import matplotlib.pyplot as plt
    try:
        for index, cell in enumerate(cells):
            source = _source(cell)
            if index == target and replacement is not None:
                if isinstance(replacement, tuple):
                    old, new = replacement
                    if old not in source:
                        raise AssertionError(f"mutant text {old!r} is not in cell {grade_id!r}")
                    source = source.replace(old, new)
                else:
                    source = replacement
            is_test = bool(_meta(cell).get("grade"))
            with contextlib.redirect_stdout(io.StringIO()):
                if is_test and index > target:
                    try:
                        exec(compile(_python(source), f"<{slug} {_meta(cell).get('grade_id')}>",
                                     "exec"), namespace)
                    except (Exception, OwnCodeRequired) as error:  # noqa: BLE001 - any failure rejects
                        return error
                    return None
                exec(compile(_python(source), f"<{slug} cell {index}>", "exec"), namespace)
        raise AssertionError(f"no graded test cell after {grade_id!r} in solutions/{slug}.ipynb")
    finally:
        plt.close("all")


def mutation_tests(slug, mutants):
    """Two parametrized pytest functions: each solution passes; each mutant is rejected."""
    cases = [pytest.param(gid, name, replacement, id=f"{gid}: {name}")
             for gid, table in mutants.items() for name, replacement in table.items()]

    @pytest.mark.parametrize("grade_id", sorted(mutants))
    def test_solution_passes(grade_id):
        error = run_until_test(slug, grade_id)
        assert error is None, f"the solution of {grade_id!r} fails its own tests: {error!r}"

    @pytest.mark.parametrize("grade_id, name, replacement", cases)
    def test_mutant_is_rejected(grade_id, name, replacement):
        error = run_until_test(slug, grade_id, replacement)
        assert error is not None, f"{grade_id}: the wrong answer '{name}' passes the tests"

    return test_solution_passes, test_mutant_is_rejected
