"""Incremental generation on top of ``CodeModel``: greedy, sampling and n-best, with stop rules.

No torch: numpy over the logits onnxruntime returns. The prompt is prefilled once (reusing a
``KVCache`` when given), then each step feeds only the new token with the growing key/value
cache.

n-best (``num_return_sequences > 1``): with ``temperature == 0`` a beam search of that width,
ranked by total log-probability (deterministic alternatives: completion lists, repair
candidates); with ``temperature > 0``, that many independent samples.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from codegpt.model.tokens import END_OF_TEXT_ID, SPECIAL_TOKENS

if TYPE_CHECKING:
    from codegpt.model.kv_cache import KVCache
    from codegpt.model.runtime import CodeModel

FinishReason = Literal["stop", "length", "time", "eos"]


@dataclass
class GenerateOptions:
    """What to generate and when to stop."""

    # Upper bound on generated tokens (a single-line completion needs ~5-15).
    max_new_tokens: int = 32
    # 0 = greedy (or beam search when num_return_sequences > 1); > 0 samples.
    temperature: float = 0.0
    # Sample only among the k most likely tokens (0 = no limit).
    top_k: int = 0
    # Nucleus sampling: the smallest set of tokens whose probability reaches top_p.
    top_p: float = 1.0
    # How many alternatives to return (beam width when greedy).
    num_return_sequences: int = 1
    # Tokens that end a sequence (not included in the result); END_OF_TEXT always does ('eos').
    stop_token_ids: tuple[int, ...] = ()
    # Any other special token (FIM markers, task tokens) ends a sequence too: in generated code
    # they only ever mean the model has lost its way.
    stop_at_special_tokens: bool = True
    # Stop when the decoded text contains one of these; the text is cut before it.
    stop_strings: tuple[str, ...] = ()
    # Wall-clock budget in seconds (None = none): return what exists, finish_reason 'time'.
    time_budget_s: float | None = None
    # Seed for sampling (None = nondeterministic).
    seed: int | None = None


@dataclass
class Generation:
    """One generated continuation."""

    token_ids: list[int]
    text: str
    # The model's log-probability of each token in token_ids (before temperature or top-k/p).
    token_logprobs: list[float]
    finish_reason: FinishReason
    # Beam score (sum of log-probs including the stop token), used for ranking.
    score: float = 0.0

    @property
    def mean_logprob(self) -> float:
        """Mean token log-probability; -inf when nothing was generated."""
        if not self.token_logprobs:
            return float("-inf")
        return float(np.mean(self.token_logprobs))


@dataclass
class _Sequence:
    token_ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    score: float = 0.0
    finish_reason: FinishReason | None = None
    text: str = ""


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable log-softmax over the last axis."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def sample_token(logprobs: np.ndarray, options: GenerateOptions, rng: np.random.Generator) -> int:
    """Draw one token from ``logprobs`` (V,) with temperature, top-k and top-p."""
    scaled = logprobs / options.temperature
    if 0 < options.top_k < scaled.size:
        cutoff = np.partition(scaled, -options.top_k)[-options.top_k]
        scaled = np.where(scaled >= cutoff, scaled, -np.inf)
    probs = np.exp(scaled - scaled.max())
    probs /= probs.sum()
    if options.top_p < 1.0:
        order = np.argsort(-probs)
        cumulative = np.cumsum(probs[order])
        keep = order[: int(np.searchsorted(cumulative, options.top_p)) + 1]
        mask = np.zeros_like(probs)
        mask[keep] = probs[keep]
        probs = mask / mask.sum()
    return int(rng.choice(probs.size, p=probs))


class _StopRules:
    """Decides whether a sequence just finished, and cuts stop strings from its text."""

    def __init__(self, model: CodeModel, options: GenerateOptions) -> None:
        self.model = model
        self.stop_strings = tuple(s for s in options.stop_strings if s)
        self.stop_ids = set(options.stop_token_ids)
        if options.stop_at_special_tokens:
            self.stop_ids.update(range(len(SPECIAL_TOKENS)))
        self.stop_ids.discard(END_OF_TEXT_ID)

    def token_reason(self, token: int) -> FinishReason | None:
        if token == END_OF_TEXT_ID:
            return "eos"
        if token in self.stop_ids:
            return "stop"
        return None

    def check_text(self, seq: _Sequence) -> None:
        """Decode ``seq`` and mark it stopped (text cut) when a stop string appears."""
        seq.text = self.model.decode(seq.token_ids)
        if not self.stop_strings:
            return
        cuts = [i for i in (seq.text.find(s) for s in self.stop_strings) if i >= 0]
        if cuts:
            seq.text = seq.text[: min(cuts)]
            seq.finish_reason = "stop"


def generate(
    model: CodeModel,
    prompt_ids: Sequence[int],
    options: GenerateOptions,
    cache: KVCache | None = None,
) -> list[Generation]:
    """Generate ``options.num_return_sequences`` continuations of ``prompt_ids``."""
    if options.num_return_sequences < 1:
        raise ValueError("num_return_sequences must be at least 1")
    if options.temperature < 0:
        raise ValueError("temperature must be >= 0")
    deadline = (
        time.perf_counter() + options.time_budget_s if options.time_budget_s is not None else None
    )
    past, next_logprobs = model.prefill(prompt_ids, cache)
    if options.temperature == 0 and options.num_return_sequences > 1:
        sequences = _beam_search(model, past, next_logprobs, len(prompt_ids), options, deadline)
    else:
        sequences = _sample(model, past, next_logprobs, len(prompt_ids), options, deadline)
    return [
        Generation(
            token_ids=s.token_ids,
            text=s.text,
            token_logprobs=s.logprobs,
            finish_reason=s.finish_reason or "length",
            score=s.score,
        )
        for s in sequences
    ]


def _out_of_room(model: CodeModel, prompt_length: int, generated: int) -> bool:
    return prompt_length + generated >= model.max_context


def _sample(
    model: CodeModel,
    past: np.ndarray,
    next_logprobs: np.ndarray,
    prompt_length: int,
    options: GenerateOptions,
    deadline: float | None,
) -> list[_Sequence]:
    """Greedy (temperature 0) or sampled decoding of n independent sequences in one batch."""
    n = options.num_return_sequences
    rules = _StopRules(model, options)
    rng = np.random.default_rng(options.seed)
    sequences = [_Sequence() for _ in range(n)]
    active = list(range(n))  # sequence index of each batch row
    logprobs = np.repeat(next_logprobs[None, :], n, axis=0)  # (n, V)
    if n > 1:
        past = np.repeat(past, n, axis=2)
    for step in range(options.max_new_tokens):
        tokens = []
        still_active = []
        for row, index in enumerate(active):
            seq = sequences[index]
            if options.temperature == 0:
                token = int(np.argmax(logprobs[row]))
            else:
                token = sample_token(logprobs[row], options, rng)
            token_logprob = float(logprobs[row, token])
            seq.score += token_logprob
            reason = rules.token_reason(token)
            if reason is not None:
                seq.finish_reason = reason
                continue
            seq.token_ids.append(token)
            seq.logprobs.append(token_logprob)
            rules.check_text(seq)
            if seq.finish_reason is None:
                still_active.append(row)
                tokens.append(token)
        active_rows = still_active
        if not active_rows:
            break
        if step + 1 == options.max_new_tokens or _out_of_room(model, prompt_length, step + 1):
            break
        if deadline is not None and time.perf_counter() >= deadline:
            for row in active_rows:
                sequences[active[row]].finish_reason = "time"
            break
        if len(active_rows) < len(active):
            past = np.ascontiguousarray(past[:, :, active_rows])
        active = [active[row] for row in active_rows]
        logprobs, past = model.decode_step(np.asarray(tokens, dtype=np.int64), past)
    for seq in sequences:
        if seq.finish_reason is None:
            seq.finish_reason = "length"
    return sequences


def _beam_search(
    model: CodeModel,
    past: np.ndarray,
    next_logprobs: np.ndarray,
    prompt_length: int,
    options: GenerateOptions,
    deadline: float | None,
) -> list[_Sequence]:
    """Beam search of width n; returns the n best sequences by total log-probability."""
    width = options.num_return_sequences
    rules = _StopRules(model, options)
    beams = [_Sequence()]
    logprobs = next_logprobs[None, :]  # (beams, V)
    finished: list[_Sequence] = []
    for step in range(options.max_new_tokens):
        candidates: list[tuple[float, int, int]] = []  # (score, beam row, token)
        for row, beam in enumerate(beams):
            top = (
                np.argpartition(-logprobs[row], width)[:width]
                if logprobs.shape[1] > width
                else (np.arange(logprobs.shape[1]))
            )
            candidates.extend((beam.score + float(logprobs[row, t]), row, int(t)) for t in top)
        candidates.sort(key=lambda c: -c[0])
        next_beams: list[_Sequence] = []
        rows: list[int] = []
        for score, row, token in candidates:
            if len(next_beams) >= width:
                break
            parent = beams[row]
            token_logprob = float(logprobs[row, token])
            reason = rules.token_reason(token)
            if reason is not None:
                finished.append(
                    _Sequence(
                        list(parent.token_ids), list(parent.logprobs), score, reason, parent.text
                    )
                )
                continue
            child = _Sequence(parent.token_ids + [token], parent.logprobs + [token_logprob], score)
            rules.check_text(child)
            if child.finish_reason is not None:
                finished.append(child)
                continue
            next_beams.append(child)
            rows.append(row)
        beams = next_beams
        if not beams:
            break
        best_finished = sorted((f.score for f in finished), reverse=True)
        if len(best_finished) >= width and beams[0].score <= best_finished[width - 1]:
            beams = []  # log-probs only fall: no live beam can overtake the finished ones
            break
        if step + 1 == options.max_new_tokens or _out_of_room(model, prompt_length, step + 1):
            break
        if deadline is not None and time.perf_counter() >= deadline:
            for beam in beams:
                beam.finish_reason = "time"
            break
        past = np.ascontiguousarray(np.take(past, rows, axis=2))
        tokens = np.asarray([b.token_ids[-1] for b in beams], dtype=np.int64)
        logprobs, past = model.decode_step(tokens, past)
    for beam in beams:
        if beam.finish_reason is None:
            beam.finish_reason = "length"
    ranked = sorted(finished + beams, key=lambda s: -s.score)
    return ranked[:width] if ranked else [_Sequence(finish_reason="length")]
