"""Token shards: flat little-endian uint16 streams, one END_OF_TEXT after every document.

The format is nanoGPT's: ``np.memmap(path, dtype="<u2", mode="r")`` reads a shard without
loading it, and training samples random windows from it. uint16 is enough for any vocabulary up
to 65536 and halves the size of the shards.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer
from tqdm import tqdm

from codegpt.model.tokens import END_OF_TEXT_ID
from codegpt.training.documents import Document

TOKEN_DTYPE = np.dtype("<u2")
BATCH_DOCUMENTS = 256


@dataclass
class ShardStats:
    """What a shard holds; ``tokens`` counts END_OF_TEXT separators, ``content_tokens`` not."""

    documents: int = 0
    tokens: int = 0
    text_bytes: int = 0  # UTF-8 bytes of the original documents: the bits-per-byte denominator

    @property
    def content_tokens(self) -> int:
        """Tokens of the documents themselves."""
        return self.tokens - self.documents

    def as_dict(self) -> dict[str, float]:
        """For the manifest."""
        return {
            "documents": self.documents,
            "tokens": self.tokens,
            "content_tokens": self.content_tokens,
            "bytes": self.text_bytes,
            "bytes_per_token": round(self.text_bytes / max(1, self.content_tokens), 4),
        }


def write_shard(
    path: Path,
    examples: Iterable[tuple[str, int]],
    tokenizer: Tokenizer,
    *,
    total: int,
    show_progress: bool = True,
) -> ShardStats:
    """Tokenize ``(example text, original document bytes)`` pairs into a shard at ``path``.

    The example may be a FIM transform of the document; its byte count is the document's, so
    bits per byte stays defined by the text being modelled.
    """
    if tokenizer.get_vocab_size() > np.iinfo(TOKEN_DTYPE).max + 1:
        raise ValueError(f"vocabulary of {tokenizer.get_vocab_size()} does not fit in uint16")
    stats = ShardStats()
    batch: list[tuple[str, int]] = []
    label = path.name.removesuffix(".bin")
    with (
        path.open("wb") as handle,
        tqdm(total=total, desc=f"tokenize {label}", unit="doc", disable=not show_progress) as bar,
    ):

        def flush() -> None:
            encodings = tokenizer.encode_batch([text for text, _ in batch])
            ids: list[int] = []
            for encoding in encodings:
                ids.extend(encoding.ids)
                ids.append(END_OF_TEXT_ID)
            np.asarray(ids, dtype=TOKEN_DTYPE).tofile(handle)
            stats.documents += len(batch)
            stats.tokens += len(ids)
            stats.text_bytes += sum(size for _, size in batch)
            bar.update(len(batch))
            batch.clear()

        for example in examples:
            batch.append(example)
            if len(batch) >= BATCH_DOCUMENTS:
                flush()
        if batch:
            flush()
    return stats


def write_jsonl(path: Path, documents: Sequence[Document]) -> None:
    """Raw documents, one JSON object a line: evaluation needs text, not tokens."""
    with path.open("w", encoding="utf-8") as handle:
        for document in documents:
            record = {"package": document.package, "path": document.path, "text": document.text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_shard(path: Path) -> np.ndarray:
    """A shard as a read-only memmap of token ids."""
    return np.memmap(path, dtype=TOKEN_DTYPE, mode="r")
