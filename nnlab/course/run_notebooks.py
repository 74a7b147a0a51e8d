"""Execute notebooks in place, so authors never hand-edit outputs.

    nnlab-run-notebooks lessons/01_neuron.ipynb solutions/01_neuron.ipynb
    nnlab-run-notebooks lessons/ --check-budget 30      # a folder: every *.ipynb in it
    python -m nnlab.course.run_notebooks ...

Each notebook runs in a fresh `python3` kernel whose working directory is the notebook's
folder, with a timeout per cell (`--timeout`, default 120 s). A cell that raises stops
the run, is reported, and the file is left untouched; a cell tagged `raises-exception`
(nbval's convention) may raise. The run time of each notebook is printed; with
`--check-budget N` a notebook slower than N seconds is reported and the exit code is 1
(the notebook is still written).

What is stored is diff-stable: running twice gives the same file. Streams are merged
per cell (stdout before stderr), execution timing metadata is not recorded, widget state
is not kept (a widget needs a live kernel anyway; the static figure comes from the cell
that calls the drawing function with its defaults) and widget model ids are renumbered
("nnlab-widget-1", ...). Exit codes: 0 all ran (and within budget), 1 otherwise.
"""
import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from nnlab.course._notebook import clean_metadata, write


def run_notebook(path, timeout=120, kernel_name="python3"):
    """Execute the notebook at `path` in a fresh kernel; return the executed, cleaned notebook.

    Raises nbclient's CellExecutionError / CellTimeoutError / DeadKernelError on failure.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name=kernel_name, allow_errors=False,
        record_timing=False, coalesce_streams=True,
        # Widget state must be collected while running (nbclient's Output-widget capture
        # needs it); clean_metadata drops it before writing.
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent.resolve())}})
    client.execute()
    nb.metadata.setdefault("kernelspec", {
        "display_name": "Python 3 (ipykernel)", "language": "python", "name": kernel_name})
    return clean_metadata(nb)


def _notebooks(paths):
    for path in map(Path, paths):
        if path.is_dir():
            yield from (p for p in sorted(path.glob("*.ipynb")))
        else:
            yield path


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="nnlab-run-notebooks",
        description="Execute notebooks in place in a fresh kernel (outputs are never hand-edited).")
    parser.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders of notebooks")
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell (default: 120)")
    parser.add_argument("--check-budget", type=float, metavar="N",
                        help="report notebooks that take longer than N seconds and exit 1")
    parser.add_argument("--kernel", default="python3", help="kernel name (default: python3)")
    args = parser.parse_args(argv)
    notebooks = list(_notebooks(args.paths))
    missing = [p for p in notebooks if not p.is_file()]
    if missing:
        parser.error("no such notebook: " + ", ".join(map(str, missing)))

    failed, slow = [], []
    for path in notebooks:
        start = time.perf_counter()
        try:
            nb = run_notebook(path, timeout=args.timeout, kernel_name=args.kernel)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
            seconds = time.perf_counter() - start
            print(f"FAIL {path} after {seconds:.1f} s (file left unchanged):\n{error}",
                  file=sys.stderr)
            failed.append(path)
            continue
        seconds = time.perf_counter() - start
        write(nb, path)
        over = args.check_budget is not None and seconds > args.check_budget
        note = f"  OVER BUDGET ({args.check_budget:g} s)" if over else ""
        print(f"ok   {path}  {seconds:.1f} s{note}")
        if over:
            slow.append(path)
    if failed or slow:
        print(f"{len(failed)} failed, {len(slow)} over budget, "
              f"{len(notebooks) - len(failed) - len(slow)} ok", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
