import pytest

from codegpt.server.context_text import SourceText, utf16_length, utf16_to_index


def test_ascii_positions_round_trip():
    source = SourceText("ab\ncd\n")
    assert source.offset_at(1, 1) == 4
    assert source.position_at(4) == (1, 1)
    assert source.line_count == 3


@pytest.mark.parametrize(
    ("line", "character", "expected"),
    [
        (0, 0, 0),
        (0, 1, 1),
        (0, 2, 2),  # "é" is one UTF-16 unit: column 2 is before the emoji
        (0, 3, 2),  # inside the surrogate pair: rounds down to the emoji's start
        (0, 4, 3),  # after the emoji (two units)
        (0, 5, 4),
        (0, 99, 4),  # past the end of the line: clamps to the line end, not into the break
        (1, 0, 5),
        (7, 3, 7),  # past the last line: the end of the document
        (-1, 5, 0),
    ],
)
def test_utf16_columns_with_astral_characters(line, character, expected):
    source = SourceText("aé😀b\nxy")
    assert source.offset_at(line, character) == expected


def test_position_at_counts_utf16_units():
    source = SourceText("😀😀x")
    assert source.position_at(2) == (0, 4)
    assert utf16_length("😀😀x") == 5
    assert utf16_to_index("😀😀x", 4) == 2


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_every_lsp_line_break_splits_lines(newline):
    text = f"one{newline}two{newline}three"
    source = SourceText(text)
    assert source.line_count == 3
    assert source.line_text(1) == "two"
    assert source.offset_at(1, 10) == text.index("two") + 3  # clamped before the line break
    assert source.offset_at(2, 0) == text.index("three")


def test_form_feed_is_not_a_line_break_for_lsp():
    assert SourceText("a\x0cb\nc").line_count == 2


def test_byte_and_str_offsets_agree_on_non_ascii_text():
    text = "é = '😀'\nx"
    source = SourceText(text)
    for offset in range(len(text) + 1):
        byte = source.byte_offset(offset)
        assert byte == len(text[:offset].encode("utf-8"))
        assert source.str_offset(byte) == offset
    # A byte inside a multi-byte character rounds down to the character's start.
    assert source.str_offset(1) == 0


def test_lone_surrogates_do_not_break_conversions():
    source = SourceText("a\ud800b")
    assert source.byte_offset(3) == 5
    assert source.str_offset(5) == 3


def test_empty_document():
    source = SourceText("")
    assert source.line_count == 1
    assert source.offset_at(0, 0) == 0
    assert source.offset_at(3, 3) == 0
    assert source.position_at(10) == (0, 0)
