"""The training loop: overrides, resume equals an uninterrupted run, time budget, metrics."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest
import torch
from tiny_corpus import build_tiny_corpus, tiny_train_config

from codegpt.main import main
from codegpt.model.configs import model_config
from codegpt.training.checkpoint import CheckpointError
from codegpt.training.config import ConfigError, TrainConfig, apply_overrides
from codegpt.training.hardware import read_run_hardware
from codegpt.training.model_card import hardware_line
from codegpt.training.train import learning_rate, train


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_corpus(tmp_path_factory.mktemp("corpus"))


def test_overrides_reach_both_configs() -> None:
    train_config, model_cfg = apply_overrides(
        TrainConfig(),
        model_config("tiny"),
        ["--n_layer=3", "--max_time_s=3600", "--bf16=false", "--out_dir=runs/x", "--dropout=0.1"],
    )
    assert model_cfg.n_layer == 3 and model_cfg.dropout == 0.1
    assert train_config.max_time_s == 3600.0 and train_config.bf16 == "false"
    assert train_config.out_dir == "runs/x"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("--n_layers=3", "unknown config key --n_layers"),
        ("--n_layer=three", "--n_layer expects int, got 'three'"),
        ("--bf16=maybe", "--bf16 expects auto, true or false"),
        ("--learning_rate=fast", "--learning_rate expects float"),
        ("n_layer=3", "expected --key=value"),
    ],
)
def test_bad_overrides_name_the_key(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        apply_overrides(TrainConfig(), model_config("tiny"), [override])


def test_cli_rejects_unknown_and_mistyped_keys(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--config", "tiny", "--n_layr=3"])
    assert exit_info.value.code == 2
    assert "--n_layr=3" in capsys.readouterr().err
    assert main(["train", "--config", "tiny", "--n_layer=x"]) == 2
    assert "--n_layer expects int, got 'x'" in capsys.readouterr().err


def test_cli_reports_a_missing_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--config", "tiny", "--data", str(tmp_path), "--out", str(tmp_path)])
    assert code == 2
    assert "no train.bin" in capsys.readouterr().err


def test_schedule_warms_up_then_decays_to_min_lr() -> None:
    config = TrainConfig(learning_rate=1e-3, min_lr=1e-4, warmup_steps=10, max_steps=110)
    assert learning_rate(config, 0, 0.0) == pytest.approx(1e-4)
    assert learning_rate(config, 9, 0.0) == pytest.approx(1e-3)
    assert learning_rate(config, 60, 0.0) == pytest.approx(5.5e-4)
    assert learning_rate(config, 110, 0.0) == pytest.approx(1e-4)
    # A spent time budget ends the cosine whatever the step.
    assert learning_rate(config, 20, 1.0) == pytest.approx(1e-4)
    assert learning_rate(config, 20, 0.5) < learning_rate(config, 20, 0.0)


def test_a_fresh_optimizer_on_carried_counters_warms_up_to_the_cosine() -> None:
    config = TrainConfig(learning_rate=1e-3, min_lr=1e-4, warmup_steps=10, max_steps=110)
    cosine = learning_rate(config, 60, 0.0)
    assert learning_rate(config, 60, 0.0, warmup_start=60) == pytest.approx(cosine / 10)
    assert learning_rate(config, 69, 0.0, warmup_start=60) == pytest.approx(
        learning_rate(config, 69, 0.0)
    )
    assert learning_rate(config, 75, 0.0, warmup_start=60) == learning_rate(config, 75, 0.0)


def test_resume_continues_exactly_like_an_uninterrupted_run(corpus: Path, tmp_path: Path) -> None:
    """Dropout on, so RNG states must be restored too; bf16 autocast as in real runs."""
    tiny = dataclasses.replace(model_config("tiny"), dropout=0.1)
    common = dict(max_steps=12, eval_interval=4, bf16="true")
    straight = train(tiny_train_config(corpus, tmp_path / "straight", **common), tiny)
    first = train(
        tiny_train_config(corpus, tmp_path / "resumed", stop_after_steps=6, **common), tiny
    )
    assert first.step == 6
    resumed = train(tiny_train_config(corpus, tmp_path / "resumed", resume=True, **common), tiny)
    assert resumed.step == straight.step == 12
    assert resumed.tokens_seen == straight.tokens_seen
    a, b = straight.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.train_loss == straight.train_loss
    saved = torch.load(tmp_path / "resumed" / "ckpt.pt", weights_only=False)
    assert saved["step"] == 12 and saved["model_config"]["dropout"] == 0.1
    assert set(saved) >= {"model", "optimizer", "rng", "train_config", "tokens_seen"}


def test_resume_with_another_model_config_says_why(corpus: Path, tmp_path: Path) -> None:
    train(tiny_train_config(corpus, tmp_path, max_steps=2), model_config("tiny"))
    bigger = dataclasses.replace(model_config("tiny"), n_layer=3)
    with pytest.raises(CheckpointError, match="n_layer: checkpoint 2 vs requested 3"):
        train(tiny_train_config(corpus, tmp_path, resume=True, max_steps=4), bigger)


def test_resume_without_checkpoint_is_an_error(corpus: Path, tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no checkpoint"):
        train(tiny_train_config(corpus, tmp_path, resume=True), model_config("tiny"))


def test_time_budget_stops_cleanly_at_min_lr(corpus: Path, tmp_path: Path) -> None:
    config = tiny_train_config(corpus, tmp_path, max_steps=100_000, max_time_s=2.0, log_interval=1)
    result = train(config, model_config("tiny"))
    assert 0 < result.step < 100_000
    assert (tmp_path / "ckpt.pt").is_file()
    with (tmp_path / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert rows[-1]["val_loss"] and rows[-1]["val_fim_loss"]  # the final evaluation
    assert float(rows[-1]["lr"]) == pytest.approx(config.min_lr)
    assert float(rows[0]["train_loss"]) > float(rows[-1]["train_loss"])
    assert [r["step"] for r in rows] == sorted((r["step"] for r in rows), key=int)
    # The run records what it trained on, for a model card written later, elsewhere.
    hardware = read_run_hardware(tmp_path)
    assert hardware is not None
    assert hardware["precision"] == "fp32" and hardware["threads"] == 1
    assert hardware_line(hardware).endswith("1 process, 1 thread, fp32")


def test_context_fim_validation_is_logged_and_a_missing_file_named(
    corpus: Path, tmp_path: Path
) -> None:
    missing = tiny_train_config(corpus, tmp_path / "a", ctxfim_val_data=str(tmp_path / "none.bin"))
    with pytest.raises(ConfigError, match="none.bin"):
        train(missing, model_config("tiny"))
    config = tiny_train_config(
        corpus, tmp_path / "b", max_steps=2, ctxfim_val_data=str(corpus / "val_fim.bin")
    )
    train(config, model_config("tiny"))
    with (tmp_path / "b" / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    evaluated = [row for row in rows if row["val_loss"]]
    assert evaluated and all(float(row["val_ctxfim_loss"]) > 0 for row in evaluated)


def test_model_smaller_than_tokenizer_is_rejected(corpus: Path, tmp_path: Path) -> None:
    small_vocab = dataclasses.replace(model_config("tiny"), vocab_size=256)
    with pytest.raises(ConfigError, match="--vocab_size=256 is smaller than the tokenizer's 512"):
        train(tiny_train_config(corpus, tmp_path), small_vocab)


def test_mixed_windows_draw_rows_from_the_mix_at_the_given_rate():
    import numpy as np

    from codegpt.model.tokens import END_OF_TEXT_ID
    from codegpt.training.train import mixed_windows

    main = np.full(5000, 7, dtype=np.uint16)
    # mix examples of 10 tokens: END_OF_TEXT then 101..109, so a row's first token says where
    # in an example it starts
    mix = (np.arange(5000) % 10 + 100).astype(np.uint16)
    mix[::10] = END_OF_TEXT_ID
    offsets = np.zeros(400, dtype=np.int64)
    x, y = mixed_windows(np.random.default_rng(0), main, mix, offsets, 0.25, 32)
    assert x.shape == (400, 32) and y.shape == (400, 32)
    assert (x[:, 1:] == y[:, :-1]).all()
    from_mix = x[:, 0] != 7
    assert 0.15 < from_mix.float().mean().item() < 0.35
    assert (x[from_mix, 0] == 101).all()  # mixed rows start at the start of an example
    x_all, _ = mixed_windows(np.random.default_rng(1), main, mix, offsets[:50], 1.0, 32)
    assert not (x_all == 7).any()
    x_none, _ = mixed_windows(np.random.default_rng(1), main, mix, offsets[:50], 0.0, 32)
    assert (x_none == 7).all()


def test_sigterm_stops_with_a_checkpoint_that_resumes(tmp_path):
    """A signal ends the run at the next step with a checkpoint; --resume carries on."""
    import signal
    import subprocess
    import sys
    import time

    from tiny_corpus import build_tiny_corpus

    corpus = build_tiny_corpus(tmp_path / "corpus")
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "codegpt",
        "train",
        "--config",
        "tiny",
        f"--data={corpus}",
        f"--out={out}",
        "--max_steps=100000",
        "--eval_interval=100000",
        "--threads=1",
        "--progress=false",
    ]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (out / "metrics.csv").is_file() or (out / "metrics.csv").read_text().count("\n") < 3:
        assert process.poll() is None, process.stderr.read()
        assert time.time() < deadline
        time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert "stopped on request" in stderr
    assert (out / "ckpt.pt").is_file()
    resumed = subprocess.run(
        [*command, "--resume=true", "--stop_after_steps=2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr


def test_training_continues_from_an_exported_model_folder(tmp_path):
    """--init_from takes the shipped kind of folder (fp16 safetensors + config.json)."""
    import torch
    from tiny_corpus import build_tiny_corpus, export_random_tiny, tiny_train_config

    from codegpt.model.configs import model_config
    from codegpt.training.checkpoint import CheckpointError, load_checkpoint
    from codegpt.training.train import train

    corpus = build_tiny_corpus(tmp_path / "corpus")
    folder = export_random_tiny(corpus, tmp_path / "exported")
    weights = load_checkpoint(folder)["model"]
    config = tiny_train_config(corpus, tmp_path / "run", init_from=str(folder), max_steps=1)
    result = train(config, model_config("tiny"))
    assert result.step == 1
    # one small step from the folder's weights, not from a fresh initialisation
    start = weights["wte.weight"]
    after = result.model.wte.weight.detach().float()
    assert torch.allclose(after, start, atol=0.05)
    assert not torch.allclose(after, start, atol=0)
    (folder / "weights.safetensors").unlink()
    with pytest.raises(CheckpointError, match="weights.safetensors is missing"):
        load_checkpoint(folder)


def test_init_counts_carries_on_a_model_folders_step_tokens_time_and_log(
    corpus: Path, tmp_path: Path
) -> None:
    """A run continuing the shipped model reports totals, and its log goes on from the folder's."""
    from codegpt.model.export import export_checkpoint

    first = train(tiny_train_config(corpus, tmp_path / "first", max_steps=4), model_config("tiny"))
    folder = tmp_path / "shipped"
    export_checkpoint(tmp_path / "first" / "ckpt.pt", folder)
    (folder / "training_metrics.csv").write_bytes((tmp_path / "first" / "metrics.csv").read_bytes())
    saved = torch.load(tmp_path / "first" / "ckpt.pt", weights_only=False)

    config = tiny_train_config(
        corpus, tmp_path / "next", init_from=str(folder), init_counts=True, max_steps=7
    )
    result = train(config, model_config("tiny"))
    assert result.step == 7
    assert result.tokens_seen == first.tokens_seen * 7 // 4
    with (tmp_path / "next" / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    steps = [int(row["step"]) for row in rows]
    assert steps[: steps.index(4) + 1] == [
        int(r["step"]) for r in csv.DictReader((folder / "training_metrics.csv").open(newline=""))
    ]
    assert steps[-1] == 7 and steps == sorted(steps)
    assert float(rows[-1]["elapsed_s"]) > saved["elapsed_s"]
    checkpoint = torch.load(tmp_path / "next" / "ckpt.pt", weights_only=False)
    assert checkpoint["warmup_start"] == 4 and checkpoint["step"] == 7


def test_init_counts_needs_init_from_and_init_from_needs_its_tokenizer(
    corpus: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="--init_counts=true needs --init_from"):
        train(tiny_train_config(corpus, tmp_path / "a", init_counts=True), model_config("tiny"))
    from tiny_corpus import export_random_tiny

    other = build_tiny_corpus(tmp_path / "other", vocab_size=300)
    folder = export_random_tiny(other, tmp_path / "exported")
    with pytest.raises(ConfigError, match="differs from"):
        config = tiny_train_config(corpus, tmp_path / "b", init_from=str(folder))
        train(config, model_config("tiny"))


def test_validation_windows_follow_eval_seed_not_the_training_seed(corpus: Path) -> None:
    """A continuation trained with a new seed logs val losses on the earlier runs' windows."""
    import contextlib

    from codegpt.model.gpt import GPT
    from codegpt.training.train import estimate_loss, load_tokens

    torch.manual_seed(0)
    model = GPT(model_config("tiny"))
    data = load_tokens(corpus / "val.bin")
    block = model_config("tiny").block_size

    def loss(**overrides: int) -> float:
        config = dataclasses.replace(TrainConfig(), batch_size=2, eval_iters=2, **overrides)
        return estimate_loss(model, data, config, block, contextlib.nullcontext, "cpu")

    assert loss(seed=1) == loss(seed=2)
    assert loss(seed=1) != loss(seed=1, eval_seed=7)
