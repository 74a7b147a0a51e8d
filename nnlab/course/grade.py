"""Grade students' notebooks against a solutions notebook.

    nnlab-grade submissions/ --solution solutions/            # picks the matching notebook
    nnlab-grade alice.ipynb bob.ipynb --solution solutions/01_neuron.ipynb \\
        --out grading-output --jobs 2 --cell-timeout 30 --timeout 300
    nnlab-grade submissions/ --solution solutions/ --shard 3/10 --out part3   # a job array
    nnlab-grade --merge part1 part2 ... part10 --out grading-output

SUBMISSION paths are notebooks or folders of notebooks. What happens:

1. **The answer key.** `--solution` is a solutions notebook, or a folder of them from
   which the one whose exercises (grade_ids) the submissions share is picked. Only the
   solution defines tests, ids and points. It is first run itself, like a submission
   (the *reference run*): every test must pass (else exit 2), and what its graded
   functions return during each test is kept as the expected values.
2. **Read leniently, trust nothing.** Invalid JSON, an empty file, no list of cells or an
   nbformat other than 4 (3 is converted) give the student 0 with the reason. Of a
   submission only the cells' type and source are used, and a string grade_id to match
   exercise cells; all other metadata (a list or dict as grade_id, the grader's own
   markers, nbgrader flags claiming a test) is dropped, and lone surrogates are replaced.
3. **Assemble.** The student's cells in the student's order, each graded test cell
   replaced by the solution's cell with the same grade_id (hidden tests included); a
   deleted test is put back after the cell that precedes it in the solution, or at the end.
4. **Execute** each student in a fresh kernel inside a sandbox (see below), cell by cell,
   continuing after errors, with limits per cell (`--cell-timeout`) and per student
   (`--timeout`). Before any student code, the kernel installs the guard
   (nnlab/course/_guard.py: an audit hook holding the tests and a fresh secret key).
   Each graded test cell is run by the guard on the grader's signed command: it restores
   numpy, builtins, nnlab and their classes, runs the test in a copy of the namespace with
   each graded function (a function the solution's exercise cells define) wrapped so that
   what it returns is kept as plain JSON data (numbers, arrays, strings, lists, dicts;
   never objects or pickles), refuses the library functions the test cell's
   `metadata.nnlab.refuse` lists to the student's code, and publishes the outcome signed
   with the key. Outcomes that do not verify count as lost (0 points).
5. **Score outside the kernel.** A test earns its points iff the guard's signed outcome
   says it passed *and*, in the grader's own process, the values handed out equal the
   reference run's for the same calls (same calls in the same order, same shapes, numbers
   within rtol 1e-5 / atol 1e-8; a solution test cell may set
   `metadata.nnlab.compare: false` where several answers are right, e.g. a split that is
   random). So patching `numpy.allclose`, `abs`, the checks, IPython or the kernel does
   not help: the numbers must be right.
6. **Timeouts and dead kernels.** A cell over its time limit, or a kernel that dies
   (`os._exit`, a kill, `exit()`, a crash, the memory limit), is restarted: the student's
   earlier good cells are re-run silently and grading goes on; that cell scores 0.
7. **One student cannot stop the batch.** Each student is graded inside its own
   try/except (an error gives that student 0 with the reason); `grades.json` and
   `grades.csv` are rewritten after every student, and the summary is printed from them.

The sandbox (Linux, `bubblewrap`; see nnlab/course/_sandbox.py and the README): the
student's kernel sees the system and Python read-only, a private /tmp, no network, no
other process, not the submissions, solutions or output; it has limits on memory,
processes, file size and CPU time; everything it started is killed when it ends.
Without bubblewrap the grader refuses to run unless `--no-sandbox` is given, and then
says in its summary that student code ran with your rights.

Outputs in `--out` (default grading-output/): `grades.json` (per student and exercise:
grade_id, points, max_points, status, reason; totals), `grades.csv` (a row per student,
a column per exercise, total) and `notebooks/<student>.ipynb` (executed, outputs
truncated; they contain the hidden tests: for teachers only). Exit code 0 when grading
finished (even with zero scores), 2 for usage errors (no or failing solution notebook,
no submissions, the wrong answer key, no sandbox without `--no-sandbox`).
"""
import argparse
import ast
import concurrent.futures
import copy
import csv
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import numpy as np
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from nnlab.course import _sandbox
from nnlab.course._kernel import NOTE, Kernel, KernelExited
from nnlab.course._notebook import grade_id, is_test_cell, nbgrader, write

MAX_REASON = 300               # characters of an error kept as a reason
RTOL, ATOL = 1e-5, 1e-8        # how close a handed-out number must be to the reference's


class UsageError(Exception):
    """A problem with the grader's arguments (exit code 2)."""


# --- reading ---------------------------------------------------------------------------

def read_submission(path):
    """Return (notebook, None) or (None, reason) — never raises for a bad file.

    Only each cell's type, source and (if a string) nbgrader grade_id and flags are kept:
    nothing else a student wrote into metadata reaches the grader."""
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
    nb = new_notebook()
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        source = _no_surrogates(source)
        metadata = _trusted_metadata(cell)
        if cell.get("cell_type") == "code":
            nb.cells.append(new_code_cell(source, metadata=metadata))
        elif cell.get("cell_type") == "markdown":
            nb.cells.append(new_markdown_cell(source, metadata=metadata))
    return nb, None


def _trusted_metadata(cell):
    """The part of a submitted cell's metadata the grader looks at: a string grade_id
    (without lone surrogates) and boolean nbgrader flags. Everything else is dropped."""
    meta = nbgrader(cell)
    kept = {}
    gid = meta.get("grade_id")
    if isinstance(gid, str) and gid:
        kept["grade_id"] = _no_surrogates(gid)
    for flag in ("grade", "solution"):
        if isinstance(meta.get(flag), bool):
            kept[flag] = meta[flag]
    return {"nbgrader": kept} if kept else {}


def _no_surrogates(text):
    """`text` with lone surrogates (valid in JSON escapes, not in UTF-8) replaced by U+FFFD."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _ids(nb):
    """The grade_ids a notebook's cells carry (strings only)."""
    return {gid for gid in map(grade_id, nb.cells) if gid}


class Solution:
    """The graded tests of a solutions notebook, what they check and the imports the tests run with."""

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
        code = [c for c in self.nb.cells if c.cell_type == "code"]
        self.imports = _imports(c.source for c in code
                                if not nbgrader(c).get("solution") and not is_test_cell(c))
        answers = [c.source for c in code if nbgrader(c).get("solution")]
        self.graded_names = _definitions(answers, (ast.FunctionDef, ast.AsyncFunctionDef))
        self.graded_classes = _definitions(answers, (ast.ClassDef,))
        self.ids = _ids(self.nb)
        self.reference = None        # grade_id -> the values the solution hands out

    def points(self, gid):
        return nbgrader(self.tests[gid])["points"]

    def guard(self):
        """What the kernel's guard needs (nnlab/course/_guard.py): the tests, what each
        refuses, the graded names and the imports of the solution's other cells."""
        refuse = {gid: self.option(gid, "refuse", []) for gid in self.tests}
        return {"tests": {gid: cell.source for gid, cell in self.tests.items()},
                "refuse": {gid: [p for p in paths if isinstance(p, str)]
                           for gid, paths in refuse.items() if isinstance(paths, list)},
                "names": self.graded_names, "classes": self.graded_classes,
                "imports": self.imports}

    def option(self, gid, name, default):
        """A test cell's `metadata.nnlab.<name>` (compare, refuse), else `default`."""
        options = self.tests[gid].metadata.get("nnlab", {})
        return options.get(name, default) if isinstance(options, dict) else default

    def assemble(self, student):
        """The cells to run for `student`, as (cell, grade_id of a test or None) pairs:
        student cells in order, tests from the solution."""
        cells, seen = [], set()
        for cell in student.cells:
            gid = grade_id(cell)
            claims_test = nbgrader(cell).get("grade") is True and not nbgrader(cell).get("solution")
            if gid in self.tests or claims_test:
                if gid in self.tests and gid not in seen:
                    cells.append((self._test_cell(gid), gid))
                    seen.add(gid)
                continue
            cells.append((copy.deepcopy(cell), None))
        solution_cells = self.nb.cells
        for index, cell in enumerate(solution_cells):
            gid = grade_id(cell)
            if gid not in self.tests or gid in seen:
                continue
            position = len(cells)
            for earlier in reversed(solution_cells[:index]):
                anchor = grade_id(earlier)
                found = [i for i, (c, _) in enumerate(cells) if anchor and grade_id(c) == anchor]
                if found:
                    position = found[0] + 1
                    while position < len(cells) and cells[position][1] is not None:
                        position += 1
                    break
            cells.insert(position, (self._test_cell(gid), gid))
            seen.add(gid)
        return cells

    def _test_cell(self, gid):
        cell = copy.deepcopy(self.tests[gid])
        cell.outputs, cell.execution_count = [], None
        return cell


def _python_trees(sources):
    from IPython.core.inputtransformer2 import TransformerManager
    transform = TransformerManager().transform_cell
    for source in sources:
        try:
            yield ast.parse(transform(source))
        except SyntaxError:
            continue


def _imports(sources):
    """The top-level import statements of the given cell sources, as one code string."""
    lines = [ast.unparse(node) for tree in _python_trees(sources) for node in tree.body
             if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines))


def _definitions(sources, kinds):
    """The names of the functions (or classes) defined at the top level of the given cell sources."""
    return sorted({node.name for tree in _python_trees(sources) for node in tree.body
                   if isinstance(node, kinds)})


# --- running ---------------------------------------------------------------------------

def _printable(text):
    """`text` with control characters (terminal escapes, bell, ...) shown as '?'."""
    return "".join(c if c.isprintable() or c == " " else "?" for c in str(text))


def _shorten(text, limit=MAX_REASON):
    text = _printable(" ".join(str(text).split()))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _cell(text):
    """A CSV cell a spreadsheet will not run as a formula (=, +, -, @ at the start)."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def grade_notebook(nb, solution, cell_timeout=30, timeout=300, kernel_name="python3",
                   sandbox=None):
    """Run the assembled notebook for one student.

    Returns (results by grade_id, notes, executed notebook, handed-out values by grade_id).
    A result's status is the kernel's ("passed", "failed", "timed out", ...); comparing the
    handed-out values with the reference is `score`'s job."""
    cells = solution.assemble(nb)
    run_nb = new_notebook(cells=[cell for cell, _ in cells],
                          metadata=copy.deepcopy(solution.nb.metadata))
    results = {gid: {"grade_id": gid, "points": 0, "max_points": solution.points(gid),
                     "status": "not run", "reason": ""} for gid in solution.tests}
    records = {}
    notes = []
    deadline = time.monotonic() + timeout
    workdir = Path(tempfile.mkdtemp(prefix="nnlab-grade-"))
    kernel = Kernel(workdir, kernel_name, sandbox, solution.guard())
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
        for cell, gid in cells:
            if cell.cell_type != "code" or stop_reason:
                continue
            left = remaining()
            if left <= 0:
                stop_reason = ("not run: the time limit for the whole notebook "
                               f"({timeout:g} s) was reached")
                break
            limit = min(cell_timeout, left)
            limited_by = "cell" if limit == cell_timeout else "notebook"
            count += 1
            status, reason = "passed", ""
            try:
                if gid:
                    outcome = kernel.test(cell, gid, limit, count)
                    if outcome is None:
                        status, reason = "failed", ("the test's outcome did not reach the grader "
                                                    "(the notebook interfered with the kernel)")
                    else:
                        status, reason = outcome["status"], _shorten(outcome["reason"])
                        records[gid] = outcome["records"]
                else:
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
                    "the kernel died while running this cell (os._exit, a kill, a crash or "
                    "a sandbox limit)")
                cell.outputs.append(new_output("stream", name="stderr",
                                               text=f"[nnlab-grade] {reason}\n"))
                stop_reason = restart(f"the kernel {'exited' if exited else 'died'} in cell {count}")
            except Exception as error:   # noqa: BLE001 - an nbclient/kernel problem
                status, reason = "error", _shorten(f"grader error: {type(error).__name__}: {error}")
                stop_reason = restart(f"a grader error in cell {count}")
            if gid:
                results[gid]["status"], results[gid]["reason"] = status, reason
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
    return results, notes, run_nb, records


def score(results, records, solution):
    """Points per test: passed in the kernel and, unless the test opts out, the same values
    handed out as in the reference run (compared here, in the grader's process)."""
    for gid, result in results.items():
        if result["status"] != "passed":
            continue
        if solution.option(gid, "compare", True) is not False:
            problem = compare_records(solution.reference[gid], records.get(gid, []))
            if problem:
                result["status"] = "failed"
                result["reason"] = _shorten(f"wrong values: {problem}")
                continue
        result["points"] = result["max_points"]
    return results


def compare_records(expected, got):
    """None if the handed-out values `got` match the reference run's, else what differs.

    Each record is {"call": name, "value": plain} or {"call": name, "raised": error type};
    plain data is None, bool, str, {"array": [...], "shape": [...]}, {"seq": [...]},
    {"dict": {...}}, {"summary": [...]} or {"object": type name} (not compared)."""
    if not isinstance(got, list):
        return "nothing was handed out"
    for number, want in enumerate(expected, start=1):
        if number > len(got):
            return (f"the test called your functions {len(got)} time(s) where it should "
                    f"have called them {len(expected)} times")
        have = got[number - 1]
        where = f"call {number} ({want['call']})"
        if not isinstance(have, dict) or have.get("call") != want["call"]:
            return f"{where}: a different function was called"
        if "raised" in want or "raised" in have:
            if want.get("raised") != have.get("raised"):
                return (f"{where}: raised {have['raised']}" if "raised" in have
                        else f"{where}: should have raised {want['raised']}")
            continue
        problem = _compare_value(want.get("value"), have.get("value"))
        if problem:
            return f"{where}: {problem}"
    if len(got) > len(expected):
        return f"{len(got) - len(expected)} more call(s) than the test makes"
    return None


def _as_array(value):
    """A float array for a number, an array or a list of numbers; None for anything else."""
    if isinstance(value, dict) and "array" in value:
        try:
            data = np.array([float(v) for v in value["array"]], dtype=float)
            return data.reshape([int(n) for n in value["shape"]])
        except (TypeError, ValueError):
            return None
    if isinstance(value, dict) and "seq" in value:
        items = [_as_array(v) for v in value["seq"]]
        if items and all(i is not None and i.ndim == 0 for i in items):
            return np.array([float(i) for i in items])
        if items and all(i is not None for i in items) and len({i.shape for i in items}) == 1:
            return np.stack(items)
    return None


def _compare_value(want, have):
    if isinstance(want, dict) and "object" in want:
        return None                       # an object (a model, a layer): not compared
    if isinstance(want, dict) and "summary" in want:
        if not (isinstance(have, dict) and isinstance(have.get("summary"), list)
                and have["summary"][:1] == want["summary"][:1]):
            return "not the expected (large) array"
        try:
            got, ref = (np.array(v["summary"][1:], dtype=float) for v in (have, want))
        except (TypeError, ValueError):
            return "not the expected (large) array"
        # four random projections (they see positions), the sum of |x|, the min and the max;
        # a projection's size is set by the sum of |x|, not by its own value
        ok = (got.shape == ref.shape and np.allclose(got[4:], ref[4:], rtol=RTOL, atol=ATOL)
              and np.allclose(got[:4], ref[:4], rtol=0, atol=RTOL * (abs(ref[4]) + 1)))
        return None if ok else "a large array with the wrong values"
    a, b = _as_array(want), _as_array(have)
    if a is not None:
        if b is None:
            return f"expected numbers of shape {a.shape}, got {_kind(have)}"
        if a.shape != b.shape and not (a.size == b.size == 1):
            return f"shape {b.shape}, expected {a.shape}"
        if not np.allclose(b.reshape(a.shape), a, rtol=RTOL, atol=ATOL, equal_nan=True):
            bad = np.argwhere(~np.isclose(b.reshape(a.shape), a, rtol=RTOL, atol=ATOL,
                                          equal_nan=True))[0]
            return f"wrong value at index {tuple(int(i) for i in bad)}" if a.ndim else "wrong value"
        return None
    for kind in ("seq", "dict"):
        if not (isinstance(want, dict) and kind in want):
            continue
        if not (isinstance(have, dict) and isinstance(have.get(kind), type(want[kind]))):
            return f"expected {_kind(want)}, got {_kind(have)}"
        w, h = want[kind], have[kind]
        if kind == "seq" and len(h) != len(w):
            return f"a sequence of {len(h)} items, expected {len(w)}"
        if kind == "dict" and set(h) != set(w):
            return f"keys {sorted(h)}, expected {sorted(w)}"
        pairs = ([(f"item {i}", w[i], h[i]) for i in range(len(w))] if kind == "seq"
                 else [(f"[{k!r}]", w[k], h[k]) for k in w])
        for where, expected, got in pairs:
            problem = _compare_value(expected, got)
            if problem:
                return f"{where}: {problem}"
        return None
    return None if have == want and type(have) is type(want) else f"expected {_kind(want)}"


def _kind(value):
    if isinstance(value, dict):
        for key in ("array", "seq", "dict", "object", "summary"):
            if key in value:
                return {"array": "numbers", "seq": "a sequence", "dict": "a dict",
                        "summary": "a large array"}.get(key, f"an object ({value[key]})")
    return repr(value)[:40]


def reference_run(solution, cell_timeout, timeout, kernel_name, sandbox):
    """Run the solution notebook itself; keep what it hands out; every test must pass."""
    results, _, _, records = grade_notebook(copy.deepcopy(solution.nb), solution, cell_timeout,
                                            timeout, kernel_name, sandbox)
    failed = [f"{gid} ({r['status']}: {r['reason']})" for gid, r in results.items()
              if r["status"] != "passed"]
    if failed:
        raise UsageError(f"the solution notebook {solution.path} fails its own tests in the "
                         f"grader: {'; '.join(failed)}")
    solution.reference = records


# --- a batch ---------------------------------------------------------------------------

def _invalid(name, path, solution, problem, status="invalid"):
    return {"student": name, "path": str(path), "points": 0, "max_points": solution.max_points,
            "status": status, "reason": problem, "notes": [],
            "exercises": [{"grade_id": gid, "points": 0, "max_points": solution.points(gid),
                           "status": "not graded", "reason": problem} for gid in solution.tests]}


def grade_student(path, name, solution, out, cell_timeout, timeout, kernel_name, sandbox):
    """The grades.json record of one student; never raises (a grader error scores 0)."""
    try:
        nb, problem = read_submission(path)
        if problem:
            return _invalid(name, path, solution, problem)
        results, notes, executed, records = grade_notebook(nb, solution, cell_timeout, timeout,
                                                           kernel_name, sandbox)
        score(results, records, solution)
        write(executed, out / "notebooks" / f"{name.replace('/', '__')}.ipynb")
        return {"student": name, "path": str(path),
                "points": sum(r["points"] for r in results.values()),
                "max_points": solution.max_points, "status": "graded", "reason": "",
                "notes": notes, "exercises": list(results.values())}
    except Exception as error:           # noqa: BLE001 - one student never stops the batch
        return _invalid(name, path, solution,
                        _shorten(f"grader error: {type(error).__name__}: {error}"), "error")


def grade(submissions, solution, out="grading-output", cell_timeout=30, timeout=300,
          kernel_name="python3", stream=None, jobs=None, shard=None, sandbox=True,
          limits=None):
    """Grade every submission; write grades.json, grades.csv, notebooks/; return the report.

    `jobs` students are graded at once (default: the number of cores); `shard=(i, n)`
    grades only every n-th submission starting with the i-th (1-based), for job arrays
    (merge the parts with `merge`); `sandbox=False` runs kernels unisolated."""
    stream = stream or sys.stdout
    started = time.monotonic()
    paths = _submission_paths(submissions, Path(solution.path if isinstance(solution, Solution)
                                                 else solution))
    if not paths:
        raise UsageError("no submissions found (give notebooks or folders of notebooks)")
    submitted = _submission_ids(paths)            # each submission read once for both checks
    if not isinstance(solution, Solution):
        solution = (_choose_solution(solution, submitted) if Path(solution).is_dir()
                    else Solution(solution))
    _check_key(solution, submitted)
    names = _names(paths)
    if shard is not None:
        index, count = shard
        paths, names = paths[index - 1::count], names[index - 1::count]
    if sandbox:
        ok, why = _sandbox.available()
        if not ok:
            raise UsageError(f"cannot sandbox the students' code: {why}. Install bubblewrap, or "
                             "pass --no-sandbox to run it with your own rights (only for "
                             "notebooks you trust, or inside a throw-away container).")
        box = _sandbox.Sandbox(limits or _sandbox.Limits())
    else:
        box = None
    jobs = max(1, jobs or os.cpu_count() or 1)
    out = Path(out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    print(f"nnlab-grade: {len(paths)} submission(s)"
          + (f" (shard {shard[0]}/{shard[1]})" if shard else "")
          + f" against {solution.path} ({len(solution.tests)} graded tests, "
          f"{solution.max_points:g} points), {jobs} at a time", file=stream)
    print("sandbox: " + (_describe(box.limits) if box else
                         "NONE (--no-sandbox): student code ran with your rights, files "
                         "and network"), file=stream)
    if solution.reference is None:
        reference_run(solution, cell_timeout, timeout, kernel_name, box)
    header = {"solution": str(solution.path), "max_points": solution.max_points,
              "exercises": [{"grade_id": gid, "max_points": solution.points(gid)}
                            for gid in solution.tests],
              "shard": list(shard) if shard else None,
              "sandbox": _describe(box.limits) if box else None}
    done, lock = {}, threading.Lock()

    def one(path, name):
        record = grade_student(path, name, solution, out, cell_timeout, timeout,
                               kernel_name, box)
        with lock:
            done[name] = record
            _write_grades(out, header, [done[n] for n in names if n in done])
            _print_student(record, stream)

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in [pool.submit(one, path, name) for path, name in zip(paths, names)]:
            future.result()
    report = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    seconds = time.monotonic() - started
    _print_summary(report, stream)
    print(f"{len(paths)} student(s) in {seconds:.0f} s ({60 * len(paths) / seconds:.1f} per "
          f"minute, {jobs} at a time, the reference run included)", file=stream)
    print(f"wrote {out / 'grades.json'}, {out / 'grades.csv'} and {out / 'notebooks'}/",
          file=stream)
    return report


def _describe(limits):
    return (f"bubblewrap (no network, private /tmp of {limits.tmp_size // 2**20} MiB, "
            f"read-only Python; memory {limits.memory // 2**20} MiB, {limits.processes} "
            f"processes, files up to {limits.file_size // 2**20} MiB, {limits.cpu} CPU s)")


def _write_grades(out, header, students):
    """grades.json and grades.csv for `students`, each written to a temporary file first."""
    report = {**header, "students": students}
    tmp = out / ".grades.json.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, out / "grades.json")
    ids = [e["grade_id"] for e in header["exercises"]]
    tmp = out / ".grades.csv.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", *ids, "total", "max_points", "status"])
        for s in students:
            points = {e["grade_id"]: e["points"] for e in s["exercises"]}
            writer.writerow([_cell(s["student"]), *(_num(points[g]) for g in ids),
                             _num(s["points"]), _num(s["max_points"]),
                             _cell(s["status"] if not s["reason"] else
                                   f"{s['status']}: {s['reason']}")])
    os.replace(tmp, out / "grades.csv")


def _print_summary(report, stream):
    students = report["students"]
    graded = [s for s in students if s["status"] == "graded"]
    mean = sum(s["points"] for s in students) / max(1, len(students))
    print(f"{len(graded)} graded, {len(students) - len(graded)} not gradable; mean "
          f"{mean:.2f}/{_num(report['max_points'])}; full marks: "
          f"{sum(s['points'] == s['max_points'] for s in students)}", file=stream)


def merge(parts, out, stream=None):
    """Merge the grades.json of several shards (same solution) into one grades.json/.csv."""
    stream = stream or sys.stdout
    reports = []
    for part in map(Path, parts):
        try:
            reports.append(json.loads((part / "grades.json").read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            raise UsageError(f"cannot read {part / 'grades.json'}: {error}") from None
    first = reports[0]
    for part, report in zip(parts, reports):
        if (report.get("solution"), report.get("exercises")) != (first.get("solution"),
                                                                 first.get("exercises")):
            raise UsageError(f"{part} was graded against {report.get('solution')}, not "
                             f"{first.get('solution')}: only parts of one batch can be merged")
    students = [s for report in reports for s in report["students"]]
    names = [s["student"] for s in students]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(f"students in more than one part: {', '.join(twice[:5])}")
    out = Path(out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    for part in map(Path, parts):
        if (part / "notebooks").is_dir() and part.resolve() != out.resolve():
            for notebook in (part / "notebooks").glob("*.ipynb"):
                shutil.copy2(notebook, out / "notebooks" / notebook.name)
    header = {key: first.get(key) for key in ("solution", "max_points", "exercises", "sandbox")}
    header["shard"] = None
    _write_grades(out, header, sorted(students, key=lambda s: s["student"]))
    report = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    _print_summary(report, stream)
    print(f"merged {len(parts)} part(s) into {out / 'grades.json'} and {out / 'grades.csv'}",
          file=stream)
    return report


def _num(x):
    return f"{x:g}"


def _print_student(record, stream):
    lines = [f"{record['student']:<24} {_num(record['points']):>5}/{_num(record['max_points'])}"
             + (f"   {record['status']}: {record['reason']}" if record["reason"] else "")]
    if record["status"] == "graded":
        for e in record["exercises"]:
            mark = "ok " if e["status"] == "passed" else "-- "
            line = f"    {mark}{e['grade_id']:<28} {_num(e['points'])}/{_num(e['max_points'])}"
            if e["status"] != "passed":
                reason = e["reason"]
                line += f"  {reason}" if reason.startswith(e["status"]) else \
                    f"  {e['status']}" + (f": {reason}" if reason else "")
            lines.append(line)
        lines += [f"    note: kernel restarted after {note}" for note in record["notes"]]
    print("\n".join(lines), file=stream, flush=True)
def _submission_ids(paths):
    """The grade_ids of every readable submission (unreadable ones are graded 0 later)."""
    found = []
    for path in paths:
        nb, problem = read_submission(path)
        if not problem:
            found.append(_ids(nb))
    return found


def _choose_solution(folder, submitted):
    """The solutions notebook in `folder` that most submissions match: each submission
    votes for the notebook it shares most grade_ids with (one submission, one vote, so a
    single notebook stuffed with another lesson's ids cannot swing the choice); a tie
    is an error asking for the notebook by name."""
    candidates = []
    for candidate in sorted(Path(folder).glob("*.ipynb")):
        try:
            candidates.append(Solution(candidate))
        except UsageError:
            continue                               # not a solutions notebook
    if not candidates:
        raise UsageError(f"--solution {folder} holds no solutions notebook")
    votes = {}
    for ids in submitted:
        shared = [len(ids & c.ids) for c in candidates]
        if max(shared) > 0 and shared.count(max(shared)) == 1:
            best = candidates[shared.index(max(shared))]
            votes[best.path] = votes.get(best.path, 0) + 1
    if not votes:
        raise UsageError(f"none of the solutions notebooks in {folder} has the exercises of "
                         "these submissions (no grade_id in common): are they the right files?")
    ranked = sorted(votes.items(), key=lambda item: -item[1])
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        raise UsageError(f"the submissions match {ranked[0][0].name} and {ranked[1][0].name} "
                         "equally often: give --solution the notebook to use")
    return next(c for c in candidates if c.path == ranked[0][0])


def _check_key(solution, submitted):
    """Stop when no submission has any exercise of the solution: the wrong answer key."""
    submitted = [ids for ids in submitted if ids]
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
    return [_printable(p.stem if stems.count(p.stem) == 1 else f"{p.parent.name}/{p.stem}")
            for p in paths]


def _shard(text):
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected i/n such as 3/10, got {text!r}") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"i/n needs 1 <= i <= n, got {text!r}")
    return index, count


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="nnlab-grade",
        description="Grade students' notebooks against a solutions notebook, each student's "
                    "code in a sandbox (bubblewrap).")
    parser.add_argument("submissions", nargs="*", metavar="SUBMISSION",
                        help="student notebooks or folders of notebooks")
    parser.add_argument("--solution",
                        help="the solutions notebook, e.g. solutions/01_neuron.ipynb, or a folder "
                             "of them (solutions/): the one matching the submissions is used")
    parser.add_argument("--out", default="grading-output",
                        help="folder for grades.json, grades.csv, notebooks/ (default: %(default)s)")
    parser.add_argument("--cell-timeout", type=float, default=30,
                        help="seconds per cell (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds per student notebook (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="students graded at once (default: the number of cores, %(default)s)")
    parser.add_argument("--shard", type=_shard, metavar="I/N",
                        help="grade only part I of N of the submissions (for a job array; "
                             "combine the parts with --merge)")
    parser.add_argument("--merge", nargs="+", metavar="PART",
                        help="merge the output folders of shards into --out, instead of grading")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run student code without bubblewrap, with your own rights")
    parser.add_argument("--memory", type=int, default=_sandbox.Limits.memory // 2**20,
                        metavar="MIB", help="memory limit per student kernel (default: %(default)s)")
    parser.add_argument("--kernel", default="python3", help="kernel name (default: python3)")
    args = parser.parse_args(argv)
    try:
        if args.merge:
            if args.submissions or args.solution:
                parser.error("--merge takes output folders only (no submissions, no --solution)")
            merge(args.merge, args.out)
            return 0
        if not args.submissions or not args.solution:
            parser.error("give the submissions and --solution (or --merge PART...)")
        if args.cell_timeout <= 0 or args.timeout <= 0 or args.jobs <= 0 or args.memory <= 0:
            parser.error("--cell-timeout, --timeout, --jobs and --memory must be positive")
        limits = _sandbox.Limits(memory=args.memory * 2**20,
                                 cpu=int(args.timeout) + 60)
        grade(args.submissions, args.solution, args.out, args.cell_timeout, args.timeout,
              args.kernel, jobs=args.jobs, shard=args.shard, sandbox=not args.no_sandbox,
              limits=limits)
    except UsageError as error:
        print(f"nnlab-grade: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
