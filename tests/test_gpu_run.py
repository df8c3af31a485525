"""The one-command GPU run, on the CPU with ``tiny``: from a Python without codegpt installed."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from codegpt.training.evaluate import EXAMPLES
from codegpt.training.gpu_run import (
    MIB,
    OUT_MAX_FILE_BYTES,
    OUT_MAX_FILES,
    merge_weights,
    publish,
    split_weights,
)

REPO = Path(__file__).resolve().parents[1]
STDLIB = Path(sysconfig.get_paths()["stdlib"])
PACKAGES = ("json", "email", "logging", "http", "urllib")
# Modules the device image lacks: the run must not need them.
MISSING_THERE = ("pygls", "lsprotocol", "tree_sitter", "tree_sitter_python")
TOTAL_S = 110


def bare_python(tmp_path: Path) -> Path:
    """A venv that sees our dependencies but neither codegpt nor the serving-only packages."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    blockers = tmp_path / "blockers"
    blockers.mkdir()
    for name in MISSING_THERE:
        (blockers / f"{name}.py").write_text(f"raise ImportError('no {name} on the device')\n")
    purelib = Path(sysconfig.get_paths()["purelib"])
    # A .pth line adds a folder without running the .pth files in it: codegpt's editable-install
    # finder stays off, so only the script's own path set-up can make codegpt importable.
    site_dir = next((venv / "lib").glob("python3*/site-packages"))
    (site_dir / "deps.pth").write_text(f"{blockers}\n{purelib}\n")
    return venv / "bin" / "python"


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp_path = tmp_path_factory.mktemp("gpu_run")
    python = bare_python(tmp_path)
    probe = subprocess.run(
        [str(python), "-c", "import codegpt"], cwd=tmp_path, capture_output=True, check=False
    )
    assert probe.returncode != 0, "the bare venv must not import codegpt by itself"
    source = tmp_path / "src"
    for name in PACKAGES:
        shutil.copytree(STDLIB / name, source / name, ignore=shutil.ignore_patterns("test*"))
    out = tmp_path / "out"
    command = [
        "bash", str(REPO / "training" / "gpu_run.sh"), "--out", str(out), "--work",
        str(tmp_path / "work"), "--config", "tiny", "--device", "cpu", "--no-stdlib",
        "--no-site-packages", "--source", str(source), "--total-s", str(TOTAL_S), "--corpus-s",
        "25", "--train-s", "8", "--mix-s", "15", "--export-s", "40", "--eval-lines", "10",
        "--bpb-tokens", "2000", "--jobs", "2", "--peak-flops", "1e11",
    ]  # fmt: skip
    env = {**os.environ, "PYTHON": str(python), "OMP_NUM_THREADS": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TOTAL_S + 60, check=False
    )
    return {"done": done, "out": out}


def test_the_run_succeeds_within_its_budget(run: dict) -> None:
    done = run["done"]
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((run["out"] / "summary.json").read_text())
    assert summary["error"] == ""
    assert set(summary["phases_s"]) == {"corpus", "mix", "train", "export", "eval", "total"}
    assert summary["phases_s"]["total"] <= TOTAL_S
    log = (run["out"] / "run.log").read_text()
    phases = ("corpus", "repair", "ctxfim", "train", "export", "eval")
    for phase in (f"[{name}] exit 0" for name in phases):
        assert phase in log


def test_artifacts_fit_the_device_limits(run: dict) -> None:
    files = [p for p in run["out"].iterdir()]
    names = {p.name for p in files}
    assert {"run.log", "summary.json", "metrics.csv", "config.json", "tokenizer.json"} <= names
    assert {"model.onnx", "weights.safetensors"} <= names
    assert len(files) <= OUT_MAX_FILES
    assert all(p.is_file() and p.stat().st_size <= OUT_MAX_FILE_BYTES for p in files)


def test_summary_holds_eval_numbers_and_mfu(run: dict) -> None:
    summary = json.loads((run["out"] / "summary.json").read_text())
    evaluation = summary["eval"]
    assert math.isfinite(evaluation["bits_per_byte"]) and evaluation["bits_per_byte"] > 0
    variants = ("line_completion_prefix_only", "line_completion_with_suffix")
    for variant in (*variants, *(variant + "_healed" for variant in variants)):
        assert evaluation[variant]["samples"] == 10
        assert 0 <= evaluation[variant]["edit_similarity"] <= 100  # CodeXGLUE scale
    examples = evaluation["examples"]
    assert [e["prompt"] for e in examples] == [prompt for prompt, _ in EXAMPLES]
    assert all(e["match"] == (e["completion"] == e["expected"]) for e in examples)
    train = summary["train"]
    assert train["steps"] > 0 and train["val_loss"] is not None
    # Repair pairs, context-level FIM and documented functions were built and mixed in; the
    # first two are measured on their val shards.
    assert summary["mix"]["parts"] == ["repair", "ctxfim", "docfuncs"]
    assert not summary["mix"]["errors"]
    assert all(tokens > 0 for tokens in summary["mix"]["tokens"].values())
    assert train["settings"]["mix_fraction"] == "0.3"
    assert train["val_mix_loss"] is not None and train["val_ctxfim_loss"] is not None
    assert train["median_mfu"] > 0 and train["parameters"] > 0
    assert summary["staging"]["files_kept"] > 0 and summary["corpus"]["counts"]["documents"] > 0


def test_metrics_have_rows_with_mfu(run: dict) -> None:
    with (run["out"] / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 2
    assert all(row["mfu"] and float(row["mfu"]) > 0 for row in rows if row["tokens_per_s"] != "0")
    assert float(rows[0]["train_loss"]) > float(rows[-1]["train_loss"])


def test_weights_split_below_the_limit_and_merge_back(tmp_path: Path) -> None:
    tensors = {f"w{i}": np.full((512, 1024), i, dtype=np.float16) for i in range(5)}  # 1 MiB each
    whole = tmp_path / "weights.safetensors"
    save_file(tensors, str(whole))
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    # The real limit is 16 MiB; 2.5 MiB parts exercise the same packing with small files.
    import codegpt.training.gpu_run as gpu_run

    original = gpu_run.OUT_MAX_FILE_BYTES
    gpu_run.OUT_MAX_FILE_BYTES = 2 * MIB
    try:
        parts = split_weights(whole, parts_dir, part_bytes=int(2.5 * MIB))
    finally:
        gpu_run.OUT_MAX_FILE_BYTES = original
    assert len(parts) == 3
    assert all(p.stat().st_size <= 2.5 * MIB + 4096 for p in parts)
    merged = load_file(str(merge_weights(parts_dir)))
    assert sorted(merged) == sorted(tensors)
    assert all(np.array_equal(merged[name], tensors[name]) for name in tensors)


def test_publish_keeps_to_the_file_limits(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    files = []
    huge = tmp_path / "huge.bin"
    with huge.open("wb") as handle:
        handle.truncate(17 * MIB)
    files.append(huge)
    for index in range(10):
        path = tmp_path / f"f{index}.txt"
        path.write_text("x")
        files.append(path)
    published, left_out = publish(files, out, reserve=1)
    assert len(list(out.iterdir())) == OUT_MAX_FILES - 1
    assert len(published) == OUT_MAX_FILES - 1
    assert left_out[0].startswith("huge.bin (17.0 MiB")
    assert len(left_out) == 1 + 10 - (OUT_MAX_FILES - 1)


def test_a_mix_part_that_fails_is_left_out_and_named(tmp_path: Path) -> None:
    """No corpus to read: every child fails; training gets no mix, the summary says why."""
    from codegpt.training.gpu_run import Clock, Summary, build_mix, parse_args

    args = parse_args(["--out", str(tmp_path / "out"), "--jobs", "2"])
    summary = Summary(args={})
    clock = Clock(60)
    settings = build_mix(args, tmp_path / "no-corpus", tmp_path / "mix", 50, clock, summary)
    assert settings == {}
    assert summary.mix["parts"] == []
    assert set(summary.mix["errors"]) == {"repair", "ctxfim", "docfuncs"}
    assert all("exit code" in error for error in summary.mix["errors"].values())
