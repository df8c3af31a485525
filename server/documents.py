"""Open documents: their text exactly as the client has it, and a tree-sitter tree kept current.

Every feature reads documents from here. The text is updated from LSP incremental changes and
the tree is edited at once but reparsed, incrementally, only when someone next asks for it: a
single-character edit in a 5,000-line file then costs well under a millisecond where a fresh parse
costs tens, and several ``didChange`` notifications that arrive before a request share one
reparse (in a 100,000-line file any reparse costs ~30 ms, and one after an unclosed bracket or
quote far more). Completion and context extraction always see a tree that matches the text.

Completion in a huge document reads only the head and the cursor's neighbourhood
(``context_focus``), so it gets a tree of just that part (``focus``): a fresh parse of it costs
~20 ms and a reparse after an edit a few, where the whole file's cost 500 ms and 30-500 ms.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tree_sitter import Parser, Point, Range, Tree

from codegpt.server.context_focus import ByteRegion, parse_region, strings_needed
from codegpt.server.context_strings import TripleQuotedStrings
from codegpt.server.line_index import LineIndex, LineStarts
from codegpt.server.parsing import new_parser
from codegpt.server.positions import UTF16, Encoding, encode, index_from_units, units

log = logging.getLogger(__name__)

Position = tuple[int, int]
"""(line, column) with the column in code units of the document's encoding, as LSP sends it."""

PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")


@dataclass(frozen=True)
class TextChange:
    """One LSP content change: replace ``start..end`` by ``text``, or everything if no range."""

    text: str
    start: Position | None = None
    end: Position | None = None


def is_python(uri: str, language_id: str) -> bool:
    """Whether a document gets a tree (and diagnostics): by language id, else by file suffix."""
    return language_id == "python" or uri.lower().endswith(PYTHON_SUFFIXES)


def _point_after(start: Point, inserted: bytes) -> Point:
    r"""Tree-sitter point reached from ``start`` after ``inserted`` bytes (rows count ``\n``)."""
    rows = inserted.count(b"\n")
    if rows == 0:
        return Point(start.row, start.column + len(inserted))
    return Point(start.row + rows, len(inserted) - inserted.rfind(b"\n") - 1)


def _shifted(point: Point, old_end: Point, new_end: Point) -> Point:
    """Where a point at or after an edit's old end moves to."""
    if point.row == old_end.row:
        return Point(new_end.row, new_end.column + point.column - old_end.column)
    return Point(point.row + new_end.row - old_end.row, point.column)


@dataclass(frozen=True)
class TreeEdit:
    """One text change in tree-sitter's terms: byte offsets and points before and after."""

    start_byte: int
    old_end_byte: int
    new_end_byte: int
    start_point: Point
    old_end_point: Point
    new_end_point: Point

    def apply(self, tree: Tree) -> None:
        """Tell ``tree`` about the change (its next reparse then reuses what did not change)."""
        tree.edit(
            start_byte=self.start_byte,
            old_end_byte=self.old_end_byte,
            new_end_byte=self.new_end_byte,
            start_point=self.start_point,
            old_end_point=self.old_end_point,
            new_end_point=self.new_end_point,
        )


@dataclass(frozen=True)
class FocusTree:
    """A tree of only ``region``'s bytes (with the document's offsets) and that region."""

    tree: Tree
    region: ByteRegion


@dataclass
class _Focus:
    """The focus tree, the ranges it was parsed with (kept current across edits) and its state."""

    tree: Tree
    ranges: list[Range]
    stale: bool = False

    @property
    def region(self) -> ByteRegion:
        return ByteRegion.from_byte_ranges([(r.start_byte, r.end_byte) for r in self.ranges])

    def edit(self, edit: TreeEdit) -> bool:
        """Apply an edit inside one range to the tree and the ranges; False if it is outside."""
        inside = next(
            (
                index
                for index, r in enumerate(self.ranges)
                if r.start_byte <= edit.start_byte and edit.old_end_byte <= r.end_byte
            ),
            None,
        )
        if inside is None:
            return False
        delta = edit.new_end_byte - edit.old_end_byte
        old_end, new_end = edit.old_end_point, edit.new_end_point
        ranges = self.ranges[:inside]
        for index, r in enumerate(self.ranges[inside:], inside):
            first, first_point = r.start_byte, r.start_point
            if index > inside:
                first, first_point = first + delta, _shifted(first_point, old_end, new_end)
            last_point = _shifted(r.end_point, old_end, new_end)
            ranges.append(Range(first_point, last_point, first, r.end_byte + delta))
        if any(r.end_byte <= r.start_byte for r in ranges):
            return False  # a range was deleted whole: parse a fresh region
        edit.apply(self.tree)
        self.ranges = ranges
        self.stale = True
        return True


class Document:
    """One open document; not thread-safe: only the event loop edits it or reads ``tree``.

    Reading ``tree`` may reparse, so workers get copies (``text``, ``tree.copy()``).
    """

    def __init__(
        self,
        uri: str,
        text: str,
        *,
        version: int = 0,
        language_id: str = "python",
        encoding: Encoding = UTF16,
    ) -> None:
        self.uri = uri
        self.version = version
        self.language_id = language_id
        self.encoding = encoding
        self._parser = new_parser() if is_python(uri, language_id) else None
        self._focus_parser: Parser | None = None  # its own: it keeps its included ranges
        self._set_text(text)

    @property
    def text(self) -> str:
        """The whole text, identical to the client's copy."""
        return self._text

    @property
    def source(self) -> bytes:
        """The text as UTF-8 bytes, the offsets tree-sitter nodes use."""
        return self._bytes

    @property
    def tree(self) -> Tree | None:
        """The syntax tree of the current text (None for documents that are not Python).

        Parsed here, on the first access after edits: incrementally from the edited old tree.
        """
        if self._stale and self._parser is not None:
            if self._tree is None:
                self._tree = self._parser.parse(self._bytes)
            else:
                self._tree = self._parser.parse(self._bytes, self._tree)
            self._stale = False
        return self._tree

    @property
    def has_tree(self) -> bool:
        """Whether ``tree`` gives a tree (the document is Python); reading this never parses."""
        return self._parser is not None

    @property
    def tree_is_current(self) -> bool:
        """Whether reading ``tree`` now costs nothing (no edit since it was last parsed)."""
        return not self._stale

    def focus(self, offset: int) -> FocusTree | None:
        """A tree of only what context extraction reads at str ``offset``, never the whole file's.

        The region (``parse_region``) is kept, and its tree edited and reparsed incrementally, while
        the cursor stays well inside it; else a fresh region around the cursor is parsed. Reading it
        leaves ``tree`` as it is: stale after edits, reparsed only if something else asks.
        """
        if self._parser is None:
            return None
        byte_offset = self._byte_offset(offset)
        focus = self._focus
        if focus is not None and focus.region.keeps(byte_offset, len(self._bytes)):
            if focus.stale:
                parser = self._ranged_parser(focus.ranges)
                focus.tree = parser.parse(self._bytes, focus.tree)
                focus.stale = False
        else:
            ranges = [self._range(start, end) for start, end in self._region_ranges(byte_offset)]
            focus = _Focus(self._ranged_parser(ranges).parse(self._bytes), ranges)
            self._focus = focus
        return FocusTree(focus.tree, focus.region)

    def _region_ranges(self, byte_offset: int) -> list[tuple[int, int]]:
        strings = TripleQuotedStrings(
            self._bytes,
            until=strings_needed(byte_offset),
            kept=self._strings,
            unchanged_before=self._strings_unchanged_before,
        )
        self._strings, self._strings_unchanged_before = strings, len(self._bytes)
        return parse_region(self._bytes, byte_offset, strings).byte_ranges()

    def _ranged_parser(self, ranges: list[Range]) -> Parser:
        if self._focus_parser is None:
            self._focus_parser = new_parser()
        self._focus_parser.included_ranges = ranges
        return self._focus_parser

    def _range(self, start: int, end: int) -> Range:
        """The parser range of bytes ``start..end``; both are line starts (``parse_region``)."""
        return Range(self._point(start), self._point(end), start, end)

    def _point(self, byte_offset: int) -> Point:
        data = self._bytes
        if self._has_cr or not self._text.isascii():
            row = data.count(b"\n", 0, byte_offset)  # O(n): ~1.5 ms on 3 MB
        else:  # byte offsets are str offsets, and tree-sitter rows the index's lines: O(log n)
            row = self._lines.line_of(byte_offset)
        return Point(row, byte_offset - (data.rfind(b"\n", 0, byte_offset) + 1))

    def _byte_offset(self, offset: int) -> int:
        offset = max(0, min(offset, len(self._text)))
        if self._text.isascii():
            return offset
        return len(encode(self._text[:offset]))

    def _set_text(self, text: str) -> None:
        self._text = text
        self._bytes = encode(text)
        self._lines = LineIndex(text)
        # Rows in tree-sitter points count only "\n"; without any "\r" they are LSP lines.
        self._has_cr = "\r" in text
        self._tree = None
        self._stale = True
        self._focus: _Focus | None = None
        # The last region's string scan, valid for the bytes before the first edit since.
        self._strings: TripleQuotedStrings | None = None
        self._strings_unchanged_before = 0

    def line_starts(self) -> LineStarts:
        """The str offset where each line starts: an unchanging snapshot, O(1) to take."""
        return self._lines.starts

    def line_count(self) -> int:
        """Number of lines as the client counts them."""
        return self._lines.line_count()

    def line_text(self, line: int) -> str:
        """One line without its line break."""
        start, end = self._lines.line_bounds(self._text, line)
        return self._text[start:end]

    def offset_at(self, position: Position) -> int:
        """Code-point offset of an LSP position, clamped to the line and the document."""
        line, column = position
        if line < 0:
            return 0
        if line >= self._lines.line_count():
            return len(self._text)
        start, end = self._lines.line_bounds(self._text, line)
        return start + index_from_units(self._text[start:end], column, self.encoding)

    def position_at(self, offset: int) -> Position:
        """LSP position of a code-point offset."""
        offset = max(0, min(offset, len(self._text)))
        line = self._lines.line_of(offset)
        start = self._lines.line_start(line)
        return line, units(self._text[start:offset], self.encoding)

    def apply_changes(self, changes: Iterable[TextChange], version: int | None = None) -> None:
        """Apply one ``didChange``'s changes in order; the tree is reparsed when next read."""
        for change in changes:
            if change.start is None or change.end is None:
                self._set_text(change.text)
            else:
                self._replace(change.start, change.end, change.text)
        if version is not None:
            self.version = version

    def _replace(self, start_pos: Position, end_pos: Position, new_text: str) -> None:
        r"""Splice one change into the text, bytes, line index and tree.

        Nothing here scans the text before the edit: in ASCII text byte and code-point offsets
        agree, and without any ``\r`` tree-sitter rows are the index's lines.
        """
        start = self.offset_at(start_pos)
        end = max(start, self.offset_at(end_pos))
        old_text, old_bytes = self._text, self._bytes
        start_byte = self._byte_offset(start)
        end_byte = start_byte + (
            end - start if old_text.isascii() else len(encode(old_text[start:end]))
        )
        removed = old_bytes[start_byte:end_byte]
        inserted = encode(new_text)

        self._text = old_text[:start] + new_text + old_text[end:]
        self._bytes = old_bytes[:start_byte] + inserted + old_bytes[end_byte:]
        # Lines before ``start`` do not change, so the row may be read after the update.
        self._lines.replace(self._text, start, end, len(new_text))
        had_cr, self._has_cr = self._has_cr, self._has_cr or "\r" in new_text
        self._strings_unchanged_before = min(self._strings_unchanged_before, start_byte)

        if self._tree is None and self._focus is None:
            return
        row = old_bytes.count(b"\n", 0, start_byte) if had_cr else self._lines.line_of(start)
        start_point = Point(row, start_byte - (old_bytes.rfind(b"\n", 0, start_byte) + 1))
        edit = TreeEdit(
            start_byte,
            end_byte,
            start_byte + len(inserted),
            start_point,
            _point_after(start_point, removed),
            _point_after(start_point, inserted),
        )
        if self._tree is not None:
            edit.apply(self._tree)
            self._stale = True
        if self._focus is not None and not self._focus.edit(edit):
            self._focus = None  # an edit outside the region: the next read parses a fresh one


class DocumentStore:
    """Open documents by URI."""

    def __init__(self) -> None:
        self._documents: dict[str, Document] = {}

    def open(self, document: Document) -> None:
        """Start tracking a document (reopening replaces the old copy)."""
        self._documents[document.uri] = document

    def close(self, uri: str) -> Document | None:
        """Stop tracking a document; closing an unknown one is not an error."""
        return self._documents.pop(uri, None)

    def get(self, uri: str) -> Document | None:
        """The open document, or None if the client never opened it (or closed it)."""
        return self._documents.get(uri)

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._documents.values()))

    def __len__(self) -> int:
        return len(self._documents)
