"""The import statements of a module, as text and as parsed names.

The text goes into prompts as is (the model learns a file's vocabulary from its imports); the
parsed form lets definition lookup follow a name to the module it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node, Tree

from codegpt.server.context_focus import ByteRegion, children_in
from codegpt.server.context_syntax import TextMemo, node_text
from codegpt.server.context_text import SourceText

_IMPORT_TYPES = frozenset({"import_statement", "import_from_statement", "future_import_statement"})
# Statements whose blocks may hold imports (``try: import x``); expressions are never descended.
_CONTAINERS = frozenset(
    {
        "module",
        "block",
        "if_statement",
        "elif_clause",
        "else_clause",
        "try_statement",
        "except_clause",
        "except_group_clause",
        "finally_clause",
        "with_statement",
        "for_statement",
        "while_statement",
        "match_statement",
        "case_clause",
        "ERROR",
    }
)


@dataclass(frozen=True)
class ImportedName:
    """One name an import statement binds.

    ``import a.b as c`` gives module="a.b", name=None, alias="c"; ``from ..a import b as c`` gives
    module="a", name="b", alias="c", level=2; ``from m import *`` gives name="*".
    """

    module: str  # dotted module path without leading dots ('' for ``from . import x``)
    name: str | None  # the name taken from the module; None when the module itself is imported
    alias: str | None
    level: int  # leading dots of a relative import; 0 for absolute imports

    @property
    def bound_name(self) -> str:
        """The local name the import creates (``import a.b`` binds ``a``)."""
        if self.alias:
            return self.alias
        if self.name is not None:
            return self.name
        return self.module.split(".")[0]

    @property
    def bound_module(self) -> str:
        """The dotted module the bound name refers to when it names a module (``a`` for ``a.b``)."""
        if self.name is None and not self.alias:
            return self.module.split(".")[0]
        return self.module


@dataclass(frozen=True)
class ImportStatement:
    """One import statement: its text for prompts and its names for lookups."""

    text: str
    line: int  # 0-based line where the statement starts
    names: tuple[ImportedName, ...]
    top_level: bool  # True: only module-level imports are collected (kept for callers' clarity)


def module_imports(
    source: SourceText | str, tree: Tree, region: ByteRegion | None = None
) -> tuple[ImportStatement, ...]:
    """Every import statement in the module, in source order.

    Only module-level statement lists are walked (into ``try``/``if``/``with`` blocks, never into
    function or class bodies or expressions), so this stays cheap on every keystroke even in a
    large file; imports local to a function are not reported.
    """
    source = source if isinstance(source, SourceText) else SourceText(source)
    found: list[ImportStatement] = []
    _collect(source, tree.root_node, found, top_level=True, region=region)
    return tuple(found)


def _collect(
    source: SourceText,
    node: Node,
    found: list[ImportStatement],
    top_level: bool,
    region: ByteRegion | None = None,
) -> None:
    for child in children_in(node, region):
        if child.type in _IMPORT_TYPES:
            names = _parsed_names(child)
            if names:
                found.append(
                    ImportStatement(
                        text=node_text(child),
                        line=source.line_of_byte(child.start_byte, child.start_point.row),
                        names=names,
                        top_level=top_level,
                    )
                )
        elif child.type in _CONTAINERS:
            _collect(source, child, found, top_level, region)


def _names(statement: Node) -> tuple[ImportedName, ...]:
    if statement.type == "import_statement":
        return tuple(
            ImportedName(module=module, name=None, alias=alias, level=0)
            for module, alias in _aliased(statement.children_by_field_name("name"))
        )
    if statement.type == "future_import_statement":
        module, level = "__future__", 0
    else:
        module_node = statement.child_by_field_name("module_name")
        if module_node is None:
            return ()
        module, level = _module_path(module_node)
    if any(child.type == "wildcard_import" for child in statement.children):
        return (ImportedName(module=module, name="*", alias=None, level=level),)
    return tuple(
        ImportedName(module=module, name=name, alias=alias, level=level)
        for name, alias in _aliased(statement.children_by_field_name("name"))
    )


# Every keystroke re-reads the same import statements.
_parsed_names = TextMemo(_names)


def _aliased(nodes: list[Node]) -> list[tuple[str, str | None]]:
    pairs = []
    for node in nodes:
        if node.type == "aliased_import":
            name = node_text(node.child_by_field_name("name"))
            alias_node = node.child_by_field_name("alias")
            pairs.append((name, node_text(alias_node) if alias_node is not None else None))
        elif node.type in ("dotted_name", "identifier"):
            pairs.append((node_text(node), None))
    return [(name, alias) for name, alias in pairs if name]


def _module_path(node: Node) -> tuple[str, int]:
    if node.type != "relative_import":
        return node_text(node), 0
    level = 0
    module = ""
    for child in node.children:
        if child.type == "import_prefix":
            level = node_text(child).count(".")
        elif child.type == "dotted_name":
            module = node_text(child)
    return module, level
