"""What kind of spot the cursor is at: in a string, after a dot, in an empty block, ...

Completion behaves differently at each (no code suggestions inside comments, a whole body for an
empty ``def``, one member name after ``obj.``), and repair and test generation ask the same
questions. The tree answers for well-formed code; for code being typed, which is usually broken,
a small lexer over the current line backs it up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from tree_sitter import Node, Tree

from codegpt.server.context_syntax import (
    DEFINITION_TYPES,
    ancestors,
    body_statements,
    definition_of,
    docstring_node,
    last_leaf_before,
    node_text,
    signature_text,
)
from codegpt.server.context_text import SourceText


class PositionKind(StrEnum):
    """The most specific description of the cursor's spot (see ``CursorPosition`` for all flags)."""

    COMMENT = "comment"
    STRING = "string"
    MEMBER_ACCESS = "member_access"  # right after ``obj.`` or inside the member name after it
    EMPTY_BLOCK = "empty_block"  # an indented blank line where a block's body should go
    BLANK_LINE = "blank_line"
    IDENTIFIER = "identifier"  # inside or at the end of a word being typed
    LINE_START = "line_start"  # only indentation before the cursor, code after it
    MID_LINE = "mid_line"  # code on both sides
    END_OF_LINE = "end_of_line"  # code before, nothing after


@dataclass(frozen=True)
class CursorPosition:
    """Everything about the cursor's spot that completion, repair and test generation ask."""

    kind: PositionKind
    in_string: bool
    # In a string opened on this line with one quote (``'PKG-``, ``"clea``): a short literal
    # whose rest is code-like, unlike a docstring's prose or a triple-quoted block.
    in_line_string: bool
    in_comment: bool
    in_empty_block: bool
    empty_block_header: str | None  # the header whose body is empty, e.g. ``def f(x):``
    after_dot: bool
    receiver: str | None  # the expression before the dot: ``self.items[0]`` in ``self.items[0].``
    receiver_chain: tuple[str, ...]  # the names along the receiver: ("self", "items")
    in_import: bool  # on an import line: a dot there separates module names
    partial_word: str  # identifier characters just before the cursor
    word_after: str  # identifier characters just after it (the cursor is inside a word)
    line_prefix: str  # the line's text before the cursor
    text_after_cursor: str  # the line's text after the cursor, without the line break
    at_line_start: bool  # only whitespace before the cursor on its line
    at_line_end: bool  # only whitespace after the cursor on its line
    blank_line: bool
    indent: str  # the line's leading whitespace


_WORD_BEFORE = re.compile(r"\w*\Z")
_WORD_AFTER = re.compile(r"\w*")
_BLOCK_KEYWORDS = re.compile(
    r"(?:async\s+)?(?:def|class|if|elif|else|for|while|try|except|finally|with|match|case)\b"
)
_BLOCK_TYPES = frozenset(
    {
        "function_definition",
        "class_definition",
        "if_statement",
        "elif_clause",
        "else_clause",
        "for_statement",
        "while_statement",
        "try_statement",
        "except_clause",
        "except_group_clause",
        "finally_clause",
        "with_statement",
        "match_statement",
        "case_clause",
    }
)
_RECEIVER_SCAN_LIMIT = 4000  # characters; receivers longer than this are not worth describing


def cursor_position(source: SourceText | str, tree: Tree, cursor: int) -> CursorPosition:
    """Describe the spot at str offset ``cursor`` of a document parsed into ``tree``."""
    source = source if isinstance(source, SourceText) else SourceText(source)
    text = source.text
    cursor = max(0, min(cursor, len(text)))
    line = source.line_of(cursor)
    line_start = source.line_start(line)
    line_prefix = text[line_start:cursor]
    text_after = text[cursor : source.line_end(line)]
    indent = line_prefix[: len(line_prefix) - len(line_prefix.lstrip())]
    if not line_prefix.strip():
        full_line = source.line_text(line)
        indent = full_line[: len(full_line) - len(full_line.lstrip())]
    at_line_start = not line_prefix.strip()
    at_line_end = not text_after.strip()
    byte = source.byte_offset(cursor)

    in_string, in_comment, quote = _string_or_comment(source, tree, byte, line_start, line_prefix)
    word = _WORD_BEFORE.search(line_prefix).group()
    partial = word if word.isidentifier() else ""
    word_after = _WORD_AFTER.match(text_after).group()
    if word != partial or not (partial + word_after).isidentifier():
        word_after = ""

    after_dot = False
    receiver: str | None = None
    chain: tuple[str, ...] = ()
    in_import = bool(re.match(r"\s*(from|import)\s", line_prefix))
    if not (in_string or in_comment) and word == partial:
        dot = cursor - len(partial) - 1
        if dot >= 0 and text[dot] == "." and not (dot >= 1 and text[dot - 1] == "."):
            receiver = receiver_before(text, dot)
            if receiver and not receiver[0].isdigit():
                after_dot = True
                chain = receiver_chain(receiver)
            else:
                receiver = None

    empty_header = None
    if at_line_start and at_line_end and not (in_string or in_comment):
        empty_header = _empty_block_header(source, tree, byte, len(line_prefix))

    if in_comment:
        kind = PositionKind.COMMENT
    elif in_string:
        kind = PositionKind.STRING
    elif after_dot:
        kind = PositionKind.MEMBER_ACCESS
    elif empty_header is not None:
        kind = PositionKind.EMPTY_BLOCK
    elif at_line_start and at_line_end:
        kind = PositionKind.BLANK_LINE
    elif partial:
        kind = PositionKind.IDENTIFIER
    elif at_line_start:
        kind = PositionKind.LINE_START
    elif not at_line_end:
        kind = PositionKind.MID_LINE
    else:
        kind = PositionKind.END_OF_LINE
    return CursorPosition(
        kind=kind,
        in_string=in_string,
        in_line_string=in_string and quote in ("'", '"'),
        in_comment=in_comment,
        in_empty_block=empty_header is not None,
        empty_block_header=empty_header,
        after_dot=after_dot,
        receiver=receiver,
        receiver_chain=chain,
        in_import=in_import,
        partial_word=partial,
        word_after=word_after,
        line_prefix=line_prefix,
        text_after_cursor=text_after,
        at_line_start=at_line_start,
        at_line_end=at_line_end,
        blank_line=at_line_start and at_line_end,
        indent=indent,
    )


def _string_or_comment(
    source: SourceText, tree: Tree, byte: int, line_start: int, line_prefix: str
) -> tuple[bool, bool, str]:
    """(in a string, in a comment, its quote) from the tree, or lexed when the code is broken.

    The quote is the string's opening quote without prefix letters (``'``, or three of them)
    when the string opened on the cursor's line, else "".
    """
    root = tree.root_node
    leaf = last_leaf_before(root, byte, skip_comments=False)
    if leaf is not None and leaf.type == "comment" and leaf.start_byte < byte <= leaf.end_byte:
        if not root.has_error:
            return False, True, ""
    elif leaf is not None:
        inside = _inside_string_node(leaf, byte)
        if inside is not None:
            quote = _line_quote(leaf, source.byte_offset(line_start)) if inside else ""
            return inside, False, quote
    if not root.has_error:
        return False, False, ""
    if _inside_unclosed_triple_quote(source, root, byte):
        return True, False, ""
    # Start the line scan after any string that began on an earlier line and ends on this one.
    scan_from = 0
    line_byte = source.byte_offset(line_start)
    for node in ancestors(root.descendant_for_byte_range(line_byte, line_byte)):
        if node.type == "string" and node.start_byte < line_byte < node.end_byte:
            scan_from = min(len(line_prefix), source.str_offset(node.end_byte) - line_start)
            break
    state, quote = _scan(line_prefix[scan_from:])
    return state == "string", state == "comment", quote


def _line_quote(leaf: Node, line_byte: int) -> str:
    """The opening quote of the string around ``leaf`` if it opened at or after ``line_byte``."""
    for node in ancestors(leaf):
        if node.type == "string":
            start = node.child(0) if node.child_count else None
            if start is None or start.type != "string_start" or node.start_byte < line_byte:
                return ""
            return node_text(start).lstrip("rRbBuUfFtT")
    return ""


def _inside_string_node(leaf: Node, byte: int) -> bool | None:
    """True inside a string literal, False inside an f-string's ``{...}``, None when neither."""
    for node in ancestors(leaf):
        if node.type == "interpolation":
            if node.start_byte < byte < node.end_byte:
                return False  # inside ``{...}`` of an f-string: that is code
        elif node.type == "string":
            start = node.child(0) if node.child_count else None
            end = node.child(node.child_count - 1) if node.child_count else None
            opened = start is not None and start.type == "string_start" and start.end_byte <= byte
            if not opened:
                return None
            if end is None or end.type != "string_end" or end.is_missing:
                return byte <= node.end_byte
            return byte <= end.start_byte
        elif node.type in ("block", "module", "expression_statement"):
            return None
    return None


def _orphan_string_starts(root: Node, byte: int) -> list[Node]:
    """``string_start`` tokens directly inside ERROR nodes that end by ``byte``.

    Only children with errors are descended into, so a module of thousands of clean statements
    costs one look at each statement before the cursor; a query over the whole prefix visited
    every node in it (~50 ms in a 100,000-line file).
    """
    found = []
    pending = [root]
    while pending:
        parent = pending.pop()
        in_error = parent.type == "ERROR"
        cursor = parent.walk()
        if not cursor.goto_first_child():
            continue
        while (child := cursor.node) is not None and child.start_byte < byte:
            if in_error and child.type == "string_start":
                if child.end_byte <= byte:
                    found.append(child)
            elif child.has_error:
                pending.append(child)
            if not cursor.goto_next_sibling():
                break
    return found


def _inside_unclosed_triple_quote(source: SourceText, root: Node, byte: int) -> bool:
    """Tree-sitter turns an unclosed ``\"\"\"`` into an ERROR token and lexes the rest as code."""
    data = source.data
    if data.count(b'"""', 0, byte) % 2 == 0 and data.count(b"'''", 0, byte) % 2 == 0:
        return False  # every triple quote is paired: skip the search through the prefix
    starts = [
        node for node in _orphan_string_starts(root, byte) if node_text(node)[-3:] in ('"""', "'''")
    ]
    if not starts:
        return False
    last = max(starts, key=lambda node: node.start_byte)
    quote = node_text(last)[-3:]
    return data.find(quote.encode(), last.end_byte, byte) < 0


def scan_line(text: str) -> str:
    """Lex one line of Python: ``"string"`` or ``"comment"`` if it ends inside one, else ``"code"``.

    Triple-quoted strings that close on the line are handled; one left open counts as a string.
    """
    return _scan(text)[0]


def _scan(text: str) -> tuple[str, str]:
    """``scan_line``'s state, and the quote of the string the line ends in ("" if none)."""
    index = 0
    length = len(text)
    while index < length:
        ch = text[index]
        if ch == "#":
            return "comment", ""
        if ch in "\"'":
            quote = text[index : index + 3] if text[index : index + 3] in ('"""', "'''") else ch
            raw = _string_prefix(text, index).lower().count("r") > 0
            index += len(quote)
            while True:
                if index >= length:
                    return "string", quote
                if text[index] == "\\" and not raw:
                    index += 2
                    continue
                if text.startswith(quote, index):
                    index += len(quote)
                    break
                index += 1
            continue
        index += 1
    return "code", ""


def _string_prefix(text: str, quote_index: int) -> str:
    start = quote_index
    while start > 0 and text[start - 1] in "rRbBuUfF":
        start -= 1
    prefix = text[start:quote_index]
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return ""
    return prefix


def _empty_block_header(source: SourceText, tree: Tree, byte: int, column: int) -> str | None:
    """The header of the block whose (still empty) body the cursor's blank line would start."""
    leaf = last_leaf_before(tree.root_node, byte)
    if leaf is None:
        return None
    parent = leaf.parent
    if leaf.type == ":" and parent is not None:
        if parent.type in _BLOCK_TYPES:
            header_column = definition_of(parent).start_point.column
            if column <= header_column:
                return None
            body = parent.child_by_field_name("body") or parent.child_by_field_name("consequence")
            statements = body.named_children if body is not None else []
            if any(
                child.type != "comment" and child.start_point.column > header_column
                for child in statements
            ):
                return None
            if parent.type in DEFINITION_TYPES:
                return signature_text(parent)
            return node_text(parent)[: leaf.end_byte - parent.start_byte].rstrip()
        line_text = source.byte_text(_line_start_byte(source, leaf), leaf.end_byte).strip()
        if _BLOCK_KEYWORDS.match(line_text) and column > _indent_of_byte(source, leaf):
            return line_text
        return None
    for node in ancestors(leaf):
        if node.type in DEFINITION_TYPES:
            statements = body_statements(node)
            literal = docstring_node(node)
            if (
                literal is not None
                and len(statements) == 1
                and literal.end_byte == leaf.end_byte
                and column > definition_of(node).start_point.column
            ):
                return signature_text(node)
            return None
    return None


def _line_start_byte(source: SourceText, node: Node) -> int:
    return node.start_byte - node.start_point.column


def _indent_of_byte(source: SourceText, node: Node) -> int:
    start = _line_start_byte(source, node)
    line = source.byte_text(start, node.start_byte)
    return len(line) - len(line.lstrip())


def receiver_before(text: str, dot: int) -> str | None:
    """The expression that ends right before the ``.`` at ``dot``: ``f(x).y[0]`` and the like.

    Scans backwards over names, dots and balanced brackets (which may span lines), stopping at
    anything else; None when nothing usable precedes the dot.
    """
    limit = max(0, dot - _RECEIVER_SCAN_LIMIT)
    position = dot
    while position > limit:
        ch = text[position - 1]
        if ch in ")]}":
            opener = _matching_open(text, position - 1, limit)
            if opener is None:
                return None
            position = opener
            continue
        if ch.isalnum() or ch == "_":
            while position > limit and (text[position - 1].isalnum() or text[position - 1] == "_"):
                position -= 1
            if position > limit and text[position - 1] == ".":
                position -= 1
                continue
            break
        if ch in "\"'":
            opening = text.rfind(ch, limit, position - 1)
            if opening < 0:
                return None
            position = opening
            break
        break
    receiver = text[position:dot]
    return receiver or None


def _matching_open(text: str, close: int, limit: int) -> int | None:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = [pairs[text[close]]]
    index = close - 1
    while index >= limit:
        ch = text[index]
        if ch in pairs:
            stack.append(pairs[ch])
        elif ch in "([{":
            if ch != stack.pop():
                return None
            if not stack:
                return index
        index -= 1
    return None


def receiver_chain(receiver: str) -> tuple[str, ...]:
    """The names along a receiver with bracket contents dropped: ``a.b(c).d`` gives (a, b, d)."""
    depth = 0
    kept = []
    for ch in receiver:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif depth == 0:
            kept.append(ch)
    return tuple(part for part in "".join(kept).split(".") if part.isidentifier())
