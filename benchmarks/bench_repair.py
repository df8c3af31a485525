"""Repair benchmark: corrupt held-out code, run the fixer, count what comes back right.

Per corruption kind (and for files with 2 and 3 errors of mixed realistic kinds):
- parse: % of files that parse after the fix (compile() and tree-sitter);
- exact: % restored exactly to the original;
- within4: % within 4 token edits of the original (Break-It-Fix-It's success criterion);
- seconds per file (mean and p95).

Data: ``data/corpus/test.jsonl`` (the corpus's held-out test packages) when present, else the
files of this Python's standard library (top-level modules of 1-15 KB that parse). The stdlib
may overlap the training corpus; that run measures the edit search, which learns nothing.

    python benchmarks/bench_repair.py --per-kind 300 --no-model
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import sysconfig
import time
from pathlib import Path

from codegpt.server.repair.edits import token_distance
from codegpt.server.repair.fixer import Fixer, FixerOptions
from codegpt.server.repair.scoring import ModelUnavailable, default_model_path, load_model_repairer
from codegpt.server.repair.verify import check
from codegpt.training.corrupt import KINDS, REALISTIC_KINDS, corrupt

ROOT = Path(__file__).resolve().parent.parent
CORPUS_TEST = ROOT / "data" / "corpus" / "test.jsonl"


def load_texts(max_files: int) -> tuple[str, list[str]]:
    """Held-out texts and a sentence saying where they came from."""
    texts: list[str] = []
    if CORPUS_TEST.is_file():
        with CORPUS_TEST.open(encoding="utf-8") as handle:
            for line in handle:
                text = json.loads(line)["text"]
                if 300 <= len(text) <= 30_000 and check(text).parses:
                    texts.append(text)
        source = f"{CORPUS_TEST.relative_to(ROOT)} (held-out test packages)"
    if not texts:
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        for path in sorted(stdlib.glob("*.py")):
            text = path.read_text(encoding="utf-8", errors="replace")
            if 1_000 <= len(text) <= 15_000 and check(text).parses:
                texts.append(text)
        source = f"Python {platform.python_version()} stdlib top-level modules of 1-15 KB"
    return source, texts[:max_files]


def measure(fixer: Fixer, texts: list[str], kinds, n_errors: int, count: int, seed: int) -> dict:
    """Corrupt ``count`` random files and fix them; rates are fractions of ``count``."""
    rng = random.Random(seed)
    parsed = exact = close = made = 0
    seconds: list[float] = []
    attempts = 0
    while made < count and attempts < count * 5:
        attempts += 1
        corruption = corrupt(rng.choice(texts), kinds, rng, n_errors=n_errors)
        if corruption is None:
            continue
        made += 1
        start = time.perf_counter()
        result = fixer.fix(corruption.broken)
        seconds.append(time.perf_counter() - start)
        if result.parses:
            parsed += 1
            exact += result.text == corruption.original
            close += token_distance(result.text, corruption.original, cap=4) <= 4
    if not made:
        return {"n": 0}
    seconds.sort()
    return {
        "n": made,
        "parse": round(parsed / made, 4),
        "exact": round(exact / made, 4),
        "within4": round(close / made, 4),
        "seconds_per_file": round(statistics.fmean(seconds), 4),
        "seconds_p95": round(seconds[int(0.95 * (len(seconds) - 1))], 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-kind", type=int, default=300, help="corruptions per kind")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds")
    parser.add_argument("--multi", default="2,3", help="error counts for mixed runs ('' for none)")
    models = parser.add_mutually_exclusive_group()
    models.add_argument("--model", type=Path, help="model folder (default: bundled, if present)")
    models.add_argument("--no-model", action="store_true", help="edit search only")
    parser.add_argument("--max-files", type=int, default=400)
    parser.add_argument("--time-budget", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/repair.json")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    repairer = None
    model_dir = None if args.no_model else (args.model or default_model_path())
    if model_dir is not None:
        try:
            repairer = load_model_repairer(model_dir)
        except ModelUnavailable as error:
            print(f"no model: {error}", file=sys.stderr)
            if args.model:
                return 2
    fixer = Fixer(FixerOptions(time_budget_s=args.time_budget), repairer, repairer)
    source, texts = load_texts(args.max_files)
    print(f"data: {source}, {len(texts)} files; model: {model_dir if repairer else 'none'}")
    if not texts:
        print("no texts to corrupt", file=sys.stderr)
        return 2

    results: dict = {"per_kind": {}, "multi_error": {}}
    header = f"{'kind':22} {'n':>5} {'parse':>7} {'exact':>7} {'within4':>8} {'s/file':>8}"
    print(header)
    for index, kind in enumerate(k for k in args.kinds.split(",") if k):
        row = measure(fixer, texts, kind, 1, args.per_kind, args.seed + index)
        results["per_kind"][kind] = row
        _print_row(kind, row)
    for n_errors in (int(n) for n in args.multi.split(",") if n):
        row = measure(
            fixer, texts, REALISTIC_KINDS, n_errors, args.per_kind, args.seed + 100 + n_errors
        )
        results["multi_error"][str(n_errors)] = row
        _print_row(f"{n_errors} errors (mixed)", row)

    report = {
        "benchmark": "repair",
        "data": source,
        "files": len(texts),
        "model": str(model_dir) if repairer else None,
        "per_kind_requested": args.per_kind,
        "time_budget_s": args.time_budget,
        "metrics": "parse/exact/within4 are fractions of corrupted files; within4 = at most 4 "
        "token edits from the original (BIFI); seconds are wall time of Fixer.fix per file",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        **results,
    }
    # One file holds both runs: each run replaces only its own key ("no_model" or "model").
    existing = {}
    if args.out.is_file():
        try:
            existing = json.loads(args.out.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            existing = {}
    existing["model" if repairer else "no_model"] = report
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def _print_row(name: str, row: dict) -> None:
    if not row.get("n"):
        print(f"{name:22} {'no corruptions':>30}")
        return
    print(
        f"{name:22} {row['n']:>5} {row['parse']:>7.1%} {row['exact']:>7.1%} "
        f"{row['within4']:>8.1%} {row['seconds_per_file']:>8.3f}",
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
