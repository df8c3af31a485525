"""The torch-free runtime: loading errors, KV-cache reuse equals a fresh run, stop rules, n-best.

And the options editor completion needs: cancellation, a text stop rule, token healing and an
early stop for sequences that can no longer reach a confidence threshold.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from tiny_corpus import build_tiny_corpus, export_random_tiny

from codegpt.model.generation import GenerateOptions
from codegpt.model.healing import MAX_HEALING_STEPS, constrain, heal
from codegpt.model.kv_cache import KVCache, Past, common_prefix_length
from codegpt.model.runtime import (
    CodeModel,
    ModelLoadError,
    RuntimeOptions,
    installed_onnxruntime_distributions,
)
from codegpt.model.tokens import END_OF_TEXT_ID, FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX

CODE = (
    "def wrap(text, width=70, **kwargs):\n"
    '    """Wrap text."""\n'
    "    w = TextWrapper(width=width, **kwargs)\n"
    "    return w.wrap(text)\n\n\n"
    "def fill(text, width=70):\n"
    "    return '\\n'.join(wrap(text, width))\n"
)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runtime")
    corpus = build_tiny_corpus(root / "corpus")
    return export_random_tiny(corpus, root / "model")


@pytest.fixture(scope="module")
def model(model_dir: Path) -> CodeModel:
    return CodeModel.load(RuntimeOptions(model_dir=model_dir, threads=1, prefill_chunk=8))


def copy_model(model_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(model_dir, target)
    return target


def test_load_reports_what_runs(model: CodeModel) -> None:
    assert model.providers == ["CPUExecutionProvider"]
    assert model.max_context == 128 and model.vocab_size == 512
    assert model.special_token_ids[FIM_MIDDLE] == 4
    assert installed_onnxruntime_distributions() == ["onnxruntime"]


@pytest.mark.parametrize("name", ["model.onnx", "tokenizer.json", "config.json"])
def test_missing_file_is_a_one_line_error_naming_it(
    model_dir: Path, tmp_path: Path, name: str
) -> None:
    broken = copy_model(model_dir, tmp_path)
    (broken / name).unlink()
    with pytest.raises(ModelLoadError, match=f"not found: .*{name}") as error:
        CodeModel.load(RuntimeOptions(model_dir=broken))
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("model.onnx", b"\x08\x07not a protobuf at all"),
        ("tokenizer.json", b'{"version": "1.0", "model": {'),
        ("config.json", b'{"model": {"vocab_size": 512}}'),
        ("config.json", b"\xff\xfe binary"),
    ],
)
def test_corrupt_file_is_a_one_line_error_naming_it(
    model_dir: Path, tmp_path: Path, name: str, content: bytes
) -> None:
    broken = copy_model(model_dir, tmp_path)
    (broken / name).write_bytes(content)
    with pytest.raises(ModelLoadError, match=f"corrupt .*{name}") as error:
        CodeModel.load(RuntimeOptions(model_dir=broken))
    assert "\n" not in str(error.value)


def test_missing_folder_and_unknown_provider(model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="model folder not found"):
        CodeModel.load(RuntimeOptions(model_dir=tmp_path / "nowhere"))
    with pytest.raises(ModelLoadError, match="TensorrtExecutionProvider not available"):
        CodeModel.load(
            RuntimeOptions(model_dir=model_dir, providers=("TensorrtExecutionProvider",))
        )


def test_runtime_never_imports_torch(model_dir: Path) -> None:
    code = (
        "import sys; from pathlib import Path\n"
        "from codegpt.model.runtime import CodeModel, RuntimeOptions\n"
        f"m = CodeModel.load(RuntimeOptions(model_dir=Path({str(model_dir)!r})))\n"
        "m.generate(m.encode('x = 1'))\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_common_prefix_length() -> None:
    assert common_prefix_length([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix_length([1, 2], [1, 2, 3]) == 2
    assert common_prefix_length([], [1]) == 0
    assert common_prefix_length([5], [6]) == 0


def typing_prompts(model: CodeModel) -> list[list[int]]:
    """SPM prompts as a user types a new line above ``return`` (3 characters per keystroke)."""
    cut = CODE.index("    return '")
    typed = "    text = text.strip()\n"
    suffix = CODE[cut:]
    prompts = []
    for n in range(0, len(typed), 3):
        prefix = CODE[:cut] + typed[:n]
        prompts.append(model.encode(f"{FIM_PREFIX}{FIM_SUFFIX}{suffix}{FIM_MIDDLE}{prefix}"))
    # An edit far above the cursor invalidates most of the cache.
    edited = CODE.replace("Wrap text", "Wrap it")
    prompts.append(model.encode(f"{FIM_PREFIX}{FIM_SUFFIX}{FIM_MIDDLE}{edited}"))
    prompts.append(prompts[3])  # back to an older prompt
    prompts.append(prompts[3])  # the same prompt twice
    return prompts


@pytest.mark.parametrize(
    "options",
    [
        GenerateOptions(max_new_tokens=10),
        GenerateOptions(max_new_tokens=6, num_return_sequences=3),
        GenerateOptions(max_new_tokens=6, num_return_sequences=2, temperature=0.9, seed=3),
    ],
    ids=["greedy", "beam", "sampled"],
)
def test_kv_cache_reuse_gives_exactly_the_fresh_tokens(
    model: CodeModel, options: GenerateOptions
) -> None:
    cache = KVCache()
    for prompt in typing_prompts(model):
        cached = model.generate(prompt, options, cache=cache)
        fresh = model.generate(prompt, options)
        assert [g.token_ids for g in cached] == [g.token_ids for g in fresh]
        assert [g.token_logprobs for g in cached] == [g.token_logprobs for g in fresh]
        assert cache.token_ids == prompt
    assert cache.reused_tokens > cache.computed_tokens  # the cache did save work


def test_cached_next_token_logprobs_and_scores_equal_fresh(model: CodeModel) -> None:
    cache = KVCache()
    for prompt in typing_prompts(model):
        assert np.array_equal(
            model.next_token_logprobs(prompt, cache), model.next_token_logprobs(prompt)
        )
    context, continuation = model.encode(CODE[:100]), model.encode(CODE[100:140])
    first = model.score(context, continuation, cache)
    again = model.score(context, continuation, cache)
    assert first == again == model.score(context, continuation)
    assert len(first) == len(continuation) and all(lp <= 0 for lp in first)


def test_score_agrees_with_next_token_logprobs(model: CodeModel) -> None:
    """Equal up to int8 noise: dynamic quantization scales each call's activations as a whole."""
    context, continuation = model.encode("import os\n"), model.encode("import sys")
    scores = model.score(context, continuation)
    first = model.next_token_logprobs(context)[continuation[0]]
    assert scores[0] == pytest.approx(float(first), abs=0.05)
    second = model.next_token_logprobs(context + continuation[:1])[continuation[1]]
    assert scores[1] == pytest.approx(float(second), abs=0.05)


def test_greedy_is_argmax_and_logprobs_are_the_models(model: CodeModel) -> None:
    prompt = model.encode(CODE[:80])
    generation = model.generate(
        prompt, GenerateOptions(max_new_tokens=1, stop_at_special_tokens=False)
    )[0]
    logprobs = model.next_token_logprobs(prompt)
    assert generation.token_ids == [int(np.argmax(logprobs))]
    assert generation.token_logprobs[0] == pytest.approx(float(logprobs.max()))
    assert generation.finish_reason == "length"


def test_beam_search_returns_distinct_sequences_best_first(model: CodeModel) -> None:
    prompt = model.encode(CODE[:80])
    beams = model.generate(prompt, GenerateOptions(max_new_tokens=4, num_return_sequences=4))
    assert len(beams) == 4
    assert len({tuple(b.token_ids) for b in beams}) == 4
    scores = [b.score for b in beams]
    assert scores == sorted(scores, reverse=True)
    greedy = model.generate(prompt, GenerateOptions(max_new_tokens=4))[0]
    assert beams[0].score >= greedy.score - 1e-6  # a beam never does worse than greedy


def test_beam_alternatives_differ_in_text_not_only_in_tokens(model: CodeModel) -> None:
    """Beams cut to the same text by a stop rule are one alternative, kept at its best score."""
    prompt = model.encode(CODE[:80])

    def first_character(text: str) -> int | None:
        return 1 if len(text) > 1 else None

    options = GenerateOptions(max_new_tokens=4, num_return_sequences=4, stop_rule=first_character)
    texts = [b.text for b in model.generate(prompt, options)]
    assert len(texts) == len(set(texts))
    # Every token cut to nothing: four token sequences, one text, at the likeliest token's score.
    options.stop_rule = lambda text: 0 if text else None
    (only,) = model.generate(prompt, options)
    assert only.text == "" and only.finish_reason == "stop"
    assert only.score == pytest.approx(float(model.next_token_logprobs(prompt).max()), abs=1e-5)


def test_beam_ranked_by_mean_keeps_the_n_best_in_mean_order(model: CodeModel) -> None:
    prompt = model.encode(CODE[:80])
    by_total = model.generate(prompt, GenerateOptions(max_new_tokens=6, num_return_sequences=4))
    by_mean = model.generate(
        prompt, GenerateOptions(max_new_tokens=6, num_return_sequences=4, rank="mean")
    )
    assert {tuple(b.token_ids) for b in by_mean} == {tuple(b.token_ids) for b in by_total}
    means = [b.mean_logprob for b in by_mean]
    assert means == sorted(means, reverse=True)
    with pytest.raises(ValueError, match="rank must be"):
        model.generate(prompt, GenerateOptions(num_return_sequences=2, rank="best"))  # type: ignore[arg-type]


def test_sampling_is_reproducible_with_a_seed(model: CodeModel) -> None:
    prompt = model.encode(CODE[:80])
    options = GenerateOptions(max_new_tokens=8, temperature=1.0, top_k=50, top_p=0.9, seed=7)
    a = model.generate(prompt, options)[0]
    b = model.generate(prompt, options)[0]
    assert a.token_ids == b.token_ids
    different = [
        model.generate(prompt, GenerateOptions(max_new_tokens=8, temperature=1.0, seed=s))[
            0
        ].token_ids
        for s in range(4)
    ]
    assert len({tuple(t) for t in different}) > 1


def test_stop_strings_cut_the_text(model: CodeModel) -> None:
    prompt = model.encode(CODE[:80])
    free = model.generate(prompt, GenerateOptions(max_new_tokens=20, stop_at_special_tokens=False))[
        0
    ]
    assert len(free.text) > 2
    stop = free.text[1:3]
    stopped = model.generate(
        prompt,
        GenerateOptions(max_new_tokens=20, stop_strings=(stop,), stop_at_special_tokens=False),
    )[0]
    assert stopped.finish_reason == "stop"
    assert stop not in stopped.text and free.text.startswith(stopped.text)


def test_stop_tokens_and_eos(model: CodeModel) -> None:
    prompt = model.encode(CODE[:80])
    first = int(np.argmax(model.next_token_logprobs(prompt)))
    stopped = model.generate(prompt, GenerateOptions(max_new_tokens=5, stop_token_ids=(first,)))[0]
    assert stopped.finish_reason == "stop" and stopped.token_ids == [] and stopped.text == ""
    assert stopped.mean_logprob == float("-inf")
    assert (
        END_OF_TEXT_ID
        not in model.generate(prompt, GenerateOptions(max_new_tokens=30))[0].token_ids
    )


def test_time_budget_returns_what_exists(model: CodeModel) -> None:
    prompt = model.encode(CODE[:80])
    options = GenerateOptions(max_new_tokens=50, time_budget_s=0.0, stop_at_special_tokens=False)
    generation = model.generate(prompt, options)[0]
    assert generation.finish_reason == "time"
    assert len(generation.token_ids) == 1  # the token the prefill already paid for


def test_generation_stops_at_the_context_limit(model: CodeModel) -> None:
    prompt = model.encode(CODE * 3)[: model.max_context - 3]
    generation = model.generate(
        prompt, GenerateOptions(max_new_tokens=20, stop_at_special_tokens=False)
    )[0]
    assert generation.finish_reason == "length" and len(generation.token_ids) == 3


def test_warm_up_fits_the_context_and_changes_no_result(model_dir: Path) -> None:
    def load() -> CodeModel:  # a prefill chunk longer than the model's whole context
        return CodeModel.load(RuntimeOptions(model_dir=model_dir, threads=1, prefill_chunk=4096))

    warmed, cold = load(), load()
    warmed.warm_up()
    prompt = cold.encode(CODE[:120])
    options = GenerateOptions(max_new_tokens=8, stop_at_special_tokens=False)
    expected = cold.generate(prompt, options)[0].token_ids
    assert warmed.generate(prompt, options)[0].token_ids == expected


def test_a_prefill_session_with_more_threads_gives_the_same_results(model_dir: Path) -> None:
    def load(prefill_threads: int) -> CodeModel:  # chunks of 32: long enough for the 2nd session
        options = RuntimeOptions(
            model_dir=model_dir, threads=1, prefill_chunk=32, prefill_threads=prefill_threads
        )
        return CodeModel.load(options)

    one, two = load(1), load(2)
    assert one.prefill_session is one.session and two.prefill_session is not two.session
    prompt = one.encode(CODE * 2)[:100]  # chunks of 32, 32, 32 and 4 tokens
    np.testing.assert_allclose(
        two.next_token_logprobs(prompt), one.next_token_logprobs(prompt), rtol=0, atol=1e-5
    )
    options = GenerateOptions(max_new_tokens=8, stop_at_special_tokens=False)
    assert two.generate(prompt, options)[0].token_ids == one.generate(prompt, options)[0].token_ids


def test_bad_requests_are_value_errors(model: CodeModel) -> None:
    with pytest.raises(ValueError, match="prompt is empty"):
        model.generate([])
    with pytest.raises(ValueError, match="exceed the model's context of 128"):
        model.generate(list(range(200)))
    with pytest.raises(ValueError, match="num_return_sequences"):
        model.generate([1, 2], GenerateOptions(num_return_sequences=0))


def test_old_stacked_cache_model_is_a_one_line_re_export_error(
    model_dir: Path, tmp_path: Path
) -> None:
    """A model file exported with one stacked cache input is refused, with what to do."""
    broken = copy_model(model_dir, tmp_path)
    tensor = onnx.helper.make_tensor_value_info
    graph = onnx.helper.make_graph(
        [
            onnx.helper.make_node("Identity", ["past_key_values"], ["present_key_values"]),
            onnx.helper.make_node("Identity", ["input_ids"], ["logits"]),
        ],
        "old",
        [
            tensor("input_ids", onnx.TensorProto.INT64, ["batch", "sequence"]),
            tensor("past_key_values", onnx.TensorProto.FLOAT, [2, 2, "batch", 2, "past", 32]),
            tensor("logits_index", onnx.TensorProto.INT64, ["positions"]),
        ],
        [
            tensor("logits", onnx.TensorProto.INT64, ["batch", "sequence"]),
            tensor("present_key_values", onnx.TensorProto.FLOAT, [2, 2, "batch", 2, "past", 32]),
        ],
    )
    old = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    old.ir_version = 8
    onnx.save(old, str(broken / "model.onnx"))
    with pytest.raises(ModelLoadError, match="re-export it with codegpt export") as error:
        CodeModel.load(RuntimeOptions(model_dir=broken))
    assert "past_key_values" in str(error.value) and "\n" not in str(error.value)


def test_past_slices_rows_and_feeds_every_layer() -> None:
    rng = np.random.default_rng(0)
    keys = [rng.standard_normal((3, 2, 4, 5)).astype(np.float32) for _ in range(2)]
    values = [rng.standard_normal((3, 2, 5, 4)).astype(np.float32) for _ in range(2)]
    past = Past((keys[0], values[0], keys[1], values[1]))
    assert (past.n_layer, past.batch, past.length) == (2, 3, 5)
    assert list(past.feeds()) == ["past_key_0", "past_value_0", "past_key_1", "past_value_1"]
    prefix = past.prefix(2)
    assert prefix.length == 2 and all(a.flags.c_contiguous for a in prefix.arrays)
    assert np.array_equal(prefix.arrays[2], keys[1][..., :2])
    assert np.array_equal(prefix.arrays[3], values[1][:, :, :2])
    rows = past.take([2, 0])
    assert rows.batch == 2 and np.array_equal(rows.arrays[1][0], values[0][2])
    repeated = Past.empty(2, 2, 4).repeat(3)
    assert (repeated.batch, repeated.length) == (3, 0)


def test_cancelled_before_the_model_runs_returns_nothing(model: CodeModel) -> None:
    cache = KVCache()
    options = GenerateOptions(max_new_tokens=5, num_return_sequences=2, cancelled=lambda: True)
    generations = model.generate(model.encode(CODE[:80]), options, cache)
    assert [(g.finish_reason, g.token_ids, g.text) for g in generations] == [
        ("cancelled", [], ""),
        ("cancelled", [], ""),
    ]
    assert cache.computed_tokens == 0 and cache.past is None


def cancel_after(calls: int) -> Callable[[], bool]:
    """A cancel flag that turns True at its ``calls``-th question."""
    asked = [0]

    def cancelled() -> bool:
        asked[0] += 1
        return asked[0] >= calls

    return cancelled


def test_cancelling_between_prefill_chunks_keeps_the_chunks_already_run(
    model: CodeModel,
) -> None:
    prompt = model.encode(CODE)[:40]  # five chunks of 8
    cache = KVCache()
    # Asked once before the prefill, then before each chunk: the 4th question stops chunk 3.
    options = GenerateOptions(max_new_tokens=4, cancelled=cancel_after(4))
    cut = model.generate(prompt, options, cache)[0]
    assert cut.finish_reason == "cancelled" and cut.token_ids == []
    assert cache.token_ids == prompt[:16] and cache.next_logprobs is None
    assert cache.computed_tokens == 16
    resumed = model.generate(prompt, GenerateOptions(max_new_tokens=4), cache)[0]
    fresh = model.generate(prompt, GenerateOptions(max_new_tokens=4))[0]
    assert resumed.token_ids == fresh.token_ids
    assert resumed.token_logprobs == fresh.token_logprobs
    assert cache.reused_tokens == 16  # the next request started after the two chunks


def test_cancelling_between_decode_steps_returns_the_tokens_so_far(model: CodeModel) -> None:
    prompt = model.encode(CODE)[:20]  # three chunks of 8
    free = model.generate(prompt, GenerateOptions(max_new_tokens=8, stop_at_special_tokens=False))[
        0
    ]
    # 1 question before the prefill, 3 before its chunks, then one before each decode step:
    # the 6th stops the second decode step, after the first token and the step that gave the 2nd.
    options = GenerateOptions(
        max_new_tokens=8, stop_at_special_tokens=False, cancelled=cancel_after(6)
    )
    cut = model.generate(prompt, options)[0]
    assert cut.finish_reason == "cancelled"
    assert cut.token_ids == free.token_ids[:2]


def test_stop_rule_cuts_the_text_where_it_says(model: CodeModel) -> None:
    prompt = model.encode(CODE[:80])
    options = GenerateOptions(max_new_tokens=20, stop_at_special_tokens=False)
    free = model.generate(prompt, options)[0]
    assert len(free.text) > 4
    seen: list[str] = []

    def stop_after_four_characters(text: str) -> int | None:
        seen.append(text)
        return 4 if len(text) > 4 else None

    options.stop_rule = stop_after_four_characters
    stopped = model.generate(prompt, options)[0]
    assert stopped.finish_reason == "stop" and stopped.text == free.text[:4]
    assert len(stopped.token_ids) < len(free.token_ids)
    assert all(free.text.startswith(text) for text in seen)  # it saw the text as it grew


def test_healing_spells_the_partial_word_first(model: CodeModel) -> None:
    text = CODE[: CODE.index("TextWrapper") + 4]  # ends inside a word
    ids = model.encode(text)
    healed = heal(ids, model.vocabulary)
    assert healed.healed == " Text" and healed.ids == ids[: len(healed.ids)]
    assert model.decode(healed.ids) + healed.healed == text
    options = GenerateOptions(max_new_tokens=6, healed=healed.healed, stop_at_special_tokens=False)
    generation = model.generate(healed.ids, options)[0]
    full = model.decode(generation.token_ids)
    assert full.startswith(healed.healed) and generation.text == full[len(healed.healed) :]
    # The first token is the likeliest of those that can spell the healed text, renormalised.
    logprobs = model.next_token_logprobs(healed.ids)
    allowed = model.vocabulary.allowed(healed.healed)
    first = generation.token_ids[0]
    assert first == int(allowed[np.argmax(logprobs[allowed])])
    expected = float(logprobs[first] - np.logaddexp.reduce(logprobs[allowed]))
    assert generation.token_logprobs[0] == pytest.approx(expected, abs=1e-5)
    # Healing tokens do not count toward max_new_tokens.
    healing_tokens = len(generation.token_ids) - 6
    assert generation.finish_reason == "length" and 1 <= healing_tokens <= MAX_HEALING_STEPS
    # Beam search honours the constraint too.
    options.num_return_sequences = 3
    beams = model.generate(healed.ids, options)
    assert len(beams) == 3
    assert all(model.decode(b.token_ids).startswith(healed.healed) for b in beams)


def test_heal_prompt_heals_inside_generate_as_the_explicit_path(model: CodeModel) -> None:
    ids = model.encode(CODE[: CODE.index("TextWrapper") + 4])
    healed = heal(ids, model.vocabulary)
    explicit = GenerateOptions(max_new_tokens=6, healed=healed.healed, num_return_sequences=2)
    inside = GenerateOptions(max_new_tokens=6, heal_prompt=True, num_return_sequences=2)
    expected = model.generate(healed.ids, explicit)
    assert [g.token_ids for g in model.generate(ids, inside)] == [g.token_ids for g in expected]
    assert inside.heal_prompt and not inside.healed  # the caller's options are left as they were
    with pytest.raises(ValueError, match="not both"):
        model.generate(ids, GenerateOptions(heal_prompt=True, healed="Wrap"))


def test_text_no_token_can_spell_is_unhealed(model: CodeModel) -> None:
    prompt = model.encode(CODE[:80])
    assert model.vocabulary.allowed("\u4e2d\u6587").size == 0
    generation = model.generate(prompt, GenerateOptions(max_new_tokens=4, healed="\u4e2d\u6587"))[0]
    assert generation.finish_reason == "unhealed" and generation.text == ""


def test_constrain_renormalises_over_the_allowed_tokens() -> None:
    logprobs = np.log(np.asarray([0.5, 0.25, 0.125, 0.125]))
    constrained = constrain(logprobs, np.asarray([1, 3]))
    assert np.isneginf(constrained[[0, 2]]).all()
    assert np.exp(constrained[[1, 3]]).tolist() == pytest.approx([2 / 3, 1 / 3])


def test_hopeless_sequences_stop_after_k_tokens(model: CodeModel) -> None:
    prompt = model.encode(CODE[:80])
    base = {"max_new_tokens": 12, "stop_at_special_tokens": False}
    free = model.generate(prompt, GenerateOptions(**base))[0]
    assert len(free.token_ids) == 12
    # An untrained model is far from sure of anything: a mean over 0 can never be reached.
    hopeless = GenerateOptions(**base, min_mean_logprob=0.0, min_mean_logprob_after=3)
    stopped = model.generate(prompt, hopeless)[0]
    assert stopped.finish_reason == "low_confidence"
    assert stopped.token_ids == free.token_ids[:3]
    # A threshold under the mean the sequence keeps never stops it.
    lenient = GenerateOptions(**base, min_mean_logprob=min(free.token_logprobs) - 1.0)
    assert model.generate(prompt, lenient)[0].token_ids == free.token_ids
