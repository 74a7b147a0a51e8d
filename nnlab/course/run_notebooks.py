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
is not stored (a widget needs a live kernel anyway) and widget model ids are renumbered
("nnlab-widget-1", ...). Outputs are recorded as nbval sees them: what an `interact` draws
is stored as the cell's own output (under the widget), so `pytest --nbval` passes strictly. Exit codes: 0 all ran (and within budget), 1 otherwise.
"""
import argparse
import sys
import time
from pathlib import Path

import nbformat

from nnlab.course._kernel import SlicedReplyPolling
from nnlab.course._notebook import clean_metadata, write


class _NbvalViewClient(SlicedReplyPolling):
    """Record outputs the way nbval sees them, so that strict nbval passes on widget cells.

    nbval ignores widget (comm) messages: what an `interact` draws (its figure) arrives
    as an output of the cell, and `clear_output` is ignored. A client that captured it
    into widget state instead would store a cell nbval always finds different.
    nbval also executes with `store_history=False`, under which IPython does not let a
    trailing `;` hide a cell's value (`interact(...);` shows `<function ...>`), so we do
    the same; execution counts are still numbered 1, 2, ... by nbclient. The execute
    reply is polled in slices (`SlicedReplyPolling`: the upstream stall on widget cells).
    """

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        return await super().async_execute_cell(cell, cell_index, execution_count,
                                                store_history=False)

    def handle_comm_msg(self, outs, msg, cell_index):
        pass        # no widget emulation (no Output-widget capture, no widget state)

    def clear_output(self, outs, msg, cell_index):
        pass


def run_notebook(path, timeout=120, kernel_name="python3"):
    """Execute the notebook at `path` in a fresh kernel; return the executed, cleaned notebook.

    Raises nbclient's CellExecutionError / CellTimeoutError / DeadKernelError on failure.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = _NbvalViewClient(
        nb, timeout=timeout, kernel_name=kernel_name, allow_errors=False,
        record_timing=False, coalesce_streams=True,
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent.resolve())}})
    client.execute()
    for cell in nb.cells:       # store_history=False leaves execute_result counts at 0
        for output in cell.get("outputs", []):
            if output.get("output_type") == "execute_result":
                output["execution_count"] = cell.get("execution_count")
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
        except Exception as error:      # CellExecutionError, CellTimeoutError, DeadKernelError, ...
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
