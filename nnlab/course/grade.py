"""Grade students' notebooks against a solutions notebook.

    nnlab-grade submissions/ --solution solutions/01_neuron.ipynb
    nnlab-grade alice.ipynb bob.ipynb --solution solutions/01_neuron.ipynb \\
        --out grading-output --cell-timeout 30 --timeout 300

SUBMISSION paths are notebooks or folders of notebooks. For each student notebook:

1. **Read leniently.** Invalid JSON, an empty file, no list of cells or an nbformat other
   than 4 (3 is converted) give the student 0 points with the reason; the batch goes on.
2. **Assemble.** The student's cells are kept in the student's order, except the graded
   test cells: each is replaced by the SOLUTION notebook's cell with the same nbgrader
   `grade_id` (so a student cannot weaken a test, and the hidden tests are injected).
   A test cell the student deleted is put back after the cell that precedes it in the
   solution (usually the exercise's solution cell, matched by grade_id), or at the end.
   Student cells that claim a graded test's metadata but match no test (or repeat one)
   are dropped.
3. **Execute** in a fresh `python3` kernel (nbclient) in an empty temporary folder, cell
   by cell, continuing after errors, with a time limit per cell (`--cell-timeout`) and
   per student (`--timeout`). A graded test cell earns its points iff it runs without error.
4. **Before each graded test cell** the grader silently resets what student code could
   have tampered with: `nnlab.checks` is imported afresh (redefining or monkeypatching
   `check_sigmoid`, `expect_close`, ... does not help); the attributes of builtins, math,
   warnings, numpy and numpy.testing, sys.stdout/stderr/displayhook/excepthook, the
   recursion limit, warning filters, numpy's error state and the working folder are
   restored from a snapshot taken before any student code ran; IPython input/AST
   transformers, event callbacks and custom exception handlers added by the student are
   removed; and the import statements of the solution notebook's own (non-solution) code
   cells are re-run, so `np`, `nnlab`, ... name the real modules.
   Test cells should therefore import what they use (`from nnlab.checks import ...`);
   hidden tests must never call helper functions defined in other cells (a student can
   redefine those) and should compare with independent values (numbers worked out by
   hand, `math`) rather than with nnlab's own classes, which a student could monkeypatch.
5. **Timeouts and dead kernels.** When a cell exceeds its time limit, or the kernel dies
   (`os._exit`, `os.kill(os.getpid(), 9)`, `exit()`, a segfault), the grader starts a
   fresh kernel and silently re-runs the student's earlier cells that had run without
   error (not the test cells, not the offending cell), then goes on with the next cell.
   If a re-run fails too, the remaining tests are "not run" with that reason. A test
   cell that timed out or killed the kernel scores 0 ("timed out" / "kernel died").

Outputs in `--out` (default grading-output/): `grades.json` (per student and exercise:
grade_id, points, max_points, status, reason; totals), `grades.csv` (one row per student,
a column per exercise and the total) and `notebooks/<student>.ipynb`, the executed
notebooks with outputs truncated (they contain the hidden tests: for teachers only; the
reasons in grades.json may quote a hidden test's inputs, so do not hand them out as is).
A summary is printed. Exit code 0 when grading finished (even with zero scores), 2 for
usage errors (no solution notebook, no graded tests, no submissions, or submissions that
share no exercise with the solution: the wrong answer key). `--solution` may be a folder
(`solutions/`): the notebook whose exercises (grade_ids) the submissions share is used.

Security. The grader executes untrusted code. It never imports student code into its own
process: student code only runs in the separate kernel process. But that kernel runs
with the grader's user rights, files and network, so for a real class run the grader in
a sandbox or throw-away container (no secrets, no network, limited CPU/memory/disk).
The in-kernel resets above stop the easy tricks; a determined student who patches the
kernel itself (ipykernel, sys.modules, the snapshot) can fool any in-kernel grader,
nbgrader included — review suspicious submissions (the executed notebooks help).
"""
import argparse
import ast
import copy
import csv
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nnlab.course._kernel import NOTE, RESET, Kernel, KernelExited
from nnlab.course._notebook import grade_id, is_test_cell, nbgrader, write

MAX_REASON = 300               # characters of an error kept as a reason
GRADER_KEY = "nnlab_grade"     # cell metadata key marking test cells in the assembled notebook


class UsageError(Exception):
    """A problem with the grader's arguments (exit code 2)."""


# --- reading ---------------------------------------------------------------------------

def read_submission(path):
    """Return (notebook, None) or (None, reason) — never raises for a bad file."""
    try:
        text = Path(path).read_bytes().decode("utf-8", errors="replace")
    except OSError as error:
        return None, f"cannot read the file: {error.strerror or error}"
    if not text.strip():
        return None, "empty file"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        where = f" (line {error.lineno}, column {error.colno})" if hasattr(error, "lineno") else ""
        return None, f"not a notebook: the file is not valid JSON{where}"
    if not isinstance(data, dict):
        return None, "not a notebook: the JSON is not an object"
    version = data.get("nbformat")
    if version == 3:
        try:
            data = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
        except Exception as error:       # noqa: BLE001 - any conversion failure is a reason
            return None, f"not a notebook: nbformat 3 that cannot be converted ({error})"
    elif version != 4:
        return None, f"unsupported notebook format: nbformat {version!r} (expected 4)"
    cells = data.get("cells")
    if not isinstance(cells, list):
        return None, "not a notebook: it has no list of cells"
    nb = new_notebook(metadata=data.get("metadata") if isinstance(data.get("metadata"), dict)
                      else {})
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        source = _no_surrogates(source)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        if cell.get("cell_type") == "code":
            nb.cells.append(new_code_cell(source, metadata=copy.deepcopy(metadata)))
        elif cell.get("cell_type") == "markdown":
            nb.cells.append(new_markdown_cell(source, metadata=copy.deepcopy(metadata)))
    return nb, None


def _no_surrogates(text):
    """`text` with lone surrogates (valid in JSON escapes, not in UTF-8) replaced by U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _ids(nb):
    """The grade_ids a notebook's cells carry (strings only)."""
    return {gid for gid in map(grade_id, nb.cells) if gid}


class Solution:
    """The graded tests of a solutions notebook, and what the reset re-imports."""

    def __init__(self, path):
        self.path = Path(path)
        try:
            self.nb = nbformat.read(self.path, as_version=4)
        except Exception as error:       # noqa: BLE001
            raise UsageError(f"cannot read the solution notebook {path}: {error}") from None
        self.tests = {}
        for cell in self.nb.cells:
            if is_test_cell(cell):
                gid = grade_id(cell)
                if gid in self.tests:
                    raise UsageError(f"{path}: two graded test cells have grade_id {gid!r}")
                points = nbgrader(cell).get("points")
                if not isinstance(points, (int, float)) or points < 0:
                    raise UsageError(f"{path}: graded test cell {gid!r} has no valid "
                                     f"'points' in its nbgrader metadata (got {points!r})")
                self.tests[gid] = cell
        if not self.tests:
            raise UsageError(f"{path}: no graded test cells (nbgrader metadata "
                             "grade: true, solution: false, with a grade_id)")
        self.max_points = sum(self.points(gid) for gid in self.tests)
        self.imports = _imports(c.source for c in self.nb.cells if c.cell_type == "code"
                                and not nbgrader(c).get("solution") and not is_test_cell(c))
        self.ids = _ids(self.nb)

    def points(self, gid):
        return nbgrader(self.tests[gid])["points"]

    def assemble(self, student):
        """The cells to run for `student`: student cells in order, tests from the solution."""
        cells, seen = [], set()
        for cell in student.cells:
            gid = grade_id(cell)
            if gid in self.tests or is_test_cell(cell):
                if gid in self.tests and gid not in seen:
                    cells.append(self._test_cell(gid))
                    seen.add(gid)
                continue
            cells.append(copy.deepcopy(cell))
        solution_cells = self.nb.cells
        for index, cell in enumerate(solution_cells):
            gid = grade_id(cell)
            if gid not in self.tests or gid in seen:
                continue
            position = len(cells)
            for earlier in reversed(solution_cells[:index]):
                anchor = grade_id(earlier)
                found = [i for i, c in enumerate(cells) if anchor and grade_id(c) == anchor]
                if found:
                    position = found[0] + 1
                    while position < len(cells) and GRADER_KEY in cells[position].metadata:
                        position += 1
                    break
            cells.insert(position, self._test_cell(gid))
            seen.add(gid)
        return cells

    def _test_cell(self, gid):
        cell = copy.deepcopy(self.tests[gid])
        cell.outputs, cell.execution_count = [], None
        cell.metadata[GRADER_KEY] = {"grade_id": gid}
        return cell


def _imports(sources):
    """The top-level import statements of the given cell sources, as one code string."""
    from IPython.core.inputtransformer2 import TransformerManager
    transform = TransformerManager().transform_cell
    lines = []
    for source in sources:
        try:
            tree = ast.parse(transform(source))
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body
                  if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines))


# --- running ---------------------------------------------------------------------------

def _shorten(text, limit=MAX_REASON):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def grade_notebook(nb, solution, cell_timeout=30, timeout=300, kernel_name="python3"):
    """Run the assembled notebook for one student; return (results by grade_id, notes, nb)."""
    cells = solution.assemble(nb)
    run_nb = new_notebook(cells=cells, metadata=copy.deepcopy(solution.nb.metadata))
    results = {gid: {"grade_id": gid, "points": 0, "max_points": solution.points(gid),
                     "status": "not run", "reason": ""} for gid in solution.tests}
    notes = []
    deadline = time.monotonic() + timeout
    workdir = Path(tempfile.mkdtemp(prefix="nnlab-grade-"))
    kernel = Kernel(workdir, kernel_name)
    done = []                      # student cells that ran without error (replayed on restart)
    count = 0

    def remaining():
        return deadline - time.monotonic()

    def restart(why):
        """A fresh kernel with the earlier good student cells re-run; a reason if that fails."""
        notes.append(why)
        try:
            kernel.start(min(60, max(1, remaining())))
            for cell in done:
                try:
                    kernel.run(copy.deepcopy(cell), min(cell_timeout, max(1, remaining())))
                except CellExecutionError:
                    pass                 # ran before, fails now (randomness, files): go on
        except Exception as error:       # noqa: BLE001
            return (f"not run: the kernel could not be restored after {why} "
                    f"({type(error).__name__})")
        return None

    stop_reason = None
    try:
        try:
            kernel.start(min(60, max(1, remaining())))
        except Exception as error:       # noqa: BLE001
            stop_reason = f"not run: the kernel did not start ({_shorten(error, 120)})"
        for cell in cells:
            if cell.cell_type != "code" or stop_reason:
                continue
            gid = cell.metadata.get(GRADER_KEY, {}).get("grade_id")
            left = remaining()
            if left <= 0:
                stop_reason = ("not run: the time limit for the whole notebook "
                               f"({timeout:g} s) was reached")
                break
            limit = min(cell_timeout, left)
            limited_by = "cell" if limit == cell_timeout else "notebook"
            if gid:
                try:
                    kernel.silent(RESET + "\n" + solution.imports, min(30, left))
                except Exception:        # noqa: BLE001 - the test itself will tell
                    pass
            count += 1
            status, reason = "passed", ""
            try:
                kernel.run(cell, limit, count)
            except CellExecutionError as error:
                status, reason = "failed", _shorten(f"{error.ename}: {error.evalue}".rstrip(": "))
            except CellTimeoutError:
                what = (f"the time limit per cell ({cell_timeout:g} s)" if limited_by == "cell"
                        else f"the time limit for the whole notebook ({timeout:g} s)")
                status, reason = "timed out", f"timed out: exceeded {what}"
                cell.outputs.append(new_output("stream", name="stderr",
                                               text=f"[nnlab-grade] {reason}\n"))
                stop_reason = restart(f"a timeout in cell {count}")
            except (DeadKernelError, KernelExited) as error:
                exited = isinstance(error, KernelExited)
                status, reason = "kernel died", (
                    "the kernel exited: this cell called exit() or quit()" if exited else
                    "the kernel died while running this cell (os._exit, a kill or a crash)")
                cell.outputs.append(new_output("stream", name="stderr",
                                               text=f"[nnlab-grade] {reason}\n"))
                stop_reason = restart(f"the kernel {'exited' if exited else 'died'} in cell {count}")
            except Exception as error:   # noqa: BLE001 - an nbclient/kernel problem
                status, reason = "error", _shorten(f"grader error: {type(error).__name__}: {error}")
                stop_reason = restart(f"a grader error in cell {count}")
            if gid:
                result = results[gid]
                result["status"], result["reason"] = status, reason
                if status == "passed":
                    result["points"] = result["max_points"]
            elif status == "passed":
                done.append(cell)
    finally:
        kernel.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    for result in results.values():
        if result["status"] == "not run" and not result["reason"]:
            result["reason"] = stop_reason or "not run"
    for cell in run_nb.cells:
        for output in cell.get("outputs", []):
            if output.get("name") == NOTE:
                output["name"] = "stderr"
    return results, notes, run_nb


def grade(submissions, solution, out="grading-output", cell_timeout=30, timeout=300,
          kernel_name="python3", stream=None):
    """Grade every submission; write grades.json, grades.csv, notebooks/; return the report."""
    stream = stream or sys.stdout
    paths = _submission_paths(submissions, Path(solution.path if isinstance(solution, Solution)
                                                 else solution))
    if not paths:
        raise UsageError("no submissions found (give notebooks or folders of notebooks)")
    if not isinstance(solution, Solution):
        solution = _choose_solution(solution, paths) if Path(solution).is_dir() else Solution(solution)
    _check_key(solution, paths)
    names = _names(paths)
    out = Path(out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    print(f"nnlab-grade: {len(paths)} submission(s) against {solution.path} "
          f"({len(solution.tests)} graded tests, {solution.max_points:g} points)", file=stream)
    students = []
    for path, name in zip(paths, names):
        nb, problem = read_submission(path)
        record = {"student": name, "path": str(path), "points": 0,
                  "max_points": solution.max_points, "status": "graded", "reason": "",
                  "notes": [], "exercises": []}
        if problem:
            record["status"], record["reason"] = "invalid", problem
            record["exercises"] = [
                {"grade_id": gid, "points": 0, "max_points": solution.points(gid),
                 "status": "not graded", "reason": problem} for gid in solution.tests]
        else:
            results, notes, executed = grade_notebook(nb, solution, cell_timeout, timeout,
                                                      kernel_name)
            record["exercises"] = list(results.values())
            record["points"] = sum(r["points"] for r in results.values())
            record["notes"] = notes
            write(executed, out / "notebooks" / f"{name.replace('/', '__')}.ipynb")
        students.append(record)
        _print_student(record, stream)
    report = {"solution": str(solution.path), "max_points": solution.max_points,
              "exercises": [{"grade_id": gid, "max_points": solution.points(gid)}
                            for gid in solution.tests],
              "students": students}
    with open(out / "grades.json", "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(out / "grades.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *solution.tests, "total", "max_points", "status"])
        for s in students:
            points = {e["grade_id"]: e["points"] for e in s["exercises"]}
            writer.writerow([s["student"], *(_num(points[g]) for g in solution.tests),
                             _num(s["points"]), _num(s["max_points"]),
                             s["status"] if not s["reason"] else f"{s['status']}: {s['reason']}"])
    graded = [s for s in students if s["status"] == "graded"]
    mean = sum(s["points"] for s in students) / len(students)
    print(f"{len(graded)} graded, {len(students) - len(graded)} unreadable; mean "
          f"{mean:.2f}/{_num(solution.max_points)}; full marks: "
          f"{sum(s['points'] == s['max_points'] for s in students)}", file=stream)
    print(f"wrote {out / 'grades.json'}, {out / 'grades.csv'} and {out / 'notebooks'}/",
          file=stream)
    return report


def _num(x):
    return f"{x:g}"


def _print_student(record, stream):
    print(f"{record['student']:<24} {_num(record['points']):>5}/{_num(record['max_points'])}"
          + (f"   {record['status']}: {record['reason']}" if record["reason"] else ""),
          file=stream)
    if record["status"] != "graded":
        return
    for e in record["exercises"]:
        mark = "ok " if e["status"] == "passed" else "-- "
        line = f"    {mark}{e['grade_id']:<28} {_num(e['points'])}/{_num(e['max_points'])}"
        if e["status"] != "passed":
            reason = e["reason"]
            line += f"  {reason}" if reason.startswith(e["status"]) else \
                f"  {e['status']}" + (f": {reason}" if reason else "")
        print(line, file=stream)
    for note in record["notes"]:
        print(f"    note: kernel restarted after {note}", file=stream)


def _submission_ids(paths):
    """The grade_ids of every readable submission (unreadable ones are graded 0 later)."""
    found = []
    for path in paths:
        nb, problem = read_submission(path)
        if not problem:
            found.append(_ids(nb))
    return found


def _choose_solution(folder, paths):
    """The solutions notebook in `folder` whose grade_ids the submissions share most."""
    candidates = sorted(Path(folder).glob("*.ipynb"))
    if not candidates:
        raise UsageError(f"--solution {folder} is a folder without notebooks")
    submitted = _submission_ids(paths)
    best, best_score = None, 0
    for candidate in candidates:
        try:
            solution = Solution(candidate)
        except UsageError:
            continue                               # not a solutions notebook
        score = sum(len(ids & solution.ids) for ids in submitted)
        if score > best_score:
            best, best_score = solution, score
    if best is None:
        raise UsageError(f"none of the solutions notebooks in {folder} has the exercises of "
                         "these submissions (no grade_id in common): are they the right files?")
    return best


def _check_key(solution, paths):
    """Stop when no submission has any exercise of the solution: the wrong answer key."""
    submitted = [ids for ids in _submission_ids(paths) if ids]
    if submitted and not any(ids & solution.ids for ids in submitted):
        theirs = sorted(set().union(*submitted))
        raise UsageError(
            f"the submissions do not match the solution {solution.path}: their exercises "
            f"({', '.join(theirs[:6])}{', ...' if len(theirs) > 6 else ''}) are not among its "
            f"({', '.join(sorted(solution.tests)[:6])}{', ...' if len(solution.tests) > 6 else ''}). "
            "Give the matching solutions notebook, or the solutions/ folder to pick it.")


def _submission_paths(submissions, solution_path):
    paths = []
    for item in map(Path, submissions):
        if item.is_dir():
            found = sorted(p for p in item.rglob("*.ipynb")
                           if ".ipynb_checkpoints" not in p.parts)
        elif item.exists():
            found = [item]
        else:
            raise UsageError(f"no such file or folder: {item}")
        key = solution_path.resolve()          # the solution notebook, or the solutions folder
        paths += [p for p in found if p.resolve() != key and key not in p.resolve().parents]
    return list(dict.fromkeys(paths))


def _names(paths):
    stems = [p.stem for p in paths]
    return [p.stem if stems.count(p.stem) == 1 else f"{p.parent.name}/{p.stem}" for p in paths]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="nnlab-grade",
        description="Grade students' notebooks against a solutions notebook "
                    "(runs untrusted code: use a sandbox for real classes).")
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                        help="student notebooks or folders of notebooks")
    parser.add_argument("--solution", required=True,
                        help="the solutions notebook, e.g. solutions/01_neuron.ipynb, or a folder "
                             "of them (solutions/): the one matching the submissions is used")
    parser.add_argument("--out", default="grading-output",
                        help="folder for grades.json, grades.csv, notebooks/ (default: %(default)s)")
    parser.add_argument("--cell-timeout", type=float, default=30,
                        help="seconds per cell (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds per student notebook (default: %(default)s)")
    parser.add_argument("--kernel", default="python3", help="kernel name (default: python3)")
    args = parser.parse_args(argv)
    if args.cell_timeout <= 0 or args.timeout <= 0:
        parser.error("--cell-timeout and --timeout must be positive")
    try:
        grade(args.submissions, args.solution, args.out, args.cell_timeout, args.timeout,
              args.kernel)
    except UsageError as error:
        print(f"nnlab-grade: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
