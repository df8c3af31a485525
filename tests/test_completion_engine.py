"""The completion engine with a real exported model: prompts, caches, KV reuse and bad input."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from completion_helpers import completion_model_dir

from codegpt.model.fim import format_spm_prompt
from codegpt.model.generation import GenerateOptions
from codegpt.model.healing import Vocabulary, heal
from codegpt.model.kv_cache import KVCache
from codegpt.model.runtime import CodeModel, RuntimeOptions
from codegpt.model.tokens import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX
from codegpt.server.completion.cache import ShownSuggestion, typed_ahead
from codegpt.server.completion.engine import (
    CompletionEngine,
    DocumentView,
    InlinePlan,
    ListPlan,
)
from codegpt.server.completion.policy import InlineMode, single_line_stop
from codegpt.server.completion.prompt import PromptBudget, build_prompt
from codegpt.server.parsing import parse
from codegpt.server.settings import CompletionSettings

SHOW_ALL = CompletionSettings(confidence_threshold=-100.0, time_budget_ms=10_000)
CODE = (
    "import math\n\n\n"
    "def hypot(x, y):\n"
    '    """Length of the vector (x, y)."""\n'
    "    return math.sqrt(x * x + y * y)\n\n\n"
    "def scale(values, factor):\n"
    "    result = []\n"
    "    for value in values:\n"
    "        result.append(value * factor)\n"
    "    return result\n"
)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> CodeModel:
    model_dir = completion_model_dir(tmp_path_factory)
    return CodeModel.load(RuntimeOptions(model_dir=Path(model_dir), threads=1))


def _view(text: str, uri: str = "file:///work/m.py") -> DocumentView:
    return DocumentView(uri, text, parse(text))


def test_prompt_is_spm_and_ends_at_the_cursor(model: CodeModel) -> None:
    text = CODE + "\nlength = hyp"
    assert isinstance(model.vocabulary, Vocabulary)  # builds for the model's vocabulary
    budget = PromptBudget.fit(SHOW_ALL, model.max_context, 16)
    prompt = build_prompt(text, len(text), budget, lambda s: len(model.encode(s)))
    assert prompt.text.startswith(FIM_PREFIX + FIM_SUFFIX)
    assert prompt.text.endswith("length = hyp")
    assert prompt.text == format_spm_prompt(prompt.extra + prompt.prefix, prompt.suffix)
    assert prompt.text.index(FIM_MIDDLE) < prompt.text.index("length = hyp")


def test_crlf_and_bom_are_normalised_like_the_corpus(model: CodeModel) -> None:
    text = "\ufeff" + CODE.replace("\n", "\r\n") + "\r\nlength = hyp"
    budget = PromptBudget.fit(SHOW_ALL, model.max_context, 16)
    prompt = build_prompt(text, len(text), budget, lambda s: len(model.encode(s)))
    assert "\r" not in prompt.text and "\ufeff" not in prompt.text
    assert prompt.prefix.endswith("\nlength = hyp")


def test_budget_always_fits_the_model() -> None:
    settings = CompletionSettings(prefix_tokens=8000, suffix_tokens=8000, context_tokens=8000)
    budget = PromptBudget.fit(settings, 512, 48)
    assert budget.prefix + budget.suffix + budget.context + 48 + 3 <= 512
    assert budget.suffix <= budget.prefix


def test_kv_reuse_gives_exactly_the_tokens_of_a_fresh_run(model: CodeModel) -> None:
    vocabulary = model.vocabulary
    engine = CompletionEngine()
    text = CODE + "\n\ndef norm(v):\n    return hyp"
    budget = PromptBudget.fit(SHOW_ALL, model.max_context, 24)
    counter = engine.state(model).count_tokens
    cache = KVCache()
    outputs = []
    for end in range(len(text) - 8, len(text) + 1):  # typing the last characters one by one
        prompt = build_prompt(text[:end], end, budget, counter)
        healed = heal(model.encode(prompt.text), vocabulary)
        options = GenerateOptions(
            max_new_tokens=12, stop_rule=single_line_stop, healed=healed.healed
        )
        cached = model.generate(healed.ids, options, cache)[0]
        fresh = model.generate(healed.ids, options)[0]
        assert cached.token_ids == fresh.token_ids
        assert cached.token_logprobs == fresh.token_logprobs
        outputs.append(cached.text)
    assert cache.reused_tokens > 0  # the cache really was used


def test_cancelled_decoding_stops_before_running_the_model(model: CodeModel) -> None:
    healed = heal(model.encode(format_spm_prompt(CODE, "")), model.vocabulary)
    cache = KVCache()
    options = GenerateOptions(
        max_new_tokens=8,
        stop_rule=single_line_stop,
        healed=healed.healed,
        cancelled=lambda: True,
    )
    result = model.generate(healed.ids, options, cache)[0]
    assert result.finish_reason == "cancelled" and result.text == ""
    assert cache.computed_tokens == 0


def test_empty_body_is_multi_line_and_comment_is_suppressed(model: CodeModel) -> None:
    engine = CompletionEngine()
    text = CODE + '\n\ndef mean(values):\n    """Average."""\n    \n'
    offset = len(text) - 1
    plan = engine.prepare_inline(model, _view(text), offset, SHOW_ALL)
    assert isinstance(plan, InlinePlan) and plan.mode is InlineMode.MULTI_LINE
    no_multi = CompletionSettings(multi_line=False, confidence_threshold=-100.0)
    plan = engine.prepare_inline(model, _view(text), offset, no_multi)
    assert isinstance(plan, InlinePlan) and plan.mode is InlineMode.SINGLE_LINE
    commented = CODE + "# the mean of "
    answer = engine.complete_inline(model, _view(commented), len(commented), SHOW_ALL)
    assert answer.texts == [] and answer.reason == "comment"


def test_a_one_line_string_is_completed_and_a_docstring_is_not(model: CodeModel) -> None:
    engine = CompletionEngine()
    typed = CODE + '\n\ndef readme(root):\n    return open(os.path.join(root, "READ'
    answer = engine.complete_inline(model, _view(typed), len(typed), SHOW_ALL)
    assert answer.source == "model" and answer.reason != "string"
    closed = typed + '"))\n'  # the editor closed the quote and the brackets
    answer = engine.complete_inline(model, _view(closed), len(typed), SHOW_ALL)
    assert answer.source == "model" and answer.reason != "string"
    assert all(not text.endswith('"))') for text in answer.texts)  # what follows is not repeated
    prose = CODE + '\n\ndef total(values):\n    """Return the sum of the '
    answer = engine.complete_inline(model, _view(prose), len(prose), SHOW_ALL)
    assert answer.texts == [] and answer.reason == "string"


def test_a_completion_list_heals_the_whole_partial_word(model: CodeModel) -> None:
    """Typing into ``parser.parse_fl``: the list respells ``parse_fl`` from the dot, not just
    its last token (three characters typed: top-1 member 56.7 -> 66.7 % through the server)."""
    text = "def f(parser):\n    parser.parse_float('1')\n    parser.parse_fl"
    assert len(model.encode("parse_fl")) > 1  # a word of several tokens: the case that changed
    plan = CompletionEngine().prepare_list(model, _view(text), len(text), SHOW_ALL)
    assert isinstance(plan, ListPlan) and plan.partial == "parse_fl"
    assert plan.healed.healed == "parse_fl"
    assert model.decode(plan.healed.ids).endswith("parser.")


def test_result_cache_and_typed_ahead_skip_the_model(model: CodeModel) -> None:
    engine = CompletionEngine()
    text = CODE + "\nlength = hyp"
    first = engine.complete_inline(model, _view(text), len(text), SHOW_ALL)
    again = engine.complete_inline(model, _view(text), len(text), SHOW_ALL)
    assert again.source == "cache" and again.texts == first.texts
    if first.texts and len(first.texts[0]) > 1:
        typed = text + first.texts[0][0]
        ahead = engine.complete_inline(model, _view(typed), len(typed), SHOW_ALL)
        assert ahead.source == "typed_ahead" and ahead.texts == [first.texts[0][1:]]


def test_typed_ahead_needs_the_same_suffix_and_a_matching_prefix() -> None:
    shown = ShownSuggestion("x = fo", ")\n", "o(bar", -0.5)
    assert typed_ahead(shown, "x = foo", ")\n") == "(bar"
    assert typed_ahead(shown, "x = foo", "]\n") is None
    assert typed_ahead(shown, "x = fox", ")\n") is None
    assert typed_ahead(shown, "x = foo(bar", ")\n") is None  # typed it all: nothing left


def test_low_confidence_is_suppressed(model: CodeModel) -> None:
    strict = CompletionSettings(confidence_threshold=-0.0001)
    text = CODE + "\nlength = hyp"
    answer = CompletionEngine().complete_inline(model, _view(text), len(text), strict)
    assert answer.texts == [] and answer.reason in ("low confidence", "nothing useful")


def test_position_past_the_end_is_clamped(model: CodeModel) -> None:
    engine = CompletionEngine()
    answer = engine.complete_inline(model, _view(CODE), len(CODE) + 500, SHOW_ALL)
    assert answer.offset == len(CODE)


def test_huge_file_keeps_the_prompt_within_budget(model: CodeModel) -> None:
    lines = [f"def f{i}(x):\n    return x + {i}\n" for i in range(50_000)]
    text = "".join(lines) + "value = f1"
    engine = CompletionEngine()
    plan = engine.prepare_inline(model, _view(text), len(text), SHOW_ALL)
    assert isinstance(plan, InlinePlan)
    assert text.count("\n") >= 100_000
    assert len(plan.healed.ids) + plan.max_new_tokens < model.max_context


def test_non_ascii_and_binary_looking_text_gives_clean_answers(model: CodeModel) -> None:
    rng = random.Random(0)
    alphabet = "äöü中文😀\x00\x01\x7f\ufffd\u2028 \t(){}[]'\"#\\xyz=\n"
    text = "".join(rng.choice(alphabet) for _ in range(3000))
    engine = CompletionEngine()
    for offset in range(0, len(text), 250):
        answer = engine.complete_inline(model, _view(text), offset, SHOW_ALL)
        assert all(isinstance(t, str) and t.strip() for t in answer.texts)
        ranked = engine.complete_list(model, _view(text), offset, SHOW_ALL)
        assert all(c.word.isidentifier() for c in ranked.candidates)


def test_alternatives_come_from_a_beam_and_are_distinct(model: CodeModel) -> None:
    text = CODE + "\n\ndef norm(v):\n    return math."
    view = DocumentView("file:///alt.py", text, parse(text))
    settings = SHOW_ALL
    engine = CompletionEngine()
    plan = engine.prepare_inline(model, view, len(text), settings, alternatives=3)
    assert isinstance(plan, InlinePlan) and plan.alternatives == 3
    generations = engine.infer_inline(model, plan)
    assert len(generations) == 3  # the beam's three best, likeliest per token first
    means = [g.mean_logprob for g in generations]
    assert means == sorted(means, reverse=True)
    answer = engine.finish_inline(plan, generations, settings)
    assert 1 <= len(answer.texts) <= 3 and len(set(answer.texts)) == len(answer.texts)
    # A single-suggestion request for the same spot is cached apart from the alternatives.
    single = engine.complete_inline(model, view, len(text), settings)
    assert len(single.texts) <= 1 and single.source == "model"


def test_alternatives_are_ranked_per_token_not_by_total(model: CodeModel) -> None:
    """A total log-probability ranks short texts first (` 2` before ` 2 == 0`); mean does not."""
    prompts = [
        "def is_even(n):\n    return n %",
        "def area(width, height):\n    return",
        "for i, item in enumerate(items):\n    print(",
        "import os\npath = os.path.",
        "if __name__ ==",
    ]
    engine = CompletionEngine()
    reordered = 0
    for text in prompts:
        view = DocumentView("file:///rank.py", text, parse(text))
        plan = engine.prepare_inline(model, view, len(text), SHOW_ALL, alternatives=3)
        assert isinstance(plan, InlinePlan)
        generations = engine.infer_inline(model, plan)
        means = [g.mean_logprob for g in generations]
        assert means == sorted(means, reverse=True)
        scores = [g.score for g in generations]
        reordered += scores != sorted(scores, reverse=True)
    assert reordered, "every beam's order by mean equalled its order by total"


def test_a_beam_behind_an_automatic_request_shows_its_best_only(model: CodeModel) -> None:
    text = CODE + "\n\ndef norm(v):\n    return math."
    view = DocumentView("file:///beam.py", text, parse(text))
    engine = CompletionEngine()
    beam = dataclasses.replace(SHOW_ALL, beam_width=3)
    plan = engine.prepare_inline(model, view, len(text), beam)
    assert isinstance(plan, InlinePlan) and (plan.alternatives, plan.beam_width) == (1, 3)
    generations = engine.infer_inline(model, plan)
    assert len(generations) == 3
    answer = engine.finish_inline(plan, generations, beam)
    assert len(answer.texts) == 1
    # The same suggestion leads the invoked request's alternatives (same beam, same ranking).
    invoked = CompletionEngine().complete_inline(model, view, len(text), SHOW_ALL, alternatives=3)
    assert invoked.texts[0] == answer.texts[0]
    # Greedy decoding is cached apart from the beam.
    greedy = engine.prepare_inline(model, view, len(text), SHOW_ALL)
    assert isinstance(greedy, InlinePlan) and greedy.beam_width == 1


def test_typing_keeps_the_prompt_start_where_a_fresh_cut_would_move_it(model: CodeModel) -> None:
    body = "".join(f"    total_{i} = weigh(items[{i}], {i})\n" for i in range(80))
    text = "def long_function(items):\n" + body + "    result = \n    return result\n"
    cursor = text.index("    result = \n") + len("    result = ")
    engine = CompletionEngine()
    first = engine.prepare_inline(model, _view(text), cursor, SHOW_ALL)
    assert isinstance(first, InlinePlan)
    window = first.prompt.context.window
    # A budget the prefix fills exactly (costed line by line, as windows are): the next
    # characters push a fresh cut past it.
    cost = sum(len(model.encode(line)) for line in window.prefix.splitlines(keepends=True))
    exact = dataclasses.replace(SHOW_ALL, prefix_tokens=cost)
    engine = CompletionEngine()
    start = engine.prepare_inline(model, _view(text), cursor, exact).prompt.context.window
    typed = text[:cursor] + "weigh_all" + text[cursor:]
    fresh = CompletionEngine().prepare_inline(model, _view(typed), cursor + 9, exact)
    kept = engine.prepare_inline(model, _view(typed), cursor + 9, exact)
    assert fresh.prompt.context.window.prefix_start > start.prefix_start
    assert kept.prompt.context.window.prefix_start == start.prefix_start
