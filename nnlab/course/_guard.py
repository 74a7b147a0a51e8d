"""The grader's guard inside a student's kernel: it runs the tests and refuses what cheats them.

`nnlab-grade` starts every student's kernel with `install(path)`, before any of the
student's code runs. `path` is a JSON file the grader deletes right afterwards, holding a
fresh secret key, the answer key's test cells (hidden tests included), the library
functions each test refuses and the names of the graded functions and classes. `install`
compiles the tests, takes a snapshot of the modules the tests rely on and installs a
Python audit hook (PEP 578), which no Python code can remove, run from a private copy of
this module (see `install`). Whose code raised an event is read from the stack: "test"
if a test's code (or the hook running it) comes before any frame outside the Python
installation and the nnlab package, "student" if such a frame comes first, "nobody" if
there is only library code (a callback, a thread).

* **Tests run only on the grader's signed command** (`command`:
  `sys.audit("nnlab.grade.test", grade_id, number, mac)`). The hook itself restores the
  snapshot (module attributes and the functions, classes and descriptors of the classes
  they define, builtins, sys' import hooks and streams; nnlab.checks is imported afresh),
  runs the test's code in a copy of the student's namespace in which each graded function
  is a wrapper, restores the snapshot again and publishes the outcome — passed or the
  error, and what each graded call returned as plain data (numbers, arrays, strings,
  lists, dicts; objects only by type name) — with an HMAC of the secret. Patching
  IPython, the display machinery or the kernel can lose that message, never forge it;
  a lost message scores 0, and so do two.
* **While a test runs**, the library functions the test refuses (`metadata.nnlab.refuse`)
  and nnlab.checks' own functions run only when the test's code calls them, directly or
  through nnlab's (the checks); called any other way they raise OwnCodeRequired. Changes
  to the watched modules and their classes fail the test (checked whenever a graded
  function or a graded class's method returns, and at the end); keras, sklearn, torch,
  tensorflow and jax can be imported by the test only.
* **Refused to all but the guard's own privileged steps** (whoever asks, test or
  student, any thread): the heap (gc.get_objects/get_referrers/get_referents), making
  functions or code objects (FunctionType, CodeType, code.replace, marshal.loads outside
  importlib), changing a function's `__code__` (except own_code_only for a test) or an
  object's `__class__`, compiling code under a library file's name, running nnlab's
  module files again (fresh copies of its functions), installing signal handlers (they
  are handed the interrupted frame), memory (ctypes, /proc/*/mem, bytecode files outside
  the library), trace and profile functions, other threads' frames, audit hooks, new
  processes (fork, exec, subprocess: they would run nnlab unguarded; refused with
  ProcessRefused, an OSError) and CPython's test modules (_testcapi runs code objects).
  During a test no frame at all is handed out (sys._getframe, inspect, frames of
  tracebacks, generators and coroutines), except to a few library readers that keep it to
  themselves (namedtuple, Enum, typing, IPython's magics, traceback.extract_stack);
  between tests, frames that lead to the guard or a test, and generators' or coroutines'
  frames (they could be resumed inside a test). Each refusal raises `Refused`, a
  RuntimeError whose message says what and why.

What it does not stop is listed in the README (teacher section, "What it does not stop").
"""
import _imp
import _signal
import _thread
import hashlib
import hmac
import importlib
import inspect
import json
import os
import re
import signal
import sys
import types
import warnings

import numpy

RECORD_MIME = "application/x-nnlab-grade-record+json"
MAX_RECORDS = 10_000              # values handed out per test (more: the test fails)
MAX_RECORDS_SIZE = 50_000_000     # characters of them as JSON per test
BLOCKED_IMPORTS = ("keras", "sklearn", "torch", "tensorflow", "jax")
WATCHED_MODULES = ("builtins", "math", "cmath", "operator", "functools", "itertools",
                   "warnings", "numpy", "nnlab", "json", "hmac", "hashlib", "os", "posixpath",
                   "re", "types", "threading", "signal", "sys", "importlib",
                   "_frozen_importlib", "_frozen_importlib_external")

# sys._getframe may serve student code through these library files, which keep the frame
# to themselves (namedtuple and Enum read its module name, IPython's magics its locals),
# for a frame no further up than the student's own
_FRAME_READERS = ("/collections/__init__.py", "/enum.py", "/typing.py",
                  "/matplotlib/_api/__init__.py", "/warnings.py",
                  "/IPython/core/interactiveshell.py", "/typing_extensions.py",
                  "/scipy/_lib/_bunch.py")
_FRAME_READER_FUNCTIONS = {"extract_stack", "format_stack", "print_stack"}    # traceback.py
_IMPORTLIB = "<frozen importlib._bootstrap_external>"
_IMPORTLIB_MODULES = ("_frozen_importlib_external", "importlib._bootstrap_external")
_RESUMABLE = 0x20 | 0x80 | 0x100 | 0x200   # generator, coroutine, iterable coroutine, async gen
_FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
_MEMORY = {"ctypes.string_at", "ctypes.wstring_at", "ctypes.cdata", "ctypes.cdata/buffer",
           "ctypes.PyObj_FromPtr", "ctypes.call_function", "ctypes.dlsym", "ctypes.dlopen",
           "ctypes.dlsym/handle", "ctypes.addressof"}
_GUARDED = [(_signal, "signal"), (_imp, "create_builtin")]
_PROC_MEMORY = re.compile(r"^/proc/[^/]+/(task/[^/]+/)?mem$")   # (after realpath)
_PROCESSES = {"os.fork", "os.forkpty", "os.posix_spawn", "os.exec", "os.spawn", "os.system",
              "subprocess.Popen", "pty.spawn"}   # a new process has no stubs, or no guard
_CPYTHON_TESTS = ("_test", "_xx", "xxsubtype")   # C modules that run code objects as is
_REFUSED = {"sys._current_frames", "sys.settrace", "sys.setprofile", "gc.get_objects",
            "gc.get_referrers", "gc.get_referents", "function.__new__", "code.__new__"} | _MEMORY | _PROCESSES
_EVENTS = {"nnlab.grade.test", "nnlab.grade.call", "nnlab.grade.answer", "nnlab.grade.guarded",
           "sys._getframe",
           "sys.addaudithook", "object.__getattr__", "object.__setattr__", "marshal.loads",
           "compile", "exec", "open", "import"} | _REFUSED


class Refused(RuntimeError):
    """Something a graded notebook may not do (it could read or bypass the tests)."""


class ProcessRefused(PermissionError):
    """Starting a process in a graded notebook (an OSError: libraries that try a helper
    program, such as matplotlib's fc-list, carry on without it)."""


def command(key, gid, number):
    """The code the grader runs to start test `gid` (`number` counts the kernel's tests)."""
    return (f'__import__("sys").audit("nnlab.grade.test", {gid!r}, {number}, '
            f'{_mac(key, f"{gid}|{number}")!r})')


def verify(key, message):
    """The outcome the hook published (a dict), or None if it was not signed with `key`."""
    if not (isinstance(message, dict) and isinstance(message.get("payload"), str)
            and isinstance(message.get("mac"), str)):
        return None
    if not hmac.compare_digest(_mac(key, message["payload"]), message["mac"]):
        return None
    return json.loads(message["payload"])


def _mac(key, text):
    return hmac.new(bytes.fromhex(key), text.encode("utf-8", "surrogatepass"),
                    hashlib.sha256).hexdigest()


def install(path):
    """Read the grader's file at `path`, then guard this kernel (see the module's text).

    The guard runs from a private copy of this module: its functions' globals (and their
    builtins, a copy taken now) are a dict that no student code can reach, so rebinding
    this module's names or patching builtins later changes nothing in it; its state lives
    in closures, not in a class (every class can be found through object.__subclasses__)."""
    import builtins
    with open(path, encoding="utf-8") as file:
        spec = json.load(file)
    with open(__file__, encoding="utf-8") as file:
        source = file.read()
    private = {"__name__": f"{__name__} (the kernel's guard)", "__file__": __file__,
               "__builtins__": dict(vars(builtins))}
    exec(compile(source, __file__, "exec"), private)  # noqa: S102 - this very module
    # what reaches the notebook (test wrappers, the guarded functions) comes from the public
    # module, so that its globals lead nowhere private
    private["_wrapper"], private["_guarded_function"] = _wrapper, _guarded_function
    private["_make_hook"](spec)


def plain(value, level=0):
    """`value` as JSON data: numbers and arrays as {"array", "shape"}, sequences as
    {"seq"}, dicts as {"dict"}; anything else as {"object": type name}."""
    if level > 20:
        return {"object": "nested too deep"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, numpy.number, numpy.bool_)) and not isinstance(value, complex):
        value = numpy.asarray(value)
    if isinstance(value, numpy.ndarray) and value.dtype.kind in "biuf":
        flat = numpy.array(value, dtype=float, subok=False).ravel()
        if flat.size > 200_000:           # shape, and projections that depend on positions
            weights = numpy.random.default_rng(0).standard_normal((4, flat.size))
            return {"summary": [list(value.shape)] + (weights @ numpy.nan_to_num(flat)).tolist()
                    + [float(numpy.sum(abs(flat))), float(flat.min()), float(flat.max())]}
        data = flat.tolist()
        for i in numpy.flatnonzero(~numpy.isfinite(flat)).tolist():
            data[i] = repr(data[i])
        return {"array": data, "shape": list(value.shape)}
    if isinstance(value, (list, tuple)):
        return {"seq": [plain(v, level + 1) for v in list(value)[:100_000]]}
    if isinstance(value, dict):
        return {"dict": {str(k): plain(v, level + 1) for k, v in value.items()}}
    return {"object": type(value).__name__}


def _wrapper(index, audit=sys.audit):
    """A graded function as the tests see it: the hook makes the call (nothing here to tamper
    with: the wrapper holds only its number)."""
    def graded(*args, **kwargs):
        box = [args, kwargs]
        audit("nnlab.grade.call", index, box)
        return box[0]
    return graded


def _guarded_function(module, name):
    """What replaces a guarded function (see _Guard._guarded)."""
    def guarded(*args, **kwargs):
        box = [args, kwargs]
        sys.audit("nnlab.grade.guarded", module, name, box)
        return box[0]
    guarded.__name__ = guarded.__qualname__ = name
    return guarded


def _stub_code(path, free):
    """Code for a refused library function: the hook decides, by who calls, whether the
    original runs (`free`: its number of free variables, which the stub must match)."""
    return stub_code(f"box = [args, kwargs]; __import__('sys').audit('nnlab.grade.answer', "
                     f"{path!r}, box); return box[0]", free, __file__)


def stub_code(body, free, filename):
    """The code of `def stub(*args, **kwargs): <body>` with `free` free variables (unread),
    so that it can replace the code of a function with a closure (a method using super()).
    nnlab.checks._core's own_code_only makes its stubs with it too; the guard calls its
    private copy (see `install`), whose globals no notebook can reach."""
    names = [f"_free{i}" for i in range(free)]
    source = (f"def outer():\n    {' = '.join([*names, 'None'])}\n"
              f"    def stub(*args, **kwargs):\n"
              f"        lambda: ({', '.join(names)}{',' if names else ''})\n"
              f"        {body}\n    return stub\n")
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own source
    return namespace["outer"]().__code__


def _codes(code):
    """`code` and every code object nested in it (functions, lambdas, comprehensions)."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def _make_hook(spec):
    """The guard: its state (`self`, a namespace) and its functions, reachable only from the
    audit hook that `install` adds (see there for why not a class)."""
    self = types.SimpleNamespace()


    # --- who is calling --------------------------------------------------------------

    def _nnlab_code(filename):
        return filename.startswith(self.nnlab_dir) and not filename.startswith(self.course_dir)

    def _is_library(filename):
        known = self.library_files.get(filename)
        if known is None:
            known = self.library_files[filename] = filename.startswith(self.library)
        return known

    def _privileged(fn, *args):
        """fn(*args), with the events it raises let through: only for steps in which no code
        but the library's runs (reading a frame, making the originals and the stubs)."""
        ident = _thread.get_ident()
        self.privileged.add(ident)
        try:
            return fn(*args)
        finally:
            self.privileged.discard(ident)

    def _attribute(obj, name):
        """obj.name (a traceback's or generator's frame), read without the hook looking."""
        return _privileged(getattr, obj, name, None)

    def _dangerous(frame):
        """True if `frame`, or one it leads to, is the guard's or a test's, or if it is a
        generator's or coroutine's (resumed inside a test, it would lead there)."""
        if frame.f_code.co_flags & _RESUMABLE:
            return True
        while frame is not None:
            if frame.f_code.co_filename == __file__ or id(frame.f_code) in self.trusted:
                return True
            frame = frame.f_back
        return False

    def _frame(levels):
        """The frame `levels` above this function's."""
        return _privileged(sys._getframe, levels + 1)    # (+ _privileged's own frame)

    def _who(frame):
        """Whose code this is, by the innermost frame that is not library code: "test" (a
        test, or the hook running one), "student" (student code, or the hook calling a
        graded function: if the name holds library code, the library is answering), or
        "nobody" (library code all the way down: a kernel's thread, a callback)."""
        while frame is not None:
            code = frame.f_code
            if id(code) in self.trusted:
                return "test"
            if id(code) == self.answering or not _is_library(code.co_filename):
                return "student"
            frame = frame.f_back
        return "nobody"

    def _own(frame, wanted):
        """True if `wanted` is `frame` or one of the frames up to the first student frame."""
        while frame is not None:
            if frame is wanted:
                return True
            if not _is_library(frame.f_code.co_filename):
                return False
            frame = frame.f_back
        return False

    def _refuse(what, why="it could read or get around the tests"):
        raise Refused(f"nnlab-grade: {what} is not allowed in a graded notebook ({why}); "
                      "remove it and grade again.")

    # --- the hook ----------------------------------------------------------------------

    def hook(event, args):
        if event not in _EVENTS or _thread.get_ident() in self.privileged:
            return
        if event == "nnlab.grade.test":
            return _run_command(*args)
        if event == "nnlab.grade.call":
            return _call(*args)
        if event == "nnlab.grade.answer":
            return _answer(*args)
        if event == "nnlab.grade.guarded":
            return _guarded(*args)
        if event == "open":
            path = args[0] if isinstance(args[0], str) else ""
            memory = os.path.basename(path) == "mem" or _PROC_MEMORY.match(os.path.realpath(path))
            if not (memory or (path.endswith(".pyc") and not _is_library(path))):
                return
        if event == "object.__getattr__" and args[1] not in _FRAME_ATTRIBUTES:
            return
        if event == "object.__setattr__" and args[1] not in ("__code__", "__class__"):
            return
        if event == "compile" and not (isinstance(args[1], str) and _is_library(args[1])):
            return
        if event == "exec":
            code = args[0] if isinstance(args[0], types.CodeType) else None
            if code is None or not any(_nnlab_code(c.co_filename) for c in _codes(code)):
                return
        if event == "import":
            root = str(args[0]).split(".")[0]
            if root.startswith(_CPYTHON_TESTS):
                _refuse(f"importing {root}", "it runs code objects behind the guard's back")
            if not (self.running and root in BLOCKED_IMPORTS):
                return
        caller = _frame(2)              # 0: _frame, 1: this method, 2: who raised it
        if event == "marshal.loads" and caller.f_code.co_filename == _IMPORTLIB:
            loader = caller.f_back.f_locals.get("self") if caller.f_back else None
            if type(loader).__module__ in _IMPORTLIB_MODULES:
                return                  # (importlib's own loader reading a library's bytecode)
        if event in ("object.__getattr__", "sys._getframe") and not self.running:
            # between tests a frame is refused only if it leads to the guard or a test (a
            # traceback kept from a test) or may be resumed inside one (a generator's)
            frame = _attribute(*args) if event == "object.__getattr__" else args[0]
            if frame is not None and _dangerous(frame):
                _refuse(f"this frame ({event})", "it leads to the grader's tests")
            return
        # the rest is for the guard's privileged steps only (let through above), with a few
        # exceptions for the tests
        where = caller.f_code.co_filename
        if self.reimporting and event in ("exec", "compile", "open", "marshal.loads", "import"):
            return                                         # nnlab.checks afresh, in _reset
        if (event == "import" or (event == "object.__setattr__" and where == self.core_file)
                ) and _who(caller) == "test":             # own_code_only in checks and tests
            return
        reader = _is_library(where) and (where.endswith(_FRAME_READERS) or (
            where.endswith("/traceback.py") and caller.f_code.co_name in _FRAME_READER_FUNCTIONS))
        if event == "sys._getframe" and reader and _own(caller, args[0]):
            return
        if event in _PROCESSES:
            raise ProcessRefused(f"nnlab-grade: starting a process ({event}) is not allowed in "
                                 "a graded notebook (it would run the library unguarded); "
                                 "remove it and grade again.")
        if event == "sys.addaudithook":     # RuntimeError: the hook is silently not added
            raise Refused("nnlab-grade: audit hooks are not allowed in a graded notebook")
        _refuse(*_what(event, args))

    def _what(event, args):
        """What was refused and why, for the message."""
        if event == "object.__getattr__":
            return (f"reading {args[1]} (a frame of the interpreter)",)
        if event == "object.__setattr__":
            return (f"changing an object's {args[1]}",)
        if event == "compile":
            return (f"compiling code under a library file's name ({args[1]})",)
        if event == "exec":
            return ("running nnlab's code again (a module file, or its functions' code)",
                    "a fresh copy of the library is not refused by the tests")
        if event == "import":
            return (f"importing {args[0]} inside a test", "the exercise asks for your own code")
        return (event,)

    # --- running a test ------------------------------------------------------------------

    def _run_command(gid, number, mac):
        if self.running is not None:
            _refuse("starting a test inside a test")
        if not (isinstance(number, int) and number > self.number and isinstance(mac, str)
                and isinstance(gid, str) and gid in self.tests
                and hmac.compare_digest(_mac(self.key, f"{gid}|{number}"), mac)):
            _refuse("starting a test", "only the grader can")
        self.number = number
        self.running = gid                     # (student code may run even in the reset)
        status, reason, swapped, boxed, namespace = "passed", "", [], [], {}
        try:
            namespace = _reset()
            self.graded, self.records, self.size, self.depth, self.changed = [], [], 0, 0, None
            for name in self.names:
                value = self.user_ns.get(name)
                if callable(value):           # a class in place of the function too
                    self.graded.append((name, value, True))
                    namespace[name] = _wrapper(len(self.graded) - 1)
            for name in self.classes:         # the graded classes' methods report back
                value = self.user_ns.get(name)
                if type(value) is type:
                    for attr, method in list(value.__dict__.items()):
                        if type(method) is types.FunctionType:
                            self.graded.append((f"{name}.{attr}", method, False))
                            boxed.append((value, attr, method))
                            setattr(value, attr, _wrapper(len(self.graded) - 1))
            swapped = _stub(self.refuse.get(gid, []))
            exec(self.tests[gid], namespace)  # noqa: S102 - the answer key's test
            _check_unchanged()
        except BaseException as error:         # noqa: BLE001 - the test failed, however
            status, reason = "failed", f"{type(error).__name__}: {error}".rstrip(": ")
        finally:
            self.running = None
            for func, code in reversed(swapped):
                _privileged(setattr, func, "__code__", code)
            for cls, attr, method in boxed:
                setattr(cls, attr, method)
            for name, value in namespace.items():     # what the test defined, as in a cell
                if (not name.startswith("_") and name not in self.names
                        and self.user_ns.get(name, namespace) is not value):
                    self.user_ns[name] = value
        if self.changed:
            status, reason = "failed", self.changed
        _restore()                             # (the outcome is written with clean modules)
        if self.size > MAX_RECORDS_SIZE or len(self.records) > MAX_RECORDS:
            status, reason, self.records = "failed", "too much data handed out", []
        if status != "passed":
            print(reason, file=self.sys_state["stderr"])
        payload = json.dumps({"grade_id": gid, "number": number, "status": status,
                              "reason": reason, "records": self.records})
        self.records = []
        self.publish(data={RECORD_MIME: {"payload": payload, "mac": _mac(self.key, payload)}},
                     metadata={})

    def _take_snapshot():
        """(module, its attributes, {class: its attributes}) for each watched module; only
        functions, classes and modules are kept (the values a patch would replace)."""
        shots = []
        for name, module in list(sys.modules.items()):
            if module is None or name.split(".")[0] not in WATCHED_MODULES:
                continue
            if name == "nnlab.checks" or name.startswith("nnlab.checks."):
                continue                       # imported afresh for each test
            attributes = {k: v for k, v in vars(module).items() if _patchable(v)}
            classes = {v: {k: m for k, m in vars(v).items() if _patchable(m)}
                       for v in attributes.values()
                       if isinstance(v, type) and v.__flags__ & _HEAPTYPE
                       and getattr(v, "__module__", None) == name}
            identity = {k: getattr(module, k) for k in _IDENTITY if hasattr(module, k)}
            if isinstance(identity.get("__path__"), list):
                identity["__path__ contents"] = list(module.__path__)
            shots.append((module, attributes, classes, identity))
        return shots

    def _restore():
        """Put back the watched modules and their classes as they were at the start."""
        for module, attributes, classes, identity in self.snapshot:
            sys.modules[module.__name__] = module
            for key, value in identity.items():
                if key == "__path__ contents":
                    module.__path__[:] = value
                elif getattr(module, key, identity) is not value:
                    setattr(module, key, value)
            for owner, saved in [(module, attributes), *classes.items()]:
                current = vars(owner)
                for key, value in saved.items():
                    if current.get(key, saved) is not value:
                        setattr(owner, key, value)
                for key in [k for k, v in current.items() if k not in saved and _patchable(v)
                            and not isinstance(v, types.ModuleType) and not k.startswith("__")]:
                    delattr(owner, key)

    def _reset():
        """Put back what the tests rely on; return the namespace the test runs in."""
        _restore()
        for name, value in self.sys_state.items():
            setattr(sys, name, value)
        for name, saved in self.sys_lists.items():
            getattr(sys, name)[:] = saved
        sys.path_importer_cache.clear()
        sys.setrecursionlimit(self.recursionlimit)
        _privileged(sys.settrace, None)
        _privileged(sys.setprofile, None)
        warnings.filters[:] = self.warning_filters
        getattr(warnings, "_filters_mutated", lambda: None)()
        sys.modules["numpy"].seterr(**self.numpy_errors)
        os.chdir(self.cwd)
        for name in [n for n in sys.modules if n == "nnlab.checks" or n.startswith("nnlab.checks.")]:
            del sys.modules[name]
        self.reimporting = True
        try:
            importlib.import_module("nnlab.checks")
        finally:
            self.reimporting = False
        self.core = sys.modules["nnlab.checks._core"]
        for name, module in list(sys.modules.items()):   # from nnlab's own folder, surely
            if name.startswith("nnlab.checks") and not str(getattr(module, "__file__", "")
                                                             ).startswith(self.checks_dir):
                raise RuntimeError(f"{name} was not loaded from nnlab's checks folder")
        watched = [owner for module, _, classes, _ in self.snapshot
                   if module.__name__ != "warnings"         # catch_warnings swaps its lists
                   for owner in (module, *classes)]
        watched += [module for name, module in list(sys.modules.items())
                    if module is not None and name.startswith("nnlab.checks")]
        self.watch = [(owner, {k: v for k, v in vars(owner).items() if _patchable(v)})
                      for owner in watched]
        namespace = dict(self.user_ns)
        namespace["__builtins__"] = self.builtins
        exec(self.imports, namespace)  # noqa: S102 - the answer key's imports
        return namespace

    def _check_unchanged():
        """Note (in self.changed) the first module or library class changed since the reset."""
        if self.changed:
            return
        for owner, saved in self.watch:
            current = vars(owner)
            for key, value in saved.items():
                if current.get(key, saved) is not value:
                    self.changed = (f"the notebook changed {getattr(owner, '__name__', '?')}"
                                    f".{key} during the test")
                    return

    def _stub(paths):
        """Give each refused function (and nnlab.checks' own) the stub's code; return
        (function, its code) pairs to put back."""
        targets = list(paths)
        for name, module in list(sys.modules.items()):
            if module is not None and name.startswith("nnlab.checks.") and name != "nnlab.checks._core":
                targets += [f"{name}.{key}" for key, value in vars(module).items()
                            if isinstance(value, types.FunctionType) and value.__module__ == name]
        swapped, self.originals = [], {}
        for path in dict.fromkeys(targets):
            found = self.core._target(path)
            if found is None:
                continue
            raw = inspect.getattr_static(*found)
            func = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
            if not isinstance(func, types.FunctionType):
                continue
            original = _privileged(types.FunctionType, func.__code__, func.__globals__,
                                   func.__name__, func.__defaults__, func.__closure__)
            original.__kwdefaults__ = func.__kwdefaults__
            self.originals[path] = original
            free = len(func.__code__.co_freevars)
            if (path, free) not in self.stub_codes:
                self.stub_codes[path, free] = _privileged(_stub_code, path, free)
            swapped.append((func, func.__code__))
            _privileged(setattr, func, "__code__", self.stub_codes[path, free])
        return swapped

    def _guarded(module, name, box):
        """A function the guard holds was called: signal.signal (a handler is handed the
        interrupted frame: only the kernel's own kinds of handler) or _imp.create_builtin
        (a fresh _signal module would have the original)."""
        args, kwargs = box
        if module == "_imp":
            safe = getattr(args[0] if args else None, "name", None) != "_signal"
        else:
            handler = args[1] if len(args) > 1 else kwargs.get("handler")
            safe = type(handler) is int or handler is signal.default_int_handler or (
                type(handler) in (signal.Handlers, signal.Signals))
        if not safe and _who(_frame(3)) != "test":
            _refuse(f"{module}.{name}", "a signal handler is handed the interrupted frame, "
                    "and with it the test's")
        box[0] = self.guarded[module, name](*args, **kwargs)

    def _answer(path, box):
        """A refused library function was called: its original runs only for a test, called
        from the test's code or from nnlab's (the checks) on the test's behalf."""
        original = self.originals.get(path) if self.running else None
        frame = _frame(3).f_back                      # 3: the stub's frame; then its caller
        while original is not None and frame is not None:
            code = frame.f_code
            if id(code) in self.trusted:
                box[0] = original(*box[0], **box[1])
                return
            if id(code) == self.answering or not code.co_filename.startswith(self.nnlab_dir):
                break                                 # the student, or another library's
            frame = frame.f_back
        raise self.core.OwnCodeRequired(
            f"{self.running or 'this exercise'}: this exercise asks for your own code; "
            f"the tests do not accept calls to the library's {path}.")

    def _call(index, box):
        """A test called graded function number `index`: call the student's, keep its value."""
        if not self.running:
            _refuse("calling a graded function's test wrapper after its test")
        if _frame(3).f_code is not self.graded_code:   # 3: the wrapper calling sys.audit
            _refuse("calling the grader's hook other than through a test wrapper")
        name, fn, record = self.graded[index]
        args, kwargs = box
        record = record and not self.depth
        self.depth += 1
        try:
            result = fn(*args, **kwargs)
            value = plain(result) if record else None
        except BaseException as error:
            if record:
                self.records.append({"call": name, "raised": type(error).__name__})
            raise
        finally:
            self.depth -= 1
        _check_unchanged()
        if record and len(self.records) <= MAX_RECORDS and self.size <= MAX_RECORDS_SIZE:
            self.size += len(json.dumps(value))
            self.records.append({"call": name, "value": value})
        box[0] = result

    # --- the guard itself -------------------------------------------------------------

    import builtins
    import pkgutil
    import site

    from IPython.core.inputtransformer2 import TransformerManager

    import nnlab

    self.key = spec["key"]
    self.names, self.classes = list(spec["names"]), list(spec["classes"])
    self.refuse = {gid: list(paths) for gid, paths in spec["refuse"].items()}
    transform = TransformerManager().transform_cell
    self.tests = {gid: compile(transform(source), f"<nnlab-grade test {gid}>", "exec")
                  for gid, source in spec["tests"].items()}
    self.imports = compile(spec["imports"], "<nnlab-grade imports>", "exec")
    # code the walk up the stack trusts: the tests, and the hook running a test; and
    # where it finds the student: the hook calling a graded function (if what the name
    # holds is library code, say nnlab's own sigmoid, the library is answering)
    self.keep = [*self.tests.values(), self.imports, _run_command.__code__]
    self.trusted = {id(c) for code in self.keep for c in _codes(code)}
    self.answering = id(_call.__code__)
    self.graded_code = _wrapper(0).__code__            # the test wrappers' code
    self.checks_dir = os.path.join(os.path.dirname(nnlab.__file__), "checks") + os.sep
    self.core_file = os.path.join(self.checks_dir, "_core.py")
    self.reimporting = False
    self.nnlab_dir = os.path.dirname(nnlab.__file__) + os.sep
    self.course_dir = os.path.join(self.nnlab_dir, "course") + os.sep
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                *site.getsitepackages(), os.path.dirname(nnlab.__file__)}
    self.library = tuple(sorted({os.path.join(os.path.realpath(p), "") for p in prefixes}
                                | {os.path.join(p, "") for p in prefixes} | {"<frozen "}))
    self.library_files = {}
    for info in pkgutil.walk_packages(nnlab.__path__, "nnlab."):
        if not info.name.startswith("nnlab.course"):
            try:                           # all of nnlab now: running it again is refused
                importlib.import_module(info.name)
            except Exception:              # noqa: BLE001, S110 - an optional dependency
                pass
    self.builtins = builtins
    self.snapshot = _take_snapshot()
    self.sys_state = {name: getattr(sys, name) for name in
                      ("stdout", "stderr", "stdin", "displayhook", "excepthook")}
    self.sys_lists = {name: list(getattr(sys, name))
                      for name in ("meta_path", "path_hooks", "path")}
    self.recursionlimit = sys.getrecursionlimit()
    self.warning_filters = list(warnings.filters)
    self.numpy_errors = numpy.geterr()
    self.cwd = os.getcwd()
    ip = get_ipython()  # noqa: F821 - run inside IPython
    self.publish = ip.display_pub.publish
    self.user_ns = ip.user_ns
    self.privileged = set()                # threads inside the hook's own privileged steps
    self.running = None                    # the grade_id of the running test
    self.number = 0                        # the last test command's number
    self.graded, self.records, self.size, self.depth = [], [], 0, 0
    self.originals, self.stub_codes, self.changed = {}, {}, None
    self.watch = self.core = None
    sys.dont_write_bytecode = True         # bytecode files outside the library are refused
    self.guarded = {}
    for module, name in _GUARDED:
        self.guarded[module.__name__, name] = getattr(module, name)
        setattr(module, name, _guarded_function(module.__name__, name))
    signal.signal.__wrapped__ = _signal.signal      # (functools.wraps kept the original)
    sys.addaudithook(hook)


_IDENTITY = ("__spec__", "__loader__", "__file__", "__path__")   # where a module comes from
_HEAPTYPE = 1 << 9                    # a class made by Python code (not a C type)


def _patchable(value):
    """What a patch replaces: functions, classes, modules, other callables and descriptors
    (a property on a library class runs code wherever the attribute is read)."""
    return (callable(value) or isinstance(value, types.ModuleType)
            or hasattr(type(value), "__get__"))
