"""The grader's kernel: one fresh IPython kernel per student, driven cell by cell.

Used by `nnlab.course.grade`. `Kernel.run` executes one cell through nbclient (outputs
capped, widgets not emulated) and raises nbclient's CellExecutionError /
CellTimeoutError / DeadKernelError, or `KernelExited` when the cell called exit();
`Kernel.silent` runs grader code without output or history. `PRELUDE` runs first in
every new kernel and snapshots what `RESET` restores before each graded test cell;
`RECORD` wraps the graded functions so that what they return during a test cell comes
out as plain data (`Kernel.run(..., records=[])`), for the grader to compare in its own process.
With a `Sandbox` the kernel runs under bubblewrap and talks over Unix sockets.
Student code only ever runs in the kernel process, never in the grader's own.
"""
import asyncio
import json
import math
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from queue import Empty
from time import monotonic

from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.util import ensure_async
from nbformat.v4 import new_code_cell, new_notebook, new_output

MAX_CELL_OUTPUT = 200_000      # characters of output kept per cell (a few figures fit)
MAX_RECORDS = 10_000            # values handed out per cell (more: the test fails)
MAX_RECORDS_SIZE = 50_000_000   # characters of them as JSON per cell (more: the test fails)
NOTE = "nnlab-grade"            # stream name marking the truncation note until stored
RECORD_MIME = "application/x-nnlab-grade-record+json"
POLL_SLICE = 1.0                # seconds: the reply is polled in slices, see _Client

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


# Run silently before each graded test cell (after RESET), formatted with the names the
# solution's exercise cells define, the library functions the test refuses and what to
# call them: while the test runs, each top-level call of a graded function publishes its
# return value (or the exception it raised) as plain JSON data, and inside the call the
# refused library functions raise. UNRECORD puts the student's own functions back.
RECORD = r'''
def _nnlab_grade_record(names, refuse, what):
    import functools, sys
    import numpy
    from IPython.display import publish_display_data
    from nnlab.checks._core import own_code_only
    depth = [0]
    def plain(value, level=0):
        if level > 20:
            return {"object": "nested too deep"}
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float, numpy.number, numpy.bool_)) and not isinstance(value, complex):
            value = numpy.asarray(value)
        if isinstance(value, numpy.ndarray) and value.dtype.kind in "biuf":
            flat = value.astype(float).ravel()
            if flat.size > 200_000:           # shape, and projections that depend on positions
                weights = numpy.random.default_rng(0).standard_normal((4, flat.size))
                return {"summary": [list(value.shape)] + (weights @ numpy.nan_to_num(flat)).tolist()
                                   + [float(numpy.sum(abs(flat))), float(flat.min()), float(flat.max())]}
            data = flat.tolist()
            for i in numpy.flatnonzero(~numpy.isfinite(flat)).tolist():
                data[i] = repr(data[i])
            return {"array": data, "shape": list(value.shape)}
        if isinstance(value, (list, tuple)):
            return {"seq": [plain(v, level + 1) for v in value[:100_000]]}
        if isinstance(value, dict):
            return {"dict": {str(k): plain(v, level + 1) for k, v in value.items()}}
        return {"object": type(value).__name__}
    def publish(record):
        publish_display_data({"__MIME__": record})
    def wrap(name, fn):
        @functools.wraps(fn)
        def recorded(*args, **kwargs):
            if depth[0]:
                return fn(*args, **kwargs)
            depth[0] += 1
            try:
                with own_code_only(what, refuse, ("keras", "sklearn", "torch", "tensorflow")):
                    result = fn(*args, **kwargs)
            except BaseException as error:
                publish({"call": name, "raised": type(error).__name__})
                raise
            finally:
                depth[0] -= 1
            publish({"call": name, "value": plain(result)})
            return result
        recorded.__nnlab_grade_original__ = fn
        return recorded
    import nnlab.checks, pkgutil, types
    for info in pkgutil.iter_modules(nnlab.checks.__path__):   # the checks' own helpers too
        module = sys.modules.get(f"nnlab.checks.{info.name}")
        if module is not None and info.name != "_core":
            refuse = list(refuse) + [f"{module.__name__}.{key}" for key, value in vars(module).items()
                                     if isinstance(value, types.FunctionType)
                                     and value.__module__ == module.__name__]
    namespace = get_ipython().user_ns
    for name in names:
        fn = namespace.get(name)
        fn = getattr(fn, "__nnlab_grade_original__", fn)
        if callable(fn):                  # a class in place of the function is wrapped too
            namespace[name] = wrap(name, fn)
_nnlab_grade_record(__NAMES__, __REFUSE__, __WHAT__)
del _nnlab_grade_record
'''.replace("__MIME__", RECORD_MIME)

UNRECORD = r'''
for _nnlab_grade_name, _nnlab_grade_value in list(get_ipython().user_ns.items()):
    if hasattr(_nnlab_grade_value, "__nnlab_grade_original__"):
        get_ipython().user_ns[_nnlab_grade_name] = _nnlab_grade_value.__nnlab_grade_original__
del _nnlab_grade_name, _nnlab_grade_value
'''


def record_code(names, refuse, what):
    """RECORD for these graded names, refused library paths and exercise description."""
    return (RECORD.replace("__NAMES__", repr(sorted(names)))
            .replace("__REFUSE__", repr(list(refuse))).replace("__WHAT__", repr(what)))


class SlicedReplyPolling(NotebookClient):
    """nbclient, with the execute reply polled in slices: a workaround for an upstream stall.

    nbclient waits for a cell's execute reply with one `shell_channel.get_msg(timeout=T)`
    for the whole cell timeout T. Once in a few dozen runs of a notebook with widget
    cells (nbclient issue 312, pull request 311; nbconvert issues 1921, 2029;
    otter-grader issue 755) that single wait does not wake up when the reply arrives,
    and the cell "times out" after T seconds although the kernel answered at once.
    Asking again every POLL_SLICE seconds, with the same deadline T, picks up a reply
    that is already there. Used by the grader and by nnlab-run-notebooks.
    `late_replies` counts replies picked up by a later slice although the kernel had sent
    them more than a slice before (benchmarks/notebook_stall.py reports it).
    """

    late_replies = 0

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg,
                                    task_poll_kernel_alive):
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            asked = datetime.now(timezone.utc)
            left = None if deadline is None else deadline - monotonic()
            if left is not None and left <= 0:
                task_poll_kernel_alive.cancel()
                await self._async_check_alive()
                reply = await self._async_handle_timeout(timeout, cell)  # raises, unless
                if reply is not None:                                    # interrupt_on_timeout
                    reply["parent_header"] = {"msg_id": msg_id}
                    return reply
                deadline = left = None          # interrupted: wait for the reply it sends
            try:
                msg = await ensure_async(self.kc.shell_channel.get_msg(
                    timeout=POLL_SLICE if left is None else min(POLL_SLICE, left)))
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            sent = msg.get("header", {}).get("date")
            if isinstance(sent, datetime) and (asked - sent).total_seconds() > POLL_SLICE:
                self.late_replies += 1
            try:
                await asyncio.wait_for(task_poll_output_msg, self.iopub_timeout)
            except (asyncio.TimeoutError, Empty):
                self.log.warning("Timeout waiting for IOPub output")
            task_poll_kernel_alive.cancel()
            return msg


class _Client(SlicedReplyPolling):
    """nbclient with capped outputs, recorded values set aside and no widget emulation."""

    records = None                   # list: the recorded values of the running cell
    records_size = 0                 # their size as JSON, in characters

    def handle_comm_msg(self, outs, msg, cell_index):
        pass

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content") or {}
        if msg.get("msg_type") == "display_data" and RECORD_MIME in (content.get("data") or {}):
            if self.records is not None and len(self.records) <= MAX_RECORDS:
                record = content["data"][RECORD_MIME]
                self.records_size += len(json.dumps(record)) if self.records_size <= MAX_RECORDS_SIZE else 0
                self.records.append(record if self.records_size <= MAX_RECORDS_SIZE
                                    else {"call": "(too much data handed out)"})
            return None
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


class _KernelManager(AsyncKernelManager):
    """A kernel manager that can start the kernel inside a `Sandbox` (over Unix sockets)."""

    sandbox = None
    lease = None

    def format_kernel_cmd(self, extra_arguments=None):
        argv = super().format_kernel_cmd(extra_arguments)
        if self.sandbox is None:
            return argv
        if self.lease is None:
            self.lease = self.sandbox.lease()
        return self.sandbox.argv(argv, binds=[str(Path(self.connection_file).parent)],
                                 lease=self.lease)

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self.sandbox is not None:     # the sandboxed kernel runs as another user
            os.chmod(self.connection_file, 0o644)


class Kernel:
    """One kernel for one student; `start` again replaces it by a fresh one.

    `workdir` is a private folder of the grader's; with a `sandbox`, the kernel's
    sockets and connection file live in `workdir/sockets` (the only host folder the
    sandbox sees) and the kernel works in its own /tmp, else it works in `workdir`.
    """

    def __init__(self, workdir, kernel_name, sandbox=None):
        self.workdir, self.kernel_name, self.sandbox = Path(workdir), kernel_name, sandbox
        self.client = None
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
        km = _KernelManager(kernel_name=self.kernel_name)
        if self.sandbox is not None:
            sockets = self.workdir / "sockets"
            sockets.mkdir(exist_ok=True)
            sockets.chmod(0o777)         # for the kernel's sockets; read-only once they exist
            km.transport, km.ip = "ipc", str(sockets / "kernel")
            km.connection_file = str(sockets / "kernel.json")
            km.sandbox = self.sandbox
        client.km = km
        client.on_cell_executed = self._remember
        self.client = client
        # the kernel process's own stdout/stderr (not the cells' output, which comes over
        # the kernel protocol) would clutter the grader's summary
        client.start_new_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client.start_new_kernel_client()
        if self.sandbox is not None:     # its sockets exist now: no more files from the kernel
            (self.workdir / "sockets").chmod(0o755)
        self.silent(PRELUDE, timeout)

    def stop(self):
        if self.client is not None and self.client.km is not None:
            try:
                self.client._cleanup_kernel()
            except Exception:            # noqa: BLE001 - a dead kernel may fail to clean up
                pass
            if getattr(self.client.km, "lease", None) is not None:
                self.client.km.lease.release()
        self.client = None

    def run(self, cell, timeout, count=None, records=None):
        """Execute `cell` (outputs go into it); raise nbclient's errors or KernelExited.

        Values the RECORD wrappers publish meanwhile are appended to `records` (a list)."""
        self.client.timeout = max(1, math.ceil(timeout))
        self.client.nb.cells = [cell]
        self.client.records, self.client.records_size = records, 0
        self.last_reply = None
        try:
            self.client.execute_cell(cell, 0, execution_count=count)
        finally:
            self.client.records = None
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
