"""A token shard of documented functions, to weight up in the last stretch of training.

A function whose docstring says what it returns is the shape of most editor completions: the
user has written the signature and the docstring, the body comes next. In the corpus such a
function is a small part of a long file, so this pulls every short documented function out of the
train documents (decoded back from ``train.bin``, as the repair shards do) into examples of its
own, half of them in a fill-in-the-middle order as in pretraining, each ending in END_OF_TEXT.
The shard is meant to be mixed in (``--mix_data``, raw uint16 files concatenate) at a low
learning rate; only train documents are read, so the held-out splits stay held out.

    python -m codegpt.training.docstring_shards --corpus data/corpus4 --out data/docfuncs
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import random
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from codegpt.model.tokens import END_OF_TEXT
from codegpt.training.repair_shards import train_documents, write_token_shard
from codegpt.training.syntax_spans import SyntaxSpanConfig, apply_syntax_fim

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocFunctionConfig:
    """Which functions make an example."""

    # Whole function, decorators to last line: long bodies are rarely one completion away.
    min_lines: int = 3
    max_lines: int = 40
    # Per document, so that a file of hundreds of small methods does not crowd out the rest.
    max_per_document: int = 12
    # As in pretraining (model/fim.py): the server asks in both orders.
    fim_rate: float = 0.5
    # Share of FIM spans taken from the syntax tree (training/syntax_spans.py); 0 gives
    # Bavarian's random spans only, as the shard shipped with step 46513 was built.
    syntax_rate: float = 0.0
    seed: int = 4321


def documented_functions(source: str, config: DocFunctionConfig) -> Iterator[str]:
    """The source of each short function with a docstring in ``source``, dedented, outer first.

    Methods and nested functions count too; their text is dedented to column 0 so that every
    example parses on its own. Files that do not parse give nothing.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    lines = source.splitlines(keepends=True)
    found = 0
    for node in ast.walk(tree):
        if found >= config.max_per_document:
            return
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if ast.get_docstring(node, clean=False) is None or len(node.body) < 2:
            continue  # a docstring-only body (an abstract method, a stub) teaches nothing here
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        last = node.end_lineno or node.lineno
        if not config.min_lines <= last - first + 1 <= config.max_lines:
            continue
        text = textwrap.dedent("".join(lines[first - 1 : last]))
        if not text.endswith("\n"):
            text += "\n"
        found += 1
        yield text


def examples(sources: list[str], config: DocFunctionConfig) -> list[str]:
    """Training examples (FIM applied to about half) for every distinct documented function.

    ``train.bin`` holds some packages twice (``--repeat``), so the same function can come from
    two sampled documents: it is kept once.
    """
    rng = random.Random(config.seed)
    out = []
    seen: set[str] = set()
    for source in tqdm(sources, desc="extract functions", unit="doc", file=sys.stderr):
        for function in documented_functions(source, config):
            if function in seen:
                continue
            seen.add(function)
            syntax = SyntaxSpanConfig(syntax_rate=config.syntax_rate)
            example = apply_syntax_fim(function, rng, fim_rate=config.fim_rate, config=syntax)
            out.append(example + END_OF_TEXT)
    return out


def main(argv: list[str] | None = None) -> int:
    """Build ``docfuncs_train.bin`` from a sample of the corpus's train documents."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--out", type=Path, default=Path("data/docfuncs"))
    parser.add_argument("--train-documents", type=int, default=6000)
    parser.add_argument("--max-document-chars", type=int, default=200_000)
    parser.add_argument("--syntax-rate", type=float, default=DocFunctionConfig.syntax_rate)
    parser.add_argument("--seed", type=int, default=DocFunctionConfig.seed)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s")
    config = DocFunctionConfig(syntax_rate=args.syntax_rate, seed=args.seed)
    documents = train_documents(
        args.corpus, args.train_documents, args.seed, args.max_document_chars
    )
    texts = examples([document.text for document in documents], config)
    args.out.mkdir(parents=True, exist_ok=True)
    n_tokens = write_token_shard(args.out / "docfuncs_train.bin", texts, args.corpus)
    stats = {"documents": len(documents), "functions": len(texts), "tokens": n_tokens}
    (args.out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    log.info("%d documents, %d functions, %d tokens", len(documents), len(texts), n_tokens)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
