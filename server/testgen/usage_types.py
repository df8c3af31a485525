"""Guess an unannotated parameter's type from how the body uses it.

``for j in enumerate(a)`` says ``a`` is a sequence whatever its name suggests; ``s.lower()``
says ``s`` is text; ``n % 2`` and ``range(n)`` say ``n`` is a number. Untyped code is most of
what people ask tests for, and an int for a parameter that is iterated only ever shows a
``TypeError``. The guess is a type expression the proposal sources already understand.
"""

from __future__ import annotations

import ast
import textwrap
from functools import lru_cache

STR_METHODS = frozenset(
    {
        "lower", "upper", "strip", "lstrip", "rstrip", "split", "rsplit", "splitlines",
        "startswith", "endswith", "replace", "find", "rfind", "isdigit", "isalpha", "isalnum",
        "isspace", "isupper", "islower", "title", "capitalize", "casefold", "encode", "format",
        "partition", "rpartition", "zfill", "center", "ljust", "rjust", "expandtabs", "swapcase",
    }
)  # fmt: skip
DICT_METHODS = frozenset({"items", "keys", "values", "get", "setdefault", "popitem"})
LIST_METHODS = frozenset({"append", "extend", "insert", "sort", "reverse", "remove"})
ITERATING_CALLS = frozenset(
    {"enumerate", "sorted", "sum", "list", "tuple", "set", "reversed", "zip", "any", "all", "iter"}
)
NUMBER_CALLS = frozenset({"range", "abs", "round", "divmod", "pow", "chr", "bin", "hex", "oct"})
_TEXT_CALLS = frozenset({"ord"})
#: Calls whose first argument is a path: an int there is a file descriptor (``open(0)`` reads
#: stdin, and closes it on leaving ``with``), never what a reader's test should pass.
PATH_CALLS = frozenset({"open", "Path", "PurePath"})
ARITHMETIC = (ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift)


def _is(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _callee(node: ast.Call) -> str:
    """``open`` for ``open(...)``, ``Path`` for ``pathlib.Path(...)``."""
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


@lru_cache(maxsize=256)
def _tree(source: str) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(source))
    except SyntaxError:
        try:
            return ast.parse(source)
        except SyntaxError:
            return None


def usage_type(name: str, source: str) -> str | None:
    """``str``, ``int``, ``list[...]``, ``dict[str, int]`` or ``Any`` from the uses of ``name``."""
    tree = _tree(source)
    return _usage(tree, name, 0) if tree is not None else None


def _usage(tree: ast.AST, name: str, depth: int) -> str | None:
    votes = {"str": 0, "int": 0, "list[int]": 0, "dict[str, int]": 0, "Callable": 0}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and _is(node.func, "isinstance")
            and node.args
            and _is(node.args[0], name)
        ):
            return "Any"  # the code itself expects several types: try values of each
        if isinstance(node, ast.Call) and _is(node.func, name):
            votes["Callable"] += 3  # name(...): a function, whatever else it is used as
        elif (
            isinstance(node, ast.Call)
            and _callee(node) in PATH_CALLS
            and node.args
            and _is(node.args[0], name)
        ):
            votes["str"] += 4  # open(name), pathlib.Path(name), io.open(name)
        elif isinstance(node, ast.Attribute) and _is(node.value, name):
            if node.attr in STR_METHODS:
                votes["str"] += 2
            elif node.attr in DICT_METHODS:
                votes["dict[str, int]"] += 2
            elif node.attr in LIST_METHODS or node.attr in ("index", "count", "pop"):
                votes["list[int]"] += 1
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and _is(node.func.value, "re")
            and any(_is(a, name) for a in node.args[1:2])
        ):
            votes["str"] += 3  # re.search(pattern, name): the subject is text
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if any(_is(a, name) for a in node.args) and node.func.id in _TEXT_CALLS:
                votes["str"] += 2
            elif any(_is(a, name) for a in node.args):
                if node.func.id in ITERATING_CALLS or (
                    node.func.id in ("min", "max", "len") and len(node.args) == 1
                ):
                    votes["list[int]"] += 1
                elif node.func.id in NUMBER_CALLS:
                    votes["int"] += 2
        elif (isinstance(node, ast.For | ast.comprehension) and _is(node.iter, name)) or (
            isinstance(node, ast.Subscript) and _is(node.value, name)
        ):
            votes["list[int]"] += 1
        elif isinstance(node, ast.Compare):
            left = node.left
            for op, right in zip(node.ops, node.comparators, strict=False):
                if isinstance(op, ast.In | ast.NotIn) and _is(right, name):
                    text = isinstance(left, ast.Constant) and isinstance(left.value, str)
                    votes["str" if text else "list[int]"] += 3 if text else 1
                left = right
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ARITHMETIC)
            and (_is(node.left, name) or _is(node.right, name))
        ):
            other = node.right if _is(node.left, name) else node.left
            is_format = isinstance(other, ast.Constant) and isinstance(other.value, str)
            if not is_format:  # "%s" % name formats any value: no evidence
                votes["int"] += 2 if isinstance(node.op, ast.Mod) else 1
    best = max(votes.items(), key=lambda item: item[1])
    if best[1] <= 0:
        return None
    if best[0] == "list[int]":
        return _element_type(tree, name, depth) or best[0]
    return best[0]


def _element_type(tree: ast.AST, name: str, depth: int) -> str | None:
    """``list[str]`` or ``list[tuple[str, int]]`` from how a loop over ``name`` uses its items."""
    if depth > 1:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.comprehension) and _is(node.iter, name):
            target = node.target
            if isinstance(target, ast.Name):
                item = _usage(tree, target.id, depth + 1)
                return f"list[{item}]" if item in ("str", "int") else None
            if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
                items = [
                    _usage(tree, e.id, depth + 1) if e.id != "_" else "int"  # type: ignore[attr-defined]
                    for e in target.elts
                ]
                items = [i if i in ("str", "int") else "int" for i in items]
                return f"list[tuple[{', '.join(items)}]]"
    return None
