"""Fill-in-the-middle spans that follow the syntax tree (structure-aware FIM, Gong et al. 2025).

Bavarian et al.'s spans start and end at random characters, so most middles are a third of a file
long and cross statements. What an editor asks for is narrower: the rest of an expression after
``return``, the rest of the line the user is typing, the next statement or two of a block. Spans
taken from the parse tree teach those shapes directly: an expression, a statement, a run of
sibling statements, or the tail of a statement from a random point inside it (the cursor in the
middle of a line). The middle may take the whitespace before it along, so that the prompt can end
right after a keyword (``return`` with the space still to come), as the server's prompts do.

Pure functions on strings; a document that does not parse falls back to a random span.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass

from codegpt.model.fim import format_psm, format_spm, random_span

Span = tuple[int, int]


@dataclass(frozen=True)
class SyntaxSpanConfig:
    """How often each kind of middle is drawn."""

    # Share of FIM examples whose middle follows the tree; the rest keep Bavarian's random span,
    # which the model was pretrained on and which covers middles no node boundary gives.
    syntax_rate: float = 0.7
    # Kinds are drawn uniformly, then a node of that kind uniformly: a file has far more
    # expressions than statements, and drawing over all nodes would be mostly names.
    kinds: tuple[str, ...] = ("expression", "statement", "statements", "tail")
    # A middle that starts at a node has its leading spaces moved into it this often.
    leading_space_rate: float = 0.5


def _line_starts(text: str) -> list[int]:
    """Character offset of each line's start (index 0 is line 1)."""
    starts = [0]
    for index, char in enumerate(text):
        if char == "\n":
            starts.append(index + 1)
    return starts


def _offset(text: str, starts: list[int], line: int, col_bytes: int) -> int:
    """A character offset from ``ast``'s 1-based line and UTF-8 byte column."""
    start = starts[line - 1]
    end = starts[line] if line < len(starts) else len(text)
    prefix = text[start:end].encode("utf-8")[:col_bytes]
    return start + len(prefix.decode("utf-8", errors="ignore"))


def _node_span(text: str, starts: list[int], node: ast.AST) -> Span | None:
    end_line = getattr(node, "end_lineno", None)
    end_col = getattr(node, "end_col_offset", None)
    if end_line is None or end_col is None:
        return None
    start = _offset(text, starts, node.lineno, node.col_offset)  # type: ignore[attr-defined]
    end = _offset(text, starts, end_line, end_col)
    return (start, end) if start < end else None


def syntax_spans(text: str) -> dict[str, list[Span]]:
    """Candidate middles of ``text`` by kind, as character spans; empty if it does not parse.

    ``expression``: every expression node. ``statement``: every statement but the module's only
    top-level one (that middle would be the whole document). ``statements``: runs of two or three
    sibling statements in one block. ``tail``: the same as ``statement``; the start is drawn inside
    it later.
    """
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return {}
    starts = _line_starts(text)
    kinds: dict[str, list[Span]] = {"expression": [], "statement": [], "statements": []}
    for node in ast.walk(tree):
        if isinstance(node, ast.expr):
            span = _node_span(text, starts, node)
            if span:
                kinds["expression"].append(span)
        elif isinstance(node, ast.stmt) and not (len(tree.body) == 1 and node is tree.body[0]):
            span = _node_span(text, starts, node)
            if span:
                kinds["statement"].append(span)
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list) or len(block) < 2:
                continue
            for first in range(len(block) - 1):
                for size in (2, 3):
                    if first + size > len(block):
                        continue
                    head = _node_span(text, starts, block[first])
                    last = _node_span(text, starts, block[first + size - 1])
                    if head and last:
                        kinds["statements"].append((head[0], last[1]))
    kinds["tail"] = list(kinds["statement"])
    return {kind: spans for kind, spans in kinds.items() if spans}


def _take_leading_space(text: str, start: int) -> int:
    """Move ``start`` back over the spaces before it on its line (not over the indentation)."""
    moved = start
    while moved > 0 and text[moved - 1] == " ":
        moved -= 1
    at_line_start = moved == 0 or text[moved - 1] == "\n"
    return start if at_line_start else moved


def draw_syntax_span(
    text: str, spans: dict[str, list[Span]], rng: random.Random, config: SyntaxSpanConfig
) -> Span | None:
    """One middle from ``spans``, or None when ``text`` gave none of the configured kinds."""
    kinds = [kind for kind in config.kinds if kind in spans]
    if not kinds:
        return None
    kind = rng.choice(kinds)
    start, end = rng.choice(spans[kind])
    if kind == "tail":
        return rng.randint(start, end - 1), end
    if rng.random() < config.leading_space_rate:
        start = _take_leading_space(text, start)
    return start, end


def apply_syntax_fim(
    text: str,
    rng: random.Random,
    fim_rate: float = 0.5,
    spm_rate: float = 0.5,
    config: SyntaxSpanConfig = SyntaxSpanConfig(),
) -> str:
    """``model.fim.apply_fim``, with the span from the tree ``config.syntax_rate`` of the time."""
    if rng.random() >= fim_rate:
        return text
    span = None
    if config.syntax_rate > 0 and rng.random() < config.syntax_rate:  # 0 draws as apply_fim
        span = draw_syntax_span(text, syntax_spans(text), rng, config)
    start, end = span or random_span(len(text), rng)
    prefix, middle, suffix = text[:start], text[start:end], text[end:]
    if rng.random() < spm_rate:
        return format_spm(prefix, middle, suffix)
    return format_psm(prefix, middle, suffix)
