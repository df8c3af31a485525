"""The classes and functions that enclose the cursor, outermost first.

A completion model sees only a window of the file; the headers (signature plus docstring) of the
enclosing definitions tell it what the code it is writing is for, even when the window starts in
the middle of a long function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tree_sitter import Node, Tree

from codegpt.server.context_syntax import (
    DEFINITION_TYPES,
    ancestors,
    decorators_text,
    definition_name,
    definition_of,
    docstring,
    header_colon,
    last_leaf_before,
    signature_text,
)
from codegpt.server.context_text import SourceText

ScopeKind = Literal["class", "function", "method"]


@dataclass(frozen=True)
class Scope:
    """One enclosing class or function, as a prompt would quote it."""

    kind: ScopeKind
    name: str
    signature: str  # the header as written, through its colon; may span lines
    decorators: tuple[str, ...]
    docstring: str | None  # cleaned (inspect.cleandoc), None when there is none
    is_async: bool
    start: int  # str offset of the definition, decorators included (a line start for real code)
    end: int  # str offset where the definition's last statement ends
    line: int  # 0-based line of the ``def``/``class`` keyword


def cursor_indent(source: SourceText, cursor: int) -> int:
    """The indentation the cursor stands for, in characters.

    On a line that is blank up to the cursor, the cursor column is the indentation the user is
    about to type at (editors auto-indent after ``def f():``); otherwise the line's own indent.
    """
    line = source.line_of(cursor)
    start = source.line_start(line)
    before = source.text[start:cursor]
    if not before.strip():
        return len(before)
    return len(before) - len(before.lstrip())


def scope_nodes(source: SourceText, tree: Tree, cursor: int) -> list[Node]:
    """The def/class nodes enclosing the cursor, innermost first.

    The tree decides for a cursor inside a definition's range. After a definition's last
    statement the tree no longer contains the cursor, yet an indented blank line still belongs to
    the definition, so there indentation decides.
    """
    byte = source.byte_offset(cursor)
    leaf = last_leaf_before(tree.root_node, byte)
    if leaf is None:
        return []
    indent = cursor_indent(source, cursor)
    found = []
    for node in ancestors(leaf):
        if node.type not in DEFINITION_TYPES:
            continue
        colon = header_colon(node)
        if colon is None or colon.end_byte > byte:
            continue  # the cursor is still in the header: the body is not its scope yet
        if node.end_byte >= byte or indent > definition_of(node).start_point.column:
            found.append(node)
    return found


def scope_from_node(source: SourceText, node: Node) -> Scope:
    """Describe one def/class node as a ``Scope``."""
    outer = definition_of(node)
    if node.type == "class_definition":
        kind: ScopeKind = "class"
    else:
        owner = node.parent.parent if outer is node else outer.parent.parent
        parent_type = owner.type if owner is not None else ""
        kind = "method" if parent_type == "class_definition" else "function"
    return Scope(
        kind=kind,
        name=definition_name(node),
        signature=signature_text(node),
        decorators=decorators_text(node),
        docstring=docstring(node),
        is_async=node.child_count > 0 and node.child(0).type == "async",
        start=source.str_offset(outer.start_byte),
        end=source.str_offset(node.end_byte),
        line=source.line_of_byte(node.start_byte, node.start_point.row),
    )


def enclosing_scopes(source: SourceText | str, tree: Tree, cursor: int) -> tuple[Scope, ...]:
    """The classes and functions around str offset ``cursor``, outermost first."""
    source = source if isinstance(source, SourceText) else SourceText(source)
    nodes = scope_nodes(source, tree, cursor)
    return tuple(scope_from_node(source, node) for node in reversed(nodes))
