"""Where ghost text may appear, and how much of it: the rules users of Copilot-like tools ask for.

Nothing in comments, docstrings or triple-quoted strings (prose is not what a code model is good
at), nothing in the middle of a word, and mid-line only when what follows the cursor is closing
punctuation (or, in a one-line string, its closing quote). A whole block when the cursor sits in
an empty body or right after a header and its docstring; one line everywhere else; never a loop.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


# A piece of text repeated back to back this many times is a loop, not code: small models fall
# into them (``T_co, T_co, T_co, ...``, ``{sep} {sep} {sep} ...``, a two-line block again and
# again) and would run to the token limit. Short pieces need more copies: ``0, 0, 0`` is code.
LOOP_COPIES = 3
SHORT_LOOP_COPIES = 5
SHORT_LOOP_UNIT = 6  # characters; pieces shorter than this need SHORT_LOOP_COPIES
MAX_LOOP_UNIT = 160


def loop_cut(text: str) -> int | None:
    """Where to cut ``text`` when it ends in a loop: after one copy of the repeated piece.

    Three or more copies of one piece at the end (five for pieces under six characters) count;
    a piece of whitespace alone does not (indentation repeats by nature). The copy kept starts
    where the repetition does, and the cut moves back out of a word it would split, so
    ``{sep} {sep} {sep} {se`` keeps ``{sep} ``, not ``{sep} {se``.
    """
    length = len(text)
    for size in range(3, min(MAX_LOOP_UNIT, length // LOOP_COPIES) + 1):
        unit = text[length - size :]
        if not unit.strip():
            continue
        copies = 1
        while (copies + 1) * size <= length and (
            text[length - (copies + 1) * size : length - copies * size] == unit
        ):
            copies += 1
        if copies < (SHORT_LOOP_COPIES if size < SHORT_LOOP_UNIT else LOOP_COPIES):
            continue
        begin = length - copies * size
        while begin > 0 and text[begin - 1] == text[begin - 1 + size]:
            begin -= 1
        cut = begin + size
        while cut > begin and _word_char(text[cut - 1]) and _word_char(text[cut]):
            cut -= 1
        return cut
    return None


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def stop_at_loops(stop: Callable[[str], int | None]) -> Callable[[str], int | None]:
    """``stop``, and also the start of a loop: a suggestion keeps one copy of a repeated piece."""

    def rule(text: str) -> int | None:
        cuts = [cut for cut in (stop(text), loop_cut(text)) if cut is not None]
        return min(cuts) if cuts else None

    return rule


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
