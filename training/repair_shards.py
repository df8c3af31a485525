"""Token shards of repair pairs, to mix into training next to the language-modelling data.

The corpus keeps train documents only as token shards, so train documents are decoded back from
``train.bin`` (FIM examples are put back together first); validation and test come from the
corpus's raw ``{split}.jsonl``. Splits stay exactly the corpus's, by package. Output per split:
``repair_{split}.bin`` (uint16, examples in the repair prompt format, each ending in END_OF_TEXT)
and ``repair_{split}.jsonl`` (the pairs, for benchmarks).

    python -m codegpt.training.repair_shards --corpus data/corpus --out data/repair
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import random
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from codegpt.model.fim import recover_document
from codegpt.model.tokens import END_OF_TEXT_ID
from codegpt.training.repair_data import (
    RepairDataConfig,
    RepairPair,
    SourceDocument,
    pairs_for_document,
    write_pairs,
)
from codegpt.training.tokenizer import decode, load_tokenizer

log = logging.getLogger(__name__)


def train_documents(corpus: Path, limit: int, seed: int, max_chars: int) -> list[SourceDocument]:
    """Up to ``limit`` train documents decoded from ``train.bin`` (a deterministic sample)."""
    tokenizer = load_tokenizer(corpus / "tokenizer.json")
    tokens = np.memmap(corpus / "train.bin", dtype="<u2", mode="r")
    ends = np.flatnonzero(tokens == END_OF_TEXT_ID)
    starts = np.concatenate(([0], ends[:-1] + 1))
    order = list(range(len(ends)))
    random.Random(seed).shuffle(order)
    documents = []
    for index in tqdm(order, desc="decode train docs", unit="doc", file=sys.stderr):
        if len(documents) >= limit:
            break
        ids = tokens[starts[index] : ends[index]].tolist()
        if len(ids) * 2 > max_chars:  # a token is at least ~2 characters of code
            continue
        text = recover_document(decode(tokenizer, ids))
        documents.append(SourceDocument("train", f"train-{index}", text))
    return documents


def split_documents(corpus: Path, split: str) -> list[SourceDocument]:
    """Raw documents of a held-out split."""
    with (corpus / f"{split}.jsonl").open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return [SourceDocument(r["package"], r["path"], r["text"]) for r in records]


def document_pairs(document: SourceDocument, config: RepairDataConfig) -> list[RepairPair]:
    """One document's pairs as a list (what a worker process sends back)."""
    return list(pairs_for_document(document, config))


def pairs_with_progress(
    documents: list[SourceDocument], config: RepairDataConfig, label: str, jobs: int = 1
) -> Iterator[RepairPair]:
    """Pairs for every document in document order, with a progress bar.

    Corrupting is the slow step (every candidate is compiled). Each document's pairs depend only
    on the seed and the document, so ``jobs`` worker processes give the same pairs as one.
    """
    progress = partial(tqdm, desc=f"corrupt {label}", unit="doc", file=sys.stderr)
    if jobs <= 1 or len(documents) < 2:
        for document in progress(documents):
            yield from pairs_for_document(document, config)
        return
    with multiprocessing.Pool(jobs) as pool:
        work = pool.imap(partial(document_pairs, config=config), documents, chunksize=4)
        for pairs in progress(work, total=len(documents)):
            yield from pairs


def write_token_shard(path: Path, texts: list[str], corpus: Path) -> int:
    """Tokenize formatted examples (their special tokens become single ids) into a shard."""
    tokenizer = load_tokenizer(corpus / "tokenizer.json")
    chunks = []
    for start in tqdm(range(0, len(texts), 512), desc=f"tokenize {path.name}", file=sys.stderr):
        for encoding in tokenizer.encode_batch(texts[start : start + 512]):
            chunks.append(np.asarray(encoding.ids, dtype="<u2"))
    tokens = np.concatenate(chunks) if chunks else np.zeros(0, dtype="<u2")
    tokens.tofile(path)
    return len(tokens)


def main(argv: list[str] | None = None) -> int:
    """Build repair shards for train, val and test."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--out", type=Path, default=Path("data/repair"))
    parser.add_argument("--train-documents", type=int, default=3000)
    parser.add_argument("--held-out-documents", type=int, default=150)
    parser.add_argument("--pairs-per-document", type=int, default=4)
    parser.add_argument(
        "--max-document-chars",
        type=int,
        default=20_000,
        help="skip larger files: corrupting re-compiles the whole file, and windows are local",
    )
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument(
        "--jobs", type=int, default=1, help="worker processes for corrupting (same output)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    config = RepairDataConfig(
        pairs_per_document=args.pairs_per_document,
        max_document_chars=args.max_document_chars,
        seed=args.seed,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    stats = {}
    for split in ("val", "test", "train"):
        if split == "train":
            documents = train_documents(
                args.corpus, args.train_documents, args.seed, args.max_document_chars
            )
        else:
            documents = split_documents(args.corpus, split)[: args.held_out_documents]
        pairs = list(pairs_with_progress(documents, config, split, args.jobs))
        counts = write_pairs(args.out / f"repair_{split}.jsonl", pairs)
        n_tokens = write_token_shard(
            args.out / f"repair_{split}.bin", [pair.text for pair in pairs], args.corpus
        )
        stats[split] = {"documents": len(documents), "tokens": n_tokens, **counts}
        log.info(
            "%s: %d documents, %d pairs, %d tokens", split, len(documents), len(pairs), n_tokens
        )
    (args.out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
