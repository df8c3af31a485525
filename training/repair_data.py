"""Repair pairs for the fine-tune: corrupted windows of real code and the same windows fixed.

Each example is one string in the repair prompt format,
``REPAIR_BROKEN broken-window REPAIR_FIXED fixed-window END_OF_TEXT``, so the model learns to
write the fixed window after the broken one, exactly as the server prompts it.

Documents are held out by package like the corpus: ``{split}.jsonl`` files of the corpus keep
their split; any other source (a folder of ``.py`` files, a jsonl of ``{package?, path, text}``)
is split by package with the corpus's own rule (``splits.assign_splits``).

    python -m codegpt.training.repair_data --input data/corpus --out data/repair
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from codegpt.model.tokens import END_OF_TEXT, REPAIR_BROKEN, REPAIR_FIXED
from codegpt.training.corrupt import (
    KINDS,
    RANDOM_KINDS,
    REALISTIC_KINDS,
    NotPython,
    corrupt,
    repair_window,
)
from codegpt.training.splits import SPLITS, SplitConfig, assign_splits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepairDataConfig:
    """How many pairs and of which mix."""

    pairs_per_document: int = 4
    realistic_share: float = 0.7  # the rest are Break-It-Fix-It random token edits
    two_error_share: float = 0.15  # windows with two errors, so the model sees compound breakage
    three_error_share: float = 0.05
    window_radius: int = 8  # lines either side of the reported error, like the server's prompt
    max_document_chars: int = 200_000  # huge generated files teach little and tokenize slowly
    seed: int = 1234


@dataclass(frozen=True)
class SourceDocument:
    """One Python file from some source, with the package that decides its split."""

    package: str
    path: str
    text: str


@dataclass(frozen=True)
class RepairPair:
    """A training pair and where it came from."""

    package: str
    path: str
    kinds: tuple[str, ...]
    broken: str
    fixed: str

    @property
    def text(self) -> str:
        """The pair in the repair prompt format the model trains on."""
        return format_pair(self.broken, self.fixed)


def format_pair(broken: str, fixed: str) -> str:
    """``REPAIR_BROKEN broken REPAIR_FIXED fixed END_OF_TEXT``."""
    return f"{REPAIR_BROKEN}{broken}{REPAIR_FIXED}{fixed}{END_OF_TEXT}"


def read_jsonl(path: Path) -> Iterator[SourceDocument]:
    """Documents of a jsonl file; a record without ``package`` uses its path's first folder."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text, doc_path = record["text"], record.get("path", f"{path.name}:{number}")
            except (json.JSONDecodeError, KeyError, TypeError) as error:
                raise ValueError(
                    f"{path}:{number}: not a {{path, text}} record: {error}"
                ) from error
            package = record.get("package") or Path(doc_path).parts[0]
            yield SourceDocument(package, doc_path, text)


def read_folder(folder: Path) -> Iterator[SourceDocument]:
    """Every readable UTF-8 ``.py`` file; the package is the first folder under ``folder``."""
    for path in sorted(folder.rglob("*.py")):
        if any(part.startswith(".") or part == "__pycache__" for part in path.parts):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            log.warning("skipping %s: %s", path, error)
            continue
        relative = path.relative_to(folder)
        package = relative.parts[0] if len(relative.parts) > 1 else relative.stem
        yield SourceDocument(package, str(relative), text)


def documents_by_split(source: Path, split_config: SplitConfig) -> dict[str, list[SourceDocument]]:
    """Documents per split: a corpus folder keeps its splits, anything else is split by package."""
    by_split: dict[str, list[SourceDocument]] = {split: [] for split in SPLITS}
    corpus_files = [source / f"{split}.jsonl" for split in SPLITS] if source.is_dir() else []
    if any(path.is_file() for path in corpus_files):
        for split, path in zip(SPLITS, corpus_files, strict=True):
            if path.is_file():
                by_split[split].extend(read_jsonl(path))
        if not by_split["train"]:
            log.warning(
                "%s has no train.jsonl (the corpus keeps train as token shards): pass a folder "
                "of .py files or a jsonl with --input for training pairs",
                source,
            )
        return by_split
    documents = list(read_jsonl(source) if source.is_file() else read_folder(source))
    sizes = Counter()
    for document in documents:
        sizes[document.package] += len(document.text.encode("utf-8"))
    assignment = assign_splits(sizes, split_config)
    for document in documents:
        by_split[assignment[document.package]].append(document)
    return by_split


def pairs_for_document(document: SourceDocument, config: RepairDataConfig) -> Iterator[RepairPair]:
    """Up to ``pairs_per_document`` pairs; a document that does not compile gives none."""
    if len(document.text) > config.max_document_chars or not document.text.strip():
        return
    rng = random.Random(f"{config.seed}:{document.package}:{document.path}")
    for _ in range(config.pairs_per_document):
        kinds = REALISTIC_KINDS if rng.random() < config.realistic_share else RANDOM_KINDS
        roll = rng.random()
        n_errors = 1
        if roll < config.three_error_share:
            n_errors = 3
        elif roll < config.three_error_share + config.two_error_share:
            n_errors = 2
        try:
            corruption = corrupt(document.text, kinds, rng, n_errors=n_errors)
        except NotPython:
            return
        if corruption is None:
            continue
        broken, fixed = repair_window(corruption, config.window_radius)
        yield RepairPair(document.package, document.path, corruption.kinds, broken, fixed)


def repair_pairs(
    documents: Iterable[SourceDocument], config: RepairDataConfig
) -> Iterator[RepairPair]:
    """Pairs for every document, in document order."""
    for document in documents:
        yield from pairs_for_document(document, config)


def formatted_examples(
    documents: Iterable[SourceDocument], config: RepairDataConfig | None = None
) -> Iterator[str]:
    """Training strings for the fine-tune loop, one per pair, in the repair prompt format."""
    for pair in repair_pairs(documents, config or RepairDataConfig()):
        yield pair.text


def read_pairs(path: Path) -> Iterator[str]:
    """Formatted training strings back from a jsonl written by :func:`write_pairs`."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)["text"]


def write_pairs(path: Path, pairs: Iterable[RepairPair]) -> Counter:
    """One JSON record a line (``text`` is the formatted example); returns counts per kind."""
    counts: Counter = Counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for pair in pairs:
            record = {**asdict(pair), "text": pair.text}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            counts.update(pair.kinds)
            counts["pairs"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    """Write ``{split}.jsonl`` repair pairs and a ``stats.json`` into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--input", type=Path, required=True, help="corpus folder, .py folder or jsonl"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for {split}.jsonl")
    parser.add_argument(
        "--pairs-per-document", type=int, default=RepairDataConfig.pairs_per_document
    )
    parser.add_argument("--seed", type=int, default=RepairDataConfig.seed)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    if not args.input.exists():
        print(f"repair_data: {args.input} does not exist", file=sys.stderr)
        return 2
    config = RepairDataConfig(pairs_per_document=args.pairs_per_document, seed=args.seed)
    stats = {}
    for split, documents in documents_by_split(args.input, SplitConfig()).items():
        if not documents:
            continue
        counts = write_pairs(args.out / f"{split}.jsonl", repair_pairs(documents, config))
        stats[split] = {"documents": len(documents), **counts}
        log.info("%s: %d documents, %d pairs", split, len(documents), counts["pairs"])
    stats["kinds"] = list(KINDS)
    stats["config"] = asdict(config)
    (args.out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
