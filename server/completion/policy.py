"""Where ghost text may appear, and how much of it: the rules users of Copilot-like tools ask for.

Nothing in comments or strings (prose is not what a code model is good at, and a half-finished
string suggestion is the classic junk), nothing in the middle of a word, and mid-line only when
what follows the cursor is closing punctuation. A whole block when the cursor sits in an empty
body or right after a header and its docstring; one line everywhere else.
"""

from __future__ import annotations

import re
from enum import StrEnum

from codegpt.server.context_position import CursorPosition

# What may follow the cursor for a mid-line suggestion: closers, separators and whitespace;
# in a one-line string also its closing quote (editors close quotes as they are typed).
_CLOSING_REST = re.compile(r"[\s)\]}:;,]*")
_CLOSING_REST_IN_STRING = re.compile(r"[\s)\]}:;,'\"]*")


class InlineMode(StrEnum):
    """How much text an inline suggestion may hold."""

    SINGLE_LINE = "single_line"
    MULTI_LINE = "multi_line"


def suppression_reason(position: CursorPosition) -> str | None:
    """Why no inline suggestion fits this spot, or None when one may be shown."""
    if position.in_comment:
        return "comment"
    if position.in_string and not position.in_line_string:
        return "string"  # a docstring's or a block string's prose: the model writes it poorly
    if position.word_after:
        return "mid-word"
    closing = _CLOSING_REST_IN_STRING if position.in_line_string else _CLOSING_REST
    if not position.at_line_end and not closing.fullmatch(position.text_after_cursor):
        return "code after the cursor"
    return None


def inline_mode(position: CursorPosition, multi_line_enabled: bool) -> InlineMode:
    """Multi-line in an empty block (tree-sitter decided that), single-line everywhere else."""
    if multi_line_enabled and position.in_empty_block:
        return InlineMode.MULTI_LINE
    return InlineMode.SINGLE_LINE


def single_line_stop(text: str) -> int | None:
    """A single-line suggestion ends at its first line break."""
    newline = text.find("\n")
    return None if newline < 0 else newline


def block_stop(indent_width: int, max_lines: int):
    """Stop rule for a block: the first non-blank line that dedents below the block, or too long.

    ``indent_width`` is the column where the block's statements start (the cursor's).
    """

    def stop(text: str) -> int | None:
        lines = text.split("\n")
        if len(lines) > max_lines + 1:
            return len("\n".join(lines[: max_lines + 1]))
        offset = len(lines[0]) + 1
        for line in lines[1:-1]:  # the last line may still be growing
            stripped = line.lstrip(" \t")
            if stripped and len(line) - len(stripped) < indent_width:
                return offset - 1
            offset += len(line) + 1
        return None

    return stop
