"""Build the training corpus: manifest -> files -> filters -> dedup -> split -> tokenizer -> shards.

Everything that decides what goes where is deterministic (pinned versions, sorted walks, hashes
keyed by the seed), so the same manifest and seed give the same shards. ``manifest.json`` is
written last: a folder without one is an unfinished build.
"""

from __future__ import annotations

import json
import logging
import platform
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import tokenizers
from tqdm import tqdm

from codegpt.model.fim import apply_fim
from codegpt.model.paths import TOKENIZER_FILE
from codegpt.model.tokens import END_OF_TEXT_ID, SPECIAL_TOKENS
from codegpt.training.dedup import NearDupConfig, exact_dedup, near_dedup
from codegpt.training.documents import Document, RawFile
from codegpt.training.filters import REASONS, FilterConfig, check_source
from codegpt.training.shards import TOKEN_DTYPE, write_jsonl, write_shard
from codegpt.training.sources import (
    DownloadResult,
    ManifestError,
    SourceManifest,
    collect_archive,
    collect_local,
    collect_stdlib,
    fetch_all,
    load_manifest,
)
from codegpt.training.splits import SPLITS, SplitConfig, assign_splits, package_order_key
from codegpt.training.tokenizer import DEFAULT_VOCAB_SIZE, train_tokenizer

log = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
DEFAULT_MANIFEST = Path(__file__).resolve().parent / "sources.toml"


class CorpusError(RuntimeError):
    """The corpus cannot be built (nothing left to train on, output not writable, ...)."""


@dataclass
class CorpusConfig:
    """One corpus build."""

    manifest: Path = DEFAULT_MANIFEST
    out_dir: Path = Path("data/corpus")
    cache_dir: Path = Path("data/downloads")  # pip archives, reused across builds
    vocab_size: int = DEFAULT_VOCAB_SIZE
    local: tuple[Path, ...] = ()  # extra folders, on top of the manifest's
    download: bool = True  # False: PyPI packages only from the cache
    seed: int = 1234
    fim_rate: float = 0.5  # Bavarian et al.: 0.5 costs no left-to-right quality
    spm_rate: float = 0.5
    download_jobs: int = 6
    show_progress: bool = True
    filters: FilterConfig = field(default_factory=FilterConfig)
    near_dup: NearDupConfig = field(default_factory=NearDupConfig)
    splits: SplitConfig = field(default_factory=SplitConfig)


@dataclass
class PackageInfo:
    """Per-package bookkeeping for the manifest."""

    source: str
    files_seen: int = 0
    files_kept: int = 0
    bytes_kept: int = 0
    split: str = ""
    filtered: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict:
        """The package's manifest entry."""
        return {
            "source": self.source,
            "split": self.split,
            "files_seen": self.files_seen,
            "files_kept": self.files_kept,
            "bytes_kept": self.bytes_kept,
            "filtered": dict(sorted(self.filtered.items())),
        }


class Timer:
    """Wall time of each pipeline step, for the manifest."""

    def __init__(self) -> None:
        self.durations: dict[str, float] = {}
        self.start = time.perf_counter()
        self.last = self.start

    def lap(self, step: str) -> None:
        """Close the current step."""
        now = time.perf_counter()
        self.durations[step] = round(now - self.last, 2)
        self.last = now
        log.info("%s done in %.1f s", step, self.durations[step])

    def total(self) -> float:
        """Seconds since the build started."""
        return round(time.perf_counter() - self.start, 2)


def raw_files(
    manifest: SourceManifest, downloads: list[DownloadResult], locals_: list[Path], limit: int
) -> Iterator[tuple[str, RawFile]]:
    """Every candidate file with the kind of source it came from."""
    for raw in collect_stdlib(manifest.stdlib, limit):
        yield "stdlib", raw
    for result in downloads:
        if result.archive is not None:
            for raw in collect_archive(result, limit):
                yield "pypi", raw
    for folder in locals_:
        for raw in collect_local(folder, limit):
            yield "local", raw


def cap_packages(
    documents: list[Document], caps: dict[str, float | None], seed: int
) -> tuple[list[Document], Counter[str]]:
    """Keep at most ``caps[package]`` MB of each package, files chosen by a stable hash."""
    by_package: dict[str, list[Document]] = defaultdict(list)
    for document in documents:
        by_package[document.package].append(document)
    kept: list[Document] = []
    dropped: Counter[str] = Counter()
    for package, members in by_package.items():
        cap = caps.get(package)
        if cap is None:
            kept.extend(members)
            continue
        budget = cap * 1_000_000
        used = 0
        for document in sorted(members, key=lambda d: package_order_key(d.path, seed)):
            size = len(document.text.encode("utf-8"))
            if used + size <= budget:
                kept.append(document)
                used += size
            else:
                dropped[package] += 1
    kept.sort(key=lambda d: (d.package, d.path))
    return kept, dropped


def pypi_records(downloads: list[DownloadResult]) -> list[dict]:
    """What the manifest says about each PyPI source: version, licence, archive, errors."""
    return [
        {
            "name": r.source.name,
            "version": r.source.version,
            "license": r.license,
            "ok": r.archive is not None,
            "cached": r.cached,
            "error": r.error,
            **r.metadata,
        }
        for r in downloads
    ]


@dataclass
class Gathered:
    """Documents that passed the filters, the per-package caps and de-duplication."""

    documents: list[Document]
    packages: dict[str, PackageInfo]
    filtered: Counter[str]
    after_filters: int
    exact_removed: int
    near_removed: int

    def counts(self, documents: int) -> dict:
        """The manifest's counts: files seen, filtered by reason, duplicates, ``documents`` kept."""
        return {
            "files_seen": sum(info.files_seen for info in self.packages.values()),
            "filtered": {r: self.filtered.get(r, 0) for r in (*REASONS, "package_cap")},
            "after_filters": self.after_filters,
            "exact_duplicates": self.exact_removed,
            "near_duplicates": self.near_removed,
            "documents": documents,
        }


def gather_documents(
    manifest: SourceManifest,
    downloads: list[DownloadResult],
    locals_: list[Path],
    config: CorpusConfig,
    timer: Timer,
) -> Gathered:
    """Read every source file, filter, cap each package and remove duplicates."""
    packages: dict[str, PackageInfo] = {}
    filtered: Counter[str] = Counter()
    documents: list[Document] = []
    seen_paths: set[tuple[str, str]] = set()
    for kind, raw in tqdm(
        raw_files(manifest, downloads, locals_, config.filters.max_bytes),
        desc="read+filter",
        unit="file",
        disable=not config.show_progress,
        mininterval=1.0,
    ):
        if (raw.package, raw.path) in seen_paths:
            continue  # a local folder named twice
        seen_paths.add((raw.package, raw.path))
        info = packages.setdefault(raw.package, PackageInfo(source=kind))
        info.files_seen += 1
        text, reason = check_source(raw.data, config.filters)
        if text is None:
            filtered[reason] += 1
            info.filtered[reason] += 1
            continue
        documents.append(Document(raw.package, raw.path, text))
    timer.lap("read_filter")

    caps: dict[str, float | None] = {name: manifest.max_package_mb for name in packages}
    caps.update({s.name: s.max_mb for s in manifest.pypi if s.max_mb is not None})
    documents, over_cap = cap_packages(documents, caps, config.seed)
    for package, count in over_cap.items():
        packages[package].filtered["package_cap"] += count
    filtered["package_cap"] = sum(over_cap.values())

    after_filters = len(documents)
    documents, exact_removed = exact_dedup(documents)
    timer.lap("exact_dedup")
    documents, near_removed = near_dedup(documents, config.near_dup, config.show_progress)
    timer.lap("near_dedup")
    return Gathered(documents, packages, filtered, after_filters, exact_removed, near_removed)


def build_corpus(config: CorpusConfig) -> dict:
    """Run the whole pipeline and return the manifest that was written."""
    timer = Timer()
    manifest = load_manifest(config.manifest)
    locals_ = [Path(p) for p in manifest.local] + list(config.local)
    for folder in locals_:
        if not folder.is_dir():
            raise CorpusError(f"local source folder {folder} does not exist")
    out = config.out_dir
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / MANIFEST_FILE).unlink(missing_ok=True)
    except OSError as error:
        raise CorpusError(f"cannot write to {out}: {error}") from error

    downloads = (
        fetch_all(
            manifest.pypi, config.cache_dir, config.download, config.download_jobs,
            config.show_progress,
        )
        if manifest.pypi
        else []
    )  # fmt: skip
    timer.lap("download")

    gathered = gather_documents(manifest, downloads, locals_, config, timer)
    documents, packages = gathered.documents, gathered.packages
    if not documents:
        raise CorpusError("no source file survived the filters: nothing to train on")

    for document in documents:
        info = packages[document.package]
        info.files_kept += 1
        info.bytes_kept += len(document.text.encode("utf-8"))
    kept_bytes = {name: info.bytes_kept for name, info in packages.items() if info.files_kept}
    assignment = assign_splits(kept_bytes, config.splits)
    by_split: dict[str, list[Document]] = {split: [] for split in SPLITS}
    for document in documents:
        by_split[assignment[document.package]].append(document)
    for name, split in assignment.items():
        packages[name].split = split
    if not by_split["train"]:
        raise CorpusError("the train split is empty: add sources")
    timer.lap("split")

    train_docs = by_split["train"]
    tokenizer = train_tokenizer(
        (d.text for d in train_docs),
        config.vocab_size,
        length=len(train_docs),
        show_progress=config.show_progress,
    )
    tokenizer.save(str(out / TOKENIZER_FILE))
    timer.lap("tokenizer")

    shuffled = list(train_docs)
    random.Random(config.seed).shuffle(shuffled)
    fim_rng = random.Random(config.seed + 1)
    shard_stats = {}

    def fim_examples(docs: list[Document], rng: random.Random) -> Iterator[tuple[str, int]]:
        for doc in docs:
            example = apply_fim(doc.text, rng, config.fim_rate, config.spm_rate)
            yield example, len(doc.text.encode("utf-8"))

    def plain(docs: list[Document]) -> Iterator[tuple[str, int]]:
        return ((doc.text, len(doc.text.encode("utf-8"))) for doc in docs)

    shard_stats["train"] = write_shard(
        out / "train.bin", fim_examples(shuffled, fim_rng), tokenizer,
        total=len(shuffled), show_progress=config.show_progress,
    )  # fmt: skip
    for split in ("val", "test"):
        docs = by_split[split]
        shard_stats[split] = write_shard(
            out / f"{split}.bin", plain(docs), tokenizer,
            total=len(docs), show_progress=config.show_progress,
        )  # fmt: skip
        write_jsonl(out / f"{split}.jsonl", docs)
    shard_stats["val_fim"] = write_shard(
        out / "val_fim.bin", fim_examples(by_split["val"], random.Random(config.seed + 2)),
        tokenizer, total=len(by_split["val"]), show_progress=config.show_progress,
    )  # fmt: skip
    timer.lap("tokenize")

    result = {
        "format": {
            "token_dtype": TOKEN_DTYPE.str,
            "end_of_text_id": END_OF_TEXT_ID,
            "special_tokens": list(SPECIAL_TOKENS),
            "shards": {
                "train.bin": "train split, shuffled, FIM applied, END_OF_TEXT after each",
                "val.bin": "val split, plain documents, END_OF_TEXT after each",
                "test.bin": "test split, plain documents, END_OF_TEXT after each",
                "val_fim.bin": "val split with FIM applied (FIM loss)",
                "val.jsonl": "raw val documents {package, path, text}",
                "test.jsonl": "raw test documents {package, path, text}",
            },
        },
        "config": {
            "vocab_size": tokenizer.get_vocab_size(),
            "seed": config.seed,
            "fim_rate": config.fim_rate,
            "spm_rate": config.spm_rate,
            "filters": asdict(config.filters),
            "near_dup": asdict(config.near_dup),
            "splits": asdict(config.splits),
        },
        "environment": {
            "python": platform.python_version(),
            "tokenizers": tokenizers.__version__,
            "platform": sys.platform,
        },
        "sources": {
            "manifest": str(config.manifest),
            "stdlib": manifest.stdlib.record(),
            "pypi": pypi_records(downloads),
            "local": [str(folder) for folder in locals_],
        },
        "counts": gathered.counts(len(documents)),
        "splits": {
            split: {
                "packages": sorted({d.package for d in by_split[split]}),
                **shard_stats[split].as_dict(),
            }
            for split in SPLITS
        },
        "val_fim": shard_stats["val_fim"].as_dict(),
        "bytes_per_token_test": shard_stats["test"].as_dict()["bytes_per_token"],
        "packages": {name: info.as_dict() for name, info in sorted(packages.items())},
        "durations_s": {**timer.durations, "total": timer.total()},
    }
    (out / MANIFEST_FILE).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


__all__ = ["CorpusConfig", "CorpusError", "ManifestError", "build_corpus", "DEFAULT_MANIFEST"]
