"""The mutant generator: one change per mutant, only inside the target, every family."""

import ast

from codegpt.server.testgen.analysis import analyze_source
from codegpt.server.testgen.mutants import generate_mutants

SOURCE = '''\
LIMIT = 10


def grade(score, bonus=1):
    """Docstring with 5 < 6 in it, which must stay as is."""
    total = score + bonus
    if total >= LIMIT:
        return "high"
    return total * 2


def other(x):
    return x < 3
'''


def _mutants(source: str, name: str, limit: int = 16):
    target = analyze_source(source).find(name)
    return generate_mutants(source, target, limit)


def _function_source(module_source: str, name: str) -> str:
    tree = ast.parse(module_source)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    return ast.unparse(node)


def test_each_family_appears_once_per_site():
    descriptions = [m.description for m in _mutants(SOURCE, "grade")]
    assert "line 6: + -> -" in descriptions
    assert "line 7: >= -> <" in descriptions
    assert "line 9: * -> //" in descriptions
    assert "line 9: 2 -> 3" in descriptions and "line 9: 2 -> 1" in descriptions
    assert sum(d.endswith("return None") for d in descriptions) == 2  # "high" and total * 2


def test_only_the_target_changes_and_each_mutant_parses_and_differs():
    original_grade = _function_source(SOURCE, "grade")
    original_other = _function_source(SOURCE, "other")
    mutants = _mutants(SOURCE, "grade")
    assert mutants
    for mutant in mutants:
        tree = ast.parse(mutant.source)  # valid Python
        assert _function_source(mutant.source, "other") == original_other
        assert _function_source(mutant.source, "grade") != original_grade
        assert "LIMIT = 10" in mutant.source
        grade = next(n for n in tree.body if getattr(n, "name", "") == "grade")
        docstring = ast.get_docstring(grade)
        assert docstring == "Docstring with 5 < 6 in it, which must stay as is."
    assert len({m.source for m in mutants}) == len(mutants)


def test_limit_spreads_over_the_whole_body():
    mutants = _mutants(SOURCE, "grade", limit=3)
    assert len(mutants) == 3
    lines = [int(m.description.split(":")[0].split()[1]) for m in mutants]
    assert lines[0] == 6 and lines[-1] == 9  # first and last site, not the first three


def test_methods_and_nested_comparisons():
    source = """\
class Box:
    def fits(self, size):
        return 0 < size <= self.capacity
"""
    descriptions = [m.description for m in _mutants(source, "Box.fits")]
    assert "line 3: < -> >=" in descriptions and "line 3: <= -> >" in descriptions
    assert "line 3: 0 -> 1" in descriptions and "line 3: 0 -> -1" in descriptions


def test_no_sites_or_stale_target_give_no_mutants():
    assert _mutants("def same(x):\n    print(x)\n", "same") == []
    target = analyze_source(SOURCE).find("grade")
    assert generate_mutants("\n\n" + SOURCE, target) == []  # the function moved: not found
    assert generate_mutants("def broken(:\n", target) == []
    assert generate_mutants(SOURCE, target, limit=0) == []


def test_same_input_same_mutants():
    assert _mutants(SOURCE, "grade") == _mutants(SOURCE, "grade")


BRANCHY = """\
def larger(a, b):
    return a if a > b else b


def allowed(user, admin):
    if not user and admin:
        return True
    return False
"""


def test_branch_families_make_conditions_constant_swap_and_or_and_drop_not():
    larger = [m.description for m in _mutants(BRANCHY, "larger")]
    assert "line 2: condition -> True" in larger and "line 2: condition -> False" in larger
    by_description = {m.description: m for m in _mutants(BRANCHY, "allowed")}
    assert {"line 6: condition -> True", "line 6: condition -> False"} <= set(by_description)
    assert "if not user or admin:" in by_description["line 6: and -> or"].source
    assert "if not not user and admin:" in by_description["line 6: not removed"].source
    # Each mutant behaves differently from the original on some input.
    original: dict = {}
    exec(BRANCHY, original)  # noqa: S102 - our own fixture source
    inputs = [(u, a) for u in (False, True) for a in (False, True)]
    for mutant in by_description.values():
        namespace: dict = {}
        exec(mutant.source, namespace)  # noqa: S102
        assert any(namespace["allowed"](*i) != original["allowed"](*i) for i in inputs), mutant
