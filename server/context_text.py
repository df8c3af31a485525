r"""Source text with the three coordinate systems context extraction has to translate between.

LSP positions count UTF-16 code units per line, Python slices count code points, and tree-sitter
offsets count UTF-8 bytes. Getting one of these wrong shifts every prompt by a character on any
line with an emoji, so the conversions live in one small, tested place.

Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` (the LSP specification's list, which is what clients
count lines with; ``str.splitlines`` would also split on form feeds and U+2028).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property

from codegpt.server.line_index import line_of

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def utf16_length(text: str) -> int:
    """How many UTF-16 code units ``text`` takes (astral characters take two)."""
    if text.isascii():
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def utf16_to_index(line: str, character: int) -> int:
    """The str index in ``line`` of UTF-16 column ``character``, clamped to the line.

    A column that falls between the two halves of a surrogate pair rounds down to the character's
    start, so the cursor never splits a character.
    """
    if character <= 0:
        return 0
    if line.isascii():
        return min(character, len(line))
    units = 0
    for index, ch in enumerate(line):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > character:
            return index
    return len(line)


class SourceText:
    """A document's text plus lazily built tables for converting positions and offsets.

    Built once per request; every table is computed only when first needed, so a caller that only
    needs the cursor offset pays for nothing else.
    """

    def __init__(self, text: str, line_starts: Sequence[int] | None = None) -> None:
        self.text = text
        if line_starts is not None:
            # The editor's document keeps its line starts current across edits (a ``LineStarts``
            # snapshot): rescanning a 100,000-line text would cost tens of ms per request.
            self.__dict__["line_starts"] = line_starts

    @cached_property
    def data(self) -> bytes:
        """The UTF-8 bytes tree-sitter sees (lone surrogates pass through, as in ``parse``)."""
        return self.text.encode("utf-8", errors="surrogatepass")

    @cached_property
    def is_ascii(self) -> bool:
        """ASCII text needs no offset translation at all: the common, fast case."""
        return self.text.isascii()

    @cached_property
    def line_starts(self) -> Sequence[int]:
        """The str offset at which each line starts (there is always at least one line)."""
        text = self.text
        starts = [0]
        if "\r" not in text:
            position = 0
            for piece in text.split("\n")[:-1]:
                position += len(piece) + 1
                starts.append(position)
            return starts
        starts.extend(match.end() for match in _LINE_BREAK.finditer(text))
        return starts

    @cached_property
    def has_cr(self) -> bool:
        r"""Whether any ``\r`` occurs: without one, tree-sitter rows (``\n`` only) are lines."""
        return "\r" in self.text

    def tree_row(self, offset: int) -> int:
        r"""The tree-sitter row of a str offset (rows count ``\n`` only, unlike LSP lines)."""
        if not self.has_cr:
            return self.line_of(offset)
        return self.text.count("\n", 0, max(0, offset))

    def line_of_byte(self, byte: int, row: int) -> int:
        r"""The line of a tree-sitter node's start, given its byte offset and row.

        The row is the line unless a lone ``\r`` splits lines that tree-sitter does not count,
        and reading it saves two searches per node (thousands of nodes in a huge module).
        """
        return row if not self.has_cr else self.line_of(self.str_offset(byte))

    @property
    def line_count(self) -> int:
        """Number of lines; an empty text and a text ending in a newline both count the last one."""
        return len(self.line_starts)

    def line_of(self, offset: int) -> int:
        """The 0-based line holding str offset ``offset``."""
        return line_of(self.line_starts, offset)

    def line_start(self, line: int) -> int:
        """The str offset where ``line`` begins (clamped to the document)."""
        starts = self.line_starts
        return starts[max(0, min(line, len(starts) - 1))]

    def line_end(self, line: int, *, with_break: bool = False) -> int:
        """Where ``line``'s text ends: before its line break, or after it with ``with_break``."""
        starts = self.line_starts
        line = max(0, min(line, len(starts) - 1))
        if line + 1 >= len(starts):
            return len(self.text)
        end = starts[line + 1]
        if with_break:
            return end
        if self.text[end - 1] == "\n" and end >= 2 and self.text[end - 2] == "\r":
            return end - 2
        return end - 1

    def line_text(self, line: int) -> str:
        """The text of ``line`` without its line break."""
        return self.text[self.line_start(line) : self.line_end(line)]

    def offset_at(self, line: int, character: int) -> int:
        """Str offset of an LSP position; lines and columns past the end clamp to the end.

        A line past the last one means the end of the document; a column past the line's end means
        the end of that line (the LSP specification's rule), never a spot inside the line break.
        """
        if line < 0:
            return 0
        if line >= self.line_count:
            return len(self.text)
        start = self.line_start(line)
        return start + utf16_to_index(self.text[start : self.line_end(line)], character)

    def position_at(self, offset: int) -> tuple[int, int]:
        """The LSP (line, UTF-16 character) of a str offset, clamped to the document."""
        offset = max(0, min(offset, len(self.text)))
        line = self.line_of(offset)
        start = self.line_start(line)
        return line, utf16_length(self.text[start:offset])

    def byte_offset(self, offset: int) -> int:
        """The UTF-8 byte offset of a str offset (what tree-sitter nodes are measured in)."""
        offset = max(0, min(offset, len(self.text)))
        if self.is_ascii:
            return offset
        return len(self.text[:offset].encode("utf-8", errors="surrogatepass"))

    def str_offset(self, byte: int) -> int:
        """The str offset of a UTF-8 byte offset; one inside a character rounds down."""
        if self.is_ascii:
            return max(0, min(byte, len(self.text)))
        head = self.data[: max(0, byte)]
        try:
            return len(head.decode("utf-8", errors="surrogatepass"))
        except UnicodeDecodeError:
            return len(head.decode("utf-8", errors="ignore"))

    def byte_text(self, start: int, end: int) -> str:
        """Decode the bytes ``[start, end)``: the text of a tree-sitter node."""
        return decode_utf8(self.data[start:end])


def decode_utf8(data: bytes) -> str:
    """Decode node bytes, keeping lone surrogates as ``parse`` encoded them, never raising."""
    try:
        return data.decode("utf-8", errors="surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace")
