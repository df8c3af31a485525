"""Triple-quoted string spans found by scanning quotes agree with tree-sitter's strings."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegpt.server.context_strings import TripleQuotedStrings
from codegpt.server.parsing import parse

ROOT = Path(__file__).resolve().parents[1]


def _tree_sitter_spans(data: bytes) -> list[tuple[int, int]]:
    """Triple-quoted string nodes' spans from their opening quote (any prefix letters skipped)."""
    spans, stack = [], [parse(data).root_node]
    while stack:
        node = stack.pop()
        if node.type != "string":
            stack.extend(node.children)
            continue
        text = data[node.start_byte : node.end_byte]
        opening = len(text) - len(text.lstrip(b"rRbBuUfF"))
        if text[opening : opening + 3] in (b'"""', b"'''"):
            spans.append((node.start_byte + opening, node.end_byte))
    return sorted(spans)


def _spans(strings: TripleQuotedStrings, data: bytes) -> list[tuple[int, int]]:
    inside = [strings.holds(offset) for offset in range(len(data) + 1)]
    spans, offset = [], 0
    while offset < len(inside):
        if inside[offset]:
            end = offset
            while inside[end]:
                end += 1
            spans.append((offset - 1, end))  # from the opening quote
            offset = end
        offset += 1
    return spans


@pytest.mark.parametrize(
    "source",
    [
        'x = 1\n"""doc\nclass A:\n"""\ny = 2\n',
        "s = '\"\"\"'  # '''\nt = '''a\ndef f():\n'''\n",
        'r = r"""a\\"""b\nc"""\nu = """\\\\"""\n',
        "f = f\"\"\"{x!r}\n\"\"\"\nb = b'''\n'''\n",
        'e = ""\nq = """"quoted"\n"""\n# """ in a comment\n',
    ],
)
def test_spans_match_tree_sitters_strings(source: str):
    data = source.encode()
    assert _spans(TripleQuotedStrings(data), data) == _tree_sitter_spans(data)


def test_a_string_never_closed_runs_to_the_end():
    data = b'x = 1\ns = """never\nclosed\n'
    strings = TripleQuotedStrings(data)
    assert len(strings) == 1 and strings.holds(len(data) - 1) and not strings.holds(4)


def test_every_string_of_the_servers_own_modules():
    for path in sorted((ROOT / "server").rglob("*.py")):
        data = path.read_bytes()
        strings = TripleQuotedStrings(data)
        expected = _tree_sitter_spans(data)
        assert len(strings) == len(expected), path
        for start, end in expected:
            assert strings.holds(start + 1) and strings.holds(end - 1), (path, start)
            assert not strings.holds(start) and not strings.holds(end), (path, start)


def test_strings_past_the_limit_are_not_looked_for():
    data = b'"""a"""\n' * 10
    assert len(TripleQuotedStrings(data, until=20)) == 3


_PIECES = ['"""', "'''", '"', "'", "#", "\\", "\n", "x = ", "class A:\n", "b", "  "]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=40),
    st.lists(st.sampled_from(_PIECES), max_size=6),
    st.integers(min_value=0),
    st.integers(min_value=0, max_value=8),
    st.integers(min_value=0),
)
def test_a_resumed_scan_equals_a_fresh_one(pieces, inserted, at, removed, until):
    """After an edit, a scan that keeps the strings before the edit finds what a fresh one does."""
    old = "".join(pieces).encode()
    start = at % (len(old) + 1)
    new = old[:start] + "".join(inserted).encode() + old[start + removed :]
    earlier = TripleQuotedStrings(old, until=until % (len(old) + 1))
    resumed = TripleQuotedStrings(new, kept=earlier, unchanged_before=start)
    fresh = TripleQuotedStrings(new)
    assert [resumed.holds(i) for i in range(len(new) + 1)] == [
        fresh.holds(i) for i in range(len(new) + 1)
    ]
