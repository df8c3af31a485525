"""Fill-in-the-middle examples the size of the model's context, cut around one middle each.

Pretraining applies FIM to whole files (corpus.py, as Bavarian et al. did with 2k-8k contexts),
but our model reads 512-token windows and a typical file is several thousand tokens long. In a
window that holds FIM_MIDDLE, the suffix in view is the *end* of the file, and the suffix's start
(the code right after the middle, which is what the server sends) is thousands of tokens back:
the model can barely learn to use the suffix. The eval shows it: line completion with the suffix
scores no better than without it.

So this cuts context-level examples, shaped like the server's prompts: a middle (from the syntax
tree most of the time, training/syntax_spans.py), up to ``max_prefix_chars`` of the text before it
and up to ``max_suffix_chars`` after it, the window snapped to whole lines, in SPM or PSM order,
ending in END_OF_TEXT. Every example fits one training window, so the middle always sees its own
suffix. Meant to be mixed in (``--mix_data``); a val shard of the same kind from the val split
measures it (``--mix_val_data``).

    python -m codegpt.training.context_fim_shards --corpus data/corpus4 --out data/ctxfim
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from codegpt.model.fim import format_psm, format_spm, random_span
from codegpt.model.tokens import END_OF_TEXT
from codegpt.training.repair_shards import split_documents, train_documents, write_token_shard
from codegpt.training.syntax_spans import SyntaxSpanConfig, draw_syntax_span, syntax_spans

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContextFimConfig:
    """How examples are cut. Character sizes: ~3.6 characters per token on our test split."""

    # The server's default prompt is 256 prefix + 64 suffix tokens; a little more teaches the
    # model to use longer windows too, and prefix + middle + suffix stays under 512 tokens.
    max_prefix_chars: int = 1100
    max_suffix_chars: int = 400
    max_middle_chars: int = 300
    # About one example per this many characters of a document, at most max_per_document.
    chars_per_example: int = 1500
    max_per_document: int = 8
    spm_rate: float = 0.5
    syntax: SyntaxSpanConfig = SyntaxSpanConfig()
    seed: int = 5678


def _line_start_at_or_after(text: str, offset: int) -> int:
    """The first line start at or after ``offset`` (``offset`` itself when it starts a line)."""
    if offset <= 0 or text[offset - 1] == "\n":
        return max(offset, 0)
    newline = text.find("\n", offset)
    return len(text) if newline < 0 else newline + 1


def _line_end_at_or_before(text: str, offset: int) -> int:
    """The end (past the newline) of the last whole line ending at or before ``offset``."""
    if offset >= len(text) or text[offset - 1] == "\n":
        return min(offset, len(text))
    newline = text.rfind("\n", 0, offset)
    return newline + 1


def draw_middle(
    text: str, spans: dict, rng: random.Random, config: ContextFimConfig
) -> tuple[int, int] | None:
    """A middle no longer than ``max_middle_chars`` with some code in it, or None after tries.

    Empty and blank middles are left out: an example that ends its middle at once teaches the
    model to answer with nothing, and nobody asks the server for a few spaces.
    """
    for _ in range(8):
        span = None
        if spans and rng.random() < config.syntax.syntax_rate:
            span = draw_syntax_span(text, spans, rng, config.syntax)
        if span is None:
            start = rng.randint(0, len(text))
            span = random_span(min(config.max_middle_chars, len(text) - start), rng)
            span = (start + span[0], start + span[1])
        if span[1] - span[0] <= config.max_middle_chars and text[span[0] : span[1]].strip():
            return span
    return None


def context_examples(text: str, rng: random.Random, config: ContextFimConfig) -> Iterator[str]:
    """FIM examples cut from one document, each ending in END_OF_TEXT."""
    if not text.strip():
        return
    spans = syntax_spans(text)
    count = min(config.max_per_document, 1 + len(text) // config.chars_per_example)
    for _ in range(count):
        middle = draw_middle(text, spans, rng, config)
        if middle is None:
            continue
        start, end = middle
        window_start = _line_start_at_or_after(
            text, start - rng.randint(0, config.max_prefix_chars)
        )
        if window_start > start:  # the draw fell inside the middle's own line: keep that line
            window_start = text.rfind("\n", 0, start) + 1
        window_end = _line_end_at_or_before(text, end + rng.randint(0, config.max_suffix_chars))
        if window_end < end:
            newline = text.find("\n", end)
            window_end = len(text) if newline < 0 else newline + 1
        prefix, suffix = text[window_start:start], text[end:window_end]
        body = text[start:end]
        if rng.random() < config.spm_rate:
            yield format_spm(prefix, body, suffix) + END_OF_TEXT
        else:
            yield format_psm(prefix, body, suffix) + END_OF_TEXT


def examples(texts: list[str], config: ContextFimConfig, label: str) -> list[str]:
    """Context-level FIM examples for every document, with a progress bar."""
    rng = random.Random(config.seed)
    out: list[str] = []
    for text in tqdm(texts, desc=f"cut {label}", unit="doc", file=sys.stderr):
        out.extend(context_examples(text, rng, config))
    return out


def main(argv: list[str] | None = None) -> int:
    """Write ``ctxfim_train.bin`` (sampled train documents) and ``ctxfim_val.bin`` (val split)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--out", type=Path, default=Path("data/ctxfim"))
    parser.add_argument("--train-documents", type=int, default=8000)
    parser.add_argument("--val-documents", type=int, default=400)
    parser.add_argument("--max-document-chars", type=int, default=200_000)
    parser.add_argument("--syntax-rate", type=float, default=SyntaxSpanConfig.syntax_rate)
    parser.add_argument("--seed", type=int, default=ContextFimConfig.seed)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    config = ContextFimConfig(syntax=SyntaxSpanConfig(syntax_rate=args.syntax_rate), seed=args.seed)
    documents = train_documents(
        args.corpus, args.train_documents, args.seed, args.max_document_chars
    )
    val_documents = split_documents(args.corpus, "val")
    random.Random(args.seed).shuffle(val_documents)
    val_documents = val_documents[: args.val_documents]
    args.out.mkdir(parents=True, exist_ok=True)
    stats = {}
    for name, docs in (("train", documents), ("val", val_documents)):
        texts = examples([document.text for document in docs], config, name)
        n_tokens = write_token_shard(args.out / f"ctxfim_{name}.bin", texts, args.corpus)
        stats[name] = {"documents": len(docs), "examples": len(texts), "tokens": n_tokens}
        log.info("%s: %d documents, %d examples, %d tokens", name, len(docs), len(texts), n_tokens)
    (args.out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
