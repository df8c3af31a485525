"""Does a text parse? The single test every repair must pass before anyone sees it.

A text parses when CPython compiles it to an AST *and* tree-sitter finds no ERROR or MISSING
node: compile() is the ground truth for "is this Python", tree-sitter is what the editor's other
features read. compile() runs first because it is fast and fails on most candidates; the tree is
only built for the survivors.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

# compile() tokenizes the whole file after a parser error and reports the first of these instead,
# wherever it is, so a broken quote far below hides a missing ':' above (CPython
# ``_PyPegen_tokenize_full_source_to_check_for_errors``). Fixing the quote reveals the earlier
# error: that is progress in compile()'s own order, not a step back.
REPORTED_FIRST = re.compile(
    r"unterminated (triple-quoted )?string literal|unmatched '|closing parenthesis|"
    r"invalid (decimal|hexadecimal|octal|binary|digit|character|non-printable)|leading zeros|"
    r"too many nested parentheses"
)


@dataclass(frozen=True)
class CompileError:
    """Where and why compile() rejects a text; lines 1-based, offsets 1-based code points."""

    message: str
    lineno: int
    offset: int
    end_lineno: int
    end_offset: int
    kind: str  # SyntaxError, IndentationError, TabError, ValueError

    @property
    def reported_first(self) -> bool:
        """compile() reports this error ahead of any parser error, wherever that one is."""
        return REPORTED_FIRST.match(self.message) is not None


@dataclass(frozen=True)
class TreeError:
    """An ERROR or MISSING node; rows 0-based, ``missing`` holds the token tree-sitter wanted."""

    start_row: int
    end_row: int
    start_byte: int
    missing: str | None


@dataclass(frozen=True)
class ParseStatus:
    """What both parsers say about one text."""

    compile_error: CompileError | None
    tree_errors: tuple[TreeError, ...]

    @property
    def compiles(self) -> bool:
        """CPython accepts the text."""
        return self.compile_error is None

    @property
    def parses(self) -> bool:
        """Both parsers accept it: the bar every fix must clear."""
        return self.compile_error is None and not self.tree_errors

    @property
    def first_error_line(self) -> int:
        """0-based line of the first problem (compile's report wins); -1 when there is none."""
        if self.compile_error is not None:
            return self.compile_error.lineno - 1
        if self.tree_errors:
            return min(error.start_row for error in self.tree_errors)
        return -1


def compile_error(text: str, filename: str = "<unknown>") -> CompileError | None:
    """compile()'s verdict; warnings (invalid escapes) are not errors and are silenced."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, filename, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        lineno = error.lineno or 1
        offset = error.offset or 1
        return CompileError(
            message=error.msg or "invalid syntax",
            lineno=lineno,
            offset=offset,
            end_lineno=error.end_lineno or lineno,
            end_offset=error.end_offset or offset,
            kind=type(error).__name__,
        )
    except ValueError as error:  # "source code string cannot contain null bytes"
        nul = text.find("\0")
        lineno = text.count("\n", 0, max(nul, 0)) + 1
        return CompileError(str(error), lineno, 1, lineno, 1, "ValueError")
    except (RecursionError, MemoryError) as error:  # absurd nesting: a parser limit, not a crash
        return CompileError(f"too deeply nested: {type(error).__name__}", 1, 1, 1, 1, "SyntaxError")
    return None


def tree_errors(text: str, limit: int = 200) -> tuple[TreeError, ...]:
    """ERROR and MISSING nodes, outermost first, at most ``limit`` of them."""
    # Imported here: the training data tools use compile_error alone, on machines without
    # tree-sitter (the GPU run's).
    from codegpt.server.parsing import parse

    root = parse(text).root_node
    if not root.has_error:
        return ()
    found: list[TreeError] = []
    stack = [root]
    while stack and len(found) < limit:
        node = stack.pop()
        if node.is_missing:
            found.append(
                TreeError(node.start_point[0], node.end_point[0], node.start_byte, node.type)
            )
            continue
        if node.is_error:
            found.append(TreeError(node.start_point[0], node.end_point[0], node.start_byte, None))
        if node.has_error:
            stack.extend(reversed(node.children))
    return tuple(found)


def check(text: str, filename: str = "<unknown>") -> ParseStatus:
    """Both verdicts on ``text``."""
    return ParseStatus(compile_error(text, filename), tree_errors(text))


def quick_check(text: str) -> ParseStatus:
    """Like :func:`check` but skips the tree when compile() already failed (the common case)."""
    error = compile_error(text)
    if error is not None:
        return ParseStatus(error, ())
    return ParseStatus(None, tree_errors(text))


Verdict = Callable[[str], ParseStatus]
"""``check`` or ``quick_check``: a whole-file verdict."""

VerdictRunner = Callable[[Verdict, str], ParseStatus]
"""Computes a verdict somewhere: here, or (the server, for big texts) in a child process."""


def run_here(verdict: Verdict, text: str) -> ParseStatus:
    """The default runner: this thread."""
    return verdict(text)
