"""How to rank a beam's alternatives: line completion of greedy vs beam by total vs beam by mean.

An invoked inline request shows a beam search's best few, first one first. This scores that first
suggestion on ``codegpt eval``'s test-split tasks (lines cut at a random point, with and without
the FIM suffix, and documented one-line returns cut after ``return``) three ways: greedy, the
beam's best by total log-probability, and by mean token log-probability (CodeXGLUE exact match
and edit similarity). It is what chose ``GenerateOptions.rank="mean"`` for editor alternatives.

    python benchmarks/bench_beam_rank.py --width 3 --out benchmarks/results/beam_rank.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tqdm import tqdm

from codegpt.model.generation import GenerateOptions
from codegpt.model.runtime import CodeModel, RuntimeOptions
from codegpt.training.evaluate import (
    EvalConfig,
    LineTask,
    docstring_return_tasks,
    fitted_prompt,
    read_documents,
    sample_line_tasks,
)
from codegpt.training.line_metrics import edit_similarity, exact_match

MAX_NEW_TOKENS = 48
WAYS = ("greedy", "beam by total", "beam by mean")


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]


def predictions(model: CodeModel, ids: list[int], width: int) -> dict[str, str]:
    """The first suggestion each way (one beam search serves both rankings)."""
    options = GenerateOptions(max_new_tokens=MAX_NEW_TOKENS, stop_strings=("\n",))
    greedy = model.generate(ids, options)
    beam = model.generate(
        ids,
        GenerateOptions(
            max_new_tokens=MAX_NEW_TOKENS, stop_strings=("\n",), num_return_sequences=width
        ),
    )
    best_mean = max(beam, key=lambda g: g.mean_logprob)
    return {
        "greedy": first_line(greedy[0].text) if greedy else "",
        "beam by total": first_line(beam[0].text) if beam else "",
        "beam by mean": first_line(best_mean.text) if beam else "",
    }


def score(model: CodeModel, tasks: list[LineTask], with_suffix: bool, width: int, label: str):
    matches = dict.fromkeys(WAYS, 0.0)
    similarity = dict.fromkeys(WAYS, 0.0)
    for task in tqdm(tasks, desc=label, unit="task"):
        ids = fitted_prompt(model, task, with_suffix, model.max_context - MAX_NEW_TOKENS)
        for way, prediction in predictions(model, ids, width).items():
            matches[way] += exact_match(prediction, task.truth)
            similarity[way] += edit_similarity(prediction, task.truth)
    count = max(len(tasks), 1)
    return {
        way: {
            "exact_match": round(100 * matches[way] / count, 1),
            "edit_similarity": round(similarity[way] / count, 1),
        }
        for way in WAYS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--model", type=Path, help="model folder (default: the bundled one)")
    parser.add_argument("--width", type=int, default=3, help="beam width (the server's 3)")
    parser.add_argument("--lines", type=int, default=300)
    parser.add_argument("--returns", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    model = CodeModel.load(RuntimeOptions(model_dir=args.model, threads=args.threads))
    config = EvalConfig(data_dir=args.corpus, line_samples=args.lines, return_samples=args.returns)
    documents = read_documents(args.corpus / "test.jsonl")
    lines = list(sample_line_tasks(documents, config))
    returns = docstring_return_tasks(documents, config)
    started = time.perf_counter()
    result = {"width": args.width, "model": str(model.model_dir), "tasks": {}}
    for label, tasks, with_suffix in (
        ("lines", lines, False),
        ("lines+suffix", lines, True),
        ("documented returns", returns, True),
    ):
        rows = score(model, tasks, with_suffix, args.width, label)
        result["tasks"][label] = {"samples": len(tasks), **rows}
        cells = ", ".join(
            f"{way} {row['exact_match']:.1f} / {row['edit_similarity']:.1f}"
            for way, row in rows.items()
        )
        print(f"{label} ({len(tasks)}), exact match / edit similarity: {cells}")
    result["seconds"] = round(time.perf_counter() - started, 1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
