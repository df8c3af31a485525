"""Training configuration and ``--key=value`` overrides (nanoGPT's configurator rule, no exec).

An override names a field of ``TrainConfig`` or of the model's ``ModelConfig``; an unknown key
or a value that does not parse as the field's type is a ``ConfigError`` naming the key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any, get_type_hints

from codegpt.model.model_config import ModelConfig
from codegpt.training.precision import BF16_CHOICES


class ConfigError(ValueError):
    """A user-supplied override that does not fit the configuration; the message names the key."""


# Text settings that take one of a few words.
CHOICES: dict[str, tuple[str, ...]] = {"bf16": BF16_CHOICES}


@dataclass
class TrainConfig:
    """How to train; saved in every checkpoint next to the model config."""

    # Corpus folder written by `codegpt corpus` (tokenizer.json, train.bin, val.bin, ...).
    data_dir: str = "data/corpus"
    # Where checkpoints and metrics.csv go.
    out_dir: str = "runs/small"
    # Sequences per micro-batch; with grad_accum_steps they make the optimizer batch.
    batch_size: int = 8
    # Micro-batches accumulated per optimizer step (per process under DDP): a large batch on a
    # machine that holds only a small one. 1 by default: a CPU run sees only a few million
    # tokens, and below the critical batch size more, smaller steps learn more per token.
    grad_accum_steps: int = 1
    # Peak learning rate: 6e-4 (GPT-3's small models) is safe for 4k-token batches.
    learning_rate: float = 6e-4
    # Floor of the cosine schedule (a tenth of the peak, Chinchilla).
    min_lr: float = 6e-5
    # Linear warmup steps: Adam's second-moment estimates need some steps to settle.
    warmup_steps: int = 100
    # Optimizer steps; the cosine schedule reaches min_lr here. With max_time_s the schedule is
    # re-planned on the measured step time (see train.py), so this is then only an upper bound.
    max_steps: int = 100_000
    # Wall-clock budget in seconds (0 = none): stop cleanly, with a checkpoint, when it is spent.
    max_time_s: float = 0.0
    # AdamW weight decay, applied to matrices only.
    weight_decay: float = 0.1
    # Adam betas: 0.95 for beta2 is steadier than 0.999 at large learning rates (GPT-3).
    beta1: float = 0.9
    beta2: float = 0.95
    # Gradient clipping by global norm guards against rare loss spikes.
    grad_clip: float = 1.0
    # Evaluate validation loss (val.bin and val_fim.bin) every this many steps.
    eval_interval: int = 100
    # Batches per validation estimate (each of val.bin and val_fim.bin).
    eval_iters: int = 10
    # Seed of the validation windows, apart from ``seed``: a run with another training seed
    # (a continuation drawing fresh batches) reports losses on the same windows as the runs
    # before it, so the logged curve stays one curve.
    eval_seed: int = 1337
    # Progress-bar/CSV log interval in steps.
    log_interval: int = 10
    # Save ckpt.pt at every evaluation (and at the end).
    save_checkpoints: bool = True
    # Continue from out_dir/ckpt.pt (model, optimizer, step, RNG, elapsed time: max_time_s counts
    # the time before the interruption too; raise it to train longer).
    resume: bool = False
    # Start from the weights of this checkpoint with a fresh optimizer and schedule (fine-tuning,
    # or a new run continuing from shipped weights). Ignored with resume.
    init_from: str = ""
    # With init_from: carry on its step, tokens seen and training time (a model folder records
    # them, and its training_metrics.csv starts this run's metrics.csv), so a run continuing the
    # shipped model reports totals and max_time_s counts the earlier time too, as with resume.
    # The fresh optimizer warms up again from this run's first step.
    init_counts: bool = False
    # bf16 autocast: AMX on Sapphire Rapids and tensor cores on GPUs run bf16 matmuls faster, a
    # CPU without bf16 instructions emulates them ~30x slower than fp32 (precision.py). "auto"
    # uses it where the hardware has it; "true" or "false" decide.
    bf16: str = "auto"
    # Device: "auto" picks CUDA when present.
    device: str = "auto"
    # torch intra-op threads (0 = torch's default).
    threads: int = 0
    # Seed for parameters, batches and dropout; runs with the same seed are identical.
    seed: int = 1337
    # Shard parameters with FSDP instead of replicating them with DDP (models that don't fit).
    fsdp: bool = False
    # torch.compile the model (GPU runs; compilation costs minutes on a CPU).
    compile: bool = False
    # Stop after this many steps even if the schedule runs longer (0 = no limit): lets a test
    # interrupt a run whose schedule was planned for more steps.
    stop_after_steps: int = 0
    # A second token file mixed into every batch (e.g. repair pairs from repair_shards), so a
    # fine-tune learns the new task without forgetting completion; "" = none.
    mix_data: str = ""
    # Share of each batch's rows drawn from mix_data (0..1).
    mix_fraction: float = 0.0
    # Held-out token file for the mixed task, evaluated as val_mix_loss; "" = none.
    mix_val_data: str = ""
    # Held-out context-level FIM examples (training/context_fim_shards.py), evaluated as
    # val_ctxfim_loss: the FIM the server asks for, middle and its own suffix in one window.
    ctxfim_val_data: str = ""
    # Show the tqdm progress bar (stderr).
    progress: bool = True
    # Peak FLOP/s of one device (e.g. 7.9e14 for an H200's measured bf16 matmul rate): when set,
    # the log reports model FLOPs utilisation (PaLM's MFU) next to tokens/s; 0 = not reported.
    peak_flops: float = 0.0


def _parse_value(key: str, text: str, kind: Any) -> Any:
    if kind is bool:
        lowered = text.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ConfigError(f"--{key} expects true or false, got {text!r}")
    if key in CHOICES:
        if text.lower() not in CHOICES[key]:
            words = CHOICES[key]
            expected = ", ".join(words[:-1]) + f" or {words[-1]}"
            raise ConfigError(f"--{key} expects {expected}, got {text!r}")
        return text.lower()
    if kind in (int, float, str):
        try:
            return kind(text)
        except ValueError:
            raise ConfigError(f"--{key} expects {kind.__name__}, got {text!r}") from None
    raise ConfigError(f"--{key} cannot be set from the command line")  # pragma: no cover


def apply_overrides(
    train: TrainConfig, model: ModelConfig, overrides: list[str]
) -> tuple[TrainConfig, ModelConfig]:
    """Return copies of both configs with ``--key=value`` overrides applied.

    Keys are looked up in TrainConfig first, then ModelConfig (no field name is in both).
    """
    train_types = get_type_hints(TrainConfig)
    model_types = get_type_hints(ModelConfig)
    train_changes: dict[str, Any] = {}
    model_changes: dict[str, Any] = {}
    for item in overrides:
        if not item.startswith("--") or "=" not in item:
            raise ConfigError(f"expected --key=value, got {item!r}")
        key, value = item[2:].split("=", 1)
        key = key.replace("-", "_")
        if key in train_types:
            train_changes[key] = _parse_value(key, value, train_types[key])
        elif key in model_types:
            model_changes[key] = _parse_value(key, value, model_types[key])
        else:
            known = sorted(list(train_types) + list(model_types))
            raise ConfigError(f"unknown config key --{key}; known keys: {', '.join(known)}")
    return dataclasses.replace(train, **train_changes), dataclasses.replace(model, **model_changes)


def config_keys() -> list[str]:
    """Every overridable key, for help texts."""
    return [f.name for f in fields(TrainConfig)] + [f.name for f in fields(ModelConfig)]
