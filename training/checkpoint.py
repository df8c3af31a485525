"""Checkpoints: everything needed to rebuild the model and continue training bit for bit.

A ``ckpt.pt`` holds the model and optimizer state, the step, tokens seen, elapsed training time,
every RNG state, ``asdict(model_config)`` and ``asdict(train_config)``. Writes are atomic (temp
file + rename) so a run killed mid-save keeps its previous checkpoint.
"""

from __future__ import annotations

import csv
import os
import random
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from codegpt.model.model_config import ModelConfig

CHECKPOINT_FILE = "ckpt.pt"
# A shipped model folder's copy of its run's metrics.csv (the loss curve's source).
METRICS_COPY = "training_metrics.csv"


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, unreadable or does not fit the requested model."""


def rng_states(batch_rng: np.random.Generator) -> dict[str, Any]:
    """All random states a resumed run needs to continue identically."""
    states: dict[str, Any] = {
        "python": random.getstate(),
        "numpy_batches": batch_rng.bit_generator.state,
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any], batch_rng: np.random.Generator) -> None:
    """Inverse of ``rng_states``."""
    random.setstate(states["python"])
    batch_rng.bit_generator.state = states["numpy_batches"]
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_model_folder(folder: Path) -> dict[str, Any]:
    """Weights of an exported model folder (``weights.safetensors`` + ``config.json``).

    Lets training continue from the shipped model, whose folder holds fp16 weights rather than
    a ``ckpt.pt``: the result has the checkpoint's ``model`` and ``model_config`` entries, no
    optimizer state, which is what ``--init_from`` needs, and the counters the folder records
    (step, tokens seen, training time; ``metrics``: its training log) for ``--init_counts``.
    """
    import json

    from safetensors.torch import load_file

    weights, config = folder / "weights.safetensors", folder / "config.json"
    for needed in (weights, config):
        if not needed.is_file():
            raise CheckpointError(f"{folder} is not a model folder: {needed.name} is missing")
    try:
        state = {key: value.float() for key, value in load_file(str(weights)).items()}
        folder_config = json.loads(config.read_text(encoding="utf-8"))
        model_config = folder_config["model"]
    except Exception as error:  # noqa: BLE001 - any read failure means a corrupt folder
        raise CheckpointError(f"cannot read model folder {folder}: {error}") from None
    if "lm_head.weight" not in state and "wte.weight" in state:
        state["lm_head.weight"] = state["wte.weight"]  # tied, dropped on export
    checkpoint = {"model": state, "model_config": model_config}
    checkpoint.update(folder_counters(folder, folder_config.get("export", {})))
    return checkpoint


def folder_counters(folder: Path, export: dict[str, Any]) -> dict[str, Any]:
    """Step, tokens seen and training time of an exported model, where the folder records them.

    Older exports lack ``elapsed_s`` in config.json: the last row of the shipped training log
    (``training_metrics.csv``) has it.
    """
    counters = {key: export[key] for key in ("step", "tokens_seen", "elapsed_s") if export.get(key)}
    metrics = folder / METRICS_COPY
    if metrics.is_file():
        counters["metrics"] = metrics
        if "elapsed_s" not in counters:
            with metrics.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
            if rows and rows[-1].get("elapsed_s"):
                counters["elapsed_s"] = float(rows[-1]["elapsed_s"])
    return counters


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by ``save_checkpoint`` (or a model folder); errors name it."""
    if path.is_dir():
        return load_model_folder(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # noqa: BLE001 - any read failure means a corrupt file
        raise CheckpointError(f"cannot read checkpoint {path}: {error}") from None
    for key in ("model", "model_config"):
        if key not in checkpoint:
            raise CheckpointError(f"checkpoint {path} has no {key!r} entry")
    return checkpoint


def check_compatible(checkpoint: dict[str, Any], config: ModelConfig, path: Path) -> None:
    """Raise CheckpointError naming every model field that differs from the checkpoint's."""
    saved = checkpoint["model_config"]
    current = asdict(config)
    # Dropout changes no weight, so a resumed run may change it.
    names = [f.name for f in fields(ModelConfig) if f.name != "dropout"]
    differences = [
        f"{name}: checkpoint {saved.get(name)!r} vs requested {current[name]!r}"
        for name in names
        if saved.get(name) != current[name]
    ]
    if differences:
        raise CheckpointError(
            f"checkpoint {path} was trained with a different model config "
            f"({'; '.join(differences)}); pass the same --config/overrides or a new --out"
        )
