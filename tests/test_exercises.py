"""Tests for nnlab.course.exercises (nnlab-exercises) and the markers in nnlab.course._notebook."""
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nnlab.course import exercises
from nnlab.course._notebook import MarkerError, strip_markers

ROOT = Path(__file__).resolve().parents[1]

SOLUTION_META = {"nbgrader": {"grade": False, "solution": True, "locked": False,
                              "grade_id": "sigmoid", "schema_version": 3}}
TEST_META = {"nbgrader": {"grade": True, "solution": False, "locked": True,
                          "grade_id": "test_sigmoid", "points": 2, "schema_version": 3}}

SIGMOID = '''def sigmoid(z):
    """Return 1 / (1 + e^(-z)), elementwise."""
    ### BEGIN SOLUTION
    ### HINT: np.exp works elementwise on arrays.
    return 1.0 / (1.0 + np.exp(-z))
    ### END SOLUTION'''

TEST = '''from nnlab.checks import check_sigmoid
check_sigmoid(sigmoid)
### BEGIN HIDDEN TESTS
assert abs(sigmoid(np.array([-800.0]))[0]) < 1e-12
### END HIDDEN TESTS'''


def solution_notebook():
    nb = new_notebook(cells=[
        new_markdown_cell("# 01 · Neuron"),
        new_code_cell("import numpy as np", execution_count=1),
        new_code_cell(SIGMOID, metadata=SOLUTION_META, execution_count=2),
        new_code_cell(TEST, metadata=TEST_META, execution_count=3,
                      outputs=[new_output("stream", name="stdout", text="✓ sigmoid\n")]),
        new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION",
                          metadata={"nbgrader": {"grade": False, "solution": True,
                                                 "grade_id": "why", "schema_version": 3}}),
    ])
    nb.cells[1].metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00"}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    for index, cell in enumerate(nb.cells):
        cell.id = f"cell-{index}"
    return nb


@pytest.fixture
def course(tmp_path):
    (tmp_path / "solutions").mkdir()
    nbformat.write(solution_notebook(), tmp_path / "solutions" / "01_neuron.ipynb")
    return tmp_path


def run(course, *args):
    return exercises.main(["--solutions", str(course / "solutions"),
                           "--out", str(course / "exercises"), *args])


# --- markers ---------------------------------------------------------------------------

def test_solution_region_becomes_stub_at_marker_indentation_with_hints():
    assert strip_markers(SIGMOID) == (
        'def sigmoid(z):\n'
        '    """Return 1 / (1 + e^(-z)), elementwise."""\n'
        '    # Hint: np.exp works elementwise on arrays.\n'
        '    # YOUR CODE HERE\n'
        '    raise NotImplementedError()')


def test_deeper_indentation_and_several_regions_and_hints():
    source = ("for i in range(3):\n"
              "        ### BEGIN SOLUTION\n"
              "        ### HINT: first hint\n"
              "        x = i\n"
              "        ###   HINT:   not a hint (spaces inside the marker)\n"
              "        ### HINT:   second hint  \n"
              "        ### END SOLUTION\n"
              "y = 1\n"
              "### BEGIN SOLUTION\n"
              "y = 2\n"
              "### END SOLUTION\n")
    assert strip_markers(source) == (
        "for i in range(3):\n"
        "        # Hint: first hint\n"
        "        # Hint: second hint\n"
        "        # YOUR CODE HERE\n"
        "        raise NotImplementedError()\n"
        "y = 1\n"
        "# YOUR CODE HERE\n"
        "raise NotImplementedError()\n")


def test_hidden_tests_are_removed():
    assert strip_markers(TEST) == "from nnlab.checks import check_sigmoid\ncheck_sigmoid(sigmoid)"
    assert strip_markers("a = 1\n    ### BEGIN HIDDEN TESTS\n    b\n    ### END HIDDEN TESTS\nc = 3") \
        == "a = 1\nc = 3"


def test_raw_cells_are_stripped_too():
    nb = new_notebook(cells=[nbformat.v4.new_raw_cell("a\n### BEGIN HIDDEN TESTS\nb\n### END HIDDEN TESTS")])
    assert exercises.make_exercise(nb).cells[0].source == "a"


def test_markdown_solution_region():
    assert strip_markers("Why?\n### BEGIN SOLUTION\n### HINT: think\nBecause.\n### END SOLUTION",
                         cell_type="markdown") == "Why?\nHint: think\nYOUR ANSWER HERE"


@pytest.mark.parametrize("source, match", [
    ("x = 1\n### BEGIN SOLUTION\nx = 2", r"line 2: '### BEGIN SOLUTION' is never closed"),
    ("### BEGIN HIDDEN TESTS\nassert x", r"line 1: '### BEGIN HIDDEN TESTS' is never closed"),
    ("x\n### END SOLUTION", r"line 2: '### END SOLUTION' without a matching"),
    ("### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION",
     r"line 2: .* inside the '### BEGIN SOLUTION' region opened on line 1; .*nested"),
    ("### BEGIN SOLUTION\nx\n### END HIDDEN TESTS", r"line 3: .* expected '### END SOLUTION'"),
    ("### HINT: alone", r"line 1: '### HINT:' outside"),
])
def test_bad_markers_raise_naming_the_line(source, match):
    with pytest.raises(MarkerError, match=match):
        strip_markers(source, where="nb.ipynb, cell 4")


def test_missing_end_marker_error_names_notebook_cell_and_line(course, capsys):
    nb = solution_notebook()
    nb.cells[2].source = SIGMOID.replace("    ### END SOLUTION", "")
    nbformat.write(nb, course / "solutions" / "01_neuron.ipynb")
    assert run(course) == 1
    err = capsys.readouterr().err
    assert "01_neuron.ipynb, cell 2 (grade_id 'sigmoid'), line 3" in err
    assert "never closed" in err
    assert not (course / "exercises" / "01_neuron.ipynb").exists()


def test_solution_cell_without_markers_is_an_error():
    nb = solution_notebook()
    nb.cells[2].source = "def sigmoid(z):\n    return z"
    with pytest.raises(MarkerError, match=r"x.ipynb, cell 2 .*without a '### BEGIN SOLUTION'"):
        exercises.make_exercise(nb, "x.ipynb")


# --- generated notebooks ---------------------------------------------------------------

def test_generated_notebook(course):
    assert run(course) == 0
    path = course / "exercises" / "01_neuron.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    text = path.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text and "1.0 / (1.0" not in text
    assert "-800.0" not in text and "Because." not in text
    assert "raise NotImplementedError()" in text
    assert [c.metadata.get("nbgrader") for c in nb.cells] == \
        [None, None, SOLUTION_META["nbgrader"], TEST_META["nbgrader"],
         solution_notebook().cells[4].metadata["nbgrader"]]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert all("execution" not in c.metadata for c in nb.cells)
    assert "widgets" not in nb.metadata and nb.metadata.kernelspec.name == "python3"
    assert [c.id for c in nb.cells] == [f"cell-{i}" for i in range(5)]


def test_output_is_formatted_exactly_as_nbformat_write(course, tmp_path):
    run(course)
    generated = course / "exercises" / "01_neuron.ipynb"
    again = tmp_path / "again.ipynb"
    nbformat.write(nbformat.read(generated, as_version=4), again)
    assert generated.read_bytes() == again.read_bytes()
    assert generated.read_bytes().endswith(b"}\n")


def test_idempotent_and_solutions_untouched(course, capsys):
    solution = course / "solutions" / "01_neuron.ipynb"
    before = solution.read_bytes()
    run(course)
    first = (course / "exercises" / "01_neuron.ipynb").read_bytes()
    assert run(course) == 0
    assert "unchanged" in capsys.readouterr().out
    assert (course / "exercises" / "01_neuron.ipynb").read_bytes() == first
    assert solution.read_bytes() == before


# --- --check ---------------------------------------------------------------------------

def test_check_passes_when_in_sync_and_with_no_notebooks(course, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert exercises.main(["--solutions", str(empty), "--out", str(tmp_path / "none"),
                           "--check"]) == 0
    run(course)
    assert run(course, "--check") == 0
    assert "up to date (1 notebook(s))" in capsys.readouterr().out


def test_check_reports_missing_changed_and_stale_files_and_writes_nothing(course, capsys):
    assert run(course, "--check") == 1
    assert "missing:" in capsys.readouterr().out
    assert not (course / "exercises").exists()

    run(course)
    path = course / "exercises" / "01_neuron.ipynb"
    path.write_text(path.read_text(encoding="utf-8").replace("YOUR CODE HERE", "my answer"),
                    encoding="utf-8")
    stale = course / "exercises" / "02_old.ipynb"
    stale.write_text("{}", encoding="utf-8")
    capsys.readouterr()
    assert run(course, "--check") == 1
    out = capsys.readouterr().out
    assert "differs: " in out and "my answer" in out
    assert "stale:   " in out and "02_old.ipynb" in out
    assert "2 exercise notebook(s) out of date" in out
    assert "my answer" in path.read_text(encoding="utf-8")      # --check wrote nothing

    assert run(course) == 0                                       # regenerating fixes both
    assert not stale.exists()
    assert run(course, "--check") == 0


def test_only_numbered_notebooks_are_generated(course):
    nbformat.write(solution_notebook(), course / "solutions" / "scratch.ipynb")
    run(course)
    assert sorted(p.name for p in (course / "exercises").iterdir()) == ["01_neuron.ipynb"]


def test_repository_exercises_are_in_sync(capsys):
    """The CI sync check: the committed exercises/ is what solutions/ generates."""
    code = exercises.main(["--solutions", str(ROOT / "solutions"),
                           "--out", str(ROOT / "exercises"), "--check"])
    assert code == 0, capsys.readouterr().out
