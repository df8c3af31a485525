"""The GPT module: causal masking, the cached inference path, tied weights and named configs."""

from __future__ import annotations

import pytest
import torch

from codegpt.model.configs import MODEL_CONFIGS, model_config
from codegpt.model.gpt import GPT, ModelConfig, rotary_cos_sin


@pytest.fixture(scope="module")
def model() -> GPT:
    torch.manual_seed(0)
    return GPT(model_config("tiny")).eval()


def test_forward_shapes_and_loss(model: GPT) -> None:
    idx = torch.randint(0, 512, (2, 16))
    logits, loss = model(idx, torch.randint(0, 512, (2, 16)))
    assert logits.shape == (2, 16, 512)
    # An untrained model is close to uniform over the vocabulary.
    assert abs(loss.item() - torch.log(torch.tensor(512.0)).item()) < 0.5


def test_future_tokens_do_not_change_past_logits(model: GPT) -> None:
    idx = torch.randint(0, 512, (1, 20))
    changed = idx.clone()
    changed[0, 12:] = (changed[0, 12:] + 7) % 512
    with torch.no_grad():
        a, _ = model(idx)
        b, _ = model(changed)
    assert torch.allclose(a[:, :12], b[:, :12], atol=1e-6)
    assert not torch.allclose(a[:, 12:], b[:, 12:])


def test_cached_path_matches_full_forward(model: GPT) -> None:
    """Prefill in two chunks, then single-token decode, equals one full forward pass."""
    idx = torch.randint(0, 512, (2, 24))
    with torch.no_grad():
        full, _ = model(idx)
        first, past = model.forward_with_cache(idx[:, :10], model.empty_cache(2))
        second, past = model.forward_with_cache(idx[:, 10:20], past)
        steps = []
        for t in range(20, 24):
            step_logits, past = model.forward_with_cache(idx[:, t : t + 1], past)
            steps.append(step_logits)
    cached = torch.cat([first, second, *steps], dim=1)
    assert len(past) == 2  # one (key, value) pair per layer
    for key, value in past:
        assert key.shape == (2, 2, 32, 24)  # (batch, n_head, head_dim, length): pre-transposed
        assert value.shape == (2, 2, 24, 32)  # (batch, n_head, length, head_dim)
    assert torch.allclose(cached, full, atol=1e-5)


def test_cached_keys_and_values_are_the_training_paths(model: GPT) -> None:
    """The cache holds exactly the rotated keys and the values the training attention uses."""
    idx = torch.randint(0, 512, (1, 9))
    with torch.no_grad():
        _, past = model.forward_with_cache(idx, model.empty_cache())
        block = model.blocks[0]
        cos, sin = rotary_cos_sin(torch.arange(9), model.config.head_dim, model.config.rope_base)
        _, k, v = block.attn._heads(block.ln_1(model.wte(idx)), cos, sin)
    assert torch.equal(past[0][0], k.transpose(2, 3))
    assert torch.equal(past[0][1], v)


def test_logits_index_selects_positions(model: GPT) -> None:
    idx = torch.randint(0, 512, (1, 8))
    with torch.no_grad():
        all_logits, _ = model.forward_with_cache(idx, model.empty_cache())
        last, _ = model.forward_with_cache(idx, model.empty_cache(), torch.tensor([7, 2]))
    assert last.shape == (1, 2, 512)
    assert torch.allclose(last[0, 0], all_logits[0, 7], atol=1e-5)
    assert torch.allclose(last[0, 1], all_logits[0, 2], atol=1e-5)


def test_embeddings_are_tied(model: GPT) -> None:
    assert model.lm_head.weight is model.wte.weight
    n = model.num_params()
    assert n == sum(p.numel() for p in model.parameters())
    assert n < 2 * 512 * 64 + 2 * 12 * 64 * 64 + 1000  # the embedding counted once


def test_weight_decay_only_on_matrices(model: GPT) -> None:
    optimizer = model.configure_optimizer(0.1, 1e-3, (0.9, 0.95))
    decayed, plain = optimizer.param_groups
    assert decayed["weight_decay"] == 0.1 and all(p.dim() == 2 for p in decayed["params"])
    assert plain["weight_decay"] == 0.0 and all(p.dim() == 1 for p in plain["params"])


def test_a_few_steps_overfit_one_batch() -> None:
    torch.manual_seed(0)
    model = GPT(model_config("tiny"))
    optimizer = model.configure_optimizer(0.0, 3e-3, (0.9, 0.95))
    idx = torch.randint(0, 512, (2, 32))
    losses = []
    for _ in range(30):
        _, loss = model(idx[:, :-1], idx[:, 1:])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 1.0


def test_named_configs() -> None:
    assert set(MODEL_CONFIGS) == {"tiny", "small", "base", "medium"}
    small = model_config("small")
    assert small.n_embd % small.n_head == 0 and small.head_dim == 64
    assert model_config("small") is not model_config("small")  # callers may mutate their copy
    with pytest.raises(ValueError, match="unknown model config 'huge'"):
        model_config("huge")


def test_odd_head_count_is_rejected() -> None:
    with pytest.raises(AssertionError, match="divisible"):
        GPT(ModelConfig(vocab_size=64, block_size=8, n_layer=1, n_head=3, n_embd=32))
