"""Inputs shaped as code uses them: grids, *args and **kwargs, functions; objects read back."""

import ast

from testgen_helpers import generated_tests

from codegpt.server.testgen.analysis import analyze_source
from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.mutation import detects
from codegpt.server.testgen.proposals import (
    ProposalConfig,
    _annotation_node,
    built_in_proposals,
    values_for_annotation,
)
from codegpt.server.testgen.sandbox import CallOutcome
from codegpt.server.testgen.usage_types import usage_type

MISC = """\
class Matrix:
    def __init__(self, rows: list[list[float]]):
        if not rows or any(len(r) != len(rows[0]) for r in rows):
            raise ValueError("ragged or empty")
        self.rows = rows

    def transpose(self) -> "Matrix":
        return Matrix([list(col) for col in zip(*self.rows)])


def merge_dicts(*dicts: dict, **overrides) -> dict:
    result = {}
    for d in dicts:
        result.update(d)
    result.update(overrides)
    return result


def apply(func, values):
    return [func(v) for v in values]
"""


def test_lists_of_lists_include_a_grid():
    values = values_for_annotation(_annotation_node("list[list[int]]"))
    rows = ast.literal_eval(values[1])  # the typical one, right after []
    assert len(rows) == 2 and len(rows[0]) == len(rows[1]) > 1 and rows[0] != rows[1]


def test_star_args_and_keyword_args_are_filled():
    (target,) = [f for f in analyze_source(MISC).functions if f.name == "merge_dicts"]
    calls = [(p.args, p.kwargs) for p in built_in_proposals(target, ProposalConfig())]
    assert any(len(args) == 2 and not kwargs for args, kwargs in calls)
    assert any(len(args) == 2 and kwargs and kwargs[0][0] == "key" for args, kwargs in calls)


def test_a_parameter_that_is_called_is_a_function():
    source = "def apply(func, values):\n    return [func(v) for v in values]\n"
    assert usage_type("func", source) == "Callable"
    assert usage_type("func", MISC) == "Callable"


def test_grids_varargs_functions_and_objects_without_eq_get_real_tests(tmp_path):
    (tmp_path / "misc.py").write_text(MISC)
    result = generate_tests(tmp_path / "misc.py", None, TestGenOptions())
    text = result.text
    # Every generated Matrix was ragged: transpose was only tested raising.
    assert "instance = Matrix([[1.0, -1.0, 0.5], [0.5, 1.0, -1.0]])" in text
    # A Matrix has no __eq__: the result's attributes are checked.
    assert "assert result.rows == [[1.0, 0.5], [-1.0, 1.0], [0.5, -1.0]]" in text, text
    # merge_dicts was only ever called as merge_dicts().
    assert any(
        "assert merge_dicts({" in body and "key=" in body for body in generated_tests(text).values()
    ), text
    # apply(1, []) was all: now a function and values it maps.
    assert "assert apply(str, [1, -1, 2]) == ['1', '-1', '2']" in text, text


def test_a_mutant_object_with_other_attributes_is_caught():
    def returned(rows: str) -> CallOutcome:
        shown = [["rows", {"kind": "exact", "source": rows}]]
        value = {"kind": "opaque", "type": {"qualname": "Matrix"}, "attributes": shown}
        return CallOutcome(0, "returned", value)

    assert detects(returned("[[1.0, 0.5]]"), returned("[[0.5, 1.0]]"))
    assert not detects(returned("[[1.0, 0.5]]"), returned("[[1.0, 0.5]]"))
