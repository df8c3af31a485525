import pytest
from context_helpers import offset_of, read, split_cursor

from codegpt.server.context_position import (
    PositionKind,
    cursor_position,
    receiver_before,
    receiver_chain,
    scan_line,
)
from codegpt.server.parsing import parse

DECODER = read("json_decoder.py")
TEXTWRAP = read("textwrap_copy.py")


def at(marked: str):
    text, cursor = split_cursor(marked)
    return cursor_position(text, parse(text), cursor)


@pytest.mark.parametrize(
    ("marked", "kind"),
    [
        ("x = 'ab‸c'\n", PositionKind.STRING),
        ('x = f"a{y}b‸"\n', PositionKind.STRING),
        ('x = """line\nmo‸re"""\n', PositionKind.STRING),
        ("x = 'abc‸\ny = 2\n", PositionKind.STRING),  # unclosed string
        ('s = """abc\n  mo‸re', PositionKind.STRING),  # unclosed triple-quoted string
        ("x = 1  # a comm‸ent\n", PositionKind.COMMENT),
        ("x = 1  # comment‸", PositionKind.COMMENT),
        ("# only a comment‸\n", PositionKind.COMMENT),
        ("x = foo(1, # note‸\n", PositionKind.COMMENT),  # comment in broken code
        ("x = obj.‸\n", PositionKind.MEMBER_ACCESS),
        ("x = obj.ite‸\n", PositionKind.MEMBER_ACCESS),
        ("def f(x):\n    ‸", PositionKind.EMPTY_BLOCK),
        ('def f(x):\n    """Doc."""\n    ‸\n', PositionKind.EMPTY_BLOCK),
        ("if x:\n    ‸\n", PositionKind.EMPTY_BLOCK),
        ("def f(x):\n    return x\n    ‸\n", PositionKind.BLANK_LINE),
        ("x = 1\n‸\n", PositionKind.BLANK_LINE),
        ("‸", PositionKind.BLANK_LINE),
        ("x = va‸\n", PositionKind.IDENTIFIER),
        ("x = va‸lue + 1\n", PositionKind.IDENTIFIER),
        ("    ‸x = 1\n", PositionKind.LINE_START),
        ("x = (‸1)\n", PositionKind.MID_LINE),
        ("x = 1 + ‸\n", PositionKind.END_OF_LINE),
        ("x = 1.‸\n", PositionKind.END_OF_LINE),  # a float, not member access
        ("x = 'a' + f'{obj.‸}'\n", PositionKind.MEMBER_ACCESS),  # code inside an f-string
        ("from . import ‸\n", PositionKind.END_OF_LINE),
    ],
)
def test_position_kinds(marked, kind):
    assert at(marked).kind == kind


@pytest.mark.parametrize(
    ("marked", "one_line"),
    [
        ("x = 'ab‸c'\n", True),
        ("path = open('READ‸\ny = 2\n", True),  # unclosed while typed: the tree has an error
        ('x = f"a{y}b‸"\n', True),
        ("x = rb'\\x0‸'\n", True),
        ('x = """ab‸c"""\n', False),  # triple-quoted: prose or a block, even on one line
        ('x = """line\nmo‸re"""\n', False),
        ('def f():\n    """Doc‸\n', False),  # an unclosed docstring
        ('def f():\n    """It\'s the user‸\n    """\n', False),  # an apostrophe in prose
        ("x = ('a'\n     'b‸c')\n", True),  # implicit concatenation: this part opened here
        ("x = 1  # it's‸\n", False),
        ("x = f(a‸)\n", False),
    ],
)
def test_one_line_strings_are_told_from_docstrings(marked, one_line):
    position = at(marked)
    assert position.in_line_string is one_line
    assert position.in_string or not one_line


def test_receiver_expression_and_chain():
    position = at("value = self.items[0].parse(text, 3).‸")
    assert position.after_dot
    assert position.receiver == "self.items[0].parse(text, 3)"
    assert position.receiver_chain == ("self", "items", "parse")


def test_receiver_spanning_lines_in_brackets():
    position = at("x = build(\n    1,\n    2,\n).res‸")
    assert position.receiver == "build(\n    1,\n    2,\n)"
    assert position.partial_word == "res"
    assert position.receiver_chain == ("build",)


def test_partial_word_and_word_after():
    position = at("total = comp‸uted + 1\n")
    assert position.partial_word == "comp"
    assert position.word_after == "uted"
    assert position.text_after_cursor == "uted + 1"
    assert not position.at_line_end


def test_non_ascii_identifier_partial_word():
    position = at("größe = 1\nx = grö‸\n")
    assert position.partial_word == "grö"
    assert position.kind == PositionKind.IDENTIFIER


def test_empty_block_header_reported():
    position = at("class A:\n    async def run(\n        self,\n    ) -> None:\n        ‸")
    assert position.in_empty_block
    assert position.empty_block_header == "async def run(\n        self,\n    ) -> None:"
    assert position.indent == "        "


def test_empty_block_needs_deeper_indent():
    assert at("def f(x):\n‸").kind == PositionKind.BLANK_LINE


def test_import_line_flag():
    position = at("from pkg.sub‸")
    assert position.in_import
    assert position.kind == PositionKind.MEMBER_ACCESS and position.receiver == "pkg"


def test_real_code_positions():
    text = DECODER
    tree = parse(text)
    in_doc = offset_of(text, "Subclass of ValueError with the following")
    assert cursor_position(text, tree, in_doc).kind == PositionKind.STRING
    in_comment = offset_of(text, "# Note that this exception is used")
    assert cursor_position(text, tree, in_comment).kind == PositionKind.COMMENT
    member = offset_of(text, "self.parse_float = parse_float or float", after=False) + 5
    position = cursor_position(text, tree, member)
    assert position.kind == PositionKind.MEMBER_ACCESS
    assert position.receiver == "self"
    assert position.word_after == "parse_float"


def test_crlf_line_end_is_not_text_after_cursor():
    text = "x = 1\r\ny = 2\r\n"
    position = cursor_position(text, parse(text), text.index("1") + 1)
    assert position.kind == PositionKind.END_OF_LINE
    assert position.text_after_cursor == ""


def test_scan_line_states():
    assert scan_line("x = 'a # b") == "string"
    assert scan_line("x = 'a' # b") == "comment"
    assert scan_line('x = r"\\"') == "code"
    assert scan_line("x = '''a''' + 'b") == "string"
    assert scan_line("x = 1") == "code"


def test_receiver_before_stops_at_unbalanced_bracket():
    assert receiver_before("f(a].", 4) is None
    assert receiver_before("'abc'.", 5) == "'abc'"
    assert receiver_chain("a.b(c.d).e") == ("a", "b", "e")
