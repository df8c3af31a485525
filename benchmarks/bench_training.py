"""Training throughput of a model config on this machine: tokens/s and achieved FLOP/s.

Runs the training step exactly as training/train.py does (AdamW, grad clipping, autocast) on
random tokens, in fp32 and in bf16 autocast, and compares achieved FLOP/s (6 N per token plus
attention) with an estimated peak. Writes JSON to benchmarks/results/bench_training.json.

    python benchmarks/bench_training.py --config small --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch

from codegpt.model.configs import model_config
from codegpt.model.gpt import GPT
from codegpt.training.hardware import cpu_flags, cpu_name

RESULTS = Path(__file__).parent / "results"


def estimated_peak_flops(threads: int, bf16: bool) -> tuple[float, str]:
    """A rough per-core peak times the cores used; the basis is returned as text."""
    flags = cpu_flags()
    ghz = 2.0  # conservative all-core clock of a cloud Sapphire Rapids vCPU
    if bf16 and "amx_bf16" in flags:
        # AMX: 1024 bf16 FMA per cycle per core = 2048 FLOP/cycle.
        return threads * ghz * 1e9 * 2048, f"AMX-BF16 2048 FLOP/cycle/core at {ghz} GHz"
    if bf16 and "avx512_bf16" in flags:
        # VDPBF16PS: 32 bf16 products summed into 16 fp32 lanes per 512-bit instruction (64
        # FLOP), two pipes (Zen 4 splits them in halves, Zen 5 and Xeons do not): 128 FLOP/cycle.
        return threads * ghz * 1e9 * 128, f"AVX512-BF16 128 FLOP/cycle/core at {ghz} GHz"
    if "avx512f" in flags:
        # Two AVX-512 FMA units: 2 x 16 fp32 x 2 = 64 FLOP/cycle/core.
        return threads * ghz * 1e9 * 64, f"AVX-512 fp32 64 FLOP/cycle/core at {ghz} GHz"
    return threads * ghz * 1e9 * 32, f"AVX2 fp32 32 FLOP/cycle/core at {ghz} GHz"


def measure(config_name: str, bf16: bool, batch: int, steps: int, warmup: int) -> dict:
    config = model_config(config_name)
    torch.manual_seed(0)
    model = GPT(config)
    optimizer = model.configure_optimizer(0.1, 1e-3, (0.9, 0.95))
    x = torch.randint(0, config.vocab_size, (batch, config.block_size))
    y = torch.randint(0, config.vocab_size, (batch, config.block_size))
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)
    timings = []
    for i in range(warmup + steps):
        start = time.perf_counter()
        with autocast:
            _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if i >= warmup:
            timings.append(time.perf_counter() - start)
    seconds = sorted(timings)[len(timings) // 2]
    tokens_per_s = batch * config.block_size / seconds
    flops = model.flops_per_token(config.block_size) * tokens_per_s
    return {
        "dtype": "bf16-autocast" if bf16 else "fp32",
        "batch": batch,
        "block_size": config.block_size,
        "params": model.num_params(),
        "step_s_median": seconds,
        "tokens_per_s": tokens_per_s,
        "achieved_flops": flops,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="small")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, help="JSON path (default results/bench_training_CONFIG.json)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for bf16 in (False, True):
        row = measure(args.config, bf16, args.batch, args.steps, args.warmup)
        peak, basis = estimated_peak_flops(args.threads, bf16)
        row.update(estimated_peak_flops=peak, peak_basis=basis, mfu=row["achieved_flops"] / peak)
        rows.append(row)
        print(
            f"{args.config} {row['dtype']:>13}: {row['tokens_per_s']:8.0f} tokens/s, "
            f"{row['achieved_flops'] / 1e9:7.1f} GFLOP/s achieved, est. peak "
            f"{peak / 1e9:.0f} GFLOP/s ({row['mfu']:.1%})"
        )
    result = {
        "benchmark": "training",
        "config": args.config,
        "threads": args.threads,
        "machine": cpu_name(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "results": rows,
    }
    out = args.out or RESULTS / f"bench_training_{args.config}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
