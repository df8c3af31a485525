"""Generation speed: prefill, per-token decode with the KV cache, cold start, typing completions.

Two modes:

    # candidate shapes (random weights, exported on the fly: sizing the `small` config)
    python benchmarks/bench_generation.py --candidates 4x256x4 6x256x4 6x384x6 8x512x8
    # a real model folder (the shipped one by default), with torch for comparison if given
    python benchmarks/bench_generation.py --model model/default [--checkpoint runs/small/ckpt.pt]
    # also its fp32 graph, both thread counts and both prefill chunk sizes
    python benchmarks/bench_generation.py --fp32 /tmp/model/model.fp32.onnx --threads 1 2 \
        --prefill-chunks 32 64

For each model: prefill time for 256/512/1024-token prompts (up to the context), per-token
decode latency (median and minimum over steps) with the cache at those lengths, int8 and fp32
onnxruntime, and optionally torch. For a model folder also: cold start (load + first
completion) and a typing session (one keystroke adds a few tokens; a 12-token single-line
completion through the runtime's KVCache): p50/p95, per prefill chunk size. On a shared machine
wall time only grows, so the minimum is reported beside the median, and with one thread the
calling thread's CPU time too (``*_cpu_*``: onnxruntime runs the graph on that thread, and
another process's load does not add to it). Writes JSON to benchmarks/results/.
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

    from codegpt.model.kv_cache import Past

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    n_layer, n_head = config["n_layer"], config["n_head"]
    empty = Past.empty(n_layer, n_head, config["n_embd"] // n_head)
    last = np.zeros(1, np.int64)

    def run(ids: np.ndarray, past: Past) -> Past:
        feeds = {"input_ids": ids, "logits_index": last, **past.feeds()}
        return Past(tuple(session.run(None, feeds)[1:]))

    rng = np.random.default_rng(0)
    result = {}
    for length in (n for n in LENGTHS if n <= config["block_size"]):
        ids = rng.integers(20, config["vocab_size"], (1, length)).astype(np.int64)
        run(ids, empty)
        times, cpu_times = [], []
        for _ in range(3):
            start, cpu_start = time.perf_counter(), time.thread_time()
            past = run(ids, empty)
            times.append(time.perf_counter() - start)
            cpu_times.append(time.thread_time() - cpu_start)
        decode, cpu_decode = [], []
        token = np.array([[42]], np.int64)
        cache = past.prefix(length - steps)  # decode up to `length` tokens of context
        for _ in range(steps):
            start, cpu_start = time.perf_counter(), time.thread_time()
            cache = run(token, cache)
            decode.append(time.perf_counter() - start)
            cpu_decode.append(time.thread_time() - cpu_start)
        result[str(length)] = {
            "prefill_ms": 1e3 * min(times),
            "decode_ms_p50": 1e3 * statistics.median(decode),
            "decode_ms_min": 1e3 * min(decode),
        }
        if threads == 1:
            result[str(length)]["prefill_cpu_ms"] = 1e3 * min(cpu_times)
            result[str(length)]["decode_cpu_ms_p50"] = 1e3 * statistics.median(cpu_decode)
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
            keep = length - steps
            cache = [(k[..., :keep], v[:, :, :keep]) for k, v in past]
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


def typing_session(model_dir: Path, threads: int, prefill_chunk: int = 64) -> dict:
    """Cold start, then single-line completions while typing, through the runtime's cache."""
    from codegpt.model.generation import GenerateOptions
    from codegpt.model.kv_cache import KVCache
    from codegpt.model.runtime import CodeModel, RuntimeOptions
    from codegpt.model.tokens import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX

    source = Path(__file__).read_text()
    cut = len(source) // 2
    start = time.perf_counter()
    model = CodeModel.load(
        RuntimeOptions(model_dir=model_dir, threads=threads, prefill_chunk=prefill_chunk)
    )
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
    latencies, cpu_latencies = [], []
    for n in range(1, len(typed_text)):
        ids = prompt(typed_text[:n])
        begin, cpu_begin = time.perf_counter(), time.thread_time()
        model.generate(ids, options, cache=cache)
        latencies.append(time.perf_counter() - begin)
        cpu_latencies.append(time.thread_time() - cpu_begin)
    cold_prefill, cpu_cold_prefill = [], []
    for at in range(3000, len(source) - 400, 1400):  # prompts that share nothing: no cache
        ids = model.encode(
            f"{FIM_PREFIX}{FIM_SUFFIX}{source[at : at + 300]}{FIM_MIDDLE}{source[:at]}"
        )[-(model.max_context - 16) :]
        begin, cpu_begin = time.perf_counter(), time.thread_time()
        model.next_token_logprobs(ids)
        cold_prefill.append(time.perf_counter() - begin)
        cpu_cold_prefill.append(time.thread_time() - cpu_begin)
    cpu = {
        "typing_completion_cpu_ms_p50": 1e3 * percentile(cpu_latencies, 50),
        "typing_completion_cpu_ms_p95": 1e3 * percentile(cpu_latencies, 95),
        "cold_prefill_cpu_ms_p50": 1e3 * percentile(cpu_cold_prefill, 50),
    }
    return {
        "prefill_chunk": prefill_chunk,
        "load_s": load_s,
        "cold_start_first_completion_s": cold_s,
        "typing_completion_ms_p50": 1e3 * percentile(latencies, 50),
        "typing_completion_ms_p95": 1e3 * percentile(latencies, 95),
        "cold_prefill_ms_p50": 1e3 * percentile(cold_prefill, 50),  # a prompt with no cache
        **(cpu if threads == 1 else {}),
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
    parser.add_argument("--fp32", type=Path, help="the model's fp32 graph (export --keep-fp32)")
    parser.add_argument("--checkpoint", type=Path, help="ckpt.pt to time torch as well")
    parser.add_argument("--threads", type=int, nargs="+", default=[2])
    parser.add_argument("--prefill-chunks", type=int, nargs="+", default=[64])
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
            entry: dict = {"config": config, "int8_mb": int8.stat().st_size / 1e6}
            for threads in args.threads:
                entry[f"int8_threads{threads}"] = onnx_latencies(int8, config, threads, args.steps)
                entry[f"fp32_threads{threads}"] = onnx_latencies(fp32, config, threads, args.steps)
                if args.torch:
                    entry[f"torch_fp32_threads{threads}"] = torch_latencies(
                        torch_model, threads, args.steps
                    )
            report["models"][shape] = entry
            print(json.dumps({shape: entry}, indent=1))
    if args.model or not args.candidates:
        from codegpt.model.paths import default_model_dir

        model_dir = args.model or default_model_dir()
        config = json.loads((model_dir / "config.json").read_text())["model"]
        entry = {"config": config}
        for threads in args.threads:
            entry[f"int8_threads{threads}"] = onnx_latencies(
                model_dir / "model.onnx", config, threads, args.steps
            )
            if args.fp32:
                entry[f"fp32_threads{threads}"] = onnx_latencies(
                    args.fp32, config, threads, args.steps
                )
            for chunk in args.prefill_chunks:
                entry[f"typing_threads{threads}_chunk{chunk}"] = typing_session(
                    model_dir, threads, chunk
                )
        if args.checkpoint:
            from codegpt.model.export import load_checkpoint_model

            torch_model, _ = load_checkpoint_model(args.checkpoint)
            entry["torch_fp32"] = torch_latencies(torch_model, args.threads[0], args.steps)
        report["models"][str(model_dir)] = entry
        print(json.dumps({str(model_dir): entry}, indent=1))
    report["load_average_after"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "bench_generation_candidates.json" if args.candidates else "bench_generation.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS / name}")


if __name__ == "__main__":
    main()
