"""Generation speed: prefill, per-token decode with the KV cache, cold start, typing completions.

Two modes:

    # candidate shapes (random weights, exported on the fly: sizing the `small` config)
    python benchmarks/bench_generation.py --candidates 4x256x4 6x256x4 6x384x6 8x512x8
    # a real model folder (the shipped one by default), with torch for comparison if given
    python benchmarks/bench_generation.py --model model/default [--checkpoint runs/small/ckpt.pt]

For each model: prefill time for 256/512/1024-token prompts (up to the context), per-token
decode latency (median over steps) with the cache at those lengths, int8 and fp32 onnxruntime,
and optionally torch. For a model folder also: cold start (load + first completion) and a typing
session (one keystroke adds a few tokens; a 12-token single-line completion through the
runtime's KVCache): p50/p95. Writes JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
LENGTHS = (256, 512, 1024)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def onnx_latencies(path: Path, config: dict, threads: int, steps: int) -> dict:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    n_layer, n_head = config["n_layer"], config["n_head"]
    head_dim = config["n_embd"] // n_head
    empty = np.zeros((n_layer, 2, 1, n_head, 0, head_dim), np.float32)
    last = np.zeros(1, np.int64)
    rng = np.random.default_rng(0)
    result = {}
    for length in (n for n in LENGTHS if n <= config["block_size"]):
        ids = rng.integers(20, config["vocab_size"], (1, length)).astype(np.int64)
        feeds = {"input_ids": ids, "past_key_values": empty, "logits_index": last}
        session.run(None, feeds)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            _, past = session.run(None, feeds)
            times.append(time.perf_counter() - start)
        decode = []
        token = np.array([[42]], np.int64)
        cache = past[:, :, :, :, : length - steps]  # decode up to `length` tokens of context
        cache = np.ascontiguousarray(cache)
        for _ in range(steps):
            start = time.perf_counter()
            _, cache = session.run(
                None, {"input_ids": token, "past_key_values": cache, "logits_index": last}
            )
            decode.append(time.perf_counter() - start)
        result[str(length)] = {
            "prefill_ms": 1e3 * min(times),
            "decode_ms_p50": 1e3 * statistics.median(decode),
        }
    return result


def torch_latencies(model, threads: int, steps: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    config = model.config
    result = {}
    with torch.no_grad():
        for length in (n for n in LENGTHS if n <= config.block_size):
            ids = torch.randint(20, config.vocab_size, (1, length))
            index = torch.tensor([length - 1])
            model.forward_with_cache(ids, model.empty_cache(), index)
            start = time.perf_counter()
            _, past = model.forward_with_cache(ids, model.empty_cache(), index)
            prefill = time.perf_counter() - start
            cache = past[:, :, :, :, : length - steps]
            decode = []
            for _ in range(steps):
                start = time.perf_counter()
                _, cache = model.forward_with_cache(torch.tensor([[42]]), cache, torch.tensor([0]))
                decode.append(time.perf_counter() - start)
            result[str(length)] = {
                "prefill_ms": 1e3 * prefill,
                "decode_ms_p50": 1e3 * statistics.median(decode),
            }
    return result


def export_candidate(shape: str, workdir: Path) -> tuple[dict, Path, Path, object]:
    """Export a random-weight model of shape LAYERSxWIDTHxHEADS (fp32 and int8)."""
    import torch

    from codegpt.model.export import export_fp32, quantize_int8
    from codegpt.model.gpt import GPT, ModelConfig

    n_layer, n_embd, n_head = (int(x) for x in shape.split("x"))
    config = ModelConfig(n_layer=n_layer, n_embd=n_embd, n_head=n_head, block_size=1024)
    torch.manual_seed(0)
    model = GPT(config).eval()
    fp32 = export_fp32(model, workdir / f"{shape}.fp32.onnx")
    int8 = quantize_int8(fp32, workdir / f"{shape}.int8.onnx")
    from dataclasses import asdict

    return asdict(config), fp32, int8, model


def typing_session(model_dir: Path, threads: int) -> dict:
    """Cold start, then single-line completions while typing, through the runtime's cache."""
    from codegpt.model.generation import GenerateOptions
    from codegpt.model.kv_cache import KVCache
    from codegpt.model.runtime import CodeModel, RuntimeOptions
    from codegpt.model.tokens import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX

    source = Path(__file__).read_text()
    cut = len(source) // 2
    start = time.perf_counter()
    model = CodeModel.load(RuntimeOptions(model_dir=model_dir, threads=threads))
    load_s = time.perf_counter() - start
    options = GenerateOptions(max_new_tokens=12, stop_strings=("\n",))

    def prompt(typed: str) -> list[int]:
        prefix = source[max(0, cut - 1200) : cut] + typed
        suffix = source[cut : cut + 300]
        ids = model.encode(f"{FIM_PREFIX}{FIM_SUFFIX}{suffix}{FIM_MIDDLE}{prefix}")
        return ids[-(model.max_context - 16) :]

    model.generate(prompt(""), options)
    cold_s = time.perf_counter() - start
    cache = KVCache()
    typed_text = "    value = compute_something(arguments, more_arguments)\n" * 3
    latencies = []
    for n in range(1, len(typed_text)):
        ids = prompt(typed_text[:n])
        begin = time.perf_counter()
        model.generate(ids, options, cache=cache)
        latencies.append(time.perf_counter() - begin)
    return {
        "load_s": load_s,
        "cold_start_first_completion_s": cold_s,
        "typing_completion_ms_p50": 1e3 * percentile(latencies, 50),
        "typing_completion_ms_p95": 1e3 * percentile(latencies, 95),
        "typing_requests": len(latencies),
        "prompt_tokens": len(prompt(typed_text)),
        "providers": model.providers,
        "cache_reused_tokens": cache.reused_tokens,
        "cache_computed_tokens": cache.computed_tokens,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", nargs="*", default=[], help="LAYERSxWIDTHxHEADS shapes")
    parser.add_argument("--model", type=Path, help="model folder (default: the shipped one)")
    parser.add_argument("--checkpoint", type=Path, help="ckpt.pt to time torch as well")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20, help="decode steps per measurement")
    parser.add_argument("--torch", action="store_true", help="also time torch (candidates)")
    args = parser.parse_args()
    report: dict = {
        "benchmark": "generation",
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "models": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.candidates:
            config, fp32, int8, torch_model = export_candidate(shape, Path(tmp))
            entry = {
                "config": config,
                "int8_mb": int8.stat().st_size / 1e6,
                "int8": onnx_latencies(int8, config, args.threads, args.steps),
                "fp32": onnx_latencies(fp32, config, args.threads, args.steps),
            }
            if args.torch:
                entry["torch_fp32"] = torch_latencies(torch_model, args.threads, args.steps)
            report["models"][shape] = entry
            print(json.dumps({shape: entry}, indent=1))
    if args.model or not args.candidates:
        from codegpt.model.paths import default_model_dir

        model_dir = args.model or default_model_dir()
        config = json.loads((model_dir / "config.json").read_text())["model"]
        entry = {
            "config": config,
            "int8": onnx_latencies(model_dir / "model.onnx", config, args.threads, args.steps),
            "typing": typing_session(model_dir, args.threads),
        }
        if args.checkpoint:
            from codegpt.model.export import load_checkpoint_model

            torch_model, _ = load_checkpoint_model(args.checkpoint)
            entry["torch_fp32"] = torch_latencies(torch_model, args.threads, args.steps)
        report["models"][str(model_dir)] = entry
        print(json.dumps({str(model_dir): entry}, indent=1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "bench_generation_candidates.json" if args.candidates else "bench_generation.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS / name}")


if __name__ == "__main__":
    main()
