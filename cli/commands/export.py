"""``codegpt export``: turn a training checkpoint into the model folder the runtime loads."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegpt.exit_codes import OK, USAGE_ERROR

HELP = "export a checkpoint to ONNX (int8 for the CPU by default, optional fp16 for the GPU)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Checkpoint in, model folder out, which variants."""
    parser.add_argument(
        "--checkpoint",
        required=True,
        metavar="PATH",
        help="a ckpt.pt, or a model folder (its fp16 weights: re-export the shipped model)",
    )
    parser.add_argument("--out", required=True, metavar="DIR", help="model folder to write")
    quant = parser.add_mutually_exclusive_group()
    quant.add_argument(
        "--int8",
        dest="int8",
        action="store_true",
        default=True,
        help="model.onnx is int8 weight-quantized (default; the CPU model)",
    )
    quant.add_argument("--no-int8", dest="int8", action="store_false", help="model.onnx stays fp32")
    parser.add_argument("--fp16", action="store_true", help="also write model.fp16.onnx (GPU)")
    parser.add_argument(
        "--keep-fp32", action="store_true", help="also keep model.fp32.onnx (large; not shipped)"
    )
    parser.add_argument(
        "--tokenizer",
        metavar="FILE",
        help="tokenizer.json to ship (default: the model folder's, or the one in the "
        "checkpoint's corpus folder)",
    )


def run(args: argparse.Namespace) -> int:
    """Export and list the files written."""
    from codegpt.model.export import ExportError, export_checkpoint

    try:
        result = export_checkpoint(
            Path(args.checkpoint),
            Path(args.out),
            int8=args.int8,
            fp16=args.fp16,
            keep_fp32=args.keep_fp32,
            tokenizer_path=Path(args.tokenizer) if args.tokenizer else None,
        )
    except ExportError as error:
        print(f"codegpt export: {error}", file=sys.stderr)
        return USAGE_ERROR
    for path in result.files:
        print(f"{path}\t{path.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
    return OK
