"""Completion's tree of a huge document: only the head and the cursor's region, same context."""

from __future__ import annotations

import dataclasses
import random
import re
from pathlib import Path

import pytest

from codegpt.server.completion.service import document_view
from codegpt.server.context import ContextBudget, CursorContext, extract_context_at_offset
from codegpt.server.context_definitions import DefinitionQuery
from codegpt.server.context_focus import (
    FOCUS_BLOCK_BYTES,
    FOCUS_BYTES,
    LARGE_DOCUMENT_CHARS,
    SNAP_BYTES,
    parse_region,
)
from codegpt.server.documents import Document, FocusTree, TextChange
from codegpt.server.parsing import new_parser, parse

SERVER = Path(__file__).resolve().parents[1] / "server"
# Every definition the finder finds, so that the comparison does not depend on the order of
# references at the same distance (tree-sitter's capture order, which follows the tree's shape).
ALL_DEFINITIONS = ContextBudget(definitions=DefinitionQuery(limit=10_000))


@pytest.fixture(scope="module")
def huge_text() -> str:
    """The server's own modules, repeated past the size where completion parses only a region."""
    modules = [path.read_text() for path in sorted(SERVER.rglob("*.py"))]
    valid = [text for text in modules if not parse(text).root_node.has_error]
    text = "\n\n".join(valid)
    while len(text) <= LARGE_DOCUMENT_CHARS * 1.2:
        text += "\n\n" + "\n\n".join(valid)
    return text


def _context(document: Document, offset: int, focus: FocusTree, tree) -> CursorContext:
    context = extract_context_at_offset(
        document.text,
        offset,
        tree=tree,
        region=focus.region,
        document=document.uri,
        budget=ALL_DEFINITIONS,
        line_starts=document.line_starts(),
    )
    ordered = sorted(context.definitions, key=lambda d: (d.line, d.qualified_name, d.kind))
    return dataclasses.replace(context, definitions=tuple(ordered))


def _assert_focus_matches(document: Document, offset: int) -> FocusTree:
    """The focus tree is a fresh parse of its ranges and gives the full tree's context."""
    focus = document.focus(offset)
    assert focus is not None
    parser = new_parser()
    parser.included_ranges = focus.tree.included_ranges
    assert str(focus.tree.root_node) == str(parser.parse(document.source).root_node)
    with_focus = _context(document, offset, focus, focus.tree)
    with_full = _context(document, offset, focus, parse(document.source))
    assert with_focus == with_full
    assert with_focus.definitions and with_focus.scopes  # there was something to compare
    return focus


def _type(document: Document, offset: int, typed: str) -> int:
    for char in typed:
        position = document.position_at(offset)
        document.apply_changes([TextChange(char, position, position)])
        offset += 1
    return offset


def _inside_a_function(text: str, rng: random.Random, after: int = 0) -> int:
    """A random offset in a method body past ``after``: the cursor then has scopes to compare.

    Not in the last 20,000 characters: tests edit later lines, and the text is the server's
    own modules, so which body the seed picks changes with every edit to the server.
    """
    pattern = re.compile(r"\n    def \w+\(self[^\n]*:\n        ")
    bodies = [m.end() for m in pattern.finditer(text, after, max(after, len(text) - 20_000))]
    return rng.choice(bodies)


def test_region_edges_are_top_level_statement_starts(huge_text: str):
    data = huge_text.encode()
    rng = random.Random(0)
    for _ in range(20):
        region = parse_region(data, rng.randrange(len(data)))
        edges = [region.end + 1] + ([region.start, region.head] if region.start else [])
        for edge in edges:
            if edge < len(data):
                assert data[edge - 1 : edge] == b"\n"
                assert re.match(rb"(async def |def |class |@)", data[edge : edge + 10])
                previous_line = data[data.rfind(b"\n", 0, edge - 1) + 1 : edge]
                assert not previous_line.startswith(b"@")  # a decorated definition stays whole


def test_a_region_ending_in_the_last_definition_runs_to_the_end_of_the_text():
    """No top-level start between the window's end and the text's: the last class stays whole."""
    head = "def first():\n    pass\n\n" * 6000 + "class Last:\n"
    cursor = len(head) + 1_000
    window_end = cursor // FOCUS_BLOCK_BYTES * FOCUS_BLOCK_BYTES + FOCUS_BLOCK_BYTES + FOCUS_BYTES
    methods = []
    while len(head) + sum(map(len, methods)) < window_end + SNAP_BYTES // 2:
        methods.append(f"    def m{len(methods)}(self):\n        return {len(methods)}\n\n")
    data = (head + "".join(methods)).encode()
    region = parse_region(data, cursor)
    assert region.end == len(data) - 1
    assert not parse(data[region.start : region.end + 1].decode()).root_node.has_error


def _functions_until(size: int, start: int) -> str:
    text, index = "", start
    while len(text) < size:
        # A call of a function far above: a definition outside the prompt window to find.
        text += f"def f{index}(a):\n    return f{index - 300}(a) + 1\n\n"
        index += 1
    return text


# Lines at column 0 of a string that read like top-level statements, after triple quotes that
# open no string (in a comment and in a one-quote string).
_DOCSTRING = (
    "QUOTES = '\"\"\"'  # and a '''\n"
    'NOTE = """The receiver\'s\n'
    "class can be inferred (``self`` in a method)\n"
    "def looks_like(a):\n"
    "@decorated\n" + "and more of the same prose, at column 0 like the rest\n" * 8 + '"""\n\n'
)


def test_region_edges_are_never_inside_a_string():
    """A docstring line starting with ``class `` is no statement start: the tree would begin in
    the string, and every scope after it would be lost."""
    cursor = 4 * FOCUS_BLOCK_BYTES + 1_000
    first = cursor // FOCUS_BLOCK_BYTES * FOCUS_BLOCK_BYTES - FOCUS_BYTES
    last = first + FOCUS_BYTES + FOCUS_BLOCK_BYTES + FOCUS_BYTES
    before = _functions_until(first - 200, 0)  # the string straddles the window's start
    middle = _functions_until(last - 40 - len(before) - len(_DOCSTRING), 10_000)  # and its end
    text = before + _DOCSTRING + middle + _DOCSTRING
    text += _functions_until(int(LARGE_DOCUMENT_CHARS * 1.2) - len(text), 20_000)
    data = text.encode()
    second = len(before) + len(_DOCSTRING) + len(middle)
    assert data.index(b"class can") < first < data.index(b'\n"""\n')
    assert second < last < data.index(b"class can", second)
    region = parse_region(data, cursor)
    assert region.start == before.rindex("def f")  # the last statement before the string
    assert region.end + 1 == second + len(_DOCSTRING)  # the first one after it
    document = Document("file:///huge.py", text)
    offset = text.index("return f", cursor)
    focus = _assert_focus_matches(document, offset)
    assert not focus.tree.root_node.has_error
    # The document keeps its last scan of the strings for the text before its first edit since:
    # a region at the end scans them all, an edit at the top invalidates them all.
    document.focus(len(document.text) - 10)
    chunk = _functions_until(FOCUS_BLOCK_BYTES - 100, 30_000)
    chunk += "#" * (FOCUS_BLOCK_BYTES - len(chunk) - 1) + "\n"  # the same blocks, moved
    document.apply_changes([TextChange(chunk, (0, 0), (0, 0))])
    moved = _assert_focus_matches(document, offset + len(chunk))
    assert moved.region.start == focus.region.start + len(chunk)


def test_focus_context_matches_the_full_tree_and_moves_with_the_cursor(huge_text: str):
    document = Document("file:///huge.py", huge_text)
    rng = random.Random(1)
    regions = []
    for _ in range(4):
        offset = _inside_a_function(document.text, rng)
        focus = _assert_focus_matches(document, offset)
        assert not focus.tree.root_node.has_error
        assert focus.region.start <= len(document.text[:offset].encode()) <= focus.region.end
        regions.append(focus.region)
    assert len(set(regions)) > 1  # the cursor jumped to other blocks: fresh regions
    ranges = regions[-1].byte_ranges()
    assert sum(end - start for start, end in ranges) < len(document.source) / 2


def test_edits_reparse_the_focus_tree_incrementally(huge_text: str):
    document = Document("file:///huge.py", huge_text)
    offset = _inside_a_function(document.text, random.Random(2), after=len(document.text) // 2)
    first = _assert_focus_matches(document, offset)
    assert first.region.start > first.region.head  # two ranges: the head and the region
    offset = _type(document, offset, "total = len(")
    focus = _assert_focus_matches(document, offset)  # an open bracket
    assert focus.region.start == first.region.start  # kept, and edited
    assert focus.region.end == first.region.end + len("total = len(")
    offset = _type(document, offset, "items)\n        ")
    _assert_focus_matches(document, offset)
    # Cut the rest of a later line after its bracket: everything up to the region's end reparses.
    bracket = document.text.index("(", offset + 2_000)
    line, column = document.position_at(bracket + 1)
    cut = (line, len(document.line_text(line)))
    document.apply_changes([TextChange("", (line, column), cut)])
    after_cut = _assert_focus_matches(document, bracket + 1)
    assert after_cut.region.start == first.region.start
    # An edit at the head shifts the region's later ranges.
    document.apply_changes([TextChange("import abc\n", (0, 0), (0, 0))])
    shifted = _assert_focus_matches(document, bracket + 1 + len("import abc\n"))
    assert shifted.region.start == first.region.start + len("import abc\n")


def test_an_edit_outside_the_region_parses_a_fresh_one(huge_text: str):
    document = Document("file:///huge.py", huge_text)
    offset = len(document.text) - 10
    focus = _assert_focus_matches(document, offset)
    # Between the head and the region, ahead of a top-level definition: the text stays valid
    # (an edit that breaks the code before the region may change how the whole file parses).
    gap = document.position_at(document.text.rfind("\ndef ", 0, focus.region.start - 1_000) + 1)
    document.apply_changes([TextChange("x = 1\n", gap, gap)])
    assert not parse(document.source).root_node.has_error
    again = _assert_focus_matches(document, offset + len("x = 1\n"))
    assert again.tree is not focus.tree


def test_completion_view_of_a_huge_document_never_reparses_the_whole_tree(huge_text: str):
    document = Document("file:///huge.py", huge_text)
    assert document.tree is not None and document.tree_is_current
    offset = _type(document, _inside_a_function(document.text, random.Random(3)), "x = (")
    assert not document.tree_is_current
    view = document_view(document, offset)
    assert not document.tree_is_current  # the edited full tree was not reparsed
    assert view.region is not None and view.tree is not None
    assert view.tree.included_ranges[-1].end_byte == view.region.end + 1
    assert not view.tree.root_node.has_changes  # the focus tree was reparsed

    small = Document("file:///small.py", "def f(x):\n    return x\n")
    small_view = document_view(small, 10)
    assert small_view.tree is small.tree and small_view.region is None


@pytest.mark.parametrize("variant", ["ascii", "non-ascii", "crlf"])
def test_focus_ranges_carry_tree_sitters_points_in_any_text(huge_text: str, variant: str):
    """Rows count only "\\n" and columns bytes, however the text's lines are indexed."""
    if variant == "non-ascii":
        text = huge_text.replace("# ", "# é→ ")
    elif variant == "crlf":
        text = huge_text.replace("\n", "\r\n")
    else:
        text = huge_text
    document = Document("file:///huge.py", text)
    bodies = re.compile(r"\n    def \w+\(self[^\r\n]*:\r?\n        ").finditer(text)
    focus = _assert_focus_matches(document, random.Random(5).choice([m.end() for m in bodies]))
    data = document.source
    for r in focus.tree.included_ranges:
        for byte, point in ((r.start_byte, r.start_point), (r.end_byte, r.end_point)):
            expected = (data.count(b"\n", 0, byte), byte - (data.rfind(b"\n", 0, byte) + 1))
            assert tuple(point) == expected
