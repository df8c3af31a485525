"""Add train-split sources to a built corpus, keeping its tokenizer and held-out splits.

A trained model's token ids belong to its tokenizer, and its validation and test numbers are
only comparable while those splits stay put; rebuilding the corpus from a longer manifest would
change both. Extending writes a new corpus folder instead: the base's tokenizer, val and test
files copied byte for byte, and a train shard that is the base's followed by the new sources
(FIM applied, optionally several draws of each: small clean sources can be upsampled). New files
that copy a held-out file, exactly or nearly, are dropped, so nothing leaks into training.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from codegpt.model.fim import apply_fim
from codegpt.model.paths import TOKENIZER_FILE
from codegpt.training.corpus import (
    MANIFEST_FILE,
    CorpusConfig,
    CorpusError,
    Timer,
    gather_documents,
    pypi_records,
)
from codegpt.training.dedup import NearDupConfig, near_copies_of
from codegpt.training.documents import Document
from codegpt.training.filters import FilterConfig
from codegpt.training.shards import ShardStats, write_shard
from codegpt.training.sources import fetch_all, load_manifest
from codegpt.training.tokenizer import load_tokenizer

HELD_OUT_FILES = ("val.bin", "test.bin", "val_fim.bin", "val.jsonl", "test.jsonl")


@dataclass
class ExtendConfig:
    """One extension of a built corpus."""

    base_dir: Path
    manifest: Path  # the added sources; its stdlib table is ignored unless include = true
    out_dir: Path
    cache_dir: Path = Path("data/downloads")
    local: tuple[Path, ...] = ()
    download: bool = True
    repeat: int = 1  # FIM draws of each added document in the train shard
    seed: int = 1234
    show_progress: bool = True
    # None: the settings recorded in the base's manifest, so added files pass the same gates.
    filters: FilterConfig | None = None
    near_dup: NearDupConfig | None = None


def read_base(base: Path) -> dict:
    """The base corpus manifest; a folder without one is not a finished build."""
    try:
        return json.loads((base / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        message = f"{base} is not a finished corpus build ({MANIFEST_FILE}: {error})"
        raise CorpusError(message) from error


def held_out_documents(base: Path) -> list[Document]:
    """The base's validation and test documents, from their raw JSONL files."""
    documents = []
    for name in ("val.jsonl", "test.jsonl"):
        with (base / name).open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                documents.append(Document(record["package"], record["path"], record["text"]))
    return documents


def recorded_settings(
    base_manifest: dict, config: ExtendConfig
) -> tuple[FilterConfig, NearDupConfig]:
    """The filter and near-duplicate settings: the config's, else those the base was built with."""
    recorded = base_manifest.get("config", {})
    try:
        filters = config.filters or FilterConfig(**recorded.get("filters", {}))
        near_dup = config.near_dup or NearDupConfig(**recorded.get("near_dup", {}))
    except TypeError as error:
        raise CorpusError(
            f"the base manifest records settings this version cannot read: {error}"
        ) from error
    return filters, near_dup


def extend_corpus(config: ExtendConfig) -> dict:
    """Write the extended corpus to ``config.out_dir`` and return its manifest."""
    if config.repeat < 1:
        raise CorpusError(f"--repeat must be at least 1 (got {config.repeat})")
    base, out = config.base_dir, config.out_dir
    base_manifest = read_base(base)
    if out.resolve() == base.resolve():
        raise CorpusError("the extended corpus needs its own folder (--out must not be the base)")
    timer = Timer()
    manifest = load_manifest(config.manifest)
    known = sorted({source.name for source in manifest.pypi} & set(base_manifest["packages"]))
    if known:  # before any download
        raise CorpusError(f"packages already in the base corpus {base}: {', '.join(known)}")
    locals_ = [Path(p) for p in manifest.local] + list(config.local)
    for folder in locals_:
        if not folder.is_dir():
            raise CorpusError(f"local source folder {folder} does not exist")
    filters, near_dup = recorded_settings(base_manifest, config)
    settings = CorpusConfig(
        manifest=config.manifest,
        out_dir=out,
        cache_dir=config.cache_dir,
        download=config.download,
        seed=config.seed,
        show_progress=config.show_progress,
        filters=filters,
        near_dup=near_dup,
    )
    downloads = fetch_all(
        manifest.pypi, config.cache_dir, config.download, settings.download_jobs,
        config.show_progress,
    ) if manifest.pypi else []  # fmt: skip
    timer.lap("download")
    gathered = gather_documents(manifest, downloads, locals_, settings, timer)
    clashes = sorted({d.package for d in gathered.documents} & set(base_manifest["packages"]))
    if clashes:
        raise CorpusError(f"packages already in the base corpus {base}: {', '.join(clashes)}")
    copies = near_copies_of(
        gathered.documents, held_out_documents(base), settings.near_dup, config.show_progress
    )
    added = [doc for doc, copy in zip(gathered.documents, copies, strict=True) if not copy]
    held_out_copies = len(gathered.documents) - len(added)
    timer.lap("held_out_dedup")
    if not added:
        raise CorpusError("no added source file survived the filters and de-duplication")

    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST_FILE).unlink(missing_ok=True)
    for name in (TOKENIZER_FILE, *HELD_OUT_FILES):
        shutil.copyfile(base / name, out / name)
    tokenizer = load_tokenizer(out / TOKENIZER_FILE)
    rng = random.Random(config.seed + 3)
    draws = [doc for _ in range(config.repeat) for doc in added]
    rng.shuffle(draws)

    def fim_examples() -> Iterator[tuple[str, int]]:
        fim = base_manifest["config"]
        for doc in draws:
            example = apply_fim(doc.text, rng, fim["fim_rate"], fim["spm_rate"])
            yield example, len(doc.text.encode("utf-8"))

    added_shard = out / "train_added.bin"
    stats = write_shard(
        added_shard, fim_examples(), tokenizer, total=len(draws),
        show_progress=config.show_progress,
    )  # fmt: skip
    with (out / "train.bin").open("wb") as target:
        for part in (base / "train.bin", added_shard):
            with part.open("rb") as source:
                shutil.copyfileobj(source, target, 1 << 20)
    added_shard.unlink()
    timer.lap("tokenize")

    for document in added:
        info = gathered.packages[document.package]
        info.files_kept += 1
        info.bytes_kept += len(document.text.encode("utf-8"))
        info.split = "train"
    result = json.loads(json.dumps(base_manifest))
    train = result["splits"]["train"]
    train["packages"] = sorted({*train["packages"], *(d.package for d in added)})
    train.update(
        ShardStats(
            documents=train["documents"] + stats.documents,
            tokens=train["tokens"] + stats.tokens,
            text_bytes=train["bytes"] + stats.text_bytes,
        ).as_dict()
    )
    result["sources"]["pypi"] += pypi_records(downloads)
    result["sources"]["local"] += [str(folder) for folder in locals_]
    for name, info in sorted(gathered.packages.items()):
        result["packages"][name] = info.as_dict()
    result.setdefault("extensions", []).append(
        {
            "base": str(base),
            "manifest": str(config.manifest),
            "repeat": config.repeat,
            "seed": config.seed,
            "stdlib": manifest.stdlib.record() if manifest.stdlib.include else None,
            "filters": asdict(settings.filters),
            "near_dup": asdict(settings.near_dup),
            "counts": {**gathered.counts(len(added)), "held_out_copies": held_out_copies},
            "train_added": stats.as_dict(),
            "packages": sorted({d.package for d in added}),
            "durations_s": {**timer.durations, "total": timer.total()},
        }
    )
    (out / MANIFEST_FILE).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


__all__ = ["ExtendConfig", "extend_corpus"]
