"""The hand-written inference graph against the torch model it was built from.

``test_export_parity.py`` checks a trained ``tiny`` export end to end; these check the graph
builder itself on random weights, with and without biases, and keep the graph lean.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnxruntime as ort
import pytest
import torch

from codegpt.model.gpt import GPT, ModelConfig
from codegpt.model.onnx_graph import build_graph, rotate_half_rows

CONFIG = dict(vocab_size=97, block_size=48, n_layer=2, n_head=2, n_embd=32)


def random_model(bias: bool) -> GPT:
    torch.manual_seed(0)
    model = GPT(ModelConfig(**CONFIG, bias=bias)).eval()
    with torch.no_grad():  # non-zero biases and norms, so that folding them is exercised
        for name, parameter in model.named_parameters():
            if name.endswith("bias") or ".ln_" in name or name.startswith("ln_f"):
                parameter.add_(0.1 * torch.randn_like(parameter))
    return model


def run_session(model: GPT) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    serialized = build_graph(model).SerializeToString()
    return ort.InferenceSession(serialized, options, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("bias", [False, True])
def test_graph_matches_torch_on_prefill_and_decode(bias: bool) -> None:
    model = random_model(bias)
    session = run_session(model)
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(0, CONFIG["vocab_size"], (2, 20), generator=generator)
    with torch.no_grad():
        expected, _ = model(ids)
    config = model.config
    past = {}
    for layer in range(config.n_layer):
        past[f"past_key_{layer}"] = np.zeros((2, config.n_head, config.head_dim, 0), np.float32)
        past[f"past_value_{layer}"] = np.zeros((2, config.n_head, 0, config.head_dim), np.float32)
    names = [output.name for output in session.get_outputs()]
    # A prefill of 12 tokens asking for two positions' logits, then single-token steps.
    for start, end, wanted in [(0, 12, [3, 11])] + [(t, t + 1, [0]) for t in range(12, 20)]:
        feeds = {
            "input_ids": ids[:, start:end].numpy(),
            "logits_index": np.asarray(wanted, np.int64),
            **past,
        }
        logits, *present = session.run(None, feeds)
        want = expected[:, [start + i for i in wanted]].numpy()
        np.testing.assert_allclose(logits, want, atol=1e-4, rtol=1e-4)
        past = {n.replace("present", "past"): t for n, t in zip(names[1:], present, strict=True)}
    assert past["past_key_0"].shape == (2, config.n_head, config.head_dim, 20)
    assert past["past_value_1"].shape == (2, config.n_head, 20, config.head_dim)


def test_rotated_rows_compute_rotate_half() -> None:
    """x @ rotated(W).T equals rotate_half(x @ W.T) head by head: (x1, x2) -> (-x2, x1)."""
    rng = np.random.default_rng(0)
    n_head, head_dim = 3, 8
    weight = rng.normal(size=(n_head * head_dim, 5))
    x = rng.normal(size=(4, 5))
    out = (x @ weight.T).reshape(4, n_head, 2, head_dim // 2)
    expected = np.concatenate((-out[:, :, 1], out[:, :, 0]), axis=-1).reshape(4, -1)
    np.testing.assert_allclose(x @ rotate_half_rows(weight, n_head, head_dim).T, expected)


def test_graph_has_no_shape_arithmetic_per_layer() -> None:
    """Per-node overhead dominates small CPU models: a layer stays at a couple dozen nodes."""
    graph = build_graph(random_model(False)).graph
    ops = Counter(node.op_type for node in graph.node)
    layer_nodes = [node for node in graph.node if node.name.startswith("blocks.0")]
    assert len(layer_nodes) <= 24, Counter(node.op_type for node in layer_nodes)
    assert ops["Shape"] == 2  # cache length and new length, once per call
    assert ops["Gelu"] == CONFIG["n_layer"]
