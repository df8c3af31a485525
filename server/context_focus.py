"""The part of a huge module that context extraction reads: the cursor's neighbourhood and the head.

Walking every definition of a 100,000-line module costs hundreds of milliseconds, and the text
changes with every keystroke. Past ``LARGE_DOCUMENT_CHARS`` only the top-level statements near the
cursor and at the head of the file (where imports live) are read; a definition far from both is
not offered as context, which costs little: the prompt holds a few hundred tokens anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from codegpt.server.context_text import SourceText

LARGE_DOCUMENT_CHARS = 1_000_000  # about 25,000 lines of typical Python
FOCUS_BYTES = 200_000  # either side of the cursor's block
# The cursor's byte offset is rounded down to a block of this size, so moving the cursor within a
# block keeps the region, and with it the cached symbol table (``current_document_table``).
FOCUS_BLOCK_BYTES = 65_536
HEAD_BYTES = 65_536  # the imports and module constants at the top


@dataclass(frozen=True)
class ByteRegion:
    """UTF-8 byte ranges of a module to read: ``[0, head)`` and ``[start, end]``."""

    start: int
    end: int
    head: int

    def holds(self, node: Node) -> bool:
        """Whether a statement overlaps the region."""
        if node.start_byte < self.head:
            return True
        return node.end_byte >= self.start and node.start_byte <= self.end

    def children(self, parent: Node, *, named: bool = True) -> list[Node]:
        """The children of ``parent`` that the region holds, in order, without visiting the rest.

        ``parent.children`` of a module with 6,000 statements builds 6,000 nodes. A tree cursor
        jumps to the first child at the region's start instead (tree-sitter skips whole runs of
        statements by their sizes), so only the children read are ever built.
        """
        if (
            parent.end_byte < self.head
            or self.start <= parent.start_byte <= parent.end_byte <= self.end
        ):
            return parent.named_children if named else parent.children  # nothing to skip
        found: list[Node] = []
        cursor = parent.walk()
        if cursor.goto_first_child():
            while (node := cursor.node) is not None and node.start_byte < self.head:
                found.append(node)
                if not cursor.goto_next_sibling():
                    break
        cursor = parent.walk()
        # The first child ending after ``start - 1``: ``holds`` counts one ending at ``start``.
        if cursor.goto_first_child_for_byte(max(0, self.start - 1)) is not None:
            while (node := cursor.node) is not None and node.start_byte <= self.end:
                if node.start_byte >= self.head:  # those before are in ``found`` already
                    found.append(node)
                if not cursor.goto_next_sibling():
                    break
        return [node for node in found if node.is_named] if named else found


def children_in(parent: Node, region: ByteRegion | None, *, named: bool = True) -> list[Node]:
    """``parent``'s (named) children that ``region`` holds; all of them without a region."""
    if region is None:
        return parent.named_children if named else parent.children
    return region.children(parent, named=named)


def focus_region(source: SourceText, offset: int) -> ByteRegion | None:
    """The region to read around str ``offset``, or None when the whole module is small enough."""
    if len(source.text) <= LARGE_DOCUMENT_CHARS:
        return None
    block = source.byte_offset(offset) // FOCUS_BLOCK_BYTES * FOCUS_BLOCK_BYTES
    return ByteRegion(
        max(0, block - FOCUS_BYTES), block + FOCUS_BLOCK_BYTES + FOCUS_BYTES, HEAD_BYTES
    )
