"""Export a trained GPT to ONNX with a KV cache, plus int8 and fp16 variants.

One graph serves prefill and decode. Inputs: ``input_ids`` (batch, sequence), ``logits_index``
(K,: which of the new positions get logits, usually just the last), then per layer
``past_key_{i}`` (batch, n_head, head_dim, past) and ``past_value_{i}`` (batch, n_head, past,
head_dim); past may be 0. Outputs: ``logits`` (batch, K, vocab) and ``present_key_{i}`` /
``present_value_{i}`` (past + sequence long). Keys are stored transposed so attention uses them
as they are; a cache per layer (not one stacked tensor) so each call copies it only once, in the
Concat that appends the new tokens. New tokens take positions ``past .. past + sequence - 1``:
the position offset is the cache length and needs no input of its own (rotary positions make
cached keys valid for any later query).

The graph is written op by op from the weights (``codegpt.model.onnx_graph``), not traced:
a traced graph spent most of a CPU decode step in shape arithmetic and small elementwise nodes.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from codegpt.model import paths
from codegpt.model.gpt import GPT, ModelConfig
from codegpt.model.kv_cache import past_input_names, present_output_names
from codegpt.model.onnx_graph import FLOAT_ONLY_NODES, OPSET, write_graph
from codegpt.model.tokens import SPECIAL_TOKENS

logger = logging.getLogger(__name__)

CACHE_LAYOUT = "per-layer; key (batch, head, head_dim, past), value (batch, head, past, head_dim)"


def input_names(n_layer: int) -> list[str]:
    """The graph's inputs in order (the runtime checks a model file against these)."""
    return ["input_ids", "logits_index", *past_input_names(n_layer)]


def output_names(n_layer: int) -> list[str]:
    """The graph's outputs in order."""
    return ["logits", *present_output_names(n_layer)]


class ExportError(RuntimeError):
    """A checkpoint or corpus folder that cannot be exported; the message says which file."""


def export_fp32(model: GPT, path: Path) -> Path:
    """Write the fp32 ONNX graph of ``model`` to ``path`` (built op by op: ``onnx_graph``)."""
    return write_graph(model, path)


def quantize_int8(
    fp32_path: Path, out_path: Path, *, weight_type: str = "QInt8", reduce_range: bool = True
) -> Path:
    """Dynamic int8 quantization of the weight MatMuls: int8 weights, uint8 activations per call.

    Weights keep 7 bits (``reduce_range``). On x86 CPUs without VNNI (AVX2 only: AMD Zen 3 and
    older, Intel before Ice Lake) onnxruntime multiplies uint8 by int8 with VPMADDUBSW, which
    adds two products into a saturating int16: full-range weights overflow it. Measured on a
    Zen 3 EPYC with the step-46513 model on 30k test tokens: bits per byte fp32 0.7435, 8-bit
    weights 0.7601, 7-bit weights 0.7454 (uint8 weights 0.7445, slower). On VNNI and AMX CPUs
    the products are exact either way, so 7 bits cost only their rounding there. The keyword
    arguments exist for ``benchmarks/bench_quantization.py``, which measures the other forms.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32_path),
        str(out_path),
        op_types_to_quantize=["MatMul", "Gather"],
        weight_type=getattr(QuantType, weight_type),
        per_channel=True,
        reduce_range=reduce_range,
        nodes_to_exclude=list(FLOAT_ONLY_NODES),
    )
    return out_path


def convert_fp16(fp32_path: Path, out_path: Path) -> Path:
    """Half-precision weights and compute for the GPU; inputs and outputs stay fp32."""
    import onnx
    from onnxscript.optimizer import optimize  # noqa: F401  (ensures onnxscript is importable)

    try:
        from onnxruntime.transformers.float16 import convert_float_to_float16
    except ImportError as error:  # pragma: no cover - depends on the onnxruntime build
        raise ExportError(f"fp16 conversion needs onnxruntime.transformers: {error}") from None
    model = onnx.load(str(fp32_path))
    model16 = convert_float_to_float16(model, keep_io_types=True)
    onnx.save(model16, str(out_path))
    return out_path


@dataclass
class ExportResult:
    """What ``export_checkpoint`` wrote."""

    out_dir: Path
    files: list[Path]


def load_checkpoint_model(checkpoint_path: Path) -> tuple[GPT, dict]:
    """Rebuild the model from a ``ckpt.pt`` or an exported model folder (its fp16 weights).

    A folder lets the shipped model be exported again (say, with another quantization) without
    the ``ckpt.pt`` it came from, which is never committed. Its ``model_config`` alone defines
    the shape either way.
    """
    if checkpoint_path.is_dir():
        from codegpt.training.checkpoint import CheckpointError, load_model_folder

        try:
            checkpoint = load_model_folder(checkpoint_path)
        except CheckpointError as error:
            raise ExportError(str(error)) from None
        export = json.loads((checkpoint_path / paths.CONFIG_FILE).read_text(encoding="utf-8"))
        checkpoint["val_loss"] = export.get("export", {}).get("val_loss")
        checkpoint.pop("metrics", None)
    elif not checkpoint_path.is_file():
        raise ExportError(f"checkpoint not found: {checkpoint_path}")
    else:
        try:
            checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
        except Exception as error:  # noqa: BLE001 - any failure here means an unusable checkpoint
            raise ExportError(f"cannot load checkpoint {checkpoint_path}: {error}") from None
    try:
        model = GPT(ModelConfig(**checkpoint["model_config"]))
        model.load_state_dict(checkpoint["model"])
    except Exception as error:  # noqa: BLE001 - any failure here means an unusable checkpoint
        raise ExportError(f"cannot load checkpoint {checkpoint_path}: {error}") from None
    return model.eval(), checkpoint


def export_checkpoint(
    checkpoint_path: Path,
    out_dir: Path,
    *,
    int8: bool = True,
    fp16: bool = False,
    keep_fp32: bool = False,
    tokenizer_path: Path | None = None,
) -> ExportResult:
    """Write a model folder the runtime loads: model.onnx, tokenizer.json, config.json, weights.

    ``model.onnx`` is the int8 graph when ``int8`` (the CPU default), else fp32. ``fp16`` adds
    ``model.fp16.onnx`` for the GPU; ``keep_fp32`` keeps ``model.fp32.onnx`` (large: not shipped).
    """
    from safetensors.torch import save_file

    model, checkpoint = load_checkpoint_model(checkpoint_path)
    if tokenizer_path is None and checkpoint_path.is_dir():
        tokenizer_path = checkpoint_path / paths.TOKENIZER_FILE
    if tokenizer_path is None:
        data_dir = checkpoint.get("train_config", {}).get("data_dir")
        if not data_dir:
            raise ExportError("the checkpoint names no corpus folder; pass the tokenizer path")
        tokenizer_path = Path(data_dir) / paths.TOKENIZER_FILE
    if not tokenizer_path.is_file():
        raise ExportError(f"tokenizer not found: {tokenizer_path}")
    out_dir.mkdir(parents=True, exist_ok=True)
    fp32_path = out_dir / "model.fp32.onnx"
    export_fp32(model, fp32_path)
    files: list[Path] = []
    model_path = out_dir / paths.MODEL_FILE
    if int8:
        quantize_int8(fp32_path, model_path)
    else:
        shutil.copyfile(fp32_path, model_path)
    files.append(model_path)
    if fp16:
        files.append(convert_fp16(fp32_path, out_dir / "model.fp16.onnx"))
    if keep_fp32:
        files.append(fp32_path)
    else:
        fp32_path.unlink()
    if tokenizer_path.resolve() != (out_dir / paths.TOKENIZER_FILE).resolve():
        shutil.copyfile(tokenizer_path, out_dir / paths.TOKENIZER_FILE)
    files.append(out_dir / paths.TOKENIZER_FILE)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    state.pop("lm_head.weight", None)  # tied to wte.weight; safetensors refuses shared storage
    save_file(state, str(out_dir / paths.WEIGHTS_FILE))
    files.append(out_dir / paths.WEIGHTS_FILE)
    config = {
        "model": asdict(model.config),
        "special_tokens": {token: i for i, token in enumerate(SPECIAL_TOKENS)},
        "export": {
            "quantization": "int8-dynamic-matmul-7bit" if int8 else "none",
            "opset": OPSET,
            "inputs": input_names(model.config.n_layer),
            "outputs": output_names(model.config.n_layer),
            "cache_layout": CACHE_LAYOUT,
            "step": checkpoint.get("step"),
            "tokens_seen": checkpoint.get("tokens_seen"),
            "elapsed_s": checkpoint.get("elapsed_s"),
            "val_loss": checkpoint.get("val_loss"),
        },
    }
    (out_dir / paths.CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n")
    files.append(out_dir / paths.CONFIG_FILE)
    return ExportResult(out_dir=out_dir, files=files)
