"""Syntax-aligned FIM spans: middles are whole nodes, offsets are characters, documents survive."""

from __future__ import annotations

import ast
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from codegpt.model.fim import apply_fim, is_fim, recover_document, split_fim
from codegpt.training.syntax_spans import (
    SyntaxSpanConfig,
    apply_syntax_fim,
    draw_syntax_span,
    syntax_spans,
)

SOURCE = '''\
def add(a, b):
    """Return the sum."""
    total = a + b
    return total


x = add(1, 2)
'''


def test_spans_are_nodes_of_each_kind() -> None:
    spans = syntax_spans(SOURCE)
    texts = {kind: {SOURCE[s:e] for s, e in found} for kind, found in spans.items()}
    assert {"a + b", "add(1, 2)", "total", "1"} <= texts["expression"]
    assert {"total = a + b", "return total", "x = add(1, 2)"} <= texts["statement"]
    assert "total = a + b\n    return total" in texts["statements"]
    for span in spans["expression"]:
        ast.parse(SOURCE[span[0] : span[1]], mode="eval")  # every expression middle parses alone


def test_a_lone_top_level_statement_is_not_a_middle() -> None:
    lone = "def f():\n    return 1\n"
    assert lone not in {lone[s:e] for s, e in syntax_spans(lone)["statement"]}


def test_offsets_are_characters_not_utf8_bytes() -> None:
    source = 'name = "żółw"; other = name + "ü"\n'
    texts = {source[s:e] for s, e in syntax_spans(source)["expression"]}
    assert 'name + "ü"' in texts


def test_unparsable_text_has_no_spans_and_falls_back_to_a_random_span() -> None:
    broken = "def f(:\n    return\n"
    assert syntax_spans(broken) == {}
    example = apply_syntax_fim(broken, random.Random(1), fim_rate=1.0)
    assert is_fim(example) and recover_document(example) == broken


def test_leading_space_moves_into_the_middle_but_indentation_does_not() -> None:
    spans = {"expression": [(SOURCE.index("total\n"), SOURCE.index("total\n") + 5)]}
    config = SyntaxSpanConfig(kinds=("expression",), leading_space_rate=1.0)
    start, end = draw_syntax_span(SOURCE, spans, random.Random(0), config)
    assert SOURCE[start:end] == " total"  # after `return`
    statement = {"statement": [(SOURCE.index("return"), SOURCE.index("return") + 12)]}
    config = SyntaxSpanConfig(kinds=("statement",), leading_space_rate=1.0)
    start, end = draw_syntax_span(SOURCE, statement, random.Random(0), config)
    assert SOURCE[start:end] == "return total"  # the indentation stays in the prefix


def test_tail_starts_inside_its_statement_and_ends_with_it() -> None:
    spans = syntax_spans(SOURCE)
    config = SyntaxSpanConfig(kinds=("tail",))
    rng = random.Random(3)
    for _ in range(50):
        start, end = draw_syntax_span(SOURCE, spans, rng, config)
        assert (end, SOURCE[:end]) in {(e, SOURCE[:e]) for _, e in spans["statement"]}
        assert start < end


def test_syntax_rate_zero_draws_exactly_as_apply_fim() -> None:
    config = SyntaxSpanConfig(syntax_rate=0.0)
    for seed in range(20):
        ours = apply_syntax_fim(SOURCE, random.Random(seed), config=config)
        assert ours == apply_fim(SOURCE, random.Random(seed))


def test_psm_middles_are_whole_nodes() -> None:
    rng = random.Random(11)
    config = SyntaxSpanConfig(syntax_rate=1.0, kinds=("expression", "statement", "statements"))
    nodes = {SOURCE[s:e] for spans in syntax_spans(SOURCE).values() for s, e in spans}
    for _ in range(100):
        example = apply_syntax_fim(SOURCE, rng, fim_rate=1.0, spm_rate=0.0, config=config)
        assert split_fim(example)[1].lstrip(" ") in nodes


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ab +=()\n:_1\"'é", max_size=80), st.integers(0, 2**16))
def test_every_example_recovers_its_document(text: str, seed: int) -> None:
    example = apply_syntax_fim(text, random.Random(seed), fim_rate=1.0)
    assert recover_document(example) == text
