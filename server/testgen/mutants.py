"""Simple mutants of the target function, to tell tests that check from tests that only run.

A test that passes on a version of the function with ``<`` flipped to ``>=`` does not pin that
comparison down. Generation runs each candidate call on a few such versions and prefers calls
that tell them apart (see ``selection.add_mutant_killers``). The families are the classic cheap
ones: flipped comparisons, swapped arithmetic operators, integer constants +1 and -1,
``return None``, and the branch ones: an ``if`` or conditional expression whose condition is
always true or always false (so ``a if a > b else b`` needs a call where ``b`` wins), ``and``
and ``or`` swapped, ``not`` removed. Only the target's own body changes (not its docstring,
not the rest of the module), and each mutant changes exactly one site.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from codegpt.server.testgen.analysis import FunctionTarget

FLIPPED: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
SWAPPED: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
    ast.Mod: ast.FloorDiv,
}


@dataclass(frozen=True)
class Mutant:
    """One changed version of the whole module: ``description`` says what changed, where."""

    description: str  # e.g. "line 4: < -> >="
    source: str


def _find_definition(tree: ast.Module, target: FunctionTarget) -> ast.AST | None:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == target.name
            and node.lineno == target.lineno
        ):
            return node
    return None


def _operator_text(op: ast.AST) -> str:
    return {
        ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!=",
        ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+",
        ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Div: "/", ast.Mod: "%",
    }.get(type(op), type(op).__name__)  # fmt: skip


def _sites(body: list[ast.stmt]) -> list[tuple[str, ast.AST, int]]:
    """(family, node, delta) for every place one mutation can go, in source order."""
    sites: list[tuple[str, ast.AST, int]] = []
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Compare):
                flippable = [i for i, op in enumerate(node.ops) if type(op) in FLIPPED]
                sites += [("compare", node, i) for i in flippable]
            elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in SWAPPED:
                sites.append(("binop", node, 0))
            elif isinstance(node, ast.If | ast.IfExp):
                sites += [("condition", node, 1), ("condition", node, 0)]
            elif isinstance(node, ast.BoolOp):
                sites.append(("boolop", node, 0))
            elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                sites.append(("not", node, 0))
            elif isinstance(node, ast.Constant) and type(node.value) is int:
                sites += [("constant", node, 1), ("constant", node, -1)]
            elif (
                isinstance(node, ast.Return)
                and node.value is not None
                and not (isinstance(node.value, ast.Constant) and node.value.value is None)
            ):
                sites.append(("return", node, 0))
    sites.sort(key=lambda s: (getattr(s[1], "lineno", 0), getattr(s[1], "col_offset", 0)))
    return sites


def _apply(family: str, node: ast.AST, detail: int) -> tuple[str, object]:
    """Mutate ``node`` in place; returns (description, saved state for ``_undo``)."""
    if family == "compare":
        assert isinstance(node, ast.Compare), "compare site holds a Compare"
        saved = node.ops[detail]
        node.ops[detail] = FLIPPED[type(saved)]()
        return f"{_operator_text(saved)} -> {_operator_text(node.ops[detail])}", saved
    if family == "binop":
        saved = node.op  # type: ignore[attr-defined]
        node.op = SWAPPED[type(saved)]()  # type: ignore[attr-defined]
        return f"{_operator_text(saved)} -> {_operator_text(node.op)}", saved  # type: ignore[attr-defined]
    if family == "constant":
        saved = node.value  # type: ignore[attr-defined]
        node.value = saved + detail  # type: ignore[attr-defined]
        return f"{saved} -> {saved + detail}", saved
    if family == "condition":
        saved = node.test  # type: ignore[attr-defined]
        node.test = ast.Constant(bool(detail))  # type: ignore[attr-defined]
        return f"condition -> {bool(detail)}", saved
    if family == "boolop":
        saved = node.op  # type: ignore[attr-defined]
        node.op = ast.Or() if isinstance(saved, ast.And) else ast.And()  # type: ignore[attr-defined]
        return f"{'and -> or' if isinstance(saved, ast.And) else 'or -> and'}", saved
    if family == "not":
        saved = node.operand  # type: ignore[attr-defined]
        node.operand = ast.UnaryOp(ast.Not(), saved)  # type: ignore[attr-defined]
        return "not removed", saved
    saved = node.value  # type: ignore[attr-defined]
    node.value = ast.Constant(None)  # type: ignore[attr-defined]
    return "return None", saved


def _undo(family: str, node: ast.AST, detail: int, saved: object) -> None:
    if family == "compare":
        node.ops[detail] = saved  # type: ignore[attr-defined]
    elif family in ("binop", "boolop"):
        node.op = saved  # type: ignore[attr-defined]
    elif family == "condition":
        node.test = saved  # type: ignore[attr-defined]
    elif family == "not":
        node.operand = saved  # type: ignore[attr-defined]
    else:
        node.value = saved  # type: ignore[attr-defined]


def generate_mutants(source: str, target: FunctionTarget, limit: int = 16) -> list[Mutant]:
    """Up to ``limit`` distinct mutants of ``target`` in ``source``, spread over its body.

    Returns [] when the function cannot be found again in the source (the file changed) or the
    source does not parse. More sites than ``limit``: an even spread, so the end of a long
    function is not ignored.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    definition = _find_definition(tree, target)
    if definition is None:
        return []
    body = list(definition.body)  # type: ignore[attr-defined]
    if body and ast.get_docstring(definition) is not None:  # type: ignore[arg-type]
        body = body[1:]
    sites = _sites(body)
    if len(sites) > limit > 0:
        step = (len(sites) - 1) / max(1, limit - 1)
        sites = [sites[round(i * step)] for i in range(limit)]
    elif limit <= 0:
        sites = []
    mutants: list[Mutant] = []
    seen: set[str] = set()
    for family, node, detail in sites:
        what, saved = _apply(family, node, detail)
        try:
            text = ast.unparse(tree)
        finally:
            _undo(family, node, detail, saved)
        if text not in seen:
            seen.add(text)
            line = getattr(node, "lineno", definition.lineno)
            mutants.append(Mutant(f"line {line}: {what}", text))
    return mutants
