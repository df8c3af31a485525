"""Where a text is broken: the regions a human would look at, and the lines repair searches.

compile() names one location (the first error, in CPython's words); tree-sitter names every
ERROR/MISSING node. Both are reported to the editor as regions, and the lines around compile()'s
location, plus tree-sitter's first error near it, are where the edit search tries its edits.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegpt.server.repair.lexing import LexedText
from codegpt.server.repair.verify import ParseStatus, check

# How far up the line that opened a badly indented block is looked for.
BLOCK_REACH = 40


@dataclass(frozen=True)
class ErrorRegion:
    """One reported problem; lines and columns are 0-based, columns in code points."""

    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    source: str  # "compile" or "tree-sitter"


def error_regions(text: str, status: ParseStatus | None = None) -> list[ErrorRegion]:
    """compile()'s error first, then tree-sitter's nodes, in text order."""
    status = status or check(text)
    regions: list[ErrorRegion] = []
    lines = text.splitlines() or [""]
    if status.compile_error is not None:
        error = status.compile_error
        regions.append(
            ErrorRegion(
                error.lineno - 1,
                max(error.offset - 1, 0),
                error.end_lineno - 1,
                max(error.end_offset - 1, 0),
                f"{error.kind}: {error.message}" if error.kind != "SyntaxError" else error.message,
                "compile",
            )
        )
    encoded = text.encode("utf-8", errors="surrogatepass")
    for node in status.tree_errors:
        line_start = encoded.rfind(b"\n", 0, node.start_byte) + 1
        column = len(encoded[line_start : node.start_byte].decode("utf-8", errors="ignore"))
        message = f"missing {node.missing!r}" if node.missing else "syntax error"
        end_column = column if node.missing else len(lines[min(node.end_row, len(lines) - 1)])
        regions.append(
            ErrorRegion(node.start_row, column, node.end_row, end_column, message, "tree-sitter")
        )
    return regions


def search_lines(status: ParseStatus, line_count: int, reach: int = 2) -> list[int]:
    """0-based lines where single edits are tried, nearest the reported error first.

    An unclosed bracket is reported where it opens, so the lines after it are searched further;
    a missing indented block is reported on the line that should be indented.
    """
    if status.compile_error is None and not status.tree_errors:
        return []
    wanted: list[int] = []
    if status.compile_error is not None:
        error = status.compile_error
        first, last = error.lineno - 1, error.end_lineno - 1
        before, after = reach, 1
        if "never closed" in error.message or "EOF" in error.message:
            before, after = 1, reach + 3
        wanted.extend(range(first, last + after + 1))
        wanted.extend(range(first - 1, first - before - 1, -1))
        anchor = first
    else:
        anchor = status.tree_errors[0].start_row
    for node in status.tree_errors[:3]:
        if abs(node.start_row - anchor) <= 2 * reach + 2:
            wanted.extend((node.start_row, node.start_row - 1, node.start_row + 1))
    seen: list[int] = []
    for line in wanted:
        if 0 <= line < line_count and line not in seen:
            seen.append(line)
    return seen


def block_start_line(lexed: LexedText, line: int) -> int | None:
    """The first line of the block holding ``line``: the one after the nearest header above.

    "unindent does not match" is reported where the code returns to a sane level, but the slip
    is often where the block *began* at the wrong width, possibly far above (a docstring's
    opening line, a line that got a tab).
    """
    below = None
    for earlier in range(line - 1, max(-1, line - BLOCK_REACH), -1):
        tokens = lexed.line_tokens(earlier)
        if lexed.is_blank(earlier) or not tokens:
            continue
        if tokens[-1].text == ":":
            return below
        below = earlier
    return None
