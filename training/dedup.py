"""Exact and near-duplicate removal (MinHash + LSH over token shingles, numpy only).

Duplicates waste training steps and, worse, leak between splits: a file copied into two
packages (pip vendoring requests, say) could be trained on and then evaluated on. Exact copies
are found by a hash of the whitespace-normalised text; near copies by MinHash signatures of
5-token shingles, bucketed by LSH bands and confirmed by the signature agreement (an unbiased
estimate of Jaccard similarity). Hashes are keyed by fixed constants, never Python's salted
``hash``, so a rebuild removes the same files.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from codegpt.training.documents import Document

WORD = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class NearDupConfig:
    """MinHash/LSH parameters."""

    threshold: float = 0.85  # estimated Jaccard at or above which two files count as one
    num_perm: int = 128
    bands: int = 16  # 16 bands of 8 rows: candidates from Jaccard ~0.7, then verified
    shingle: int = 5  # tokens per shingle
    seed: int = 1234


def normalized_hash(text: str) -> str:
    """Hash of the text with trailing spaces and blank lines removed."""
    lines = (line.rstrip() for line in text.splitlines())
    normalized = "\n".join(line for line in lines if line)
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def exact_dedup(documents: Sequence[Document]) -> tuple[list[Document], int]:
    """Keep one document per normalised text; returns the kept ones and how many were dropped."""
    best: dict[str, Document] = {}
    for document in documents:
        key = normalized_hash(document.text)
        current = best.get(key)
        if current is None or document.keep_order() < current.keep_order():
            best[key] = document
    kept = set(map(id, best.values()))
    survivors = [document for document in documents if id(document) in kept]
    return survivors, len(documents) - len(survivors)


class MinHasher:
    """MinHash signatures over hashed token shingles, vectorised with uint64 arithmetic."""

    def __init__(self, config: NearDupConfig) -> None:
        self.config = config
        rng = np.random.default_rng(config.seed)
        # Odd multipliers make a*x+b a bijection of the 64-bit integers; the high bits are used.
        self.mul = rng.integers(1, 2**63, size=config.num_perm, dtype=np.uint64) * 2 + 1
        self.add = rng.integers(0, 2**63, size=config.num_perm, dtype=np.uint64)
        self.positions = rng.integers(1, 2**63, size=config.shingle, dtype=np.uint64) * 2 + 1
        self.token_ids: dict[str, int] = {}

    def token_hash(self, token: str) -> int:
        """A stable 64-bit hash of one token, cached: most tokens repeat across files."""
        value = self.token_ids.get(token)
        if value is None:
            digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8)
            value = int.from_bytes(digest.digest(), "little")
            self.token_ids[token] = value
        return value

    def shingles(self, text: str) -> np.ndarray:
        """Unique 64-bit hashes of the overlapping token k-grams of ``text``."""
        tokens = WORD.findall(text)
        hashes = np.fromiter(map(self.token_hash, tokens), dtype=np.uint64, count=len(tokens))
        width = min(self.config.shingle, len(hashes))
        if width == 0:
            return np.zeros(1, dtype=np.uint64)
        count = len(hashes) - width + 1
        combined = np.zeros(count, dtype=np.uint64)
        for offset in range(width):
            combined += hashes[offset : offset + count] * self.positions[offset]
        return np.unique(combined)

    def signature(self, text: str) -> np.ndarray:
        """The ``num_perm`` minima, as uint32 (high halves of the permuted hashes)."""
        shingles = self.shingles(text)
        signature = np.full(self.config.num_perm, np.iinfo(np.uint64).max, dtype=np.uint64)
        for start in range(0, len(shingles), 8192):
            block = shingles[None, start : start + 8192]
            permuted = (self.mul[:, None] * block + self.add[:, None]) >> np.uint64(32)
            np.minimum(signature, permuted.min(axis=1), out=signature)
        return signature.astype(np.uint32)


def band_key(signature: np.ndarray, band: int, rows: int) -> bytes:
    """The LSH bucket key of one band of a signature."""
    return signature[band * rows : (band + 1) * rows].tobytes()


def signatures_of(
    documents: Sequence[Document], hasher: MinHasher, show_progress: bool, desc: str = "minhash"
) -> np.ndarray:
    """One MinHash signature row per document."""
    if not documents:
        return np.zeros((0, hasher.config.num_perm), dtype=np.uint32)
    return np.stack(
        [
            hasher.signature(document.text)
            for document in tqdm(
                documents, desc=desc, unit="file", disable=not show_progress, mininterval=1.0
            )
        ]
    )


def near_copies_of(
    documents: Sequence[Document],
    reference: Sequence[Document],
    config: NearDupConfig = NearDupConfig(),
    show_progress: bool = True,
) -> list[bool]:
    """For each document, whether it is an exact or near copy of some reference document.

    Used when sources are added to a built corpus: a new train file that copies a validation or
    test file would leak the held-out split into training.
    """
    exact = {normalized_hash(document.text) for document in reference}
    hasher = MinHasher(config)
    known = signatures_of(reference, hasher, show_progress, desc="minhash held-out")
    mine = signatures_of(documents, hasher, show_progress)
    rows = config.num_perm // config.bands
    buckets: list[dict[bytes, list[int]]] = [defaultdict(list) for _ in range(config.bands)]
    for index, signature in enumerate(known):
        for band in range(config.bands):
            buckets[band][band_key(signature, band, rows)].append(index)

    def copies_one(text: str, signature: np.ndarray) -> bool:
        if normalized_hash(text) in exact:
            return True
        return any(
            float(np.mean(signature == known[other])) >= config.threshold
            for band in range(config.bands)
            for other in buckets[band].get(band_key(signature, band, rows), [])
        )

    return [copies_one(d.text, signature) for d, signature in zip(documents, mine, strict=True)]


def near_dedup(
    documents: Sequence[Document],
    config: NearDupConfig = NearDupConfig(),
    show_progress: bool = True,
) -> tuple[list[Document], int]:
    """Drop all but one document of each near-duplicate cluster; returns kept and dropped count."""
    if not documents:
        return [], 0
    signatures = signatures_of(documents, MinHasher(config), show_progress)
    parent = list(range(len(documents)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    rows = config.num_perm // config.bands
    for band in range(config.bands):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        for index, signature in enumerate(signatures):
            buckets[band_key(signature, band, rows)].append(index)
        for members in buckets.values():
            # Compare with the bucket's first member only: linear even for huge buckets, and the
            # other bands give the remaining pairs their chances.
            head = members[0]
            for other in members[1:]:
                if find(head) == find(other):
                    continue
                agreement = float(np.mean(signatures[head] == signatures[other]))
                if agreement >= config.threshold:
                    parent[find(other)] = find(head)
    clusters: dict[int, list[int]] = defaultdict(list)
    for index in range(len(documents)):
        clusters[find(index)].append(index)
    keep = {min(members, key=lambda i: documents[i].keep_order()) for members in clusters.values()}
    kept = [document for index, document in enumerate(documents) if index in keep]
    return kept, len(documents) - len(kept)
