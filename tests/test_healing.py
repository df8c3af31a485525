"""Token healing with the shipped tokenizer and model: the partial word is respelled from its start.

A prompt cut inside a word ends in tokens no training text ended in (`` ret`` + ``u``). Healing
only the last token left the model after `` ret`` and it stopped, or glued a new word on
(``root = se`` + ``l.root``). These tests pin what heal takes off, which first tokens it allows,
and what the real model then writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from completion_helpers import completion_model_dir
from hypothesis import given, settings
from hypothesis import strategies as st

from codegpt.model.generation import GenerateOptions
from codegpt.model.healing import HEAL_MAX_TOKENS, heal
from codegpt.model.runtime import CodeModel, RuntimeOptions
from codegpt.server.completion.policy import single_line_stop


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> CodeModel:
    model_dir = completion_model_dir(tmp_path_factory)
    return CodeModel.load(RuntimeOptions(model_dir=Path(model_dir), threads=1))


def healed_parts(model: CodeModel, text: str, max_tokens: int = HEAL_MAX_TOKENS) -> tuple[str, str]:
    """(the prompt's text that stays, the healed text), checking nothing is lost between them."""
    ids = model.encode(text)
    healed = heal(ids, model.vocabulary, max_tokens)
    assert healed.ids == ids[: len(healed.ids)]
    kept = model.decode(healed.ids)
    assert kept + healed.healed == text
    return kept, healed.healed


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("def f(key):\n    retu", "retu"),
        ("class A:\n    def f(self):\n        root = sel", " sel"),
        ("if token.type == 'op' and token.va", "va"),  # '.' ends the word: not respelled
        ("    x = current_default_", " current_default_"),
    ],
)
def test_the_whole_partial_word_is_healed(model: CodeModel, text: str, word: str) -> None:
    kept, healed = healed_parts(model, text)
    assert healed == word


def test_healing_takes_at_most_max_tokens_and_one_with_max_one(model: CodeModel) -> None:
    text = "    value = aVeryLongIdentifierNameWithManyPiecesInIt"
    ids = model.encode(text)
    assert len(ids) - 1 > HEAL_MAX_TOKENS  # the word is longer than the limit
    kept, healed = healed_parts(model, text)
    assert len(model.encode(healed)) <= HEAL_MAX_TOKENS and healed != ""
    kept_one, healed_one = healed_parts(model, text, max_tokens=1)
    assert healed_one == model.decode(ids[-1:])


@pytest.mark.parametrize("text", ["def f():\n    return x\n", "x = f(", "def f():\n        "])
def test_no_word_at_the_end_heals_at_most_the_last_token(model: CodeModel, text: str) -> None:
    ids = model.encode(text)
    healed = heal(ids, model.vocabulary)
    assert len(ids) - len(healed.ids) <= 1
    if text.endswith("\n"):
        assert healed.healed == ""  # a line's end is never respelled


def test_allowed_first_tokens_are_whole_spellings_or_the_longest_part(model: CodeModel) -> None:
    vocabulary = model.vocabulary
    allowed = {vocabulary.texts[i] for i in vocabulary.allowed(" doubleq")}
    assert " double" in allowed  # the longest token that spells a part of it
    assert not {" d", " do", " dou"} & allowed  # shorter parts lead to spellings never seen
    assert all(t.startswith(" doubleq") or t == " double" for t in allowed)
    assert {vocabulary.texts[i] for i in vocabulary.allowed(" resu")} >= {" result", " res"}


@pytest.mark.parametrize(
    ("text", "expected_start"),
    [
        ("def first_key(table):\n    for key in table:\n        retu", "rn"),
        (
            "class Store:\n    def __init__(self, root):\n        self.root = root\n\n"
            "    def path(self):\n        root = sel",
            "f.",
        ),
        (
            "def f(path):\n    import os\n    expected = os.path.normpath(path)\n    return expec",
            "ted",
        ),
    ],
)
def test_the_model_finishes_the_word_it_was_cut_in(
    model: CodeModel, text: str, expected_start: str
) -> None:
    """With the last token alone healed these gave '', 'l.root' and 'ore.f(path)'."""
    generation = model.generate(
        model.encode(text),
        GenerateOptions(max_new_tokens=8, heal_prompt=True, stop_rule=single_line_stop),
    )[0]
    assert generation.text.startswith(expected_start), generation.text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40))
def test_healing_never_loses_or_invents_text(model: CodeModel, text: str) -> None:
    ids = model.encode("x = 1\n" + text)
    healed = heal(ids, model.vocabulary)
    taken = len(ids) - len(healed.ids)
    assert healed.ids == ids[: len(healed.ids)] and 0 <= taken <= HEAL_MAX_TOKENS
    assert (taken == 0) == (healed.healed == "")
    if taken:
        assert model.decode(ids[len(healed.ids) :]) == healed.healed
        assert model.vocabulary.allowed(healed.healed).size > 0  # it can always be respelled
