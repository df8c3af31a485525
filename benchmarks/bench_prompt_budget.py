"""Prompt budgets against cold latency and line-completion quality, in process.

Cold positions of held-out test-split files (a line cut at a random column inside its code);
each budget (prefix/suffix/context tokens) is run with a fresh engine per position, so every
request pays a full prefill, as a cold request in the server does. Quality is CodeXGLUE's exact
match and edit similarity of the shown suggestion against the rest of the line (nothing shown
counts as empty). This is how ``CompletionSettings``' default budgets and beam width were
chosen (``--beam-widths 1 3``: greedy against a beam of three behind the one suggestion shown).

    python benchmarks/bench_prompt_budget.py --out benchmarks/results/prompt_budget.json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from report import emit

from codegpt.model.runtime import CodeModel, RuntimeOptions
from codegpt.server.completion.engine import CompletionEngine, DocumentView
from codegpt.server.parsing import parse
from codegpt.server.settings import CompletionSettings
from codegpt.training.line_metrics import edit_similarity, exact_match

BUDGETS = ((320, 96, 48), (256, 64, 32), (192, 64, 32))


def test_files(corpus: Path) -> list[str]:
    """The test split's files of 200 to 2,000 lines, ASCII only (what users open and type in)."""
    texts = []
    with (corpus / "test.jsonl").open(encoding="utf-8") as handle:
        for raw in handle:
            text = json.loads(raw)["text"]
            if 200 <= text.count("\n") <= 2000 and text.isascii():
                texts.append(text)
    return texts


def cold_positions(corpus: Path, files: int, seed: int) -> list[tuple[str, int, str]]:
    """(text with the line cut, cursor offset, the cut-off rest) for two lines per file."""
    rng = random.Random(seed)
    texts = test_files(corpus)
    rng.shuffle(texts)
    positions = []
    for text in texts[:files]:
        lines = text.split("\n")
        for _ in range(2):
            line = rng.randrange(len(lines))
            content = lines[line]
            if len(content.strip()) < 4:
                continue
            indent = len(content) - len(content.lstrip())
            column = rng.randrange(indent, len(content.rstrip()))
            cut = lines[:line] + [content[:column]] + lines[line + 1 :]
            offset = len("\n".join(cut[:line])) + (1 if line else 0) + column
            positions.append(("\n".join(cut), offset, content[column:].rstrip()))
    return positions


def measure(
    model: CodeModel,
    positions: list,
    budget: tuple[int, int, int],
    alternatives: int = 1,
    beam_width: int = 1,
) -> dict[str, Any]:
    prefix, suffix, context = budget
    settings = CompletionSettings(
        prefix_tokens=prefix,
        suffix_tokens=suffix,
        context_tokens=context,
        beam_width=beam_width,
    )
    latencies, matches, similarities, shown, prompt_tokens = [], [], [], 0, []
    for text, offset, truth in positions:
        view = DocumentView("file:///bench.py", text, parse(text))
        started = time.perf_counter()
        answer = CompletionEngine().complete_inline(
            model, view, offset, settings, alternatives=alternatives
        )
        latencies.append(1000 * (time.perf_counter() - started))
        prediction = answer.texts[0] if answer.texts else ""
        shown += bool(answer.texts)
        matches.append(exact_match(prediction, truth))
        similarities.append(edit_similarity(prediction, truth))
        prompt_tokens.append(answer.prompt_tokens)
    latencies.sort()
    return {
        "budget": {"prefix": prefix, "suffix": suffix, "context": context},
        "alternatives": alternatives,
        "beam_width": max(alternatives, beam_width),
        "p50_ms": round(latencies[len(latencies) // 2], 1),
        "p95_ms": round(latencies[int(0.95 * len(latencies))], 1),
        "prompt_tokens_mean": round(statistics.fmean(prompt_tokens), 1),
        "shown_rate": round(shown / len(positions), 3),
        "exact_match": round(100 * statistics.fmean(matches), 1),
        "edit_similarity": round(statistics.fmean(similarities), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--model", type=Path, help="model folder (default: the bundled one)")
    parser.add_argument("--files", type=int, default=110)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--budgets",
        nargs="+",
        metavar="P/S/C",
        help="prefix/suffix/context token budgets to compare (default: "
        + " ".join("/".join(map(str, budget)) for budget in BUDGETS)
        + ")",
    )
    parser.add_argument(
        "--alternatives",
        type=int,
        default=1,
        help="suggestions per request (> 1: a beam search, as for an invoked request)",
    )
    parser.add_argument(
        "--beam-widths",
        type=int,
        nargs="+",
        default=[1],
        metavar="W",
        help="completion.beamWidth values to compare (1: greedy, the default)",
    )
    args = parser.parse_args()
    budgets = BUDGETS
    if args.budgets:
        try:
            budgets = tuple(tuple(int(n) for n in item.split("/")) for item in args.budgets)
        except ValueError:
            parser.error("--budgets: each is PREFIX/SUFFIX/CONTEXT, e.g. 256/64/32")
        if any(len(budget) != 3 for budget in budgets):
            parser.error("--budgets: each is PREFIX/SUFFIX/CONTEXT, e.g. 256/64/32")
    model = CodeModel.load(RuntimeOptions(model_dir=args.model, threads=args.threads))
    positions = cold_positions(args.corpus, args.files, args.seed)
    rows = []
    for budget in budgets:
        for width in args.beam_widths:
            rows.append(measure(model, positions, budget, max(1, args.alternatives), width))
            print(json.dumps(rows[-1]), file=sys.stderr)
    result = {"positions": len(positions), "threads": args.threads, "budgets": rows}
    emit(result, args.out)


if __name__ == "__main__":
    main()
