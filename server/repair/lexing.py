"""A tokenizer for Python that never fails, for text that is broken on purpose or by accident.

The stdlib ``tokenize`` raises on exactly the inputs repair cares about (an unterminated string,
an unclosed bracket at end of file), so edit search and edit distances use this regular-expression
lexer instead: it keeps going, marks an unterminated string as ``open_string`` and any character
Python has no token for as ``other``.
"""

from __future__ import annotations

import bisect
import keyword
import math
import re
from dataclasses import dataclass
from functools import cached_property

from codegpt.server.line_index import line_starts

_STRING_PREFIX = r"(?:[rRbBuUfF]{1,2})?"
_TOKEN = re.compile(
    rf"""
    (?P<comment>\#[^\r\n]*)
  | (?P<triple>{_STRING_PREFIX}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"))
  | (?P<open_triple>{_STRING_PREFIX}(?:'''(?:\\.|[^\\])*|\"\"\"(?:\\.|[^\\])*))
  | (?P<string>{_STRING_PREFIX}(?:'(?:\\.|[^\\'\r\n])*'|"(?:\\.|[^\\"\r\n])*"))
  | (?P<open_string>{_STRING_PREFIX}(?:'(?:\\.|[^\\'\r\n])*|"(?:\\.|[^\\"\r\n])*))
  | (?P<number>0[xXoObB][\w]*|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][-+]?[\d_]+)?[jJ]?)
  | (?P<name>[^\W\d]\w*)
  | (?P<newline>\r\n|\r|\n)
  | (?P<cont>\\(?:\r\n|\r|\n))
  | (?P<ws>[ \t\f]+)
  | (?P<op>\*\*=|//=|>>=|<<=|\.\.\.|->|:=|==|!=|<=|>=|\*\*|//|<<|>>|[-+*/%@&|^]=
        |[-+*/%@&|^~<>()\[\]{{}},:;.=])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)

KEYWORDS = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) - {"_"}
OPENING = {"(": ")", "[": "]", "{": "}"}
CLOSING = {")": "(", "]": "[", "}": "{"}
# Statements whose header line must end with ':' (soft keywords match/case included).
COMPOUND_KEYWORDS = frozenset(
    {
        "def",
        "class",
        "if",
        "elif",
        "else",
        "for",
        "while",
        "try",
        "except",
        "finally",
        "with",
        "async",
        "match",
        "case",
    }
)


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is a group name of the lexer, offsets are code points."""

    kind: str
    text: str
    start: int
    end: int

    @property
    def significant(self) -> bool:
        """Whether the token matters to the grammar (whitespace and comments do not)."""
        return self.kind not in ("ws", "comment", "newline", "cont")

    @property
    def is_keyword(self) -> bool:
        """A NAME that Python reserves (or a soft keyword)."""
        return self.kind == "name" and self.text in KEYWORDS


_KIND_OF_GROUP = {"triple": "string", "open_triple": "open_string"}


def tokenize(text: str) -> list[Token]:
    """Every token of ``text`` in order, whitespace included; the texts concatenate to ``text``."""
    tokens = []
    for match in _TOKEN.finditer(text):
        group = match.lastgroup or "other"
        kind = _KIND_OF_GROUP.get(group, group)
        tokens.append(Token(kind, match.group(), match.start(), match.end()))
    return tokens


class LexedText:
    """A text with its tokens and line starts, so candidate generation can ask about lines."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.starts = line_starts(text)
        self._token_starts = [token.start for token in self.tokens]

    @property
    def line_count(self) -> int:
        """Lines in the text (a final line break opens an empty last line)."""
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        """0-based line holding ``offset``."""
        return bisect.bisect_right(self.starts, offset) - 1

    def line_span(self, line: int) -> tuple[int, int]:
        """Start and end (before the line break) of a 0-based line."""
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        while end > start and self.text[end - 1] in "\r\n":
            end -= 1
        return start, end

    def line_break(self, line: int) -> str:
        """The line break ending ``line`` (LF for the last): inserted lines match the file's."""
        end = self.line_span(line)[1]
        return "\r\n" if self.text[end : end + 2] == "\r\n" else "\n"

    def line_text(self, line: int) -> str:
        """The line without its break."""
        start, end = self.line_span(line)
        return self.text[start:end]

    def indent_of(self, line: int) -> str:
        """Leading whitespace of a line."""
        line_text = self.line_text(line)
        return line_text[: len(line_text) - len(line_text.lstrip(" \t\f"))]

    def is_blank(self, line: int) -> bool:
        """Empty, whitespace or comment only."""
        stripped = self.line_text(line).strip()
        return not stripped or stripped.startswith("#")

    def line_tokens(self, line: int) -> list[Token]:
        """Significant tokens that start on ``line``."""
        start, end = self.line_span(line)
        first = bisect.bisect_left(self._token_starts, start)
        last = bisect.bisect_right(self._token_starts, end)
        return [token for token in self.tokens[first:last] if token.significant]

    def tokens_between(self, start: int, end: int) -> list[Token]:
        """Significant tokens starting in ``[start, end)``: a statement over several lines."""
        first = bisect.bisect_left(self._token_starts, start)
        last = bisect.bisect_left(self._token_starts, end)
        return [token for token in self.tokens[first:last] if token.significant]

    def code_end(self, line: int) -> int:
        """Offset just after the last significant token starting on ``line`` (else line start)."""
        tokens = self.line_tokens(line)
        return tokens[-1].end if tokens else self.line_span(line)[0]

    def statement_end(self, offset: int, max_lines: int = 20) -> int:
        """End of the logical line running on from ``offset``: a statement to rewrite whole.

        It runs past backslash continuations and line breaks inside brackets, up to a line break
        outside brackets or a ``;``; the result is the end of its last significant token. A
        bracket that is never closed would swallow the file, so at most ``max_lines`` lines.
        """
        index = bisect.bisect_left(self._token_starts, offset)
        last_line = self.line_of(offset) + max_lines - 1
        depth = 0
        end = offset
        for token in self.tokens[index:]:
            if token.kind == "newline" and (depth <= 0 or self.line_of(token.start) >= last_line):
                break
            if token.kind == "op":
                if token.text in OPENING:
                    depth += 1
                elif token.text in CLOSING:
                    depth -= 1
                elif token.text == ";" and depth <= 0:
                    break
            if token.significant:
                end = token.end
        return end

    @cached_property
    def indent_widths(self) -> dict[int, int]:
        """How many code lines start at each indentation width (tabs to 8 columns)."""
        counts: dict[int, int] = {}
        for line in range(self.line_count):
            if not self.is_blank(line):
                width = len(self.indent_of(line).expandtabs(8))
                counts[width] = counts.get(width, 0) + 1
        return counts

    @cached_property
    def indent_unit(self) -> int:
        """Columns per indentation level: the gcd of the widths two or more lines use (else 4)."""
        unit = 0
        for width, count in self.indent_widths.items():
            if count >= 2:
                unit = math.gcd(unit, width)
        return unit or 4

    @cached_property
    def names(self) -> dict[str, int]:
        """How often each identifier occurs: an identifier seen once is likely a typo."""
        counts: dict[str, int] = {}
        for token in self.tokens:
            if token.kind == "name":
                counts[token.text] = counts.get(token.text, 0) + 1
        return counts


def significant_tokens(text: str) -> list[str]:
    """Token texts for edit distances: significant tokens plus one token per line's indentation."""
    result: list[str] = []
    at_line_start = True
    for token in tokenize(text):
        if token.kind == "newline":
            at_line_start = True
            result.append("\n")
            continue
        if at_line_start:
            at_line_start = False
            if token.kind == "ws":
                result.append(f"<indent {token.text}>")
                continue
        if token.significant:
            result.append(token.text)
    return result


def compound_header(tokens: list[Token]) -> bool:
    """Whether a line's tokens open a compound statement (``if x`` needs a ``:``)."""
    return bool(tokens) and tokens[0].kind == "name" and tokens[0].text in COMPOUND_KEYWORDS
