"""The training loop, top to bottom: set up, loop, evaluate, checkpoint (nanoGPT style).

Single process: ``codegpt train --config small``. Data parallel: ``torchrun --nproc_per_node=N -m
codegpt train ...``; DDP is detected from torchrun's ``RANK``/``WORLD_SIZE`` (gloo on CPU, NCCL on
GPU) and only rank 0 logs and writes files. ``--fsdp=true`` shards parameters instead.

Batches: every optimizer step draws one *global* batch of ``grad_accum_steps x world_size x
batch_size`` random windows from a generator seeded identically on every rank; rank r takes its
slice. So N processes with batch B see exactly the samples of one process with batch N*B, and
the losses match.

Learning-rate schedule: linear warmup, then cosine to ``min_lr``. Progress through the cosine is
``step / max_steps``, or, with a time budget ``max_time_s``, the larger of that and the share of
the budget spent. A time-budgeted run therefore always ends at ``min_lr`` when its time is up,
whatever throughput the (shared) machine gives it, without guessing a step count.
"""

from __future__ import annotations

import csv
import logging
import math
import os
import signal
import sys
import threading
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from codegpt.model.gpt import GPT, ModelConfig
from codegpt.model.paths import TOKENIZER_FILE
from codegpt.model.tokens import END_OF_TEXT_ID
from codegpt.training.checkpoint import (
    CHECKPOINT_FILE,
    check_compatible,
    load_checkpoint,
    restore_rng_states,
    rng_states,
    save_checkpoint,
)
from codegpt.training.config import ConfigError, TrainConfig
from codegpt.training.hardware import run_hardware, write_run_hardware
from codegpt.training.precision import resolve_bf16

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.csv"
VAL_FIELDS = ["val_loss", "val_fim_loss", "val_mix_loss", "val_ctxfim_loss"]
METRICS_FIELDS = [
    "step",
    "tokens",
    "train_loss",
    *VAL_FIELDS,
    "lr",
    "tokens_per_s",
    "elapsed_s",
    "mfu",
]


@dataclass
class TrainResult:
    """Summary of a finished run."""

    step: int
    tokens_seen: int
    train_loss: float
    val_loss: float | None
    elapsed_s: float
    tokens_per_s: float
    checkpoint: Path | None
    # Model FLOPs utilisation of this run (None without --peak_flops).
    mfu: float | None = None
    # The trained module (unwrapped from DDP; still sharded under FSDP), for tests and scripts.
    model: GPT | None = None


@dataclass
class Distributed:
    """Who this process is; world_size 1 when not launched by torchrun."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @property
    def enabled(self) -> bool:
        """Whether several processes train together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0 alone logs and writes files."""
        return self.rank == 0


def setup_distributed(device_type: str) -> Distributed:
    """Join torchrun's process group when ``RANK`` is set (gloo on CPU, NCCL on GPU)."""
    if "RANK" not in os.environ:
        return Distributed()
    env = Distributed(
        rank=int(os.environ["RANK"]),
        local_rank=int(os.environ.get("LOCAL_RANK", 0)),
        world_size=int(os.environ["WORLD_SIZE"]),
    )
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return env


def load_tokens(path: Path) -> np.ndarray:
    """Memory-map a uint16 token file (the corpus's ``*.bin``)."""
    return np.memmap(path, dtype=np.uint16, mode="r")


def tokenizer_vocab_size(data_dir: Path) -> int:
    """Vocabulary size of the corpus tokenizer (the model must have at least this many rows)."""
    from tokenizers import Tokenizer

    path = data_dir / TOKENIZER_FILE
    if not path.is_file():
        raise ConfigError(f"no {TOKENIZER_FILE} in {data_dir}: build it with codegpt corpus")
    return Tokenizer.from_file(str(path)).get_vocab_size()


def check_same_tokenizer(init_from: Path, data_dir: Path) -> None:
    """A model folder's weights only mean something with the tokenizer they were trained on."""
    shipped, corpus = init_from / TOKENIZER_FILE, data_dir / TOKENIZER_FILE
    if shipped.is_file() and shipped.read_bytes() != corpus.read_bytes():
        raise ConfigError(
            f"{shipped} differs from {corpus}: --init_from weights need the corpus tokenized "
            "with their tokenizer"
        )


def draw_offsets(rng: np.random.Generator, n_tokens: int, block_size: int, n: int) -> np.ndarray:
    """Start offsets of ``n`` random windows of block_size + 1 tokens."""
    return rng.integers(0, n_tokens - block_size - 1, size=n)


def mixed_windows(
    rng: np.random.Generator,
    main: np.ndarray,
    mix: np.ndarray,
    main_offsets: np.ndarray,
    fraction: float,
    block_size: int,
) -> tuple[torch.Tensor, ...]:
    """Like ``windows``, with each row replaced by a window of ``mix`` with chance ``fraction``.

    Mixed rows start right after an END_OF_TEXT of ``mix`` when one is near, so the model sees
    whole task examples (prompt then answer) rather than answers without their prompt.
    """
    rows = []
    for offset in main_offsets:
        if rng.random() < fraction:
            start = int(rng.integers(0, len(mix) - block_size - 1))
            ahead = np.flatnonzero(mix[start : start + block_size // 2] == END_OF_TEXT_ID)
            if len(ahead):
                start = min(start + int(ahead[0]) + 1, len(mix) - block_size - 1)
            rows.append(mix[start : start + block_size + 1])
        else:
            rows.append(main[offset : offset + block_size + 1])
    batch = torch.from_numpy(np.stack(rows).astype(np.int64))
    return batch[:, :-1].contiguous(), batch[:, 1:].contiguous()


def windows(data: np.ndarray, offsets: np.ndarray, block_size: int) -> tuple[torch.Tensor, ...]:
    """Inputs and next-token targets (B, block_size) for the windows at ``offsets``."""
    rows = np.stack([data[o : o + block_size + 1] for o in offsets]).astype(np.int64)
    batch = torch.from_numpy(rows)
    return batch[:, :-1].contiguous(), batch[:, 1:].contiguous()


def learning_rate(
    config: TrainConfig, step: int, time_share: float, warmup_start: int = 0
) -> float:
    """Warmup then cosine decay; ``time_share`` is the share of ``max_time_s`` spent (or 0).

    ``warmup_start``: the step a fresh optimizer began at in a run that carries on another's
    counters (``--init_counts``); the cosine's value there is reached by a linear warmup.
    """
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    by_steps = (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps)
    progress = min(1.0, max(by_steps, time_share))
    coefficient = 0.5 * (1.0 + math.cos(math.pi * progress))
    lr = config.min_lr + coefficient * (config.learning_rate - config.min_lr)
    since = step - warmup_start
    if warmup_start and since < config.warmup_steps:
        return lr * (since + 1) / config.warmup_steps
    return lr


def unwrap(model: torch.nn.Module) -> GPT:
    """The GPT inside a DDP/compile wrapper."""
    inner = getattr(model, "module", model)
    return getattr(inner, "_orig_mod", inner)


def full_state(model: torch.nn.Module, optimizer: torch.optim.Optimizer, fsdp: bool) -> tuple:
    """Model and optimizer state dicts, gathered to full tensors under FSDP."""
    if fsdp:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

        options = StateDictOptions(full_state_dict=True, cpu_offload=True)
        return get_state_dict(model, optimizer, options=options)
    return unwrap(model).state_dict(), optimizer.state_dict()


def load_full_state(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None,
    checkpoint: dict[str, Any],
    fsdp: bool,
) -> None:
    """Load a full (unsharded) checkpoint state into a possibly sharded model and optimizer."""
    if fsdp:
        from torch.distributed.checkpoint.state_dict import StateDictOptions, set_state_dict

        options = StateDictOptions(full_state_dict=True, broadcast_from_rank0=False)
        optim_state = checkpoint["optimizer"] if optimizer is not None else {}
        set_state_dict(
            model,
            optimizer if optimizer is not None else (),
            model_state_dict=checkpoint["model"],
            optim_state_dict=optim_state,
            options=options,
        )
        return
    unwrap(model).load_state_dict(checkpoint["model"])
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])


@torch.no_grad()
def estimate_loss(
    model: torch.nn.Module,
    data: np.ndarray,
    config: TrainConfig,
    block_size: int,
    autocast: Any,
    device: str,
) -> float:
    """Mean loss over ``eval_iters`` fixed windows (the same ones at every evaluation and run)."""
    rng = np.random.default_rng(config.eval_seed)
    losses = []
    model.eval()
    for _ in range(config.eval_iters):
        offsets = draw_offsets(rng, len(data), block_size, config.batch_size)
        x, y = (t.to(device) for t in windows(data, offsets, block_size))
        with autocast():
            _, loss = model(x, y)
        losses.append(loss.item())
    model.train()
    return float(np.mean(losses))


def train(config: TrainConfig, model_config: ModelConfig) -> TrainResult:
    """Train (or resume) a model as configured and return a summary.

    Raises ConfigError or CheckpointError, with a sentence naming the problem, for unusable
    input (missing corpus, vocabulary too small, incompatible checkpoint).
    """
    # ---------------------------------------------------------------- set up
    device = config.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device_type = "cuda" if device.startswith("cuda") else "cpu"
    env = setup_distributed(device_type)
    if env.enabled and device_type == "cuda":
        device = f"cuda:{env.local_rank}"
        torch.cuda.set_device(device)
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    data_dir = Path(config.data_dir)
    out_dir = Path(config.out_dir)
    train_path = data_dir / "train.bin"
    if not train_path.is_file():
        raise ConfigError(f"no train.bin in {data_dir}: build the corpus with codegpt corpus")
    vocab = tokenizer_vocab_size(data_dir)
    if model_config.vocab_size < vocab:
        raise ConfigError(
            f"--vocab_size={model_config.vocab_size} is smaller than the tokenizer's {vocab} "
            f"tokens in {data_dir / TOKENIZER_FILE}"
        )
    if config.init_counts and not config.init_from:
        raise ConfigError("--init_counts=true needs --init_from=CHECKPOINT_OR_MODEL_FOLDER")
    if config.init_from:
        check_same_tokenizer(Path(config.init_from), data_dir)
    block_size = model_config.block_size
    train_data = load_tokens(train_path)
    val_sets = {}
    for name, file in (("val_loss", "val.bin"), ("val_fim_loss", "val_fim.bin")):
        path = data_dir / file
        if path.is_file() and len(load_tokens(path)) > block_size + 1:
            val_sets[name] = load_tokens(path)
    if len(train_data) <= block_size + 1:
        raise ConfigError(f"{train_path} holds fewer tokens than one window of {block_size + 1}")
    mix_data = None
    if config.mix_fraction > 0:
        if not 0 < config.mix_fraction <= 1:
            raise ConfigError(f"--mix_fraction={config.mix_fraction} must be in (0, 1]")
        if not config.mix_data or not Path(config.mix_data).is_file():
            raise ConfigError(f"--mix_fraction needs --mix_data=FILE (got {config.mix_data!r})")
        mix_data = load_tokens(Path(config.mix_data))
        if len(mix_data) <= 2 * block_size + 2:
            raise ConfigError(f"{config.mix_data} holds too few tokens for a window")
    if config.mix_val_data and Path(config.mix_val_data).is_file():
        mix_val = load_tokens(Path(config.mix_val_data))
        if len(mix_val) > block_size + 1:
            val_sets["val_mix_loss"] = mix_val
    if config.ctxfim_val_data:
        if not Path(config.ctxfim_val_data).is_file():
            raise ConfigError(f"--ctxfim_val_data: no such file {config.ctxfim_val_data!r}")
        ctxfim_val = load_tokens(Path(config.ctxfim_val_data))
        if len(ctxfim_val) <= block_size + 1:
            raise ConfigError(f"{config.ctxfim_val_data} holds too few tokens for a window")
        val_sets["val_ctxfim_loss"] = ctxfim_val

    torch.manual_seed(config.seed)  # the same initial parameters on every rank
    batch_rng = np.random.default_rng(config.seed)  # the same global batches on every rank
    model = GPT(model_config).to(device)
    flops_per_token = model.flops_per_token(block_size)  # before FSDP shards the parameters
    step, tokens_seen, elapsed_before = 0, 0, 0.0
    warmup_start = 0
    earlier_metrics: Path | None = None
    last_val = None
    checkpoint_path = out_dir / CHECKPOINT_FILE
    checkpoint = None
    if config.resume:
        checkpoint = load_checkpoint(checkpoint_path)
        check_compatible(checkpoint, model_config, checkpoint_path)
        step = checkpoint["step"]
        tokens_seen = checkpoint["tokens_seen"]
        elapsed_before = checkpoint["elapsed_s"]
        last_val = checkpoint.get("val_loss")
        warmup_start = checkpoint.get("warmup_start", 0)
    elif config.init_from:
        init = load_checkpoint(Path(config.init_from))
        check_compatible(init, model_config, Path(config.init_from))
        model.load_state_dict(init["model"])
        if config.init_counts:
            step = warmup_start = int(init.get("step") or 0)
            tokens_seen = int(init.get("tokens_seen") or 0)
            elapsed_before = float(init.get("elapsed_s") or 0.0)
            last_val = init.get("val_loss")
            beside = Path(config.init_from).parent / METRICS_FILE
            earlier_metrics = init.get("metrics") or (beside if beside.is_file() else None)
        del init

    if config.fsdp:
        if not env.enabled:
            raise ConfigError("--fsdp=true needs torchrun (several processes)")
        from torch.distributed.fsdp import fully_shard

        for block in model.blocks:
            fully_shard(block)
        fully_shard(model)
    # After sharding: FSDP replaces the parameters, and the optimizer must hold the new ones.
    optimizer = unwrap(model).configure_optimizer(
        config.weight_decay, config.learning_rate, (config.beta1, config.beta2)
    )
    if checkpoint is not None:
        load_full_state(model, optimizer, checkpoint, config.fsdp)
        restore_rng_states(checkpoint["rng"], batch_rng)
    elif env.enabled:
        torch.manual_seed(config.seed + env.rank)  # different dropout masks per rank
    if config.compile:
        model = torch.compile(model)
    if env.enabled and not config.fsdp:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(
            model, device_ids=[env.local_rank] if device_type == "cuda" else None
        )
    del checkpoint

    bf16 = resolve_bf16(config.bf16, device_type)

    def autocast() -> Any:
        if not bf16:
            return nullcontext()
        return torch.autocast(device_type=device_type, dtype=torch.bfloat16)

    tokens_per_step = config.grad_accum_steps * env.world_size * config.batch_size * block_size

    def mfu(tokens_per_s: float) -> float | None:
        """Achieved model FLOP/s over the peak of all devices (PaLM appendix B)."""
        if config.peak_flops <= 0:
            return None
        return tokens_per_s * flops_per_token / (config.peak_flops * env.world_size)

    def mfu_cell(tokens_per_s: float) -> str:
        value = mfu(tokens_per_s)
        return "" if value is None else f"{value:.4f}"

    metrics_path = out_dir / METRICS_FILE
    if env.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        write_run_hardware(
            out_dir, run_hardware(device, env.world_size, torch.get_num_threads(), bf16)
        )
        if not (config.resume and metrics_path.is_file()):
            with metrics_path.open("w", newline="") as f:
                writer = csv.DictWriter(f, METRICS_FIELDS, extrasaction="ignore")
                writer.writeheader()
                if earlier_metrics is not None:  # --init_counts: the log goes on from there
                    with earlier_metrics.open(newline="") as earlier:
                        writer.writerows(csv.DictReader(earlier))
        params = unwrap(model).num_params() if not config.fsdp else GPT(model_config).num_params()
        logger.info(
            "training %.2fM parameters on %d processes (%s), %d tokens/step, from step %d",
            params / 1e6,
            env.world_size,
            device,
            tokens_per_step,
            step,
        )

    def write_metrics(row: dict[str, Any]) -> None:
        if metrics_path.is_file() and metrics_path.stat().st_size:
            with metrics_path.open(newline="") as f:
                header = next(csv.reader(f), METRICS_FIELDS)
            if header != METRICS_FIELDS:  # a log from an older version: add the new columns
                with metrics_path.open(newline="") as f:
                    old_rows = list(csv.DictReader(f))
                with metrics_path.open("w", newline="") as f:
                    writer = csv.DictWriter(f, METRICS_FIELDS, extrasaction="ignore")
                    writer.writeheader()
                    writer.writerows(old_rows)
        with metrics_path.open("a", newline="") as f:
            csv.DictWriter(f, METRICS_FIELDS, extrasaction="ignore").writerow(row)

    def elapsed_now() -> float:
        """Training time so far, agreed by all ranks (the slowest one's) so lr and stop agree."""
        value = elapsed_before + time.perf_counter() - start_time
        if env.enabled and config.max_time_s > 0:
            tensor = torch.tensor([value], device=device)
            dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
            value = float(tensor.item())
        return value

    def save(val_loss: float | None) -> None:
        model_state, optim_state = full_state(model, optimizer, config.fsdp)
        if not env.is_main or not config.save_checkpoints:
            return
        save_checkpoint(
            checkpoint_path,
            {
                "model": model_state,
                "optimizer": optim_state,
                "step": step,
                "tokens_seen": tokens_seen,
                "elapsed_s": elapsed_now_value,
                "val_loss": val_loss,
                "warmup_start": warmup_start,
                "rng": rng_states(batch_rng),
                "model_config": asdict(model_config),
                "train_config": asdict(config),
            },
        )

    def evaluate() -> dict[str, float]:
        return {
            name: estimate_loss(model, data, config, block_size, autocast, device)
            for name, data in val_sets.items()
        }

    from tqdm import tqdm

    bar = tqdm(
        total=config.max_steps,
        initial=step,
        disable=not (env.is_main and config.progress),
        file=sys.stderr,
        dynamic_ncols=True,
        unit="step",
    )
    # ---------------------------------------------------------------- loop
    model.train()
    start_time = time.perf_counter()
    elapsed_now_value = elapsed_before
    last_log_time, last_log_tokens = start_time, tokens_seen
    train_loss = float("nan")
    tokens_per_s = 0.0
    steps_this_run = 0
    # SIGTERM/SIGINT end the run at the next step with a checkpoint, so it can be resumed.
    stop_requested = threading.Event()
    previous_handlers = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous_handlers[signum] = signal.signal(signum, lambda *_: stop_requested.set())
    while True:
        elapsed_now_value = elapsed_now()
        time_share = elapsed_now_value / config.max_time_s if config.max_time_s > 0 else 0.0
        out_of_time = config.max_time_s > 0 and time_share >= 1.0
        stop_here = config.stop_after_steps > 0 and steps_this_run >= config.stop_after_steps
        finished = step >= config.max_steps or out_of_time or stop_here or stop_requested.is_set()
        # ------------------------------------------------------------ evaluate, checkpoint
        if (step > 0 and step % config.eval_interval == 0 and steps_this_run > 0) or finished:
            losses = evaluate()
            if losses:
                last_val = losses.get("val_loss", last_val)
            save(last_val)
            if env.is_main:
                write_metrics(
                    {
                        "step": step,
                        "tokens": tokens_seen,
                        "train_loss": f"{train_loss:.4f}",
                        **{
                            name: f"{losses[name]:.4f}" if name in losses else ""
                            for name in VAL_FIELDS
                        },
                        "lr": f"{learning_rate(config, step, time_share, warmup_start):.3e}",
                        "tokens_per_s": f"{tokens_per_s:.0f}",
                        "elapsed_s": f"{elapsed_now_value:.1f}",
                        "mfu": mfu_cell(tokens_per_s),
                    }
                )
                shown = ", ".join(f"{k} {v:.4f}" for k, v in losses.items())
                bar.write(f"step {step}: train loss {train_loss:.4f}, {shown}", file=sys.stderr)
        if finished:
            break
        # ------------------------------------------------------------ one optimizer step
        lr = learning_rate(config, step, time_share, warmup_start)
        for group in optimizer.param_groups:
            group["lr"] = lr
        offsets = draw_offsets(
            batch_rng,
            len(train_data),
            block_size,
            config.grad_accum_steps * env.world_size * config.batch_size,
        ).reshape(config.grad_accum_steps, env.world_size, config.batch_size)
        loss_sum = 0.0
        for micro in range(config.grad_accum_steps):
            if mix_data is None:
                batch = windows(train_data, offsets[micro, env.rank], block_size)
            else:
                batch = mixed_windows(
                    batch_rng,
                    train_data,
                    mix_data,
                    offsets[micro, env.rank],
                    config.mix_fraction,
                    block_size,
                )
            x, y = (t.to(device) for t in batch)
            last_micro = micro == config.grad_accum_steps - 1
            if env.enabled and not config.fsdp:
                model.require_backward_grad_sync = last_micro
            elif config.fsdp:
                model.set_requires_gradient_sync(last_micro)
            with autocast():
                _, loss = model(x, y)
            (loss / config.grad_accum_steps).backward()
            loss_sum += loss.item()
        if config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        train_loss = loss_sum / config.grad_accum_steps
        if env.enabled:  # the global batch's loss, as one process would report it
            tensor = torch.tensor([train_loss], device=device)
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)  # gloo has no AVG
            train_loss = float(tensor.item()) / env.world_size
        step += 1
        steps_this_run += 1
        tokens_seen += tokens_per_step
        bar.update(1)
        # ------------------------------------------------------------ log
        if step % config.log_interval == 0 and env.is_main:
            now = time.perf_counter()
            tokens_per_s = (tokens_seen - last_log_tokens) / max(now - last_log_time, 1e-9)
            last_log_time, last_log_tokens = now, tokens_seen
            if config.max_time_s > 0 and time_share > 0:
                bar.total = min(config.max_steps, int(step / time_share))
            postfix = {"loss": f"{train_loss:.3f}", "lr": f"{lr:.2e}"}
            postfix["tok_s"] = f"{tokens_per_s:.0f}"
            if config.peak_flops > 0:
                postfix["mfu"] = mfu_cell(tokens_per_s)
            bar.set_postfix(postfix, refresh=False)
            write_metrics(
                {
                    "step": step,
                    "tokens": tokens_seen,
                    "train_loss": f"{train_loss:.4f}",
                    **dict.fromkeys(VAL_FIELDS, ""),
                    "lr": f"{lr:.3e}",
                    "tokens_per_s": f"{tokens_per_s:.0f}",
                    "elapsed_s": f"{elapsed_before + now - start_time:.1f}",
                    "mfu": mfu_cell(tokens_per_s),
                }
            )
    bar.close()
    for signum, handler in previous_handlers.items():
        signal.signal(signum, handler)
    if stop_requested.is_set():
        logger.warning("stopped on request at step %d; resume with --resume", step)
    elapsed = elapsed_now_value
    run_time = time.perf_counter() - start_time
    run_tokens_per_s = steps_this_run * tokens_per_step / max(run_time, 1e-9)
    result = TrainResult(
        step=step,
        tokens_seen=tokens_seen,
        train_loss=train_loss,
        val_loss=last_val,
        elapsed_s=elapsed,
        tokens_per_s=run_tokens_per_s,
        checkpoint=checkpoint_path if config.save_checkpoints else None,
        mfu=mfu(run_tokens_per_s),
        model=unwrap(model),
    )
    if env.is_main and result.mfu is not None:
        # Over the whole run (evaluations, checkpoints and compilation included).
        logger.info(
            "%.0f tokens/s x %.3g FLOPs/token = %.3g FLOP/s: MFU %.1f%% of %.3g FLOP/s",
            run_tokens_per_s,
            flops_per_token,
            run_tokens_per_s * flops_per_token,
            100 * result.mfu,
            config.peak_flops * env.world_size,
        )
    if env.enabled:
        dist.barrier()
    return result
