"""Texts shaped like what a parser splits reach its positive path: ``'abc,2.5,food'``."""

import shutil
from pathlib import Path

from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.shaped_strings import module_words, shaped_strings, split_separators

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
