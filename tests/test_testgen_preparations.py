"""Methods tested on an instance a mutator has already changed: ``add`` then ``add``."""

import ast
import shutil
from pathlib import Path

import pytest

from codegpt.server.testgen.analysis import analyze_file, analyze_source
from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.preparations import mutates_self, mutators

DATA = Path(__file__).parent / "data" / "testgen"


def method(source: str) -> ast.FunctionDef:
    (cls,) = ast.parse(source).body
    return cls.body[0]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("self.items.append(x)", True),
        ("self.items[x] = 1", True),
        ("self.count += 1", True),
        ("self.cache.setdefault(x, []).append(1)", True),
        ("del self.items[x]", True),
        ("return self.items[x]", False),
        ("items = []\n        items.append(x)", False),
        ("return len(self.items)", False),
    ],
)
def test_what_changes_the_instance(body: str, expected: bool) -> None:
    source = f"class C:\n    def m(self, x):\n        {body}\n"
    assert mutates_self(method(source)) is expected


def test_mutators_are_public_instance_methods_that_change_it() -> None:
    found = mutators(analyze_file(DATA / "shapes.py"))
    assert {name: [t.name for t in ts] for name, ts in found.items()} == {"Stack": ["push", "pop"]}
    private = "class C:\n    def _reset(self):\n        self.n = 0\n"
    assert mutators(analyze_source(private)) == {}


def test_a_duplicate_is_met_after_a_first_add(tmp_path) -> None:
    shutil.copy(DATA / "inventory.py", tmp_path / "inventory.py")
    result = generate_tests(tmp_path / "inventory.py", "Inventory.add", TestGenOptions())
    (report,) = result.functions
    # A fresh Inventory never reaches the "duplicate item" raise: 67 % of the lines before.
    assert report.coverage.lines == 1.0 and report.coverage.branches == 1.0
    tree = ast.parse(result.text)
    tests = {
        n.name: ast.get_source_segment(result.text, n)
        for n in tree.body
        if "test_" in getattr(n, "name", "")
    }
    after = [t for name, t in tests.items() if "_after_add_" in name]
    assert after and all(t.count("instance.add(Item(") == 2 for t in after)
    assert any("raises(KeyError" in t for t in after)


def test_pop_is_tested_on_a_stack_that_holds_something(tmp_path) -> None:
    shutil.copy(DATA / "shapes.py", tmp_path / "shapes.py")
    result = generate_tests(tmp_path / "shapes.py", "Stack.pop", TestGenOptions())
    assert "def test_stack_pop_after_push_returns_" in result.text
    assert "    instance.push(" in result.text
