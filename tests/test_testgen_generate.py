"""The whole pipeline in process, as the editor calls it."""

import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.sandbox import Cancelled

DATA = Path(__file__).parent / "data" / "testgen"
PYTEST = Path(sys.executable).with_name("pytest")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    shutil.copy(DATA / "mathutils.py", root / "mathutils.py")
    return root


@pytest.fixture(scope="module")
def clamp_result(project):
    steps = []
    result = generate_tests(
        project / "mathutils.py",
        "clamp",
        TestGenOptions(),
        progress=lambda message, fraction: steps.append((message, fraction)),
    )
    result.steps = steps
    return result


def test_clamp_tests_cover_every_line_and_branch(clamp_result):
    report = clamp_result.functions[0]
    assert report.qualname == "clamp" and report.skipped is None
    assert 2 <= report.tests_kept <= 8
    assert report.coverage.lines == 1.0 and report.coverage.branches == 1.0
    text = clamp_result.text
    assert "def test_clamp_of_5_0_10_returns_value():" in text
    assert "with pytest.raises(ValueError, match='lower must not exceed upper'):" in text
    assert clamp_result.steps[-1] == ("done", 1.0)


def test_same_input_gives_the_same_file(project, clamp_result):
    again = generate_tests(project / "mathutils.py", "clamp", TestGenOptions(verify=False))
    assert again.text == clamp_result.text


def test_written_file_passes_plain_pytest_from_the_project_root(project, clamp_result):
    assert clamp_result.test_path == project / "tests" / "test_mathutils.py"
    clamp_result.test_path.parent.mkdir(exist_ok=True)
    clamp_result.test_path.write_text(clamp_result.text)
    run = subprocess.run(
        [str(PYTEST), "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{clamp_result.functions[0].tests_kept} passed" in run.stdout


def test_cancel_stops_generation(project):
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        generate_tests(project / "mathutils.py", None, TestGenOptions(), cancel=cancel)


def test_hostile_functions_are_reported_not_tested(tmp_path):
    shutil.copy(DATA / "unsafe" / "hostile.py", tmp_path / "hostile.py")
    result = generate_tests(
        tmp_path / "hostile.py",
        "loop_forever",
        TestGenOptions(timeout=0.5, max_proposals=3, verify=False),
    )
    report = result.functions[0]
    assert report.tests_kept == 0
    assert report.skipped.startswith("no usable call (timeout")
    assert any("timed out" in problem for problem in report.problems)


def test_a_function_that_always_hangs_costs_three_timeouts_not_one_per_call(tmp_path):
    shutil.copy(DATA / "unsafe" / "hostile.py", tmp_path / "hostile.py")
    started = time.monotonic()
    result = generate_tests(
        tmp_path / "hostile.py", "loop_forever", TestGenOptions(timeout=0.5, verify=False)
    )
    report = result.functions[0]
    assert report.tests_kept == 0 and report.calls_run > 3
    assert report.problems[0].endswith("calls not run: the first 3 calls all timed out")
    assert time.monotonic() - started < 0.5 * report.calls_run


def test_a_conditional_expression_gets_a_test_for_each_side(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    path = tmp_path / "pick.py"
    path.write_text(
        'def larger(a, b):\n    """Return the larger of a and b."""\n    return a if a > b else b\n'
    )
    result = generate_tests(path, "larger", TestGenOptions(verify=False, max_tests=3))
    calls = re.findall(r"assert larger\((-?\d+), (-?\d+)\) == (-?\d+)", result.text)
    assert any(int(a) > int(b) for a, b, _ in calls), result.text
    assert any(int(a) < int(b) for a, b, _ in calls), result.text


def test_missing_dependency_is_reported(tmp_path):
    shutil.copy(DATA / "unsafe" / "missing_dependency.py", tmp_path / "missing_dependency.py")
    result = generate_tests(tmp_path / "missing_dependency.py", None, TestGenOptions())
    assert result.cases == []
    assert result.functions[0].skipped == (
        "cannot import missing_dependency: "
        "ModuleNotFoundError: No module named 'codegpt_no_such_module'"
    )
