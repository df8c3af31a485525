"""Break working Python the way people do, to make repair training pairs and benchmarks.

Realistic kinds (a missing ``:``, an unclosed bracket, a missing comma, a misspelled keyword...)
come from what editors see every day; the random token replacement, insertion and deletion kinds
follow Break-It-Fix-It (Yasunaga & Liang 2021) so the model also sees errors nobody listed. Sites
are found with the stdlib ``tokenize`` on the *valid* original, and a corruption counts only if
compile() then rejects the text: a "corruption" that still runs teaches nothing.
"""

from __future__ import annotations

import bisect
import io
import keyword
import random
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from codegpt.server.line_index import line_starts
from codegpt.server.repair.verify import compile_error

REALISTIC_KINDS = (
    "missing_colon",
    "unclosed_bracket",
    "extra_bracket",
    "missing_comma",
    "bad_indent",
    "broken_quote",
    "misspelled_keyword",
    "assign_for_eq",
    "stray_char",
)
RANDOM_KINDS = ("token_replace", "token_insert", "token_delete")
KINDS = REALISTIC_KINDS + RANDOM_KINDS

# Tokens Break-It-Fix-It's random perturbations draw from: punctuation and the commonest keywords.
RANDOM_VOCAB = (
    ":", "(", ")", "[", "]", "{", "}", ",", ".", "=", "==", "'", '"', "def", "return", "if",
    "in", "for", "import", "else", "not", "and", "lambda", "\n", "    ",
)  # fmt: skip
STRAY_CHARS = ("$", "?", "`", "!", ";", "\\", "@", ".", ",")
TYPO_KEYWORDS = frozenset(
    {"def", "return", "while", "for", "if", "elif", "else", "import", "from", "class", "try",
     "except", "finally", "with", "lambda", "yield", "raise", "pass", "continue", "break",
     "global", "assert", "async", "await", "not", "in", "is"}
)  # fmt: skip
COMPOUND = frozenset(
    {"def", "class", "if", "elif", "else", "for", "while", "try", "except", "finally", "with",
     "async"}
)  # fmt: skip


class NotPython(ValueError):
    """The input does not tokenize or compile, so it cannot be corrupted meaningfully."""


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with ``new_text`` (code-point offsets into the original)."""

    start: int
    end: int
    new_text: str


@dataclass(frozen=True)
class Corruption:
    """A broken version of ``original``; ``error_line`` (1-based) is where compile() complains."""

    kinds: tuple[str, ...]
    original: str
    broken: str
    edits: tuple[Edit, ...]
    error_line: int
    error_message: str


@dataclass(frozen=True)
class _Site:
    edit: Edit
    kind: str


class _Source:
    """The original text with its stdlib tokens and line offsets."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = line_starts(text)
        try:
            raw = list(tokenize.generate_tokens(io.StringIO(text).readline))
        except (tokenize.TokenError, SyntaxError) as error:
            raise NotPython(f"does not tokenize: {error}") from error
        self.tokens = [token for token in raw if token.type != tokenize.ENDMARKER]
        self.lines = text.splitlines(keepends=True)

    def offset(self, position: tuple[int, int]) -> int:
        """Code-point offset of a tokenize (row 1-based, col) position."""
        row, col = position
        return self.starts[row - 1] + col if row - 1 < len(self.starts) else len(self.text)

    def span(self, token: tokenize.TokenInfo) -> tuple[int, int]:
        """Offsets of a token."""
        return self.offset(token.start), self.offset(token.end)

    def significant(self) -> list[tokenize.TokenInfo]:
        """Tokens that are code (no comments, newlines or indentation markers)."""
        skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
        return [token for token in self.tokens if token.type not in skip]


def _next_code(tokens: Sequence[tokenize.TokenInfo], index: int) -> tokenize.TokenInfo | None:
    for token in tokens[index + 1 :]:
        if token.type not in (tokenize.COMMENT, tokenize.NL):
            return token
    return None


def _missing_colon(source: _Source, rng: random.Random) -> list[_Site]:
    sites = []
    for index, token in enumerate(source.tokens):
        if token.type == tokenize.OP and token.string == ":":
            following = _next_code(source.tokens, index)
            if following is not None and following.type == tokenize.NEWLINE:
                start, end = source.span(token)
                sites.append(_Site(Edit(start, end, ""), "missing_colon"))
    return sites


def _unclosed_bracket(source: _Source, rng: random.Random) -> list[_Site]:
    return [
        _Site(Edit(*source.span(token), ""), "unclosed_bracket")
        for token in source.significant()
        if token.type == tokenize.OP and token.string in ")]}"
    ]


def _extra_bracket(source: _Source, rng: random.Random) -> list[_Site]:
    sites = []
    for token in source.significant():
        if token.type == tokenize.OP and token.string in ")]}([{":
            start, end = source.span(token)
            sites.append(_Site(Edit(end, end, token.string), "extra_bracket"))
    return sites


def _missing_comma(source: _Source, rng: random.Random) -> list[_Site]:
    tokens = source.significant()
    sites = []
    for index, token in enumerate(tokens[:-1]):
        following = tokens[index + 1]
        if token.string == "," and following.string not in ")]}":
            sites.append(_Site(Edit(*source.span(token), ""), "missing_comma"))
    return sites


def _bad_indent(source: _Source, rng: random.Random) -> list[_Site]:
    sites = []
    previous_type = tokenize.NEWLINE
    for token in source.tokens:
        starts_line = previous_type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        if token.type not in (tokenize.COMMENT, tokenize.NL):
            previous_type = token.type
        if not starts_line or token.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.NEWLINE):
            continue
        row, col = token.start
        line_start = source.starts[row - 1]
        indent = source.text[line_start : line_start + col]
        choices = [indent + " " * rng.choice((1, 2, 4)), indent[: max(0, col - rng.choice((1, 2)))]]
        if col >= 4:
            choices.append(indent[:-4])
        choices.append(indent.replace("    ", "\t", 1) if "    " in indent else "\t" + indent)
        new_indent = rng.choice(choices)
        if new_indent != indent:
            sites.append(_Site(Edit(line_start, line_start + col, new_indent), "bad_indent"))
    return sites


def _broken_quote(source: _Source, rng: random.Random) -> list[_Site]:
    sites = []
    for token in source.significant():
        if token.type != tokenize.STRING or token.start[0] != token.end[0]:
            continue
        body = token.string.lstrip("rRbBuUfF")
        if body[:3] in ("'''", '"""') or len(body) < 2:
            continue
        start, end = source.span(token)
        other = '"' if body[0] == "'" else "'"
        sites.append(_Site(Edit(end - 1, end, ""), "broken_quote"))  # unterminated
        sites.append(_Site(Edit(end - 1, end, other), "broken_quote"))  # mismatched
    return sites


def _typo(word: str, rng: random.Random) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    index = rng.randrange(len(word))
    operation = rng.choice(("swap", "drop", "double", "replace"))
    if operation == "swap" and len(word) >= 2:
        index = min(index, len(word) - 2)
        return word[:index] + word[index + 1] + word[index] + word[index + 2 :]
    if operation == "drop" and len(word) >= 3:
        return word[:index] + word[index + 1 :]
    if operation == "double":
        return word[: index + 1] + word[index] + word[index + 1 :]
    return word[:index] + rng.choice(letters) + word[index + 1 :]


def _misspelled_keyword(source: _Source, rng: random.Random) -> list[_Site]:
    sites = []
    for token in source.significant():
        if token.type == tokenize.NAME and token.string in TYPO_KEYWORDS:
            typo = _typo(token.string, rng)
            if typo != token.string and not keyword.iskeyword(typo):
                sites.append(_Site(Edit(*source.span(token), typo), "misspelled_keyword"))
    return sites


def _assign_for_eq(source: _Source, rng: random.Random) -> list[_Site]:
    return [
        _Site(Edit(*source.span(token), "="), "assign_for_eq")
        for token in source.significant()
        if token.type == tokenize.OP and token.string == "=="
    ]


def _boundaries(source: _Source) -> list[int]:
    positions = set()
    for token in source.significant():
        start, end = source.span(token)
        positions.update((start, end))
    return sorted(positions)


def _stray_char(source: _Source, rng: random.Random) -> list[_Site]:
    return [
        _Site(Edit(position, position, rng.choice(STRAY_CHARS)), "stray_char")
        for position in _boundaries(source)
    ]


def _token_replace(source: _Source, rng: random.Random) -> list[_Site]:
    return [
        _Site(Edit(*source.span(token), rng.choice(RANDOM_VOCAB)), "token_replace")
        for token in source.significant()
    ]


def _token_insert(source: _Source, rng: random.Random) -> list[_Site]:
    sites = []
    for position in _boundaries(source):
        inserted = rng.choice(RANDOM_VOCAB)
        if inserted.isalpha():
            inserted = f" {inserted} "
        sites.append(_Site(Edit(position, position, inserted), "token_insert"))
    return sites


def _token_delete(source: _Source, rng: random.Random) -> list[_Site]:
    return [_Site(Edit(*source.span(token), ""), "token_delete") for token in source.significant()]


SITE_FINDERS: dict[str, Callable[[_Source, random.Random], list[_Site]]] = {
    "missing_colon": _missing_colon,
    "unclosed_bracket": _unclosed_bracket,
    "extra_bracket": _extra_bracket,
    "missing_comma": _missing_comma,
    "bad_indent": _bad_indent,
    "broken_quote": _broken_quote,
    "misspelled_keyword": _misspelled_keyword,
    "assign_for_eq": _assign_for_eq,
    "stray_char": _stray_char,
    "token_replace": _token_replace,
    "token_insert": _token_insert,
    "token_delete": _token_delete,
}


def _apply(text: str, edits: Sequence[Edit]) -> str:
    for edit in sorted(edits, key=lambda item: item.start, reverse=True):
        text = text[: edit.start] + edit.new_text + text[edit.end :]
    return text


def _line_of(starts: Sequence[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1


def corrupt(
    text: str,
    kinds: Sequence[str] | str,
    rng: random.Random,
    n_errors: int = 1,
    max_tries: int = 30,
) -> Corruption | None:
    """Break ``text`` with ``n_errors`` edits on distinct lines, or None if no site breaks it.

    ``kinds`` is one kind or a list to draw each error's kind from. Each try picks fresh random
    sites; a try counts only if compile() rejects the result. Raises :class:`NotPython` when the
    input itself is not valid Python.
    """
    wanted = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    unknown = [kind for kind in wanted if kind not in SITE_FINDERS]
    if unknown:
        raise ValueError(f"unknown corruption kind(s) {unknown}; known: {', '.join(KINDS)}")
    if compile_error(text) is not None:
        raise NotPython("the input does not compile")
    source = _Source(text)
    sites_by_kind: dict[str, list[_Site]] = {}
    for _ in range(max_tries):
        chosen: list[_Site] = []
        used_lines: set[int] = set()
        for _error in range(n_errors):
            kind = rng.choice(wanted)
            if kind not in sites_by_kind:
                sites_by_kind[kind] = SITE_FINDERS[kind](source, rng)
            free = [
                site
                for site in sites_by_kind[kind]
                if _line_of(source.starts, site.edit.start) not in used_lines
            ]
            if not free:
                break
            site = rng.choice(free)
            chosen.append(site)
            first = _line_of(source.starts, site.edit.start)
            last = _line_of(source.starts, site.edit.end)
            used_lines.update(range(first - 1, last + 2))
        if len(chosen) < n_errors:
            continue
        edits = tuple(site.edit for site in chosen)
        broken = _apply(text, edits)
        error = compile_error(broken)
        if error is None:
            continue
        return Corruption(
            tuple(site.kind for site in chosen), text, broken, edits, error.lineno, error.message
        )
    return None


def _lines(text: str) -> list[str]:
    """Lines with their breaks, split exactly where compile() and LSP split them."""
    starts = line_starts(text)
    ends = [*starts[1:], len(text)]
    lines = [text[start:end] for start, end in zip(starts, ends, strict=True)]
    return lines if lines[-1] else lines[:-1]


def repair_window(corruption: Corruption, radius: int = 8) -> tuple[str, str]:
    """The broken lines around the reported error and the same lines fixed.

    The window spans ``radius`` lines either side of compile()'s line, grown to cover every edit
    it touches, cut at line boundaries. Edits may add or remove lines, so the fixed window's
    bounds are the broken ones shifted by the line changes of the edits before and inside it.
    """
    broken_lines = _lines(corruption.broken)
    original_lines = _lines(corruption.original)
    broken_starts = line_starts(corruption.broken)
    edits = sorted(corruption.edits, key=lambda item: item.start)
    shift = 0
    placed = []  # (first broken line, last broken line, lines added by the edit)
    for edit in edits:
        start = edit.start + shift
        added = edit.new_text.count("\n") - corruption.original.count("\n", edit.start, edit.end)
        placed.append(
            (
                _line_of(broken_starts, start),
                _line_of(broken_starts, start + len(edit.new_text)),
                added,
            )
        )
        shift += len(edit.new_text) - (edit.end - edit.start)
    error_line = corruption.error_line - 1
    nearest = min(placed, key=lambda item: abs(item[0] - error_line))
    first = max(0, min(error_line, nearest[0]) - radius)
    last = min(len(broken_lines) - 1, max(error_line, nearest[1]) + radius)
    for start, end, _added in placed:
        if start <= last and end >= first:
            first, last = min(first, start), max(last, end)
    before = sum(added for start, end, added in placed if end < first)
    inside = sum(added for start, end, added in placed if first <= start and end <= last)
    original_first = first - before
    original_last = last - before - inside
    return (
        "".join(broken_lines[first : last + 1]),
        "".join(original_lines[original_first : original_last + 1]),
    )
