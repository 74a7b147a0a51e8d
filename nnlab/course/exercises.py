"""Generate the students' notebooks: solutions/NN_*.ipynb -> exercises/NN_*.ipynb.

    nnlab-exercises                        # write exercises/ from solutions/
    nnlab-exercises --check                # CI: exit 1 if exercises/ is out of date
    nnlab-exercises --solutions S --out E  # other folders

For each solutions notebook the generator

* replaces every `### BEGIN SOLUTION` ... `### END SOLUTION` region by
  `# YOUR CODE HERE` + `raise NotImplementedError()` (kept at the marker's indentation),
  with each `### HINT: text` line of the region turned into `# Hint: text` above it;
* removes every `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS` region;
* clears outputs and execution counts, and drops volatile metadata;
* keeps the nbgrader cell metadata, so nbgrader can import the notebook as is.

The output is deterministic (the JSON formatting of `nbformat.write`), so `--check`
can compare files byte for byte. Unbalanced, nested or misplaced markers stop the
generator with an error that names the notebook, the cell and the line.
"""
import argparse
import copy
import difflib
import sys
from pathlib import Path

import nbformat

from nnlab.course._notebook import (NOTEBOOK_NAME, MarkerError, clean_metadata, has_markers,
                                    nbgrader, strip_markers, writes)


def make_exercise(nb, name="notebook"):
    """Return the student's copy of the solutions notebook `nb` (which is left unchanged)."""
    nb = copy.deepcopy(nb)
    clean_metadata(nb)
    for index, cell in enumerate(nb.cells):
        where = f"{name}, cell {index} (grade_id {nbgrader(cell).get('grade_id')!r})" \
            if nbgrader(cell).get("grade_id") else f"{name}, cell {index}"
        if cell.cell_type in ("code", "markdown", "raw"):
            if nbgrader(cell).get("solution") and not has_markers(cell.source):
                raise MarkerError(f"{where}: a solution cell without a {'### BEGIN SOLUTION'!r}"
                                  " region; mark the part students must write.")
            cell.source = strip_markers(cell.source, cell.cell_type, where)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def generate(solutions="solutions", out="exercises"):
    """Map each output path to the text it should hold, for every solutions/NN_*.ipynb."""
    solutions, out = Path(solutions), Path(out)
    result = {}
    for path in sorted(solutions.glob("*.ipynb")):
        if not NOTEBOOK_NAME.match(path.name):
            continue
        nb = nbformat.read(path, as_version=4)
        result[out / path.name] = writes(make_exercise(nb, str(path)))
    return result


def _stale(out, expected):
    if not out.is_dir():
        return []
    return [p for p in sorted(out.glob("*.ipynb"))
            if NOTEBOOK_NAME.match(p.name) and p not in expected]


def check(solutions="solutions", out="exercises", stream=None):
    """Compare `out` with what `solutions` generates; print a summary; return the problem count."""
    stream = stream or sys.stdout
    expected = generate(solutions, out)
    problems = 0
    for path, text in expected.items():
        if not path.exists():
            print(f"missing: {path} (generated from {Path(solutions) / path.name})", file=stream)
            problems += 1
            continue
        current = path.read_text(encoding="utf-8")
        if current != text:
            problems += 1
            diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(),
                                             f"{path} (committed)", f"{path} (generated)",
                                             lineterm="", n=1))
            print(f"differs: {path} ({len(diff)} diff lines; first ones below)", file=stream)
            for line in diff[:12]:
                print(f"    {line}", file=stream)
    for path in _stale(Path(out), expected):
        print(f"stale:   {path} (no {Path(solutions) / path.name})", file=stream)
        problems += 1
    if problems:
        print(f"{problems} exercise notebook(s) out of date: run `nnlab-exercises` and commit "
              f"{out}/.", file=stream)
    else:
        print(f"{out}/ is up to date ({len(expected)} notebook(s)).", file=stream)
    return problems


def build(solutions="solutions", out="exercises", stream=None):
    """Write every exercise notebook and remove stale ones; return the written paths."""
    stream = stream or sys.stdout
    expected = generate(solutions, out)
    Path(out).mkdir(parents=True, exist_ok=True)
    for path, text in expected.items():
        changed = not path.exists() or path.read_text(encoding="utf-8") != text
        if changed:
            with open(path, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        print(f"{'wrote    ' if changed else 'unchanged'} {path}", file=stream)
    for path in _stale(Path(out), expected):
        path.unlink()
        print(f"removed   {path} (no {Path(solutions) / path.name})", file=stream)
    return list(expected)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="nnlab-exercises",
        description="Generate exercises/NN_*.ipynb (students' copies) from solutions/NN_*.ipynb.")
    parser.add_argument("--solutions", default="solutions", help="folder of solutions notebooks "
                        "(default: %(default)s)")
    parser.add_argument("--out", default="exercises", help="folder to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the folder differs from what would be written")
    args = parser.parse_args(argv)
    if not Path(args.solutions).is_dir():
        parser.error(f"no folder {args.solutions!r} (run from the project root or pass --solutions)")
    try:
        if args.check:
            return 1 if check(args.solutions, args.out) else 0
        build(args.solutions, args.out)
    except MarkerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except nbformat.reader.NotJSONError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
