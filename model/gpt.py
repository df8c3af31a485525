"""The GPT decoder: configuration, attention, MLP, block and model in one readable file.

Training and export both use this module; serving never does (it runs the ONNX export with
onnxruntime). ``forward`` is the training path; ``forward_with_cache`` is the same math over
per-layer past keys/values, returning the present ones, so one exported graph serves both prompt
prefill and single-token decoding. ``ModelConfig`` lives
in its own torch-free module so that the CLI and the runtime can read it without torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F  # noqa: N812

from codegpt.model.model_config import ModelConfig

__all__ = ["GPT", "ModelConfig"]


def rotary_cos_sin(
    positions: torch.Tensor, head_dim: int, base: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosines and sines for rotary embeddings at absolute ``positions``.

    Rotary embeddings (Su et al. 2021) are our position encoding because code relates tokens by
    relative distance (a closing bracket, the line above) more than by absolute position, and
    attention scores under RoPE depend only on that distance. They add no parameters, and they
    make a key cached at position p valid for any later query, which a KV cache needs.
    """
    channels = torch.arange(0, head_dim, 2, device=positions.device, dtype=torch.float32)
    inv_freq = 1.0 / (base ** (channels / head_dim))  # (head_dim/2,)
    angles = positions.to(torch.float32)[:, None] * inv_freq[None, :]  # (T, head_dim/2)
    return angles.cos(), angles.sin()


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate channel pairs (first half, second half) of ``x`` (B, n_head, T, head_dim)."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention with rotary positions and an optional KV cache."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        assert config.n_embd % config.n_head == 0, "n_embd must be divisible by n_head"
        self.n_head = config.n_head
        self.head_dim = config.head_dim
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.dropout = config.dropout

    def _heads(
        self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Queries, keys and values (B, n_head, T, head_dim), rotary applied to q and k."""
        B, T, C = x.shape  # noqa: N806
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, self.head_dim).transpose(1, 2)  # (B, n_head, T, head_dim)
        k = k.view(B, T, self.n_head, self.head_dim).transpose(1, 2)  # (B, n_head, T, head_dim)
        v = v.view(B, T, self.n_head, self.head_dim).transpose(1, 2)  # (B, n_head, T, head_dim)
        return apply_rotary(q, cos, sin), apply_rotary(k, cos, sin), v

    def _merge(self, y: torch.Tensor) -> torch.Tensor:
        """(B, n_head, T, head_dim) -> output projection (B, T, C)."""
        B, _, T, _ = y.shape  # noqa: N806
        y = y.transpose(1, 2).contiguous().view(B, T, self.n_head * self.head_dim)
        return self.resid_dropout(self.c_proj(y))

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """Training path (B, T, C) -> (B, T, C), with SDPA's built-in causal mask (fastest)."""
        q, k, v = self._heads(x, cos, sin)
        y = F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True
        )  # (B, n_head, T, head_dim)
        return self._merge(y)

    def forward_cached(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        past_key: torch.Tensor,
        past_value: torch.Tensor,
        attn_bias: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Inference path: the same attention as ``forward``, written for a growing cache.

        Keys are cached transposed, (B, n_head, head_dim, P), so ``q @ K`` needs no transpose
        of the cache, and the scale goes on the T query rows instead of the P+T keys: the only
        copy of the cache left per call is the concatenation of the new keys/values (SDPA
        exported as a transpose and a scaling of the whole K). ``attn_bias`` (T, P+T) is 0
        where a key is visible and -inf where it is not. Returns the output (B, T, C) and the
        present key (B, n_head, head_dim, P+T) and value (B, n_head, P+T, head_dim).
        """
        q, k, v = self._heads(x, cos, sin)
        q = q * (1.0 / math.sqrt(self.head_dim))  # (B, n_head, T, head_dim)
        key = torch.cat((past_key, k.transpose(2, 3)), dim=3)  # (B, n_head, head_dim, P+T)
        value = torch.cat((past_value, v), dim=2)  # (B, n_head, P+T, head_dim)
        scores = torch.matmul(q, key) + attn_bias  # (B, n_head, T, P+T)
        y = torch.matmul(torch.softmax(scores, dim=-1), value)  # (B, n_head, T, head_dim)
        return self._merge(y), key, value


class MLP(nn.Module):
    """Position-wise feed-forward network with GELU."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, config.mlp_ratio * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.mlp_ratio * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, T, C)."""
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class Block(nn.Module):
    """Pre-norm Transformer block: normalising before each sublayer keeps deep stacks stable."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """Residual attention then residual MLP (training path)."""
        x = x + self.attn(self.ln_1(x), cos, sin)
        return x + self.mlp(self.ln_2(x))

    def forward_cached(
        self,
        x: torch.Tensor,
        cos: torch.Tensor,
        sin: torch.Tensor,
        past_key: torch.Tensor,
        past_value: torch.Tensor,
        attn_bias: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The same block over a KV cache; returns (x, present key, present value)."""
        attn_out, key, value = self.attn.forward_cached(
            self.ln_1(x), cos, sin, past_key, past_value, attn_bias
        )
        x = x + attn_out
        return x + self.mlp(self.ln_2(x)), key, value


class GPT(nn.Module):
    """Decoder-only Transformer language model with tied input/output embeddings."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        # Tied embeddings: one matrix reads and writes tokens, saving vocab_size * n_embd
        # parameters (a third of `small`) and helping rare tokens (Press & Wolf 2017).
        self.lm_head.weight = self.wte.weight
        self.apply(self._init_weights)
        # GPT-2: scale residual projections by 1/sqrt(2 * n_layer) so the residual stream's
        # variance does not grow with depth.
        for name, param in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(param, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def num_params(self) -> int:
        """Parameter count (the tied embedding counted once)."""
        return sum(p.numel() for p in self.parameters())

    def forward(
        self, idx: torch.Tensor, targets: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Training/evaluation forward: logits (B, T, vocab) and the mean cross-entropy if targets.

        Positions start at 0 and SDPA's built-in causal mask applies (its fastest kernels).
        """
        B, T = idx.shape  # noqa: N806
        assert self.config.block_size >= T, f"sequence of {T} exceeds block_size"
        cos, sin = rotary_cos_sin(
            torch.arange(T, device=idx.device), self.config.head_dim, self.config.rope_base
        )
        x = self.drop(self.wte(idx))  # (B, T, C)
        for block in self.blocks:
            x = block(x, cos, sin)
        x = self.ln_f(x)
        logits = self.lm_head(x)  # (B, T, vocab)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(
                logits.float().view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1
            )
        return logits, loss

    def forward_with_cache(
        self,
        idx: torch.Tensor,
        past: Sequence[tuple[torch.Tensor, torch.Tensor]],
        logits_index: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """Inference forward used by the ONNX export: prefill and decode in one graph.

        ``idx`` (B, T) holds the new tokens; ``past`` one (key, value) pair per layer, keys
        (B, n_head, head_dim, P) and values (B, n_head, P, head_dim), P may be 0. Separate
        tensors per layer (not one stacked cache) because slicing layers out of a stacked cache
        and stacking them back copies the whole cache twice per call. The new tokens take
        positions P..P+T-1. ``logits_index`` (K,) picks the new positions whose logits are
        computed (all if None): generation needs only the last one, and the vocabulary
        projection of every prompt position would cost as much as the rest of the network.
        Returns logits (B, K, vocab) and the present (key, value) pairs, P+T long.
        """
        T = idx.shape[1]  # noqa: N806
        P = past[0][1].shape[2]  # noqa: N806
        positions = torch.arange(T, device=idx.device) + P  # (T,)
        cos, sin = rotary_cos_sin(positions, self.config.head_dim, self.config.rope_base)
        # New token i (absolute position P+i) may see every key at position <= P+i.
        key_positions = torch.arange(P + T, device=idx.device)  # (P+T,)
        visible = key_positions[None, :] <= positions[:, None]  # (T, P+T) bool
        attn_bias = torch.zeros(visible.shape, device=idx.device).masked_fill(
            ~visible, float("-inf")
        )  # (T, P+T)
        x = self.wte(idx)  # (B, T, C)
        presents = []
        for block, (past_key, past_value) in zip(self.blocks, past, strict=True):
            x, key, value = block.forward_cached(x, cos, sin, past_key, past_value, attn_bias)
            presents.append((key, value))
        if logits_index is not None:
            x = x.index_select(1, logits_index)  # (B, K, C)
        logits = self.lm_head(self.ln_f(x))  # (B, K, vocab)
        return logits, presents

    def empty_cache(self, batch_size: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """A zero-length KV cache for ``forward_with_cache``: (key, value) per layer."""
        c = self.config
        return [
            (
                torch.zeros(batch_size, c.n_head, c.head_dim, 0),  # keys (B, n_head, head_dim, 0)
                torch.zeros(batch_size, c.n_head, 0, c.head_dim),  # values (B, n_head, 0, head_dim)
            )
            for _ in range(c.n_layer)
        ]

    def configure_optimizer(
        self, weight_decay: float, learning_rate: float, betas: tuple[float, float]
    ) -> torch.optim.AdamW:
        """AdamW with decay on matrices only: decaying norms' gains and biases hurts."""
        params = [p for p in self.parameters() if p.requires_grad]
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        groups = [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        # The fused kernel does the whole update in one pass (fewer memory sweeps on a CPU).
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, fused=True)

    def flops_per_token(self, seq_len: int) -> float:
        """Training FLOPs per token: 6 N (forward + backward matmuls) plus attention (PaLM B)."""
        n = self.num_params()
        c = self.config
        return 6 * n + 12 * c.n_layer * c.n_embd * seq_len
