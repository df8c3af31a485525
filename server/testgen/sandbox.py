"""Run user code in a confined subprocess: calls with coverage, or pytest on a generated file.

The parent side of ``runner_child.py``. Each batch gets a new process in its own session (so
the whole process group can be killed), a temporary working directory, HOME and TMPDIR, a fixed
hash seed, a controlled environment, and stdout/stderr drained through pipes of which only the
first bytes are kept. The child limits itself (see ``runner_child``); here we watch it: when it
stops making progress for longer than a call may take, or is cancelled, the group is killed and
the next batch starts after the call that did not finish.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

RUNNER = Path(__file__).with_name("runner_child.py")
POLL_SECONDS = 0.02


class Cancelled(Exception):
    """The caller's cancel event was set; the child has been killed."""


@dataclass(frozen=True)
class SandboxLimits:
    """Limits for one sandboxed process; ``call_timeout`` bounds each call, not the batch."""

    call_timeout: float = 2.0  # seconds of wall clock per call; most unit-sized calls take ms
    import_timeout: float = 10.0  # importing the user's module (and coverage, pytest)
    memory_mb: int = 1024  # RLIMIT_AS: Python + coverage + pytest fit in ~300 MB of address space
    cpu_seconds: int = 120  # RLIMIT_CPU per process, a backstop behind the wall-clock watch
    file_mb: int = 64  # RLIMIT_FSIZE: enough for results and coverage, not for a runaway writer
    output_bytes: int = 64 * 1024  # stdout/stderr kept per process; the rest is read and dropped
    isolate_network: bool = True
    python: str | None = None  # interpreter that can import the user's module; default: ours
    max_restarts: int = 8  # crashed or timed-out calls tolerated per batch before giving up


@dataclass
class CallSpec:
    """One call for the child: ``callee`` is evaluated in the module, or ``setup``'s attribute."""

    id: int
    callee: str
    args: tuple[str, ...] = ()
    kwargs: tuple[tuple[str, str], ...] = ()
    setup: str | None = None
    attribute: str | None = None
    prepare: tuple[str, ...] = ()  # statements on ``instance`` (the setup's value) before the call
    materialize: bool = False
    imports: tuple[str, ...] = ()  # modules to import into the namespace the sources see
    module_file: str | None = None  # run on this changed copy of the module (a mutant)
    timeout: float | None = None  # this call's limit, when tighter than the sandbox's

    def to_json(self) -> dict:
        """The form the child reads."""
        return {
            "module_file": self.module_file,
            "timeout": self.timeout,
            "id": self.id,
            "callee": self.callee,
            "args": list(self.args),
            "kwargs": [list(k) for k in self.kwargs],
            "setup": self.setup,
            "attribute": self.attribute,
            "prepare": list(self.prepare),
            "materialize": self.materialize,
            "imports": list(self.imports),
        }


@dataclass
class CallOutcome:
    """What one call did.

    ``status``: returned, raised, timeout, memory, crashed, setup_error, or skipped (not run:
    past the deadline, or given up on, ``detail`` says why).
    """

    id: int
    status: str
    value: dict | None = None
    exception: dict | None = None
    arcs: frozenset[tuple[int, int]] = frozenset()
    seconds: float = 0.0
    touched: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()  # "cwd" and/or "outside": where the call wrote files
    # Files it created or changed in its working directory: (path, text; None when too long).
    files: tuple[tuple[str, str | None], ...] = ()
    equals_argument: tuple[int, ...] = ()
    # A method's receiver after the call: (attribute, description, changed by the call).
    state: tuple[tuple[str, dict, bool], ...] = ()
    detail: str = ""
    #: attributes the call left as they were that other calls of the method change: a test
    #: pins them too (``add_tag`` of a tag already there keeps ``tags``), see selection.py
    kept: tuple[str, ...] = ()
    #: what it printed to stdout and stderr ('' for nothing, None when too long to check)
    output: tuple[str | None, str | None] = ("", "")

    @classmethod
    def from_record(cls, record: dict) -> CallOutcome:
        """From one JSON line written by the child."""
        return cls(
            id=record["id"],
            status=record["status"],
            value=record.get("value"),
            exception=record.get("exception"),
            arcs=frozenset(tuple(a) for a in record.get("arcs", [])),
            seconds=record.get("seconds", 0.0),
            touched=tuple(record.get("touched", [])),
            writes=tuple(record.get("writes", [])),
            files=tuple((path, text) for path, text in record.get("files", [])),
            equals_argument=tuple(record.get("equals_argument", [])),
            state=tuple((name, value, changed) for name, value, changed in record.get("state", [])),
            detail=record.get("detail", ""),
            output=tuple(record.get("output", ("", ""))),  # type: ignore[arg-type]
        )

    @property
    def changes(self) -> tuple[tuple[str, dict], ...]:
        """The receiver's attributes the call changed, with their values after it."""
        return tuple((name, value) for name, value, changed in self.state if changed)

    @property
    def lines(self) -> frozenset[int]:
        """Lines executed (arcs use negative numbers for entry and exit)."""
        return frozenset(line for arc in self.arcs for line in arc if line > 0)


@dataclass
class BatchResult:
    """Outcomes by call id, plus what the sandbox reported about itself."""

    outcomes: dict[int, CallOutcome] = field(default_factory=dict)
    import_error: str | None = None
    isolation: dict = field(default_factory=dict)
    output: bytes = b""
    processes: int = 0


@dataclass
class PytestRun:
    """One pytest run: outcome per test name, exit code, coverage JSON (or None)."""

    outcomes: dict[str, str]
    exit_code: int | None
    coverage: dict | None
    timed_out: bool
    output: bytes
    isolation: dict = field(default_factory=dict)
    #: the test the run ended in, without an outcome (it hung, or ended the process); None
    #: when the run finished or nothing tells which
    stopped_in: str | None = None


@dataclass
class _Process:
    returncode: int | None
    killed_for: str | None
    output: bytes
    records: list[dict]


class Sandbox:
    """A temporary root with work/, home/, tmp/ and io/; use as a context manager."""

    def __init__(
        self, limits: SandboxLimits | None = None, cancel: threading.Event | None = None
    ) -> None:
        self.limits = limits or SandboxLimits()
        self.cancel = cancel
        self.root = Path(tempfile.mkdtemp(prefix="codegpt-testgen-"))
        for name in ("work", "home", "tmp", "io"):
            (self.root / name).mkdir()
        self._launches = 0

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the temporary root and everything user code left in it."""
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def work(self) -> Path:
        """The working directory of the child."""
        return self.root / "work"

    def write_variant(self, key: str, source: str) -> Path:
        """Store a changed copy of the module (a mutant) where the child can load it."""
        folder = self.root / "variants"
        folder.mkdir(exist_ok=True)
        path = folder / f"{key}.py"
        path.write_text(source, encoding="utf-8")
        return path

    # --- calls ---------------------------------------------------------------------------------

    def run_calls(
        self,
        module_file: Path,
        module: str,
        sys_path: Sequence[str],
        calls: Sequence[CallSpec],
        deadline: float | None = None,
    ) -> BatchResult:
        """Run every call; a call that hangs or kills the process is recorded and skipped.

        With ``deadline`` (seconds), calls not started by then come back as ``skipped``.
        """
        result = BatchResult()
        remaining = list(calls)
        restarts = 0
        # Wall clock, not monotonic: the child compares against it in another process.
        stop_at = time.time() + deadline if deadline is not None else None
        while remaining:
            spec = self._spec("calls", module_file, module, sys_path)
            spec["calls"] = [c.to_json() for c in remaining]
            if stop_at is not None:
                spec["stop_at"] = stop_at
            process = self._launch(spec, progress_timeout=self.limits.call_timeout + 1.0)
            result.processes += 1
            result.output = (result.output + process.output)[: self.limits.output_bytes]
            done: set[int] = set()
            for record in process.records:
                if record["event"] == "import_error":
                    result.import_error = f"{record['type']}: {record['message']}"
                    return result
                if record["event"] == "ready":
                    result.isolation = record["isolation"]
                elif record["event"] == "call":
                    outcome = CallOutcome.from_record(record)
                    result.outcomes[outcome.id] = outcome
                    done.add(outcome.id)
            if not any(r["event"] == "ready" for r in process.records):
                result.import_error = _startup_failure(process)
                return result
            left = [c for c in remaining if c.id not in done]
            if not left:
                break
            culprit = left[0]
            result.outcomes[culprit.id] = CallOutcome(
                culprit.id, _crash_status(process), detail=_crash_detail(process, self.limits)
            )
            remaining = left[1:]
            restarts += 1
            if restarts > self.limits.max_restarts:
                for call in remaining:
                    result.outcomes[call.id] = CallOutcome(
                        call.id, "skipped", detail="too many crashed calls"
                    )
                break
        return result

    # --- pytest --------------------------------------------------------------------------------

    def run_pytest(
        self,
        test_file: Path,
        module_file: Path,
        module: str,
        sys_path: Sequence[str],
        hash_seed: int,
        expected_tests: int,
    ) -> PytestRun:
        """Run pytest on ``test_file`` (inside the sandbox) with coverage of ``module_file``."""
        coverage_json = self.root / "io" / f"coverage-{self._launches}.json"
        spec = self._spec("pytest", module_file, module, sys_path)
        spec["coverage_json"] = str(coverage_json)
        spec["pytest_args"] = [
            str(test_file),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-o",
            "addopts=",
            "-o",
            "python_files=test_*.py",
            "--rootdir",
            str(test_file.parent),
            "-c",
            os.devnull,
            "--no-header",
            "-W",
            "ignore::DeprecationWarning",
        ]
        budget = self.limits.import_timeout + 5.0 + self.limits.call_timeout * (expected_tests + 1)
        process = self._launch(spec, progress_timeout=budget, hash_seed=hash_seed)
        record = next((r for r in process.records if r["event"] == "pytest"), None)
        coverage = None
        if record and record.get("coverage") and coverage_json.exists():
            coverage = json.loads(coverage_json.read_text(encoding="utf-8"))
        streamed = {r["nodeid"]: r["outcome"] for r in process.records if r["event"] == "test"}
        started = [r["nodeid"] for r in process.records if r["event"] == "test_started"]
        stopped_in = None
        if record is None and started and started[-1] not in streamed:
            stopped_in = started[-1]
        return PytestRun(
            outcomes=record["outcomes"] if record else streamed,
            exit_code=record["exit_code"] if record else None,
            coverage=coverage,
            timed_out=process.killed_for == "timeout",
            output=process.output,
            isolation=record["isolation"] if record else {},
            stopped_in=stopped_in,
        )

    # --- plumbing ------------------------------------------------------------------------------

    def _spec(self, mode: str, module_file: Path, module: str, sys_path: Sequence[str]) -> dict:
        limits = self.limits
        return {
            "mode": mode,
            "module": module,
            "module_file": str(module_file),
            "sys_path": list(sys_path),
            "call_timeout": limits.call_timeout,
            "import_timeout": limits.import_timeout,
            "output_limit": limits.output_bytes,
            "limits": {
                "memory_bytes": limits.memory_mb * 1024 * 1024,
                "cpu_seconds": limits.cpu_seconds,
                "file_bytes": limits.file_mb * 1024 * 1024,
                "processes": 0,
                "core_bytes": 0,
                "isolate_network": limits.isolate_network,
            },
        }

    def _environment(self, hash_seed: int) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root / "home"),
            "TMPDIR": str(self.root / "tmp"),
            "LANG": "C.UTF-8",
            "PYTHONHASHSEED": str(hash_seed),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "NO_COLOR": "1",
            # Generated tests need pytest alone; third-party plugins (asyncio, hypothesis, ...)
            # only slow the start (seconds on a busy machine) and can change collection.
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        }

    def _launch(self, spec: dict, progress_timeout: float, hash_seed: int = 0) -> _Process:
        """Start the child, watch it, kill its group when it stalls; collect results."""
        self._launches += 1
        results = self.root / "io" / f"results-{self._launches}.jsonl"
        spec_path = self.root / "io" / f"spec-{self._launches}.json"
        spec["results_path"] = str(results)
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        results.touch()
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(exist_ok=True)
        python = self.limits.python or sys.executable
        process = subprocess.Popen(
            [python, "-B", "-P", str(RUNNER), str(spec_path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=self.work,
            env=self._environment(hash_seed),
            start_new_session=True,
        )
        drain = _BoundedDrain(process.stdout, self.limits.output_bytes)
        killed_for = None
        last_size = -1
        last_progress = time.monotonic()
        ready = False
        try:
            while process.poll() is None:
                if self.cancel is not None and self.cancel.is_set():
                    killed_for = "cancel"
                    break
                size = results.stat().st_size
                now = time.monotonic()
                if size != last_size:
                    last_size, last_progress = size, now
                    ready = ready or size > 0
                allowed = progress_timeout if ready else self.limits.import_timeout + 2.0
                if now - last_progress > allowed:
                    killed_for = "timeout"
                    break
                time.sleep(POLL_SECONDS)
        finally:
            _kill_group(process)
            process.wait()
            drain.join()
        if killed_for == "cancel":
            raise Cancelled("test generation was cancelled")
        records = []
        for line in results.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                break  # the last line was cut when the process died
        return _Process(process.returncode, killed_for, drain.data, records)


class _BoundedDrain:
    """Reads a pipe to its end so the child never blocks, keeping only the first bytes."""

    def __init__(self, pipe, limit: int) -> None:
        self.pipe = pipe
        self.limit = limit
        self.data = b""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        kept = bytearray()
        try:
            while chunk := self.pipe.read1(65536):
                if len(kept) < self.limit:
                    kept += chunk[: self.limit - len(kept)]
        except (OSError, ValueError):
            pass
        self.data = bytes(kept)

    def join(self) -> None:
        self.thread.join(timeout=5.0)
        self.pipe.close()


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the child's whole session group: forks that slipped the guard die with it."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _crash_status(process: _Process) -> str:
    if process.killed_for == "timeout":
        return "timeout"
    if process.returncode in (-signal.SIGXCPU,):
        return "timeout"
    if process.returncode in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT):
        return "memory" if process.returncode != -signal.SIGSEGV else "crashed"
    return "crashed"


def _crash_detail(process: _Process, limits: SandboxLimits) -> str:
    if process.killed_for == "timeout":
        return f"no result within {limits.call_timeout:g} s: the process was killed"
    return f"the process ended with status {process.returncode}"


def _startup_failure(process: _Process) -> str:
    tail = process.output.decode("utf-8", errors="replace").strip().splitlines()[-3:]
    why = "timed out" if process.killed_for == "timeout" else f"exited {process.returncode}"
    return f"the sandbox process {why} before importing the module: {' | '.join(tail)}"
