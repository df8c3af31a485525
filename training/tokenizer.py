"""Train and load the byte-level BPE tokenizer for Python source.

Byte-level BPE (every byte is a token, so no text is unknown and decoding round-trips exactly),
with a code-aware split before the byte mapping: GPT-2's regex turns an indented line into one
token per space, which makes indentation, the most common thing in Python, the most expensive.
Here a newline and the indentation after it are one pre-token (BPE then learns a newline plus
eight spaces as a single token), identifiers keep their underscores, digits are grouped by three
and runs of punctuation stay together.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

from codegpt.model.tokens import SPECIAL_TOKENS

DEFAULT_VOCAB_SIZE = 16384

# Alternatives are tried in order at each position (Oniguruma syntax):
#   newline(s) plus the indentation that follows: "\n\n    " is one pre-token;
#   an identifier or word with at most one leading space: " self", "__init__";
#   up to three digits with one leading space;
#   a run of punctuation with one leading space: " ==", "):", '"""';
#   spaces or tabs not followed by a visible character (the last one goes with the next word);
#   any other whitespace.
CODE_SPLIT_PATTERN = (
    r"(?:\r?\n)+[ \t]*"
    r"| ?[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*"
    r"| ?\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{M}\p{N}_]+"
    r"|[ \t]+(?!\S)"
    r"|\s+"
)


def new_tokenizer() -> Tokenizer:
    """An untrained tokenizer with the code pre-tokenizer and the byte-level decoder."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CODE_SPLIT_PATTERN), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def train_tokenizer(
    texts: Iterable[str],
    vocab_size: int = DEFAULT_VOCAB_SIZE,
    *,
    length: int | None = None,
    show_progress: bool = True,
) -> Tokenizer:
    """Train on ``texts`` (the train split only); special tokens get ids ``0..len-1``."""
    minimum = len(SPECIAL_TOKENS) + len(pre_tokenizers.ByteLevel.alphabet())
    if vocab_size < minimum:
        raise ValueError(f"vocab size {vocab_size} is below the {minimum} bytes and special tokens")
    if vocab_size > 65536:
        raise ValueError(f"vocab size {vocab_size} does not fit the uint16 shards (max 65536)")
    tokenizer = new_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=show_progress,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer, length=length)
    check_special_tokens(tokenizer)
    return tokenizer


def check_special_tokens(tokenizer: Tokenizer) -> None:
    """Raise ValueError unless ``SPECIAL_TOKENS[i]`` has id ``i`` (prompts rely on the ids)."""
    for expected_id, token in enumerate(SPECIAL_TOKENS):
        actual = tokenizer.token_to_id(token)
        if actual != expected_id:
            raise ValueError(f"special token {token!r} has id {actual}, expected {expected_id}")


def load_tokenizer(path: str | Path) -> Tokenizer:
    """Load a ``tokenizer.json`` and check its special-token ids."""
    tokenizer = Tokenizer.from_file(str(path))
    check_special_tokens(tokenizer)
    return tokenizer


def decode(tokenizer: Tokenizer, ids: list[int]) -> str:
    """Decode keeping special tokens, the inverse of ``tokenizer.encode(text).ids``."""
    return tokenizer.decode(ids, skip_special_tokens=False)
