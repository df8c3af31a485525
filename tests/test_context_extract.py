from context_helpers import DATA, position_of, read

from codegpt.server.context import extract_context
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
