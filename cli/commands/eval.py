"""``codegpt eval``: bits per byte and line completion of a model on the test split."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from codegpt.exit_codes import OK, USAGE_ERROR

HELP = "evaluate a model on the corpus test split (bits/byte, line completion EM / edit sim)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Which model, which data, how much."""
    parser.add_argument("--model", metavar="PATH", help="model folder (default: the bundled one)")
    parser.add_argument("--data", metavar="DIR", default="data/corpus", help="corpus folder")
    parser.add_argument("--split", default="test", choices=("val", "test"))
    parser.add_argument("--bpb-tokens", type=int, default=100_000, help="tokens for bits/byte")
    parser.add_argument("--lines", type=int, default=300, help="line-completion samples")
    parser.add_argument(
        "--returns", type=int, default=200, help="documented one-line returns to complete"
    )
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: all)")
    parser.add_argument("--out", metavar="FILE", help="also write the result as JSON here")


def run(args: argparse.Namespace) -> int:
    """Load the model through the runtime and print the numbers as JSON."""
    from codegpt.model.runtime import CodeModel, ModelLoadError, RuntimeOptions
    from codegpt.training.evaluate import EvalConfig, evaluate

    data_dir = Path(args.data)
    if not (data_dir / f"{args.split}.jsonl").is_file():
        print(
            f"codegpt eval: {data_dir / (args.split + '.jsonl')} not found: run "
            "'codegpt corpus' first",
            file=sys.stderr,
        )
        return USAGE_ERROR
    try:
        model = CodeModel.load(
            RuntimeOptions(model_dir=Path(args.model) if args.model else None, threads=args.threads)
        )
    except ModelLoadError as error:
        print(f"codegpt eval: {error}", file=sys.stderr)
        return USAGE_ERROR
    config = EvalConfig(
        data_dir=data_dir,
        split=args.split,
        bpb_tokens=args.bpb_tokens,
        line_samples=args.lines,
        return_samples=args.returns,
    )
    result = asdict(evaluate(model, config))
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    return OK
