"""Syntax problems of a Python text: pure, no LSP types, safe to run in a worker thread.

CPython's compiler is the authority: if ``compile`` accepts the text there is nothing to
report (tree-sitter's grammar is more lenient in some places and stricter in others), and its
messages ("expected ':'", "'(' was never closed") are the ones Python users already know. It
also reports errors the parser alone misses, such as ``return`` outside a function.

``compile`` stops at the first error. To show later, independent errors too, checking
resumes at the next line that starts a new top-level statement, as if the user had fixed the
first error. Where Python gives only a point, tree-sitter supplies the extent of the token
there, so the editor underlines ``)`` or ``'abc`` rather than nothing or the whole line.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
import warnings
from dataclasses import dataclass

from tree_sitter import Tree

from codegpt.server.line_index import line_starts
from codegpt.server.parsing import parse
from codegpt.server.positions import encode

log = logging.getLogger(__name__)

MAX_PROBLEMS = 5
"""Later errors are rarely independent of earlier ones; a handful is what a person reads."""

# A top-level line where checking can resume: not indented, not a comment, and not a clause
# or closing bracket that only makes sense together with the lines before it.
_RESUMABLE = re.compile(r"(?!(?:else|elif|except|finally|case)\b)[^\s#)\]}]")
_TOKEN = re.compile(r"\w+|[^\w\s]")
# Errors that swallow the rest of the file: anything reported after them is noise.
_SWALLOWS_REST = ("unterminated triple-quoted string",)

# warnings.catch_warnings changes process-wide state, so compiles that silence warnings queue.
_compile_lock = threading.Lock()


@dataclass(frozen=True, order=True)
class SourcePosition:
    """Zero-based line and column; the column counts code points (Python string indices)."""

    line: int
    column: int


@dataclass(frozen=True)
class SyntaxProblem:
    """One error a person should fix, with the range to underline."""

    message: str
    start: SourcePosition
    end: SourcePosition


def syntax_problems(
    text: str, tree: Tree | None = None, max_problems: int = MAX_PROBLEMS
) -> list[SyntaxProblem]:
    """Syntax errors of ``text``, first one first; empty when Python compiles it.

    ``tree`` may be the document's current tree for ``text`` (saves a parse when an error
    needs a token extent).
    """
    starts = line_starts(text)
    trees = _LazyTree(text, tree)
    problems: list[SyntaxProblem] = []
    first_line = 0
    while len(problems) < max_problems:
        found = _first_problem(text, starts, first_line, trees)
        if found is None:
            break
        problems.append(found)
        if found.message.startswith(_SWALLOWS_REST):
            break
        first_line = _resume_line(text, starts, found.end.line + 1)
        if first_line is None:
            break
    return problems


class _LazyTree:
    """Parse only when a token extent is needed: most checks find nothing or get a range."""

    def __init__(self, text: str, tree: Tree | None) -> None:
        self._text = text
        self._tree = tree

    def get(self) -> Tree:
        if self._tree is None:
            self._tree = parse(self._text)
        return self._tree


def _line(text: str, starts: list[int], line: int) -> str:
    start = starts[line]
    end = starts[line + 1] if line + 1 < len(starts) else len(text)
    return text[start:end].rstrip("\r\n")


def _resume_line(text: str, starts: list[int], line: int) -> int | None:
    for candidate in range(line, len(starts)):
        if _RESUMABLE.match(_line(text, starts, candidate)):
            return candidate
    return None


def _compile_error(source: str) -> SyntaxError | None:
    """What CPython says about ``source``; non-syntax failures become SyntaxErrors too."""
    try:
        with _compile_lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(source, "<document>", "exec", dont_inherit=True)
    except SyntaxError as error:
        return error
    except ValueError as error:  # Python 3.11 raises ValueError for NUL bytes
        return SyntaxError(str(error))
    except (RecursionError, MemoryError):
        log.warning("document too deeply nested for Python's compiler", exc_info=True)
        return SyntaxError("too deeply nested for Python's compiler", ("", 1, 1, "", 1, 1))
    return None


def _first_problem(
    text: str, starts: list[int], first_line: int, trees: _LazyTree
) -> SyntaxProblem | None:
    error = _compile_error(text[starts[first_line] :] if first_line else text)
    if error is None:
        return None
    message = error.msg or "invalid syntax"
    if "null bytes" in message:
        # Python gives no location; the first NUL is what the user must remove.
        offset = text.index("\0") if "\0" in text else 0
        line = max(0, _line_index(starts, offset))
        column = offset - starts[line]
        message = "source code cannot contain null bytes"
        return SyntaxProblem(
            message, SourcePosition(line, column), SourcePosition(line, column + 1)
        )
    line_count = len(starts)
    line = min(max((error.lineno or 1) - 1 + first_line, 0), line_count - 1)
    column = min(max((error.offset or 1) - 1, 0), len(_line(text, starts, line)))
    start = SourcePosition(line, column)
    end = start
    if error.end_lineno is not None and error.end_offset is not None:
        end_line = min(max(error.end_lineno - 1 + first_line, 0), line_count - 1)
        end_column = min(max(error.end_offset - 1, 0), len(_line(text, starts, end_line)))
        end = SourcePosition(end_line, end_column)
    if end <= start:
        end = start
        start, end = _token_extent(text, starts, start, message, trees)
    return SyntaxProblem(message, start, end)


def _line_index(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1


def _token_extent(
    text: str, starts: list[int], at: SourcePosition, message: str, trees: _LazyTree
) -> tuple[SourcePosition, SourcePosition]:
    """The token Python pointed at, to underline something a person can see."""
    line_text = _line(text, starts, at.line)
    if message.startswith("unterminated string"):
        return at, SourcePosition(at.line, len(line_text))
    if at.column >= len(line_text.rstrip()):
        # Pointing past the last token ("expected ':'"): underline that token.
        previous = list(_TOKEN.finditer(line_text.rstrip()))
        if not previous:
            return at, at
        last = previous[-1]
        return SourcePosition(at.line, last.start()), SourcePosition(at.line, last.end())
    offset = starts[at.line] + at.column
    byte = len(encode(text[:offset]))
    node = trees.get().root_node.descendant_for_byte_range(byte, byte + 1)
    if node is not None and node.child_count == 0 and node.start_point.row == node.end_point.row:
        start_byte, end_byte = node.start_byte, node.end_byte
        if start_byte <= byte < end_byte:
            line_bytes = len(encode(text[: starts[at.line]]))
            prefix = encode(line_text)
            start_col = len(prefix[: start_byte - line_bytes].decode("utf-8", "surrogatepass"))
            end_col = len(prefix[: end_byte - line_bytes].decode("utf-8", "surrogatepass"))
            return SourcePosition(at.line, start_col), SourcePosition(at.line, end_col)
    token = _TOKEN.match(line_text, at.column)
    end_column = token.end() if token else at.column + 1
    return at, SourcePosition(at.line, end_column)
