"""End to end: corpus -> `codegpt train --config tiny` -> `codegpt export` -> parity -> generation.

Parity: torch and onnxruntime (fp32) logits agree within 1e-4 on prefill and on decode steps
with the KV cache; the int8 model's greedy continuations agree with fp32's on fixed prompts.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from tiny_corpus import build_tiny_corpus

from codegpt.main import main
from codegpt.model.export import load_checkpoint_model
from codegpt.model.generation import GenerateOptions
from codegpt.model.runtime import CodeModel, RuntimeOptions

PROMPTS = [
    "def wrap(text, width=70):\n    ",
    "import os\nimport ",
    "class Queue:\n    def __init__(self",
    "    for i in range(",
    'if __name__ == "__main__":\n    ',
    "    return ",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("e2e")
    corpus = build_tiny_corpus(root / "corpus")
    run = root / "run"
    train_args = ["train", "--config", "tiny", "--data", str(corpus), "--out", str(run)]
    settings = ["--max_steps=80", "--eval_interval=40", "--threads=1", "--progress=false"]
    assert main([*train_args, *settings, "--batch_size=8", "--learning_rate=3e-3"]) == 0
    model_dir = root / "model"
    checkpoint = run / "ckpt.pt"
    assert (
        main(["export", "--checkpoint", str(checkpoint), "--out", str(model_dir), "--keep-fp32"])
        == 0
    )
    return checkpoint, model_dir


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def test_export_writes_the_model_folder(exported: tuple[Path, Path]) -> None:
    _, model_dir = exported
    names = {p.name for p in model_dir.iterdir()}
    assert names == {
        "model.onnx",
        "model.fp32.onnx",
        "tokenizer.json",
        "config.json",
        "weights.safetensors",
    }
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model"]["n_layer"] == 2 and config["special_tokens"]["<|endoftext|>"] == 0
    assert config["export"]["quantization"] == "int8-dynamic-matmul-7bit"
    assert config["export"]["step"] == 80
    # int8 weights: well under half of the fp32 file.
    assert (model_dir / "model.onnx").stat().st_size < 0.5 * (
        model_dir / "model.fp32.onnx"
    ).stat().st_size


def test_fp32_onnx_matches_torch_on_prefill_and_cached_decode(exported: tuple[Path, Path]) -> None:
    """Training forward, torch cached path and onnxruntime fp32 agree within 1e-4."""
    checkpoint, model_dir = exported
    model, _ = load_checkpoint_model(checkpoint)
    onnx_model = session(model_dir / "model.fp32.onnx")
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 512, (2, 40), generator=generator)
    with torch.no_grad():
        training_logits, _ = model(ids)
    past_torch = model.empty_cache(2)
    past_onnx = [tensor.numpy() for pair in past_torch for tensor in pair]
    names = [f"past_{kind}_{layer}" for layer in range(2) for kind in ("key", "value")]
    # A prefill of 30 tokens, then 10 single-token decode steps through the cache.
    spans = [(0, 30)] + [(t, t + 1) for t in range(30, 40)]
    for start, end in spans:
        chunk = ids[:, start:end]
        index = torch.arange(end - start)
        with torch.no_grad():
            expected, past_torch = model.forward_with_cache(chunk, past_torch, index)
        np.testing.assert_allclose(
            expected.numpy(), training_logits[:, start:end].numpy(), atol=1e-4, rtol=1e-4
        )
        feeds = {"input_ids": chunk.numpy(), "logits_index": index.numpy()}
        feeds.update(zip(names, past_onnx, strict=True))
        logits, *past_onnx = onnx_model.run(None, feeds)
        np.testing.assert_allclose(logits, expected.numpy(), atol=1e-4, rtol=1e-4)
        for got, want in zip(past_onnx, (t for pair in past_torch for t in pair), strict=True):
            np.testing.assert_allclose(got, want.numpy(), atol=1e-4, rtol=1e-4)
    assert past_onnx[0].shape == (2, 2, 32, 40) and past_onnx[1].shape == (2, 2, 40, 32)


@pytest.mark.parametrize("name", ["model.fp32.onnx", "model.onnx"])
def test_the_cache_is_copied_once_per_call(exported: tuple[Path, Path], name: str) -> None:
    """Each past key/value feeds one Concat (and a Shape): no Split, Transpose or Mul of it.

    And int8 quantization touches only the weight MatMuls: 4 per layer plus the vocabulary
    projection; the attention MatMuls between activations and the cache stay float.
    """
    _, model_dir = exported
    graph = onnx.load(str(model_dir / name)).graph
    past_inputs = [i.name for i in graph.input if i.name.startswith("past_")]
    assert len(past_inputs) == 4
    for past in past_inputs:
        consumers = [node.op_type for node in graph.node if past in node.input]
        copies = [op for op in consumers if op != "Shape"]  # reading a shape copies nothing
        assert copies == ["Concat"], f"{past} feeds {consumers}"
    ops = Counter(node.op_type for node in graph.node)
    if name == "model.onnx":
        assert ops["MatMulInteger"] == 4 * 2 + 1
        assert ops["MatMul"] == 2 * 2  # scores and weighted values, per layer


def test_int8_weights_keep_seven_bits(exported: tuple[Path, Path]) -> None:
    """AVX2's VPMADDUBSW sums two uint8 x int8 products in int16: 8-bit weights saturate it."""
    _, model_dir = exported
    graph = onnx.load(str(model_dir / "model.onnx")).graph
    weights = {init.name: onnx.numpy_helper.to_array(init) for init in graph.initializer}
    quantized = [weights[node.input[1]] for node in graph.node if node.op_type == "MatMulInteger"]
    assert len(quantized) == 4 * 2 + 1
    for weight in quantized:
        assert weight.dtype == np.int8
        assert int(np.abs(weight.astype(np.int16)).max()) <= 64  # 2 x 255 x 64 < 2**15
    assert max(int(np.abs(weight.astype(np.int16)).max()) for weight in quantized) == 64


def test_int8_greedy_continuations_agree_with_fp32(exported: tuple[Path, Path]) -> None:
    """Measured agreement of greedy tokens (int8 dynamic quantization perturbs near-ties)."""
    _, model_dir = exported
    fp32_dir = model_dir.parent / "model-fp32"
    fp32_dir.mkdir(exist_ok=True)
    for name in ("tokenizer.json", "config.json"):
        (fp32_dir / name).write_bytes((model_dir / name).read_bytes())
    (fp32_dir / "model.onnx").write_bytes((model_dir / "model.fp32.onnx").read_bytes())
    int8 = CodeModel.load(RuntimeOptions(model_dir=model_dir, threads=1))
    fp32 = CodeModel.load(RuntimeOptions(model_dir=fp32_dir, threads=1))
    options = GenerateOptions(max_new_tokens=8, stop_at_special_tokens=False)
    agree = total = 0
    first_tokens_agree = 0
    for prompt in PROMPTS:
        ids = int8.encode(prompt)
        a = int8.generate(ids, options)[0].token_ids
        b = fp32.generate(ids, options)[0].token_ids
        first_tokens_agree += a[:1] == b[:1]
        # Agreement up to the first divergence (after it, the prompts differ).
        prefix = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
        agree += prefix
        total += len(b)
    assert first_tokens_agree >= len(PROMPTS) - 1
    assert agree / total >= 0.6, f"int8 agreed with fp32 on {agree}/{total} greedy tokens"


def test_runtime_generates_from_the_trained_model(exported: tuple[Path, Path]) -> None:
    _, model_dir = exported
    model = CodeModel.load(RuntimeOptions(model_dir=model_dir, threads=1))
    assert model.providers == ["CPUExecutionProvider"]
    ids = model.encode("def wrap(text, width=70):\n    ")
    generation = model.generate(ids, GenerateOptions(max_new_tokens=12))[0]
    assert generation.finish_reason in ("length", "eos", "stop")
    assert generation.text == model.decode(generation.token_ids)
    assert len(generation.token_logprobs) == len(generation.token_ids)
    # Trained for 80 steps on stdlib code: better than the uniform 1/512 guess per token.
    assert generation.mean_logprob > -np.log(512)


def test_fp16_export_runs_and_agrees_with_fp32(exported: tuple[Path, Path], tmp_path: Path) -> None:
    """The GPU variant: half-precision weights and compute, fp32 inputs and outputs.

    onnxruntime's CPU provider runs it too, so its numbers are checked here without a GPU.
    """
    from codegpt.model.export import convert_fp16

    _, model_dir = exported
    fp16_path = convert_fp16(model_dir / "model.fp32.onnx", tmp_path / "model.fp16.onnx")
    full, half = session(model_dir / "model.fp32.onnx"), session(fp16_path)
    types_by_name = {i.name: i.type for i in half.get_inputs()}
    assert all("float16" not in kind for kind in types_by_name.values())  # fp32 interface
    weights = onnx.load(str(fp16_path)).graph.initializer
    assert any(w.data_type == onnx.TensorProto.FLOAT16 for w in weights)
    rng = np.random.default_rng(0)
    ids = rng.integers(11, 500, size=(1, 24)).astype(np.int64)
    feeds = {"input_ids": ids, "logits_index": np.arange(24, dtype=np.int64)}
    for item in full.get_inputs():
        if item.name.startswith("past_"):
            shape = [1 if d == "batch" else 0 if isinstance(d, str) else d for d in item.shape]
            feeds[item.name] = np.zeros(shape, np.float32)
    expected, got = full.run(None, feeds)[0], half.run(None, feeds)[0]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=5e-2, rtol=5e-2)
    agree = float((got.argmax(-1) == expected.argmax(-1)).mean())
    assert agree >= 0.9


def test_a_model_folder_exports_again_in_place(exported: tuple[Path, Path], tmp_path: Path) -> None:
    """The shipped folder has fp16 weights, no ckpt.pt: re-exporting it keeps model and counters."""
    _, model_dir = exported
    folder = tmp_path / "shipped"
    folder.mkdir()
    for name in ("model.onnx", "tokenizer.json", "config.json", "weights.safetensors"):
        (folder / name).write_bytes((model_dir / name).read_bytes())
    before = json.loads((folder / "config.json").read_text())
    assert main(["export", "--checkpoint", str(folder), "--out", str(folder), "--keep-fp32"]) == 0
    after = json.loads((folder / "config.json").read_text())
    assert after == before  # step, tokens seen, val loss and shape all carried
    assert (folder / "tokenizer.json").read_bytes() == (model_dir / "tokenizer.json").read_bytes()
    # fp16 weights round-trip exactly, so the new fp32 graph is the old one's fp16-rounded twin.
    ids = np.arange(11, 43, dtype=np.int64)[None, :]
    feeds = {"input_ids": ids, "logits_index": np.arange(32, dtype=np.int64)}
    for item in session(folder / "model.fp32.onnx").get_inputs():
        if item.name.startswith("past_"):
            shape = [1 if d == "batch" else 0 if isinstance(d, str) else d for d in item.shape]
            feeds[item.name] = np.zeros(shape, np.float32)
    again = session(folder / "model.fp32.onnx").run(None, feeds)[0]
    original = session(model_dir / "model.fp32.onnx").run(None, feeds)[0]
    np.testing.assert_allclose(again, original, atol=5e-2)
    assert float((again.argmax(-1) == original.argmax(-1)).mean()) >= 0.9


def test_a_folder_without_weights_is_a_clear_export_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "config.json").write_text("{}")
    assert main(["export", "--checkpoint", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "weights.safetensors is missing" in capsys.readouterr().err
