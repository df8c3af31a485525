"""Strings shaped like the text a parser splits: ``'abc,2.5,food'`` for ``line.split(",")``.

A function that splits its text parameter (``name, price = line.split(",")``) does nothing but
raise on ``'abc'`` or ``''``, the typical and edge strings: its positive path needs fields
joined by its own separator. The fields are a word, a number and the module's own short words
(``'food'``: an enum's value, a mode name), so ``Category(parts[2])`` meets a value it knows.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

MAX_WORDS = 3  # module words tried as a third field
MAX_WORD_LENGTH = 12


def split_separators(source: str, name: str) -> list[str]:
    """Separators the function splits parameter ``name`` by (``" "`` for a bare ``split()``)."""
    try:
        tree = ast.parse(source.strip() or "pass")
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("split", "rsplit", "partition", "rpartition")
            and _rooted_at(node.func.value, name)
        ):
            continue
        if not node.args:
            found.append(" ")
        elif isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.append(node.args[0].value)
    return [sep for sep in dict.fromkeys(found) if sep]


def _rooted_at(node: ast.expr, name: str) -> bool:
    """``name``, or a chain of method calls on it (``name.strip().lower()``)."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return isinstance(node, ast.Name) and node.id == name


def module_words(module_source: str) -> tuple[str, ...]:
    """Short lower-case word literals of the module, in order (enum values, mode names)."""
    try:
        tree = ast.parse(module_source)
    except SyntaxError:
        return ()
    words = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.isidentifier()
        and node.value.islower()
        and len(node.value) <= MAX_WORD_LENGTH
    ]
    return tuple(dict.fromkeys(words))


def shaped_strings(source: str, name: str, words: Sequence[str] = ()) -> list[str]:
    """Texts for parameter ``name`` made of fields joined by each separator it is split by."""
    texts = []
    for sep in split_separators(source, name)[:2]:
        texts += [f"abc{sep}2.5", *(f"abc{sep}2.5{sep}{word}" for word in words[:MAX_WORDS])]
        texts += [f"abc{sep}abc", f"abc{sep}2.5{sep}abc{sep}3", f"{sep}abc"]
    return list(dict.fromkeys(texts))
