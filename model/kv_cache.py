"""Attention keys/values between model calls (``Past``) and a per-document cache of them.

``Past`` is the runtime's view of the exported graph's cache inputs: one key and one value array
per layer, keys stored transposed (batch, n_head, head_dim, length) so attention multiplies by
them without a transpose, values (batch, n_head, length, head_dim). Each call appends to every
array once (a Concat in the graph); nothing else copies the cache.

Typing at the cursor only appends to an SPM fill-in-the-middle prompt, so the next request
shares a long prefix with the last one. ``CodeModel`` runs only the tokens after that shared
prefix, restarting at a chunk boundary (see ``reuse_length``) so the result is exactly what a
fresh run computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

KEY_AXIS = 3  # position axis of a key array (batch, n_head, head_dim, length)
VALUE_AXIS = 2  # position axis of a value array (batch, n_head, length, head_dim)


def past_input_names(n_layer: int) -> list[str]:
    """The exported graph's cache inputs, layer by layer: past_key_0, past_value_0, ..."""
    return [f"past_{kind}_{layer}" for layer in range(n_layer) for kind in ("key", "value")]


def present_output_names(n_layer: int) -> list[str]:
    """The exported graph's cache outputs, in the order of ``past_input_names``."""
    return [f"present_{kind}_{layer}" for layer in range(n_layer) for kind in ("key", "value")]


@dataclass(frozen=True)
class Past:
    """Keys/values of every layer for a batch of sequences of equal length.

    ``arrays`` alternates key and value per layer, in the graph's input order. A ``Past`` is
    never modified: each model call returns a new one (the graph's present outputs).
    """

    arrays: tuple[np.ndarray, ...]

    @classmethod
    def empty(cls, n_layer: int, n_head: int, head_dim: int, batch: int = 1) -> Past:
        """A zero-length cache for ``batch`` sequences."""
        key = np.zeros((batch, n_head, head_dim, 0), np.float32)
        value = np.zeros((batch, n_head, 0, head_dim), np.float32)
        return cls((key, value) * n_layer)

    @property
    def n_layer(self) -> int:
        """Number of layers."""
        return len(self.arrays) // 2

    @property
    def length(self) -> int:
        """Tokens cached per sequence."""
        return int(self.arrays[1].shape[VALUE_AXIS])

    @property
    def batch(self) -> int:
        """Sequences in the batch."""
        return int(self.arrays[0].shape[0])

    def feeds(self) -> dict[str, np.ndarray]:
        """The graph's cache inputs by name."""
        return dict(zip(past_input_names(self.n_layer), self.arrays, strict=True))

    def prefix(self, length: int) -> Past:
        """The first ``length`` positions (contiguous copies: the cache of a shorter prompt)."""
        if length == self.length:
            return self
        arrays = []
        for i, array in enumerate(self.arrays):
            index = [slice(None)] * array.ndim
            index[KEY_AXIS if i % 2 == 0 else VALUE_AXIS] = slice(0, length)
            arrays.append(np.ascontiguousarray(array[tuple(index)]))
        return Past(tuple(arrays))

    def take(self, rows: Sequence[int]) -> Past:
        """The sequences at ``rows`` (beam parents, sequences still running), in that order."""
        index = np.asarray(rows, dtype=np.int64)
        return Past(tuple(np.take(a, index, axis=0) for a in self.arrays))

    def repeat(self, n: int) -> Past:
        """Each sequence ``n`` times (one prompt, n continuations)."""
        return Past(tuple(np.repeat(a, n, axis=0) for a in self.arrays))


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
    # Keys/values of ``token_ids`` (batch 1), or None when empty.
    past: Past | None = None
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

    def store(self, token_ids: Sequence[int], past: Past, next_logprobs: np.ndarray | None) -> None:
        """Replace the cached state after a prefill (``next_logprobs`` None: a cut-short one)."""
        self.token_ids = list(token_ids)
        self.past = past
        self.next_logprobs = next_logprobs
