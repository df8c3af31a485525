"""Quantization against quality on this CPU: bits per byte of one model, fp32 and three int8 forms.

    python benchmarks/bench_quantization.py --model model/default --tokens 30000 \
        --out benchmarks/results/quantization_zen3.json

The model folder's fp16 weights are exported to an fp32 graph, then quantized as the export
does (int8 weights with 7 bits, ``reduce_range``), with full 8-bit int8 weights, and with uint8
weights. Each is scored on the same test tokens (``codegpt eval``'s bits per byte, one thread),
with the scoring time. Why it matters: onnxruntime's uint8 x int8 kernel for AVX2 without VNNI
sums pairs of products in a saturating int16, so 8-bit int8 weights lose accuracy on such CPUs
and only there. The CPU's VNNI/AMX flags are recorded beside the numbers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

VARIANTS = {
    "fp32": None,
    "int8_7bit (shipped)": {},
    "int8_8bit": {"weight_type": "QInt8", "reduce_range": False},
    "uint8_8bit": {"weight_type": "QUInt8", "reduce_range": False},
}
INT8_FLAGS = ("avx2", "avx512_vnni", "avx_vnni", "amx_int8")


def main() -> None:
    import torch

    from codegpt.model.export import export_fp32, quantize_int8
    from codegpt.model.gpt import GPT
    from codegpt.model.model_config import ModelConfig
    from codegpt.model.runtime import CodeModel, RuntimeOptions
    from codegpt.training.checkpoint import load_model_folder
    from codegpt.training.evaluate import EvalConfig, bits_per_byte, read_documents
    from codegpt.training.hardware import cpu_flags, cpu_name

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("model/default"))
    parser.add_argument("--data", type=Path, default=Path("data/corpus"))
    parser.add_argument("--tokens", type=int, default=30_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    checkpoint = load_model_folder(args.model)
    model = GPT(ModelConfig(**checkpoint["model_config"]))
    model.load_state_dict(checkpoint["model"])
    model.eval()
    documents = read_documents(args.data / "test.jsonl")
    config = EvalConfig(data_dir=args.data, bpb_tokens=args.tokens)
    flags = cpu_flags()
    rows = {}
    with tempfile.TemporaryDirectory() as tmp, torch.no_grad():
        fp32 = export_fp32(model, Path(tmp) / "model.fp32.onnx")
        for name, options in VARIANTS.items():
            folder = Path(tmp) / name.split()[0]
            folder.mkdir()
            for file in ("config.json", "tokenizer.json"):
                shutil.copyfile(args.model / file, folder / file)
            if options is None:
                shutil.copyfile(fp32, folder / "model.onnx")
            else:
                quantize_int8(fp32, folder / "model.onnx", **options)
            runtime = CodeModel.load(RuntimeOptions(model_dir=folder, threads=1))
            started = time.perf_counter()
            bpb, scored = bits_per_byte(runtime, documents, config)
            rows[name] = {
                "bits_per_byte": round(bpb, 5),
                "tokens": scored,
                "seconds": round(time.perf_counter() - started, 1),
                "megabytes": round((folder / "model.onnx").stat().st_size / 1e6, 1),
            }
            print(f"{name:22s} {rows[name]}", flush=True)
    result = {
        "model": str(args.model),
        "cpu": cpu_name(),
        "cpu_int8_flags": [flag for flag in INT8_FLAGS if flag in flags],
        "variants": rows,
    }
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
