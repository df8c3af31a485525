"""Readable, unique test names from what a call shows: ``test_is_prime_of_7_returns_true``.

A name says the function, the inputs when they are short to say (``of_empty_list``), and the
outcome (``raises_value_error``, ``returns_upper`` when the result is that argument). Long
names drop the inputs; clashes get ``_2``, ``_3`` in order, so names are deterministic.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable

from codegpt.server.testgen.analysis import FunctionTarget
from codegpt.server.testgen.input_files import is_empty_input, written_input
from codegpt.server.testgen.proposals import call_parameters
from codegpt.server.testgen.selection import Observation

MAX_NAME = 79
_WORD = re.compile(r"[a-z][a-z0-9]{0,11}")
# A short text of a few words or digits reads well as its slug: 'Hello, World' -> hello_world.
_SHORT_TEXT = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+){0,2}")
MAX_TEXT_SLUG = 20


def snake(name: str) -> str:
    """``ValueError`` -> ``value_error``; ``HTTPServer`` -> ``http_server``."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()


def _number(value: int | float) -> str | None:
    text = repr(abs(value)).replace(".", "_").replace("-", "_").replace("+", "")
    if len(text) > 6 or not re.fullmatch(r"[0-9_a-z]+", text):
        return None
    return ("minus_" if value < 0 else "") + text


def _rough_number(value: int | float) -> str:
    """A number too long to spell: 1.4142135623730951 -> about_1_41; 1e12 -> large_number."""
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e4:
        rounded = _number(round(value, 2))
        if rounded and round(value, 2) != 0:
            return f"about_{rounded}"
        return "small_number" if value >= 0 else "small_negative_number"
    return "large_number" if value > 0 else "large_negative_number"


def describe_source(source: str) -> str:
    """A slug for one argument or result written as source text."""
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        try:
            node = ast.parse(source, mode="eval").body
        except SyntaxError:
            return "value"
        if isinstance(node, ast.Call) and (callee := _callee(node)):
            return snake(callee)
        if isinstance(node, ast.List | ast.Tuple | ast.Set) and node.elts:
            # [Point(...), Point(...)] -> 2_points; [Point(...)] -> one_point
            callees = {_callee(e) if isinstance(e, ast.Call) else None for e in node.elts}
            if len(callees) == 1 and (callee := callees.pop()):
                count = len(node.elts)
                return f"one_{snake(callee)}" if count == 1 else f"{count}_{snake(callee)}s"
        return "value"
    return describe_value(value)


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def describe_value(value: object) -> str:
    """A slug for a plain value: ``7``, ``minus_1``, ``empty_list``, ``hello_world``, ``string``.

    A text of up to three short words or numbers reads as its slug; a longer one is ``string``.
    """
    if value is None or isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return _number(value) or _rough_number(value)
    if isinstance(value, str | bytes):
        kind = "string" if isinstance(value, str) else "bytes"
        if not value:
            return f"empty_{kind}"
        if isinstance(value, str) and not value.strip():
            return "blank_string"
        if isinstance(value, str) and _WORD.fullmatch(value.lower()):
            return value.lower()
        slug = snake(value) if isinstance(value, str) else ""
        if len(slug) <= MAX_TEXT_SLUG and _SHORT_TEXT.fullmatch(slug):
            return slug
        return kind
    kind = type(value).__name__
    try:
        size = len(value)  # type: ignore[arg-type]
    except TypeError:
        return snake(kind)
    if size == 0:
        return f"empty_{kind}"
    if size == 1:
        return f"single_item_{kind}"
    return f"{size}_item_{kind}"


def outcome_slug(target: FunctionTarget, observation: Observation) -> str:
    """``raises_value_error``, ``returns_true``, ``returns_upper``, ``updates_items``..."""
    outcome = observation.outcome
    if outcome.status == "raised":
        return "raises_" + snake((outcome.exception or {}).get("name", "exception"))
    value = outcome.value or {}
    source = value.get("source")
    if source == "None" and outcome.changes:  # a mutator: what it changed is the news
        return "updates_" + "_and_".join(snake(name) for name, _ in outcome.changes[:2])
    printed = next((text for text in outcome.output if text), None)
    if source == "None" and printed:  # it prints: what it printed is the news
        slug = describe_source(repr(printed.strip()))
        return "prints" if slug in ("string", "value", "empty_string") else f"prints_{slug}"
    if source == "None" and outcome.kept:  # it changed nothing the method changes elsewhere
        return "keeps_" + "_and_".join(snake(name) for name in outcome.kept[:2])
    if source == "None" and outcome.files:
        return "writes_" + snake(outcome.files[0][0])  # archive.tar.gz -> archive_tar_gz
    parameters = call_parameters(target)
    positional = [p.name for p in parameters if p.kind != "keyword_only"]
    if outcome.equals_argument and len(observation.proposal.args) > 1:
        index = outcome.equals_argument[0]
        if index < len(positional):
            return f"returns_{positional[index]}"
    if value.get("kind") == "nan":
        return "returns_nan"
    if source is not None and len(source) <= 40:
        slug = describe_source(source)
        if slug not in ("value", "string", "bytes"):
            return f"returns_{slug}"
    return "returns_" + snake(value.get("type", {}).get("qualname", "value").split(".")[-1])


def base_name(target: FunctionTarget, observation: Observation) -> str:
    """The name before making it unique."""
    function = snake(f"{target.class_name}_{target.name}") if target.class_name else target.name
    function = function.strip("_") or "function"
    proposal = observation.proposal
    sources = [*proposal.args, *(value for _, value in proposal.kwargs)]
    outcome = outcome_slug(target, observation)
    prepared = [(statement, written_input(statement)) for statement in proposal.prepare]
    written = [file for _, file in prepared if file is not None]
    after = "".join(f"after_{_prepared_method(s)}_" for s, file in prepared if file is None)
    outcome = f"{after}{outcome}"
    if not sources:
        return f"test_{function}_{outcome}"
    inputs = "of_" + "_".join(describe_source(s) for s in sources) if len(sources) <= 3 else ""
    if inputs and any(is_empty_input(*file) for file in written):
        inputs = "of_empty_" + inputs.removeprefix("of_")  # test_read_of_empty_hosts_txt_...
    name = f"test_{function}_{inputs}_{outcome}" if inputs else f"test_{function}_{outcome}"
    return name if len(name) <= MAX_NAME else f"test_{function}_{outcome}"


def _prepared_method(statement: str) -> str:
    """``instance.add(Item(...))`` -> ``add``; ``TodoList([...]).save(path)`` -> ``save``."""
    try:
        node = ast.parse(statement, mode="eval").body
    except SyntaxError:
        node = None
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return snake(name) or "call"
    head = statement.split("(", 1)[0]
    return snake(head.rsplit(".", 1)[-1]) or "call"


def unique_names(names: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Make names unique against each other and ``taken`` by suffixing ``_2``, ``_3``..."""
    used = set(taken)
    result = []
    for name in names:
        candidate, counter = name, 2
        while candidate in used:
            candidate, counter = f"{name}_{counter}", counter + 1
        used.add(candidate)
        result.append(candidate)
    return result
