"""Child process of bench_testgen.py: run one test file against a module and its mutants.

Runs each test function directly (no pytest start-up per mutant: a benchmark with hundreds of
mutants would spend most of its time starting pytest) with pytest's verdict rules for what our
two tools emit: a test passes when it returns, and a test marked ``xfail(strict=True)`` (Pynguin
marks tests that end in an exception so) passes when it raises. The two fixtures our tests of
file writers take, ``tmp_path`` and ``monkeypatch``, are pytest's own, made fresh per test;
``capsys`` (tests of what a function prints) is a small stand-in. The
suite passes when every test does; a mutant is killed when the suite fails on it. The original
runs first, under coverage.

    python mutation_child.py SPEC.json   (writes one JSON line per version to SPEC's results)
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import json
import os
import resource
import signal
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace


class TestTimeout(BaseException):
    """One test ran past its time (a mutant that loops)."""


def _alarm(_signum, _frame):
    raise TestTimeout


def _is_xfail(function) -> bool:
    marks = getattr(function, "pytestmark", [])
    return any(getattr(mark, "name", "") == "xfail" for mark in marks)


def _fresh_tests(spec: dict, folder: str):
    for name in (spec["module"], spec["test_module"]):
        sys.modules.pop(name, None)
    sys.path[:] = [folder, *(p for p in sys.path if p != folder)]
    loader = importlib.util.spec_from_file_location(spec["test_module"], spec["test_file"])
    module = importlib.util.module_from_spec(loader)
    sys.modules[spec["test_module"]] = module
    loader.loader.exec_module(module)
    return [(n, f) for n, f in vars(module).items() if n.startswith("test") and callable(f)]


def _fixtures(function) -> tuple[dict, list]:
    """The fixtures the test takes, and what undoes them afterwards."""
    wanted = inspect.signature(function).parameters
    values: dict = {}
    undo: list = []
    if "tmp_path" in wanted:
        values["tmp_path"] = Path(tempfile.mkdtemp(prefix="bench-testgen-"))
    if "monkeypatch" in wanted:
        import pytest

        patch = pytest.MonkeyPatch()
        values["monkeypatch"] = patch
        undo.append(patch.undo)
    if "capsys" in wanted:
        capture = _Capture()
        values["capsys"] = capture
        undo.append(capture.undo)
    return values, undo


class _Capture:
    """``capsys`` as our tests use it: ``readouterr()`` gives what was printed since the last."""

    def __init__(self) -> None:
        self.saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = io.StringIO(), io.StringIO()

    def readouterr(self) -> SimpleNamespace:
        out, err = sys.stdout.getvalue(), sys.stderr.getvalue()
        sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
        return SimpleNamespace(out=out, err=err)

    def undo(self) -> None:
        sys.stdout, sys.stderr = self.saved


def _verdicts(spec: dict, folder: str) -> dict[str, str]:
    try:
        tests = _fresh_tests(spec, folder)
    except BaseException as error:  # noqa: BLE001 - a mutant that breaks the import is killed
        return {"<import>": f"error:{type(error).__name__}"}
    verdicts = {}
    for name, function in tests:
        signal.setitimer(signal.ITIMER_REAL, spec["test_timeout"])
        undo: list = []
        try:
            fixtures, undo = _fixtures(function)
            function(**fixtures)
            raised = None
        except BaseException as error:  # noqa: BLE001 - any failure is a verdict
            raised = type(error).__name__
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            for step in undo:
                step()
        if _is_xfail(function):
            verdicts[name] = "xfailed" if raised else "xpassed-strict"
        else:
            verdicts[name] = "passed" if raised is None else f"failed:{raised}"
    return verdicts


def main() -> None:
    """Original first (under coverage), then each mutant folder; one result line each."""
    with open(sys.argv[1], encoding="utf-8") as handle:
        spec = json.load(handle)
    memory = spec.get("memory_bytes", 1 << 30)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    signal.signal(signal.SIGALRM, _alarm)
    out = open(spec["results"], "a", encoding="utf-8")  # noqa: SIM115 - lives until exit
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - tests may print
    for index, folder in spec["versions"]:
        if index == 0 and spec.get("coverage_json"):
            import coverage

            cov = coverage.Coverage(branch=True, include=[spec["original_file"]], data_file=None)
            cov.start()
            verdicts = _verdicts(spec, folder)
            cov.stop()
            # "No data" when nothing of the module ran: then there is no report.
            with contextlib.suppress(Exception):
                cov.json_report(outfile=spec["coverage_json"])
        else:
            verdicts = _verdicts(spec, folder)
        out.write(json.dumps({"index": index, "verdicts": verdicts}) + "\n")
        out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
