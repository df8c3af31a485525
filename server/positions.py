"""Convert between LSP columns (code units of the negotiated encoding) and string indices.

LSP columns count UTF-16 code units unless client and server agreed on UTF-8 or UTF-32 at
initialize (Neovim prefers UTF-8). Python strings index code points, tree-sitter indexes UTF-8
bytes: every conversion between the three lives here so no feature gets it subtly wrong.
"""

from __future__ import annotations

from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]
UTF16: Encoding = "utf-16"


def encode(text: str) -> bytes:
    """UTF-8 bytes as tree-sitter sees them; lone surrogates (legal in JSON) must not crash."""
    return text.encode("utf-8", errors="surrogatepass")


def char_units(char: str, encoding: Encoding) -> int:
    """Code units one code point takes in ``encoding``."""
    code = ord(char)
    if encoding == "utf-16":
        return 2 if code > 0xFFFF else 1
    if encoding == "utf-8":
        return 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
    return 1


def units(text: str, encoding: Encoding) -> int:
    """Length of ``text`` in code units of ``encoding``."""
    if encoding == "utf-32" or text.isascii():
        return len(text)
    if encoding == "utf-8":
        return len(encode(text))
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def index_from_units(line: str, column: int, encoding: Encoding) -> int:
    """Code-point index in ``line`` for an LSP column.

    Columns past the end clamp to the line's end (the LSP spec says so); a column inside a
    multi-unit character (half a surrogate pair) rounds down to that character's start.
    """
    if column <= 0:
        return 0
    if encoding == "utf-32" or line.isascii():
        return min(column, len(line))
    seen = 0
    for index, char in enumerate(line):
        seen += char_units(char, encoding)
        if seen > column:
            return index
    return len(line)
