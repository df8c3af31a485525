"""Code that parses but that nobody writes: the tell-tales of a repair in the wrong place.

Several edits often make a broken line parse (``open(p, 'rb' as f`` takes a ``)`` after ``p`` or
after ``'rb'``), and without a model their prior costs tie. What separates them is that the wrong
one leaves code a person would not have written: a string literal used as a context manager, a
method that ``str`` does not have called on a string literal, two constants compared, a list
display called like a function, two string literals side by side on one line, or a string whose
text is clearly code (a quote of the other kind followed by an operator). Each such oddity on the
edited lines counts one; the fixer adds a little cost per oddity a candidate leaves behind.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from codegpt.server.repair.lexing import Token, tokenize

_COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">=", "in", "is", "and", "or"})
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "-": operator.sub,
    "/": operator.truediv,
    "//": operator.floordiv,
    "@": operator.matmul,
    "&": operator.and_,
    "|": operator.or_,
    "^": operator.xor,
    "<<": operator.lshift,
    ">>": operator.rshift,
}
_LITERAL_KINDS = frozenset({"string", "number"})
_NUMBER_BUILTINS = frozenset({"len", "sum", "abs", "round", "int", "float", "hash", "id", "ord"})
# PEP 8's "whitespace before )" and "after (": a closer typed after a space is a misplaced one.
_SPACE_INSIDE_BRACKETS = re.compile(r"[^\s,] +[)\]}]|[(\[{] +[^\s#]")
_COMPARE_ONLY = frozenset({"==", "!=", "<", ">", "<=", ">=", "in", "is"})
# Builtins whose one argument must be a collection or iterable, never a bool.
_ITERABLE_BUILTINS = frozenset(
    {"len", "list", "tuple", "set", "frozenset", "sorted", "sum", "any", "all", "iter"}
    | {"enumerate", "reversed", "min", "max"}
)
# Tokens after which a literal starts a fresh operand (``f('a' == 'b')``, ``x = 1 - 'a'``),
# and tokens before which it ends one: ``ok and 'yes' or 'no'`` is no constant expression.
_OPERAND_STARTS = frozenset({"(", "[", "{", ",", "=", ":", "return", "assert", "if", "elif"})
_OPERAND_ENDS = frozenset({")", "]", "}", ",", ":", "=", ";", "if", "else", "for"})
# After a quote of the other kind, these mean the "string" goes on as code: ``'{", x=1'``.
_CODE_AFTER_QUOTE = frozenset(",)]}.+*%=:")


def oddities(fragment: str) -> int:
    """How many tell-tales of a misplaced repair ``fragment`` (a few whole lines) holds."""
    tokens = [token for token in tokenize(fragment) if token.significant or token.kind == "newline"]
    count = 0
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        after = tokens[index + 2] if index + 2 < len(tokens) else None
        previous = tokens[index - 1] if index else None
        if token.kind == "string":
            count += _odd_string(token)
            if following is not None and following.kind == "string":
                count += 1  # implicit concatenation on one line
            if following is not None and following.text == "as":
                count += _is_with_item(tokens, index)
            if following is not None and following.text == "." and after is not None:
                count += _missing_attribute(token, after)
        if (
            token.kind in ("op", "name")
            and previous is not None
            and following is not None
            and _literal(previous)
            and _literal(following)
        ):
            count += _constant_operation(previous, token, following, tokens, index)
        if token.text in ("]", "}") and following is not None and following.text == "(":
            count += _display_closed_at(tokens, index)
        if token.text == "(" and previous is not None and previous.text in _ITERABLE_BUILTINS:
            count += _comparison_argument(tokens, index)
        if token.text == ")" and following is not None and following.text in (".", "("):
            count += _number_result_used(tokens, index)
        if token.text == "(" and after is not None and after.text == ")":
            count += _parenthesized_name(previous, following)
        if token.text == "," and following is not None and following.text in (")", "]", "}"):
            count += _trailing_comma_after_items(tokens, index)
    return count + len(_SPACE_INSIDE_BRACKETS.findall(fragment))


def _number_result_used(tokens: Sequence[Token], index: int) -> int:
    """``len(cmd).get_outputs()`` or ``len(x)()``: a builtin's number used as an object."""
    depth = 0
    for position in range(index, -1, -1):
        text = tokens[position].text
        if text in (")", "]", "}"):
            depth += 1
        elif text in ("(", "[", "{"):
            depth -= 1
            if depth == 0:
                callee = tokens[position - 1] if position else None
                if callee is None or callee.text not in _NUMBER_BUILTINS:
                    return 0
                if tokens[index + 1].text == "(":
                    return 1
                attribute = tokens[index + 2] if index + 2 < len(tokens) else None
                return 0 if attribute is not None and hasattr(int, attribute.text) else 1
    return 0


def _comparison_argument(tokens: Sequence[Token], index: int) -> int:
    """``len(items == 2)``: a builtin that needs a collection given a comparison's bool."""
    depth = 0
    compared = False
    for token in tokens[index + 1 :]:
        if token.text in ("(", "[", "{"):
            depth += 1
        elif token.text in (")", "]", "}"):
            if depth == 0:
                return 1 if compared else 0
            depth -= 1
        elif depth == 0 and token.text in ("for", ",", "lambda", ":", "if"):
            return 0
        elif depth == 0 and token.text in _COMPARE_ONLY:
            compared = True
    return 0


def _parenthesized_name(previous: Token | None, inner: Token | None) -> int:
    """``for a, (b), c in``: parentheses around one bare name, not a call."""
    if inner is None or inner.kind != "name" or inner.text in _KEYWORDS:
        return 0
    return 0 if _ends_operand(previous) else 1


def _trailing_comma_after_items(tokens: Sequence[Token], index: int) -> int:
    """``(a, b, c,)`` on one line: a trailing comma goes with a closer on its own line."""
    depth = 0
    for position in range(index - 1, -1, -1):
        token = tokens[position]
        if token.kind == "newline":
            return 0
        if token.text in (")", "]", "}"):
            depth += 1
        elif token.text in ("(", "[", "{"):
            if depth == 0:
                return 0
            depth -= 1
        elif token.text == "," and depth == 0:
            return 1
    return 0


def _literal(token: Token) -> bool:
    return token.kind in _LITERAL_KINDS


def _odd_string(token: Token) -> int:
    body_at = len(token.text) - len(token.text.lstrip("rRbBuUfF"))
    body = token.text[body_at:]
    if body[:3] in ('"""', "'''") or len(body) < 2:
        return 0
    other = "'" if body[0] == '"' else '"'
    inner = body[1:-1]
    for position, char in enumerate(inner):
        if char != other:
            continue
        rest = inner[position + 1 :].lstrip(" ")
        if rest and rest[0] in _CODE_AFTER_QUOTE and inner.count(other) % 2 == 1:
            return 1
    return 0


def _is_with_item(tokens: Sequence[Token], index: int) -> int:
    """A string literal right before ``as`` in a ``with`` line: a constant context manager."""
    for token in reversed(tokens[:index]):
        if token.kind == "newline":
            return 0
        if token.text == "with":
            return 1
    return 0


def _missing_attribute(token: Token, name: Token) -> int:
    if name.kind != "name":
        return 0
    try:
        value = ast.literal_eval(token.text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return 0
    return 0 if hasattr(value, name.text) else 1


def _constant_operation(
    left: Token, op: Token, right: Token, tokens: Sequence[Token], index: int
) -> int:
    """``'a' == 'b'``, ``"x" or "y"`` (a constant result) or ``'a' / 'b'`` (a TypeError).

    Only when the operands stand alone: ``x + 'a' == 'b'`` or ``'a' == 'b'.upper()`` is fine.
    """
    before = tokens[index - 2] if index >= 2 else None
    beyond = tokens[index + 2] if index + 2 < len(tokens) else None
    if before is not None and before.kind != "newline" and before.text not in _OPERAND_STARTS:
        return 0
    if beyond is not None and beyond.kind != "newline" and beyond.text not in _OPERAND_ENDS:
        return 0
    if op.text in _COMPARISONS:
        return 1
    apply = _BINARY.get(op.text)
    if apply is None:
        return 0
    try:
        apply(ast.literal_eval(left.text), ast.literal_eval(right.text))
    except TypeError:
        return 1
    except (ValueError, SyntaxError, ArithmeticError, MemoryError, RecursionError):
        return 0
    return 0


def _display_closed_at(tokens: Sequence[Token], index: int) -> int:
    """``[str](v)``: a list or dict display (not a subscript) called like a function."""
    closer = tokens[index].text
    opener = "[" if closer == "]" else "{"
    depth = 0
    for position in range(index, -1, -1):
        text = tokens[position].text
        if text == closer:
            depth += 1
        elif text == opener:
            depth -= 1
            if depth == 0:
                before = tokens[position - 1] if position else None
                return 0 if _ends_operand(before) else 1
    return 0


def _ends_operand(token: Token | None) -> bool:
    """Whether a bracket after ``token`` is a call or subscript rather than a display."""
    if token is None:
        return False
    if token.kind in ("name", "string", "number"):
        return token.text not in _KEYWORDS
    return token.text in (")", "]", "}")


_KEYWORDS = frozenset({"in", "is", "and", "or", "not", "return", "yield", "else", "if", "for"})
