"""Where a huge module's triple-quoted strings lie, found without parsing it.

A line that starts with ``class `` at column 0 of a docstring is no statement: a focus region whose
edge lands there parses from inside a string, and every scope after it comes out wrong. Only
triple-quoted strings span lines (a backslash-continued one-quote string is too rare to matter), so
they are all a line start can be inside. Looking only at triple quotes keeps the scan in C
(``bytes.find``); the few lines holding an opener are lexed up to it, so a triple quote inside a
comment or a one-quote string (``'\"\"\"'``) is not taken for one.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

_TRIPLES = (b'"""', b"'''")
# The text before a quote on its line, when that quote is code: no comment, every string closed.
_CODE_BEFORE = re.compile(rb"""(?:[^#'"\\\n]|\\.|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')*""")


class TripleQuotedStrings:
    """The byte spans ``[start, end)`` of a text's triple-quoted strings, quotes included."""

    def __init__(
        self,
        data: bytes,
        until: int | None = None,
        *,
        kept: TripleQuotedStrings | None = None,
        unchanged_before: int = 0,
    ) -> None:
        """Find the strings that open before ``until`` (all of them without it).

        ``kept`` is an earlier scan of a text whose first ``unchanged_before`` bytes are these:
        its strings that end by then are taken as they are, and the scan resumes after them
        (typing happens near the cursor, so a new region rescans only the region).
        """
        limit = len(data) if until is None else until
        self._starts: list[int] = []
        self._ends: list[int] = []
        position = 0
        if kept is not None:
            known = min(unchanged_before, kept.scanned_until)
            # Strictly before: a string never closed ends at the text's end, which an edit there
            # may move.
            count = bisect_left(kept._ends, known)
            self._starts, self._ends = kept._starts[:count], kept._ends[:count]
            position = self._ends[-1] if count else 0
        self.scanned_until = limit
        # The next occurrence of each kind of triple quote: refreshed only once passed, so a kind
        # the text never uses is searched for once, not once per string.
        found = [data.find(quote, position) for quote in _TRIPLES]
        while True:
            for kind, quote in enumerate(_TRIPLES):
                if 0 <= found[kind] < position:
                    found[kind] = data.find(quote, position)
            candidates = [at for at in found if at >= 0]
            if not candidates:
                self.scanned_until = len(data)
                return
            start = min(candidates)
            if start >= limit:
                return
            quote = data[start : start + 3]
            if not _is_code(data, max(position, data.rfind(b"\n", 0, start) + 1), start):
                position = start + 1  # quoted or commented: not an opener
                continue
            end = _closing(data, quote, start + 3)
            self._starts.append(start)
            self._ends.append(end)
            position = end

    def __len__(self) -> int:
        return len(self._starts)

    def holds(self, byte_offset: int) -> bool:
        """Whether ``byte_offset`` is inside a string (past its opening quote, before its end)."""
        index = bisect_right(self._starts, byte_offset) - 1
        return index >= 0 and self._starts[index] < byte_offset < self._ends[index]


def _is_code(data: bytes, line_start: int, quote: int) -> bool:
    """Whether ``data[line_start:quote]`` leaves ``quote`` in code (the line starts in code)."""
    match = _CODE_BEFORE.match(data, line_start, quote)
    return match is not None and match.end() == quote


def _closing(data: bytes, quote: bytes, position: int) -> int:
    """The end of the string whose body starts at ``position``; the text's end if never closed."""
    while (at := data.find(quote, position)) >= 0:
        backslashes = at
        while backslashes > position and data[backslashes - 1] == 0x5C:
            backslashes -= 1
        if (at - backslashes) % 2 == 0:  # not escaped
            return at + 3
        position = at + 1
    return len(data)
