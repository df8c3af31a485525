"""One place that knows how to get a tree-sitter parser for Python.

Every feature (documents, context extraction, diagnostics, repair, test generation) parses with
the same grammar; building the ``Language`` once keeps that cheap and consistent.
"""

from __future__ import annotations

from functools import cache

import tree_sitter_python
from tree_sitter import Language, Parser, Tree


@cache
def python_language() -> Language:
    """The tree-sitter Python grammar, loaded once per process."""
    return Language(tree_sitter_python.language())


def new_parser() -> Parser:
    """A fresh parser: parsers hold state, so each document or thread gets its own."""
    return Parser(python_language())


def parse(source: str | bytes) -> Tree:
    """Parse a whole source text (str is encoded as UTF-8, the encoding tree-sitter offsets use)."""
    data = source.encode("utf-8", errors="surrogatepass") if isinstance(source, str) else source
    return new_parser().parse(data)
