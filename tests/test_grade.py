"""Tests for nnlab.course.grade (nnlab-grade).

The fixture notebooks live in tests/fixtures/grading/ (regenerate them with
`python tests/fixtures/grading/make_fixtures.py`): solution.ipynb has three exercises
(test_weighted_sum 1 point, test_sigmoid 2, test_neuron_forward 3) and submissions/
one student notebook per situation the grader must survive. All of them are graded in
one run (one fresh kernel per student, plus the restarts), with 6 s per cell.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from nnlab.course import _sandbox, grade
from nnlab.course.exercises import make_exercise

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "grading"
SOLUTION = FIXTURES / "solution.ipynb"
IDS = ["test_weighted_sum", "test_sigmoid", "test_neuron_forward"]
# the grader's sandbox where bubblewrap works (always in CI: .ci/run installs it)
SANDBOXED = _sandbox.available()[0]
NO_SANDBOX = [] if SANDBOXED else ["--no-sandbox"]
OK = "passed"

# student -> {grade_id: (points, status, text the reason must contain)}
EXPECTED = {
    "perfect": {"test_weighted_sum": (1, OK, ""), "test_sigmoid": (2, OK, ""),
                "test_neuron_forward": (3, OK, "")},
    "blank": {gid: (0, "failed", "NotImplementedError") for gid in IDS},
    "infinite_loop": {"test_weighted_sum": (1, OK, ""),
                      "test_sigmoid": (0, "timed out", "time limit per cell (6 s)"),
                      "test_neuron_forward": (3, OK, "")},
    "exception": {"test_weighted_sum": (0, "failed", "ValueError: I give up"),
                  "test_sigmoid": (2, OK, ""), "test_neuron_forward": (3, OK, "")},
    "hidden_only": {"test_weighted_sum": (1, OK, ""),
                    "test_sigmoid": (0, "failed", "CheckFailed: sigmoid(800)"),
                    "test_neuron_forward": (3, OK, "")},
    "weakened_test": {"test_weighted_sum": (1, OK, ""),
                      "test_sigmoid": (0, "failed", "sigmoid(0) should be 0.5, got 0"),
                      "test_neuron_forward": (3, OK, "")},
    # the deleted sigmoid test is put back after the sigmoid cell; exercise 3's test
    # comes back too, at the end, and fails because its solution cell is gone
    "deleted_cells": {"test_weighted_sum": (1, OK, ""), "test_sigmoid": (2, OK, ""),
                      "test_neuron_forward": (0, "failed", "NameError: name 'neuron_forward'")},
    # the student's order is kept: blocks in any order are fine, a test before its
    # solution is not
    "reordered_cells": {"test_weighted_sum": (1, OK, ""),
                        "test_sigmoid": (0, "failed", "NameError: name 'sigmoid'"),
                        "test_neuron_forward": (3, OK, "")},
    "huge_output": {"test_weighted_sum": (1, OK, ""), "test_sigmoid": (2, OK, ""),
                    "test_neuron_forward": (3, OK, "")},
    # sys.exit() is an ordinary error in a kernel; exit() stops the kernel: restarted
    "sys_exit": {"test_weighted_sum": (1, OK, ""), "test_sigmoid": (2, OK, ""),
                 "test_neuron_forward": (3, OK, "")},
    # os._exit(1) in a student cell: restarted, earlier cells re-run, sigmoid still graded;
    # a test whose call kills the kernel scores 0
    "kernel_kill": {"test_weighted_sum": (1, OK, ""), "test_sigmoid": (2, OK, ""),
                    "test_neuron_forward": (0, "kernel died", "kernel died")},
    "redefine_checks": {"test_weighted_sum": (1, OK, ""),
                        "test_sigmoid": (0, "failed", "sigmoid(0) should be 0.5, got 0"),
                        "test_neuron_forward": (3, OK, "")},
    # an invented test cell (100 points!) and a duplicated one earn nothing extra
    "extra_test_cells": {"test_weighted_sum": (1, OK, ""), "test_sigmoid": (2, OK, ""),
                         "test_neuron_forward": (3, OK, "")},
}
INVALID = {
    "not_json": "not valid JSON",
    "empty": "empty file",
    "no_cells": "no list of cells",
    "wrong_nbformat": "nbformat 9",
}
NOTES = {"infinite_loop": ["a timeout in cell 5"], "sys_exit": ["the kernel exited in cell 5"],
         "kernel_kill": ["the kernel died in cell 5", "the kernel died in cell 8"]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("grading-output")
    code = grade.main([str(FIXTURES / "submissions"), "--solution", str(SOLUTION),
                       "--out", str(out), "--cell-timeout", "6", "--timeout", "120", *NO_SANDBOX])
    report = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    return code, out, report, {s["student"]: s for s in report["students"]}


def test_exit_code_zero_even_with_zero_scores(graded):
    code, _, report, students = graded
    assert code == 0
    assert sorted(students) == sorted([*EXPECTED, *INVALID])
    assert report["max_points"] == 6
    assert report["exercises"] == [{"grade_id": "test_weighted_sum", "max_points": 1},
                                   {"grade_id": "test_sigmoid", "max_points": 2},
                                   {"grade_id": "test_neuron_forward", "max_points": 3}]


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_exercise_scores_as_expected(graded, student):
    record = graded[3][student]
    assert record["status"] == "graded", record
    got = {e["grade_id"]: e for e in record["exercises"]}
    assert list(got) == IDS
    for gid, (points, status, reason) in EXPECTED[student].items():
        assert (got[gid]["points"], got[gid]["status"]) == (points, status), (gid, got[gid])
        assert reason in got[gid]["reason"], (gid, got[gid])
        assert got[gid]["max_points"] == {"test_weighted_sum": 1, "test_sigmoid": 2,
                                          "test_neuron_forward": 3}[gid]
    assert record["points"] == sum(p for p, _, _ in EXPECTED[student].values())
    assert record["max_points"] == 6
    assert record["notes"] == NOTES.get(student, [])


@pytest.mark.parametrize("student", sorted(INVALID))
def test_unreadable_notebooks_score_zero_with_a_reason(graded, student):
    record = graded[3][student]
    assert record["status"] == "invalid" and record["points"] == 0
    assert INVALID[student] in record["reason"]
    assert [e["points"] for e in record["exercises"]] == [0, 0, 0]
    assert all(INVALID[student] in e["reason"] for e in record["exercises"])


def test_csv_has_a_row_per_student_and_a_column_per_exercise(graded):
    _, out, _, students = graded
    with open(out / "grades.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["student", *IDS, "total", "max_points", "status"]
    by_name = {row["student"]: row for row in rows}
    assert by_name["infinite_loop"] == {
        "student": "infinite_loop", "test_weighted_sum": "1", "test_sigmoid": "0",
        "test_neuron_forward": "3", "total": "4", "max_points": "6", "status": "graded"}
    assert by_name["empty"]["total"] == "0" and by_name["empty"]["status"] == "invalid: empty file"
    assert len(rows) == len(students)


def test_huge_output_is_truncated_in_what_is_stored(graded):
    _, out, _, _ = graded
    path = out / "notebooks" / "huge_output.ipynb"
    assert path.stat().st_size < 300_000
    nb = nbformat.read(path, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)
    assert "[nnlab-grade: output truncated]" in text


def test_executed_notebooks_hold_the_injected_tests_and_the_students_cells(graded):
    _, out, _, _ = graded
    nb = nbformat.read(out / "notebooks" / "weakened_test.ipynb", as_version=4)
    sources = [c.source for c in nb.cells]
    assert not any("tests are for other people" in s for s in sources)
    assert sum("BEGIN HIDDEN TESTS" in s for s in sources) == 3
    kill = nbformat.read(out / "notebooks" / "kernel_kill.ipynb", as_version=4)
    notes = [o.text for c in kill.cells if c.cell_type == "code" for o in c.outputs
             if o.output_type == "stream" and "[nnlab-grade]" in o.text]
    assert len(notes) == 2 and all("kernel died" in n for n in notes)
    # sys.stdout, redirected to os.devnull by the student, is restored before each test
    tamper = nbformat.read(out / "notebooks" / "redefine_checks.ipynb", as_version=4)
    assert [o.text for o in tamper.cells[-1].outputs] == ["neuron_forward ✓\n"]


def test_summary_is_printed(graded, capsys):
    # the summary was printed while the module fixture ran; print one again to check format
    grade._print_student(graded[3]["infinite_loop"], None)
    out = capsys.readouterr().out
    assert "infinite_loop" in out and "4/6" in out
    assert "-- test_sigmoid" in out and "timed out" in out
    assert "note: kernel restarted after a timeout in cell 5" in out


# --- usage errors: exit code 2, no kernel started ----------------------------------------

def test_usage_errors(tmp_path, capsys):
    assert grade.main([str(FIXTURES / "submissions"), "--solution",
                       str(tmp_path / "missing.ipynb")]) == 2
    assert "cannot read the solution notebook" in capsys.readouterr().err

    no_tests = tmp_path / "no_tests.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), no_tests)
    assert grade.main([str(FIXTURES / "submissions"), "--solution", str(no_tests)]) == 2
    assert "no graded test cells" in capsys.readouterr().err

    empty_dir = tmp_path / "none"
    empty_dir.mkdir()
    assert grade.main([str(empty_dir), "--solution", str(SOLUTION),
                       "--out", str(tmp_path / "o")]) == 2
    assert "no submissions found" in capsys.readouterr().err
    assert grade.main([str(tmp_path / "nobody.ipynb"), "--solution", str(SOLUTION)]) == 2
    with pytest.raises(SystemExit) as exit_info:
        grade.main([str(SOLUTION)])                       # --solution is required
    assert exit_info.value.code == 2


def test_assemble_keeps_student_order_and_reinserts_tests():
    solution = grade.Solution(SOLUTION)
    nb, problem = grade.read_submission(FIXTURES / "submissions" / "deleted_cells.ipynb")
    assert problem is None
    ids = [nbformat_id for nbformat_id in
           (c.metadata.get("nbgrader", {}).get("grade_id") for c, _ in solution.assemble(nb)) if
           nbformat_id]
    assert ids == ["weighted_sum", "test_weighted_sum", "sigmoid", "test_sigmoid",
                   "test_neuron_forward"]
    assert "import numpy as np" in solution.imports and "import nnlab" in solution.imports


# --- the course's own solutions ---------------------------------------------------------

REAL = sorted(p for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.skipif(not (ROOT / "solutions" / "01_neuron.ipynb").exists(),
                    reason="solutions/01_neuron.ipynb does not exist yet")
@pytest.mark.parametrize("path", REAL, ids=[p.stem for p in REAL])
def test_real_solutions_score_full_marks_and_their_exercises_zero(path, tmp_path):
    exercise = tmp_path / path.name
    nbformat.write(make_exercise(nbformat.read(path, as_version=4)), exercise)
    solution_copy = tmp_path / "solution" / path.name
    solution_copy.parent.mkdir()
    solution_copy.write_bytes(path.read_bytes())
    report = grade.grade([str(solution_copy), str(exercise)], path, tmp_path / "out",
                         cell_timeout=60, timeout=600, sandbox=SANDBOXED)
    full, blank = report["students"]
    assert full["points"] == full["max_points"] > 0, full["exercises"]
    assert blank["points"] == 0, [e for e in blank["exercises"] if e["points"]]


def test_whole_notebook_time_limit_stops_grading_with_a_reason():
    solution = grade.Solution(SOLUTION)
    nb, _ = grade.read_submission(FIXTURES / "submissions" / "infinite_loop.ipynb")
    results, notes, _, _ = grade.grade_notebook(nb, solution, cell_timeout=60, timeout=10)
    assert results["test_weighted_sum"]["status"] == "passed"
    assert results["test_sigmoid"]["status"] == "timed out"
    assert "time limit for the whole notebook (10 s)" in results["test_sigmoid"]["reason"]
    assert results["test_neuron_forward"]["status"] == "not run"
    assert "time limit for the whole notebook" in results["test_neuron_forward"]["reason"]
    assert results["test_neuron_forward"]["points"] == 0


# --- the answer key: wrong key, folder of keys, untrusted metadata ----------------------

def test_wrong_answer_key_stops_with_exit_2(tmp_path, capsys):
    code = grade.main([str(ROOT / "exercises" / "02_activations.ipynb"), "--solution",
                       str(ROOT / "solutions" / "01_neuron.ipynb"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "do not match the solution" in err and "01_neuron.ipynb" in err and "sigmoid" in err
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_solutions_folder_picks_the_matching_notebook(tmp_path):
    paths = [ROOT / "exercises" / "03_linear_regression.ipynb"]
    chosen = grade._choose_solution(ROOT / "solutions", grade._submission_ids(paths))
    assert chosen.path.name == "03_linear_regression.ipynb"
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "x = 1", metadata={"nbgrader": {"grade": False, "solution": True, "grade_id": "no_such"}})])
    nbformat.write(other, tmp_path / "other.ipynb")
    with pytest.raises(grade.UsageError, match="no grade_id in common"):
        grade._choose_solution(ROOT / "solutions", grade._submission_ids([tmp_path / "other.ipynb"]))


def test_malformed_grade_ids_and_lone_surrogates_do_not_crash(tmp_path):
    solution = grade.Solution(SOLUTION)
    cells = [{"cell_type": "code", "source": "x = '\ud800'", "metadata": {}, "outputs": [],
              "execution_count": None}]
    for bad in (["test_sigmoid"], {"id": 1}, 7, "test_not_in_the_solution"):
        cells.append({"cell_type": "code", "source": "print('pretend test')", "outputs": [],
                      "execution_count": None,
                      "metadata": {"nbgrader": {"grade": True, "grade_id": bad, "points": 99}}})
    path = tmp_path / "odd.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}))
    nb, problem = grade.read_submission(path)
    assert problem is None and "\ufffd" in nb.cells[0].source
    assembled = solution.assemble(nb)
    # the fake test cells are dropped; the solution's own three tests are put back
    assert sum("pretend test" in c.source for c, _ in assembled) == 0
    assert [gid for _, gid in assembled if gid] == IDS
    nbformat.writes(nbformat.v4.new_notebook(cells=[c for c, _ in assembled]))   # UTF-8


def test_solutions_folder_is_never_graded_as_a_submission(tmp_path):
    # `grade . --solution solutions/`: the answer keys inside the folder are not submissions
    (tmp_path / "solutions").mkdir()
    (tmp_path / "students").mkdir()
    for path in (tmp_path / "solutions" / "01.ipynb", tmp_path / "students" / "ann.ipynb"):
        path.write_text("{}")
    found = grade._submission_paths([tmp_path], tmp_path / "solutions")
    assert found == [tmp_path / "students" / "ann.ipynb"]
    found = grade._submission_paths([tmp_path], tmp_path / "solutions" / "01.ipynb")
    assert found == [tmp_path / "students" / "ann.ipynb"]


# --- attacks (issue 10): cheaters get 0, the honest student after them full marks, -----
# --- the grader, the batch and the environment are untouched ----------------------------

ATTACKS = FIXTURES / "attacks"
ATTACK_NAMES = sorted(p.stem for p in ATTACKS.glob("*.ipynb") if p.stem != "zz_honest")


def _environment():
    """What a student must not be able to change: nnlab's files and site-packages' list."""
    import hashlib
    import sysconfig
    import nnlab
    package = Path(nnlab.__file__).parent
    files = {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(package.rglob("*.py"))}
    return files, sorted(os.listdir(sysconfig.get_paths()["purelib"]))


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    if not SANDBOXED:
        reason = f"no sandbox here: {_sandbox.available()[1]}"
        if os.environ.get("CI"):
            pytest.fail(reason + " (.ci/run installs bubblewrap)")
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("attacks")
    mark = f"nnlab-attack-{uuid.uuid4().hex[:8]}"
    submissions, out = root / "submissions", root / "out"
    submissions.mkdir()
    for path in ATTACKS.glob("*.ipynb"):
        text = (path.read_text(encoding="utf-8").replace("@OUT@", str(out))
                .replace("@SOLUTION@", str(SOLUTION)).replace("@MARK@", mark)
                .replace("@SUBMISSIONS@", str(submissions)))
        (submissions / path.name).write_text(text, encoding="utf-8")
    honest = (submissions / "zz_honest.ipynb").read_bytes()
    before = _environment()
    run = subprocess.run([sys.executable, "-m", "nnlab.course.grade", str(submissions),
                          "--solution", str(SOLUTION), "--out", str(out), "--jobs", "2",
                          "--cell-timeout", "20", "--timeout", "120"],
                         capture_output=True, text=True, timeout=900)
    time.sleep(3)                          # what a detached process would do, it has done now
    report = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    return SimpleNamespace(run=run, out=out, mark=mark, report=report, before=before,
                           after=_environment(), honest=honest, submissions=submissions,
                           students={s["student"]: s for s in report["students"]})


def _points(record):
    return {e["grade_id"]: e["points"] for e in record["exercises"]}


def test_the_batch_finishes_and_the_honest_student_gets_full_marks(attacked):
    assert attacked.run.returncode == 0, attacked.run.stderr[-2000:]
    assert sorted(attacked.students) == sorted([*ATTACK_NAMES, "zz_honest"])
    assert attacked.students["zz_honest"]["points"] == 6, attacked.students["zz_honest"]
    assert "sandbox: bubblewrap" in attacked.run.stdout


@pytest.mark.parametrize("attack", ATTACK_NAMES)
def test_each_cheat_scores_zero_on_the_cheated_test(attacked, attack):
    record = attacked.students[attack]
    assert record["status"] == "graded", record
    assert _points(record)["test_sigmoid"] == 0, record["exercises"]
    if attack not in ("memory", "processes"):      # a limit may end the kernel: no claim
        assert _points(record)["test_weighted_sum"] == 1, record["exercises"]


def _exercise(attacked, attack, gid="test_sigmoid"):
    return {e["grade_id"]: e for e in attacked.students[attack]["exercises"]}[gid]


def _printed(attacked, name):
    nb = nbformat.read(attacked.out / "notebooks" / f"{name}.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.outputs)


def test_the_guard_sees_through_each_cheat(attacked):
    # patches made inside the graded call are seen by the guard, or their values are wrong
    for attack in ("patch_on_call", "patch_code"):
        reason = _exercise(attacked, attack)["reason"]
        assert "during the test" in reason or reason.startswith("wrong values"), (attack, reason)
    assert "OwnCodeRequired" in _exercise(attacked, "library")["reason"]
    # a forged outcome never counts: the real one arrives (the guard holds its own way out),
    # or none does
    reason = _exercise(attacked, "forge_outcome")["reason"]
    assert "CheckFailed" in reason or "did not reach the grader" in reason, reason
    # the guard's state, frames, the tests' source and copies of the library stay out of reach
    printed = {name: _printed(attacked, name)
               for name in ("reach_guard", "frame_peek", "copy_library", "patch_code")}
    assert "ATTEMPT WORKED" not in printed["reach_guard"]
    assert printed["reach_guard"].count("refused: Refused") == 6, printed["reach_guard"]
    assert "refused: RuntimeError" in printed["reach_guard"]            # the hook not added
    assert "FRAME REACHED" not in printed["frame_peek"], printed["frame_peek"]
    assert "TEST SOURCE FOUND" not in printed["frame_peek"]
    assert "keeping a generator frame refused: Refused" in printed["frame_peek"]
    assert "COPY MADE" not in printed["copy_library"], printed["copy_library"]
    assert "FRESH MODULE MADE" not in printed["copy_library"]
    assert "refused: Refused" in printed["patch_code"]
    assert printed["copy_library"].count("refused: Refused") == 5, printed["copy_library"]
    assert "OwnCodeRequired" in _exercise(attacked, "checks_path")["reason"]
    processes = _printed(attacked, "other_process")
    assert "WORKED" not in processes and processes.count("refused: ") == 3, processes
    assert "refused: ProcessRefused" in processes
    chains = _printed(attacked, "c_chains")
    assert "HEAP REACHED" not in chains and "ANSWER STASHED" not in chains, chains
    callbacks = _printed(attacked, "callbacks")
    assert "WORKED" not in callbacks and "MEMORY OPENED" not in callbacks, callbacks
    threads = _printed(attacked, "thread_library")
    assert "REACHED FROM A THREAD" not in threads and threads.count("refused: Refused") == 2, threads


def test_nothing_outside_the_sandbox_changed(attacked):
    assert attacked.after == attacked.before, "a student changed nnlab or site-packages"
    assert attacked.mark not in attacked.run.stdout + attacked.run.stderr
    assert attacked.mark not in (attacked.out / "grades.csv").read_text(encoding="utf-8")
    assert (attacked.submissions / "zz_honest.ipynb").read_bytes() == attacked.honest
    assert not list(Path(tempfile.gettempdir()).glob(f"*{attacked.mark}*"))
    left = subprocess.run(["pgrep", "-f", attacked.mark], capture_output=True, text=True)
    assert left.stdout == "", f"processes left behind: {left.stdout}"
    uids = subprocess.run(["ps", "-eo", "uid="], capture_output=True, text=True).stdout.split()
    assert not [u for u in uids if int(u) >= _sandbox.FIRST_UID], "sandboxed processes left"


def test_the_limits_hold(attacked):
    def printed(name):
        return _printed(attacked, name)
    assert "8 GB refused" in printed("memory")
    limit = printed("processes")
    assert "process limit reached after" in limit and "file size limit" in limit
    count = int(limit.split("process limit reached after")[1].split()[0])
    assert count < _sandbox.Limits.processes
    assert "no network" in printed("network") and "NETWORK REACHED" not in printed("network")
    planted = printed("plant_files")            # /tmp (where pytest's folders are) is private
    assert "wrote /tmp/grades-" in planted
    assert ".pth refused: [Errno 30] Read-only file system" in planted
    assert "_core.py refused" in planted
    assert "junk-" in planted and "wrote /tmp/nnlab-grade" not in planted   # sockets folder


def test_without_a_sandbox_the_grader_refuses_unless_told(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_sandbox, "available", lambda: (False, "no bubblewrap on this test"))
    code = grade.main([str(FIXTURES / "submissions" / "perfect.ipynb"), "--solution",
                       str(SOLUTION), "--out", str(tmp_path / "o")])
    assert code == 2 and "--no-sandbox" in capsys.readouterr().err
    code = grade.main([str(FIXTURES / "submissions" / "perfect.ipynb"), "--solution",
                       str(SOLUTION), "--out", str(tmp_path / "o"), "--no-sandbox"])
    out = capsys.readouterr().out
    assert code == 0 and "NONE (--no-sandbox)" in out and "6/6" in out


def test_shards_merge_into_one_grades_csv(tmp_path):
    folder = FIXTURES / "submissions"
    names = ("perfect", "blank", "exception", "empty")
    students = [str(folder / f"{n}.ipynb") for n in names]
    for i in (1, 2):
        assert grade.main([*students, "--solution", str(SOLUTION), "--out",
                           str(tmp_path / f"part{i}"), "--shard", f"{i}/2", "--jobs", "1",
                           *NO_SANDBOX]) == 0
    parts = [json.loads((tmp_path / f"part{i}" / "grades.json").read_text())["students"]
             for i in (1, 2)]
    assert sorted(s["student"] for p in parts for s in p) == sorted(names)
    assert all(parts)
    assert grade.main(["--merge", str(tmp_path / "part1"), str(tmp_path / "part2"),
                       "--out", str(tmp_path / "all")]) == 0
    with open(tmp_path / "all" / "grades.csv", encoding="utf-8", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert sorted(rows) == sorted(names)
    assert rows["perfect"]["total"] == "6" and rows["blank"]["total"] == "0"
    assert len(list((tmp_path / "all" / "notebooks").glob("*.ipynb"))) == 3
    assert grade.main(["--merge", str(tmp_path / "part1"), str(tmp_path / "part1"),
                       "--out", str(tmp_path / "twice")]) == 2


def test_compare_records_rejects_what_differs():
    ref = [{"call": "f", "value": {"array": [1.0, 2.0], "shape": [2]}},
           {"call": "g", "value": {"seq": [{"array": [3.0], "shape": []}, None]}},
           {"call": "h", "raised": "ValueError"}, {"call": "m", "value": {"object": "Model"}}]
    same = json.loads(json.dumps(ref))
    same[0]["value"]["array"] = [1.0 + 1e-9, 2.0]
    same[3]["value"] = {"object": "Sequential"}              # objects are not compared
    assert grade.compare_records(ref, same) is None
    wrong = [
        ([ref[0] | {"value": {"array": [1.0, 2.1], "shape": [2]}}] + ref[1:], "wrong value at index (1,)"),
        ([ref[0] | {"value": {"array": [1.0, 2.0], "shape": [2, 1]}}] + ref[1:], "shape (2, 1)"),
        ([ref[0] | {"value": {"array": [1.0, "nan"], "shape": [2]}}] + ref[1:], "wrong value"),
        (ref[:2] + [{"call": "h", "value": None}] + ref[3:], "should have raised ValueError"),
        (ref[:3], "called your functions 3 time(s)"),
        (ref + ref[:1], "1 more call"),
        ([{"call": "g", "value": None}] + ref[1:], "a different function"),
        ([ref[0], {"call": "g", "value": {"seq": [None, None]}}] + ref[2:], "item 0"),
        ([ref[0] | {"value": "1.0, 2.0"}] + ref[1:], "expected numbers"),
        ("not a list", "nothing was handed out"),
    ]
    for got, message in wrong:
        problem = grade.compare_records(ref, got)
        assert problem is not None and message in problem, (got, problem)


def test_a_grader_error_scores_that_student_zero_and_the_batch_goes_on(tmp_path, monkeypatch):
    real = grade.grade_notebook

    def flaky(nb, *args, **kwargs):
        if any("BREAK THE GRADER" in c.source for c in nb.cells):
            raise RuntimeError("the grader tripped")
        return real(nb, *args, **kwargs)

    monkeypatch.setattr(grade, "grade_notebook", flaky)
    breaker = nbformat.read(FIXTURES / "submissions" / "perfect.ipynb", as_version=4)
    breaker.cells.insert(0, nbformat.v4.new_markdown_cell("BREAK THE GRADER"))
    nbformat.write(breaker, tmp_path / "breaker.ipynb")
    report = grade.grade([str(tmp_path / "breaker.ipynb"), str(FIXTURES / "submissions" / "perfect.ipynb")],
                         SOLUTION, tmp_path / "out", cell_timeout=20, sandbox=False, jobs=2)
    students = {s["student"]: s for s in report["students"]}
    assert students["breaker"]["status"] == "error" and students["breaker"]["points"] == 0
    assert "RuntimeError: the grader tripped" in students["breaker"]["reason"]
    assert students["perfect"]["points"] == 6


def test_lesson_02_answered_with_nnlabs_own_functions_scores_zero(tmp_path):
    # issue 10: `from nnlab.activations import relu, elu, softmax` scored 7/7 on exercise 02
    nb = nbformat.read(ROOT / "exercises" / "02_activations.ipynb", as_version=4)
    answers = {
        "relu": "from nnlab.activations import relu, relu_derivative",
        "elu": "from nnlab.activations import elu as _elu, elu_derivative as _d\n"
               "def elu(z, alpha=1.0):\n    return _elu(z, alpha)\n"
               "def elu_derivative(z, alpha=1.0):\n    return _d(z, alpha)",
        "softmax": "import nnlab.ops\ndef softmax(z):\n    return np.asarray(nnlab.ops.softmax(z))",
    }
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in answers:
            cell.source = answers[gid]
    nbformat.write(nb, tmp_path / "cheat.ipynb")
    report = grade.grade([str(tmp_path / "cheat.ipynb")], ROOT / "solutions" / "02_activations.ipynb",
                         tmp_path / "out", cell_timeout=60, sandbox=SANDBOXED)
    exercises = report["students"][0]["exercises"]
    assert report["students"][0]["points"] == 0, exercises
    assert all("OwnCodeRequired" in e["reason"] for e in exercises), exercises


def test_reasons_and_names_cannot_drive_the_terminal_or_a_spreadsheet():
    assert grade._shorten("oops\x1b[1A\x1b[2K 6/6\x07") == "oops?[1A?[2K 6/6?"
    assert grade._names([Path("a/\x1b[31mred.ipynb")]) == ["?[31mred"]
    assert grade._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)" and grade._cell("ann") == "ann"


def test_the_solution_is_chosen_by_one_vote_per_submission(tmp_path):
    honest = ROOT / "exercises" / "01_neuron.ipynb"
    stuffed = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "x", metadata={"nbgrader": {"grade_id": gid}}) for gid in
        grade._ids(nbformat.read(ROOT / "solutions" / "12_pooling.ipynb", as_version=4))])
    nbformat.write(stuffed, tmp_path / "stuffed.ipynb")
    with pytest.raises(grade.UsageError, match="equally often"):
        grade._choose_solution(ROOT / "solutions",
                               grade._submission_ids([honest, tmp_path / "stuffed.ipynb"]))
    chosen = grade._choose_solution(
        ROOT / "solutions", grade._submission_ids([honest, honest, tmp_path / "stuffed.ipynb"]))
    assert chosen.path.name == "01_neuron.ipynb"


def test_a_large_array_with_the_right_values_in_the_wrong_places_fails():
    rng = np.random.default_rng(1)
    right = rng.normal(size=(500, 500))

    def summary(a):                 # as the kernel's RECORD code hands out a large array
        flat = a.ravel()
        weights = np.random.default_rng(0).standard_normal((4, flat.size))
        return {"summary": [list(a.shape)] + (weights @ flat).tolist()
                + [float(np.sum(abs(flat))), float(flat.min()), float(flat.max())]}

    ref = [{"call": "f", "value": summary(right)}]
    assert grade.compare_records(ref, [{"call": "f", "value": summary(right + 1e-9)}]) is None
    for wrong in (right[::-1].T.copy(), right.T.copy(), np.sort(right, axis=None).reshape(500, 500)):
        assert "wrong values" in grade.compare_records(ref, [{"call": "f", "value": summary(wrong)}])


@pytest.mark.skipif(os.geteuid() != 0 or not SANDBOXED, reason="user ids are leased as root only")
def test_two_kernels_never_share_a_user_id_and_cgroups_share_one_memory_limit():
    box = _sandbox.Sandbox(_sandbox.Limits(memory=768 * 2**20))
    first, second = box.lease(), box.lease()
    try:
        assert first.uid != second.uid and first.uid >= _sandbox.FIRST_UID
        if not first.cgroups:
            pytest.skip("no writable cgroup file system here")
        hog = ("import subprocess, sys; ps = [subprocess.Popen([sys.executable, '-c', "
               "'b = bytearray(400 * 2**20); b[::4096] = bytes(len(b[::4096])); "
               "import time; time.sleep(3)']) for _ in range(3)]; print([p.wait() for p in ps])")
        run = subprocess.run(box.argv([sys.executable, "-c", hog], lease=first),
                             capture_output=True, text=True, timeout=120)
        codes = json.loads(run.stdout.strip())
        assert -9 in codes, codes          # 3 x 400 MiB do not fit in one 768 MiB limit
    finally:
        first.release()
        second.release()
