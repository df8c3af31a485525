"""``codegpt tests`` as a user runs it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "testgen"
PYTEST = Path(sys.executable).with_name("pytest")
HAND_WRITTEN = '''"""Tests I wrote myself."""

from mathutils import grade


def test_grade_of_95_is_a():
    assert grade(95) == "A"
'''


def codegpt(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "codegpt", "tests", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    shutil.copy(DATA / "mathutils.py", tmp_path / "mathutils.py")
    return tmp_path


def plain_pytest(project):
    return subprocess.run(
        [str(PYTEST), "-q", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_stdout_prints_the_file_and_a_summary(project):
    run = codegpt("mathutils.py", "--function", "is_prime", "--stdout", cwd=project)
    assert run.returncode == 0, run.stderr
    assert "def test_is_prime_of_7_returns_true():" in run.stdout
    assert "1 functions," in run.stderr and "tests kept" in run.stderr
    assert not (project / "tests").exists()


def test_write_creates_a_new_file_that_passes(project):
    target = project / "tests" / "test_grading.py"
    run = codegpt("mathutils.py", "--function", "grade", "--write", str(target), cwd=project)
    assert run.returncode == 0, run.stderr
    assert "def test_grade_of_90_returns_a():" in target.read_text()
    result = plain_pytest(project)
    assert result.returncode == 0, result.stdout


def test_default_write_extends_an_existing_file(project):
    existing = project / "tests" / "test_mathutils.py"
    existing.parent.mkdir()
    existing.write_text(HAND_WRITTEN)
    run = codegpt("mathutils.py", "--function", "grade", "--max-tests", "3", cwd=project)
    assert run.returncode == 0, run.stderr
    assert "extended" in run.stderr
    text = existing.read_text()
    assert text.startswith(HAND_WRITTEN.split("from mathutils")[0])
    assert "def test_grade_of_95_is_a():" in text
    assert text.count("def test_") == 4
    result = plain_pytest(project)
    assert result.returncode == 0 and "4 passed" in result.stdout, result.stdout


def test_usage_errors_exit_2(project):
    (project / "notes.txt").write_text("hello")
    (project / "latin.py").write_bytes(b"x = '\xe9'\n")
    for args, message in (
        (["missing.py"], "no such file"),
        (["notes.txt"], "not a Python file"),
        (["latin.py"], "not UTF-8"),
        (["mathutils.py", "--function", "nope"], "no function 'nope'"),
    ):
        run = codegpt(*args, "--stdout", cwd=project)
        assert run.returncode == 2, (args, run.stderr)
        assert message in run.stderr


def test_no_test_for_a_function_exits_1(tmp_path):
    shutil.copy(DATA / "unsafe" / "missing_dependency.py", tmp_path / "missing_dependency.py")
    run = codegpt("missing_dependency.py", "--stdout", cwd=tmp_path)
    assert run.returncode == 1
    assert "No module named 'codegpt_no_such_module'" in run.stderr
