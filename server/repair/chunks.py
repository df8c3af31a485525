"""The top-level statement around an error: a cheap stand-in for the whole file while searching.

A module is a sequence of top-level statements that parse independently, so whether a candidate
edit fixes the error depends (almost always) only on the statement that holds it. The search
compiles that chunk instead of the whole file, which is many times faster on long files; every
candidate that passes is still checked on the whole file before it is accepted, so a wrong
chunk boundary can only cost a missed candidate, never a bad fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegpt.server.repair.lexing import CLOSING, OPENING, LexedText

# A line at column 0 starting with these continues the statement above it.
CONTINUATIONS = frozenset({"else", "elif", "except", "finally"})


@dataclass(frozen=True)
class Chunk:
    """``text[start:end]``, beginning at 0-based line ``first_line``."""

    start: int
    end: int
    first_line: int


def _starts_statement(lexed: LexedText, line: int, inside_string: set[int]) -> bool:
    """A line at column 0 that begins a new top-level statement (not a continuation)."""
    if line in inside_string or lexed.is_blank(line) or lexed.indent_of(line):
        return False
    tokens = lexed.line_tokens(line)
    if not tokens:
        return False
    first = tokens[0]
    if first.kind != "name" and first.text != "@":
        return False
    if first.text in CONTINUATIONS:
        return False
    previous = line - 1
    while previous >= 0 and lexed.is_blank(previous):
        previous -= 1
    if previous >= 0:
        previous_tokens = lexed.line_tokens(previous)
        previous_text = lexed.line_text(previous).rstrip()
        if previous_text.endswith("\\") or (previous_tokens and previous_tokens[0].text == "@"):
            return False
    return True


def _string_lines(lexed: LexedText) -> set[int]:
    """Lines that start inside a multi-line string (their column 0 is string content)."""
    lines: set[int] = set()
    for token in lexed.tokens:
        if token.kind in ("string", "open_string") and "\n" in token.text:
            first = lexed.line_of(token.start)
            last = lexed.line_of(token.end)
            lines.update(range(first + 1, last + 1))
    return lines


def _depths(lexed: LexedText) -> list[int]:
    """Bracket depth at the start of every line (reliable up to the first error)."""
    depths = [0] * lexed.line_count
    depth = 0
    line = 0
    for token in lexed.tokens:
        if token.kind == "newline":
            line += 1
            if line < lexed.line_count:
                depths[line] = depth
        elif token.kind == "op" and token.text in OPENING:
            depth += 1
        elif token.kind == "op" and token.text in CLOSING:
            depth = max(0, depth - 1)
        elif "\n" in token.text or "\r" in token.text:
            # a multi-line string or continuation: later lines keep the same depth
            for _ in range(token.text.count("\n") or token.text.count("\r")):
                line += 1
                if line < lexed.line_count:
                    depths[line] = depth
    return depths


def statement_chunk(lexed: LexedText, first_line: int, last_line: int) -> Chunk:
    """The top-level statements covering ``first_line``..``last_line`` (0-based)."""
    inside_string = _string_lines(lexed)
    depths = _depths(lexed)
    start_line = first_line
    while start_line > 0 and not (
        depths[start_line] == 0 and _starts_statement(lexed, start_line, inside_string)
    ):
        start_line -= 1
    end_line = last_line + 1
    while end_line < lexed.line_count and not _starts_statement(lexed, end_line, inside_string):
        end_line += 1
    start = lexed.starts[start_line]
    end = lexed.starts[end_line] if end_line < lexed.line_count else len(lexed.text)
    return Chunk(start, end, start_line)
