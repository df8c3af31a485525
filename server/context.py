"""Everything prompts need to know about the cursor, extracted in one call.

Completion (fill-in-the-middle), repair and test generation all build their prompts from this
bundle; each part is also usable alone from its own module:

- ``context_text``: positions (LSP UTF-16 columns, str offsets, UTF-8 tree offsets)
- ``context_window``: prefix and suffix cut to a budget
- ``context_scopes``: enclosing class and function headers
- ``context_imports``: the module's imports
- ``context_position``: the kind of spot the cursor is at
- ``context_definitions`` (with ``context_symbols`` and ``workspace_index``): definitions of the
  names used near the cursor
- ``context_members``: what may follow ``obj.``

Everything here is a pure function of text and position (plus the workspace files it reads), with
no LSP types, so it can be tested and benchmarked without a server.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Tree

from codegpt.server.context_definitions import DefinitionFinder, DefinitionQuery, references_near
from codegpt.server.context_focus import ByteRegion, children_in, focus_region
from codegpt.server.context_imports import ImportStatement
from codegpt.server.context_members import MemberContext, member_context
from codegpt.server.context_position import CursorPosition, cursor_position
from codegpt.server.context_scopes import Scope, scope_from_node, scope_nodes
from codegpt.server.context_symbols import Definition, SymbolTable
from codegpt.server.context_text import SourceText
from codegpt.server.context_window import PromptWindow, TokenCounter, WindowBudget, cut_window
from codegpt.server.parsing import parse
from codegpt.server.workspace_index import ModuleResolver, WorkspaceIndex, workspace_index_for


@dataclass(frozen=True)
class ContextBudget:
    """How much context to gather: window sizes, and how many definitions and members."""

    window: WindowBudget = field(default_factory=WindowBudget)
    definitions: DefinitionQuery = field(default_factory=DefinitionQuery)
    members: int = 60  # a member list longer than this is a namespace dump, not context


@dataclass(frozen=True)
class CursorContext:
    """The cursor's surroundings: what completion, repair and test prompts are built from."""

    offset: int  # str offset of the (clamped) cursor
    line: int  # the clamped LSP position
    character: int
    window: PromptWindow
    position: CursorPosition
    scopes: tuple[Scope, ...]  # outermost first
    imports: tuple[ImportStatement, ...]
    definitions: tuple[Definition, ...]  # most relevant first; none that the window already shows
    members: MemberContext | None  # only after ``obj.``


def extract_context(
    text: str,
    line: int,
    character: int,
    *,
    tree: Tree | None = None,
    document: str | None = None,
    open_documents: Mapping[str, str] | None = None,
    workspace_root: str | Path | WorkspaceIndex | None = None,
    budget: ContextBudget | None = None,
    count_tokens: TokenCounter | None = None,
) -> CursorContext:
    """Extract the context at LSP position (``line``, ``character``: UTF-16 units).

    ``tree`` is the document's parse tree if the caller keeps one (it must match ``text``);
    ``document`` is the document's URI or path (needed for relative imports and to leave the
    document itself out of ``open_documents``, a mapping of URI or path to text). Positions past
    the end of a line or of the document are clamped.
    """
    source = SourceText(text)
    offset = source.offset_at(line, character)
    return _extract(
        source, offset, tree, None, document, open_documents, workspace_root, budget, count_tokens
    )


def extract_context_at_offset(
    text: str,
    offset: int,
    *,
    tree: Tree | None = None,
    document: str | None = None,
    open_documents: Mapping[str, str] | None = None,
    workspace_root: str | Path | WorkspaceIndex | None = None,
    budget: ContextBudget | None = None,
    count_tokens: TokenCounter | None = None,
    line_starts: Sequence[int] | None = None,
    region: ByteRegion | None = None,
    previous_window: PromptWindow | None = None,
) -> CursorContext:
    """``extract_context`` for a cursor given as a str offset (clamped to the text).

    ``line_starts``, when the caller keeps them current (the server's documents do), saves a scan
    of the whole text; they must be ``text``'s own. ``region`` is the part of a huge document to
    read (``focus_region`` around the cursor if not given); with a tree of only that part
    (``Document.focus``), it must be the region that tree was parsed from. ``previous_window`` is
    the document's last window (``cut_window``'s ``previous``: its start is kept while typing).
    """
    source = SourceText(text, line_starts)
    offset = max(0, min(offset, len(text)))
    return _extract(
        source,
        offset,
        tree,
        region,
        document,
        open_documents,
        workspace_root,
        budget,
        count_tokens,
        previous_window,
    )


_CURRENT_TABLES: OrderedDict[tuple, SymbolTable] = OrderedDict()
_CURRENT_TABLES_SIZE = 8  # a few recently edited documents


def current_document_table(
    source: SourceText,
    tree: Tree | None,
    document: str | None,
    region: ByteRegion | None = None,
) -> SymbolTable:
    """The symbol table (and tree) of the document being edited, reused while its text is unchanged.

    Cursor moves without edits are the common case between requests; they then cost no parse and
    no walk. A caller-supplied tree is part of the key, so a table never mixes two trees; it also
    stands in for the text (hashing a 4 MB text costs ~3 ms, every edit makes a new text and tree,
    and a cached table keeps its tree alive, so the tree's ``id`` is not reused meanwhile).
    """
    if tree is not None and tree.root_node.has_changes:
        # An edited tree that was not re-parsed no longer matches any text.
        tree = None
    fingerprint = id(tree) if tree is not None else hash(source.text)
    key = (document, len(source.text), fingerprint, region)
    table = _CURRENT_TABLES.get(key)
    if (
        table is not None
        and (tree is None or table.tree is tree)
        and table.source.text == source.text
    ):
        _CURRENT_TABLES.move_to_end(key)
        return table
    if document is not None:
        # The document changed: its older tables can never be hit again, and each keeps a whole
        # tree alive (one per keystroke in a 100,000-line file is a lot of memory).
        for stale in [k for k in _CURRENT_TABLES if k[0] == document and k[1:3] != key[1:3]]:
            del _CURRENT_TABLES[stale]
    tree = tree if tree is not None else parse(source.text)
    table = SymbolTable(source, tree, path=document, origin="current", region=region)
    _CURRENT_TABLES[key] = table
    while len(_CURRENT_TABLES) > _CURRENT_TABLES_SIZE:
        _CURRENT_TABLES.popitem(last=False)
    return table


def _extract(
    source: SourceText,
    offset: int,
    tree: Tree | None,
    region: ByteRegion | None,
    document: str | None,
    open_documents: Mapping[str, str] | None,
    workspace_root: str | Path | WorkspaceIndex | None,
    budget: ContextBudget | None,
    count_tokens: TokenCounter | None,
    previous_window: PromptWindow | None = None,
) -> CursorContext:
    budget = budget or ContextBudget()
    if region is None:
        region = focus_region(source, offset)
    table = current_document_table(source, tree, document, region)
    tree = table.tree
    nodes = scope_nodes(source, tree, offset)
    scopes = tuple(scope_from_node(source, node) for node in reversed(nodes))

    anchor = None
    boundaries: list[int] = []
    if budget.window.anchor_to_definition and scopes:
        outermost = scopes[0]
        anchor = (source.line_start(source.line_of(outermost.start)), outermost.end)
        boundaries = [
            source.line_start(source.line_of_byte(child.start_byte, child.start_point.row))
            for child in children_in(tree.root_node, region, named=False)
        ]
    window = cut_window(
        source,
        offset,
        budget.window,
        count_tokens=count_tokens,
        anchor=anchor,
        boundaries=boundaries,
        previous=previous_window,
    )
    position = cursor_position(source, tree, offset)

    if isinstance(workspace_root, WorkspaceIndex):
        workspace = workspace_root
    elif workspace_root is not None:
        workspace = workspace_index_for(workspace_root)
    else:
        workspace = None
    open_docs = {key: value for key, value in (open_documents or {}).items() if key != document}
    enclosing_class = next(
        (
            table.classes_by_node.get(node.start_byte)
            for node in nodes
            if node.type == "class_definition"
        ),
        None,
    )
    finder = DefinitionFinder(
        table, ModuleResolver(workspace, open_docs), document, enclosing_class
    )

    references = references_near(source, tree, offset, position.receiver_chain, budget.definitions)
    visible = (source.byte_offset(window.prefix_start), source.byte_offset(window.suffix_end))
    definitions = finder.find(references, budget.definitions.limit, hidden=visible)

    members = None
    if position.after_dot and position.receiver:
        members = member_context(
            source,
            tree,
            offset,
            position.receiver,
            position.receiver_chain,
            finder,
            nodes,
            budget.members,
        )
    line, character = source.position_at(offset)
    return CursorContext(
        offset=offset,
        line=line,
        character=character,
        window=window,
        position=position,
        scopes=scopes,
        imports=table.imports,
        definitions=tuple(definitions),
        members=members,
    )
