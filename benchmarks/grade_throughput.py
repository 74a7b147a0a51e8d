"""How many students per minute nnlab-grade grades: 100 honest lesson-01 submissions.

    python benchmarks/grade_throughput.py                  # 100 students, sandbox on, --jobs 2
    python benchmarks/grade_throughput.py --students 20 --jobs 1 --no-sandbox

Each submission is exercises/01_neuron.ipynb with every answer filled in the way a
student would (the solution's code without its markers, a comment of the student's own
on top), so every one scores full marks; the whole notebook runs, figures and sliders
included. The grader runs exactly as a teacher would run it (`nnlab-grade submissions/
--solution solutions/ --jobs N`), the reference run of the answer key included, and the
script prints the wall time and students per minute, and checks that every student got
full marks.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from nnlab.course._notebook import BEGIN_SOLUTION, END_SOLUTION, HINT, nbgrader

ROOT = Path(__file__).resolve().parents[1]


def honest(solution, index):
    """The exercise notebook as student `index` hands it in: answers written, markers gone."""
    nb = nbformat.read(ROOT / "exercises" / solution.name, as_version=4)
    answers = {nbgrader(c).get("grade_id"): c.source for c in
               nbformat.read(solution, as_version=4).cells if nbgrader(c).get("solution")}
    for cell in nb.cells:
        gid = nbgrader(cell).get("grade_id")
        if nbgrader(cell).get("solution") and gid in answers:
            lines = [line for line in answers[gid].split("\n")
                     if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION)
                     and not line.strip().startswith(HINT)]
            cell.source = f"# student {index}'s answer\n" + "\n".join(lines)
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--lesson", default="01_neuron")
    parser.add_argument("--no-sandbox", action="store_true")
    args = parser.parse_args(argv)
    solution = ROOT / "solutions" / f"{args.lesson}.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        submissions = Path(tmp) / "submissions"
        submissions.mkdir()
        for i in range(args.students):
            nbformat.write(honest(solution, i), submissions / f"student{i:03d}.ipynb")
        command = [sys.executable, "-m", "nnlab.course.grade", str(submissions),
                   "--solution", str(ROOT / "solutions"), "--out", str(Path(tmp) / "out"),
                   "--jobs", str(args.jobs)] + (["--no-sandbox"] if args.no_sandbox else [])
        start = time.perf_counter()
        run = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if run.returncode != 0:
            print(run.stdout[-3000:], run.stderr[-3000:])
            return 1
        report = json.loads((Path(tmp) / "out" / "grades.json").read_text(encoding="utf-8"))
    full = sum(s["points"] == s["max_points"] for s in report["students"])
    print(next(line for line in run.stdout.splitlines() if line.startswith("sandbox:")))
    print(f"{args.students} students of lesson {args.lesson}, --jobs {args.jobs}: "
          f"{seconds:.0f} s wall, {60 * args.students / seconds:.1f} students per minute "
          f"(whole command: start-up and the reference run included); "
          f"full marks: {full}/{args.students}")
    return 0 if full == args.students else 1


if __name__ == "__main__":
    sys.exit(main())
