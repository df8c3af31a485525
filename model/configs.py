"""Named model sizes: ``tiny`` for tests, ``small`` for the CPU default, ``base`` and ``medium``."""

from __future__ import annotations

from codegpt.model.model_config import ModelConfig

MODEL_CONFIGS: dict[str, ModelConfig] = {
    # Seconds to train in tests; the vocabulary matches the tiny test tokenizers.
    "tiny": ModelConfig(vocab_size=512, block_size=128, n_layer=2, n_head=2, n_embd=64),
    # The shipped CPU model. Sized by two budgets measured on our 2-core machine:
    # - serving (benchmarks/bench_generation.py, int8 onnxruntime, 2 threads, 256-token context):
    #   a decoded token costs ~1.6 ms at 4x256, ~2.8 ms at 6x384, ~4.4 ms at 8x512; a single-line
    #   completion decodes ~10 tokens, so p50 <= 30 ms needs ~2 ms per token;
    # - training: this CPU trains 6x384 (17M parameters) at only ~300-600 tokens/s, a few million
    #   tokens in a 2-hour run, far below what 17M parameters need; 6x256 trains ~1.8x faster.
    # Hence 6 layers (depth helps with nesting) x 256 wide: 8.9M parameters, head_dim 64.
    # Context 512, not 1024: at 1024 tokens a decode step costs 3-4x more (cache copy and
    # attention dominate), so serving could not use it, and 512-token windows train faster.
    "small": ModelConfig(vocab_size=16384, block_size=512, n_layer=6, n_head=4, n_embd=256),
    # For a GPU: too slow for 2-core serving, but a clearly better model in 10 GPU minutes.
    "base": ModelConfig(vocab_size=16384, block_size=1024, n_layer=12, n_head=12, n_embd=768),
    # GPT-2 medium shape, for multi-GPU (DDP/FSDP) runs.
    "medium": ModelConfig(vocab_size=16384, block_size=1024, n_layer=24, n_head=16, n_embd=1024),
}


def model_config(name: str) -> ModelConfig:
    """The named config (a fresh copy); an unknown name is a ValueError listing the known ones."""
    try:
        config = MODEL_CONFIGS[name]
    except KeyError:
        known = ", ".join(MODEL_CONFIGS)
        raise ValueError(f"unknown model config {name!r}; known: {known}") from None
    return ModelConfig(**vars(config))
