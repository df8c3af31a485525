"""``codegpt.documentState``: what the server holds for a document, to compare with the client.

Editors and tests use it to prove that incremental sync kept the server's text identical to
the client's (by hash, so large documents cost nothing to compare) and that the incremental
tree equals a fresh parse. Bug reports can include its answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from itertools import zip_longest
from typing import Any

from tree_sitter import Tree

from codegpt.server.parsing import parse

# A runtime import (not TYPE_CHECKING): pygls resolves command annotations with get_type_hints.
from codegpt.server.server import CodegptServer

DOCUMENT_STATE = "codegpt.documentState"
# Walking two trees node by node takes seconds past this size; the answer then says null.
TREE_CHECK_MAX_LINES = 20_000


def _nodes(tree: Tree) -> Iterator[tuple[int, int, int, bool]]:
    """Every node in document order, walked with a cursor.

    Not ``str(node)``: it recurses in C and crashes the process on deeply nested trees (an
    unclosed bracket in a large file nests every later line).
    """
    cursor = tree.walk()
    while True:
        node = cursor.node
        assert node is not None, "a cursor always points at a node"
        yield node.kind_id, node.start_byte, node.end_byte, node.is_missing
        if cursor.goto_first_child() or cursor.goto_next_sibling():
            continue
        while True:
            if not cursor.goto_parent():
                return
            if cursor.goto_next_sibling():
                break


def same_tree(left: Tree, right: Tree) -> bool:
    """Whether two trees have the same nodes with the same byte ranges."""
    return all(a == b for a, b in zip_longest(_nodes(left), _nodes(right)))


def document_state(ls: CodegptServer, uri: str) -> dict[str, Any] | None:
    """Version, text hash, line count and tree consistency of an open document (None if closed)."""
    document = ls.documents.get(uri)
    if document is None:
        return None
    tree_ok = None
    if document.tree is not None and document.line_count() <= TREE_CHECK_MAX_LINES:
        tree_ok = same_tree(document.tree, parse(document.source))
    return {
        "version": document.version,
        "sha256": hashlib.sha256(document.text.encode("utf-8", "surrogatepass")).hexdigest(),
        "lineCount": document.line_count(),
        "treeMatchesFreshParse": tree_ok,
        # Other features may read pygls's copy (ls.workspace); it must be the same text.
        "workspaceAgrees": ls.workspace.get_text_document(uri).source == document.text,
    }


def register(server: CodegptServer) -> None:
    """Register the command."""
    server.command(DOCUMENT_STATE)(document_state)
