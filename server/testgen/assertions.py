"""Turn an observed call into the lines of a test: the call and what it must return or raise.

Values the child could write down exactly are compared with ``==`` (``is`` for None and
booleans), floats and flat containers of floats with ``pytest.approx``, NaN with
``math.isnan``; anything else is pinned by stable properties (type, length). Exceptions become
``pytest.raises(Type, match=...)`` with the message escaped, or without ``match`` when the
message would not be stable from run to run.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from codegpt.server.testgen.analysis import FunctionTarget
from codegpt.server.testgen.sandbox import CallOutcome
from codegpt.server.testgen.selection import MAX_VALUE_SOURCE, Observation, pinned_changes

#: ("import", module, None) for ``import module``; ("from", module, name) for ``from m import n``
Import = tuple[str, str, str | None]


@dataclass(frozen=True)
class TestBody:
    """The indented lines of one test function and the imports they need."""

    lines: tuple[str, ...]
    imports: frozenset[Import]
    fixtures: tuple[str, ...] = ()  # pytest fixtures the test function takes


def callee_expression(target: FunctionTarget, observation: Observation) -> tuple[list[str], str]:
    """(setup lines, call expression) for the observation's call."""
    proposal = observation.proposal
    if target.kind == "method":
        setup = [f"instance = {proposal.receiver}", *proposal.prepare]
        return setup, proposal.call_text(f"instance.{target.name}")
    callee = target.qualname if target.class_name else target.name
    call = proposal.call_text(callee)
    if target.is_async:
        call = f"asyncio.run({call})"
    if target.is_generator:
        call = f"list({call})"
    return list(proposal.prepare), call


def free_names(lines: list[str]) -> set[str]:
    """Names the lines read but neither assign nor get from builtins.

    The sandbox ran the call in the module's namespace, so each is one of the module's own
    (``Item`` in ``instance.add(Item('a', 1.5))``) and the test imports it from there.
    """
    read: set[str] = set()
    assigned: set[str] = set()
    for line in lines:
        try:
            tree = ast.parse(line)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                (assigned if isinstance(node.ctx, ast.Store) else read).add(node.id)
            elif isinstance(node, ast.arg):
                assigned.add(node.arg)  # a lambda's parameters
    return read - assigned - set(dir(builtins))


def _names_needed(target: FunctionTarget, module: str) -> set[Import]:
    owner = target.class_name or target.name
    needed: set[Import] = {("from", module, owner)}
    if target.is_async:
        needed.add(("import", "asyncio", None))
    return needed


def type_expression(ref: dict, module: str, imports: set[Import]) -> str | None:
    """How the test names a type recorded by the child, adding its import; None if it cannot."""
    if not ref.get("importable"):
        return None
    qualname = ref["qualname"]
    if ref["module"] == "builtins":
        return qualname
    if ref["module"] == module:
        imports.add(("from", module, qualname.split(".")[0]))
        return qualname
    imports.add(("import", ref["module"], None))
    return f"{ref['module']}.{qualname}"


def _pattern_literal(message: str) -> str:
    escaped = re.escape(message).replace("\\ ", " ")  # a space needs no escape outside re.X
    if "\\" in escaped and "'" not in escaped and not escaped.endswith("\\"):
        return f"r'{escaped}'"
    return repr(escaped)


def _value_imports(value: dict, module: str, imports: set[Import]) -> None:
    for kind, name, member in value.get("imports", []):
        if kind == "from":
            imports.add(("from", name, member))
        else:
            imports.add(("import", name, None))


def build_test_body(target: FunctionTarget, observation: Observation, module: str) -> TestBody:
    """The lines that make ``observation`` a test of ``target`` in module ``module``."""
    imports = _names_needed(target, module)
    imports |= {("import", name, None) for name in observation.proposal.imports}
    setup, call = callee_expression(target, observation)
    provided = {member or name.split(".")[0] for _kind, name, member in imports}
    imports |= {("from", module, name) for name in free_names([*setup, call]) - provided}
    outcome = observation.outcome
    fixtures: tuple[str, ...] = ()
    lines = []
    if "cwd" in outcome.writes:  # it writes files: in pytest's temporary folder, not the project
        fixtures = ("tmp_path", "monkeypatch")
        lines.append("monkeypatch.chdir(tmp_path)")
    printed = _printed_lines(outcome)
    if printed:
        fixtures = (*fixtures, "capsys")
    lines += setup
    if outcome.status == "raised":
        exception = outcome.exception or {}
        name = type_expression(exception["type"], module, imports) or "Exception"
        imports.add(("import", "pytest", None))
        message = exception.get("message", "")
        if message and exception.get("message_stable"):
            lines.append(f"with pytest.raises({name}, match={_pattern_literal(message)}):")
        else:
            lines.append(f"with pytest.raises({name}):")
        lines.append(f"    {call}")
        return TestBody(tuple(lines + printed), frozenset(imports), fixtures)
    value = outcome.value or {}
    equality = _equality(call, value, module, imports)
    if equality is not None:
        lines.append(equality)
    elif value.get("kind") == "nan":
        imports.add(("import", "math", None))
        lines.append(f"assert math.isnan({call})")
    else:
        lines.append(f"result = {call}")
        type_name = type_expression(value.get("type", {}), module, imports)
        if type_name is not None:
            lines.append(f"assert isinstance(result, {type_name})")
        else:
            qualname = value.get("type", {}).get("qualname", "object")
            lines.append(f"assert type(result).__qualname__ == {qualname!r}")
        if value.get("len") is not None:
            lines.append(f"assert len(result) == {value['len']}")
        # A module object without __eq__: its public attributes, as a receiver's are read.
        lines += _attribute_checks("result", value.get("attributes", []), module, imports)
    lines += _attribute_checks("instance", pinned_changes(outcome), module, imports)
    if outcome.files:
        imports.add(("from", "pathlib", "Path"))
    for path, text in outcome.files:
        if text is not None and len(repr(text)) <= MAX_VALUE_SOURCE:
            lines.append(f"assert Path({path!r}).read_text() == {text!r}")
        else:
            lines.append(f"assert Path({path!r}).exists()")
    return TestBody(tuple(lines + printed), frozenset(imports), fixtures)


def _attribute_checks(
    owner: str, attributes: Iterable[Sequence], module: str, imports: set[Import]
) -> list[str]:
    """``assert owner.name == value`` per (name, description); ``len()`` is ``len(owner)``."""
    checks = []
    for name, shown in attributes:
        reader = f"len({owner})" if name == "len()" else f"{owner}.{name}"
        if (line := _equality(reader, shown, module, imports)) is not None:
            checks.append(line)
    return checks


def _printed_lines(outcome: CallOutcome) -> list[str]:
    """``captured = capsys.readouterr()`` and what the call printed, stream by stream."""
    checks = [
        f"assert captured.{stream} == {text!r}"
        for stream, text in zip(("out", "err"), outcome.output, strict=False)
        if text
    ]
    return ["captured = capsys.readouterr()", *checks] if checks else []


def loosened(observation: Observation) -> Observation | None:
    """The same call asserting less, for a result that differs from run to run; or None.

    An id, a time stamp, a shuffle or a set's order fails the exact test under pytest: what is
    left is the result's type and size (``isinstance(result, str)``, ``len(result) == 11``), a
    mutator's ``is None`` without the state it set, the files' existence, and an exception's
    type without its message.
    """
    outcome = observation.outcome
    if outcome.status == "raised":
        exception = outcome.exception or {}
        if not exception.get("message_stable") and not any(outcome.output):
            return None
        loose = replace(outcome, exception={**exception, "message_stable": False}, output=("", ""))
        return replace(observation, outcome=loose)
    if outcome.status != "returned":
        return None
    value = dict(outcome.value or {})
    if value.get("source") != "None":
        value.pop("source", None)
    value.pop("attributes", None)
    loose = replace(
        outcome,
        value=value,
        output=("", ""),
        state=(),
        kept=(),
        files=tuple((path, None) for path, _ in outcome.files),
        equals_argument=(),
    )
    return None if loose == outcome else replace(observation, outcome=loose)


def _equality(expression: str, value: dict, module: str, imports: set[Import]) -> str | None:
    """``assert expression == <value>`` (``is`` for None and booleans, approx for floats)."""
    kind, source = value.get("kind"), value.get("source")
    if kind not in ("exact", "approx") or source is None or len(source) > MAX_VALUE_SOURCE:
        return None
    _value_imports(value, module, imports)
    if source in ("None", "True", "False"):
        return f"assert {expression} is {source}"
    if kind == "approx":
        imports.add(("import", "pytest", None))
        return f"assert {expression} == pytest.approx({source})"
    return f"assert {expression} == {source}"
