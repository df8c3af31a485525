"""Inputs for untyped code: types guessed from use, doctest setup imports, doctest variants."""

from __future__ import annotations

import pytest

from codegpt.server.testgen.analysis import analyze_source
from codegpt.server.testgen.proposals import ProposalConfig, doctest_variants, propose
from codegpt.server.testgen.usage_types import usage_type


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("for i, j in enumerate(a):\n        pass", "list[int]"),
        ("return a.lower()", "str"),
        ("return a % 2 == 0", "int"),
        ("return [k for k, v in a.items()]", "dict[str, int]"),
        ("return list(a) if isinstance(a, tuple) else [a]", "Any"),
        ("return '%s!' % a", None),  # formatting takes any value
        ("return a", None),
    ],
)
def test_usage_decides_the_type_of_an_unannotated_parameter(body, expected):
    assert usage_type("a", f"def f(a):\n    {body}\n") == expected


def test_an_iterated_parameter_gets_lists_even_when_its_name_suggests_a_number():
    source = (
        "def index_of(a, b):\n    for i, x in enumerate(a):\n        if x == b:\n"
        "            return i\n    return -1\n"
    )
    calls = propose(analyze_source(source).find("index_of"), ProposalConfig())
    assert any(p.args and p.args[0].startswith("[") for p in calls)


DOCTESTED = '''
def first_two(f):
    r"""
    >>> import io
    >>> first_two(io.BytesIO(b'ab'))
    b'ab'
    """
    data = f.read(2)
    if len(data) < 2:
        raise ValueError("short")
    return data
'''


def test_doctest_imports_travel_with_the_call_and_variants_shrink_literals():
    target = analyze_source(DOCTESTED).find("first_two")
    (example,) = target.doctests
    assert example.args == ("io.BytesIO(b'ab')",) and example.imports == ("io",)
    variants = [v.args[0] for v in doctest_variants(example)]
    # Emptied, shortened and one byte longer: both sides of a fixed-size read.
    assert variants == ["io.BytesIO(b'')", "io.BytesIO(b'a')", "io.BytesIO(b'abb')"]
    assert all(v.imports == ("io",) for v in doctest_variants(example))


def test_a_doctest_with_a_setup_import_becomes_a_passing_test_with_that_import(tmp_path):
    from codegpt.server.testgen.generate import generate_tests

    module = tmp_path / "reader.py"
    module.write_text(DOCTESTED, encoding="utf-8")
    result = generate_tests(module, "first_two")
    assert result.functions[0].coverage.lines == 1.0
    assert "import io\n" in result.text
    assert "first_two(io.BytesIO(b''))" in result.text  # the edge the doctest did not show
