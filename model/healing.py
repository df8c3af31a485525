"""Token healing: the text of every token, and which tokens may spell a required text next.

A prompt that ends inside a word (``ret``) or inside indentation is tokenized unlike any training
text (the corpus saw ``return`` as one token). ``heal`` takes the last prompt token off, and
generation (``GenerateOptions.healed``) constrains the first new tokens to spell it again, so the
model continues from a natural token boundary. Pure tokenizer logic: no model calls.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from codegpt.model.tokens import SPECIAL_TOKENS

# A healed text is one token long; more constrained steps than this mean the model keeps
# choosing tiny pieces of it, and the generation gives up ('unhealed').
MAX_HEALING_STEPS = 4


class Vocabulary:
    """Each token id's text, sorted for prefix queries (built once per model, ~20 ms)."""

    def __init__(self, tokenizer: Any, size: int) -> None:
        texts = tokenizer.decode_batch([[i] for i in range(size)], skip_special_tokens=False)
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


def constrain(logprobs: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """``logprobs`` (V,) renormalised over ``allowed``; every other token gets -inf."""
    constrained = np.full_like(logprobs, -np.inf)
    sub = logprobs[allowed]
    constrained[allowed] = sub - np.logaddexp.reduce(sub)
    return constrained
