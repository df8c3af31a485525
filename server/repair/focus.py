"""The part of a huge file the fixer searches: the top-level definitions around its first error.

Lexing is pure Python (about a second per megabyte here) and every candidate's check compiles
the whole text, so on a 3.6 MB file one search round took 5 s and found nothing within the quick
fix budget. Top-level definitions parse independently, so the search runs on the definitions
around the error as if they were the file; the fixer then splices each fix into the whole text
and checks that, so a boundary guessed wrong can only cost a fix, never offer a bad one. (The
ranking's "identifier seen elsewhere" then counts the region's names, not the file's.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from codegpt.server.line_index import line_starts
from codegpt.server.repair.verify import ParseStatus, check

# Lines around the error the region holds at least, either way: an unclosed bracket's fix lies
# below its report, an indentation slip's cause can be far above it.
MARGIN_LINES = 120
# How far beyond the margin a definition boundary is looked for before giving up on the focus.
SEARCH_LINES = 4000

# A top-level definition or decorator, the line above it blank: where a new statement begins,
# not a line of a multi-line string (which would rarely start at column 0 after a blank line).
_BOUNDARY = re.compile(r"(?:def|class|async[ \t]+def)[ \t]|@")


@dataclass(frozen=True)
class Focus:
    """``text[start:end]``: whole lines from 0-based line ``first_line``, and its verdict."""

    start: int
    end: int
    first_line: int
    status: ParseStatus


def _is_boundary(text: str, offsets: list[int], line: int) -> bool:
    if line == 0:
        return True
    start = offsets[line]
    if not _BOUNDARY.match(text, start):
        return False
    previous = text[offsets[line - 1] : start]
    return not previous.strip()


def focus_region(text: str, status: ParseStatus) -> Focus | None:
    """The definitions around compile()'s error, or None when no sure region is found.

    The region must report the same error at the same place as the whole text; otherwise (a
    boundary inside a string, an error that depends on code further away) the caller searches
    the whole text as before.
    """
    error = status.compile_error
    if error is None:
        return None
    offsets = line_starts(text)  # the line breaks compile() counts, a lone CR included
    line_count = len(offsets)
    error_line = min(max(error.lineno - 1, 0), line_count - 1)
    first = max(0, error_line - MARGIN_LINES)
    floor = max(0, first - SEARCH_LINES)
    while first > floor and not _is_boundary(text, offsets, first):
        first -= 1
    if not _is_boundary(text, offsets, first):
        return None
    last = error_line + MARGIN_LINES
    ceiling = min(line_count, last + SEARCH_LINES)
    while last < ceiling and not _is_boundary(text, offsets, last):
        last += 1
    if last >= ceiling and ceiling < line_count:
        return None
    start = offsets[first]
    end = offsets[last] if last < line_count else len(text)
    if start == 0 and end == len(text):
        return None  # the whole text: nothing to gain
    part = check(text[start:end])
    found = part.compile_error
    if (
        found is None
        or found.message != error.message
        or found.lineno + first != error.lineno
        or found.offset != error.offset
    ):
        return None
    return Focus(start, end, first, part)
