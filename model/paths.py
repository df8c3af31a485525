"""Where the shipped model lives, and the names of the files a model folder holds."""

from pathlib import Path

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "weights.safetensors"
MODEL_CARD_FILE = "MODEL_CARD.md"


def default_model_dir() -> Path:
    """The model folder shipped inside the package (found without any download)."""
    return Path(__file__).resolve().parent / "default"
