"""``codegpt corpus``: build the training corpus, tokenizer and token shards from a manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegpt.exit_codes import OK, USAGE_ERROR

HELP = "build the training corpus (tokenizer.json, token shards, manifest.json) from sources"


def positive_int(value: str) -> int:
    """An integer above zero; argparse turns the ValueError into a usage error."""
    number = int(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Sources, output and tokenizer size."""
    parser.add_argument(
        "--manifest",
        metavar="PATH",
        type=Path,
        help="sources manifest (TOML); default: the one shipped in codegpt.training",
    )
    parser.add_argument(
        "--out", metavar="DIR", type=Path, default=Path("data/corpus"), help="output folder"
    )
    parser.add_argument(
        "--cache",
        metavar="DIR",
        type=Path,
        default=Path("data/downloads"),
        help="where downloaded PyPI archives are kept between builds",
    )
    parser.add_argument(
        "--vocab-size", metavar="N", type=positive_int, default=16384, help="BPE vocabulary size"
    )
    parser.add_argument(
        "--local",
        metavar="DIR",
        type=Path,
        nargs="+",
        action="extend",
        default=[],
        help="extra source folders; each top-level entry of a folder is one package",
    )
    parser.add_argument(
        "--no-download",
        action="store_true",
        help="use only PyPI archives already in the cache (others are skipped and reported)",
    )
    parser.add_argument("--seed", type=int, default=1234, help="seed for splits, shuffle and FIM")
    parser.add_argument(
        "--extend",
        metavar="BASE",
        type=Path,
        help="add the manifest's sources to the train split of the corpus built in BASE, keeping "
        "its tokenizer, validation and test files (written to --out, a new folder)",
    )
    parser.add_argument(
        "--repeat",
        metavar="N",
        type=positive_int,
        default=1,
        help="with --extend: FIM draws of each added file in the train shard (upsampling)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def not_fetched(manifest: dict) -> str:
    """The summary's tail naming PyPI packages that could not be fetched, if any."""
    failed = [p["name"] for p in manifest["sources"]["pypi"] if not p["ok"]]
    return f"; packages not fetched: {', '.join(failed)}" if failed else ""


def run(args: argparse.Namespace) -> int:
    """Build the corpus and print a one-paragraph summary on stderr."""
    try:
        from codegpt.training.corpus import (
            DEFAULT_MANIFEST,
            CorpusConfig,
            CorpusError,
            ManifestError,
            build_corpus,
        )
    except ImportError as error:
        print(
            f"codegpt corpus: needs the training extra ({error.name} is missing): "
            "pip install 'codegpt[train]'",
            file=sys.stderr,
        )
        return USAGE_ERROR
    if args.extend is not None:
        return run_extend(args)
    if args.repeat != 1:
        print("codegpt corpus: --repeat needs --extend BASE", file=sys.stderr)
        return USAGE_ERROR
    config = CorpusConfig(
        manifest=args.manifest or DEFAULT_MANIFEST,
        out_dir=args.out,
        cache_dir=args.cache,
        vocab_size=args.vocab_size,
        local=tuple(args.local),
        download=not args.no_download,
        seed=args.seed,
        show_progress=not args.quiet,
    )
    try:
        manifest = build_corpus(config)
    except (CorpusError, ManifestError, ValueError) as error:
        print(f"codegpt corpus: {error}", file=sys.stderr)
        return USAGE_ERROR
    counts = manifest["counts"]
    splits = manifest["splits"]
    print(
        f"codegpt corpus: {counts['documents']} documents from {counts['files_seen']} files "
        f"-> {args.out}; tokens train {splits['train']['tokens']:,} val "
        f"{splits['val']['tokens']:,} test {splits['test']['tokens']:,}; "
        f"{manifest['bytes_per_token_test']} bytes/token on test; "
        f"{manifest['durations_s']['total']:.0f} s" + not_fetched(manifest),
        file=sys.stderr,
    )
    return OK


def run_extend(args: argparse.Namespace) -> int:
    """Extend a built corpus; the summary names what was added and how much."""
    from codegpt.training.corpus import CorpusError, ManifestError
    from codegpt.training.extend import ExtendConfig, extend_corpus

    if args.manifest is None:
        print("codegpt corpus: --extend needs --manifest with the sources to add", file=sys.stderr)
        return USAGE_ERROR
    config = ExtendConfig(
        base_dir=args.extend,
        manifest=args.manifest,
        out_dir=args.out,
        cache_dir=args.cache,
        local=tuple(args.local),
        download=not args.no_download,
        repeat=args.repeat,
        seed=args.seed,
        show_progress=not args.quiet,
    )
    try:
        manifest = extend_corpus(config)
    except (CorpusError, ManifestError, ValueError, OSError) as error:
        print(f"codegpt corpus: {error}", file=sys.stderr)
        return USAGE_ERROR
    extension = manifest["extensions"][-1]
    counts = extension["counts"]
    print(
        f"codegpt corpus: added {counts['documents']} documents of "
        f"{len(extension['packages'])} packages to {args.extend} -> {args.out} "
        f"({extension['train_added']['tokens']:,} train tokens with --repeat {args.repeat}; "
        f"{counts['held_out_copies']} copies of held-out files dropped); train now "
        f"{manifest['splits']['train']['tokens']:,} tokens; "
        f"{extension['durations_s']['total']:.0f} s" + not_fetched(manifest),
        file=sys.stderr,
    )
    return OK
