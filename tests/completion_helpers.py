"""Shared pieces of the completion tests: a real exported model and the session options."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from codegpt.model import paths

# Show every suggestion the (possibly tiny) test model makes: the rules under test are the
# server's, not the model's confidence. Tests of suppression set their own threshold.
SHOW_ALL = -100.0


def completion_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped model when exported, else a tiny one trained once per test session.

    ``CODEGPT_TEST_MODEL`` names an already exported folder to use instead (for quick reruns).
    """
    override = os.environ.get("CODEGPT_TEST_MODEL")
    if override:
        return Path(override)
    shipped = paths.default_model_dir()
    if (shipped / paths.MODEL_FILE).is_file():
        return shipped
    work = tmp_path_factory.getbasetemp() / "completion-model"
    out = work / "model"
    if (out / paths.MODEL_FILE).is_file():
        return out
    from tiny_corpus import build_tiny_corpus, tiny_train_config

    from codegpt.model.configs import model_config
    from codegpt.model.export import export_checkpoint
    from codegpt.training.train import train

    corpus = build_tiny_corpus(work / "corpus")
    config = tiny_train_config(
        corpus, work / "run", max_steps=100, eval_interval=100, batch_size=8, warmup_steps=10
    )
    train(config, model_config("tiny"))
    export_checkpoint(next((work / "run").glob("*.pt")), out)
    return out


def session_options(model_dir: Path | str | None, **completion: Any) -> dict[str, Any]:
    """initializationOptions naming the model and completion settings (camelCase keys)."""
    settings: dict[str, Any] = {"confidenceThreshold": SHOW_ALL, "timeBudgetMs": 5000}
    settings.update(completion)
    options: dict[str, Any] = {"completion": settings, "diagnostics": {"enable": False}}
    if model_dir is not None:
        options["model"] = {"path": str(model_dir), "threads": 1}
    return {"codegpt": options}
