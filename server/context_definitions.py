"""Definitions of the names used near the cursor, from this file, open documents and the workspace.

A model completing ``parser.parse_args(`` writes better arguments when the prompt quotes
``def parse_args(self, args=None, namespace=None):`` and its docstring. Names are taken from a
window of lines around the cursor (and the receiver chain before a ``.``), looked up in the current
file, followed through its imports into open documents and workspace modules, and ranked: the
receiver chain first, then by how close to the cursor the name is used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from tree_sitter import Node, Query, QueryCursor, Tree

from codegpt.server.context_imports import ImportedName
from codegpt.server.context_symbols import Definition, SymbolEntry, SymbolTable
from codegpt.server.context_text import SourceText
from codegpt.server.parsing import python_language
from codegpt.server.workspace_index import ModuleResolver

_REFERENCE_QUERY = """
(identifier) @name
(attribute) @dotted
"""
_DECLARING_PARENTS = frozenset({"function_definition", "class_definition", "keyword_argument"})
_MAX_REEXPORT_HOPS = 3  # ``__init__.py`` re-exports rarely chain deeper


@dataclass(frozen=True)
class DefinitionQuery:
    """Which names to look for and how many definitions to return."""

    lines_before: int = 20  # names used this far above the cursor count as "near"
    lines_after: int = 5
    limit: int = 8  # a prompt has room for a few signatures, not for a file's worth


@dataclass(frozen=True)
class Reference:
    """A name (or dotted name, ``mod.func``) used near the cursor, with its rank."""

    name: str
    dotted: tuple[str, ...]  # ("mod", "func") for ``mod.func``; (name,) for a bare name
    distance: int  # lines between the nearest use and the cursor; -1 for the receiver chain


_QUERY: Query | None = None


def _reference_query() -> Query:
    global _QUERY
    if _QUERY is None:
        _QUERY = Query(python_language(), _REFERENCE_QUERY)
    return _QUERY


def references_near(
    source: SourceText,
    tree: Tree,
    cursor: int,
    receiver_chain: Sequence[str] = (),
    query: DefinitionQuery | None = None,
) -> list[Reference]:
    """Names and dotted names used around the cursor, most relevant first."""
    query = query or DefinitionQuery()
    line = source.line_of(cursor)
    first = max(0, line - query.lines_before)
    last = min(source.line_count - 1, line + query.lines_after)
    start_byte = source.byte_offset(source.line_start(first))
    end_byte = source.byte_offset(source.line_end(last, with_break=True))
    cursor_byte = source.byte_offset(cursor)
    cursor_row = tree_row(source, cursor)
    query_cursor = QueryCursor(_reference_query())
    query_cursor.set_byte_range(start_byte, end_byte)
    captures = query_cursor.captures(tree.root_node)
    # In text order: the capture order follows the tree's internal shape, which differs between a
    # fresh and an incremental parse of the same text, and ties below keep the first seen.
    by_start = lambda nodes: sorted(nodes, key=lambda node: node.start_byte)  # noqa: E731

    best: dict[tuple[str, ...], int] = {}
    for index in range(len(receiver_chain)):
        best[tuple(receiver_chain[: index + 1])] = -1
    for node in by_start(captures.get("name", [])):
        if _is_declaration(node) or node.start_byte < cursor_byte <= node.end_byte:
            continue  # the word being typed is not a reference yet
        key = (node.text.decode("utf-8", errors="replace"),)
        distance = abs(node.start_point.row - cursor_row)
        best[key] = min(best.get(key, distance), distance)
    for node in by_start(captures.get("dotted", [])):
        parts = _dotted_parts(node)
        if parts is None or node.end_byte == cursor_byte:
            continue
        distance = abs(node.start_point.row - cursor_row)
        best[parts] = min(best.get(parts, distance), distance)
    ranked = sorted(best.items(), key=lambda item: (item[1], -len(item[0])))
    return [Reference(name=parts[-1], dotted=parts, distance=rank) for parts, rank in ranked]


def tree_row(source: SourceText, offset: int) -> int:
    """The tree-sitter row of a str offset (rows count line feeds only, unlike LSP lines)."""
    return source.tree_row(offset)


def _is_declaration(node: Node) -> bool:
    parent = node.parent
    if parent is None:
        return False
    if parent.type in _DECLARING_PARENTS:
        return parent.child_by_field_name("name") == node
    return parent.type in ("parameters", "default_parameter", "typed_parameter") or (
        parent.type == "attribute" and parent.child_by_field_name("attribute") == node
    )


def _dotted_parts(node: Node) -> tuple[str, ...] | None:
    """``a.b.c`` as ("a", "b", "c"); None when the chain contains calls or subscripts."""
    text = node.text.decode("utf-8", errors="replace") if node.text else ""
    parts = tuple(part.strip() for part in text.split("."))
    if len(parts) < 2 or not all(part.isidentifier() for part in parts):
        return None
    return parts


class DefinitionFinder:
    """Looks names up in the current module, through its imports, and in open documents."""

    def __init__(
        self,
        current: SymbolTable,
        resolver: ModuleResolver,
        document_key: str | None = None,
        enclosing_class: str | None = None,
    ) -> None:
        self.current = current
        self.resolver = resolver
        self.document_key = document_key
        self.enclosing_class = enclosing_class  # qualified name: what ``self`` refers to

    def find(
        self,
        references: Sequence[Reference],
        limit: int,
        hidden: tuple[int, int] | None = None,
    ) -> list[Definition]:
        """Definitions for the references, in their order, without duplicates, at most ``limit``.

        ``hidden`` is a UTF-8 byte range of the current document whose definitions are left out
        (the prompt window already shows them); they are skipped before being rendered, which is
        where the time goes.
        """
        found: list[Definition] = []
        seen: set[int] = set()
        for reference in references:
            for table, entry in self.entries_for(reference.dotted):
                if id(entry) in seen:
                    continue
                seen.add(id(entry))
                if (
                    hidden is not None
                    and table is self.current
                    and hidden[0] <= entry.node.start_byte < hidden[1]
                ):
                    continue
                found.append(table.definition(entry))
                if len(found) >= limit:
                    return found
        return found

    def definitions_for(self, dotted: Sequence[str]) -> list[Definition]:
        """Definitions a name or dotted name (``mod.func``, ``Cls.method``) refers to."""
        return [table.definition(entry) for table, entry in self.entries_for(dotted)]

    def entries_for(self, dotted: Sequence[str]) -> list[tuple[SymbolTable, SymbolEntry]]:
        """Like ``definitions_for``, without rendering: (table, entry) pairs."""
        head = dotted[0]
        if len(dotted) == 1:
            entries = self.current.lookup(head)
            if entries:
                return [(self.current, entry) for entry in _module_first(entries)[:2]]
            return self._imported(head) or self._in_open_documents(head)
        table, entries = self.resolve_table_path(dotted)
        if table is None or not entries:
            # ``obj.method`` with ``obj`` of unknown type: a member of that name defined in
            # exactly one class of this file is very likely the one meant.
            members = [e for e in self.current.lookup(dotted[-1]) if e.owner_class is not None]
            if len(members) == 1 and not (table is not None and table is not self.current):
                return [(self.current, members[0])]
            return []
        return [(table, entry) for entry in entries[:1]]

    def resolve_table_path(
        self, dotted: Sequence[str]
    ) -> tuple[SymbolTable | None, list[SymbolEntry]]:
        """Follow ``mod.sub.name`` or ``Class.member`` to a table and the entries found there."""
        head, rest = dotted[0], list(dotted[1:])
        if head in ("self", "cls") and self.enclosing_class is not None:
            info = self.current.find_class(self.enclosing_class)
            if info is not None:
                return self._class_members(self.current, info.entry, rest)
        imported = self.imported_name(head)
        if imported is not None and imported.name is None:
            # ``import a.b as m`` / ``import a``: the longest module prefix that resolves.
            module_parts = imported.bound_module.split(".")
            if not imported.alias:
                module_parts = [head]
                while rest and self._module(".".join([*module_parts, rest[0]]), 0):
                    module_parts.append(rest.pop(0))
            table = self._module(".".join(module_parts), imported.level)
            return self._member_path(table, rest)
        if imported is not None and imported.name != "*":
            table, entries = self.follow_import(imported)
            if table is not None and not entries:
                return self._member_path(table, rest)  # ``from pkg import submodule``
            if table is not None and entries and entries[0].kind == "class":
                return self._class_members(table, entries[0], rest)
            return None, []
        entries = self.current.lookup(head)
        classes = [entry for entry in entries if entry.kind == "class"]
        if classes:
            return self._class_members(self.current, classes[0], rest)
        return None, []

    def _member_path(
        self, table: SymbolTable | None, rest: list[str]
    ) -> tuple[SymbolTable | None, list[SymbolEntry]]:
        if table is None or not rest:
            return table, []
        entries = [entry for entry in table.lookup(rest[0]) if entry.owner_class is None]
        if not entries:
            # A name the module imports (``from . import helpers``) or one of its submodules.
            inner = DefinitionFinder(table, self.resolver, table.path)
            imported = inner.imported_name(rest[0])
            if imported is not None and imported.name not in (None, "*"):
                sub_table, entries = inner.follow_import(imported)
            else:
                sub_table = None
                if table.path and os.path.basename(table.path) == "__init__.py":
                    sub_table = inner._module(rest[0], 1)
            if sub_table is not None and not entries:
                return inner._member_path(sub_table, rest[1:])
            if sub_table is None:
                return table, []
            table = sub_table
        if len(rest) > 1 and entries and entries[0].kind == "class":
            return self._class_members(table, entries[0], rest[1:])
        return table, entries

    def _class_members(
        self, table: SymbolTable, entry: SymbolEntry, rest: list[str]
    ) -> tuple[SymbolTable | None, list[SymbolEntry]]:
        info = table.find_class(entry.qualified_name)
        if info is None or not rest:
            return table, [entry]
        # Methods and class variables first: scanning methods for ``self.x`` costs more.
        members = [member for member in info.members if member.name == rest[0]]
        if not members:
            members = [member for member in table.class_members(info) if member.name == rest[0]]
        return table, members

    def imported_name(self, name: str) -> ImportedName | None:
        """The (last top-level) import that binds ``name`` in the current module."""
        return self.current.imported(name)

    def follow_import(
        self, imported: ImportedName, hops: int = 0
    ) -> tuple[SymbolTable | None, list[SymbolEntry]]:
        """The table and entries ``from module import name`` refers to, through re-exports.

        An empty entry list with a table means the name is a submodule (the table is its module).
        """
        table = self._module(imported.module, imported.level)
        name = imported.name or ""
        if table is not None:
            entries = [entry for entry in table.lookup(name) if entry.owner_class is None]
            if entries:
                return table, entries
            if hops < _MAX_REEXPORT_HOPS:
                for statement in table.imports:
                    for inner in statement.names:
                        if inner.bound_name == name and inner.name is not None:
                            next_table, next_entries = DefinitionFinder(
                                table, self.resolver, table.path
                            ).follow_import(inner, hops + 1)
                            if next_entries:
                                return next_table, next_entries
        submodule = ".".join(part for part in (imported.module, name) if part)
        sub_table = self._module(submodule, imported.level)
        if sub_table is not None:
            return sub_table, []
        return None, []

    def _module(self, module: str, level: int) -> SymbolTable | None:
        return self.resolver.module_table(module, level, self.document_key)

    def _imported(self, name: str) -> list[tuple[SymbolTable, SymbolEntry]]:
        imported = self.imported_name(name)
        if imported is None or imported.name is None or imported.name == "*":
            return []
        table, entries = self.follow_import(imported)
        if table is None:
            return []
        return [(table, entry) for entry in entries[:1]]

    def _in_open_documents(self, name: str) -> list[tuple[SymbolTable, SymbolEntry]]:
        found = []
        for table in self.resolver.open_tables():
            if table.path == self.document_key:
                continue
            entries = [entry for entry in table.lookup(name) if entry.owner_class is None]
            found.extend((table, entry) for entry in entries[:1])
        return found[:2]


def _module_first(entries: list[SymbolEntry]) -> list[SymbolEntry]:
    return sorted(entries, key=lambda entry: entry.owner_class is not None)
