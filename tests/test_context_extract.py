from context_helpers import DATA, position_of, read

from codegpt.server.context import extract_context, extract_context_at_offset
from codegpt.server.context_position import PositionKind
from codegpt.server.parsing import parse

DECODER = read("json_decoder.py")


def test_bundle_on_real_code_with_shared_tree():
    line, character = position_of(DECODER, "end = _w(s, end).end()\n        if end != len(s):")
    context = extract_context(DECODER, line, character, tree=parse(DECODER))
    assert [s.name for s in context.scopes] == ["JSONDecoder", "decode"]
    assert context.position.kind == PositionKind.END_OF_LINE
    assert context.window.prefix.endswith("if end != len(s):")
    assert [s.text for s in context.imports][0] == "import re"
    assert context.members is None


def test_crlf_document():
    text = "class A:\r\n    def f(self):\r\n        self.x = 1\r\n        self.\r\n"
    context = extract_context(text, 3, 13)
    assert context.position.kind == PositionKind.MEMBER_ACCESS
    assert [s.name for s in context.scopes] == ["A", "f"]
    assert context.members.receiver_class == "A"
    assert [m.name for m in context.members.members] == ["f", "x"]
    assert context.window.prefix.endswith("\r\n        self.")
    assert context.window.suffix == "\r\n"


def test_astral_characters_shift_utf16_columns():
    text = "s = '😀😀'; t = obj.\n"
    # Column 20 in UTF-16 units is str index 18: after "obj." (each emoji is two units).
    context = extract_context(text, 0, 20)
    assert context.offset == 18 and context.window.prefix == "s = '😀😀'; t = obj."
    assert context.position.receiver == "obj"
    assert (context.line, context.character) == (0, 20)


def test_empty_document_and_positions_past_the_end():
    context = extract_context("", 5, 5)
    assert context.offset == 0 and context.window.prefix == "" and context.window.suffix == ""
    assert context.position.kind == PositionKind.BLANK_LINE
    assert context.scopes == () and context.imports == () and context.definitions == ()
    text = "def f():\n    return 1\n"
    past_line = extract_context(text, 0, 100)
    assert past_line.offset == len("def f():")
    past_end = extract_context(text, 99, 0)
    assert past_end.offset == len(text) and past_end.window.suffix == ""


def test_unclosed_bracket_keeps_scopes_and_imports():
    text = "import os\n\ndef f(x):\n    y = os.path.join(x,\n        "
    context = extract_context(text, 4, 8, workspace_root=DATA)
    assert [s.name for s in context.scopes] == ["f"]
    assert context.imports[0].text == "import os"
    assert context.position.kind == PositionKind.BLANK_LINE


def test_stale_edited_tree_is_replaced_by_a_fresh_parse():
    text = "def f(x):\n    return x\n"
    tree = parse(text)
    tree.edit(
        start_byte=0,
        old_end_byte=0,
        new_end_byte=1,
        start_point=(0, 0),
        old_end_point=(0, 0),
        new_end_point=(0, 1),
    )
    context = extract_context(text, 1, 12, tree=tree)
    assert [s.name for s in context.scopes] == ["f"]


def test_huge_module_reads_the_head_and_the_cursor_neighbourhood():
    from codegpt.server.context_focus import LARGE_DOCUMENT_CHARS
    from codegpt.server.line_index import line_starts

    head = "import os\nfrom pathlib import Path\n\n\n"
    fillers = []
    count = 0
    while sum(map(len, fillers)) < LARGE_DOCUMENT_CHARS * 1.3:
        fillers.append(
            f'def filler_{count}(x):\n    """Filler {count}."""\n    return x + {count}\n\n\n'
        )
        count += 1
    middle, near = count // 2, count - 600  # near: ~40 KB above the cursor, out of the window
    tail = (
        f"def main():\n    a = filler_{middle}(1)\n    b = filler_{near}(2)\n"
        "    return Path(os.sep)\n"
    )
    text = head + "".join(fillers) + tail
    line = text.count("\n") - 1
    context = extract_context(text, line, len("    return Path(os.sep)"))
    names = {definition.name for definition in context.definitions}
    assert f"filler_{near}" in names  # a neighbour of the cursor
    assert f"filler_{middle}" not in names  # hundreds of kilobytes away: not read
    imported = {name.name or name.module for s in context.imports for name in s.names}
    assert {"os", "Path"} <= imported  # the head is always read
    # The server passes its own line starts; they must give the same context.
    again = extract_context_at_offset(text, context.offset, line_starts=line_starts(text))
    assert again.window == context.window and again.definitions == context.definitions


def test_cursor_moves_in_a_huge_module_reuse_its_symbol_table():
    from codegpt.server.context import current_document_table
    from codegpt.server.context_focus import LARGE_DOCUMENT_CHARS, focus_region
    from codegpt.server.context_text import SourceText

    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(60_000))
    assert len(body) > LARGE_DOCUMENT_CHARS
    source, tree = SourceText(body), parse(body)
    middle = len(body) // 2
    first = current_document_table(source, tree, "huge.py", focus_region(source, middle))
    again = current_document_table(source, tree, "huge.py", focus_region(source, middle + 40))
    assert again is first  # a cursor move within a block rebuilds nothing
    far = current_document_table(source, tree, "huge.py", focus_region(source, len(body) - 1))
    assert far is not first


def test_region_children_at_every_boundary_match_holds():
    from codegpt.server.context_focus import ByteRegion

    text = "x = 1\ny = 2\n# note\nclass A:\n    a = 1\n\n    def f(self):\n        pass\nz = (3,\n"
    tree = parse(text)
    size = len(text) + 2
    body = tree.root_node.named_children[3].child_by_field_name("body")
    for parent in (tree.root_node, body):
        for start in range(size):
            for end in range(start, size, 3):
                for head in (0, 6, 12):
                    region = ByteRegion(start, end, head)
                    for named in (True, False):
                        children = parent.named_children if named else parent.children
                        expected = [node.id for node in children if region.holds(node)]
                        found = region.children(parent, named=named)
                        assert [node.id for node in found] == expected, (start, end, head)


def test_an_edited_document_drops_its_stale_symbol_tables():
    from codegpt.server.context import _CURRENT_TABLES, current_document_table
    from codegpt.server.context_text import SourceText
    from codegpt.server.documents import Document, TextChange

    document = Document("file:///tables.py", "def f(x):\n    return x\n")
    first_tree = document.tree
    first = current_document_table(SourceText(document.text), first_tree, document.uri)
    same_text = "".join(["def f(x):\n", "    return x\n"])  # equal, but another str object
    assert current_document_table(SourceText(same_text), first_tree, document.uri) is first
    document.apply_changes([TextChange("y", (1, 11), (1, 12))])
    second = current_document_table(SourceText(document.text), document.tree, document.uri)
    assert second is not first and [e.name for e in second.top_level] == ["f"]
    # No cached table keeps the old tree (a whole tree per keystroke in a huge file) alive.
    assert all(table.tree is not first_tree for table in _CURRENT_TABLES.values())
