"""The program that runs user code inside the sandbox: calls (with coverage) or a pytest run.

It is started by path (``python -B -P runner_child.py SPEC``), not imported from codegpt, and
uses only the standard library plus coverage and pytest when present, so it works in any
interpreter that can import the user's module. It confines itself before touching user code:
resource limits, a new network namespace where the kernel allows (else a socket guard), a guard
on process creation and signals, bounded stdout/stderr. Results go to a JSON-lines file, one line
per finished call, because user code may print anything and may kill the process at any moment:
the parent reads what was written and knows which call did not finish.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import ctypes
import importlib
import importlib.util
import inspect
import json
import math
import os
import re
import resource
import signal
import socket
import sys
import tempfile
import time
import warnings

CLONE_NEWNET = 0x40000000
MESSAGE_LIMIT = 300
# Calls on the module that time out one after another, none having returned yet: the function
# hangs whatever it is given (an endless loop), and each further call would cost a full timeout.
HANGS_BEFORE_GIVING_UP = 3
# Public attributes of a method's receiver described after the call (the test pins those the
# call changed: ``instance.add(x)`` returns None, what it did is ``instance.items``).
MAX_STATE_ATTRIBUTES = 8
MAX_STATE_LENGTH = 50  # items of a container attribute (characters: 8 times that)
UNSTABLE_MESSAGE = re.compile(r"0x[0-9a-fA-F]{4,}| object at |/tmp/|codegpt-testgen-")


class CallTimeout(BaseException):
    """Raised by the alarm; a BaseException so that ``except Exception`` in user code misses it."""


class SandboxViolation(PermissionError):
    """User code tried something the sandbox forbids (network, processes, signals)."""


TOUCHED: set[str] = set()
# Where the call under way wrote files: "cwd" (its working directory, a temporary one here: the
# test then runs in pytest's tmp_path, not in the user's project) or "outside" (anywhere but
# the working and temporary directories: no test should do that).
WRITES: set[str] = set()
# The files in the working directory the call wrote to (paths relative to it): read after the
# call, so the test checks what they hold; the hook knows them, no folder walk per call needed.
WRITTEN_PATHS: set[str] = set()
WATCHING_WRITES = [False]
OPEN_BEFORE: list[frozenset[int]] = [frozenset(range(3))]  # descriptors open when a call began
TEMP_FOLDER = [""]  # tempfile.gettempdir(), read before the hook: finding it opens files
MAX_FILES_PINNED = 3  # files a call wrote whose content the test checks
MAX_FILE_TEXT = 400  # characters: a longer file is only checked to exist
MAX_OUTPUT_TEXT = 400  # characters printed by a call that its test checks (more: not checked)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_WRITE_EVENTS = frozenset(
    {"os.mkdir", "os.remove", "os.rename", "os.rmdir", "os.truncate", "os.symlink", "os.link"}
    | {"shutil.rmtree", "shutil.copyfile", "shutil.move", "os.chmod", "os.utime"}
)


# The arguments an event writes to: a copy or link its target, a move both (default: the first).
_WRITTEN_ARGUMENTS = {
    "shutil.copyfile": (1,),
    "os.link": (1,),
    "os.symlink": (1,),
    "os.rename": (0, 1),
    "shutil.move": (0, 1),
}


def open_descriptors() -> frozenset[int]:
    """The file descriptors open now (stdin, stdout, the results file...)."""
    try:
        listed = [int(name) for name in os.listdir("/proc/self/fd")]
    except (OSError, ValueError):
        return frozenset(range(3))
    return frozenset(fd for fd in listed if _is_open(fd))  # not the listing's own, now closed


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def watch_writes(event: str, args: tuple) -> None:
    """Audit hook: note where user code writes (``open`` for writing, mkdir, remove...).

    It also refuses ``open(fd)`` of a descriptor open before the call: ``read_hosts(1)``
    would close the runner's stdout here, and pytest's own streams in the test.
    """
    if not WATCHING_WRITES[0]:
        return
    if event == "open" and args and isinstance(args[0], int) and args[0] in OPEN_BEFORE[0]:
        TOUCHED.add("descriptor")
        raise SandboxViolation(f"codegpt sandbox: file descriptor {args[0]} is not the call's")
    if event == "open":
        if len(args) < 3 or not isinstance(args[2], int) or not args[2] & _WRITE_FLAGS:
            return
    elif event not in _WRITE_EVENTS:
        return
    written = _WRITTEN_ARGUMENTS.get(event, (0,))
    for path in [args[i] for i in written if i < len(args)]:
        if not isinstance(path, str | bytes | os.PathLike):
            continue  # a file descriptor, or no path at all
        try:
            where = os.path.abspath(os.fsdecode(path))
            here = os.getcwd()
        except (OSError, TypeError, ValueError):
            continue
        if where == here or where.startswith(here + os.sep):
            WRITES.add("cwd")
            WRITTEN_PATHS.add(os.path.relpath(where, here))
        elif not where.startswith(TEMP_FOLDER[0] + os.sep):
            WRITES.add("outside")


# --- confinement -------------------------------------------------------------------------------


def apply_limits(limits: dict) -> dict:
    """Resource limits, network isolation and guards; returns what actually applied."""
    report: dict = {"rlimits": []}
    for name, key in (
        ("RLIMIT_AS", "memory_bytes"),
        ("RLIMIT_CPU", "cpu_seconds"),
        ("RLIMIT_FSIZE", "file_bytes"),
        ("RLIMIT_NPROC", "processes"),
        ("RLIMIT_CORE", "core_bytes"),
    ):
        value = limits.get(key)
        if value is None or not hasattr(resource, name):
            continue
        try:
            resource.setrlimit(getattr(resource, name), (int(value), int(value)))
            report["rlimits"].append(name)
        except (ValueError, OSError):
            pass
    # A write past RLIMIT_FSIZE should fail with an error, not kill the runner.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    report["network"] = isolate_network() if limits.get("isolate_network", True) else "none"
    guard_processes()
    report["processes"] = (
        "rlimit+guard" if os.geteuid() != 0 and "RLIMIT_NPROC" in report["rlimits"] else "guard"
    )
    return report


def isolate_network() -> str:
    """A private network namespace (only a down loopback) when permitted, else a socket guard."""
    mode = "guard"
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(CLONE_NEWNET) == 0:
            mode = "namespace"
    except (OSError, AttributeError):
        pass

    def blocked(*_args, **_kwargs):
        TOUCHED.add("network")
        raise SandboxViolation("codegpt sandbox: network access is blocked")

    for method in ("connect", "connect_ex", "bind", "sendto", "sendmsg"):
        setattr(socket.socket, method, blocked)
    socket.getaddrinfo = blocked
    socket.create_connection = blocked
    return mode


def guard_processes() -> None:
    """Refuse new processes, exec and signals to others: RLIMIT_NPROC does not bind root."""

    def blocked(*_args, **_kwargs):
        TOUCHED.add("process")
        raise SandboxViolation("codegpt sandbox: starting processes is blocked")

    for name in (
        "fork",
        "forkpty",
        "system",
        "popen",
        "posix_spawn",
        "posix_spawnp",
        "execv",
        "execve",
        "execl",
        "execle",
        "execlp",
        "execlpe",
        "execvp",
        "execvpe",
        "spawnv",
        "spawnve",
        "spawnvp",
        "spawnvpe",
        "spawnl",
        "spawnle",
        "spawnlp",
        "spawnlpe",
        "setsid",
        "setpgid",
    ):
        if hasattr(os, name):
            setattr(os, name, blocked)
    try:
        import _posixsubprocess

        _posixsubprocess.fork_exec = blocked
    except ImportError:
        pass
    own = os.getpid()
    real_kill = os.kill

    def kill(pid: int, sig: int) -> None:
        if pid != own:
            TOUCHED.add("process")
            raise SandboxViolation("codegpt sandbox: signals to other processes are blocked")
        real_kill(pid, sig)

    os.kill = kill
    os.killpg = blocked


class BoundedWriter:
    """A text stream that keeps the first ``limit`` characters and drops the rest cheaply."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept: list[str] = []
        self.size = 0
        self.dropped = 0

    def write(self, text: str) -> int:
        """Keep what fits, count the rest."""
        text = str(text)
        room = self.limit - self.size
        if room > 0:
            self.kept.append(text[:room])
            self.size += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    def isatty(self) -> bool:
        """Never a terminal."""
        return False

    def writable(self) -> bool:
        """Always writable."""
        return True

    def text(self) -> str:
        """What was kept."""
        return "".join(self.kept)


def on_alarm(_signum, _frame):
    """SIGALRM handler: the current call ran out of time."""
    raise CallTimeout()


# --- values ------------------------------------------------------------------------------------


def type_ref(cls: type, target_module: str) -> dict:
    """How a test can name ``cls``: builtin, from the target module, or ``import module``."""
    module = getattr(cls, "__module__", None) or ""
    qualname = getattr(cls, "__qualname__", cls.__name__)
    ref = {"module": module, "qualname": qualname, "importable": False}
    if module == "builtins":
        ref["importable"] = getattr(builtins, qualname, None) is cls
        return ref
    if "<locals>" in qualname or any(part.startswith("_") for part in module.split(".")):
        return ref
    found = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    ref["importable"] = found is cls
    ref["target"] = module == target_module
    return ref


def _leaf_source(value, target_module: str, imports: set) -> str | None:
    """Source for a non-builtin value whose repr evaluates back to an equal value of its type."""
    import enum

    cls = type(value)
    ref = type_ref(cls, target_module)
    if not ref["importable"]:
        return None
    top = ref["qualname"].split(".")[0]
    module = sys.modules[ref["module"]]
    if isinstance(value, enum.Enum):
        candidates = [(f"{ref['qualname']}.{value.name}", ("from", ref["module"], top))]
    else:
        text = repr(value)
        candidates = [
            (text, ("from", ref["module"], top)),
            (text, ("import", ref["module"].split(".")[0], None)),
        ]
    for text, imported in candidates:
        namespace = (
            {top: getattr(module, top)}
            if imported[0] == "from"
            else {imported[1]: sys.modules.get(imported[1])}
        )
        needed = {imported}
        again = _eval_naming(text, namespace, module if imported[0] == "from" else None, needed)
        if again is not _FAILED and type(again) is cls and again == value:
            imports.update(needed)
            return text
    return None


_FAILED = object()
MAX_EXTRA_NAMES = 8


def _eval_naming(text: str, namespace: dict, module, needed: set):
    """Evaluate a repr; a name it lacks is taken from ``module`` (``Segment(start=Point(...))``).

    Each name taken is added to ``needed`` as an import from that module. _FAILED when the
    text does not evaluate.
    """
    for _ in range(MAX_EXTRA_NAMES + 1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return eval(text, namespace)  # noqa: S307 - the value's own repr, in the sandbox
        except NameError as error:
            name = getattr(error, "name", None)
            if module is None or not name or not isinstance(getattr(module, name, None), type):
                return _FAILED
            namespace[name] = getattr(module, name)
            needed.add(("from", module.__name__, name))
        except Exception:  # noqa: BLE001 - any failure means "cannot write this down"
            return _FAILED
    return _FAILED


def source_of(value, target_module: str, imports: set, depth: int = 0) -> str | None:
    """Deterministic Python source for ``value``, or None when it cannot be written down."""
    if depth > 20:
        return None
    if value is None or isinstance(value, bool | int | str | bytes):
        return repr(value)
    if isinstance(value, float) and type(value) is float:
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "float('inf')" if value > 0 else "-float('inf')"
        return repr(value)
    if type(value) is complex:
        return repr(value) if not any(map(math.isnan, (value.real, value.imag))) else None
    if type(value) in (list, tuple):
        parts = [source_of(v, target_module, imports, depth + 1) for v in value]
        if any(p is None for p in parts):
            return None
        if type(value) is list:
            return "[" + ", ".join(parts) + "]"
        return "(" + parts[0] + ",)" if len(parts) == 1 else "(" + ", ".join(parts) + ")"
    if type(value) is dict:
        items = []
        for key, item in value.items():
            key_source = source_of(key, target_module, imports, depth + 1)
            item_source = source_of(item, target_module, imports, depth + 1)
            if key_source is None or item_source is None:
                return None
            items.append(f"{key_source}: {item_source}")
        return "{" + ", ".join(items) + "}"
    if type(value) in (set, frozenset):
        parts = [source_of(v, target_module, imports, depth + 1) for v in value]
        if any(p is None for p in parts):
            return None
        body = ", ".join(sorted(parts))  # sets print in hash order; the test text must not
        if type(value) is set:
            return "{" + body + "}" if parts else "set()"
        return "frozenset({" + body + "})" if parts else "frozenset()"
    fields = _dataclass_fields(value)
    if fields is not None:
        return _dataclass_source(value, fields, target_module, imports, depth)
    return _leaf_source(value, target_module, imports)


def _dataclass_fields(value) -> list | None:
    """The init fields of a dataclass instance, or None for anything else."""
    import dataclasses

    if isinstance(value, type) or not dataclasses.is_dataclass(value):
        return None
    fields = dataclasses.fields(value)
    if any(not f.init for f in fields):
        return None  # the constructor cannot set them all
    return list(fields)


def _dataclass_source(value, fields: list, target_module: str, imports: set, depth: int):
    """``Item(name='a', category=Category.FOOD)``: each field written by ``source_of``.

    Its repr would say ``<Category.FOOD: 'food'>`` for an enum field, which is no source.
    """
    ref = type_ref(type(value), target_module)
    if not ref["importable"] or "." in ref["qualname"]:
        return _leaf_source(value, target_module, imports)
    needed: set = set()
    parts = []
    for f in fields:
        part = source_of(getattr(value, f.name), target_module, needed, depth + 1)
        if part is None:
            return _leaf_source(value, target_module, imports)
        parts.append(f"{f.name}={part}")
    imports.update(needed)
    imports.add(("from", ref["module"], ref["qualname"]))
    return f"{ref['qualname']}({', '.join(parts)})"


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def describe_value(value, target_module: str, namespace: dict) -> dict:
    """How the parent can assert on ``value``: exact source, approx, nan, or type properties."""
    info: dict = {"type": type_ref(type(value), target_module)}
    try:
        info["len"] = len(value) if not isinstance(value, type) else None
    except Exception:  # noqa: BLE001 - user-defined __len__ may do anything
        info["len"] = None
    info["callable"] = callable(value)
    if type(value) is float and math.isnan(value):
        info["kind"] = "nan"
        return info
    imports: set = set()
    text = source_of(value, target_module, imports)
    if text is not None:
        names = {}
        for kind, module, name in imports:
            if kind == "from":
                names[name] = getattr(sys.modules[module], name)
            else:
                names[module] = sys.modules[module]
        try:
            again = eval(text, names)  # noqa: S307 - our own rendering, in the sandbox
            exact = again == value and type(again) is type(value)
        except Exception:  # noqa: BLE001 - any failure means the text is not usable
            exact = False
        if exact:
            info["source"] = text
            info["imports"] = sorted([list(i) for i in imports], key=str)
            info["kind"] = "approx" if _wants_approx(value) else "exact"
            if isinstance(value, str | bytes | int | float):
                info["repr_length"] = len(text)
            return info
    info["kind"] = "opaque"
    return info


def _wants_approx(value) -> bool:
    if type(value) is float:
        return True
    if type(value) in (list, tuple):
        return bool(value) and all(map(_is_number, value)) and any(type(v) is float for v in value)
    if type(value) is dict:
        values = list(value.values())
        return (
            bool(values) and all(map(_is_number, values)) and any(type(v) is float for v in values)
        )
    return False


def describe_exception(error: BaseException, target_module: str) -> dict:
    """Type (as a test can name it) and message, with whether the message is stable."""
    cls = type(error)
    ref = type_ref(cls, target_module)
    while not ref["importable"] and cls.__base__ is not None:
        cls = cls.__base__
        ref = type_ref(cls, target_module)
    message = str(error)
    return {
        "type": ref,
        "name": type(error).__name__,
        "message": message[:MESSAGE_LIMIT],
        "message_stable": len(message) <= MESSAGE_LIMIT
        and not UNSTABLE_MESSAGE.search(message)
        and "\n" not in message,
        **_where_raised(error),
    }


TARGET_FILE = ""
RAISE_LINES: frozenset[int] = frozenset()


def raise_lines(path: str) -> frozenset[int]:
    """Lines of the target file that belong to a ``raise`` or ``assert`` statement."""
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return frozenset()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise | ast.Assert):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return frozenset(lines)


def _where_raised(error: BaseException) -> dict:
    """Whether the innermost frame is in the target file, and whether on a raise statement.

    An error from the interpreter there (``'int' object has no attribute 'x'``) says the input
    was of the wrong type; one from a ``raise`` is the code's own answer.
    """
    tb = error.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    in_target = (
        last is not None and os.path.realpath(last.tb_frame.f_code.co_filename) == TARGET_FILE
    )
    return {"in_target": in_target, "raise_statement": in_target and last.tb_lineno in RAISE_LINES}


# --- modes -------------------------------------------------------------------------------------


def import_target(spec: dict):
    """Import the module under its import name; fall back to its file when shadowed."""
    for path in reversed(spec["sys_path"]):
        sys.path.insert(0, path)
    name = spec["module"]
    module = importlib.import_module(name)
    if os.path.realpath(getattr(module, "__file__", "") or "") != TARGET_FILE:
        file_spec = importlib.util.spec_from_file_location(name, spec["module_file"])
        module = importlib.util.module_from_spec(file_spec)
        sys.modules[name] = module
        file_spec.loader.exec_module(module)
    return module


def make_coverage():
    """A branch-coverage collector limited to the target file, or None without coverage."""
    try:
        import coverage
    except ImportError:
        return None
    return coverage.Coverage(branch=True, include=[TARGET_FILE], data_file=None, config_file=False)


def load_variant(name: str, path: str):
    """A changed copy of the target module (a mutant) as its own module object.

    It is registered under the module's name only while it executes (dataclasses and the like
    look themselves up there), then the original comes back, so variants never see each other.
    """
    original = sys.modules.get(name)
    file_spec = importlib.util.spec_from_file_location(name, path)
    variant = importlib.util.module_from_spec(file_spec)
    sys.modules[name] = variant
    try:
        file_spec.loader.exec_module(variant)
    finally:
        if original is not None:
            sys.modules[name] = original
        else:
            sys.modules.pop(name, None)
    return variant


def run_one(call: dict, module, cov, timeout: float) -> dict:
    """``evaluate_call``, with what it printed: ``output`` is [stdout, stderr].

    Each is the text (None when longer than ``MAX_OUTPUT_TEXT``): a test of a function that
    prints checks it with pytest's ``capsys``, where ``is None`` said nothing.
    """
    saved = sys.stdout, sys.stderr
    printed = BoundedWriter(MAX_OUTPUT_TEXT + 1), BoundedWriter(MAX_OUTPUT_TEXT + 1)
    sys.stdout, sys.stderr = printed
    try:
        record = evaluate_call(call, module, cov, timeout)
    finally:
        sys.stdout, sys.stderr = saved
    record["output"] = [
        None if stream.size > MAX_OUTPUT_TEXT or stream.dropped else stream.text()
        for stream in printed
    ]
    return record


def evaluate_call(call: dict, module, cov, timeout: float) -> dict:
    """Evaluate one call under the alarm and coverage; never raises except for our timeout."""
    timeout = call.get("timeout") or timeout
    namespace = dict(vars(module))
    record: dict = {"event": "call", "id": call["id"]}
    TOUCHED.clear()
    WRITES.clear()
    WRITTEN_PATHS.clear()
    OPEN_BEFORE[0] = open_descriptors()
    WATCHING_WRITES[0] = True
    started = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, timeout)
    arcs: list = []
    try:
        try:
            for name in call.get("imports", []):
                namespace[name.split(".")[0]] = importlib.import_module(name.split(".")[0])
                importlib.import_module(name)
            args = [eval(source, namespace) for source in call["args"]]  # noqa: S307
            kwargs = {k: eval(source, namespace) for k, source in call["kwargs"]}  # noqa: S307
            if call.get("setup"):
                receiver = eval(call["setup"], namespace)  # noqa: S307
                namespace["instance"] = receiver
                for statement in call.get("prepare", []):
                    eval(statement, namespace)  # noqa: S307 - ``instance.add(...)``, sandboxed
                function = getattr(receiver, call["attribute"])
                before = public_state(receiver, module.__name__, namespace)
            else:
                for statement in call.get("prepare", []):
                    eval(statement, namespace)  # noqa: S307 - ``save(...)`` before ``load(...)``
                function = eval(call["callee"], namespace)  # noqa: S307
            WRITTEN_PATHS.clear()  # what the setup wrote is no result of the call
        except CallTimeout:
            raise
        except BaseException as error:  # noqa: BLE001 - user __init__ may raise anything
            record["status"] = "setup_error"
            record["exception"] = describe_exception(error, module.__name__)
            return record
        if cov is not None:
            cov.erase()
            cov.start()
        try:
            result = function(*args, **kwargs)
            if inspect.iscoroutine(result):
                result = asyncio.run(result)
            if call.get("materialize") and inspect.isgenerator(result):
                result = list(result)
        finally:
            if cov is not None:
                cov.stop()
                data = cov.get_data()
                for measured in data.measured_files():
                    arcs = sorted(data.arcs(measured) or [])
        record["status"] = "returned"
        record["value"] = describe_value(result, module.__name__, namespace)
        if record["value"].get("kind") == "opaque" and _compared_by_identity(result, module):
            # ``transpose()`` returns a Matrix with no __eq__: its attributes say what it is.
            shown = public_state(result, module.__name__, namespace)
            record["value"]["attributes"] = [[name, value] for name, value in shown.items()]
        record["equals_argument"] = _equal_arguments(result, call, namespace)
        if call.get("setup"):
            after = public_state(namespace["instance"], module.__name__, namespace)
            record["state"] = [
                [name, value, before.get(name, {}).get("source") != value.get("source")]
                for name, value in after.items()
            ]
    except CallTimeout:
        record["status"] = "timeout"
    except MemoryError:
        record["status"] = "memory"
    except RecursionError as error:
        record["status"] = "raised"
        record["exception"] = describe_exception(error, module.__name__)
    except BaseException as error:  # noqa: BLE001 - recording what user code raises is the job
        record["status"] = "raised"
        record["exception"] = describe_exception(error, module.__name__)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        WATCHING_WRITES[0] = False
    record["arcs"] = arcs
    record["writes"] = sorted(WRITES)
    if "cwd" in WRITES and record.get("status") == "returned":
        record["files"] = written_files()
    record["seconds"] = round(time.perf_counter() - started, 6)
    record["touched"] = sorted(TOUCHED)
    return record


def written_files() -> list:
    """[path, text or None] for the files the call wrote (None: too long, or binary)."""
    written = []
    for path in sorted(WRITTEN_PATHS):
        if not os.path.isfile(path):
            continue  # a folder made, a file removed
        try:
            with open(path, encoding="utf-8") as handle:  # universal newlines, as read_text()
                text = handle.read(MAX_FILE_TEXT + 1)
        except (OSError, UnicodeDecodeError):
            text = None
        written.append([path, text if text is None or len(text) <= MAX_FILE_TEXT else None])
        if len(written) >= MAX_FILES_PINNED:
            break
    return written


def _too_long(value) -> bool:
    if isinstance(value, str | bytes):
        return len(value) > MAX_STATE_LENGTH * 8
    if isinstance(value, list | tuple | dict | set | frozenset):
        return len(value) > MAX_STATE_LENGTH
    return False


def _compared_by_identity(value, module) -> bool:
    """An instance of a class of the target module that keeps ``object``'s ``==``."""
    kind = type(value)
    return kind.__module__ == module.__name__ and kind.__eq__ is object.__eq__


def public_state(receiver, target_module: str, namespace: dict) -> dict:
    """Name -> description of what the receiver shows: public attributes, properties, len().

    A class that keeps its data private (``self._items``) still shows it through a public
    property (``size``) or ``len(instance)`` (named ``len()`` here): those are read too.
    """
    try:
        attributes = dict(vars(receiver))
    except TypeError:  # no __dict__ (slots, builtins)
        attributes = {}
    readers = {name: None for name in attributes if not name.startswith("_")}
    kind = type(receiver)
    for name in dir(kind):
        if not name.startswith("_") and isinstance(inspect.getattr_static(kind, name), property):
            readers.setdefault(name, None)
    if hasattr(kind, "__len__") and kind.__module__ == target_module:
        readers["len()"] = None
    state = {}
    for name in list(readers)[:MAX_STATE_ATTRIBUTES]:
        try:
            if name == "len()":
                value = len(receiver)
            elif name in attributes:
                value = attributes[name]
            else:
                value = getattr(receiver, name)
            if _too_long(value):
                continue  # rendered before and after every call: a big table would cost much
            described = describe_value(value, target_module, namespace)
        except CallTimeout:
            raise
        except Exception:  # noqa: BLE001, S112 - a user property, __eq__ or __len__ may raise
            continue
        if described.get("kind") in ("exact", "approx"):
            state[name] = described
    return state


def _equal_arguments(result, call: dict, namespace: dict) -> list[int]:
    """Positions of the positional arguments that the result equals (fresh copies)."""
    if result is None or isinstance(result, bool):
        return []
    equal = []
    for index, source in enumerate(call["args"]):
        try:
            again = eval(source, namespace)  # noqa: S307
            if type(again) is type(result) and again == result:
                equal.append(index)
        except Exception:  # noqa: BLE001, S112 - comparison is best effort
            continue
    return equal


def mode_calls(spec: dict, out, report: dict) -> None:
    """Import the module (bounded in time), then run and record every call in order."""
    cov = make_coverage()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, spec["import_timeout"])
    try:
        module = import_target(spec)
    except CallTimeout:
        write(
            out,
            {
                "event": "import_error",
                "type": "TimeoutError",
                "message": f"importing took longer than {spec['import_timeout']} s",
            },
        )
        return
    except BaseException as error:  # noqa: BLE001 - reported to the user as is
        write(
            out,
            {
                "event": "import_error",
                "type": type(error).__name__,
                "message": str(error)[:MESSAGE_LIMIT],
            },
        )
        return
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    write(out, {"event": "ready", "isolation": report, "coverage": cov is not None})
    TEMP_FOLDER[0] = os.path.abspath(tempfile.gettempdir())
    sys.addaudithook(watch_writes)
    run_batch(spec, module, cov, out)


def run_batch(spec: dict, module, cov, out) -> None:
    """Every call in order; calls on a variant (``module_file``) run on that copy, uncovered.

    After a variant hung (timed out) once, its other calls are skipped: one hang already tells it
    apart, and each further hang would cost a full timeout. When the first
    ``HANGS_BEFORE_GIVING_UP`` calls on the module itself all time out, its remaining calls are
    skipped too (with a ``detail`` saying why). Past the spec's ``stop_at`` (wall clock, set by
    the parent), the remaining calls are skipped as well.
    """
    variants: dict[str, object] = {}
    hung: set[str] = set()
    stop_at = spec.get("stop_at")
    hangs, finished = 0, False  # the module's calls: time-outs in a row, any that ended
    for call in spec["calls"]:
        path = call.get("module_file")
        if (stop_at is not None and time.time() > stop_at) or (path and path in hung):
            write(out, {"event": "call", "id": call["id"], "status": "skipped"})
            continue
        if not path and hangs >= HANGS_BEFORE_GIVING_UP and not finished:
            detail = f"the first {hangs} calls all timed out"
            write(out, {"event": "call", "id": call["id"], "status": "skipped", "detail": detail})
            continue
        if not path:
            record = run_one(call, module, cov, spec["call_timeout"])
            hangs = hangs + 1 if record["status"] == "timeout" else 0
            finished = finished or record["status"] != "timeout"
            write(out, record)
            continue
        if path not in variants:
            signal.setitimer(signal.ITIMER_REAL, spec["import_timeout"])
            try:
                variants[path] = load_variant(module.__name__, path)
            except BaseException as error:  # noqa: BLE001 - a broken variant is a result
                variants[path] = error
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        variant = variants[path]
        if isinstance(variant, BaseException):
            record = {"event": "call", "id": call["id"], "status": "setup_error"}
            record["exception"] = describe_exception(variant, module.__name__)
            write(out, record)
            continue
        record = run_one(call, variant, None, spec["call_timeout"])
        if record["status"] == "timeout":
            hung.add(path)
        write(out, record)


def mode_pytest(spec: dict, out, report: dict) -> None:
    """Run pytest under coverage; record each test's outcome and the coverage report."""
    import pytest

    for path in reversed(spec["sys_path"]):
        sys.path.insert(0, path)
    outcomes: dict[str, str] = {}

    class Collector:
        """Streams each test's start and outcome, so a run that dies keeps what it learnt.

        A test that hangs or ends the process (it closed a stream pytest writes to, called
        ``os._exit``) is then the one started last with no outcome.
        """

        def pytest_runtest_logstart(self, nodeid, location):
            write(out, {"event": "test_started", "nodeid": nodeid})

        def pytest_runtest_logreport(self, report):
            first_problem = outcomes.get(report.nodeid) in (None, "passed")
            if (report.when == "call" or report.outcome != "passed") and first_problem:
                outcomes[report.nodeid] = report.outcome
                write(out, {"event": "test", "nodeid": report.nodeid, "outcome": report.outcome})

    # Marks the start for the parent's stall watch: pytest's own start-up is not the import.
    write(out, {"event": "pytest_started"})
    cov = make_coverage()
    if cov is not None:
        cov.start()
    try:
        code = pytest.main(spec["pytest_args"], plugins=[Collector()])
    finally:
        if cov is not None:
            cov.stop()
    covered = False
    if cov is not None and spec.get("coverage_json"):
        try:
            cov.json_report(outfile=spec["coverage_json"])
            covered = True
        except Exception:  # noqa: BLE001 - "no data" when nothing ran; reported as no coverage
            covered = False
    write(
        out,
        {
            "event": "pytest",
            "exit_code": int(code),
            "outcomes": outcomes,
            "isolation": report,
            "coverage": covered,
        },
    )


def write(out, record: dict) -> None:
    """One JSON line, flushed: the process may die right after."""
    out.write(json.dumps(record, default=repr) + "\n")
    out.flush()


def main() -> None:
    """Read the spec, confine the process, run the mode, exit without teardown."""
    global TARGET_FILE, RAISE_LINES
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    TARGET_FILE = os.path.realpath(spec["module_file"])
    RAISE_LINES = raise_lines(TARGET_FILE)
    out = open(spec["results_path"], "a", encoding="utf-8")  # noqa: SIM115 - lives until exit
    report = apply_limits(spec["limits"])
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115
    limit = spec.get("output_limit", 65536)
    sys.stdout = BoundedWriter(limit)
    sys.stderr = BoundedWriter(limit)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    if spec["mode"] == "calls":
        mode_calls(spec, out, report)
    else:
        mode_pytest(spec, out, report)
    out.close()
    # Skip interpreter teardown: user atexit hooks and __del__ methods have nothing to add.
    os._exit(0)


if __name__ == "__main__":
    main()
