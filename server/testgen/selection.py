"""Choose few calls that say a lot: cover lines and branches first, then distinct behaviours.

Greedy set cover over the arcs each call executed (an arc implies its lines, and arcs out of a
branch line are the branches), then one call per declared exception type and per distinct kind of
result not yet shown, then the author's doctest examples, then (when mutants were run, see
``mutation.py``) the calls that catch mutants the others miss, greedy by mutants caught. Ties go
to the more telling origin (doctest, boundary, baseline...) and then to the shorter call, so the
choice is deterministic.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from codegpt.server.testgen.analysis import FunctionTarget
from codegpt.server.testgen.proposals import EMPTY_SOURCES, Proposal
from codegpt.server.testgen.sandbox import CallOutcome

ORIGIN_RANK = {
    "doctest": 0,
    "docstring": 0,  # a quoted example of the docstring ('1h30m' -> 5400)
    "boundary": 1,
    "baseline": 2,
    "input file": 2,  # a file written as the body parses it (input_files.py)
    "shaped": 2,  # a text of fields joined as the body splits it (shaped_strings.py)
    "literal": 3,
    "edge": 4,
    "default": 5,
    "hypothesis": 6,
    "model": 7,
}
#: Exceptions that depend on the machine (stack depth, memory) rather than on the inputs.
UNSTABLE_EXCEPTIONS = {"RecursionError", "MemoryError", "KeyboardInterrupt", "SystemError"}
#: Raised by the interpreter itself when an argument has the wrong type.
WRONG_TYPE_EXCEPTIONS = {"TypeError", "AttributeError"}
DISTINCT_VALUE_TESTS = 5  # tests per function up to which more distinct results are pinned
MAX_VALUE_SOURCE = 400  # longer literals make unreadable tests; such results get property checks


@dataclass(frozen=True)
class Observation:
    """A proposal together with what the sandbox saw it do."""

    index: int
    proposal: Proposal
    outcome: CallOutcome

    @property
    def exception_name(self) -> str | None:
        """The raised exception's class name, or None."""
        if self.outcome.status != "raised" or not self.outcome.exception:
            return None
        return self.outcome.exception["name"]

    def behaviour(self) -> tuple:
        """A coarse class of result: exception type, or result type with truthiness."""
        if self.outcome.status == "raised":
            return ("raised", self.exception_name)
        value = self.outcome.value or {}
        source = value.get("source")
        return (
            "returned",
            value.get("type", {}).get("qualname"),
            value.get("kind"),
            source is None or source in EMPTY_SOURCES,
            tuple(name for name, _ in self.outcome.changes),  # what a method changed
        )


def pinned_changes(outcome: CallOutcome) -> tuple[tuple[str, dict], ...]:
    """The receiver's attributes a returning call changed (or ``kept``) that its test asserts on."""
    if outcome.status != "returned":
        return ()
    return tuple(
        (name, value)
        for name, value, changed in outcome.state
        if (changed or name in outcome.kept) and len(value.get("source") or "") <= MAX_VALUE_SOURCE
    )


def pin_kept_state(observations: Sequence[Observation]) -> list[Observation]:
    """Mark what a call left unchanged that other calls of the same method change.

    ``add_tag('abc')`` on a post already tagged 'abc' returns None and changes nothing: with
    ``instance.tags == ['abc']`` pinned, its test catches the mutant that appends it twice.
    """
    changing = {name for o in observations for name, _ in o.outcome.changes}
    marked = []
    for observation in observations:
        outcome = observation.outcome
        kept = tuple(name for name, _, changed in outcome.state if not changed and name in changing)
        if kept and outcome.status == "returned":
            observation = replace(observation, outcome=replace(outcome, kept=kept))
        marked.append(observation)
    return marked


def rejection(observation: Observation) -> str | None:
    """Why an observation cannot become a test, or None when it can."""
    outcome = observation.outcome
    if outcome.touched:
        return f"touched the sandbox ({', '.join(outcome.touched)})"
    if "outside" in outcome.writes:
        return "wrote files outside its working directory"
    if outcome.status not in ("returned", "raised"):
        return outcome.status
    if outcome.status == "raised":
        exception = outcome.exception or {}
        if exception.get("name") in UNSTABLE_EXCEPTIONS:
            return f"unstable exception {exception.get('name')}"
        if not exception.get("type", {}).get("importable"):
            return "exception type cannot be imported"
    return None


def _declared(observation: Observation, target: FunctionTarget) -> bool:
    """Raised on purpose: named in a ``raise`` of the target, or raised inside its file.

    Inside the file, a TypeError or AttributeError counts only from a ``raise`` or ``assert``:
    from any other line the interpreter raised it because an argument had the wrong type
    (``distance(1)``: 'int' object has no attribute 'x'), which pins nothing the author wrote.
    A ValueError, KeyError or ZeroDivisionError there is the code's answer to the data.
    """
    exception = observation.outcome.exception or {}
    name = exception.get("name")
    if name in target.raises:
        return True
    if not exception.get("in_target"):
        return False
    return name not in WRONG_TYPE_EXCEPTIONS or bool(exception.get("raise_statement"))


def _undeclared(observation: Observation, target: FunctionTarget) -> bool:
    return observation.outcome.status == "raised" and not _declared(observation, target)


def _priority(observation: Observation, target: FunctionTarget) -> tuple:
    undeclared = _undeclared(observation, target)
    proposal = observation.proposal
    length = (
        len(proposal.call_text(target.name))
        + len(proposal.receiver or "")
        + sum(len(statement) for statement in proposal.prepare)
    )
    return (undeclared, ORIGIN_RANK.get(proposal.origin, 9), length, observation.index)


def select(
    observations: Sequence[Observation],
    target: FunctionTarget,
    max_tests: int,
    kills: Mapping[int, frozenset[int]] | None = None,
) -> list[Observation]:
    """Up to ``max_tests`` observations, in a stable order (by priority).

    ``kills`` (observation index -> mutants its test would catch, see ``mutation.py``) adds,
    after the cover and the distinct behaviours, the calls that catch mutants still missed.
    """
    usable = [o for o in observations if rejection(o) is None]
    usable.sort(key=lambda o: _priority(o, target))
    chosen: list[Observation] = []
    covered: set[tuple[int, int]] = set()
    while len(chosen) < max_tests:
        best, best_gain = None, 0
        lines = {line for arc in covered for line in arc if line > 0}
        for observation in usable:
            if observation in chosen:
                continue
            gain = len(observation.outcome.arcs - covered)
            if _undeclared(observation, target) and not observation.outcome.lines - lines:
                # Only an exception's way out is new (``centroid(1)`` failing at len()): a
                # test of nonsense input, worth a place only where it reaches unrun lines.
                gain = 0
            if gain > best_gain:
                best, best_gain = observation, gain
        if best is None:
            break
        chosen.append(best)
        covered |= best.outcome.arcs
    shown = {o.behaviour() for o in chosen}
    # A result that is one of the arguments (``peek(default)``) shows the same thing whatever
    # the argument's type: one such call per argument is enough here.
    passed_through = {o.outcome.equals_argument for o in chosen if o.outcome.equals_argument}
    for observation in usable:
        if len(chosen) >= max_tests:
            break
        behaviour = observation.behaviour()
        role = observation.outcome.equals_argument
        wanted = (
            behaviour not in shown
            and not (role and role in passed_through)
            and (observation.outcome.status == "returned" or _declared(observation, target))
        )
        if wanted or (observation.proposal.origin == "doctest" and observation not in chosen):
            chosen.append(observation)
            shown.add(behaviour)
            if role:
                passed_through.add(role)
    if kills:
        add_mutant_killers(chosen, usable, kills, max_tests, target)
    # Then values right at the edges the body compares against: a test on each side of
    # ``x > 10`` is what catches an off-by-one, which covering both branches alone does not.
    results = {_result_key(o) for o in chosen}
    for observation in usable:
        if len(chosen) >= max_tests:
            break
        if observation.proposal.origin != "boundary" or observation in chosen:
            continue
        if _undeclared(observation, target):
            continue
        key = _result_key(observation)
        if key not in results:
            chosen.append(observation)
            results.add(key)
    # Last, a few more exact values: each distinct result pinned is one more way for a wrong
    # constant or operator to show. Capped below max_tests so that files stay readable. A
    # result that plays a role no chosen test shows yet (equal to another argument, or to none)
    # goes first: `larger(3, 7) == 7` before a fourth `larger(k, 0) == k`.
    roles = Counter(o.outcome.equals_argument for o in chosen)
    while len(chosen) < min(max_tests, DISTINCT_VALUE_TESTS):
        fresh = [
            o
            for o in usable
            if o not in chosen and o.outcome.status == "returned" and _result_key(o) not in results
        ]
        if not fresh:
            break
        best = min(fresh, key=lambda o: roles[o.outcome.equals_argument])  # first: priority
        chosen.append(best)
        results.add(_result_key(best))
        roles[best.outcome.equals_argument] += 1
    return sorted(chosen, key=lambda o: _priority(o, target))


def add_mutant_killers(
    chosen: list[Observation],
    usable: Sequence[Observation],
    kills: Mapping[int, frozenset[int]],
    max_tests: int,
    target: FunctionTarget,
) -> None:
    """Greedy by mutants newly caught: append to ``chosen`` while there is room and a gain.

    ``usable`` is in priority order, so among equal gains the more telling call wins. Calls that
    end in an exception the target does not raise itself stay out: a test pinning a TypeError
    from nonsense input catches little a reader cares about.
    """
    caught: set[int] = set()
    for observation in chosen:
        caught |= kills.get(observation.index, frozenset())
    while len(chosen) < max_tests:
        best, best_gain = None, 0
        for observation in usable:
            if observation in chosen:
                continue
            if _undeclared(observation, target):
                continue
            gain = len(kills.get(observation.index, frozenset()) - caught)
            if gain > best_gain:
                best, best_gain = observation, gain
        if best is None:
            return
        chosen.append(best)
        caught |= kills[best.index]


def _result_key(observation: Observation) -> tuple:
    """What the call showed: the exception type, or the value's source text."""
    outcome = observation.outcome
    if outcome.status == "raised":
        return ("raised", observation.exception_name, outcome.output)
    value = outcome.value or {}
    return ("returned", value.get("source"), value.get("kind"), outcome.output)
