"""Server settings: nested dataclasses filled from the client's camelCase JSON.

Clients send settings in ``initializationOptions`` and ``workspace/didChangeConfiguration``
(under ``codegpt`` or at top level). One generic converter reads any settings dataclass from
its fields and type hints, so adding a setting is adding a field. A value that is wrong (type,
range, choice) never stops the server: the field keeps its previous value and the problem is
reported by key, the way jedi-language-server treats its initialization options.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

SECTION = "codegpt"


def _bounds(low: float | None = None, high: float | None = None) -> dict[str, float | None]:
    return {"min": low, "max": high}


@dataclass
class DiagnosticsSettings:
    """Syntax diagnostics."""

    enable: bool = True
    # Long enough that a fast typist does not see squiggles for half-typed code.
    debounce_ms: int = field(default=150, metadata=_bounds(0, 10_000))


@dataclass
class CompletionSettings:
    """Inline (ghost-text) completion."""

    enable: bool = True
    max_tokens: int = field(default=48, metadata=_bounds(1, 1024))
    multi_line: bool = True
    # Suggestions for an explicitly invoked inline completion (the editor's "trigger" or "next"
    # command); automatic requests, one per keystroke, always get one: that is the fast path.
    alternatives: int = field(default=3, metadata=_bounds(1, 8))
    # Beam width behind every suggestion, automatic ones included (1 = greedy). An automatic
    # request still shows one suggestion: the beam's best by mean token log-probability.
    beam_width: int = field(default=1, metadata=_bounds(1, 8))
    # Mean token log-probability below which a suggestion is dropped; 0 would drop everything.
    confidence_threshold: float = field(default=-2.5, metadata=_bounds(-100.0, 0.0))
    # Budgets sized by benchmarks/bench_prompt_budget.py on the shipped model (168 cold
    # test-split positions, in process, 1 thread, results/prompt_budget.json): 320/96/48 tokens
    # gave exact match 12.5 / edit similarity 33.9 at p50 21 ms; 256/64/32 13.7 / 34.3 at 17 ms;
    # 192/64/32 12.5 / 34.2 at 14 ms, all within the noise of 168 positions. The small model
    # gains nothing measurable from the longer prompt, and a cold prefill pays for every token;
    # 256 keeps more of a long function in view.
    prefix_tokens: int = field(default=256, metadata=_bounds(0, 8192))
    suffix_tokens: int = field(default=64, metadata=_bounds(0, 8192))
    context_tokens: int = field(default=32, metadata=_bounds(0, 8192))
    # A suggestion that arrives after the user typed on is worthless.
    time_budget_ms: int = field(default=400, metadata=_bounds(10, 60_000))


@dataclass
class ModelSettings:
    """Which model to run and how."""

    path: str | None = None
    # onnxruntime execution providers in preference order; None lets the runtime choose.
    providers: list[str] | None = None
    # One thread by default: decode steps are too small to gain from two, and on a 2-core
    # machine shared with the editor a second thread brought 30-60 ms stalls (measured).
    # 0 lets onnxruntime pick.
    threads: int = field(default=1, metadata=_bounds(0, 256))
    # Threads for a cold prompt's prefill, on a second session (decode steps keep ``threads``).
    # 0 = 2 on machines with 4 or more cores, else 1: the editor keeps a core to itself. On a
    # 2-core Zen 3, 2 took cold completions from 47 to 38 ms p50 (model/runtime.py).
    prefill_threads: int = field(default=0, metadata=_bounds(0, 256))

    def prefill_thread_count(self, cpus: int | None = None) -> int:
        """``prefill_threads`` resolved: 0 means 2 with 4 or more cores (``cpus``), else 1."""
        if self.prefill_threads > 0:
            return self.prefill_threads
        cpus = os.cpu_count() if cpus is None else cpus
        return 2 if (cpus or 1) >= 4 else 1


@dataclass
class RepairSettings:
    """Quick fixes for syntax errors."""

    enable: bool = True


@dataclass
class TestsSettings:
    """pytest test generation."""

    max_tests: int = field(default=5, metadata=_bounds(1, 50))
    timeout_s: float = field(default=30.0, metadata=_bounds(1.0, 600.0))


@dataclass
class Settings:
    """Everything the client can configure."""

    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)
    completion: CompletionSettings = field(default_factory=CompletionSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    repair: RepairSettings = field(default_factory=RepairSettings)
    tests: TestsSettings = field(default_factory=TestsSettings)
    log_level: Literal["error", "warning", "info", "debug"] = "warning"


def camel_case(name: str) -> str:
    """``debounce_ms`` -> ``debounceMs``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


class _Invalid(Exception):
    """A value that does not fit its field; the message says what was expected."""


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(choice) for choice in typing.get_args(hint))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if origin is list:
        return f"a list of {_describe(typing.get_args(hint)[0])}"
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    return "null" if hint is type(None) else names.get(hint, str(hint))


def _convert(value: Any, hint: Any) -> Any:
    """Check (and lightly coerce) one JSON value against a type hint."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            try:
                return _convert(value, arg)
            except _Invalid:
                continue
        raise _Invalid(_describe(hint))
    if origin is Literal:
        if value in typing.get_args(hint):
            return value
        raise _Invalid(_describe(hint))
    if origin is list:
        if not isinstance(value, list):
            raise _Invalid(_describe(hint))
        (item_hint,) = typing.get_args(hint)
        return [_convert(item, item_hint) for item in value]
    if hint is int and isinstance(value, float) and value.is_integer():
        return int(value)  # JSON has one number type: 150.0 is a fine integer, 150.5 is not
    if _fits(value, hint):
        return float(value) if hint is float else value
    raise _Invalid(_describe(hint))


def _fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value has the plain type ``hint`` (true is not a number here)."""
    if hint is type(None):
        return value is None
    if hint is bool or isinstance(value, bool):
        return hint is bool and isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and math.isfinite(value)
    return hint in (int, str) and isinstance(value, hint)


def _check_bounds(value: Any, metadata: typing.Mapping[str, Any]) -> None:
    low, high = metadata.get("min"), metadata.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise _Invalid(f"a value from {low} to {high}")


def update_dataclass(target: Any, data: Any, path: str = "") -> list[str]:
    """Set fields of the settings dataclass ``target`` from camelCase JSON ``data``.

    Returns one warning per rejected value or unknown key, naming the key in dotted camelCase;
    rejected fields keep their current value.
    """
    if not isinstance(data, dict):
        where = path or "settings"
        return [f"{where} must be an object, got {type(data).__name__}; ignored"]
    hints = typing.get_type_hints(type(target))
    fields = {camel_case(f.name): f for f in dataclasses.fields(target)}
    warnings: list[str] = []
    for key, value in data.items():
        dotted = f"{path}.{key}" if path else str(key)
        known = fields.get(key)
        if known is None:
            warnings.append(f"unknown setting {dotted}; ignored")
            continue
        current = getattr(target, known.name)
        if dataclasses.is_dataclass(current):
            warnings.extend(update_dataclass(current, value, dotted))
            continue
        try:
            converted = _convert(value, hints[known.name])
            if isinstance(converted, int | float) and not isinstance(converted, bool):
                _check_bounds(converted, known.metadata)
        except _Invalid as expected:
            warnings.append(
                f"invalid setting {dotted} = {value!r}: expected {expected}; using {current!r}"
            )
            continue
        setattr(target, known.name, converted)
    return warnings


def settings_section(data: Any) -> Any:
    """The codegpt settings inside what a client sent: under ``codegpt``, or the whole object."""
    if isinstance(data, dict) and isinstance(data.get(SECTION), dict):
        return data[SECTION]
    return data


def settings_from_json(data: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """New settings: ``base`` (or the defaults) updated from client JSON, plus warnings."""
    settings = dataclasses.replace(base) if base is not None else Settings()
    if base is not None:
        # replace() is shallow: copy the sections so a half-applied update never leaks back.
        for section in dataclasses.fields(settings):
            value = getattr(base, section.name)
            if dataclasses.is_dataclass(value):
                setattr(settings, section.name, dataclasses.replace(value))
    if data is None:
        return settings, []
    return settings, update_dataclass(settings, settings_section(data))
