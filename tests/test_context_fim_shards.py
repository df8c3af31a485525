"""Context-level FIM examples: each is a window of its document around one short middle."""

from __future__ import annotations

import random

from codegpt.model.fim import is_fim, split_fim
from codegpt.model.tokens import END_OF_TEXT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX
from codegpt.training.context_fim_shards import ContextFimConfig, context_examples, examples
from codegpt.training.syntax_spans import SyntaxSpanConfig

DOCUMENT = "".join(
    f'def function_{i}(a, b):\n    """Return item {i}."""\n    value = a * {i} + b\n'
    f"    return value - {i}\n\n\n"
    for i in range(200)
)


def parts(example: str) -> tuple[str, str, str]:
    """(prefix, middle, suffix) of a PSM example."""
    return split_fim(example.removesuffix(END_OF_TEXT))


def test_examples_are_windows_of_the_document_within_the_limits() -> None:
    config = ContextFimConfig(spm_rate=0.0)
    made = list(context_examples(DOCUMENT, random.Random(5), config))
    assert len(made) == config.max_per_document  # a long document gets the most
    for example in made:
        assert example.endswith(END_OF_TEXT) and is_fim(example)
        prefix, middle, suffix = parts(example)
        assert prefix + middle + suffix in DOCUMENT
        assert middle.strip() and len(middle) <= config.max_middle_chars
        assert len(prefix) <= config.max_prefix_chars + 60  # snapped to a line start (< a line)
        assert len(suffix) <= config.max_suffix_chars + 60
        assert prefix == "" or prefix.startswith("def ") or prefix.startswith("    ")
        assert prefix == "" or DOCUMENT[DOCUMENT.index(prefix + middle) - 1] == "\n"


def test_the_window_around_a_middle_keeps_the_suffix_right_after_it() -> None:
    config = ContextFimConfig(spm_rate=0.0)
    for example in context_examples(DOCUMENT, random.Random(9), config):
        prefix, middle, suffix = parts(example)
        where = DOCUMENT.index(prefix + middle + suffix)
        assert DOCUMENT[where + len(prefix) + len(middle) :].startswith(suffix)


def test_spm_examples_put_the_suffix_first() -> None:
    config = ContextFimConfig(spm_rate=1.0)
    for example in context_examples(DOCUMENT, random.Random(2), config):
        assert example.startswith(FIM_PREFIX + FIM_SUFFIX) and FIM_MIDDLE in example


def test_short_documents_give_one_example_and_empty_ones_none() -> None:
    short = "x = 1\ny = x + 2\n"
    assert len(list(context_examples(short, random.Random(0), ContextFimConfig()))) == 1
    assert list(context_examples("  \n", random.Random(0), ContextFimConfig())) == []


def test_unparsable_documents_still_give_random_middles() -> None:
    broken = "def f(:\n" + "    x = 1\n" * 300
    config = ContextFimConfig(spm_rate=0.0, syntax=SyntaxSpanConfig(syntax_rate=1.0))
    made = list(context_examples(broken, random.Random(4), config))
    assert made
    for example in made:
        prefix, middle, suffix = parts(example)
        assert middle and prefix + middle + suffix in broken


def test_examples_are_reproducible_from_the_seed() -> None:
    config = ContextFimConfig(seed=3)
    texts = [DOCUMENT, "a = 1\n"]
    assert examples(texts, config, "t") == examples(texts, config, "t")
