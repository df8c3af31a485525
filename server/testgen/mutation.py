"""Which candidate calls would catch a mutant of the target: run them on each, compare outcomes.

Coverage says a line ran, not that a test would notice it being wrong. So after the calls ran on
the real function, the usable ones run again on a few mutants (``mutants.py``), all in one
sandbox batch (each mutant loaded as its own module object; a mutant that hangs is timed out
once and then skipped). A call *kills* a mutant when the assertion written from the original
outcome would fail on the mutant's outcome. The work is bounded by a mutant count, a per-call
timeout tied to how long the call took on the original, and a deadline for the whole batch;
when any of these is hit, what was measured so far is used, and nothing at all is fine too.
"""

from __future__ import annotations

import ast
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from codegpt.server.testgen.analysis import FunctionTarget
from codegpt.server.testgen.mutants import generate_mutants
from codegpt.server.testgen.sandbox import CallOutcome, CallSpec, Sandbox
from codegpt.server.testgen.selection import (
    MAX_VALUE_SOURCE,
    Observation,
    pinned_changes,
    rejection,
)

logger = logging.getLogger(__name__)

#: Outcomes of a mutant that no test written from the original survives (or that hang it).
FATAL = ("timeout", "memory", "crashed")


@dataclass(frozen=True)
class MutationConfig:
    """Bounds for the mutant runs of one function."""

    enabled: bool = True
    max_mutants: int = 16  # enough to sample every site family of a typical function body
    max_calls: int = 48  # candidate calls run on each mutant (the most telling first)
    max_runs: int = 600  # mutants x calls above this: fewer calls per mutant
    seconds: float = 6.0  # the whole mutant batch, start-up included; then what we have is used
    min_call_timeout: float = 0.25  # a mutant that loops is told apart after this long
    slowdown: float = 20.0  # ... or after this many times the original call's time


def mutant_kills(
    sandbox: Sandbox,
    target: FunctionTarget,
    module_source: str,
    location_args: tuple[Path, str, list[str]],
    calls: dict[int, CallSpec],
    observations: Sequence[Observation],
    config: MutationConfig,
) -> dict[int, frozenset[int]]:
    """Observation index -> indices of the mutants its call kills ({} when not measured).

    ``location_args`` is (module file, module name, sys.path) as for ``Sandbox.run_calls``;
    ``calls`` maps an observation index to the call that produced it.
    """
    if not config.enabled or config.max_mutants <= 0:
        return {}
    usable = [o for o in observations if rejection(o) is None and o.index in calls]
    if not usable:
        return {}
    mutants = generate_mutants(module_source, target, config.max_mutants)
    if not mutants:
        return {}
    per_mutant = max(1, min(config.max_calls, config.max_runs // len(mutants)))
    usable = usable[:per_mutant]
    specs: list[CallSpec] = []
    owner: dict[int, tuple[int, Observation]] = {}
    for number, mutant in enumerate(mutants):
        path = sandbox.write_variant(f"mutant_{number}", mutant.source)
        for observation in usable:
            call_id = len(specs)
            timeout = min(
                sandbox.limits.call_timeout,
                max(config.min_call_timeout, observation.outcome.seconds * config.slowdown),
            )
            call = calls[observation.index]
            specs.append(replace(call, id=call_id, module_file=str(path), timeout=timeout))
            owner[call_id] = (number, observation)
    module_file, module, sys_path = location_args
    batch = sandbox.run_calls(module_file, module, sys_path, specs, deadline=config.seconds)
    if batch.import_error is not None:
        logger.info("mutant runs for %s failed: %s", target.qualname, batch.import_error)
        return {}
    kills: dict[int, set[int]] = {}
    for call_id, outcome in batch.outcomes.items():
        number, observation = owner[call_id]
        if detects(observation.outcome, outcome):
            kills.setdefault(observation.index, set()).add(number)
    return {index: frozenset(found) for index, found in kills.items()}


def detects(original: CallOutcome, mutant: CallOutcome) -> bool:
    """Whether the test written from ``original`` fails (or hangs) on the mutant's outcome."""
    if mutant.status in FATAL:
        return True
    if mutant.status not in ("returned", "raised"):
        return False  # skipped or not even set up: unknown, so no credit
    if original.status == "raised":
        if mutant.status != "raised":
            return True
        expected, found = original.exception or {}, mutant.exception or {}
        if expected.get("name") != found.get("name"):
            return True
        message = expected.get("message", "")
        if message and expected.get("message_stable"):
            return re.search(re.escape(message), found.get("message", "")) is None
        return False
    if mutant.status == "raised":
        return True
    return (
        _value_differs(original.value or {}, mutant.value or {})
        or _state_differs(original, mutant)
        or _files_differ(original, mutant)
        or _output_differs(original, mutant)
    )


def _output_differs(original: CallOutcome, mutant: CallOutcome) -> bool:
    """The test checks what the original printed (``capsys``): the mutant must print the same."""
    return any(
        text and text != found for text, found in zip(original.output, mutant.output, strict=False)
    )


def _files_differ(original: CallOutcome, mutant: CallOutcome) -> bool:
    """A file the test checks was not written by the mutant, or holds another text.

    The test runs in an empty folder, so a file the mutant's call did not write is not there.
    """
    found = dict(mutant.files)
    return any(
        path not in found or (text is not None and found[path] != text)
        for path, text in original.files
    )


def _value_differs(expected: dict, found: dict) -> bool:
    """The result's assertion fails on ``found``."""
    kind, source = expected.get("kind"), expected.get("source")
    if kind in ("exact", "approx") and source is not None and len(source) <= MAX_VALUE_SOURCE:
        return not _same_value(source, found.get("source"), approx=kind == "approx")
    if kind == "nan":
        return found.get("kind") != "nan"
    same_type = expected.get("type", {}).get("qualname") == found.get("type", {}).get("qualname")
    if not same_type or expected.get("len") != found.get("len"):
        return True
    # The attributes of a module object without __eq__, as the test checks them.
    checked = [
        (name, value)
        for name, value in expected.get("attributes", [])
        if len(value.get("source") or "") <= MAX_VALUE_SOURCE
    ]
    return _attributes_differ(checked, dict(found.get("attributes", [])))


def _state_differs(original: CallOutcome, mutant: CallOutcome) -> bool:
    """An attribute the test pins (one the call changed) has another value on the mutant.

    One the mutant's record lacks (no source for it there) earns no credit: unknown.
    """
    found = {name: value for name, value, _changed in mutant.state}
    return _attributes_differ(pinned_changes(original), found)


def _attributes_differ(checked: Iterable[tuple[str, dict]], found: dict[str, dict]) -> bool:
    """An attribute the test checks has another value in ``found`` (one missing there: unknown)."""
    return any(
        name in found
        and not _same_value(
            value["source"], found[name].get("source"), approx=value.get("kind") == "approx"
        )
        for name, value in checked
    )


def _same_value(expected: str, found: str | None, approx: bool) -> bool:
    """``==`` (``is`` for None and booleans) between two rendered values, approx for floats."""
    if found is None:
        return False
    if expected in ("None", "True", "False") or found in ("None", "True", "False"):
        return expected == found
    try:
        left, right = ast.literal_eval(expected), ast.literal_eval(found)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return expected == found
    if approx:
        return _approx_equal(left, right)
    try:
        return bool(left == right)
    except Exception:  # noqa: BLE001 - odd values compare as their text
        return expected == found


def _approx_equal(left: object, right: object) -> bool:
    """pytest.approx's default tolerance (relative 1e-6, absolute 1e-12), element-wise."""
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(_approx_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_approx_equal(left[k], right[k]) for k in left)
    if isinstance(left, int | float) and isinstance(right, int | float):
        return math.isclose(left, right, rel_tol=1e-6, abs_tol=1e-12)
    return left == right
