"""Incremental sync: text identical to the client's, tree identical to a fresh parse."""

from __future__ import annotations

import bisect
import hashlib
import random
import re

import pytest
from lsp_helpers import change_document, document_state, open_document, start_session
from pytest_lsp import LanguageClient

from codegpt.server.documents import Document, TextChange
from codegpt.server.line_index import LineIndex, line_starts
from codegpt.server.parsing import parse
from codegpt.server.positions import Encoding, index_from_units, units

ENCODINGS: list[Encoding] = ["utf-16", "utf-8", "utf-32"]
PIECES = [
    "x",
    " ",
    "\n",
    "\r\n",
    "\r",
    "é",
    "😀",
    "𝔘",
    "def ",
    "f(",
    ")",
    ":",
    "\n    ",
    "'",
    '"""',
    "#",
    "(",
    "[1, 2]",
    "return ",
    "pass",
    "日本",
    "\t",
    "if x:\n    y = 1\n",
    "\x0c",
    "\u2028",
]
START = 'def greet(name):\n    """Say hi 👋."""\n    return f"hi {name}"\r\n\nx = [1,\n     2]\r'


def reference_lines(text: str) -> list[str]:
    """Lines as LSP clients count them (the reference the server must agree with)."""
    lines, current, i = [], "", 0
    while i < len(text):
        char = text[i]
        if char == "\r" and text[i + 1 : i + 2] == "\n":
            lines.append(current)
            current, i = "", i + 2
            continue
        if char in "\r\n":
            lines.append(current)
            current = ""
        else:
            current += char
        i += 1
    return [*lines, current]


def reference_offset(text: str, line: int, column: int, encoding: Encoding) -> int:
    """Code-point offset of an LSP position, computed the slow, obvious way (with clamping)."""
    lines = reference_lines(text)
    if line >= len(lines):
        return len(text)
    offset = sum(len(lines[i]) for i in range(line))
    offset += sum(len(b) for b in _breaks(text)[:line])
    seen = 0
    for index, char in enumerate(lines[line]):
        seen += units(char, encoding)
        if seen > column:
            return offset + index
    return offset + len(lines[line])


def _breaks(text: str) -> list[str]:
    return re.findall(r"\r\n|\r|\n", text)


def random_position(rng: random.Random, text: str, encoding: Encoding) -> tuple[int, int]:
    lines = reference_lines(text)
    line = rng.randrange(len(lines) + 1)  # one past the end on purpose: must clamp
    width = units(lines[line], encoding) if line < len(lines) else 0
    return line, rng.randrange(width + 3)  # past the end of the line on purpose


def random_edit(rng: random.Random, text: str, encoding: Encoding) -> TextChange:
    start = random_position(rng, text, encoding)
    end = random_position(rng, text, encoding)
    if end < start:
        start, end = end, start
    if rng.random() < 0.3:
        end = start  # pure insertion
    inserted = "".join(rng.choice(PIECES) for _ in range(rng.choice([0, 0, 1, 1, 2, 5])))
    return TextChange(inserted, start, end)


def apply_reference(text: str, change: TextChange, encoding: Encoding) -> str:
    assert change.start is not None and change.end is not None
    start = reference_offset(text, *change.start, encoding)
    end = max(start, reference_offset(text, *change.end, encoding))
    return text[:start] + change.text + text[end:]


def tree_signature(tree) -> list[tuple]:
    """Every node's type, byte range and points, so a misplaced node cannot hide."""
    out, stack = [], [tree.root_node]
    while stack:
        node = stack.pop()
        out.append((node.type, node.start_byte, node.end_byte, node.start_point, node.end_point))
        stack.extend(node.children)
    return out


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_thousands_of_random_edits_keep_text_lines_and_tree_exact(encoding: Encoding):
    rng = random.Random(f"codegpt-{encoding}")
    document = Document("file:///r.py", START, encoding=encoding)
    expected = START
    for step in range(3000):
        # Changes of one didChange apply in order, each against the text the previous one left.
        batch = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            change = random_edit(rng, expected, encoding)
            batch.append(change)
            expected = apply_reference(expected, change, encoding)
        document.apply_changes(batch, version=step)
        assert document.text == expected, f"step {step}: {batch}"
        assert document.source == expected.encode("utf-8", "surrogatepass")
        if step % 50 == 0 or step > 2980:
            assert document._lines.starts == line_starts(expected)
            fresh = parse(expected)
            assert str(document.tree.root_node) == str(fresh.root_node), f"step {step}"
            assert tree_signature(document.tree) == tree_signature(fresh)
    assert document.line_count() == len(reference_lines(expected))


def test_line_index_survives_splitting_and_joining_crlf():
    text = "a\r\nb"
    index = LineIndex(text)
    new = "a\rX\nb"  # insert between \r and \n: one break becomes two
    index.replace(new, 2, 2, 1)
    assert index.starts == line_starts(new) == [0, 2, 4]
    newer = "a\r\nb"  # delete the X: the two breaks join again
    index.replace(newer, 2, 3, 0)
    assert index.starts == line_starts(newer) == [0, 3]


@pytest.mark.parametrize(
    ("line", "column", "encoding", "expected"),
    [
        ("a😀b", 1, "utf-16", 1),
        ("a😀b", 3, "utf-16", 2),  # the emoji takes two UTF-16 units
        ("a😀b", 2, "utf-16", 1),  # half a surrogate pair rounds down
        ("a😀b", 5, "utf-8", 2),  # ... and four UTF-8 bytes
        ("a😀b", 2, "utf-32", 2),
        ("é", 99, "utf-16", 1),  # past the end clamps
        ("é", -1, "utf-16", 0),
    ],
)
def test_lsp_columns_convert_to_code_points(line, column, encoding, expected):
    assert index_from_units(line, column, encoding) == expected


def test_positions_past_the_end_clamp_instead_of_failing():
    document = Document("file:///p.py", "ab\ncd")
    document.apply_changes([TextChange("X", (0, 50), (99, 99))])
    assert document.text == "abX"
    document.apply_changes([TextChange("Y", (7, 0), (7, 0))])
    assert document.text == "abXY"
    assert document.position_at(4) == (0, 4)


def test_full_text_change_replaces_everything_and_reparses():
    document = Document("file:///f.py", "x = (")
    assert document.tree.root_node.has_error
    document.apply_changes([TextChange("x = 1\n")], version=3)
    assert document.text == "x = 1\n" and document.version == 3
    assert not document.tree.root_node.has_error


def test_documents_that_are_not_python_get_no_tree():
    document = Document("file:///notes.txt", "hello", language_id="plaintext")
    document.apply_changes([TextChange("!", (0, 5), (0, 5))])
    assert document.text == "hello!" and document.tree is None


async def test_server_text_matches_client_after_random_edits(request, fresh_client: LanguageClient):
    client_name = request.node.callspec.params["fresh_client"]
    result = await start_session(fresh_client, client_name)
    encoding: Encoding = result.capabilities.position_encoding  # negotiated, not assumed
    rng = random.Random(f"lsp-{client_name}")
    uri = "file:///synced.py"
    text = START
    open_document(fresh_client, uri, text)
    for version in range(2, 152):
        change = random_edit(rng, text, encoding)
        text = apply_reference(text, change, encoding)
        change_document(fresh_client, uri, version, [(change.start, change.end, change.text)])
    state = await document_state(fresh_client, uri)
    assert state is not None
    assert state["version"] == 151
    assert state["sha256"] == hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    assert state["lineCount"] == len(reference_lines(text))
    assert state["treeMatchesFreshParse"] is True
    assert state["workspaceAgrees"] is True


async def test_close_forgets_the_document(client: LanguageClient):
    from lsprotocol import types

    open_document(client, "file:///gone.py", "x = 1\n")
    assert await document_state(client, "file:///gone.py") is not None
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri="file:///gone.py")
        )
    )
    assert await document_state(client, "file:///gone.py") is None


def test_line_index_edits_equal_a_fresh_scan_after_every_random_edit():
    rng = random.Random("line-index")
    pieces = ["a", "\n", "\r", "\r\n", "😀", "é", "\n\r", "xy\r\nz", ""]
    text = "a\r\nb\rc\nd😀\n"
    index = LineIndex(text)
    for step in range(3000):
        start = rng.randrange(len(text) + 1)
        end = min(len(text), start + rng.choice([0, 0, 1, 2, 5]))
        inserted = "".join(rng.choice(pieces) for _ in range(rng.choice([0, 1, 1, 2, 4])))
        before = index.starts
        old_starts = list(before)
        text = text[:start] + inserted + text[end:]
        index.replace(text, start, end, len(inserted))
        assert list(index.starts) == line_starts(text), f"step {step}"
        assert list(before) == old_starts  # a snapshot taken earlier never changes
        offset = rng.randrange(len(text) + 1)
        assert index.line_of(offset) == bisect.bisect_right(line_starts(text), offset) - 1


def test_line_starts_snapshot_reads_like_a_list():
    text = "ab\r\ncd\ref\n"
    starts = LineIndex(text).starts
    expected = line_starts(text)
    assert len(starts) == len(expected) and list(starts) == expected
    assert [starts[i] for i in range(-len(expected), len(expected))] == expected + expected
    assert all(type(value) is int for value in starts)  # never numpy scalars in LSP answers
    assert starts[1:3] == expected[1:3]
    with pytest.raises(IndexError):
        starts[len(expected)]
    for offset in range(len(text) + 1):
        assert bisect.bisect_right(starts, offset) == bisect.bisect_right(expected, offset)
        assert starts.line_of(offset) == bisect.bisect_right(expected, offset) - 1


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_tree_matches_a_fresh_parse_after_every_edit_without_carriage_returns(encoding):
    # Without "\r" the row of an edit comes from the line index, in ASCII text the byte offset
    # is the code-point offset; "é" and "😀" make the text non-ASCII part of the time.
    rng = random.Random(f"no-cr-{encoding}")
    start = START.replace("\r", "")
    document = Document("file:///n.py", start, encoding=encoding)
    expected = start
    for step in range(400):
        change = random_edit(rng, expected, encoding)
        change = TextChange(change.text.replace("\r", ""), change.start, change.end)
        expected = apply_reference(expected, change, encoding)
        document.apply_changes([change], version=step)
        assert document.text == expected
        assert tree_signature(document.tree) == tree_signature(parse(expected)), f"step {step}"
    assert list(document.line_starts()) == line_starts(expected)


def test_edits_before_a_read_share_one_reparse():
    document = Document("file:///lazy.py", "def f(x):\n    return x\n")
    first = document.tree
    document.apply_changes([TextChange("y", (1, 11), (1, 12))])
    document.apply_changes([TextChange("(", (1, 12), (1, 12))])
    document.apply_changes([TextChange("", (1, 12), (1, 13))])
    assert document.tree is not first
    assert document.tree is document.tree  # read twice, parsed once
    assert tree_signature(document.tree) == tree_signature(parse(document.text))
    assert document.text == "def f(x):\n    return y\n"
