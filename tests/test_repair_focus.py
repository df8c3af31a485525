"""The fixer in a huge file: it searches the definitions around the error, fixes the whole text."""

from __future__ import annotations

import pytest

from codegpt.server.line_index import line_starts
from codegpt.server.repair.fixer import Fixer, FixerOptions
from codegpt.server.repair.focus import focus_region
from codegpt.server.repair.verify import check, compile_error

FUNCTIONS = 1200
BROKEN = 600  # the function each case breaks, mid-file


def module(functions: int = FUNCTIONS) -> str:
    """A long, valid module of small top-level functions (about 260,000 characters)."""
    parts = []
    for i in range(functions):
        parts.append(
            f"def function_{i}(values, limit={i}):\n"
            f'    """Sum the values below {i}."""\n'
            "    total = 0\n"
            "    for value in values:\n"
            "        if value < limit:\n"
            f"            total += abs(value * {i % 7 + 1})\n"
            "    return total\n\n\n"
        )
    return "".join(parts)


def broken(old: str, new: str, function: int = BROKEN) -> tuple[str, str]:
    """(original, broken): ``old`` replaced by ``new`` inside one function."""
    text = module()
    start = text.index(f"def function_{function}(")
    at = text.index(old, start)
    return text, text[:at] + new + text[at + len(old) :]


CASES = {
    "missing_colon": ("    for value in values:\n", "    for value in values\n"),
    "unclosed_paren": ("abs(value * 6)", "abs(value * 6"),
    "stray_bracket": ("    return total\n", "    return total)\n"),
}


def test_the_region_is_whole_definitions_around_the_error() -> None:
    original, text = broken(*CASES["missing_colon"])
    assert len(text) > FixerOptions().focus_min_chars, "the module must be 'huge'"
    status = check(text)
    focus = focus_region(text, status)
    assert focus is not None
    region = text[focus.start : focus.end]
    assert region.startswith("def function_") and region.endswith("\n\n\n")
    assert len(region) < len(text) / 20
    offsets = line_starts(text)
    assert offsets[focus.first_line] == focus.start
    assert status.compile_error is not None and focus.status.compile_error is not None
    assert focus.status.compile_error.lineno + focus.first_line == status.compile_error.lineno
    assert focus.status.compile_error.message == status.compile_error.message


def test_a_boundary_inside_a_string_gives_no_region() -> None:
    """A column-0 ``def`` in a string looks like a boundary; the differing verdict unmasks it."""
    lines = ['HELP = """', "", "def looks_like_code():"]
    lines += [f"    line {i} of the help text" for i in range(150)]
    lines += ['"""', "", "", "def f():", "    return 1 +", ""]
    text = "\n".join(lines)
    status = check(text)
    assert status.compile_error is not None and status.compile_error.message == "invalid syntax"
    assert focus_region(text, status) is None
    fixes = Fixer(FixerOptions(focus_min_chars=0)).quick_fixes(text)
    assert fixes and fixes[0].parses  # the whole-text search still runs


@pytest.mark.parametrize("name", sorted(CASES))
def test_focused_quick_fixes_equal_the_whole_text_search(name: str) -> None:
    original, text = broken(*CASES[name])
    assert len(text) >= FixerOptions().focus_min_chars and focus_region(text, check(text))
    focused = Fixer().quick_fixes(text)
    whole = Fixer(FixerOptions(focus_min_chars=len(text) + 1)).quick_fixes(text)
    assert focused, "the focused search found nothing"
    assert [(f.title, f.edits, f.parses) for f in focused] == [
        (f.title, f.edits, f.parses) for f in whole
    ]
    assert focused[0].apply(text) == original
    assert compile_error(focused[0].apply(text)) is None


def test_fix_repairs_errors_far_apart_in_a_huge_file() -> None:
    original = module()
    text = original
    for function, (old, new) in ((100, CASES["missing_colon"]), (1100, CASES["stray_bracket"])):
        start = text.index(f"def function_{function}(")
        at = text.index(old, start)
        text = text[:at] + new + text[at + len(old) :]
    result = Fixer().fix(text)
    assert result.parses, result.reason
    assert result.text == original
    assert len(result.fixes) == 2
