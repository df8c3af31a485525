"""The model's shape as a torch-free dataclass (the CLI and the runtime read it without torch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ModelConfig:
    """Shape of the network; a checkpoint stores ``asdict(config)`` so it alone rebuilds a model."""

    # 16k byte-level BPE tokens: code tokenizes well at this size (>= 3.5 bytes per token) and
    # the tied embedding stays a small share of a CPU-sized model's parameters.
    vocab_size: int = 16384
    # Longest context in tokens. Rotary positions have no table tied to this number; it bounds the
    # training windows and therefore what the model has learned to use.
    block_size: int = 1024
    # Depth: decode latency grows linearly with it (one matmul chain per layer per token).
    n_layer: int = 6
    # Attention heads; head_dim = n_embd / n_head = 64 keeps SDPA kernels on their fast paths.
    n_head: int = 6
    # Width: parameters and FLOPs grow with its square.
    n_embd: int = 384
    # Hidden width of the MLP as a multiple of n_embd (4 as in GPT-2).
    mlp_ratio: int = 4
    # Regularisation: our corpus is small (a few hundred MB of code), so a little dropout helps
    # when we train several epochs; 0 for short runs.
    dropout: float = 0.0
    # Biases in Linear and LayerNorm: off, as in modern GPTs (slightly faster, no loss in quality).
    bias: bool = False
    # Rotary base frequency (RoFormer default). Larger stretches the usable context.
    rope_base: float = 10000.0

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.n_embd // self.n_head
