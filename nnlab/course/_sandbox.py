"""The grader's sandbox: every student's kernel runs inside bubblewrap (Linux).

`Sandbox.kernel_argv(sockets)` is the command that starts one kernel:

    prlimit --as=... --nproc=... --fsize=... --cpu=... --nofile=... --core=0 \\
      bwrap --unshare-pid --unshare-net --unshare-ipc --unshare-uts --die-with-parent \\
            --new-session --clearenv  <read-only mounts>  --tmpfs /tmp  --bind SOCKETS \\
      [setpriv --reuid=65534 ...]  python -m ipykernel_launcher -f SOCKETS/kernel.json

What the student's code sees and may do:

- **Files.** Read-only: the system's /usr, /bin, /lib*, /etc, the Python installation
  (interpreter, virtual environment, site-packages) and nnlab's own package folder; so
  no `.pth` file, no edit of `nnlab/checks` survives the student. Writable: a private
  /tmp (a size-limited tmpfs, the working folder, gone with the kernel) and the folder
  of the kernel's connection sockets. Not visible at all: the submissions, the
  solutions, the grader's output folder, the project checkout, the home folder.
- **Processes.** A new PID namespace: the grader, the other students and everything
  else on the machine are invisible and cannot be signalled; when the kernel ends the
  namespace ends and every process the student started is killed with it (detached
  ones too). `--new-session` stops terminal injection.
- **Network.** A new network namespace with only a loopback: no network. The kernel
  talks to the grader over Unix sockets in the bound socket folder (ZeroMQ's ipc).
- **Limits** (`Limits`): address space (memory) of each process, processes/threads,
  size of any file written, CPU seconds and open files. When the grader runs as root the
  kernel drops to a user id of its own (FIRST_UID and up, leased with a lock file so
  that two graders on one machine never share one, with no account behind it) after the
  mounts are made, so the process limit counts only that kernel's processes and no
  student can signal another's; and where the cgroup file system is writable (cgroup v1
  `memory` and `pids`, or v2), the kernel and everything it starts share one memory
  limit and one process limit (without it, each process has the memory limit: a student
  who starts many processes can use more). Run by another user, bubblewrap makes a user
  namespace and the process limit counts that user's processes.

`available()` says whether this machine can do it (and if not, why): bubblewrap must
be installed (Debian/Ubuntu: `apt-get install bubblewrap`) and namespaces allowed.
Where it is not (macOS, Windows, some containers) the grader refuses to run unless
`--no-sandbox` is given, and then says in its summary that nothing was isolated.
"""
import dataclasses
import fcntl
import functools
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

FIRST_UID = 200_000              # sandboxed kernels run as FIRST_UID, FIRST_UID + 1, ...
UID_LOCKS = Path("/run/nnlab-grade-uids") if Path("/run").is_dir() else Path("/tmp/nnlab-grade-uids")
CGROUP = Path("/sys/fs/cgroup")


@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits of one student's kernel (setrlimit; see `man prlimit`)."""
    memory: int = 4 * 2**30        # bytes of address space
    processes: int = 256           # processes and threads
    file_size: int = 64 * 2**20    # bytes, any one file
    cpu: int = 600                 # CPU seconds of one process
    files: int = 1024              # open file descriptors
    tmp_size: int = 256 * 2**20    # bytes of the private /tmp


def _mounts():
    """The read-only folders a kernel needs: system, Python and nnlab itself, nothing more."""
    import nnlab
    folders = ["/usr", "/etc"]
    folders += [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                str(Path(sys.executable).parent), str(Path(sys.executable).resolve().parent.parent)]
    folders += [sysconfig.get_paths()[key] for key in ("purelib", "platlib", "stdlib")]
    folders.append(str(Path(nnlab.__file__).resolve().parent))    # an editable install's source
    real = sorted({str(Path(f).resolve()) for f in folders if Path(f).exists()})
    # drop folders already inside another mounted folder
    return [f for f in real if not any(f != g and f.startswith(g.rstrip("/") + "/") for g in real)]


def _top_level():
    """/bin, /lib, ...: symlinks into /usr on merged-/usr systems (recreated as such), else folders."""
    links, folders = [], []
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(name)
        if path.is_symlink():
            links.append((os.readlink(path), name))
        elif path.is_dir():
            folders.append(name)
    return links, folders


@functools.lru_cache(maxsize=1)
def available():
    """(True, "") if bubblewrap can start a sandboxed Python here, else (False, why)."""
    if not sys.platform.startswith("linux"):
        return False, f"no sandbox on {sys.platform}: bubblewrap needs Linux"
    if shutil.which("bwrap") is None:
        return False, ("bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)")
    for tool in ("prlimit",) + (("setpriv",) if os.geteuid() == 0 else ()):
        if shutil.which(tool) is None:
            return False, f"{tool} (util-linux) is not installed"
    probe = Sandbox(Limits())
    lease = probe.lease()
    try:
        result = subprocess.run(probe.argv([sys.executable, "-S", "-c", "print('ok')"], lease=lease),
                                capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"bubblewrap could not start ({error})"
    finally:
        lease.release()
    if result.returncode != 0 or result.stdout.strip() != "ok":
        return False, ("bubblewrap could not start a sandbox here (are user namespaces "
                       f"allowed?): {result.stderr.strip()[:200]}")
    return True, ""


class Lease:
    """What one sandboxed kernel owns while it lives: as root, a user id (held by a lock
    file) and, where possible, its cgroups; `release()` when the kernel is gone."""

    def __init__(self, limits):
        self.uid, self.cgroups, self._lock = None, [], None
        if os.geteuid() != 0:
            return
        UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
        for uid in range(FIRST_UID, FIRST_UID + 100_000):
            fd = os.open(UID_LOCKS / str(uid), os.O_CREAT | os.O_RDWR, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            self.uid, self._lock = uid, fd
            break
        else:
            raise RuntimeError(f"no free user id in {UID_LOCKS}")
        self.cgroups = _make_cgroups(f"nnlab-grade-{self.uid}", limits)

    def release(self):
        for folder in self.cgroups:
            for _ in range(50):          # empty once the kernel's PID namespace is gone
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        self.cgroups = []
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


_SWAP_LIMITS = ("memory.memsw.limit_in_bytes", "memory.swap.max")   # only where swap is accounted


def _make_cgroups(name, limits):
    """Cgroups limiting memory and processes of everything one kernel starts: cgroup v1's
    `memory` and `pids` hierarchies, or a v2 group; [] where they cannot be made."""
    v1 = {CGROUP / "memory": {"memory.limit_in_bytes": limits.memory,
                              "memory.memsw.limit_in_bytes": limits.memory},
          CGROUP / "pids": {"pids.max": limits.processes}}
    v2 = {CGROUP: {"memory.max": limits.memory, "memory.swap.max": 0,
                   "pids.max": limits.processes}}
    for layout in (v1, v2):
        made = []
        try:
            for root, settings in layout.items():
                folder = root / name
                folder.mkdir(exist_ok=True)
                made.append(folder)
                for key, value in settings.items():
                    if key in _SWAP_LIMITS and not (folder / key).exists():
                        continue                  # no swap accounting here: nothing to limit
                    (folder / key).write_text(str(value))
            return made
        except OSError:
            for folder in made:
                try:
                    folder.rmdir()
                except OSError:
                    pass
    return []


class Sandbox:
    """Builds the commands that run a program (a kernel) under bubblewrap and the limits."""

    def __init__(self, limits):
        self.limits = limits

    def lease(self):
        """A `Lease` (user id, cgroups) for one kernel; release it when the kernel is gone."""
        return Lease(self.limits)

    def argv(self, command, binds=(), lease=None):
        """`command` wrapped in (cgroup entry +) prlimit + bwrap (+ setpriv as root);
        `binds` are writable. As root, `lease` gives the user id and cgroups."""
        lim = self.limits
        argv = []
        if lease is not None and lease.cgroups:
            enter = "; ".join(f'echo $$ > "{folder}/cgroup.procs"' for folder in lease.cgroups)
            argv += ["/bin/sh", "-c", f'{enter} && exec "$@"', "sh"]
        argv += ["prlimit", f"--as={lim.memory}", f"--nproc={lim.processes}",
                f"--fsize={lim.file_size}", f"--cpu={lim.cpu}", f"--nofile={lim.files}",
                "--core=0",
                "bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
                "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--clearenv"]
        root = os.geteuid() == 0
        if not root:
            argv.append("--unshare-user")
        made = set()

        def parents(path):
            out = []
            for parent in reversed(Path(path).parents):
                text = str(parent)
                if text != "/" and text not in made:
                    made.add(text)
                    out += ["--perms", "0755", "--dir", text]
            return out

        # the private /tmp first: a Python environment inside /tmp (a checkout there) is
        # then bound on top of it, not hidden by it
        argv += ["--perms", "1777", "--size", str(lim.tmp_size), "--tmpfs", "/tmp"]
        made.add("/tmp")
        links, folders = _top_level()
        for target, name in links:
            argv += ["--symlink", target, name]
        for folder in folders + _mounts():
            argv += parents(folder) + ["--ro-bind", folder, folder]
            made.add(folder)
        argv += ["--proc", "/proc", "--dev", "/dev"]
        for folder in binds:
            argv += parents(folder) + ["--bind", str(folder), str(folder)]
        env = {"HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "USER": "student",
               "LOGNAME": "student",
               "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
               "MPLCONFIGDIR": "/tmp/.matplotlib", "MPLBACKEND": "agg",
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        if "KERAS_BACKEND" in os.environ:
            env["KERAS_BACKEND"] = os.environ["KERAS_BACKEND"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        argv += ["--chdir", "/tmp", "--"]
        if root:        # after the mounts, leave root for a user id of this kernel's own
            if lease is None or lease.uid is None:
                raise ValueError("as root, a sandboxed command needs a Lease (its user id)")
            argv += [shutil.which("setpriv"), f"--reuid={lease.uid}", f"--regid={lease.uid}",
                     "--clear-groups", "--no-new-privs", "--"]
        return argv + list(command)
