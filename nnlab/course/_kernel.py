"""The grader's kernel: one fresh IPython kernel per student, driven cell by cell.

Used by `nnlab.course.grade`. `Kernel.run` executes one cell through nbclient (outputs
capped, widgets not emulated) and raises nbclient's CellExecutionError /
CellTimeoutError / DeadKernelError, or `KernelExited` when the cell called exit();
`Kernel.silent` runs grader code without output or history. Each new kernel first runs
`PRELUDE`, which installs the guard (nnlab/course/_guard.py) with a fresh secret key and
the answer key's tests; `Kernel.test` asks the guard to run one test and returns the
outcome the guard signed (passed or not, and the plain values the graded functions
returned), for the grader to score in its own process.
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
from nbclient.exceptions import CellExecutionError
from nbclient.util import ensure_async
from nbformat.v4 import new_code_cell, new_notebook, new_output

from nnlab.course import _guard

MAX_CELL_OUTPUT = 200_000      # characters of output kept per cell (a few figures fit)
NOTE = "nnlab-grade"            # stream name marking the truncation note until stored
POLL_SLICE = 1.0                # seconds: the reply is polled in slices, see _Client

# Run first in each new kernel, before any student code (see _guard.install).
PRELUDE = "import nnlab.course._guard as _g\n_g.install({path!r})\ndel _g"


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
    """nbclient with capped outputs, the guard's messages set aside and no widget emulation."""

    messages = None                  # list: the guard's messages during the running cell

    def handle_comm_msg(self, outs, msg, cell_index):
        pass

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content") or {}
        if msg.get("msg_type") == "display_data" and _guard.RECORD_MIME in (content.get("data") or {}):
            if self.messages is not None and len(self.messages) < 3:
                self.messages.append(content["data"][_guard.RECORD_MIME])
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

    def __init__(self, workdir, kernel_name, sandbox=None, guard=None):
        self.workdir, self.kernel_name, self.sandbox = Path(workdir), kernel_name, sandbox
        self.guard = guard               # what _guard.install reads, less the key
        self.client = None
        self.last_reply = None
        self.key, self.number = None, 0

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
        if self.guard is not None:
            self._install_guard(timeout)

    def _install_guard(self, timeout):
        """PRELUDE with a fresh key, through a file the kernel reads once and that is then
        deleted (so the tests and the key are never part of a cell's source)."""
        self.key, self.number = os.urandom(32).hex(), 0
        folder = self.workdir / "sockets" if self.sandbox is not None else self.workdir
        path = folder / "guard.json"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump({**self.guard, "key": self.key}, file)
        try:
            if not self.silent(PRELUDE.format(path=str(path)), timeout):
                raise RuntimeError("the grader's guard could not be installed in the kernel")
        finally:
            path.unlink(missing_ok=True)

    def stop(self):
        if self.client is not None and self.client.km is not None:
            try:
                self.client._cleanup_kernel()
            except Exception:            # noqa: BLE001 - a dead kernel may fail to clean up
                pass
            if getattr(self.client.km, "lease", None) is not None:
                self.client.km.lease.release()
        self.client = None

    def run(self, cell, timeout, count=None, messages=None):
        """Execute `cell` (outputs go into it); raise nbclient's errors or KernelExited.

        The guard's messages meanwhile are appended to `messages` (a list)."""
        self.client.timeout = max(1, math.ceil(timeout))
        self.client.nb.cells = [cell]
        self.client.messages = messages
        self.last_reply = None
        try:
            self.client.execute_cell(cell, 0, execution_count=count)
        finally:
            self.client.messages = None
            payload = ((self.last_reply or {}).get("content") or {}).get("payload") or []
            if any(isinstance(p, dict) and p.get("source") == "ask_exit" for p in payload):
                raise KernelExited()

    def test(self, cell, gid, timeout, count=None):
        """Have the guard run test `gid` (the cell's outputs go into `cell`); return the
        outcome it signed ({"status", "reason", "records"}), or None if none arrived.
        Raises nbclient's timeout and dead-kernel errors, or KernelExited."""
        self.number += 1
        source, messages = cell.source, []
        cell.source = _guard.command(self.key, gid, self.number)
        try:
            self.run(cell, timeout, count, messages)
        except CellExecutionError:
            pass                         # the outcome is what the guard signed, if anything
        finally:
            cell.source = source
        outcomes = [outcome for outcome in (_guard.verify(self.key, m) for m in messages)
                    if outcome and outcome.get("grade_id") == gid
                    and outcome.get("number") == self.number]
        return outcomes[0] if len(outcomes) == 1 else None    # two: one was forged

    def silent(self, code, timeout):
        """Run `code` without output or history; True if it ran without error."""
        cell = new_code_cell(code)      # only for nbclient's timeout message
        self.client.timeout = max(1, math.ceil(timeout))
        msg_id = self.client.kc.execute(code, silent=True, store_history=False)
        reply = self.client.wait_for_reply(msg_id, cell)
        return reply is not None and reply["content"].get("status") == "ok"
