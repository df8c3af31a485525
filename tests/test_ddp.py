"""Data-parallel training with torchrun on the CPU (gloo): 2 processes equal 1 on the same batch.

This file is also the worker torchrun starts: ``python tests/test_ddp.py DATA OUT FSDP``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

HERE = Path(__file__).resolve().parent
STEPS = 6
PER_RANK_BATCH = 2


def run_worker(data_dir: str, out_dir: str, fsdp: bool) -> None:
    """One torchrun rank: train, then write this rank's parameters and loss."""
    import torch.distributed as dist
    from tiny_corpus import tiny_train_config

    from codegpt.model.configs import model_config
    from codegpt.training.train import train

    config = tiny_train_config(
        Path(data_dir), Path(out_dir), batch_size=PER_RANK_BATCH, max_steps=STEPS, fsdp=fsdp
    )
    result = train(config, model_config("tiny"))
    state = result.model.state_dict()
    if fsdp:  # gather the shards into full tensors
        state = {k: v.full_tensor() for k, v in state.items()}
    rank = dist.get_rank()
    torch.save(state, Path(out_dir) / f"rank{rank}.pt")
    (Path(out_dir) / f"rank{rank}.json").write_text(json.dumps({"loss": result.train_loss}))
    dist.destroy_process_group()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_corpus import build_tiny_corpus

    return build_tiny_corpus(tmp_path_factory.mktemp("corpus"))


def torchrun(corpus: Path, out: Path, fsdp: bool) -> None:
    torchrun_bin = shutil.which("torchrun") or str(Path(sys.executable).parent / "torchrun")
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(HERE))
    command = [
        torchrun_bin,
        "--nproc_per_node=2",
        "--standalone",
        str(HERE / "test_ddp.py"),
        str(corpus),
        str(out),
        "1" if fsdp else "0",
    ]
    # A session of its own so that a hang kills the workers too, not only torchrun.
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    assert process.returncode == 0, stderr[-3000:]


def single_process(corpus: Path, out: Path):
    from tiny_corpus import tiny_train_config

    from codegpt.model.configs import model_config
    from codegpt.training.train import train

    config = tiny_train_config(corpus, out, batch_size=2 * PER_RANK_BATCH, max_steps=STEPS)
    return train(config, model_config("tiny"))


def assert_matches_single_process(corpus: Path, out: Path, tmp_path: Path) -> None:
    ranks = [torch.load(out / f"rank{r}.pt") for r in (0, 1)]
    assert ranks[0].keys() == ranks[1].keys()
    for key in ranks[0]:
        assert torch.equal(ranks[0][key], ranks[1][key]), f"{key} differs across ranks"
    losses = [json.loads((out / f"rank{r}.json").read_text())["loss"] for r in (0, 1)]
    assert losses[0] == losses[1]
    single = single_process(corpus, tmp_path / "single")
    assert losses[0] == pytest.approx(single.train_loss, abs=1e-5)
    expected = single.model.state_dict()
    for key, value in ranks[0].items():
        assert torch.allclose(value, expected[key], atol=1e-5), key
    # Only rank 0 writes the checkpoint and the metrics.
    assert (out / "ckpt.pt").is_file() and (out / "metrics.csv").is_file()
    saved = torch.load(out / "ckpt.pt", weights_only=False)
    assert saved["tokens_seen"] == STEPS * 2 * PER_RANK_BATCH * 128


def test_ddp_two_ranks_equal_one_process_on_the_same_global_batch(
    corpus: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ddp"
    torchrun(corpus, out, fsdp=False)
    assert_matches_single_process(corpus, out, tmp_path)


@pytest.mark.slow
def test_fsdp_two_ranks_equal_one_process(corpus: Path, tmp_path: Path) -> None:
    out = tmp_path / "fsdp"
    torchrun(corpus, out, fsdp=True)
    assert_matches_single_process(corpus, out, tmp_path)


if __name__ == "__main__":
    run_worker(sys.argv[1], sys.argv[2], sys.argv[3] == "1")
