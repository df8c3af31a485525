"""Strings shaped like the text a parser splits: ``'abc,2.5,food'`` for ``line.split(",")``.

A function that splits its text parameter (``name, price = line.split(",")``) does nothing but
raise on ``'abc'`` or ``''``, the typical and edge strings: its positive path needs fields
joined by its own separator. The fields are a word, a number and the module's own short words
(``'food'``: an enum's value, a mode name), so ``Category(parts[2])`` meets a value it knows.
Parts split again (``for part in text.split(";"): part.partition("=")``) are joined the same
way (``'abc=2.5;xyz=3'``), and a quoted example in the docstring (``'1h30m' -> 5400``) is
taken as it is: a regular expression's shape is no easier to guess than that.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from functools import lru_cache

MAX_WORDS = 3  # module words tried as a third field
MAX_WORD_LENGTH = 12
MAX_EXAMPLES = 4  # quoted examples taken from a docstring
# A quoted input shown with what it gives: ``'1h30m' -> 5400``, ``"a=1" => {...}``, ``Parse
# 'a=1&b=2' into {...}``.
_EXAMPLE = re.compile(
    r"(?:'([^'\n]{1,40})'|\"([^\"\n]{1,40})\")\s*(?:->|=>|\u2192|into\b|gives\b|becomes\b)"
)


@lru_cache(maxsize=256)
def parse_body(source: str) -> ast.Module | None:
    """A function's source parsed once (None if it does not parse); callers must not mutate it.

    Proposals, shaped texts and input files all read the same function's tree, per parameter.
    """
    try:
        return ast.parse(source.strip() or "pass")
    except SyntaxError:
        return None


def split_separators(source: str, name: str) -> list[str]:
    """Separators the function splits parameter ``name`` by (``" "`` for a bare ``split()``)."""
    tree = parse_body(source)
    return [] if tree is None else separators(tree, name)


def nested_separators(source: str, name: str) -> list[tuple[str, str]]:
    """(outer, inner) for ``for part in name.split(outer)`` whose ``part`` is split by inner."""
    tree = parse_body(source)
    return [] if tree is None else _nested(tree, name)


def separators(tree: ast.Module, name: str | None = None) -> list[str]:
    """Separators ``name`` (any receiver when None) is split or partitioned by, in order."""
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("split", "rsplit", "partition", "rpartition")
            and (name is None or _rooted_at(node.func.value, name))
        ):
            continue
        if not node.args:
            found.append(" ")
        elif isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.append(node.args[0].value)
    return [sep for sep in dict.fromkeys(found) if sep]


def _nested(tree: ast.Module, name: str) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.For | ast.comprehension) or not isinstance(
            node.target, ast.Name
        ):
            continue
        loop = node.iter
        if not (
            isinstance(loop, ast.Call)
            and isinstance(loop.func, ast.Attribute)
            and loop.func.attr in ("split", "rsplit", "splitlines")
            and _rooted_at(loop.func.value, name)
        ):
            continue
        if loop.func.attr == "splitlines":
            outer = "\n"
        elif not loop.args:
            outer = " "
        elif isinstance(loop.args[0], ast.Constant) and isinstance(loop.args[0].value, str):
            outer = loop.args[0].value
        else:
            continue
        found += [(outer, inner) for inner in separators(tree, node.target.id)]
    return [pair for pair in dict.fromkeys(found) if pair[0] and pair[0] != pair[1]]


def docstring_examples(docstring: str | None) -> list[str]:
    """Quoted inputs of a docstring's examples (``'1h30m' -> 5400 seconds``), in order."""
    found = [single or double for single, double in _EXAMPLE.findall(docstring or "")]
    return list(dict.fromkeys(found))[:MAX_EXAMPLES]


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
    tree = parse_body(source)  # once: this runs for each text parameter whenever calls are proposed
    if tree is None:
        return []
    texts = []
    for outer, inner in _nested(tree, name)[:2]:
        texts += [f"abc{inner}2.5{outer}xyz{inner}3", f"abc{inner}2.5"]
    for sep in separators(tree, name)[:2]:
        texts += [f"abc{sep}2.5", *(f"abc{sep}2.5{sep}{word}" for word in words[:MAX_WORDS])]
        texts += [f"abc{sep}abc", f"abc{sep}2.5{sep}abc{sep}3", f"{sep}abc"]
    return list(dict.fromkeys(texts))
