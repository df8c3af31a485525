import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codegpt.model.fim import (
    apply_fim,
    format_psm,
    format_psm_prompt,
    format_spm,
    format_spm_prompt,
    random_span,
    recover_document,
    split_fim,
)
from codegpt.model.tokens import END_OF_TEXT, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX

texts = st.text(max_size=300)


@given(texts, st.integers(0, 2**32), st.sampled_from([0.0, 1.0]))
def test_every_fim_example_recovers_its_document(text, seed, spm_rate):
    example = apply_fim(text, random.Random(seed), fim_rate=1.0, spm_rate=spm_rate)
    assert example.startswith(FIM_PREFIX)
    assert END_OF_TEXT not in example
    assert recover_document(example) == text


@given(texts, st.integers(0, 2**32))
def test_psm_split_gives_back_the_drawn_span(text, seed):
    start, end = random_span(len(text), random.Random(seed))
    example = format_psm(text[:start], text[start:end], text[end:])
    assert split_fim(example) == (text[:start], text[start:end], text[end:])


@given(texts, st.integers(0, 2**32))
def test_spm_keeps_the_suffix_and_joins_prefix_with_middle(text, seed):
    start, end = random_span(len(text), random.Random(seed))
    example = format_spm(text[:start], text[start:end], text[end:])
    assert example.startswith(FIM_PREFIX + FIM_SUFFIX)
    assert split_fim(example) == ("", text[:end], text[end:])


@given(texts, st.integers(0, 2**32))
def test_apply_fim_with_rate_zero_is_the_identity(text, seed):
    assert apply_fim(text, random.Random(seed), fim_rate=0.0) == text


def test_rates_choose_the_formats():
    rng = random.Random(0)
    examples = [apply_fim("def f(x):\n    return x\n", rng) for _ in range(2000)]
    fim = [e for e in examples if e.startswith(FIM_PREFIX)]
    spm = [e for e in fim if e.startswith(FIM_PREFIX + FIM_SUFFIX)]
    assert 0.45 < len(fim) / len(examples) < 0.55
    assert 0.4 < len(spm) / len(fim) < 0.6


def test_same_seed_same_examples():
    text = "import os\n\nprint(os.getcwd())\n"
    first = [apply_fim(text, random.Random(7)) for _ in range(3)]
    assert first == [apply_fim(text, random.Random(7)) for _ in range(3)]


def test_prompt_formats():
    assert format_psm_prompt("def f(", "\n    return x\n") == (
        f"{FIM_PREFIX}def f({FIM_SUFFIX}\n    return x\n{FIM_MIDDLE}"
    )
    spm = format_spm_prompt("def f(", "\n    return x\n")
    assert spm == f"{FIM_PREFIX}{FIM_SUFFIX}\n    return x\n{FIM_MIDDLE}def f("
    # Typing at the cursor only appends to an SPM prompt: a KV cache of it stays valid.
    assert format_spm_prompt("def f(x", "\n    return x\n").startswith(spm)


def test_plain_text_splits_as_all_prefix():
    assert split_fim("x = 1\n") == ("x = 1\n", "", "")


@pytest.mark.parametrize("bad", [FIM_PREFIX + "abc", FIM_PREFIX + FIM_SUFFIX + "abc"])
def test_malformed_examples_raise(bad):
    with pytest.raises(ValueError):
        split_fim(bad)
