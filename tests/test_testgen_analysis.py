from pathlib import Path

import pytest

from codegpt.server.testgen.analysis import AnalysisError, Comparison, analyze_file, analyze_source

DATA = Path(__file__).parent / "data" / "testgen"


@pytest.fixture(scope="module")
def mathutils():
    return analyze_file(DATA / "mathutils.py")


@pytest.fixture(scope="module")
def shapes():
    return analyze_file(DATA / "shapes.py")


def test_parameters_annotations_and_docstring_examples(mathutils):
    clamp = mathutils.find("clamp")
    assert [p.name for p in clamp.parameters] == ["value", "lower", "upper"]
    assert [p.annotation for p in clamp.parameters] == ["int", "int", "int"]
    assert clamp.return_annotation == "int"
    assert clamp.raises == ("ValueError",)
    assert clamp.doctests[0].args == ("5", "0", "10")
    assert clamp.doctests[0].expected == "5"


def test_comparisons_with_literals_are_boundaries(mathutils):
    grade = mathutils.find("grade")
    assert Comparison("score", ">=", 90) in grade.comparisons
    assert Comparison("score", ">=", 50) in grade.comparisons
    assert "A" in grade.literals


def test_flipped_comparison_and_len_subject():
    analysis = analyze_source("def f(xs, n):\n    if 3 < n and len(xs) >= 2:\n        return 1\n")
    comparisons = analysis.find("f").comparisons
    assert Comparison("n", ">", 3) in comparisons
    assert Comparison("len(xs)", ">=", 2) in comparisons


def test_methods_static_class_and_generators(shapes):
    push = shapes.find("Stack.push")
    assert push.kind == "method" and [p.name for p in push.parameters] == ["item"]
    assert push.init_parameters[0].name == "capacity"
    assert shapes.find("Stack.describe").kind == "staticmethod"
    assert shapes.find("Stack.of_capacity").kind == "classmethod"
    assert [p.name for p in shapes.find("Stack.of_capacity").parameters] == ["capacity"]
    assert shapes.find("countdown").is_generator
    assert [p.name for p in shapes.classes["Point"]] == ["x", "y"]


def test_find_by_position_uses_the_innermost_function(shapes):
    source_lines = shapes.source.splitlines()
    line = next(i for i, text in enumerate(source_lines) if "stack is full" in text)
    assert shapes.at_position(line, 8).qualname == "Stack.push"
    assert shapes.at_position(0, 0) is None


def test_public_functions_skip_private_ones(mathutils):
    names = [f.qualname for f in mathutils.public_functions()]
    assert "_private_helper" not in names and "clamp" in names


def test_unknown_function_and_syntax_error_are_clear(mathutils):
    with pytest.raises(AnalysisError, match="no function 'nope'"):
        mathutils.find("nope")
    with pytest.raises(AnalysisError, match="cannot parse"):
        analyze_source("def broken(:\n")


def test_non_utf8_file_is_rejected(tmp_path):
    path = tmp_path / "latin.py"
    path.write_bytes(b"x = '\xe9'\n")
    with pytest.raises(AnalysisError, match="not UTF-8"):
        analyze_file(path)
