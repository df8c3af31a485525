"""Greedy decoding for completion: token healing, a cancel check between steps, a time budget.

``CodeModel.generate`` cannot be interrupted; a completion superseded by the next keystroke must
stop at once, so this loop polls ``cancelled()`` before every model call and returns the best text
so far when the time budget runs out. It uses only the runtime's public ``prefill`` (which reuses
the document's ``KVCache``) and ``decode_step``.

Token healing: a prompt that ends inside a word (``ret``) or inside indentation is tokenized
unlike any training text (the corpus saw ``return`` as one token). The last prompt token is taken
off and the first generated tokens are constrained to spell it again, so the model continues from
a natural token boundary.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from codegpt.model.kv_cache import KVCache
from codegpt.model.runtime import CodeModel
from codegpt.model.tokens import END_OF_TEXT_ID, SPECIAL_TOKENS

Cancelled = Callable[[], bool]
# Returns the index at which the text is complete (cut there and stop), or None to go on.
StopRule = Callable[[str], int | None]
MAX_HEALING_STEPS = 4


class Vocabulary:
    """Each token id's text, sorted for prefix queries (built once per model, ~20 ms)."""

    def __init__(self, model: CodeModel) -> None:
        size = model.vocab_size
        texts = model.tokenizer.decode_batch([[i] for i in range(size)], skip_special_tokens=False)
        self.texts: list[str] = list(texts)
        self.special = len(SPECIAL_TOKENS)
        for i in range(self.special):
            self.texts[i] = ""  # never matched by a text constraint
        self.by_text: dict[str, int] = {}
        for i, text in enumerate(self.texts):
            if text and "\ufffd" not in text:
                self.by_text.setdefault(text, i)
        pairs = sorted((t, i) for t, i in self.by_text.items())
        self._sorted_texts = [t for t, _ in pairs]
        self._sorted_ids = [i for _, i in pairs]

    def starting_with(self, prefix: str) -> list[int]:
        """Ids of tokens whose text starts with ``prefix``."""
        lo = bisect.bisect_left(self._sorted_texts, prefix)
        hi = bisect.bisect_left(self._sorted_texts, prefix + "\U0010ffff")
        return self._sorted_ids[lo:hi]

    def prefixes_of(self, text: str) -> list[int]:
        """Ids of tokens whose text is a non-empty proper prefix of ``text``."""
        found = []
        for end in range(1, len(text)):
            token = self.by_text.get(text[:end])
            if token is not None:
                found.append(token)
        return found

    def allowed(self, remaining: str) -> np.ndarray:
        """Tokens compatible with having to spell ``remaining`` next."""
        return np.asarray(self.starting_with(remaining) + self.prefixes_of(remaining), np.int64)


@dataclass(frozen=True)
class HealedPrompt:
    """A prompt with its last token taken off, and the text the generation must spell first."""

    ids: list[int]
    healed: str


def heal(ids: Sequence[int], vocabulary: Vocabulary) -> HealedPrompt:
    """Take off the last token when it is ordinary text (not special, not ending a line)."""
    ids = list(ids)
    if len(ids) < 2 or ids[-1] < vocabulary.special:
        return HealedPrompt(ids, "")
    text = vocabulary.texts[ids[-1]]
    if not text or text.endswith("\n") or "\ufffd" in text or text not in vocabulary.by_text:
        return HealedPrompt(ids, "")
    return HealedPrompt(ids[:-1], text)


@dataclass
class Decoded:
    """One greedy continuation (healed text removed)."""

    text: str
    token_ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    finish_reason: str = "length"  # stop, eos, length, time, cancelled, unhealed

    @property
    def mean_logprob(self) -> float:
        """Mean token log-probability (-inf when empty)."""
        return float(np.mean(self.logprobs)) if self.logprobs else float("-inf")


def _constrained(logprobs: np.ndarray, allowed: np.ndarray) -> tuple[int, float]:
    """Best allowed token and its log-probability renormalised over the allowed set."""
    sub = logprobs[allowed]
    best = int(np.argmax(sub))
    norm = float(np.logaddexp.reduce(sub))
    return int(allowed[best]), float(sub[best]) - norm


def greedy(
    model: CodeModel,
    vocabulary: Vocabulary,
    prompt: HealedPrompt,
    *,
    max_new_tokens: int,
    stop: StopRule,
    cache: KVCache | None = None,
    deadline: float | None = None,
    cancelled: Cancelled | None = None,
) -> Decoded:
    """Greedy decoding with healing; ``stop`` sees the text after the healed part."""
    if cancelled is not None and cancelled():
        return Decoded("", finish_reason="cancelled")
    past, logprobs = model.prefill(prompt.ids, cache)
    remaining = prompt.healed
    generated = ""
    result = Decoded("")
    length = len(prompt.ids)
    for step in range(max_new_tokens + MAX_HEALING_STEPS):
        if remaining:
            allowed = vocabulary.allowed(remaining)
            if allowed.size == 0 or step >= MAX_HEALING_STEPS:
                result.finish_reason = "unhealed"
                return result
            token, logprob = _constrained(logprobs, allowed)
        else:
            token = int(np.argmax(logprobs))
            logprob = float(logprobs[token])
        if token == END_OF_TEXT_ID:
            result.finish_reason = "eos"
            break
        if token < vocabulary.special:
            result.finish_reason = "stop"
            break
        text = vocabulary.texts[token] or model.decode([token])
        if remaining:
            if remaining.startswith(text):
                remaining = remaining[len(text) :]
            else:
                generated += text[len(remaining) :]
                remaining = ""
        else:
            generated += text
        result.token_ids.append(token)
        result.logprobs.append(logprob)
        if not remaining:
            cut = stop(generated)
            if cut is not None:
                generated = generated[:cut]
                result.finish_reason = "stop"
                break
        if length + len(result.token_ids) >= model.max_context:
            break
        if deadline is not None and time.perf_counter() >= deadline:
            result.finish_reason = "time"
            break
        if cancelled is not None and cancelled():
            result.finish_reason = "cancelled"
            break
        batch_logprobs, past = model.decode_step(np.asarray([token], dtype=np.int64), past)
        logprobs = batch_logprobs[0]
    result.text = generated if not remaining else ""
    return result


def score_continuation(
    model: CodeModel,
    past: np.ndarray,
    next_logprobs: np.ndarray,
    continuation: Sequence[int],
) -> float:
    """Total log-probability of ``continuation`` after a prefilled prompt (its own tokens only)."""
    if not continuation:
        return 0.0
    total = float(next_logprobs[continuation[0]])
    for previous, token in zip(continuation, continuation[1:], strict=False):
        logprobs, past = model.decode_step(np.asarray([previous], dtype=np.int64), past)
        total += float(logprobs[0][token])
    return total
