"""A tiny corpus in the format ``codegpt corpus`` writes, built in seconds from stdlib files.

Uses the real tokenizer trainer and FIM transform of the corpus pipeline, so training tests read
exactly the file layout the real run reads (tokenizer.json, train.bin, val.bin, val_fim.bin).
"""

from __future__ import annotations

import json
import random
import sysconfig
from pathlib import Path

import numpy as np

from codegpt.model.fim import apply_fim
from codegpt.model.tokens import END_OF_TEXT_ID
from codegpt.training.tokenizer import train_tokenizer

STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Small, stable stdlib modules: enough text for a 512-token vocabulary and a few dozen steps.
TRAIN_FILES = [
    "textwrap.py",
    "shlex.py",
    "fnmatch.py",
    "glob.py",
    "bisect.py",
    "heapq.py",
    "colorsys.py",
    "keyword.py",
    "numbers.py",
    "operator.py",
    "queue.py",
    "sched.py",
    "stat.py",
    "string.py",
]
VAL_FILES = ["copy.py", "graphlib.py", "contextvars.py", "this.py"]


def _docs(names: list[str]) -> list[str]:
    return [(STDLIB / n).read_text(encoding="utf-8") for n in names if (STDLIB / n).is_file()]


def build_tiny_corpus(out_dir: Path, vocab_size: int = 512, seed: int = 0) -> Path:
    """Write tokenizer.json, train.bin, val.bin, val_fim.bin and val.jsonl into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    train_docs, val_docs = _docs(TRAIN_FILES), _docs(VAL_FILES)
    tokenizer = train_tokenizer(train_docs, vocab_size, show_progress=False)
    tokenizer.save(str(out_dir / "tokenizer.json"))
    rng = random.Random(seed)

    def write(name: str, docs: list[str]) -> None:
        ids: list[int] = []
        for doc in docs:
            ids.extend(tokenizer.encode(doc).ids)
            ids.append(END_OF_TEXT_ID)
        np.asarray(ids, dtype=np.uint16).tofile(out_dir / name)

    write("train.bin", [apply_fim(d, rng) for d in train_docs])
    write("val.bin", val_docs)
    write("val_fim.bin", [apply_fim(d, rng, fim_rate=1.0) for d in val_docs])
    with (out_dir / "val.jsonl").open("w", encoding="utf-8") as f:
        for name, doc in zip(VAL_FILES, val_docs, strict=False):
            f.write(json.dumps({"package": "stdlib", "path": name, "text": doc}) + "\n")
    return out_dir


def tiny_train_config(data_dir: Path, out_dir: Path, **changes: object):
    """A TrainConfig for seconds-long tiny runs on one thread (fp32 unless ``bf16="true"``)."""
    from codegpt.training.config import TrainConfig

    settings: dict[str, object] = dict(
        data_dir=str(data_dir),
        out_dir=str(out_dir),
        batch_size=4,
        grad_accum_steps=1,
        max_steps=20,
        warmup_steps=4,
        learning_rate=3e-3,
        min_lr=3e-4,
        eval_interval=10,
        eval_iters=2,
        log_interval=5,
        threads=1,
        bf16="false",
        progress=False,
    )
    settings.update(changes)
    return TrainConfig(**settings)


def export_random_tiny(corpus_dir: Path, out_dir: Path, seed: int = 0) -> Path:
    """Export an untrained tiny GPT (int8 model.onnx + model.fp32.onnx) for runtime tests."""
    from dataclasses import asdict

    import torch

    from codegpt.model.configs import model_config
    from codegpt.model.export import export_checkpoint
    from codegpt.model.gpt import GPT

    torch.manual_seed(seed)
    config = model_config("tiny")
    model = GPT(config)
    checkpoint = out_dir.parent / f"{out_dir.name}-ckpt.pt"
    torch.save(
        {
            "model": model.state_dict(),
            "model_config": asdict(config),
            "train_config": {"data_dir": str(corpus_dir)},
            "step": 0,
        },
        checkpoint,
    )
    export_checkpoint(checkpoint, out_dir, keep_fp32=True)
    return out_dir
