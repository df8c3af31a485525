"""Line completion with the suffix in SPM and in PSM order, each with and without token healing.

The server prompts in SPM order only (the prompt ends at the cursor, so a KV cache survives
typing). This measures whether the model can infill in both orders it was trained on, on
``codegpt eval``'s random line cuts of the test split. Writes benchmarks/results/fim_order.json.

    python benchmarks/bench_fim_order.py --lines 500
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tqdm import tqdm

from codegpt.model.fim import format_psm_prompt, format_spm_prompt
from codegpt.model.runtime import CodeModel, RuntimeOptions
from codegpt.training.evaluate import (
    EvalConfig,
    LineTask,
    complete_line,
    fitted_prompt,
    read_documents,
    sample_line_tasks,
)
from codegpt.training.line_metrics import edit_similarity, exact_match

ROOT = Path(__file__).resolve().parent.parent
FORMATS = {"spm": format_spm_prompt, "psm": format_psm_prompt}


def cut_inside_token(model: CodeModel, task: LineTask) -> bool:
    """Whether the tokenizer, reading the line whole, has no token boundary at the cut."""
    before = task.prefix[-300:]  # enough context for the tokenization around the cut
    encoding = model.tokenizer.encode(before + task.truth)
    return all(start != len(before) for start, _end in encoding.offsets)


def main() -> None:
    """Score the four variants on the same cuts; print them and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model folder (default: the bundled one)")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/fim_order.json")
    args = parser.parse_args()
    model_dir = Path(args.model) if args.model else None
    model = CodeModel.load(RuntimeOptions(model_dir=model_dir, threads=args.threads))
    config = EvalConfig(data_dir=args.data, line_samples=args.lines)
    tasks = list(sample_line_tasks(read_documents(args.data / "test.jsonl"), config))
    budget = model.max_context - config.max_new_tokens
    inside = sum(cut_inside_token(model, task) for task in tasks)
    print(f"{inside} of {len(tasks)} cuts end inside a token")
    results = {}
    for order in FORMATS:
        for healing in (False, True):
            name = f"{order}{' healed' if healing else ''}"
            matches = similarity = 0.0
            started = time.perf_counter()
            for task in tqdm(tasks, desc=name, unit="line", leave=False):
                ids = fitted_prompt(model, task, True, budget, FORMATS[order])
                prediction = complete_line(model, ids, config, healing)
                matches += exact_match(prediction, task.truth)
                similarity += edit_similarity(prediction, task.truth)
            results[name] = {
                "exact_match": round(100 * matches / len(tasks), 2),
                "edit_similarity": round(similarity / len(tasks), 2),
                "seconds": round(time.perf_counter() - started, 1),
            }
            row = results[name]
            print(f"{name:12} {row['exact_match']:6.1f} {row['edit_similarity']:6.1f}")
    report = {
        "model": str(model_dir or "bundled"),
        "lines": len(tasks),
        "cuts_inside_token": inside,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
