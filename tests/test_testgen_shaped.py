"""Texts shaped like what a parser splits reach its positive path: ``'abc,2.5,food'``."""

import shutil
from pathlib import Path

from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.shaped_strings import (
    docstring_examples,
    module_words,
    nested_separators,
    shaped_strings,
    split_separators,
)

DATA = Path(__file__).parent / "data" / "testgen"


def test_separators_of_the_parameter_and_of_calls_on_it():
    source = (
        "def f(line, other):\n"
        "    a = line.strip().lower().split(';')\n"
        "    b = other.split(',')\n"
        "    key, _, value = line.partition('=')\n"
        "    return line.split()\n"
    )
    assert split_separators(source, "line") == [";", "=", " "]
    assert split_separators(source, "other") == [","]
    assert split_separators(source, "missing") == []


def test_fields_joined_by_the_separator_with_the_modules_words():
    source = "def f(line):\n    return line.split(',')\n"
    texts = shaped_strings(source, "line", ("food", "tool"))
    assert texts[:4] == ["abc,2.5", "abc,2.5,food", "abc,2.5,tool", "abc,abc"]
    assert shaped_strings("def f(line):\n    return line\n", "line", ("food",)) == []


def test_module_words_are_short_lower_case_identifiers():
    source = 'A = "food"\nB = "Tool"\nC = "a long sentence"\nD = "x_y"\nE = "food"\n'
    assert module_words(source) == ("food", "x_y")


def test_a_line_parser_gets_tests_that_parse(tmp_path):
    shutil.copy(DATA / "inventory.py", tmp_path / "inventory.py")
    result = generate_tests(tmp_path / "inventory.py", "parse_item", TestGenOptions())
    (report,) = result.functions
    # 'abc' and '' only ever raised ValueError: the Item-building lines never ran.
    assert report.coverage is not None and report.coverage.lines == 1.0
    assert "assert parse_item('abc,2.5') == Item(name='abc', price=2.5" in result.text
    assert "category=Category.FOOD)" in result.text  # the enum's value, from the module's words


def test_parts_split_again_are_joined_both_ways():
    source = (
        "def f(text):\n"
        "    for part in text.split(';'):\n"
        "        key, _, value = part.partition('=')\n"
        "    return [p.split(':') for p in text.splitlines()]\n"
    )
    assert nested_separators(source, "text") == [(";", "="), ("\n", ":")]
    assert shaped_strings(source, "text")[:2] == ["abc=2.5;xyz=3", "abc=2.5"]


def test_docstring_examples_are_the_quoted_inputs_shown_with_a_result():
    docstring = "'1h30m' -> 5400 seconds; \"2m\" => 120.\n'a' is a letter, {'b': 1}."
    assert docstring_examples(docstring) == ["1h30m", "2m"]
    assert docstring_examples(None) == []
    prose = "Parse 'a=1&b=2&a=3' into {'a': ['1', '3']}; 'x' gives 'y'; 'z', 'w' are kept."
    assert docstring_examples(prose) == ["a=1&b=2&a=3", "x"]


QUERY = '''\
def parse_query(query: str) -> dict[str, list[str]]:
    """Split a query string into lists of values per key."""
    result: dict[str, list[str]] = {}
    for pair in query.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        result.setdefault(key, []).append(value)
    return result
'''


def test_texts_shaped_as_the_body_splits_them_come_before_edge_texts(tmp_path):
    # Equal on coverage, '=' and ' ' were chosen over 'abc=2.5' for being shorter.
    (tmp_path / "query.py").write_text(QUERY)
    result = generate_tests(tmp_path / "query.py", "parse_query", TestGenOptions())
    assert "assert parse_query('abc=2.5') == {'abc': ['2.5']}" in result.text, result.text
    assert "parse_query('=')" not in result.text and "parse_query(' ')" not in result.text


DURATION = '''\
import re

_DURATION = re.compile(r"(?:(\\d+)h)?(?:(\\d+)m)?$")


def parse_duration(text: str) -> int:
    """'1h30m' -> 5400 seconds."""
    match = _DURATION.match(text)
    if not match or not text:
        raise ValueError(f"not a duration: {text!r}")
    hours, minutes = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60
'''


def test_a_regex_parser_is_called_with_its_docstrings_example(tmp_path):
    (tmp_path / "durations.py").write_text(DURATION)
    result = generate_tests(tmp_path / "durations.py", "parse_duration", TestGenOptions())
    assert "assert parse_duration('1h30m') == 5400" in result.text
    assert result.functions[0].coverage.lines == 1.0
