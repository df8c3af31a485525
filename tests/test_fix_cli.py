"""``codegpt fix``: every mode and exit code, bad input, and atomic writes under stress."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codegpt.main import main
from codegpt.server.repair.atomic_write import PAUSE_ENV, TEMP_SUFFIX

BROKEN = "def f(x)\n    retrun x\n"
FIXED = "def f(x):\n    return x\n"
CLEAN = "x = 1\n"


def run_cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["fix", "--no-model", *args])
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def leftovers(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(TEMP_SUFFIX)]


def test_write_is_the_default_keeps_permissions_and_says_so(tmp_path, capsys) -> None:
    path = write(tmp_path / "a.py", BROKEN)
    path.chmod(0o640)
    code, out, err = run_cli(str(path), capsys=capsys)
    assert code == 0
    assert path.read_text() == FIXED
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert out == ""
    assert "insert ':'" in err and "replace 'retrun' with 'return'" in err
    assert err.strip().endswith("Fixed 2 errors in 1 file.")
    assert leftovers(tmp_path) == []


def test_check_writes_nothing_and_exits_1_when_something_would_change(tmp_path, capsys) -> None:
    broken = write(tmp_path / "a.py", BROKEN)
    clean = write(tmp_path / "b.py", CLEAN)
    code, out, err = run_cli("--check", str(broken), str(clean), capsys=capsys)
    assert code == 1
    assert broken.read_text() == BROKEN
    assert "Would fix 2 errors in 1 file." in err
    code, out, err = run_cli("--check", str(clean), capsys=capsys)
    assert code == 0
    assert "No syntax errors in 1 file." in err


def test_diff_prints_a_unified_diff_and_writes_nothing(tmp_path, capsys) -> None:
    path = write(tmp_path / "a.py", BROKEN)
    code, out, err = run_cli("--diff", str(path), capsys=capsys)
    assert code == 1
    assert path.read_text() == BROKEN
    assert out.startswith(f"--- {path}\n+++ {path}\n")
    assert "-def f(x)\n" in out and "+def f(x):\n" in out and "+    return x\n" in out
    code, out, _ = run_cli("--diff", str(write(tmp_path / "b.py", CLEAN)), capsys=capsys)
    assert code == 0 and out == ""


def test_stdout_prints_the_fixed_content_of_one_file(tmp_path, capsys) -> None:
    path = write(tmp_path / "a.py", BROKEN)
    code, out, _ = run_cli("--stdout", str(path), capsys=capsys)
    assert code == 0
    assert out == FIXED
    assert path.read_text() == BROKEN
    code, _, err = run_cli("--stdout", str(path), str(path), capsys=capsys)
    assert code == 2 and "exactly one" in err


def test_stdin_dash_prints_the_fix() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "codegpt", "fix", "--no-model", "-"],
        input=BROKEN, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == FIXED
    assert "Fixed 2 errors in 1 file." in result.stderr


def test_unfixable_file_exits_1_and_is_left_alone(tmp_path, capsys) -> None:
    text = "".join(f"def f{i}(x)\n    return x\n" for i in range(50))
    path = write(tmp_path / "many.py", text)
    code, _, err = run_cli("--time-budget", "20", str(path), capsys=capsys)
    assert code == 1
    assert path.read_text() == text
    assert "could not be fixed" in err
    assert "Nothing fixed (1 file could not be fixed)." in err


def test_folders_recurse_and_skip_ignored_things(tmp_path, capsys) -> None:
    write(tmp_path / "pkg" / "a.py", BROKEN)
    write(tmp_path / "pkg" / "sub" / "b.py", BROKEN)
    write(tmp_path / "pkg" / "notes.txt", "def f(x)\n")
    write(tmp_path / ".venv" / "lib.py", BROKEN)
    write(tmp_path / "__pycache__" / "c.py", BROKEN)
    write(tmp_path / "build" / "gen.py", BROKEN)
    write(tmp_path / "skipme.py", BROKEN)
    write(tmp_path / ".gitignore", "build/\nskip*.py\n")
    outside = write(tmp_path.parent / f"{tmp_path.name}-outside.py", BROKEN)
    (tmp_path / "link.py").symlink_to(outside)
    code, _, err = run_cli("--check", str(tmp_path), capsys=capsys)
    assert code == 1
    assert "Would fix 4 errors in 2 files." in err
    for name in ("a.py", "b.py"):
        assert name in err
    for name in ("lib.py", "c.py", "gen.py", "skipme.py", "link.py", "notes.txt"):
        assert name not in err


def test_folders_inside_git_use_git_check_ignore(tmp_path, capsys) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=30)
    write(tmp_path / ".gitignore", "generated/\n")
    write(tmp_path / ".git" / "info" / "exclude", "private.py\n")
    write(tmp_path / "src" / "a.py", BROKEN)
    write(tmp_path / "generated" / "g.py", BROKEN)
    write(tmp_path / "private.py", BROKEN)
    code, _, err = run_cli("--check", str(tmp_path), capsys=capsys)
    assert code == 1
    assert "Would fix 2 errors in 1 file." in err
    assert "g.py" not in err and "private.py" not in err


def test_explicit_symlink_fixes_the_target_and_keeps_the_link(tmp_path, capsys) -> None:
    target = write(tmp_path / "real.py", BROKEN)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    code, _, _ = run_cli(str(link), capsys=capsys)
    assert code == 0
    assert link.is_symlink()
    assert target.read_text() == FIXED


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("latin1.py", "# caf\xe9\nx = 1\n".encode("latin-1"), "not UTF-8"),
        ("image.py", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (
            "notes.txt",
            "Dear team,\nthe meeting (on Monday is moved.\nRegards, me\n",
            "does not look like Python",
        ),
    ],
)
def test_input_that_is_not_python_is_refused_with_exit_2(
    tmp_path, capsys, name, content, message
) -> None:
    path = write(tmp_path / name, content)
    before = path.read_bytes()
    code, _, err = run_cli(str(path), capsys=capsys)
    assert code == 2
    assert message in err
    assert path.read_bytes() == before


def test_empty_file_is_fine(tmp_path, capsys) -> None:
    path = write(tmp_path / "empty.py", "")
    code, _, err = run_cli(str(path), capsys=capsys)
    assert code == 0 and path.read_text() == ""
    assert "No syntax errors in 1 file." in err


def test_missing_path_and_bad_usage_exit_2(tmp_path, capsys) -> None:
    code, _, err = run_cli(str(tmp_path / "nope.py"), capsys=capsys)
    assert code == 2 and "no such file" in err
    code, _, err = run_cli("-", str(tmp_path), capsys=capsys)
    assert code == 2 and "cannot be mixed" in err
    assert main(["fix", "--model", str(tmp_path), str(tmp_path)]) == 2
    assert "cannot load the model" in capsys.readouterr().err


def test_read_only_file_is_not_written(tmp_path, capsys) -> None:
    path = write(tmp_path / "ro.py", BROKEN)
    path.chmod(0o444)
    code, _, err = run_cli(str(path), capsys=capsys)
    assert code == 2
    assert "read-only" in err
    assert path.read_text() == BROKEN
    assert leftovers(tmp_path) == []


def test_help_documents_modes_default_and_exit_codes(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["fix", "--help"])
    out = capsys.readouterr().out
    assert "default: --write" in out
    for line in ("0  nothing to fix", "1  a file could not be fixed", "2  usage error"):
        assert line in out


def _start_paused(path: Path, pause: float) -> subprocess.Popen:
    env = {**os.environ, PAUSE_ENV: str(pause)}
    return subprocess.Popen(
        [sys.executable, "-m", "codegpt", "fix", "--no-model", str(path)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_temp(folder: Path, process: subprocess.Popen, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = leftovers(folder)
        if found:
            return found[0]
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.kill()
    raise AssertionError("the temporary file never appeared")


def test_kill_during_write_leaves_the_original_intact(tmp_path) -> None:
    path = write(tmp_path / "a.py", BROKEN)
    process = _start_paused(path, pause=60)
    temp = _wait_for_temp(tmp_path, process)
    assert temp.read_text() == FIXED  # fully written and fsynced, not yet in place
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert path.read_text() == BROKEN


def test_file_changed_while_fixing_is_not_overwritten(tmp_path) -> None:
    path = write(tmp_path / "a.py", BROKEN)
    process = _start_paused(path, pause=2)
    _wait_for_temp(tmp_path, process)
    path.write_text("# edited meanwhile\n" + BROKEN)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "changed on disk while being fixed; not written" in err
    assert path.read_text() == "# edited meanwhile\n" + BROKEN
    assert leftovers(tmp_path) == []
