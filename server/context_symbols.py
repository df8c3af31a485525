"""The names a module defines: functions, classes, methods, variables and ``self.x`` attributes.

Built from one parsed module and kept cheap: only statement lists are walked (never function
bodies, except a class's methods when its attributes are asked for), and the signature and
docstring of an entry are produced only when a caller asks for that entry, since a 2,000-line file
has hundreds of definitions and a prompt quotes a handful.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from tree_sitter import Node, Tree

from codegpt.server.context_focus import ByteRegion, children_in
from codegpt.server.context_imports import ImportedName, ImportStatement, module_imports
from codegpt.server.context_syntax import (
    decorators_text,
    definition_name,
    docstring,
    node_text,
    signature_text,
)
from codegpt.server.context_text import SourceText, utf16_length

DefinitionKind = Literal["function", "method", "class", "variable", "attribute"]
Origin = Literal["current", "open_document", "workspace"]

_MAX_VALUE_SIGNATURE = 200  # characters of an assignment quoted as its "signature"
# Statements whose blocks define names at the level they appear at (``if TYPE_CHECKING:``,
# ``try: ... except ImportError:``); ERROR nodes too, so one broken statement hides nothing else.
_TRANSPARENT = frozenset(
    {
        "if_statement",
        "elif_clause",
        "else_clause",
        "try_statement",
        "except_clause",
        "except_group_clause",
        "finally_clause",
        "with_statement",
        "block",
        "ERROR",
    }
)


@dataclass(frozen=True)
class Definition:
    """A definition as a prompt quotes it, with where it lives so an editor can jump to it."""

    name: str
    qualified_name: str  # ``Decoder.decode``; module-level names are their own qualified name
    kind: DefinitionKind
    signature: str  # the header through its colon, or the assignment's text (first line)
    docstring: str | None
    decorators: tuple[str, ...]
    annotation: str | None  # a variable's or attribute's annotation text
    path: str | None  # file path or document key; None for the current document
    origin: Origin
    line: int  # 0-based line of the ``def``/``class`` keyword or the assignment
    character: int  # UTF-16 column there


@dataclass
class SymbolEntry:
    """A definition found in the tree, not yet rendered to a ``Definition``."""

    name: str
    qualified_name: str
    kind: DefinitionKind
    node: Node  # function/class definition node, or the assignment node
    owner_class: str | None  # qualified name of the class that holds it


@dataclass
class ClassInfo:
    """What a class contains; its ``self.x`` attributes are collected on first request."""

    entry: SymbolEntry
    members: list[SymbolEntry] = field(default_factory=list)
    attributes_scanned: bool = False

    @property
    def bases(self) -> list[str]:
        """The base class expressions as written (``Base``, ``mod.Base``, ``Generic[T]``)."""
        arguments = self.entry.node.child_by_field_name("superclasses")
        if arguments is None:
            return []
        return [
            node_text(child)
            for child in arguments.named_children
            if child.type in ("identifier", "attribute", "subscript")
        ]


class SymbolTable:
    """Index of one module's definitions, by simple name and by class."""

    def __init__(
        self,
        source: SourceText | str,
        tree: Tree,
        *,
        path: str | None = None,
        origin: Origin = "current",
        region: ByteRegion | None = None,
    ) -> None:
        self.source = source if isinstance(source, SourceText) else SourceText(source)
        self.region = region
        self.tree = tree
        self.path = path
        self.origin = origin
        self.by_name: dict[str, list[SymbolEntry]] = {}
        self.top_level: list[SymbolEntry] = []
        self.classes: dict[str, ClassInfo] = {}
        self.classes_by_node: dict[int, str] = {}  # start byte -> qualified class name
        self._rendered: dict[int, Definition] = {}
        self._imports: tuple[ImportStatement, ...] | None = None
        self._bound: dict[str, ImportedName] | None = None
        self._walk(tree.root_node, prefix="", owner=None, region=region)

    @property
    def imports(self) -> tuple[ImportStatement, ...]:
        """The module's import statements (parsed on first use)."""
        if self._imports is None:
            self._imports = module_imports(self.source, self.tree, self.region)
        return self._imports

    def imported(self, name: str) -> ImportedName | None:
        """The import that binds ``name``: the last top-level one, else the first nested one.

        Indexed once per table: definition lookup asks for dozens of names per request, and a
        long module has hundreds of imports.
        """
        if self._bound is None:
            bound: dict[str, ImportedName] = {}
            for statement in self.imports:
                for imported in statement.names:
                    if statement.top_level or imported.bound_name not in bound:
                        bound[imported.bound_name] = imported
            self._bound = bound
        return self._bound.get(name)

    def lookup(self, name: str) -> list[SymbolEntry]:
        """Every definition of ``name`` in the module (module level first, then class members)."""
        return self.by_name.get(name, [])

    def find_class(self, name: str) -> ClassInfo | None:
        """A class by simple or qualified name."""
        return self.classes.get(name)

    def class_members(self, info: ClassInfo) -> list[SymbolEntry]:
        """A class's methods, class variables and ``self.x`` attributes, in source order."""
        if not info.attributes_scanned:
            info.attributes_scanned = True
            known = {member.name for member in info.members}
            for entry in self._self_attributes(info):
                if entry.name not in known:
                    known.add(entry.name)
                    info.members.append(entry)
                    self.by_name.setdefault(entry.name, []).append(entry)
        return info.members

    def definition(self, entry: SymbolEntry) -> Definition:
        """Render an entry (memoised: cached tables render each entry once)."""
        key = id(entry)
        rendered = self._rendered.get(key)
        if rendered is None:
            rendered = self._render(entry)
            self._rendered[key] = rendered
        return rendered

    def _render(self, entry: SymbolEntry) -> Definition:
        node = entry.node
        start = self.source.str_offset(node.start_byte)
        line = self.source.line_of(start)
        character = utf16_length(self.source.text[self.source.line_start(line) : start])
        if entry.kind in ("function", "method", "class"):
            signature, doc = signature_text(node), docstring(node)
            decorators, annotation = decorators_text(node), None
        else:
            text = node_text(node).split("\n", 1)[0].rstrip()
            signature = text[:_MAX_VALUE_SIGNATURE]
            doc, decorators = None, ()
            annotation_node = node.child_by_field_name("type")
            annotation = node_text(annotation_node) if annotation_node is not None else None
        return Definition(
            name=entry.name,
            qualified_name=entry.qualified_name,
            kind=entry.kind,
            signature=signature,
            docstring=doc,
            decorators=decorators,
            annotation=annotation,
            path=self.path,
            origin=self.origin,
            line=line,
            character=character,
        )

    def _add(self, entry: SymbolEntry) -> None:
        self.by_name.setdefault(entry.name, []).append(entry)
        if entry.owner_class is None:
            self.top_level.append(entry)
        else:
            owner = self.classes.get(entry.owner_class)
            if owner is not None:
                owner.members.append(entry)

    def _walk(
        self, container: Node, prefix: str, owner: str | None, region: ByteRegion | None = None
    ) -> None:
        for child in children_in(container, region):
            kind = child.type
            if kind == "decorated_definition":
                inner = child.child_by_field_name("definition")
                if inner is not None:
                    self._definition(inner, prefix, owner, region)
            elif kind in ("function_definition", "class_definition"):
                self._definition(child, prefix, owner, region)
            elif kind == "expression_statement":
                self._assignment(child, prefix, owner)
            elif kind in _TRANSPARENT:
                self._walk(child, prefix, owner, region)

    def _definition(
        self, node: Node, prefix: str, owner: str | None, region: ByteRegion | None
    ) -> None:
        name = definition_name(node)
        if not name:
            return
        qualified = prefix + name
        if node.type == "class_definition":
            entry = SymbolEntry(name, qualified, "class", node, owner)
            self._add(entry)
            info = ClassInfo(entry)
            self.classes[qualified] = info
            self.classes.setdefault(name, info)
            self.classes_by_node[node.start_byte] = qualified
            body = node.child_by_field_name("body")
            if body is not None:
                self._walk(body, qualified + ".", qualified, region)
        else:
            self._add(SymbolEntry(name, qualified, "method" if owner else "function", node, owner))

    def _assignment(self, statement: Node, prefix: str, owner: str | None) -> None:
        assignment = statement.named_child(0) if statement.named_child_count else None
        if assignment is None or assignment.type != "assignment":
            return
        target = assignment.child_by_field_name("left")
        if target is None or target.type != "identifier":
            return
        name = node_text(target)
        self._add(SymbolEntry(name, prefix + name, "variable", assignment, owner))

    def _self_attributes(self, info: ClassInfo) -> list[SymbolEntry]:
        """``self.x = ...`` assignments in the class's methods, in source order.

        A bytes regex over the class's text finds candidate lines (much faster than walking or
        querying every method body of a large class); each hit is confirmed in the tree. ``self``
        is whatever the methods name their first parameter.
        """
        class_node = info.entry.node
        receivers = set()
        for method in info.members:
            if method.kind != "method":
                continue
            parameters = method.node.child_by_field_name("parameters")
            if parameters is not None and parameters.named_child_count:
                first = parameters.named_child(0)
                if first.type == "identifier":
                    receivers.add(node_text(first))
        receivers = {name for name in receivers if name.isascii()}
        if not receivers or class_node.text is None:
            return []
        root = self.tree.root_node
        found: list[SymbolEntry] = []
        class_name = info.entry.qualified_name
        data = class_node.text
        matches = []
        for receiver in sorted(receivers):
            # Literal first (a fast substring scan); the line start is checked by hand.
            pattern = re.compile(
                re.escape(receiver.encode())
                + rb"[ \t]*\.[ \t]*([A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=\n]*)?=(?!=)"
            )
            for match in pattern.finditer(data):
                line_start = data.rfind(b"\n", 0, match.start()) + 1
                if not data[line_start : match.start()].strip():
                    matches.append(match)
        matches.sort(key=lambda match: match.start())
        for match in matches:
            start = class_node.start_byte + match.start(1)
            node = root.descendant_for_byte_range(start, start + len(match.group(1)))
            assignment = node
            while assignment is not None and assignment.type not in ("assignment", "block"):
                assignment = assignment.parent
            if assignment is None or assignment.type != "assignment":
                continue
            owner = assignment.parent
            while owner is not None and owner.type != "class_definition":
                owner = owner.parent
            if owner is None or owner.start_byte != class_node.start_byte:
                continue  # an attribute of a nested class
            name = match.group(1).decode()
            found.append(
                SymbolEntry(name, f"{class_name}.{name}", "attribute", assignment, class_name)
            )
        return found
