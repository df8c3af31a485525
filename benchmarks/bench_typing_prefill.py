"""Prompt tokens run while typing, in process: how much of each keystroke's prompt was cached.

The lines the completion benchmark retypes (benchmarks/bench_completion.py, same files, same
seed), character by character through the completion engine with one KV cache per document. A
request that runs more than FULL_RUN_TOKENS prompt tokens re-ran (nearly) the whole prompt: on the
first keystroke of a line that is a cold request; after it, only a moved prompt start causes it.
``--fresh-windows`` forgets each document's last prompt window before every request, as the
engine did before the window start was kept while typing (``cut_window``'s ``previous``).

    python benchmarks/bench_typing_prefill.py --out benchmarks/results/typing_prefill.json
    python benchmarks/bench_typing_prefill.py --fresh-windows \
        --out benchmarks/results/typing_prefill_fresh_windows.json
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from codegpt.model.runtime import CodeModel, RuntimeOptions
from codegpt.server.completion.engine import CompletionEngine, DocumentView
from codegpt.server.parsing import parse
from codegpt.server.settings import CompletionSettings

sys.path.insert(0, str(Path(__file__).parent))
from bench_completion import choose_positions, load_files  # noqa: E402
from report import emit

FULL_RUN_TOKENS = 150  # well above a keystroke's re-run chunk (at most 64 + a few tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="data/corpus")
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--typing-lines", type=int, default=2, help="lines retyped per file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fresh-windows", action="store_true", help="the engine before session 13")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    # The same positions as bench_completion (its cold/member counts only consume the rng).
    args.cold_per_file, args.members_per_file, args.member_typed = 15, 10, 0
    files = load_files(Path(args.corpus), args.files, random.Random(args.seed))
    positions = choose_positions(files, args)
    model = CodeModel.load(RuntimeOptions(threads=1))
    model.warm_up()
    engine, settings = CompletionEngine(), CompletionSettings()
    latencies, run_tokens, full_runs, mid_line_full_runs = [], 0, 0, 0
    for index, line in positions.typing:
        lines = files[index][1].split("\n")
        content, uri = lines[line], f"file:///bench/f{index}.py"
        for typed in range(len(content) + 1):
            text = "\n".join([*lines[:line], content[:typed], *lines[line + 1 :]])
            offset = len("\n".join(lines[:line])) + (1 if line else 0) + typed
            if args.fresh_windows:
                engine._windows.pop(uri, None)  # noqa: SLF001 - the old behaviour, for comparison
            cache = engine.kv_cache(model, uri)
            before = cache.computed_tokens
            started = time.perf_counter()
            engine.complete_inline(model, DocumentView(uri, text, parse(text)), offset, settings)
            latencies.append(1000 * (time.perf_counter() - started))
            ran = cache.computed_tokens - before
            run_tokens += ran
            full_runs += ran > FULL_RUN_TOKENS
            mid_line_full_runs += ran > FULL_RUN_TOKENS and typed > 0
    latencies.sort()
    result = {
        "fresh_windows": args.fresh_windows,
        "lines": len(positions.typing),
        "requests": len(latencies),
        "prompt_tokens_run": run_tokens,
        "full_prompt_runs": full_runs,
        "full_prompt_runs_mid_line": mid_line_full_runs,
        "p50_ms": round(latencies[len(latencies) // 2], 1),
        "p95_ms": round(latencies[int(0.95 * len(latencies))], 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
    }
    emit(result, args.out)


if __name__ == "__main__":
    main()
