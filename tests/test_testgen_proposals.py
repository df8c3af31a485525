import ast
from pathlib import Path

from codegpt.server.testgen.analysis import analyze_file, analyze_source
from codegpt.server.testgen.proposals import (
    Proposal,
    ProposalConfig,
    literal_strings,
    parameter_candidates,
    proposal_from_call_text,
    propose,
    render_plain,
)

DATA = Path(__file__).parent / "data" / "testgen"


def calls(proposals, name):
    return [p.call_text(name) for p in proposals]


def test_boundaries_around_compared_literals():
    grade = analyze_file(DATA / "mathutils.py").find("grade")
    texts = calls(propose(grade), "grade")
    for value in (89, 90, 91, 74, 75, 76, 49, 50, 51):
        assert f"grade({value})" in texts


def test_doctest_examples_come_first():
    clamp = analyze_file(DATA / "mathutils.py").find("clamp")
    proposals = propose(clamp)
    assert proposals[0] == Proposal(("5", "0", "10"), (), "doctest")


def test_type_edges_and_hypothesis_draws_are_deterministic():
    median = analyze_file(DATA / "mathutils.py").find("median")
    first, second = propose(median), propose(median)
    assert first == second
    texts = calls(first, "median")
    assert "median([])" in texts
    assert any(p.origin == "hypothesis" for p in first)


def test_methods_get_receivers_from_init():
    push = analyze_file(DATA / "shapes.py").find("Stack.push")
    receivers = {p.receiver for p in propose(push)}
    assert receivers == {"Stack()", "Stack(0)"}


def test_unconstructible_class_gives_no_proposals():
    source = (
        "class Base:\n    pass\nclass C(Base):\n    def m(self, x: int) -> int:\n        return x\n"
    )
    assert propose(analyze_source(source).find("C.m")) == []


def test_extra_sources_plug_in():
    clamp = analyze_file(DATA / "mathutils.py").find("clamp")

    def model_source(target, limit):
        return [proposal_from_call_text(target, "clamp(42, 40, 41)")]

    proposals = propose(clamp, ProposalConfig(extra_sources=(model_source,)))
    assert Proposal(("42", "40", "41"), (), "model") in proposals


def test_call_text_parsing_rejects_other_functions():
    clamp = analyze_file(DATA / "mathutils.py").find("clamp")
    assert proposal_from_call_text(clamp, "other(1)") is None
    assert proposal_from_call_text(clamp, "clamp(1, upper=3") is None
    assert proposal_from_call_text(clamp, "clamp(1, 2, upper=3)").kwargs == (("upper", "3"),)


def test_plain_rendering_sorts_sets():
    assert render_plain({3, 1, 2}) == "{1, 2, 3}"
    assert render_plain((1,)) == "(1,)"
    assert render_plain(float("nan")) is None


BRACKETS = """\
def get_shared(ld_headers):
    shared = []
    for (line, _) in ld_headers:
        if "[" in line:
            shared.append(line[line.index("["):-1])
    return shared
"""

WORDS = """\
def sort_words(numbers: str) -> str:
    order = {'zero': 0, 'one': 1, 'two': 2}
    return ' '.join(sorted(numbers.split(), key=lambda w: order[w]))
"""


def test_strings_are_built_around_the_body_literals():
    target = analyze_source(WORDS).find("sort_words")
    texts = literal_strings(target)
    assert texts[0] == "two one zero"  # the table's words, in reverse
    assert "a[bc" not in texts and "azerobc" in texts
    (numbers,) = target.parameters
    assert repr("two one zero") in parameter_candidates(numbers, target)


def test_containers_of_tuples_hold_tuples_and_the_body_literals():
    target = analyze_source(BRACKETS).find("get_shared")
    (headers,) = target.parameters
    candidates = parameter_candidates(headers, target)
    for candidate in candidates:
        value = ast.literal_eval(candidate)
        assert all(isinstance(item, tuple) for item in value), candidate
    assert any("a[bc" in candidate and "'abc'" in candidate for candidate in candidates)


def test_an_optional_collection_gets_a_non_empty_receiver():
    source = (
        "class Bag:\n"
        "    def __init__(self, items=None):\n"
        "        self.items = list(items or [])\n"
        "\n"
        "    def take(self):\n"
        "        return self.items.pop()\n"
    )
    receivers = {p.receiver for p in propose(analyze_source(source).find("Bag.take"))}
    # `Bag([])` would be the same empty bag as `Bag()`: the other receiver holds something.
    assert "Bag()" in receivers and "Bag([])" not in receivers and len(receivers) == 2
