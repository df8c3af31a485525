"""A per-document key/value cache: the last prompt's tokens and their attention keys/values.

Typing at the cursor only appends to an SPM fill-in-the-middle prompt, so the next request
shares a long prefix with the last one. ``CodeModel`` runs only the tokens after that shared
prefix, restarting at a chunk boundary (see ``reuse_length``) so the result is exactly what a
fresh run computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token sequences."""
    n = min(len(a), len(b))
    if n == 0:
        return 0
    left = np.asarray(a[:n], dtype=np.int64)
    right = np.asarray(b[:n], dtype=np.int64)
    mismatch = np.flatnonzero(left != right)
    return int(mismatch[0]) if mismatch.size else n


@dataclass
class KVCache:
    """Keys/values of ``token_ids`` at positions 0..len-1, and the log-probs after the last one.

    Holds one sequence (batch 1). Only prompt tokens are stored, all computed in position-aligned
    chunks; tokens a generation decoded one at a time are not, because a fresh run would compute
    them in a chunk (with int8 dynamic quantization the two differ in the last bits).
    """

    token_ids: list[int] = field(default_factory=list)
    # (n_layer, 2, 1, n_head, len(token_ids), head_dim), or None when empty.
    past: np.ndarray | None = None
    # Log-softmax over the vocabulary for the token after ``token_ids``.
    next_logprobs: np.ndarray | None = None
    # Statistics: how many tokens requests reused and how many they had to run.
    reused_tokens: int = 0
    computed_tokens: int = 0

    def __len__(self) -> int:
        return len(self.token_ids)

    def clear(self) -> None:
        """Forget everything (the statistics stay)."""
        self.token_ids = []
        self.past = None
        self.next_logprobs = None

    def reuse_length(self, prompt_ids: Sequence[int], chunk: int) -> int:
        """How many leading tokens of ``prompt_ids`` can be taken from the cache.

        The shared prefix rounded down to a multiple of ``chunk``: prefill always runs
        position-aligned chunks, so restarting at a chunk boundary recomputes exactly the chunks
        a fresh run would compute.
        """
        shared = common_prefix_length(self.token_ids, prompt_ids)
        return (shared // chunk) * chunk

    def store(self, token_ids: Sequence[int], past: np.ndarray, next_logprobs: np.ndarray) -> None:
        """Replace the cached state after a prefill."""
        self.token_ids = list(token_ids)
        self.past = past
        self.next_logprobs = next_logprobs
