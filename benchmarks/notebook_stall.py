"""Execute lessons again and again with nnlab's runner and look for the 120 s stall.

    python benchmarks/notebook_stall.py lessons/01_neuron.ipynb lessons/08_optimizers.ipynb --runs 100

Each run executes the notebook in a fresh kernel exactly as `nnlab-run-notebooks` does
(nothing is written). A run counts as stalled when any cell takes longer than
`--stall` seconds (default 20; the slowest cell of these lessons takes about 2 s).
Also printed: how many execute replies the runner picked up only on a later poll although
the kernel had sent them more than a poll slice earlier (`late_replies`: the upstream lost
wake-up that `SlicedReplyPolling` works around; without the workaround each would have
waited out the whole cell timeout). Exit code 1 if any run stalled or failed.
"""
import argparse
import statistics
import sys
import time

from nnlab.course import run_notebooks


class _TimedClient(run_notebooks._NbvalViewClient):
    slowest = 0.0

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        start = time.perf_counter()
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count,
                                                    store_history)
        finally:
            type(self).slowest = max(type(self).slowest, time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--stall", type=float, default=20.0)
    args = parser.parse_args(argv)
    run_notebooks._NbvalViewClient = _TimedClient          # the runner, with a stopwatch
    bad = 0
    for path in args.notebooks:
        seconds, slowest, late, failed = [], [], 0, 0
        for _ in range(args.runs):
            _TimedClient.slowest, _TimedClient.late_replies = 0.0, 0
            start = time.perf_counter()
            try:
                run_notebooks.run_notebook(path, timeout=120)
            except Exception as error:       # noqa: BLE001 - counted and shown
                failed += 1
                print(f"  {path}: run failed: {type(error).__name__}: {error}"[:300])
            seconds.append(time.perf_counter() - start)
            slowest.append(_TimedClient.slowest)
            late += _TimedClient.late_replies
        stalls = sum(s > args.stall for s in slowest)
        bad += stalls + failed
        print(f"{path}: {args.runs} runs, {failed} failed, {stalls} stalled (a cell > "
              f"{args.stall:g} s); run time median {statistics.median(seconds):.1f} s, "
              f"max {max(seconds):.1f} s; slowest cell {max(slowest):.1f} s; "
              f"late replies picked up by a later poll: {late}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
