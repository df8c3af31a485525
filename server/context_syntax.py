"""Small tree-sitter helpers shared by the context extractors.

They work on any tree, including trees with ERROR nodes: code being typed is usually broken, and
a helper that gives up on a broken tree gives up exactly when completion is asked for.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from typing import Generic, TypeVar

from tree_sitter import Node

from codegpt.server.context_text import decode_utf8

T = TypeVar("T")

DEFINITION_TYPES = frozenset({"function_definition", "class_definition"})


def node_text(node: Node | None) -> str:
    """The source text of ``node`` ('' for None)."""
    if node is None or node.text is None:
        return ""
    return decode_utf8(node.text)


def last_leaf_before(root: Node, byte: int, *, skip_comments: bool = True) -> Node | None:
    """The last non-empty token that starts before ``byte`` (it may contain ``byte``).

    Binary search over each level's children keeps this logarithmic in a module with thousands
    of statements; zero-width tokens (MISSING nodes, empty blocks) are skipped because they say
    nothing about what the user has typed.
    """
    count = root.child_count
    low, high = 0, count
    while low < high:
        middle = (low + high) // 2
        if root.child(middle).start_byte < byte:
            low = middle + 1
        else:
            high = middle
    for index in range(low - 1, -1, -1):
        child = root.child(index)
        if skip_comments and child.type == "comment":
            continue
        if child.child_count == 0:
            if child.end_byte > child.start_byte:
                return child
            continue
        found = last_leaf_before(child, byte, skip_comments=skip_comments)
        if found is not None:
            return found
    return None


def ancestors(node: Node | None) -> list[Node]:
    """``node`` and its ancestors, innermost first."""
    chain = []
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain


def definition_of(node: Node) -> Node:
    """The node to show for a definition: its ``decorated_definition`` wrapper when it has one."""
    parent = node.parent
    if parent is not None and parent.type == "decorated_definition":
        return parent
    return node


def header_colon(definition: Node) -> Node | None:
    """The ``:`` that ends a compound statement's header (None while it is still being typed)."""
    for index in range(definition.child_count):
        child = definition.child(index)
        if child.type == ":":
            return None if child.is_missing else child
    return None


def signature_text(definition: Node) -> str:
    r"""A def or class header as written, through its colon: ``async def f(\\n  a,\\n) -> T:``."""
    colon = header_colon(definition)
    if colon is None:
        body = definition.child_by_field_name("body")
        end = body.start_byte if body is not None else definition.end_byte
    else:
        end = colon.end_byte
    data = definition.text or b""
    return decode_utf8(data[: end - definition.start_byte]).rstrip()


def decorators_text(definition: Node) -> tuple[str, ...]:
    """The decorators above a def or class, each as written (``@property``)."""
    parent = definition.parent
    if parent is None or parent.type != "decorated_definition":
        return ()
    return tuple(node_text(child) for child in parent.children if child.type == "decorator")


def body_statements(owner: Node) -> list[Node]:
    """The named statements of a def or class body (or of a module), comments left out."""
    body = owner if owner.type == "module" else owner.child_by_field_name("body")
    if body is None:
        return []
    return [child for child in body.named_children if child.type != "comment"]


def docstring_node(owner: Node) -> Node | None:
    """The string literal that is the docstring of a module, class or function, if any."""
    statements = body_statements(owner)
    if not statements:
        return None
    first = statements[0]
    if first.type == "expression_statement" and first.named_child_count == 1:
        literal = first.named_child(0)
        if literal.type in ("string", "concatenated_string"):
            return literal
    return None


def string_value(literal: Node) -> str:
    """The value of a string literal, cleaned like ``inspect.cleandoc`` does for docstrings.

    ``ast.literal_eval`` gives the exact value when escapes or concatenation need it (it compiles,
    so it is skipped for plain literals, most docstrings); f-strings and broken literals fall back
    to the text between the quotes.
    """
    text = node_text(literal)
    value = None
    if "\\" in text or literal.type == "concatenated_string":
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            value = None
    if not isinstance(value, str):
        stripped = text.lstrip("rRbBuUfF")
        for quote in ('"""', "'''", '"', "'"):
            if stripped.startswith(quote):
                stripped = stripped[len(quote) :]
                if stripped.endswith(quote):
                    stripped = stripped[: -len(quote)]
                break
        value = stripped
    return inspect.cleandoc(value)


class TextMemo(Generic[T]):
    """``compute(node)`` memoised by the node's source bytes, for at most ``size`` texts.

    Between keystrokes a file is re-indexed, but almost every statement in it is unchanged; the
    memo is cleared when full, which is cheaper than tracking recency on every hit.
    """

    def __init__(self, compute: Callable[[Node], T], size: int = 4096) -> None:
        self._compute = compute
        self._size = size
        self._values: dict[bytes, T] = {}

    def __call__(self, node: Node) -> T:
        """The value for ``node``'s text, computed the first time that text is seen."""
        key = node.text or b""
        value = self._values.get(key)
        if value is None:
            if len(self._values) >= self._size:
                self._values.clear()
            value = self._values[key] = self._compute(node)
        return value


_docstring_value = TextMemo(string_value)


def docstring(owner: Node) -> str | None:
    """The cleaned docstring of a module, class or function, or None.

    Memoised by the literal's bytes: between keystrokes the file is re-indexed, but almost every
    docstring in it is unchanged.
    """
    literal = docstring_node(owner)
    return None if literal is None else _docstring_value(literal)


def definition_name(definition: Node) -> str:
    """The name a def or class binds."""
    return node_text(definition.child_by_field_name("name"))
