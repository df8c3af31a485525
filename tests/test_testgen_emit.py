import subprocess
import sys

import pytest

from codegpt.server.testgen.emit import (
    ExistingFileError,
    Insertion,
    TestCase,
    extend_file,
    render_file,
)

CLAMP = TestCase(
    "test_clamp_of_5_0_10_returns_value",
    ("assert clamp(5, 0, 10) == 5",),
    frozenset({("from", "mathutils", "clamp")}),
    "clamp",
)
RAISES = TestCase(
    "test_clamp_raises_value_error",
    ("with pytest.raises(ValueError):", "    clamp(3, 10, 0)"),
    frozenset({("from", "mathutils", "clamp"), ("import", "pytest", None)}),
    "clamp",
)


def test_new_file_is_deterministic_and_ordered():
    first = render_file([CLAMP, RAISES], "mathutils", None)
    assert first == render_file([CLAMP, RAISES], "mathutils", None)
    assert "import pytest\n\nfrom mathutils import clamp\n" in first
    assert first.index("def test_clamp_of_5") < first.index("def test_clamp_raises")
    compile(first, "generated", "exec")


def test_path_insert_comes_before_the_module_import():
    text = render_file([CLAMP], "mathutils", "Path(__file__).resolve().parents[1]")
    assert text.index("sys.path.insert(0, str(Path(__file__).resolve().parents[1]))") < (
        text.index("from mathutils import clamp  # noqa: E402")
    )
    assert "import sys\nfrom pathlib import Path\n" in text


EXISTING = '''"""My tests."""

from mathutils import is_prime


def test_clamp_raises_value_error():
    assert is_prime(7)


def test_clamp_of_5_0_10_returns_value():
    assert clamp(5, 0, 10) == 5
'''


def test_extending_keeps_everything_renames_clashes_and_skips_duplicates():
    edit = extend_file(EXISTING, [CLAMP, RAISES], "mathutils", None)
    for line in EXISTING.splitlines():
        assert line in edit.text.splitlines()
    assert edit.skipped_duplicates == ("test_clamp_of_5_0_10_returns_value",)
    assert edit.added == ("test_clamp_raises_value_error_2",)
    assert "def test_clamp_raises_value_error_2():" in edit.text
    assert "import pytest\n" in edit.text
    assert "from mathutils import clamp\n" in edit.text
    compile(edit.text, "extended", "exec")


def test_insertions_reproduce_the_text():
    edit = extend_file(EXISTING, [RAISES], "mathutils", None)
    lines = EXISTING.splitlines(keepends=True)
    for insertion in sorted(edit.insertions, key=lambda i: i.line, reverse=True):
        assert isinstance(insertion, Insertion)
        lines.insert(insertion.line, insertion.text)
    assert "".join(lines) == edit.text


def test_broken_existing_file_is_not_touched():
    with pytest.raises(ExistingFileError, match="does not parse"):
        extend_file("def broken(:\n", [CLAMP], "mathutils", None)


def test_extended_file_runs(tmp_path):
    (tmp_path / "mathutils.py").write_text(
        "def clamp(v, lo, hi):\n    if lo > hi:\n        raise ValueError('bad')\n"
        "    return max(lo, min(v, hi))\n\ndef is_prime(n):\n    return n in (2, 3, 5, 7)\n"
    )
    (tmp_path / "test_m.py").write_text(
        extend_file(EXISTING, [CLAMP, RAISES], "mathutils", None).text
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "test_m.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "3 passed" in result.stdout, result.stdout
