"""Golden cases for each postprocessing rule: what the user would see for a raw continuation."""

import pytest

from codegpt.server.completion.postprocess import (
    CursorLine,
    PostprocessOptions,
    bracket_depths,
    postprocess,
)

SINGLE = PostprocessOptions(multi_line=False, min_mean_logprob=-2.0)
MULTI = PostprocessOptions(multi_line=True, min_mean_logprob=-2.0)


def shown(raw, before, after="", following="", options=SINGLE, logprob=-0.5):
    suggestion = postprocess(raw, logprob, CursorLine(before, after, following), options)
    return None if suggestion is None else suggestion.text


@pytest.mark.parametrize(
    ("raw", "before", "expected"),
    [
        (" a + b\n\ndef other():", "    return", " a + b"),
        ("range(10):\n        print(i)", "for i in ", "range(10):"),
        ("items)\n", "total = sum(", "items)"),
    ],
)
def test_single_line_stops_at_end_of_line(raw, before, expected):
    assert shown(raw, before) == expected


def test_multi_line_stops_where_the_block_ends():
    raw = "total = 0\n    for x in xs:\n        total += x\n    return total\n\ndef g():\n    pass"
    assert shown(raw, "    ", options=MULTI) == (
        "total = 0\n    for x in xs:\n        total += x\n    return total"
    )


def test_multi_line_respects_max_lines():
    raw = "\n".join(f"    x{i} = {i}" for i in range(40)).lstrip()
    text = shown(raw, "    ", options=PostprocessOptions(multi_line=True, max_lines=5))
    assert text is not None and text.count("\n") == 4


def test_multi_line_drops_trailing_blank_lines():
    assert shown("pass\n\n\n", "    ", options=MULTI) == "pass"


@pytest.mark.parametrize(
    ("raw", "before", "after", "expected"),
    [
        ("a, b)", "result = add(", ")", "a, b"),
        ('"name"]', "value = row[", "]", '"name"'),
        ("x):", "def f(", "):", "x"),
        ("hello world", "greeting = 'hello", "'", None),
    ],
)
def test_never_repeats_text_after_the_cursor(raw, before, after, expected):
    if expected is None:
        # the suggestion did not end in the suffix: it is kept, minus nothing
        assert shown(raw, before, after) == raw
    else:
        assert shown(raw, before, after) == expected


def test_multi_line_overlap_with_following_lines_is_dropped():
    following = "    return result\n"
    raw = "result = compute()\n    return result"
    assert shown(raw, "    ", following=following, options=MULTI) == "result = compute()"


@pytest.mark.parametrize(
    ("raw", "before", "after", "expected"),
    [
        ("foo(a, b", "x = ", "", "foo"),  # a new bracket left open is cut back
        ("len(items))", "n = ", "", "len(items)"),  # an extra closer is trimmed
        ("items))", "print(len(", "", "items))"),  # closing what the line opened is fine
        ("items))", "print(len(", ")", "items)"),  # but not what the suffix closes
        ("a[0]", "y = ", "", "a[0]"),
        ("'(' + s", "t = ", "", "'(' + s"),  # brackets inside strings do not count
    ],
)
def test_brackets_stay_balanced_with_the_line(raw, before, after, expected):
    assert shown(raw, before, after) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\n\n", "\t \n  "])
def test_empty_or_whitespace_only_is_dropped(raw):
    assert shown(raw, "x = ") is None
    assert shown(raw, "    ", options=MULTI) is None


def test_trailing_whitespace_is_trimmed():
    assert shown("value   ", "return ") == "value"
    assert shown("a = 1   \n    b = 2  ", "    ", options=MULTI) == "a = 1\n    b = 2"


def test_space_before_existing_text_is_kept():
    assert shown("x, bar)", "foo(", "bar)") == "x, "


def test_low_confidence_is_suppressed():
    options = PostprocessOptions(min_mean_logprob=-1.0)
    cursor = CursorLine("return ", "")
    assert postprocess("x + y", -1.2, cursor, options) is None
    kept = postprocess("x + y", -0.8, cursor, options)
    assert kept is not None and kept.mean_logprob == -0.8


def test_crlf_is_normalised():
    assert shown("a\r\nb", "x = ") == "a"


def test_bracket_depths_ignores_comments_and_escaped_quotes():
    assert bracket_depths("f(x) # (") == ([], 0)
    assert bracket_depths("s = 'it\\'s (' + (") == (["("], 0)
    assert bracket_depths('"""(\n"""]') == ([], 1)


def test_brackets_typed_inside_a_string_are_text():
    """In ``raise E("cannot deco`` the suggestion starts inside the string: its ``(`` is text."""
    cursor = CursorLine(before='    raise E("cannot deco', after="")
    done = postprocess('de (a) zlib file, see (1")', -0.2, cursor, PostprocessOptions())
    assert done is not None and done.text == 'de (a) zlib file, see (1")'
    cut = postprocess('de (a) zlib file"))', -0.2, cursor, PostprocessOptions())
    assert cut is not None and cut.text == 'de (a) zlib file")'  # one closer too many is cut


def test_a_closing_quote_after_the_cursor_is_not_repeated():
    cursor = CursorLine(before="    data = read('PKG-", after="')")
    done = postprocess("INFO')", -0.2, cursor, PostprocessOptions())
    assert done is not None and done.text == "INFO"


@pytest.mark.parametrize(
    ("raw", "before", "options", "expected"),
    [
        # A trailing comment nobody began, after a complete line: nothing to show.
        ("  # pragma: no cover", "        for name in files:", SINGLE, None),
        ("  # type: ignore\n", "x = compute()", SINGLE, None),
        # ... and in a block, the code after it stays.
        ("  # noqa\n    return x", "def f(x):", MULTI, "\n    return x"),
        # A comment line of its own is a suggestion like any other.
        ("# Sum the values.", "    ", SINGLE, "# Sum the values."),
        # Inside a string, '#' is text.
        ('#ff0000"', 'colour = "', SINGLE, '#ff0000"'),
    ],
)
def test_a_comment_the_user_did_not_begin_is_dropped(raw, before, options, expected):
    assert shown(raw, before, options=options) == expected
