"""Shared notebook helpers for the course tools: the markers, cell metadata, reading, writing.

This module is the one source of truth for the exercise markers (see lessons/README.md):

    ### BEGIN SOLUTION            ### BEGIN HIDDEN TESTS
    ### HINT: text                ...
    ...                           ### END HIDDEN TESTS
    ### END SOLUTION

A marker is recognised when it is the whole line apart from indentation.
"""
import re

import nbformat

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
HINT = "### HINT:"

CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = ("YOUR ANSWER HERE",)

_REGIONS = {BEGIN_SOLUTION: END_SOLUTION, BEGIN_HIDDEN: END_HIDDEN}
_ENDS = {end: begin for begin, end in _REGIONS.items()}


class MarkerError(ValueError):
    """A solution or hidden-test marker is unbalanced, nested or misplaced."""


def nbgrader(cell):
    """The cell's nbgrader metadata dict (empty if it has none)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell):
    """An autograded test cell: code, `grade: true`, `solution: false`, with a grade_id."""
    meta = nbgrader(cell)
    return (cell.get("cell_type") == "code" and bool(meta.get("grade"))
            and not meta.get("solution") and bool(meta.get("grade_id")))


def grade_id(cell):
    """The cell's nbgrader grade_id, or None (also when it is not a string: a submission's
    metadata is untrusted, and a list or dict there must not crash the grader)."""
    gid = nbgrader(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def _marker(line):
    """The marker a line holds (BEGIN_/END_ constants or HINT), else None."""
    text = line.strip()
    if text in _REGIONS or text in _ENDS:
        return text
    if text.startswith(HINT):
        return HINT
    return None


def strip_markers(source, cell_type="code", where="cell"):
    """Return the student's version of one cell's source.

    Solution regions become the stub (`# YOUR CODE HERE` / `raise NotImplementedError()`,
    or `YOUR ANSWER HERE` in markdown) at the indentation of the BEGIN marker, preceded
    by each `### HINT: text` line of the region turned into `# Hint: text`.
    Hidden-test regions are removed. `where` names the cell in error messages,
    e.g. "solutions/01_neuron.ipynb, cell 7".
    """
    lines = source.split("\n")
    out = []
    region = None          # (begin marker, line number, indentation, hints)
    for number, line in enumerate(lines, start=1):
        marker = _marker(line)
        if region is None:
            if marker in _REGIONS:
                indent = line[:len(line) - len(line.lstrip())]
                region = (marker, number, indent, [])
            elif marker in _ENDS:
                raise MarkerError(f"{where}, line {number}: {marker!r} without a matching "
                                  f"{_ENDS[marker]!r} before it.")
            elif marker == HINT:
                raise MarkerError(f"{where}, line {number}: {HINT!r} outside a "
                                  f"{BEGIN_SOLUTION!r} ... {END_SOLUTION!r} region.")
            else:
                out.append(line)
            continue
        begin, begin_line, indent, hints = region
        if marker in _REGIONS:
            raise MarkerError(f"{where}, line {number}: {marker!r} inside the {begin!r} region "
                              f"opened on line {begin_line}; regions cannot be nested.")
        if marker in _ENDS:
            if marker != _REGIONS[begin]:
                raise MarkerError(f"{where}, line {number}: {marker!r} closes the {begin!r} "
                                  f"region opened on line {begin_line}; expected "
                                  f"{_REGIONS[begin]!r}.")
            if begin == BEGIN_SOLUTION:
                stub = CODE_STUB if cell_type == "code" else MARKDOWN_STUB
                prefix = "# Hint: " if cell_type == "code" else "Hint: "
                out.extend(f"{indent}{prefix}{hint}" for hint in hints)
                out.extend(f"{indent}{text}" for text in stub)
            region = None
        elif marker == HINT and begin == BEGIN_SOLUTION:
            hints.append(line.strip()[len(HINT):].strip())
    if region is not None:
        begin, begin_line = region[0], region[1]
        raise MarkerError(f"{where}, line {begin_line}: {begin!r} is never closed by "
                          f"{_REGIONS[begin]!r}.")
    result = "\n".join(out)
    if not source.endswith("\n"):
        result = result.rstrip("\n")
    return result


def has_markers(source):
    """True if any line of `source` is a solution, hidden-test or hint marker."""
    return any(_marker(line) for line in source.split("\n"))


_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def clean_metadata(nb):
    """Drop what changes from run to run: per-cell execution timing and stored widget state.

    Widget views keep their output but get deterministic model ids ("nnlab-widget-1", ...
    in notebook order): without stored state they cannot be rendered offline anyway, and
    random ids would make every re-run a diff.
    """
    nb.metadata.pop("widgets", None)
    count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(_WIDGET_VIEW)
            if isinstance(view, dict) and "model_id" in view:
                count += 1
                view["model_id"] = f"nnlab-widget-{count}"
    return nb


def writes(nb):
    """Serialise exactly as `nbformat.write` does (sorted keys, indent 1, final newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def write(nb, path):
    """Write `nb` to `path` (UTF-8, "\\n" line endings), as `writes` formats it."""
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(writes(nb))


NOTEBOOK_NAME = re.compile(r"^\d\d_[^/]*\.ipynb$")
