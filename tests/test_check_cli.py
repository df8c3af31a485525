"""``codegpt check``: problems on stdout, exit 0/1/2, clear errors for unreadable files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).parents[1] / "server" / "examples" / "broken.py"


def check(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegpt", "check", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_clean_file_exits_zero_silently(tmp_path: Path):
    clean = tmp_path / "clean.py"
    clean.write_text("def f():\n    return 1\n", encoding="utf-8")
    result = check(clean)
    assert (result.returncode, result.stdout) == (0, "")


def test_bundled_example_reports_each_error_as_path_line_col(tmp_path: Path):
    result = check(EXAMPLE)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{EXAMPLE}:13:39: expected ':'",
        f"{EXAMPLE}:25:17: '(' was never closed",
        f"{EXAMPLE}:29:40: invalid syntax. Perhaps you forgot a comma?",
    ]


def test_nul_bytes_are_a_problem_not_a_crash(tmp_path: Path):
    nul = tmp_path / "nul.py"
    nul.write_bytes(b"x = 1\x00\n")
    result = check(nul)
    assert result.returncode == 1
    assert result.stdout == f"{nul}:1:6: source code cannot contain null bytes\n"


def test_invalid_utf8_and_missing_files_exit_two_with_a_clear_message(tmp_path: Path):
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"name = '\xe9'\n")
    result = check(latin, tmp_path / "missing.py")
    assert result.returncode == 2
    assert f"{latin} is not UTF-8 text (invalid byte 0xe9 at offset 8)" in result.stderr
    assert "cannot read" in result.stderr and "missing.py" in result.stderr
    assert "Traceback" not in result.stderr


def test_utf8_bom_is_accepted(tmp_path: Path):
    bom = tmp_path / "bom.py"
    bom.write_bytes(b"\xef\xbb\xbfx = 1\n")
    assert check(bom).returncode == 0


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path):
    """``codegpt check src/ | head -1``: no traceback, the exit status a shell gives cat."""
    files = []
    for index in range(200):
        broken = tmp_path / f"broken_{index}.py"
        broken.write_text("def f(:\n    pass\n", encoding="utf-8")
        files.append(str(broken))
    process = subprocess.Popen(
        [sys.executable, "-m", "codegpt", "check", *files],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # before the interpreter has started: every write fails
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141, stderr
    assert stderr == ""
