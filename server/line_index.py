r"""Where each line of a text starts, kept current across edits without rescanning the text.

LSP line breaks are exactly ``\r\n``, ``\r`` and ``\n`` (``str.splitlines`` would also split on
form feeds and U+2028, which editors do not), so lines are found with one regular expression.
"""

from __future__ import annotations

import bisect
import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_starts(text: str) -> list[int]:
    """Code-point offset at which every line starts; the first line starts at 0."""
    return [0, *(match.end() for match in LINE_BREAK.finditer(text))]


class LineIndex:
    """Line starts of one text, updated in place by :meth:`replace`."""

    def __init__(self, text: str) -> None:
        self.starts = line_starts(text)

    def line_count(self) -> int:
        """Number of lines; a text ending in a line break has an empty last line."""
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        """Line holding the code point at ``offset``."""
        return bisect.bisect_right(self.starts, offset) - 1

    def line_bounds(self, text: str, line: int) -> tuple[int, int]:
        """Start and end (before the line break) of ``line``, which must exist."""
        start = self.starts[line]
        if line + 1 < len(self.starts):
            end = self.starts[line + 1] - 1
            if end > start and text[end] == "\n" and text[end - 1] == "\r":
                end -= 1
            return start, end
        return start, len(text)

    def replace(self, new_text: str, start: int, end: int, inserted: int) -> None:
        r"""Update after ``old[start:end]`` became ``inserted`` code points of ``new_text``.

        Breaks that end before ``start`` or after ``end + 1`` cannot change (a ``\r`` at
        ``start - 1`` may pair with an inserted ``\n``, so the window reaches one further), so
        only the edited window is rescanned.
        """
        delta = inserted - (end - start)
        first_kept_after = bisect.bisect_right(self.starts, end + 1)
        keep_before = bisect.bisect_left(self.starts, start, lo=1)
        window_end = start + inserted + 1
        scan_from = max(0, start - 2)
        scan_to = min(len(new_text), start + inserted + 3)
        middle = [
            match.end()
            for match in LINE_BREAK.finditer(new_text, scan_from, scan_to)
            if start <= match.end() <= window_end
        ]
        tail = self.starts[first_kept_after:]
        self.starts[keep_before:] = middle
        self.starts.extend(offset + delta for offset in tail)
