"""Incremental generation on top of ``CodeModel``: greedy, sampling and n-best, with stop rules.

No torch: numpy over the logits onnxruntime returns. The prompt is prefilled once (reusing a
``KVCache`` when given), then each step feeds only the new token with the growing key/value
cache.

n-best (``num_return_sequences > 1``): with ``temperature == 0`` a beam search of that width,
ranked by total log-probability or, with ``rank="mean"``, by mean token log-probability
(deterministic alternatives: editor suggestions, repair candidates); with ``temperature > 0``,
that many independent samples.

Editor completion needs more than a plain loop, and it lives here so there is only one loop:
``cancelled`` is asked before every model call (a request superseded by the next keystroke stops
at once), ``stop_rule`` ends a text where the caller's notion of "complete" says so, ``healed``
constrains the first tokens to spell the prompt's partial word again (token healing, see
``codegpt.model.healing``), and ``min_mean_logprob`` stops a sequence that can no longer be
shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from codegpt.model.healing import MAX_HEALING_STEPS, constrain, heal
from codegpt.model.tokens import END_OF_TEXT_ID, SPECIAL_TOKENS

if TYPE_CHECKING:
    from codegpt.model.kv_cache import KVCache, Past
    from codegpt.model.runtime import CodeModel

FinishReason = Literal["stop", "length", "time", "eos", "cancelled", "unhealed", "low_confidence"]
# Given the text so far, the index at which it is complete (cut there and stop), or None.
StopRule = Callable[[str], int | None]


class PrefillCancelled(Exception):  # noqa: N818 - a signal, not an error
    """``cancelled()`` turned True while ``CodeModel.prefill`` ran (finished chunks are cached)."""


@dataclass
class GenerateOptions:
    """What to generate and when to stop."""

    # Upper bound on generated tokens (a single-line completion needs ~5-15); tokens that spell
    # ``healed`` do not count.
    max_new_tokens: int = 32
    # 0 = greedy (or beam search when num_return_sequences > 1); > 0 samples.
    temperature: float = 0.0
    # Sample only among the k most likely tokens (0 = no limit).
    top_k: int = 0
    # Nucleus sampling: the smallest set of tokens whose probability reaches top_p.
    top_p: float = 1.0
    # How many alternatives to return (beam width when greedy).
    num_return_sequences: int = 1
    # Order of a beam search's results: "total" log-probability favours short texts (every token
    # costs), "mean" token log-probability does not. On 300 test-split lines, width 3, the first
    # suggestion's edit similarity was 34.8 by total, 41.2 by mean (greedy 36.9; exact match
    # 8.3 / 8.7 / 8.3): editor suggestions are ranked by mean.
    rank: Literal["total", "mean"] = "total"
    # Tokens that end a sequence (not included in the result); END_OF_TEXT always does ('eos').
    stop_token_ids: tuple[int, ...] = ()
    # Any other special token (FIM markers, task tokens) ends a sequence too: in generated code
    # they only ever mean the model has lost its way.
    stop_at_special_tokens: bool = True
    # Stop when the decoded text contains one of these; the text is cut before it.
    stop_strings: tuple[str, ...] = ()
    # Text-level stop: sees the text so far after every token; an index cuts it there ('stop').
    stop_rule: StopRule | None = None
    # Wall-clock budget in seconds (None = none): return what exists, finish_reason 'time'.
    time_budget_s: float | None = None
    # Asked before every model call (prefill chunks included): True returns what exists at
    # once, finish_reason 'cancelled'. An editor's request superseded by the next keystroke.
    cancelled: Callable[[], bool] | None = None
    # Token healing: text the first tokens must spell (the partial word the prompt ended in,
    # taken off by ``codegpt.model.healing.heal``). It is not part of ``Generation.text``; a
    # model that cannot spell it in MAX_HEALING_STEPS tokens ends with 'unhealed' and no text.
    healed: str = ""
    # Heal the prompt here (``codegpt.model.healing.heal``: its partial word off, ``healed`` set
    # to it) for callers that do not keep the healed ids themselves; the completion engine does,
    # for its KV cache, and passes ``healed``. Both at once are an error.
    heal_prompt: bool = False
    # Give up on a sequence whose running mean token log-prob is below this once it has
    # ``min_mean_logprob_after`` tokens ('low_confidence'), for callers that discard anything
    # under a mean threshold. A heuristic: the mean often recovers (a line's first tokens are
    # its least certain), so it trades sequences that would have passed for decode steps.
    min_mean_logprob: float | None = None
    min_mean_logprob_after: int = 4
    # Seed for sampling (None = nondeterministic).
    seed: int | None = None


@dataclass
class Generation:
    """One generated continuation."""

    # Every generated token, the ones that spell ``GenerateOptions.healed`` included.
    token_ids: list[int]
    # The continuation's text after the healed part (all of it without healing).
    text: str
    # The model's log-probability of each token in token_ids (before temperature or top-k/p;
    # while healing, renormalised over the tokens that can spell the healed text).
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
    remaining: str = ""  # healed text still to spell
    healing_tokens: int = 0  # tokens spent spelling the healed text

    def copy(self, score: float) -> _Sequence:
        """An unfinished copy with a new score (a beam's child before its token is added)."""
        return _Sequence(
            list(self.token_ids),
            list(self.logprobs),
            score,
            None,
            self.text,
            self.remaining,
            self.healing_tokens,
        )


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


class _Rules:
    """Per-sequence decisions: constrained choices while healing, stops, the text so far."""

    def __init__(self, model: CodeModel, options: GenerateOptions, prompt_length: int) -> None:
        self.model = model
        self.options = options
        self.prompt_length = prompt_length
        self.stop_strings = tuple(s for s in options.stop_strings if s)
        self.stop_ids = set(options.stop_token_ids)
        if options.stop_at_special_tokens:
            self.stop_ids.update(range(len(SPECIAL_TOKENS)))
        self.stop_ids.discard(END_OF_TEXT_ID)
        self.vocabulary = model.vocabulary if options.healed else None

    def new_sequence(self) -> _Sequence:
        return _Sequence(remaining=self.options.healed)

    def choices(self, seq: _Sequence, logprobs: np.ndarray) -> np.ndarray | None:
        """The log-probs to choose ``seq``'s next token from; None when healing failed."""
        if not seq.remaining:
            return logprobs
        assert self.vocabulary is not None, "healing without a vocabulary"
        allowed = self.vocabulary.allowed(seq.remaining)
        if allowed.size == 0 or seq.healing_tokens >= MAX_HEALING_STEPS:
            return None
        return constrain(logprobs, allowed)

    def token_reason(self, token: int) -> FinishReason | None:
        if token == END_OF_TEXT_ID:
            return "eos"
        if token in self.stop_ids:
            return "stop"
        return None

    def append(self, seq: _Sequence, token: int, logprob: float) -> None:
        """Add ``token`` to ``seq``, update its text and decide whether it is finished."""
        seq.token_ids.append(token)
        seq.logprobs.append(logprob)
        if seq.remaining:
            assert self.vocabulary is not None, "healing without a vocabulary"
            seq.healing_tokens += 1
            spelled = self.vocabulary.texts[token]
            seq.remaining = (
                seq.remaining[len(spelled) :] if seq.remaining.startswith(spelled) else ""
            )
        self.check_text(seq)
        options = self.options
        if (
            seq.finish_reason is None
            and options.min_mean_logprob is not None
            and len(seq.logprobs) >= max(1, options.min_mean_logprob_after)
            and float(np.mean(seq.logprobs)) < options.min_mean_logprob
        ):
            seq.finish_reason = "low_confidence"
        if seq.finish_reason is None and (
            len(seq.token_ids) - seq.healing_tokens >= options.max_new_tokens
            or self.prompt_length + len(seq.token_ids) >= self.model.max_context
        ):
            seq.finish_reason = "length"

    def check_text(self, seq: _Sequence) -> None:
        """Decode ``seq`` (after the healed text) and stop it where a stop string or rule says."""
        if seq.remaining:
            seq.text = ""
            return
        seq.text = self.model.decode(seq.token_ids)[len(self.options.healed) :]
        cuts = [i for i in (seq.text.find(s) for s in self.stop_strings) if i >= 0]
        if self.options.stop_rule is not None:
            cut = self.options.stop_rule(seq.text)
            if cut is not None:
                cuts.append(cut)
        if cuts:
            seq.text = seq.text[: min(cuts)]
            seq.finish_reason = "stop"

    def interrupted(self, deadline: float | None) -> FinishReason | None:
        """'time' or 'cancelled' when the next model call must not run."""
        if deadline is not None and time.perf_counter() >= deadline:
            return "time"
        if self.options.cancelled is not None and self.options.cancelled():
            return "cancelled"
        return None


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
    if options.rank not in ("total", "mean"):
        raise ValueError(f"rank must be 'total' or 'mean', got {options.rank!r}")
    if options.heal_prompt:
        if options.healed:
            raise ValueError("heal_prompt heals the prompt itself: pass it or healed, not both")
        healing = heal(prompt_ids, model.vocabulary)
        prompt_ids = healing.ids
        options = replace(options, healed=healing.healed, heal_prompt=False)
    deadline = (
        time.perf_counter() + options.time_budget_s if options.time_budget_s is not None else None
    )
    rules = _Rules(model, options, len(prompt_ids))
    try:
        if options.cancelled is not None and options.cancelled():
            raise PrefillCancelled
        past, next_logprobs = model.prefill(prompt_ids, cache, options.cancelled)
    except PrefillCancelled:
        sequences = [
            _Sequence(finish_reason="cancelled") for _ in range(options.num_return_sequences)
        ]
    else:
        if options.temperature == 0 and options.num_return_sequences > 1:
            sequences = _beam_search(model, rules, past, next_logprobs, deadline)
        else:
            sequences = _sample(model, rules, past, next_logprobs, deadline)
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


def _sample(
    model: CodeModel,
    rules: _Rules,
    past: Past,
    next_logprobs: np.ndarray,
    deadline: float | None,
) -> list[_Sequence]:
    """Greedy (temperature 0) or sampled decoding of n independent sequences in one batch."""
    options = rules.options
    n = options.num_return_sequences
    rng = np.random.default_rng(options.seed)
    sequences = [rules.new_sequence() for _ in range(n)]
    active = list(range(n))  # sequence index of each batch row
    logprobs = np.repeat(next_logprobs[None, :], n, axis=0)  # (n, V)
    if n > 1:
        past = past.repeat(n)
    if options.max_new_tokens < 1:
        active = []
    while active:
        tokens = []
        rows = []  # batch rows still running after this step
        for row, index in enumerate(active):
            seq = sequences[index]
            choices = rules.choices(seq, logprobs[row])
            if choices is None:
                seq.finish_reason = "unhealed"
                continue
            if options.temperature == 0:
                token = int(np.argmax(choices))
            else:
                token = sample_token(choices, options, rng)
            token_logprob = float(choices[token])
            seq.score += token_logprob
            reason = rules.token_reason(token)
            if reason is not None:
                seq.finish_reason = reason
                continue
            rules.append(seq, token, token_logprob)
            if seq.finish_reason is None:
                rows.append(row)
                tokens.append(token)
        if not rows:
            break
        reason = rules.interrupted(deadline)
        if reason is not None:
            for row in rows:
                sequences[active[row]].finish_reason = reason
            break
        if len(rows) < len(active):
            past = past.take(rows)
        active = [active[row] for row in rows]
        logprobs, past = model.decode_step(np.asarray(tokens, dtype=np.int64), past)
    return sequences


def _beam_search(
    model: CodeModel,
    rules: _Rules,
    past: Past,
    next_logprobs: np.ndarray,
    deadline: float | None,
) -> list[_Sequence]:
    """Beam search of width n; returns the n best sequences (``GenerateOptions.rank``)."""
    width = rules.options.num_return_sequences
    beams = [rules.new_sequence()]
    logprobs = next_logprobs[None, :]  # (beams, V)
    finished: list[_Sequence] = []
    unhealed = False
    if rules.options.max_new_tokens < 1:
        beams = []
    while beams:
        candidates: list[tuple[float, int, int, float]] = []  # (score, row, token, log-prob)
        for row, beam in enumerate(beams):
            choices = rules.choices(beam, logprobs[row])
            if choices is None:
                unhealed = True
                continue
            top = (
                np.argpartition(-choices, width)[:width]
                if choices.shape[0] > width
                else np.arange(choices.shape[0])
            )
            candidates.extend(
                (beam.score + float(choices[t]), row, int(t), float(choices[t]))
                for t in top
                if np.isfinite(choices[t])
            )
        candidates.sort(key=lambda c: -c[0])
        next_beams: list[_Sequence] = []
        rows: list[int] = []
        for score, row, token, token_logprob in candidates:
            if len(next_beams) >= width:
                break
            parent = beams[row]
            reason = rules.token_reason(token)
            if reason is not None:
                _finish(
                    finished,
                    _Sequence(
                        list(parent.token_ids), list(parent.logprobs), score, reason, parent.text
                    ),
                )
                continue
            child = parent.copy(score)
            rules.append(child, token, token_logprob)
            if child.finish_reason is not None:
                _finish(finished, child)
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
        reason = rules.interrupted(deadline)
        if reason is not None:
            for beam in beams:
                beam.finish_reason = reason
            break
        past = past.take(rows)
        tokens = np.asarray([b.token_ids[-1] for b in beams], dtype=np.int64)
        logprobs, past = model.decode_step(tokens, past)
    ranked = sorted(finished + beams, key=lambda s: -s.score)[:width]
    if rules.options.rank == "mean":
        ranked.sort(key=lambda s: -_mean(s.logprobs))  # stable: ties keep the total's order
    if ranked:
        return ranked
    return [_Sequence(finish_reason="unhealed" if unhealed else "length")]


def _finish(finished: list[_Sequence], sequence: _Sequence) -> None:
    """Add a finished beam unless one with the same text scored higher (it replaces a lower one).

    Sequences that differ only in the token that stopped them (a line break, or three in one
    token) read the same once the stop is cut off: as alternatives they are one, and the search
    goes on until it has ``width`` different texts.
    """
    for index, other in enumerate(finished):
        if other.text == sequence.text:
            if sequence.score > other.score:
                finished[index] = sequence
            return
    finished.append(sequence)


def _mean(logprobs: list[float]) -> float:
    return float(np.mean(logprobs)) if logprobs else float("-inf")


def score_continuation(
    model: CodeModel, past: Past, next_logprobs: np.ndarray, continuation: Sequence[int]
) -> float:
    """Total log-probability of ``continuation`` after a prefilled prompt (its own tokens only).

    One decode step per token from ``past``, which stays as it was: scoring several
    continuations of one prompt shares its prefill.
    """
    if not continuation:
        return 0.0
    total = float(next_logprobs[continuation[0]])
    for previous, token in zip(continuation, continuation[1:], strict=False):
        logprobs, past = model.decode_step(np.asarray([previous], dtype=np.int64), past)
        total += float(logprobs[0][token])
    return total
