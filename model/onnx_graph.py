"""The inference graph, written op by op from a trained GPT's weights.

Why not ``torch.onnx.export``: the traced graph re-derives every reshape from tensor shapes and
spells rotary embeddings and GELU as chains of small ops, about 85 nodes per layer. On a CPU each
node costs a few microseconds whatever its size, so for this model most of a decode step (and
half of a prefill) was spent in node overhead rather than in the matrix products. Written here,
a layer is 24 nodes, with the same math:

* reshapes use ONNX's "copy this dimension" (0) and need no shape arithmetic;
* the rotary "rotate half" is a linear map of q and k, so it is folded into the projection
  weights: one MatMul yields q, k, v and the rotated q and k, and applying rotary positions
  is ``qk * cos + rotated(qk) * sin`` for q and k together (three elementwise nodes);
* the attention scale 1/sqrt(head_dim) is folded into the query weights;
* cosines and sines come from tables indexed by position (one Gather each per call);
* GELU is ONNX's ``Gelu`` (opset 20) with the tanh approximation the model was trained with.

Inputs, outputs and cache layout are those documented in ``codegpt.model.export``.
``GPT.forward_with_cache`` is the torch reference this graph must match (tests check 1e-4).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from codegpt.model.gpt import GPT, rotary_cos_sin
from codegpt.model.kv_cache import past_input_names, present_output_names

OPSET = 20  # Gelu with approximate="tanh" is an operator from opset 20 on
# Nodes that must stay float when the graph is quantized: tables of cosines and sines.
FLOAT_ONLY_NODES = ("rope_cos", "rope_sin")


def rotate_half_rows(weight: np.ndarray, n_head: int, head_dim: int) -> np.ndarray:
    """Rows of ``weight`` (out, in) such that ``x @ result.T`` = rotate_half(``x @ weight.T``).

    Per head, rotary pairs channel d with d + head_dim/2: rotate_half maps (x1, x2) to
    (-x2, x1), a signed permutation of the output rows.
    """
    half = head_dim // 2
    heads = weight.reshape(n_head, head_dim, -1)
    rotated = np.concatenate((-heads[:, half:], heads[:, :half]), axis=1)
    return rotated.reshape(weight.shape)


def rotary_tables(length: int, head_dim: int, base: float) -> tuple[np.ndarray, np.ndarray]:
    """Cosines and sines (length, head_dim) for positions 0..length-1, both halves alike.

    The model's own ``rotary_cos_sin`` (head_dim/2 columns), repeated for the two halves that
    ``qk * cos + rotated(qk) * sin`` multiplies.
    """
    cos, sin = rotary_cos_sin(torch.arange(length), head_dim, base)
    return _np(torch.cat((cos, cos), dim=1)), _np(torch.cat((sin, sin), dim=1))


def _np(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().float().numpy()


class _Builder:
    """Collects nodes and initializers; names are explicit so the graph reads like the math."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str, **attrs) -> str:
        """One node with one output named ``output`` (the node takes the same name)."""
        self.nodes.append(helper.make_node(op_type, inputs, [output], name=output, **attrs))
        return output

    def split(self, x: str, sizes: str, outputs: list[str], axis: int) -> list[str]:
        """A Split node; its outputs are named ``outputs``."""
        self.nodes.append(
            helper.make_node("Split", [x, sizes], outputs, name=outputs[0], axis=axis)
        )
        return outputs

    def linear(self, name: str, x: str, layer: torch.nn.Linear, output: str = "") -> str:
        """A torch Linear layer applied to ``x``."""
        bias = None if layer.bias is None else _np(layer.bias)
        return self.matmul(name, x, _np(layer.weight), bias, output)

    def matmul(
        self, name: str, x: str, weight: np.ndarray, bias: np.ndarray | None, output: str = ""
    ) -> str:
        """The product ``x @ weight.T`` (+ bias), ``weight`` (out, in) as torch stores it."""
        w = self.const(f"{name}.weight", np.ascontiguousarray(weight.T, dtype=np.float32))
        y = self.op("MatMul", [x, w], output if bias is None and output else f"{name}/MatMul")
        if bias is None:
            return y
        b = self.const(f"{name}.bias", bias.astype(np.float32))
        return self.op("Add", [y, b], output or f"{name}/Add")

    def layer_norm(self, name: str, x: str, norm: torch.nn.LayerNorm) -> str:
        """LayerNormalization over the last axis with the layer's weight (and bias)."""
        inputs = [x, self.const(f"{name}.weight", _np(norm.weight))]
        if norm.bias is not None:
            inputs.append(self.const(f"{name}.bias", _np(norm.bias)))
        return self.op("LayerNormalization", inputs, f"{name}/LayerNorm", axis=-1, epsilon=norm.eps)


def _attention_weights(model: GPT, layer: int) -> tuple[np.ndarray, np.ndarray | None]:
    """One projection for q, k, v, rotated q and rotated k; q's parts carry the 1/sqrt scale."""
    config = model.config
    attn = model.blocks[layer].attn
    c, h, d = config.n_embd, config.n_head, config.head_dim
    scale = 1.0 / math.sqrt(d)
    weight = _np(attn.c_attn.weight)
    q, k, v = weight[:c] * scale, weight[c : 2 * c], weight[2 * c :]
    rows = [q, k, v, rotate_half_rows(q, h, d), rotate_half_rows(k, h, d)]
    bias = None
    if attn.c_attn.bias is not None:
        b = _np(attn.c_attn.bias)
        bq, bk, bv = b[:c] * scale, b[c : 2 * c], b[2 * c :]
        rotated = [rotate_half_rows(x[:, None], h, d)[:, 0] for x in (bq, bk)]
        bias = np.concatenate([bq, bk, bv, *rotated])
    return np.concatenate(rows, axis=0), bias


def build_graph(model: GPT) -> onnx.ModelProto:
    """The fp32 inference graph of ``model`` (prefill and decode, per-layer KV cache)."""
    config = model.config
    c, h, d, n_layer = config.n_embd, config.n_head, config.head_dim, config.n_layer
    g = _Builder()
    cos_table, sin_table = rotary_tables(config.block_size, d, config.rope_base)
    i64 = lambda *values: np.asarray(values, dtype=np.int64)  # noqa: E731

    # ---------------------------------------------------------------- positions and mask
    past_len = g.op("Shape", ["past_value_0"], "past_length", start=2, end=3)  # (1,)
    new_len = g.op("Shape", ["input_ids"], "new_length", start=1, end=2)  # (1,)
    total_len = g.op("Add", [past_len, new_len], "total_length")
    zero_axis = g.const("axis_0", i64(0))
    first = g.op("Squeeze", [past_len, zero_axis], "first_position")
    end = g.op("Squeeze", [total_len, zero_axis], "end_position")
    zero, one = g.const("zero", i64(0).reshape(())), g.const("one", i64(1).reshape(()))
    positions = g.op("Range", [first, end, one], "positions")  # (T,) = P .. P+T-1
    cos = g.op("Gather", [g.const("cos_table", cos_table), positions], "rope_cos", axis=0)
    sin = g.op("Gather", [g.const("sin_table", sin_table), positions], "rope_sin", axis=0)
    key_positions = g.op("Range", [zero, end, one], "key_positions")  # (P+T,)
    query_positions = g.op("Unsqueeze", [positions, g.const("axis_1", i64(1))], "query_column")
    visible = g.op("LessOrEqual", [key_positions, query_positions], "visible")  # (T, P+T)
    attn_bias = g.op(
        "Where",
        [
            visible,
            g.const("no_bias", np.zeros((), np.float32)),
            g.const("masked", np.full((), -np.inf, np.float32)),
        ],
        "attn_bias",
    )
    x = g.op("Gather", [g.const("wte.weight", _np(model.wte.weight)), "input_ids"], "embed")

    heads_shape = g.const("heads_shape", i64(0, 0, 5 * h, d))  # (B, T, q|k|v|rq|rk heads, D)
    merged_shape = g.const("merged_shape", i64(0, 0, c))
    qkv_split = g.const("qkv_split", i64(2 * h, h, 2 * h))
    qk_split = g.const("qk_split", i64(h, h))
    past_names = past_input_names(n_layer)
    present_names = present_output_names(n_layer)

    # ---------------------------------------------------------------- blocks
    for layer, block in enumerate(model.blocks):
        p = f"blocks.{layer}"
        hidden = g.layer_norm(f"{p}.ln_1", x, block.ln_1)
        weight, bias = _attention_weights(model, layer)
        projected = g.matmul(f"{p}.attn.c_attn", hidden, weight, bias)
        heads = g.op("Reshape", [projected, heads_shape], f"{p}/heads")
        heads = g.op("Transpose", [heads], f"{p}/heads_first", perm=[0, 2, 1, 3])  # (B,5H,T,D)
        qk, v, rotated = g.split(heads, qkv_split, [f"{p}/qk", f"{p}/v", f"{p}/qk_rotated"], axis=1)
        qk = g.op(
            "Add",
            [g.op("Mul", [qk, cos], f"{p}/qk_cos"), g.op("Mul", [rotated, sin], f"{p}/qk_sin")],
            f"{p}/qk_rope",
        )
        q, k = g.split(qk, qk_split, [f"{p}/q", f"{p}/k"], axis=1)
        k = g.op("Transpose", [k], f"{p}/k_t", perm=[0, 1, 3, 2])  # (B, H, D, T)
        key = g.op("Concat", [past_names[2 * layer], k], present_names[2 * layer], axis=3)
        value = g.op("Concat", [past_names[2 * layer + 1], v], present_names[2 * layer + 1], axis=2)
        scores = g.op("MatMul", [q, key], f"{p}/scores")  # (B, H, T, P+T), already scaled
        scores = g.op("Add", [scores, attn_bias], f"{p}/masked_scores")
        weights = g.op("Softmax", [scores], f"{p}/attention", axis=-1)
        y = g.op("MatMul", [weights, value], f"{p}/attended")  # (B, H, T, D)
        y = g.op("Transpose", [y], f"{p}/tokens_first", perm=[0, 2, 1, 3])
        y = g.op("Reshape", [y, merged_shape], f"{p}/merged")
        y = g.linear(f"{p}.attn.c_proj", y, block.attn.c_proj)
        x = g.op("Add", [x, y], f"{p}/residual_attn")
        hidden = g.layer_norm(f"{p}.ln_2", x, block.ln_2)
        hidden = g.linear(f"{p}.mlp.c_fc", hidden, block.mlp.c_fc)
        hidden = g.op("Gelu", [hidden], f"{p}/gelu", approximate="tanh")
        hidden = g.linear(f"{p}.mlp.c_proj", hidden, block.mlp.c_proj)
        x = g.op("Add", [x, hidden], f"{p}/residual_mlp")

    # ---------------------------------------------------------------- logits
    x = g.op("Gather", [x, "logits_index"], "picked", axis=1)  # (B, K, C)
    x = g.layer_norm("ln_f", x, model.ln_f)
    g.linear("lm_head", x, model.lm_head, output="logits")

    cache_dims = {"key": ["batch", h, d, "past"], "value": ["batch", h, "past", d]}
    present_dims = {"key": ["batch", h, d, "total"], "value": ["batch", h, "total", d]}
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
        helper.make_tensor_value_info("logits_index", TensorProto.INT64, ["positions"]),
    ]
    outputs = [
        helper.make_tensor_value_info(
            "logits", TensorProto.FLOAT, ["batch", "positions", config.vocab_size]
        )
    ]
    for name in past_names:
        kind = "key" if "_key_" in name else "value"
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, cache_dims[kind]))
    for name in present_names:
        kind = "key" if "_key_" in name else "value"
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, present_dims[kind]))
    graph = helper.make_graph(g.nodes, "codegpt", inputs, outputs, g.initializers)
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="codegpt"
    )
    onnx_model.ir_version = 9  # onnxruntime >= 1.16 reads it
    onnx.checker.check_model(onnx_model)
    return onnx_model


def write_graph(model: GPT, path: Path) -> Path:
    """Build the graph of ``model`` and save it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(build_graph(model.float().eval()), str(path))
    return path
