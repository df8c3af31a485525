"""State before a method call: ``instance.add(item)`` first, so ``add`` meets a duplicate.

A receiver fresh from its constructor only shows what a method does to an empty object:
``Inventory.add``'s "duplicate item" branch, ``Stack.pop`` on a stack that holds something,
``Cache.get`` of a key that was put. A *preparation* is one call of a mutator of the same class
(a public method that changes the instance: ``add``, ``push``, ``put``, ``register``) made
on the instance before the call under test, with that mutator's own baseline arguments. The
sandbox runs it after building the receiver (outside coverage), the test writes it as a line
between ``instance = ...`` and the assertion.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from codegpt.server.testgen.analysis import FunctionTarget, ModuleAnalysis
from codegpt.server.testgen.proposals import ProposalConfig, baseline_call

MAX_PREPARATIONS = 3  # per class: each one adds a receiver, and so divides the call budget


@dataclass(frozen=True)
class Preparation:
    """A statement on ``instance`` (``instance.add(Item('abc', 1.5))``) and what it imports."""

    statement: str
    method: str
    imports: tuple[str, ...] = ()


#: Methods of lists, dicts and sets that change them: ``self.items.append(x)`` changes ``self``.
MUTATING_METHODS = frozenset(
    {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "remove"}
    | {"discard", "clear", "appendleft", "extendleft", "popleft", "sort", "reverse"}
)


def mutates_self(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """The method assigns to ``self.x`` / ``self.x[k]`` or calls ``self.x.append(...)``."""
    if not node.args.args:
        return False
    me = node.args.args[0].arg
    for item in ast.walk(node):
        targets: list[ast.expr] = []
        if isinstance(item, ast.Assign):
            targets = item.targets
        elif isinstance(item, ast.AugAssign | ast.AnnAssign):
            targets = [item.target]
        elif isinstance(item, ast.Delete):
            targets = item.targets
        elif (
            isinstance(item, ast.Call)
            and isinstance(item.func, ast.Attribute)
            and item.func.attr in MUTATING_METHODS
        ):
            targets = [item.func.value]
        for target in targets:
            while isinstance(target, ast.Subscript | ast.Attribute):
                if isinstance(target, ast.Attribute) and _is_name(target.value, me):
                    return True
                target = target.value
    return False


def _is_name(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def mutators(analysis: ModuleAnalysis) -> dict[str, list[FunctionTarget]]:
    """Class name -> its public instance methods that change the instance, in file order."""
    try:
        tree = ast.parse(analysis.source)
    except SyntaxError:
        return {}
    quiet = {
        (cls.name, item.name)
        for cls in tree.body
        if isinstance(cls, ast.ClassDef)
        for item in cls.body
        if isinstance(item, ast.FunctionDef) and mutates_self(item)
    }
    found: dict[str, list[FunctionTarget]] = {}
    for target in analysis.functions:
        if (
            target.kind == "method"
            and target.class_name is not None
            and target.is_public
            and (target.class_name, target.name) in quiet
        ):
            found.setdefault(target.class_name, []).append(target)
    return found


def class_preparations(
    analysis: ModuleAnalysis, config: ProposalConfig
) -> dict[str, list[Preparation]]:
    """Class name -> up to MAX_PREPARATIONS mutator calls, each with its baseline arguments."""
    prepared: dict[str, list[Preparation]] = {}
    for class_name, methods in mutators(analysis).items():
        for method in methods[:MAX_PREPARATIONS]:
            call = baseline_call(method, config)
            statement = call.call_text(f"instance.{method.name}")
            prepared.setdefault(class_name, []).append(
                Preparation(statement, method.name, call.imports)
            )
    return prepared
