"""Course tools: the exercise generator, the notebook runner and the autograder.

* `nnlab-exercises` (`nnlab.course.exercises`): solutions/NN_*.ipynb -> exercises/NN_*.ipynb.
* `nnlab-run-notebooks` (`nnlab.course.run_notebooks`): execute notebooks in place.
* `nnlab-grade` (`nnlab.course.grade`): grade students' notebooks against a solutions notebook.

The exercise markers and nbgrader metadata are described in lessons/README.md and
defined once, in `nnlab.course._notebook`; the grader's kernel handling (time limits,
restarts) is in `nnlab.course._kernel`, the guard inside each student's kernel in
`nnlab.course._guard`.
"""
