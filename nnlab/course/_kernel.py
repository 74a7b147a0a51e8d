"""The grader's kernel: one fresh IPython kernel per student, driven cell by cell.

Used by `nnlab.course.grade`. `Kernel.run` executes one cell through nbclient (outputs
capped, widgets not emulated) and raises nbclient's CellExecutionError /
CellTimeoutError / DeadKernelError, or `KernelExited` when the cell called exit();
`Kernel.silent` runs grader code without output or history. `PRELUDE` runs first in
every new kernel and snapshots what `RESET` restores before each graded test cell.
Student code only ever runs in the kernel process, never in the grader's own.
"""
import json
import math
import subprocess

from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook, new_output

MAX_CELL_OUTPUT = 200_000      # characters of output kept per cell (a few figures fit)
NOTE = "nnlab-grade"            # stream name marking the truncation note until stored

# Run once in each new kernel, before any student code: what the reset restores.
PRELUDE = r'''
def _nnlab_grade_prelude():
    import builtins, math, os, sys, types, warnings
    import numpy, numpy.testing
    ip = get_ipython()
    snapshot = types.ModuleType("_nnlab_grade_snapshot")
    snapshot.modules = {m.__name__: dict(vars(m))
                        for m in (builtins, math, warnings, numpy, numpy.testing)}
    snapshot.transformers = {name: list(getattr(ip, name)) for name in
                             ("input_transformers_cleanup", "input_transformers_post",
                              "ast_transformers")}
    snapshot.sys = {name: getattr(sys, name) for name in
                    ("stdout", "stderr", "stdin", "displayhook", "excepthook")}
    snapshot.recursionlimit = sys.getrecursionlimit()
    snapshot.warning_filters = list(warnings.filters)
    snapshot.numpy_errors = numpy.geterr()
    snapshot.cwd = os.getcwd()
    sys.modules["_nnlab_grade_snapshot"] = snapshot
_nnlab_grade_prelude()
del _nnlab_grade_prelude
'''

# Run silently before each graded test cell (followed by the solution's imports).
RESET = r'''
def _nnlab_grade_reset():
    import builtins, importlib, os, sys, warnings
    snapshot = sys.modules["_nnlab_grade_snapshot"]
    for name, saved in snapshot.modules.items():
        module = sys.modules[name]
        for key, value in saved.items():
            if vars(module).get(key, snapshot) is not value:
                setattr(module, key, value)
    for name, value in snapshot.sys.items():
        setattr(sys, name, value)
    sys.setrecursionlimit(snapshot.recursionlimit)
    warnings.filters[:] = snapshot.warning_filters
    getattr(warnings, "_filters_mutated", lambda: None)()
    sys.modules["numpy"].seterr(**snapshot.numpy_errors)
    os.chdir(snapshot.cwd)
    for name in [n for n in sys.modules if n == "nnlab.checks" or n.startswith("nnlab.checks.")]:
        del sys.modules[name]
    importlib.import_module("nnlab.checks")
    ip = get_ipython()
    for name, saved in snapshot.transformers.items():
        getattr(ip, name)[:] = saved
    for callbacks in ip.events.callbacks.values():
        callbacks[:] = [cb for cb in callbacks
                        if getattr(cb, "__module__", None) not in (None, "__main__")]
    ip.custom_exceptions = ()
    for name in ("showtraceback", "showsyntaxerror", "run_cell", "run_ast_nodes", "run_code"):
        vars(ip).pop(name, None)
    sys.settrace(None)
    sys.setprofile(None)
_nnlab_grade_reset()
del _nnlab_grade_reset
'''


class _Client(NotebookClient):
    """nbclient with capped outputs and without widget emulation."""

    def handle_comm_msg(self, outs, msg, cell_index):
        pass

    def output(self, outs, msg, display_id, cell_index):
        if any(o.get("name") == NOTE for o in outs):
            return None                  # already truncated: drop the rest
        room = MAX_CELL_OUTPUT - sum(_size(o) for o in outs)
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or _size(out) <= room:
            return out
        if out.get("output_type") == "stream":
            out.text = out.text[:max(0, room)]
        elif out in outs:
            outs.remove(out)
        note = new_output("stream", name="stdout", text="\n[nnlab-grade: output truncated]\n")
        note["name"] = NOTE             # marks the note; renamed to stderr when stored
        outs.append(note)
        return out


def _size(output):
    if output.get("output_type") == "stream":
        return len(output.get("text", ""))
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v))
               for v in output.get("data", {}).values()) + len(str(output.get("evalue", "")))


class KernelExited(Exception):
    """The cell asked the kernel to exit (`exit()` / `quit()`): it is shutting down."""


class Kernel:
    """One kernel for one student; `start` again replaces it by a fresh one."""

    def __init__(self, workdir, kernel_name):
        self.workdir, self.kernel_name, self.client = workdir, kernel_name, None
        self.last_reply = None

    def _remember(self, cell, cell_index, execute_reply):
        self.last_reply = execute_reply

    def start(self, timeout):
        self.stop()
        client = _Client(new_notebook(), timeout=max(1, math.ceil(timeout)),
                         kernel_name=self.kernel_name, allow_errors=False,
                         record_timing=False, store_widget_state=False,
                         shutdown_kernel="immediate", startup_timeout=max(10, int(timeout)),
                         resources={"metadata": {"path": str(self.workdir)}})
        client.km = client.create_kernel_manager()
        client.on_cell_executed = self._remember
        self.client = client
        # the kernel process's own stdout/stderr (not the cells' output, which comes over
        # the kernel protocol) would clutter the grader's summary
        client.start_new_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client.start_new_kernel_client()
        self.silent(PRELUDE, timeout)

    def stop(self):
        if self.client is not None and self.client.km is not None:
            try:
                self.client._cleanup_kernel()
            except Exception:            # noqa: BLE001 - a dead kernel may fail to clean up
                pass
        self.client = None

    def run(self, cell, timeout, count=None):
        """Execute `cell` (outputs go into it); raise nbclient's errors or KernelExited."""
        self.client.timeout = max(1, math.ceil(timeout))
        self.client.nb.cells = [cell]
        self.last_reply = None
        try:
            self.client.execute_cell(cell, 0, execution_count=count)
        finally:
            payload = ((self.last_reply or {}).get("content") or {}).get("payload") or []
            if any(isinstance(p, dict) and p.get("source") == "ask_exit" for p in payload):
                raise KernelExited()

    def silent(self, code, timeout):
        """Run `code` without output or history; True if it ran without error."""
        cell = new_code_cell(code)      # only for nbclient's timeout message
        self.client.timeout = max(1, math.ceil(timeout))
        msg_id = self.client.kc.execute(code, silent=True, store_history=False)
        reply = self.client.wait_for_reply(msg_id, cell)
        return reply is not None and reply["content"].get("status") == "ok"
