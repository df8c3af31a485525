"""Edit search: the small edits people's syntax errors usually need, each with a prior cost.

Near the reported error we try inserting, deleting or replacing one of ``:`` ``)`` ``]`` ``}``
``,`` and quotes at token boundaries, re-indenting a line to a level its neighbours use, fixing a
name that is one or two typos from a keyword, ``=`` -> ``==`` in conditions, and what other
languages (or Python 2) spell differently: ``else if``, ``&&``, ``||``, ``!x``, ``i++``,
``print x``. Those get their Python spelling, cheaply: deleting a ``&`` or a ``!`` also parses
but changes what the code means. Every candidate
carries a cost: low for the edit that the context makes likely (a ``:`` at the end of an ``if``
line), higher for edits that merely might parse. The fixer verifies candidates cheapest first,
so the costs decide both speed and which of several parsing fixes wins without a model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from codegpt.server.repair.edits import TextEdit, damerau_distance
from codegpt.server.repair.lexing import (
    CLOSING,
    KEYWORDS,
    OPENING,
    LexedText,
    Token,
    compound_header,
)
from codegpt.server.repair.verify import ParseStatus

INSERTABLE = (":", ")", "]", "}", ",")
CONDITION_KEYWORDS = frozenset({"if", "elif", "while", "assert", "return"})
# Keywords a typo most likely came from; 'in'/'is'/'or' are too short to guess from reliably.
TYPO_TARGETS = tuple(sorted(word for word in KEYWORDS if len(word) >= 2))
ATOM_END_KINDS = frozenset({"name", "number", "string"})


@dataclass(frozen=True)
class Candidate:
    """One proposed edit and how unlikely it is a priori (lower is more likely)."""

    edit: TextEdit
    cost: float
    source: str = "search"
    note: str = field(default="", compare=False)


def _is_atom_end(token: Token) -> bool:
    if token.kind in ATOM_END_KINDS:
        return not (token.kind == "name" and token.is_keyword and token.text not in _VALUES)
    return token.text in CLOSING


def _is_atom_start(token: Token) -> bool:
    if token.kind in ATOM_END_KINDS:
        return not (token.kind == "name" and token.is_keyword and token.text not in _VALUES)
    return token.text in OPENING or token.kind == "open_string"


_VALUES = frozenset({"True", "False", "None"})


class _Collector:
    """Keeps the cheapest candidate per distinct resulting window."""

    def __init__(self, text: str, window: tuple[int, int]) -> None:
        self.text = text
        self.window = window
        self.best: dict[str, Candidate] = {}

    def add(
        self,
        start: int,
        end: int,
        new_text: str,
        cost: float,
        note: str = "",
        source: str = "search",
    ) -> None:
        if self.text[start:end] == new_text:
            return
        lo, hi = self.window
        key = self.text[min(lo, start) : start] + new_text + self.text[end : max(hi, end)]
        known = self.best.get(key)
        if known is None or cost < known.cost:
            self.best[key] = Candidate(TextEdit(start, end, new_text), cost, source, note)


def bracket_stacks(lexed: LexedText, first_line: int, last_line: int) -> dict[int, tuple[str, ...]]:
    """Open brackets (innermost last) at every token boundary from ``first_line`` on.

    The stack starts empty at ``first_line``: a few lines of context are a guess, but a cheap one
    that is right for the one-line statements most errors sit in.
    """
    stacks: dict[int, tuple[str, ...]] = {}
    stack: list[str] = []
    start = lexed.line_span(first_line)[0]
    end = lexed.line_span(last_line)[1]
    for token in lexed.tokens:
        if token.end <= start or not token.significant:
            continue
        if token.start > end:
            break
        stacks.setdefault(token.start, tuple(stack))
        if token.text in OPENING and token.kind == "op":
            stack.append(token.text)
        elif token.kind == "op" and stack and stack[-1] == CLOSING.get(token.text):
            stack.pop()
        stacks[token.end] = tuple(stack)
    return stacks


def search_candidates(
    lexed: LexedText, lines: Sequence[int], status: ParseStatus
) -> list[Candidate]:
    """All single-edit candidates on ``lines``, cheapest first."""
    if not lines:
        return []
    first, last = min(lines), max(lines)
    window = (lexed.line_span(first)[0], lexed.line_span(last)[1])
    collector = _Collector(lexed.text, window)
    stacks = bracket_stacks(lexed, max(0, first - 2), last)
    error_line = status.first_error_line
    message = status.compile_error.message if status.compile_error else ""
    string_error = "string literal" in message
    # "Perhaps you forgot a comma?" spans the two items that need one between them.
    forgot_comma = "forgot a comma" in message
    error_first = status.compile_error.lineno - 1 if status.compile_error else -1
    error_last = status.compile_error.end_lineno - 1 if status.compile_error else -1
    for rank, line in enumerate(lines):
        # Lines further from the reported error are a little less likely to hold the fix.
        distance = 0.05 * rank
        tokens = lexed.line_tokens(line)
        next_line = _neighbour(lexed, line, +1)
        next_first = lexed.line_tokens(next_line)[0] if next_line is not None else None
        comma_hint = forgot_comma and error_first <= line <= error_last
        _punctuation(collector, tokens, next_first, stacks, distance, comma_hint)
        _deletions(collector, tokens, stacks, distance, on_error_line=line == error_line)
        _replacements(collector, lexed, tokens, stacks, distance)
        _idioms(collector, lexed, tokens, distance, print_hint="Missing parentheses" in message)
        _strings(collector, lexed, line, tokens, distance, string_error)
        if "f-string: expecting '}'" in message:
            _fstring_braces(collector, tokens, distance)
        _indentation(collector, lexed, line, distance)
    _missing_nodes(collector, lexed, lines, status)
    return sorted(collector.best.values(), key=lambda c: (c.cost, c.edit.size, c.edit.start))


def _punctuation(
    collector: _Collector,
    tokens: list[Token],
    next_first: Token | None,
    stacks: dict[int, tuple[str, ...]],
    distance: float,
    comma_hint: bool,
) -> None:
    """Insert ``:`` ``)`` ``]`` ``}`` ``,`` (and, at a high cost, openers) between tokens.

    At the end of a line the next line's first token is the right-hand neighbour: an item of a
    multi-line list that lost its comma ends its line.
    """
    if not tokens:
        return
    header = compound_header(tokens) and tokens[-1].text != ":"
    code_end = tokens[-1].end
    before_colon = tokens[-1].start if tokens[-1].text == ":" else None
    boundaries: list[tuple[int, Token | None, Token | None]] = []
    for index, token in enumerate(tokens):
        previous = tokens[index - 1] if index else None
        if previous is None or previous.end != token.start:
            boundaries.append((token.start, previous, token))
        following = tokens[index + 1] if index + 1 < len(tokens) else next_first
        boundaries.append((token.end, token, following))
    for position, left, right in boundaries:
        stack = stacks.get(position, ())
        # Before a closer that belongs to an outer bracket, the inner expression must end.
        closes_outer = (
            right is not None
            and right.text in CLOSING
            and bool(stack)
            and OPENING[stack[-1]] != right.text
        )
        at_end = position in (code_end, before_colon) or closes_outer
        for mark in INSERTABLE:
            cost = _insert_cost(mark, position == code_end, at_end, header, left, right, stack)
            if mark == "," and comma_hint and cost < 2:
                cost -= 0.2
            collector.add(position, position, mark, cost + distance)
        for opener in OPENING:
            collector.add(position, position, opener, 2.6 + distance)


def _insert_cost(
    mark: str,
    at_code_end: bool,
    at_end: bool,
    header: bool,
    left: Token | None,
    right: Token | None,
    stack: tuple[str, ...],
) -> float:
    if mark == ":":
        if header and at_code_end:
            return 0.6
        return 1.6 if at_code_end else 2.2
    if mark == ",":
        if left is not None and right is not None and _is_atom_end(left) and _is_atom_start(right):
            return 0.9 if stack else 1.5
        return 2.4
    matches = bool(stack) and OPENING[stack[-1]] == mark
    if matches:
        return 1.0 if at_end else 1.5
    return 2.5


def _deletions(
    collector: _Collector,
    tokens: list[Token],
    stacks: dict[int, tuple[str, ...]],
    distance: float,
    on_error_line: bool,
) -> None:
    for index, token in enumerate(tokens):
        if token.kind == "other":
            cost = 0.7
        elif token.kind == "op" and token.text in CLOSING:
            stack = stacks.get(token.start, ())
            cost = 1.6 if stack and stack[-1] == CLOSING[token.text] else 0.8
        elif token.kind == "op" and token.text in OPENING:
            cost = 0.9 if _doubled(tokens, index) else 1.7
        elif token.kind == "op" and token.text in {",", ":", ";", "."}:
            # ``2,,`` or ``;;``: a separator typed twice, the likeliest stray of all.
            cost = 0.9 if _repeated(tokens, index) else 1.5
        elif token.kind == "op":
            cost = 1.9
        elif token.kind == "open_string":
            quote_at = token.start + len(token.text) - len(token.text.lstrip("rRbBuUfF"))
            collector.add(quote_at, quote_at + 1, "", 1.5 + distance)
            continue
        elif on_error_line:
            cost = 2.5
        else:
            continue
        start = token.start
        if index and index == len(tokens) - 1:  # the line's last token: no trailing blank left
            while collector.text[start - 1] in " \t":
                start -= 1
        collector.add(start, token.end, "", cost + distance)


def _glued_to_number(tokens: list[Token], index: int) -> bool:
    """A number touches this token on either side, so a '.' here would join the number."""
    token = tokens[index]
    before = tokens[index - 1] if index else None
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    return (before is not None and before.kind == "number" and before.end == token.start) or (
        after is not None and after.kind == "number" and after.start == token.end
    )


def _repeated(tokens: list[Token], index: int) -> bool:
    """The same separator right before this one, with at most blanks between (``2, ,``)."""
    if index == 0:
        return False
    before = tokens[index - 1]
    between = tokens[index].start - before.end
    return before.text == tokens[index].text and between <= 1


def _doubled(tokens: list[Token], index: int) -> bool:
    """``((`` or ``[[``: a bracket typed twice (the second may be the stray one)."""
    token = tokens[index]
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return following is not None and following.text == token.text and following.start == token.end


def doubled_openers(lexed: LexedText, first_line: int, last_line: int) -> list[Candidate]:
    """Delete a doubled opening bracket anywhere in a statement ("'(' was never closed").

    Python reports an unclosed bracket where the *outer* one opens, possibly far above the
    stray one, so these are searched over the whole statement, not just near the report.
    """
    found = []
    for line in range(first_line, min(last_line, first_line + 80) + 1):
        tokens = lexed.line_tokens(line)
        for index, token in enumerate(tokens):
            if token.kind == "op" and token.text in OPENING and _doubled(tokens, index):
                found.append(Candidate(TextEdit(token.start, token.end, ""), 1.0, "search"))
    return found


def closers_on_own_line(lexed: LexedText, status: ParseStatus) -> list[Candidate]:
    """Close a never-closed bracket on a line of its own, after the lines it holds.

    A bracket that ends its line (``call(`` then indented arguments) is closed on a line of its
    own at the opener line's indentation; that line is often still there, blank, when the closer
    was deleted. A bracket with items after it on its line is more often closed at the end of the
    last item, which ordinary insertion covers, so the own-line closer costs more there.
    """
    error = status.compile_error
    if error is None or "never closed" not in error.message or error.lineno > lexed.line_count:
        return []
    line = error.lineno - 1
    opener_at = lexed.starts[line] + error.offset - 1
    opener = lexed.text[opener_at : opener_at + 1]
    if opener not in OPENING:
        return []
    tokens = lexed.line_tokens(line)
    hanging = bool(tokens) and tokens[-1].start == opener_at
    indent = lexed.indent_of(line)
    width = len(indent.expandtabs(8))
    last = line
    for later in range(line + 1, min(lexed.line_count, line + 80)):
        later_tokens = lexed.line_tokens(later)
        if lexed.is_blank(later) or not later_tokens:
            continue  # blank, a comment, or inside a multi-line string
        if len(lexed.indent_of(later).expandtabs(8)) <= width:
            if later_tokens[0].text in CLOSING:
                return []  # this bracket has its own closer; a nested one lost its closer
            break
        last = later
    if last == line:
        return []
    cost = 0.85 if hanging and _closers_on_own_lines(lexed) else 1.3
    closer = OPENING[opener]
    following = last + 1
    if following < lexed.line_count and not lexed.line_text(following).strip():
        start, end = lexed.line_span(following)
        blank = lexed.text[start:end]
        if blank == indent:
            return [Candidate(TextEdit(end, end, closer), cost)]
        return [Candidate(TextEdit(start, end, indent + closer), cost)]
    end = lexed.line_span(last)[1]
    newline = lexed.line_break(last)
    return [Candidate(TextEdit(end, end, newline + indent + closer), cost + 0.1)]


HANDLER_COST = 1.2  # above a misspelled or misplaced ``except``, which the search restores


def missing_handler(lexed: LexedText, status: ParseStatus) -> list[Candidate]:
    """Close a ``try`` that has no ``except`` or ``finally`` with ``finally: pass``.

    Which exceptions the author meant to catch is a guess; an empty ``finally`` is the one
    clause that keeps what the block does (errors still propagate) and leaves an obvious place
    to write the handler. It goes after the ``try`` body's last line, at the ``try``'s level.
    """
    error = status.compile_error
    if error is None or "expected 'except' or 'finally'" not in error.message:
        return []
    found = _open_try(lexed, min(error.lineno, lexed.line_count) - 1)
    if found is None:
        return []
    header, first, last = found
    indent = lexed.indent_of(header)
    end = lexed.line_span(last)[1]
    newline = lexed.line_break(last)
    if first is None:  # ``try: x = 1`` on one line
        clause = f"{newline}{indent}finally: pass"
    else:  # the body's own indentation, so a tab-indented file stays tab-indented
        clause = f"{newline}{indent}finally:{newline}{lexed.indent_of(first)}pass"
    note = "add 'finally: pass' to the try block (keeps its behaviour)"
    return [Candidate(TextEdit(end, end, clause), HANDLER_COST, note=note)]


def _open_try(lexed: LexedText, line: int) -> tuple[int, int | None, int] | None:
    """The nearest ``try`` header at or above ``line`` with no clause after its body.

    Returns the header line and its body's first code line (None for ``try: x``) and last line;
    a ``try`` whose body is followed by an ``except`` or ``finally`` at its level is complete
    (a nested one, say) and is passed over.
    """
    for header in range(line, max(-1, line - 400), -1):
        tokens = lexed.line_tokens(header)
        if not (len(tokens) > 1 and tokens[0].text == "try" and tokens[1].text == ":"):
            continue
        width = _width(lexed.indent_of(header))
        first: int | None = None
        last, following = header, None
        for later in range(header + 1, lexed.line_count):
            if not lexed.line_text(later).strip():
                continue
            deeper = _width(lexed.indent_of(later)) > width
            if lexed.is_blank(later):  # a comment: the body's when indented like it
                last = later if deeper else last
                continue
            if not lexed.line_tokens(later):  # inside a multi-line string of the body
                last = later
                continue
            if not deeper:
                following = later
                break
            first = later if first is None else first
            last = later
        clause = following is not None and lexed.line_tokens(following)[0].text in (
            "except",
            "finally",
        )
        if not clause or _width(lexed.indent_of(following)) != width:
            return header, first, last
    return None


def _closers_on_own_lines(lexed: LexedText) -> bool:
    """Whether this file closes multi-line brackets on lines of their own (black's style)."""
    return any(
        (tokens := lexed.line_tokens(line)) and tokens[0].text in CLOSING
        for line in range(lexed.line_count)
    )


def _replacements(
    collector: _Collector,
    lexed: LexedText,
    tokens: list[Token],
    stacks: dict[int, tuple[str, ...]],
    distance: float,
) -> None:
    condition = bool(tokens) and tokens[0].text in CONDITION_KEYWORDS
    for index, token in enumerate(tokens):
        if token.kind == "op":
            if token.text == "=":
                collector.add(token.start, token.end, "==", (0.6 if condition else 1.4) + distance)
            if token.text in CLOSING:
                stack = stacks.get(token.start, ())
                if stack and stack[-1] != CLOSING[token.text]:
                    collector.add(token.start, token.end, OPENING[stack[-1]], 0.8 + distance)
            if token.text in {":", ",", ";", "."}:
                for other in (":", ",", ";", "."):
                    if other == "." and _glued_to_number(tokens, index):
                        continue  # `2,` -> `2.` changes a number; it separates nothing
                    collector.add(token.start, token.end, other, 1.7 + distance)
        elif token.kind == "name" and not token.is_keyword:
            for word, cost in _keyword_guesses(token, lexed, first=token is tokens[0]):
                collector.add(token.start, token.end, word, cost + distance)


IDIOM_COST = 0.3  # below every generic edit: when it parses, it is what the author meant
DOUBLED_OPERATORS = {"&": "and", "|": "or"}
STEPS = {"+": "+= 1", "-": "-= 1"}
# Where a ``!`` before a name reads as a negation (``if !done``, ``return !ok``); after ``(``,
# ``,`` or ``=`` a stray ``!`` is as likely a typo, and deleting it keeps the meaning.
NEGATION_AFTER = frozenset({"if", "elif", "while", "and", "or", "assert", "return"})


def _idioms(
    collector: _Collector,
    lexed: LexedText,
    tokens: list[Token],
    distance: float,
    print_hint: bool,
) -> None:
    """Other languages' spellings on one line, rewritten the Python way."""
    text = collector.text
    cost = IDIOM_COST + distance

    def add(start: int, end: int, new_text: str, price: float = cost) -> None:
        collector.add(start, end, new_text, price, source="idiom")

    if len(tokens) >= 2 and [t.text for t in tokens[:2]] == ["else", "if"]:
        add(tokens[0].start, tokens[1].end, "elif")
    statement = _python2_statement(lexed, tokens)
    if statement is not None:
        start, end, call = statement
        add(start, end, call, cost - (0.1 if print_hint else -0.3))
    for index, (first, second) in enumerate(zip(tokens, tokens[1:], strict=False)):
        adjacent = first.end == second.start and first.text == second.text
        if adjacent and first.kind == "op" and first.text in DOUBLED_OPERATORS:
            before = " " if first.start and not text[first.start - 1].isspace() else ""
            after = " " if second.end < len(text) and not text[second.end].isspace() else ""
            word = DOUBLED_OPERATORS[first.text]
            add(first.start, second.end, f"{before}{word}{after}")
        last = index + 2 == len(tokens)
        if adjacent and first.text in STEPS and last and index and _is_atom_end(tokens[index - 1]):
            add(first.start, second.end, f" {STEPS[first.text]}")
        after_word = index > 0 and tokens[index - 1].text in NEGATION_AFTER
        operand = second.kind == "name" and not second.is_keyword or second.text == "("
        if first.text == "!" and first.kind == "other" and after_word and operand:
            add(first.start, second.start, "not ")


def _python2_statement(lexed: LexedText, tokens: list[Token]) -> tuple[int, int, str] | None:
    """``print x, y`` / ``exec code`` rewritten as the call 2to3 writes: (start, end, new text).

    The span runs from after the keyword over the whole logical line, continuation lines
    included. A trailing comma (no newline in Python 2) becomes ``end=" "``, so the rewrite
    keeps what the statement did, and so does ``exec code in ns`` -> ``exec(code, ns)``.
    (``print >>f, x`` parses in Python 3: not ours to fix.)
    """
    if len(tokens) < 2 or tokens[0].text not in ("print", "exec"):
        return None
    if tokens[1].text == "(" or not _is_atom_start(tokens[1]):
        return None
    start, end = tokens[0].end, lexed.statement_end(tokens[1].start)
    arguments = lexed.text[tokens[1].start : end]
    if tokens[0].text == "print" and arguments.endswith(","):
        arguments = arguments[:-1].rstrip() + ', end=" "'
    statement = lexed.tokens_between(tokens[1].start, end) if tokens[0].text == "exec" else []
    namespaces = _top_level_in(statement)
    if namespaces is not None and namespaces.end < end:
        code = lexed.text[tokens[1].start : namespaces.start].rstrip()
        arguments = f"{code}, {lexed.text[namespaces.end : end].strip()}"
    return start, end, f"({arguments})"


def _top_level_in(statement: list[Token]) -> Token | None:
    """The ``in`` of ``exec code in ns`` outside brackets; ``statement`` starts at ``code``."""
    depth = 0
    for token in statement[1:]:
        if token.kind == "op" and token.text in OPENING:
            depth += 1
        elif token.kind == "op" and token.text in CLOSING:
            depth -= 1
        elif depth == 0 and token.text == "in" and token.kind == "name":
            return token
    return None


def _keyword_guesses(token: Token, lexed: LexedText, first: bool) -> Iterable[tuple[str, float]]:
    name = token.text
    if len(name) < 2 or len(name) > 10:
        return
    seen_elsewhere = lexed.names.get(name, 0) > 1
    for word in TYPO_TARGETS:
        if abs(len(word) - len(name)) > 2:
            continue
        distance = damerau_distance(name.lower(), word)
        if distance == 0 and name != word:
            yield word, 0.5
        elif distance == 1 or (distance == 2 and len(word) >= 5):
            cost = 0.7 + 0.6 * (distance - 1) + (0.8 if seen_elsewhere else 0.0)
            yield word, cost - (0.1 if first else 0.0)


_BEFORE_OPERATOR = re.compile(r" +(?=[-%+*/=<>!&|^@]|(?:in|and|or|not|is|if|else|for)\b)")


def _strings(
    collector: _Collector,
    lexed: LexedText,
    line: int,
    tokens: list[Token],
    distance: float,
    string_error: bool,
) -> None:
    """Close an unterminated string where its text plausibly ended, or fix a mismatched quote.

    When compile() reports an unterminated string, the quote that went missing may have made
    the *complete-looking* strings on the line wrong too (``("A", "Z), ("0")``), so quotes are
    also tried inside them, a little more expensively.
    """
    for token in tokens:
        if token.kind not in ("open_string", "string"):
            continue
        open_string = token.kind == "open_string"
        if not open_string and not string_error:
            continue
        body_at = len(token.text) - len(token.text.lstrip("rRbBuUfF"))
        quote = token.text[body_at]
        if token.text[body_at : body_at + 3] == quote * 3:
            if open_string:
                for later in range(line, min(line + 6, lexed.line_count)):
                    end = lexed.line_span(later)[1]
                    if end > token.start + body_at + 3:
                        collector.add(end, end, quote * 3, 1.8 + 0.05 * (later - line) + distance)
            continue
        extra = 0.0 if open_string else 0.4
        other_quote = '"' if quote == "'" else "'"
        body_start = token.start + body_at + 1
        body_end = token.end if open_string else token.end - 1
        for index in range(body_start, body_end):
            char = lexed.text[index]
            if char == other_quote:
                collector.add(index, index + 1, quote, 0.75 + extra + distance)
            elif char in ")]},:":
                order = 0.001 * (index - body_start)
                collector.add(index, index, quote, 1.0 + extra + distance + order)
        for match in _BEFORE_OPERATOR.finditer(lexed.text, body_start, body_end):
            position = match.end() - 1
            collector.add(position, position, quote, 0.95 + extra + distance)
        if open_string:
            content_end = token.start + len(token.text.rstrip(" \t\f"))
            collector.add(content_end, content_end, quote, 1.0 + distance)


def _fstring_braces(collector: _Collector, tokens: list[Token], distance: float) -> None:
    """Close a replacement field an f-string left open (``f"hi {name"``): before the quote."""
    for token in tokens:
        prefix = token.text[: len(token.text) - len(token.text.lstrip("rRbBuUfF"))]
        if token.kind != "string" or "f" not in prefix.lower():
            continue
        quote = token.text[len(prefix)]
        width = 3 if token.text[len(prefix) : len(prefix) + 3] == quote * 3 else 1
        body = token.text[len(prefix) + width : len(token.text) - width]
        if body.replace("{{", "").count("{") > body.replace("}}", "").count("}"):
            closing = token.end - width
            collector.add(closing, closing, "}", 0.4 + distance)


# Statements after which nothing more runs in the same block.
TERMINAL_KEYWORDS = frozenset({"return", "raise", "continue", "break"})
# A clause keyword and the headers it can follow at the same indentation.
CLAUSE_OWNERS = {
    "else": frozenset({"if", "elif", "for", "while", "try", "except"}),
    "elif": frozenset({"if", "elif"}),
    "except": frozenset({"try", "except"}),
    "finally": frozenset({"try", "except", "else"}),
}
DEFINITION_KEYWORDS = frozenset({"def", "class", "async", "@"})
INDENT_COST_PER_COLUMN = 0.08  # a mistyped indentation is usually off by a column or two
INDENT_DISTANCE_CAP = 0.64


def _indentation(collector: _Collector, lexed: LexedText, line: int, distance: float) -> None:
    """Re-indent ``line`` to a level its context uses; the likeliest level costs least.

    Beyond the neighbours' levels: a clause (``else``, ``except``) aligns with the header it
    belongs to, a ``def``/``class`` with the definitions before it, and a header sits one unit
    left of its body. Levels near the current width are likelier (a slip of a space or two), a
    width off the file's indentation unit is unlikely, and so is a level that puts the line after a
    ``return`` in the same block (dead code).
    """
    tokens = lexed.line_tokens(line)
    if lexed.is_blank(line) or not tokens:
        return
    current = lexed.indent_of(line)
    start = lexed.line_span(line)[0]
    previous = _neighbour(lexed, line, -1)
    following = _neighbour(lexed, line, +1)
    options: dict[str, float] = {}
    unit = "    "
    dead_after = None
    if previous is not None:
        previous_indent = lexed.indent_of(previous)
        opens_block = lexed.text[lexed.code_end(previous) - 1 : lexed.code_end(previous)] == ":"
        unit = "\t" if previous_indent.startswith("\t") else "    "
        options[previous_indent + unit] = 0.8 if opens_block else 2.0
        options.setdefault(previous_indent, 1.3 if opens_block else 1.0)
        for level, cost in _enclosing_levels(lexed, previous, previous_indent):
            options.setdefault(level, cost)
        if lexed.line_tokens(previous)[0].text in TERMINAL_KEYWORDS:
            dead_after = previous_indent
    if following is not None:
        following_indent = lexed.indent_of(following)
        options.setdefault(following_indent, 1.1)
        if tokens[-1].text == ":" and _width(following_indent) > _width(current):
            _cheaper(options, _dedented(following_indent, unit), 0.9)
    if "\t" in current:
        options.setdefault(current.expandtabs(8), 1.0)
        if unit != "\t":
            _cheaper(options, current.replace("\t", unit), 0.9)
    aligned = _aligned_level(lexed, line, tokens[0].text)
    if aligned is not None:
        _cheaper(options, aligned, 0.75)
    width = _width(current)
    for indent, cost in options.items():
        if indent == current:
            continue
        cost += min(INDENT_COST_PER_COLUMN * abs(_width(indent) - width), INDENT_DISTANCE_CAP)
        if _width(indent) % lexed.indent_unit:
            cost += 0.6
        if indent == dead_after:
            cost += 0.5
        collector.add(start, start + len(current), indent, cost + distance)


def _width(indent: str) -> int:
    return len(indent.expandtabs(8))


def _cheaper(options: dict[str, float], indent: str, cost: float) -> None:
    options[indent] = min(options.get(indent, cost), cost)


def _dedented(indent: str, unit: str) -> str:
    if indent.endswith(unit):
        return indent[: -len(unit)]
    return indent[: max(0, len(indent) - 4)]


def _aligned_level(lexed: LexedText, line: int, keyword: str) -> str | None:
    """The level of the header a clause belongs to, or of the definitions a ``def`` follows."""
    if keyword in CLAUSE_OWNERS:
        owners = CLAUSE_OWNERS[keyword]
    elif keyword in DEFINITION_KEYWORDS:
        owners = DEFINITION_KEYWORDS
    else:
        return None
    ceiling = None
    for earlier in range(line - 1, max(-1, line - 200), -1):
        earlier_tokens = lexed.line_tokens(earlier)
        if lexed.is_blank(earlier) or not earlier_tokens:
            continue
        level = lexed.indent_of(earlier)
        if ceiling is not None and _width(level) > ceiling:
            continue
        ceiling = _width(level)
        if earlier_tokens[0].text in owners:
            return level
        if ceiling == 0:
            return None
    return None


def _neighbour(lexed: LexedText, line: int, step: int) -> int | None:
    other = line + step
    while 0 <= other < lexed.line_count:
        if not lexed.is_blank(other) and lexed.line_tokens(other):
            return other
        other += step
    return None


def _enclosing_levels(lexed: LexedText, line: int, indent: str) -> Iterable[tuple[str, float]]:
    width = len(indent.expandtabs(8))
    for earlier in range(line - 1, max(-1, line - 60), -1):
        if lexed.is_blank(earlier) or not lexed.line_tokens(earlier):
            continue
        level = lexed.indent_of(earlier)
        level_width = len(level.expandtabs(8))
        if level_width < width:
            width = level_width
            yield level, 1.4
            if width == 0:
                return


def _missing_nodes(
    collector: _Collector, lexed: LexedText, lines: Sequence[int], status: ParseStatus
) -> None:
    wanted = set(lines)
    encoded: bytes | None = None
    for node in status.tree_errors:
        if node.missing not in INSERTABLE or node.start_row not in wanted:
            continue
        if encoded is None:
            encoded = lexed.text.encode("utf-8", errors="surrogatepass")
        offset = len(encoded[: node.start_byte].decode("utf-8", errors="ignore"))
        collector.add(offset, offset, node.missing, 0.95)
