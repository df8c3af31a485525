"""The part of a huge module that context extraction reads: the cursor's neighbourhood and the head.

Walking every definition of a 100,000-line module costs hundreds of milliseconds, and the text
changes with every keystroke. Past ``LARGE_DOCUMENT_CHARS`` only the top-level statements near the
cursor and at the head of the file (where imports live) are read; a definition far from both is
not offered as context, which costs little: the prompt holds a few hundred tokens anyway.

Completion also parses only that part (``parse_region``, ``Document.focus``): its edges are moved
to the starts of top-level definitions, so the part parses alone exactly as it does in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tree_sitter import Node

from codegpt.server.context_strings import TripleQuotedStrings
from codegpt.server.context_text import SourceText

LARGE_DOCUMENT_CHARS = 1_000_000  # about 25,000 lines of typical Python
FOCUS_BYTES = 65_536  # either side of the cursor's block
# The cursor's byte offset is rounded down to a block of this size, so moving the cursor within a
# block keeps the region, and with it the cached symbol table (``current_document_table``).
FOCUS_BLOCK_BYTES = 65_536
HEAD_BYTES = 65_536  # the imports and module constants at the top
# A region parsed for completion is kept while the cursor stays this far inside it: the window and
# the cursor's definition need a few KB, and a fresh parse costs ~20 ms where a reparse costs ~2.
FOCUS_MARGIN_BYTES = FOCUS_BLOCK_BYTES
# How far an edge may move to reach the start of a top-level definition (else: a line start).
SNAP_BYTES = 65_536
# Lines that start a top-level statement unless inside a string (``TripleQuotedStrings``): a line
# at column 0 inside brackets rarely starts with one of these.
_TOP_LEVEL_START = re.compile(rb"^(?:(?:async[ \t]+)?def[ \t]|class[ \t]|@)", re.MULTILINE)


@dataclass(frozen=True)
class ByteRegion:
    """UTF-8 byte ranges of a module to read: ``[0, head)`` and ``[start, end]``."""

    start: int
    end: int
    head: int

    def holds(self, node: Node) -> bool:
        """Whether a statement overlaps the region."""
        if node.start_byte < self.head:
            return True
        return node.end_byte >= self.start and node.start_byte <= self.end

    def byte_ranges(self) -> list[tuple[int, int]]:
        """The region as half-open byte ranges (a parser's included ranges), in order."""
        if self.start <= self.head:
            return [(0, self.end + 1)]
        return [(0, self.head), (self.start, self.end + 1)]

    def keeps(self, byte_offset: int, size: int) -> bool:
        """Whether a cursor at ``byte_offset`` of a ``size``-byte text is still well inside."""
        return (self.start == 0 or byte_offset >= self.start + FOCUS_MARGIN_BYTES) and (
            self.end + 1 >= size or byte_offset <= self.end - FOCUS_MARGIN_BYTES
        )

    @staticmethod
    def from_byte_ranges(ranges: list[tuple[int, int]]) -> ByteRegion:
        """The inverse of ``byte_ranges``."""
        if len(ranges) == 1:
            return ByteRegion(0, ranges[0][1] - 1, 0)
        (_, head), (start, stop) = ranges
        return ByteRegion(start, stop - 1, head)

    def children(self, parent: Node, *, named: bool = True) -> list[Node]:
        """The children of ``parent`` that the region holds, in order, without visiting the rest.

        ``parent.children`` of a module with 6,000 statements builds 6,000 nodes. A tree cursor
        jumps to the first child at the region's start instead (tree-sitter skips whole runs of
        statements by their sizes), so only the children read are ever built.
        """
        if (
            parent.end_byte < self.head
            or self.start <= parent.start_byte <= parent.end_byte <= self.end
        ):
            return parent.named_children if named else parent.children  # nothing to skip
        found: list[Node] = []
        cursor = parent.walk()
        if cursor.goto_first_child():
            while (node := cursor.node) is not None and node.start_byte < self.head:
                found.append(node)
                if not cursor.goto_next_sibling():
                    break
        cursor = parent.walk()
        # The first child ending after ``start - 1``: ``holds`` counts one ending at ``start``.
        if cursor.goto_first_child_for_byte(max(0, self.start - 1)) is not None:
            while (node := cursor.node) is not None and node.start_byte <= self.end:
                if node.start_byte >= self.head:  # those before are in ``found`` already
                    found.append(node)
                if not cursor.goto_next_sibling():
                    break
        return [node for node in found if node.is_named] if named else found


def children_in(parent: Node, region: ByteRegion | None, *, named: bool = True) -> list[Node]:
    """``parent``'s (named) children that ``region`` holds; all of them without a region."""
    if region is None:
        return parent.named_children if named else parent.children
    return region.children(parent, named=named)


def focus_region(source: SourceText, offset: int) -> ByteRegion | None:
    """The region to read around str ``offset``, or None when the whole module is small enough."""
    if len(source.text) <= LARGE_DOCUMENT_CHARS:
        return None
    start, stop = _around(source.byte_offset(offset))
    return ByteRegion(start, stop, HEAD_BYTES)


def _around(byte_offset: int) -> tuple[int, int]:
    """The cursor's block and FOCUS_BYTES either side of it (the end may pass the text's)."""
    block = byte_offset // FOCUS_BLOCK_BYTES * FOCUS_BLOCK_BYTES
    return max(0, block - FOCUS_BYTES), block + FOCUS_BLOCK_BYTES + FOCUS_BYTES


def _line_start(data: bytes, byte_offset: int) -> int:
    return data.rfind(b"\n", 0, byte_offset) + 1


def _statement_start(data: bytes, line: int) -> int:
    """The first decorator line above a definition line (the definition's own line if none)."""
    while line > 0:
        previous = _line_start(data, line - 1)
        if not data.startswith(b"@", previous):
            break
        line = previous
    return line


def _statement_at_or_before(data: bytes, byte_offset: int, strings: TripleQuotedStrings) -> int:
    """The start of the top-level definition holding ``byte_offset``, or its line's start."""
    found = None
    window = max(0, byte_offset - SNAP_BYTES)
    for match in _TOP_LEVEL_START.finditer(data, window, byte_offset + 16):
        if match.start() > byte_offset:
            break
        if not strings.holds(match.start()):
            found = match.start()
    if found is None:
        return _line_start(data, byte_offset)
    return _statement_start(data, found)


def _statement_at_or_after(data: bytes, byte_offset: int, strings: TripleQuotedStrings) -> int:
    """The start of the first top-level definition from ``byte_offset`` on, or a line start.

    With none before the end of the text, the end: the last statement stays whole rather than
    cut at a line start (a class cut in two parses as errors).
    """
    for match in _TOP_LEVEL_START.finditer(data, byte_offset, byte_offset + SNAP_BYTES):
        if strings.holds(match.start()):
            continue
        if _statement_start(data, match.start()) == match.start():  # not a decorated def's line
            return match.start()
    if byte_offset + SNAP_BYTES >= len(data):
        return len(data)
    if _line_start(data, byte_offset) == byte_offset:
        return byte_offset
    newline = data.find(b"\n", byte_offset)
    return len(data) if newline < 0 else newline + 1


def strings_needed(byte_offset: int) -> int:
    """How far ``parse_region`` reads a text's strings for a cursor at ``byte_offset``."""
    return _around(byte_offset)[1] + SNAP_BYTES + 16


def parse_region(
    data: bytes, byte_offset: int, strings: TripleQuotedStrings | None = None
) -> ByteRegion:
    """``focus_region`` for a cursor at ``byte_offset``, with edges at top-level statement starts.

    Parsed alone, such a region gives the same statements as the whole file: no statement is cut
    in two (a cut one parses as errors), so the context read from it matches the full tree's.
    ``strings`` (scanned at least to ``strings_needed``) saves the scan of the text before.
    """
    needed = strings_needed(byte_offset)
    if strings is None:
        strings = TripleQuotedStrings(data, until=needed)  # ~10 ms a MB
    assert strings.scanned_until >= min(needed, len(data)), "strings end before the region's"
    first, last = _around(byte_offset)
    head = _statement_at_or_after(data, min(HEAD_BYTES, len(data)), strings)
    start = _statement_at_or_before(data, first, strings)
    stop = _statement_at_or_after(data, min(last, len(data)), strings)
    if start <= head:
        return ByteRegion(0, max(0, stop - 1), 0)
    return ByteRegion(start, max(start, stop - 1), head)
