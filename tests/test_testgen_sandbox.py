"""Safety: misbehaving user code is contained, reported, and never touches the outside."""

import os
import shutil
import time
from pathlib import Path

import pytest

from codegpt.server.testgen.emit import TestCase
from codegpt.server.testgen.layout import locate
from codegpt.server.testgen.sandbox import CallSpec, Sandbox, SandboxLimits
from codegpt.server.testgen.verify import verify

DATA = Path(__file__).parent / "data" / "testgen" / "unsafe"


@pytest.fixture
def hostile(tmp_path):
    """A private copy of hostile.py next to a sentinel file that must survive."""
    shutil.copy(DATA / "hostile.py", tmp_path / "hostile.py")
    (tmp_path / "sentinel.txt").write_text("keep me")
    return tmp_path


def run(folder, *names, **limits):
    with Sandbox(SandboxLimits(**limits)) as sandbox:
        calls = [CallSpec(i, name) for i, name in enumerate(names)]
        started = time.monotonic()
        result = sandbox.run_calls(folder / "hostile.py", "hostile", [str(folder)], calls)
        result.elapsed = time.monotonic() - started
        root = sandbox.root
    assert not root.exists(), "the sandbox folder must be removed"
    return result


def test_infinite_loop_times_out_and_later_calls_still_run(hostile):
    with Sandbox(SandboxLimits(call_timeout=0.5)) as sandbox:
        calls = [CallSpec(0, "loop_forever", ("1",)), CallSpec(1, "delete_everything")]
        result = sandbox.run_calls(hostile / "hostile.py", "hostile", [str(hostile)], calls)
    assert result.outcomes[0].status == "timeout"
    assert result.outcomes[1].status == "returned"


def test_a_function_that_hangs_on_every_call_is_given_up_after_three(hostile):
    with Sandbox(SandboxLimits(call_timeout=0.3)) as sandbox:
        calls = [CallSpec(i, "loop_forever", (str(i),)) for i in range(8)]
        started = time.monotonic()
        result = sandbox.run_calls(hostile / "hostile.py", "hostile", [str(hostile)], calls)
        elapsed = time.monotonic() - started
    statuses = [result.outcomes[i].status for i in range(8)]
    assert statuses == ["timeout"] * 3 + ["skipped"] * 5
    assert result.outcomes[7].detail == "the first 3 calls all timed out"
    assert elapsed < 8 * 0.3, "the skipped calls cost no timeout"


def test_hangs_after_a_call_returned_do_not_stop_the_batch(hostile):
    names = ["delete_everything"] + ["loop_forever"] * 4 + ["delete_everything"]
    with Sandbox(SandboxLimits(call_timeout=0.3)) as sandbox:
        calls = [CallSpec(i, name, ("1",) if name == "loop_forever" else ()) for i, name in
                 enumerate(names)]  # fmt: skip
        result = sandbox.run_calls(hostile / "hostile.py", "hostile", [str(hostile)], calls)
    statuses = [result.outcomes[i].status for i in range(6)]
    assert statuses == ["returned"] + ["timeout"] * 4 + ["returned"]


def test_fork_is_contained(hostile):
    result = run(hostile, "fork_bomb")
    outcome = result.outcomes[0]
    assert outcome.status == "raised"
    assert "process" in outcome.touched
    assert "starting processes is blocked" in outcome.exception["message"]
    assert result.isolation["processes"] in ("guard", "rlimit+guard")


def test_unbounded_allocation_hits_the_memory_limit(hostile):
    result = run(hostile, "allocate_forever", call_timeout=20.0, memory_mb=512)
    assert result.outcomes[0].status == "memory"
    assert result.elapsed < 30


@pytest.mark.parametrize("name", ["print_gigabytes", "spew_to_descriptor"])
def test_gigabytes_of_output_are_bounded(hostile, name):
    result = run(hostile, name, call_timeout=20.0, output_bytes=4096)
    assert result.outcomes[0].status in ("returned", "timeout")
    assert len(result.output) <= 4096
    assert result.elapsed < 40


def test_deleting_files_only_touches_the_sandbox(hostile, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(hostile, "delete_everything")
    assert result.outcomes[0].status == "returned"
    assert (hostile / "sentinel.txt").read_text() == "keep me"
    assert (hostile / "hostile.py").exists()


def test_descriptors_the_call_did_not_open_are_refused(hostile):
    # read_hosts(1) would close the runner's stdout (pytest's, in the generated test).
    result = run(hostile, "close_stdout", "own_descriptor", "close_stdout")
    first, own, again = (result.outcomes[i] for i in range(3))
    assert first.status == "raised" and "descriptor" in first.touched
    assert "file descriptor 1" in (first.exception or {}).get("message", "")
    assert own.status == "returned" and not own.touched
    assert again.status == "raised" and "descriptor" in again.touched  # stdout still open


def test_network_is_blocked_and_the_mode_reported(hostile):
    result = run(hostile, "connect_out")
    outcome = result.outcomes[0]
    assert outcome.status == "raised" and "network" in outcome.touched
    assert result.isolation["network"] in ("namespace", "guard")


def test_missing_module_is_reported_clearly(tmp_path):
    shutil.copy(DATA / "missing_dependency.py", tmp_path / "missing_dependency.py")
    with Sandbox() as sandbox:
        result = sandbox.run_calls(
            tmp_path / "missing_dependency.py",
            "missing_dependency",
            [str(tmp_path)],
            [CallSpec(0, "double", ("1",))],
        )
    assert result.import_error == ("ModuleNotFoundError: No module named 'codegpt_no_such_module'")
    assert result.outcomes == {}


def test_environment_is_private(tmp_path):
    (tmp_path / "envprobe.py").write_text(
        "import os\n\ndef where():\n    return [os.getcwd(), os.environ['HOME']]\n"
    )
    with Sandbox() as sandbox:
        result = sandbox.run_calls(
            tmp_path / "envprobe.py", "envprobe", [str(tmp_path)], [CallSpec(0, "where")]
        )
        root = str(sandbox.root)
    cwd, home = eval(result.outcomes[0].value["source"])
    assert cwd.startswith(root) and home.startswith(root)
    assert os.getcwd() != cwd


def _case(name: str, *lines: str) -> TestCase:
    imports = frozenset({("import", "os", None), ("from", "hostile", "own_descriptor")})
    return TestCase(name, lines, imports, "own_descriptor")


def test_a_test_that_ends_or_hangs_pytest_costs_only_itself(hostile):
    """Before, a test that ended pytest's process left every test "not run": all were lost."""
    cases = [
        _case("test_first_passes", "assert own_descriptor() == 'written'"),
        _case("test_ends_the_run", "os._exit(3)"),
        _case("test_fails", "assert own_descriptor() == 'read'"),
        _case("test_hangs", "while True:", "    pass"),
        _case("test_last_passes", "assert os.path.exists('own.txt') or True"),
    ]
    location = locate(hostile / "hostile.py")
    with Sandbox(SandboxLimits(call_timeout=1.0)) as sandbox:
        verification = verify(sandbox, cases, location, repr(str(hostile)))
    assert [c.name for c in verification.kept] == ["test_first_passes", "test_last_passes"]
    assert verification.dropped["test_ends_the_run"].startswith("ended the pytest run")
    assert verification.dropped["test_hangs"].startswith("timed out")
    assert verification.dropped["test_fails"].startswith("failed")
    assert verification.coverage["own_descriptor"].lines == 1.0
