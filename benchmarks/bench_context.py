"""Time ``extract_context`` on a 2,000-line and a 5,000-line real file (p50/p95 per call).

The files are cut from the standard library (argparse, _pydecimal) so the code is realistic.
Two cases per file: with the server's incrementally updated tree passed in (the per-keystroke
path) and without a tree (a full parse included). Each is timed while typing (the text changes
every call), right after ``self.`` while typing, and for cursor moves over unchanged text.

    python benchmarks/bench_context.py [--repeats N] [--out benchmarks/results/context.json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import sysconfig
import time
from pathlib import Path

from codegpt.server.context import ContextBudget, extract_context_at_offset
from codegpt.server.context_window import WindowBudget
from codegpt.server.parsing import new_parser, parse

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def source_lines(count: int) -> str:
    """At least ``count`` lines of real code: stdlib modules concatenated, then cut."""
    lines: list[str] = []
    for name in ("_pydecimal.py", "argparse.py", "inspect.py", "typing.py"):
        lines.extend((STDLIB / name).read_text(encoding="utf-8").splitlines(keepends=True))
        if len(lines) >= count:
            break
    return "".join(lines[:count])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def edited_versions(text: str, count: int, with_tree: bool) -> list[tuple[str, object]]:
    """``count`` versions of the text, each one keystroke apart, with incrementally updated trees.

    Every call then misses the current-document cache, as while typing; the incremental reparse
    is the server's cost, not extract_context's, so it is done here, outside the timing.
    """
    parser = new_parser()
    versions = []
    tree = parser.parse(text.encode()) if with_tree else None
    for index in range(count):
        insert = f"#{index}\n"
        old_end = len(text.encode())
        text = text + insert
        if with_tree:
            end = old_end + len(insert)
            rows = text.count("\n")
            tree = tree.copy()  # the previous version keeps its own, unedited tree
            tree.edit(
                start_byte=old_end,
                old_end_byte=old_end,
                new_end_byte=end,
                start_point=(rows - 1, 0),
                old_end_point=(rows - 1, 0),
                new_end_point=(rows, 0),
            )
            tree = parser.parse(text.encode(), tree)
        versions.append((text, tree))
    return versions


def time_calls(versions, offsets, budget) -> list[float]:
    timings = []
    for (text, tree), offset in zip(versions, offsets, strict=True):
        start = time.perf_counter()
        extract_context_at_offset(text, offset, tree=tree, budget=budget)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def summary(timings: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(timings), 3),
        "p95_ms": round(percentile(timings, 0.95), 3),
        "calls": len(timings),
    }


def bench(text: str, repeats: int, with_tree: bool, rng: random.Random) -> dict[str, object]:
    budget = ContextBudget(window=WindowBudget(anchor_to_definition=True))
    offsets = [rng.randrange(len(text)) for _ in range(repeats)]
    dots = [i + 5 for i in range(len(text)) if text.startswith("self.", i)]
    member_offsets = rng.sample(dots, min(len(dots), repeats))
    typing = time_calls(edited_versions(text, repeats, with_tree), offsets, budget)
    members = time_calls(
        edited_versions(text, len(member_offsets), with_tree), member_offsets, budget
    )
    # Cursor moves without an edit: the same text (and tree) every call.
    same = edited_versions(text, 1, with_tree) * repeats
    moves = time_calls(same, offsets, budget)
    return {
        "typing": summary(typing),
        "typing_after_dot": summary(members),
        "cursor_moves": summary(moves),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/context.json"))
    args = parser.parse_args()
    rng = random.Random(0)
    results = {"python": sys.version.split()[0], "files": {}}
    for lines in (2000, 5000):
        text = source_lines(lines)
        start = time.perf_counter()
        parse(text)
        parse_ms = (time.perf_counter() - start) * 1000
        entry = {
            "lines": lines,
            "chars": len(text),
            "parse_ms": round(parse_ms, 3),
            "with_tree": bench(text, args.repeats, True, rng),
            "with_parse": bench(text, max(20, args.repeats // 5), False, rng),
        }
        results["files"][f"{lines}_lines"] = entry
        print(json.dumps({f"{lines}_lines": entry}))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
