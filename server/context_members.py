"""What can follow ``obj.``: attributes used with that receiver, and its class's members.

Member completion is where a small model most often invents names. Two cheap sources of real
names fix most of that: how the same receiver is already used in the file, and, when the receiver's
class can be inferred (``self`` in a method, ``x = Foo(...)``, ``x: Foo``), that class's methods
and attributes, inherited ones included.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from tree_sitter import Node, Tree

from codegpt.server.context_definitions import DefinitionFinder
from codegpt.server.context_symbols import Definition, SymbolEntry, SymbolTable
from codegpt.server.context_syntax import DEFINITION_TYPES, node_text
from codegpt.server.context_text import SourceText

_MAX_BASE_DEPTH = 3  # inheritance chains deeper than this are rare and costly to follow
_WRAPPERS = re.compile(r"^(?:typing\.)?(?:Optional|Final|ClassVar|Annotated|Type)\[(.*)\]$")


@dataclass(frozen=True)
class MemberContext:
    """Names that may follow ``receiver.``, from usage and from the receiver's inferred class."""

    receiver: str
    used_attributes: tuple[str, ...]  # ``receiver.x`` uses in the file, most frequent first
    receiver_class: str | None  # qualified name of the inferred class, if any
    receiver_module: str | None  # path of the module when the receiver is an imported module
    members: tuple[Definition, ...]  # the class's (or module's) members, own ones first


def attribute_uses(source: SourceText, tree: Tree, receiver: str, cursor: int) -> tuple[str, ...]:
    """Members used as ``receiver.member`` in the file, most frequent first.

    A text search, not a tree query: it is ten times faster on a large file, and an occasional
    hit inside a string or comment is harmless for a list of likely names. The use at the cursor
    is left out: it is the word still being typed.
    """
    # A pattern that starts with a literal lets ``re`` skip ahead with a fast substring search;
    # the character before each hit is checked here instead of with a slow lookbehind.
    pattern = re.compile(re.escape("".join(receiver.split())) + r"\s*\.\s*([^\W\d]\w*)")
    text = source.text
    counts: Counter[str] = Counter()
    for match in pattern.finditer(text):
        before = text[match.start() - 1] if match.start() > 0 else ""
        if before == "." or before == "_" or before.isalnum():
            continue
        if match.start(1) <= cursor <= match.end(1):
            continue
        counts[match.group(1)] += 1
    return tuple(name for name, _ in counts.most_common())


def member_context(
    source: SourceText,
    tree: Tree,
    cursor: int,
    receiver: str,
    chain: tuple[str, ...],
    finder: DefinitionFinder,
    scope_nodes: list[Node],
    limit: int = 60,
) -> MemberContext:
    """Everything known about what follows ``receiver.`` at the cursor."""
    used = attribute_uses(source, tree, receiver, cursor)
    members: list[Definition] = []
    class_name = None
    module_path = None
    if chain:
        resolved = _resolve_chain(source, tree, cursor, chain, finder, scope_nodes)
        if isinstance(resolved, tuple):
            table, entry = resolved
            class_name = entry.qualified_name
            members = [t.definition(e) for t, e in _class_members(table, entry, finder)[:limit]]
        elif isinstance(resolved, SymbolTable):
            module_path = resolved.path
            members = [resolved.definition(e) for e in resolved.top_level[:limit]]
    return MemberContext(
        receiver=receiver,
        used_attributes=used,
        receiver_class=class_name,
        receiver_module=module_path,
        members=tuple(members),
    )


def _resolve_chain(
    source: SourceText,
    tree: Tree,
    cursor: int,
    chain: tuple[str, ...],
    finder: DefinitionFinder,
    scope_nodes: list[Node],
) -> tuple[SymbolTable, SymbolEntry] | SymbolTable | None:
    """Infer what ``a.b.c`` is: a class (table, entry) whose instance it is, or a module table."""
    head = chain[0]
    current: tuple[SymbolTable, SymbolEntry] | SymbolTable | None = None
    innermost_class = next((n for n in scope_nodes if n.type == "class_definition"), None)
    if head in ("self", "cls") and innermost_class is not None:
        entry = _entry_for_node(finder.current, innermost_class)
        current = (finder.current, entry) if entry is not None else None
    else:
        type_text = _local_type(source, tree, cursor, head, scope_nodes)
        if type_text is not None:
            current = _class_by_name(type_text, finder, finder.current)
        else:
            imported = finder.imported_name(head)
            if imported is not None and imported.name is None:
                table, _ = finder.resolve_table_path((head,))
                current = table
            elif imported is not None:
                table, entries = finder.follow_import(imported)
                current = table if table is not None and not entries else None
    for name in chain[1:]:
        if current is None:
            return None
        if isinstance(current, SymbolTable):
            entries = [e for e in current.lookup(name) if e.owner_class is None]
            sub = finder.resolve_table_path((chain[0], name)) if not entries else (None, [])
            if entries and entries[0].kind == "class":
                return None  # ``mod.Class.`` lists class attributes; not an instance
            current = _value_class(current, entries[0], finder) if entries else sub[0]
            continue
        table, entry = current
        info = table.find_class(entry.qualified_name)
        members = table.class_members(info) if info is not None else []
        member = next((m for m in members if m.name == name), None)
        current = _value_class(table, member, finder) if member is not None else None
    return current


def _entry_for_node(table: SymbolTable, node: Node) -> SymbolEntry | None:
    for entry in table.lookup(node_text(node.child_by_field_name("name"))):
        if entry.node.start_byte == node.start_byte:
            return entry
    return None


def _local_type(
    source: SourceText, tree: Tree, cursor: int, name: str, scope_nodes: list[Node]
) -> str | None:
    """The class a local name holds, from what is written before the cursor.

    An annotated parameter of the innermost function, or ``x: T`` / ``x = T(...)`` in its body
    (in the module when the cursor is in no function).
    """
    function = next((n for n in scope_nodes if n.type == "function_definition"), None)
    cursor_byte = source.byte_offset(cursor)
    if function is not None:
        annotated = _parameter_annotation(function, name)
        if annotated is not None:
            return annotated
        body = function.child_by_field_name("body")
    else:
        body = None
    container = body if body is not None else tree.root_node
    found = None
    for assignment in _assignments_before(container, cursor_byte):
        target = assignment.child_by_field_name("left")
        if target is not None and node_text(target) == name:
            found = _assignment_type(assignment) or found
    return found


def _assignments_before(container: Node, limit: int) -> list[Node]:
    """Assignment nodes in a body's statements (nested blocks included), in source order."""
    found = []
    for child in container.named_children:
        if child.start_byte >= limit:
            break
        if child.type in DEFINITION_TYPES or child.type == "decorated_definition":
            continue
        if child.type == "expression_statement" and child.named_child_count:
            assignment = child.named_child(0)
            if assignment.type == "assignment":
                found.append(assignment)
        elif child.named_child_count and child.type not in ("call", "string"):
            found.extend(_assignments_before(child, limit))
    return found


def _assignment_type(assignment: Node) -> str | None:
    annotation = assignment.child_by_field_name("type")
    if annotation is not None:
        return _clean_annotation(node_text(annotation))
    value = assignment.child_by_field_name("right")
    if value is not None and value.type == "call":
        function = value.child_by_field_name("function")
        if function is not None and function.type in ("identifier", "attribute"):
            return node_text(function)
    return None


def _parameter_type(assignment: Node) -> str | None:
    """``self.x = x`` in a method whose parameter ``x`` is annotated: the annotation's class."""
    value = assignment.child_by_field_name("right")
    if value is None or value.type != "identifier":
        return None
    function = assignment.parent
    while function is not None and function.type != "function_definition":
        function = function.parent
    if function is None:
        return None
    return _parameter_annotation(function, node_text(value))


def _parameter_annotation(function: Node, name: str) -> str | None:
    parameters = function.child_by_field_name("parameters")
    for parameter in parameters.named_children if parameters else []:
        if parameter.type in ("typed_parameter", "typed_default_parameter"):
            parameter_name = parameter.child_by_field_name("name") or parameter.named_child(0)
            if node_text(parameter_name) == name:
                return _clean_annotation(node_text(parameter.child_by_field_name("type")))
    return None


def _clean_annotation(text: str) -> str | None:
    text = text.strip().strip("'\"")
    while match := _WRAPPERS.match(text):
        text = match.group(1).split(",")[0].strip()
    text = text.split("|")[0].strip().split("[")[0]
    return text if text and all(part.isidentifier() for part in text.split(".")) else None


def _value_class(
    table: SymbolTable, entry: SymbolEntry, finder: DefinitionFinder
) -> tuple[SymbolTable, SymbolEntry] | None:
    """The class of the value a variable or attribute entry holds, when written down."""
    if entry.kind not in ("variable", "attribute"):
        return None
    type_text = _assignment_type(entry.node) or _parameter_type(entry.node)
    return _class_by_name(type_text, finder, table) if type_text else None


def _class_by_name(
    name: str, finder: DefinitionFinder, table: SymbolTable
) -> tuple[SymbolTable, SymbolEntry] | None:
    """Find class ``Name`` or ``mod.Name`` as seen from ``table``'s module."""
    local = DefinitionFinder(table, finder.resolver, table.path or finder.document_key)
    dotted = tuple(name.split("."))
    if len(dotted) == 1:
        classes = [entry for entry in table.lookup(name) if entry.kind == "class"]
        if classes:
            return table, classes[0]
        imported = local.imported_name(name)
        if imported is not None and imported.name not in (None, "*"):
            found_table, entries = local.follow_import(imported)
            if found_table is not None and entries and entries[0].kind == "class":
                return found_table, entries[0]
        return None
    found_table, entries = local.resolve_table_path(dotted)
    if found_table is not None and entries and entries[0].kind == "class":
        return found_table, entries[0]
    return None


def _class_members(
    table: SymbolTable, entry: SymbolEntry, finder: DefinitionFinder, depth: int = 0
) -> list[tuple[SymbolTable, SymbolEntry]]:
    """A class's own members, then its bases' members not overridden, nearest base first.

    Entries, not rendered definitions: the caller renders only as many as it keeps.
    """
    info = table.find_class(entry.qualified_name)
    if info is None:
        return []
    members = [(table, member) for member in table.class_members(info)]
    if depth >= _MAX_BASE_DEPTH:
        return members
    names = {member.name for _, member in members}
    for base in info.bases:
        resolved = _class_by_name(base.split("[")[0], finder, table)
        if resolved is None or resolved[1] is entry:
            continue
        for inherited in _class_members(*resolved, finder, depth + 1):
            if inherited[1].name not in names:
                names.add(inherited[1].name)
                members.append(inherited)
    return members
