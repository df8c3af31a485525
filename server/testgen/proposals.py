"""Candidate calls for a function: from its doctests, boundaries, literals, edges and types.

A proposal is argument *source text*, so the sandbox evaluates exactly what the emitted test will
contain. Sources are tried in the order that makes good tests: the author's doctest examples,
then boundary values around the literals the body compares against, then per-type edge values
varied one parameter at a time, then combinations drawn from the annotations with hypothesis
(derandomized, so the same function always gets the same draws). More sources (the model's
sampled calls) plug in as ``ProposalSource`` callables.
"""

from __future__ import annotations

import ast
import logging
import math
import string
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from codegpt.server.testgen.analysis import Comparison, FunctionTarget, Parameter
from codegpt.server.testgen.shaped_strings import docstring_examples, shaped_strings
from codegpt.server.testgen.usage_types import usage_type

if TYPE_CHECKING:
    from codegpt.server.testgen.preparations import Preparation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Proposal:
    """One call: ``receiver`` constructs the instance for methods (``Stack()``), else None."""

    args: tuple[str, ...] = ()
    kwargs: tuple[tuple[str, str], ...] = ()
    origin: str = "edge"  # doctest, docstring, boundary, literal, baseline, edge, hypothesis...
    receiver: str | None = None
    imports: tuple[str, ...] = ()  # modules the argument sources use, imported by the test
    #: statements run before the call, after the receiver is built: ``instance.add(...)`` on a
    #: method's instance, or another function writing the file a reader is given
    prepare: tuple[str, ...] = ()

    def call_text(self, callee: str) -> str:
        """``callee(arg, ..., key=value)`` as it appears in a test."""
        parts = [*self.args, *(f"{key}={value}" for key, value in self.kwargs)]
        return f"{callee}({', '.join(parts)})"


class ProposalSource(Protocol):
    """Anything that suggests calls for a target, e.g. a code model sampling ``name(...)``."""

    def __call__(self, target: FunctionTarget, limit: int) -> Iterable[Proposal]:
        """At most ``limit`` proposals for ``target``."""
        ...


@dataclass
class ProposalConfig:
    """How many calls to try; extra sources are asked after the built-in ones."""

    max_proposals: int = 64  # per function; the sandbox runs ~200 calls/s, selection keeps <= 8
    hypothesis_examples: int = 24
    extra_sources: Sequence[ProposalSource] = field(default_factory=tuple)
    extra_limit: int = 16
    #: class name -> constructor sources, for parameters annotated with a class of the module
    constructors: dict[str, list[str]] = field(default_factory=dict)
    #: class name -> mutator calls to run on the typical receiver first (``preparations.py``)
    preparations: dict[str, list[Preparation]] = field(default_factory=dict)
    #: the module's short word literals (``shaped_strings.module_words``)
    module_words: tuple[str, ...] = ()


# --- values per type ---------------------------------------------------------------------------

EDGE_VALUES: dict[str, tuple[str, ...]] = {
    "int": ("0", "1", "-1", "2", "10", "7", "100", "-10", "1000000000"),
    "float": ("0.0", "1.0", "-1.0", "0.5", "2.5", "100.0", "-0.5", "1e-09", "float('inf')"),
    "bool": ("True", "False"),
    "str": ("''", "'a'", "'abc'", "'Hello, World'", "' '", "'racecar'", "'123'", "'a b c'"),
    "bytes": ("b''", "b'abc'", "b'\\x00\\xff'"),
    "None": ("None",),
    "complex": ("0j", "(1+2j)"),
    "Callable": ("len", "str"),
    # Standard-library value types, written with their module so the test imports it. A Friday
    # and a Saturday: weekday logic takes both branches.
    "date": (
        "datetime.date(2024, 1, 5)",
        "datetime.date(2024, 1, 6)",
        "datetime.date(2024, 2, 29)",
        "datetime.date(2023, 12, 31)",
    ),
    "datetime": (
        "datetime.datetime(2024, 1, 5, 12, 30)",
        "datetime.datetime(2024, 1, 6, 0, 0)",
        "datetime.datetime(2023, 12, 31, 23, 59, 59)",
    ),
    "time": ("datetime.time(12, 30)", "datetime.time(0, 0)", "datetime.time(23, 59, 59)"),
    "timedelta": (
        "datetime.timedelta(0)",
        "datetime.timedelta(days=1)",
        "datetime.timedelta(seconds=90)",
        "datetime.timedelta(hours=2)",  # each unit once: day, hour, minute, second
        "datetime.timedelta(days=-1)",
    ),
    "Path": (
        "pathlib.Path('data/report.txt')",
        "pathlib.Path('archive.tar.gz')",
        "pathlib.Path('notes')",
        "pathlib.Path('.')",
    ),
    "PurePath": ("pathlib.PurePath('data/report.txt')", "pathlib.PurePath('notes')"),
    "Decimal": ("decimal.Decimal('0')", "decimal.Decimal('1.5')", "decimal.Decimal('-2.25')"),
    "Fraction": ("fractions.Fraction(0)", "fractions.Fraction(1, 3)", "fractions.Fraction(-5, 2)"),
}
TYPICAL: dict[str, tuple[str, ...]] = {
    "int": ("3", "2", "10", "5", "1", "0"),
    "float": ("1.5", "2.5", "10.0", "3.0", "1.0", "0.0"),
    "str": ("'abc'", "'hello'", "'xyz'", "'a'", "'b'", "'c'"),
    "bool": ("True", "False"),
    "bytes": ("b'abc'",),
}
UNKNOWN_VALUES = (
    "0",
    "1",
    "-1",
    "2",
    "10",
    "''",
    "'abc'",
    "[]",
    "[1, 2, 3]",
    "None",
    "True",
    "2.5",
)
NAME_HINTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "n",
            "i",
            "j",
            "k",
            "count",
            "index",
            "size",
            "number",
            "num",
            "length",
            "width",
            "height",
            "limit",
            "times",
            "year",
            "month",
            "day",
            "base",
            "step",
            "start",
            "stop",
            "end",
            "lo",
            "hi",
            "low",
            "high",
        ),
        "int",
    ),
    **dict.fromkeys(
        (
            "s",
            "text",
            "string",
            "name",
            "word",
            "prefix",
            "suffix",
            "sep",
            "line",
            "message",
            "pattern",
            "char",
            "word1",
            "word2",
            "a_string",
        ),
        "str",
    ),
    **dict.fromkeys(
        (
            "xs",
            "items",
            "values",
            "numbers",
            "nums",
            "lst",
            "arr",
            "array",
            "elements",
            "seq",
            "sequence",
            "data",
            "l",
            "list_",
        ),
        "list[int]",
    ),
    **dict.fromkeys(("x", "y", "value", "amount", "a", "b"), "int"),
    **dict.fromkeys(("flag", "strict", "reverse", "verbose"), "bool"),
}
SEQUENCE_NAMES = {
    "list",
    "List",
    "Sequence",
    "Iterable",
    "Collection",
    "MutableSequence",
    "Iterator",
}
SET_NAMES = {"set", "Set", "frozenset", "FrozenSet", "AbstractSet", "MutableSet"}
DICT_NAMES = {"dict", "Dict", "Mapping", "MutableMapping"}


def _annotation_node(annotation: str | None) -> ast.expr | None:
    if not annotation:
        return None
    try:
        node = ast.parse(annotation.strip("'\""), mode="eval").body
    except SyntaxError:
        return None
    return node


def _name_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Constant) and node.value is None:
        return "None"
    return None


def _split_union(node: ast.expr) -> list[ast.expr] | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [
            *(_split_union(node.left) or [node.left]),
            *(_split_union(node.right) or [node.right]),
        ]
    if isinstance(node, ast.Subscript) and _name_of(node.value) in ("Optional", "Union"):
        inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if _name_of(node.value) == "Optional":
            inner = [*inner, ast.Constant(None)]
        return list(inner)
    return None


def values_for_annotation(
    node: ast.expr | None, depth: int = 0, classes: Mapping[str, Sequence[str]] | None = None
) -> list[str] | None:
    """Edge-value sources for a type expression; None when the type is not understood.

    ``classes`` maps the module's own classes to constructor calls, so that ``list[Point]``
    gets lists of points (and ``Point | None`` a point or None), not lists of ints.
    """
    if node is None or depth > 3:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:  # a forward reference inside a subscript: list["Point"]
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    union = _split_union(node)
    if union is not None:
        merged: list[str] = []
        for member in union:
            merged += values_for_annotation(member, depth + 1, classes) or []
        return list(dict.fromkeys(merged)) or None
    name = _name_of(node.value if isinstance(node, ast.Subscript) else node)
    args: list[ast.expr] = []
    if isinstance(node, ast.Subscript):
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
    if classes and name in classes and not args and classes[name]:
        return list(classes[name])  # the module's own class, even if it shadows a known name
    if name in EDGE_VALUES and not args:
        return list(EDGE_VALUES[name])
    if name == "Literal":
        return [ast.unparse(a) for a in args]
    if name == "Any" or name == "object":
        return list(UNKNOWN_VALUES)
    if name in SEQUENCE_NAMES or name in SET_NAMES or name == "tuple" or name == "Tuple":
        element = values_for_annotation(args[0], depth + 1, classes) if args else None
        if (
            name in ("tuple", "Tuple")
            and args
            and not (
                len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis
            )
        ):
            members = [values_for_annotation(a, depth + 1, classes) or ["None"] for a in args]
            first = (
                "("
                + ", ".join(m[min(1, len(m) - 1)] for m in members)
                + (",)" if len(members) == 1 else ")")
            )
            zero = "(" + ", ".join(m[0] for m in members) + (",)" if len(members) == 1 else ")")
            return [first, zero]
        picks = [v for v in (element or ["1", "2", "3"]) if v not in ("''", "0", "0.0", "None")]
        # Pad with the element type's own values: ``1`` in a list of tuples is a wrong type.
        padding = [v for v in element if v not in picks] if element else ["1", "2", "3"]
        picks = (picks + padding + picks * 5)[:5] if picks else (padding * 5)[:5]
        lists = [
            "[]",
            f"[{picks[0]}]",
            f"[{picks[0]}, {picks[1]}, {picks[2]}]",
            f"[{picks[2]}, {picks[0]}, {picks[1]}]",
            f"[{picks[0]}, {picks[0]}]",
            f"[{', '.join(picks[:5])}]",
        ]
        if element and element[0] in ("0", "0.0"):
            lists.append(f"[{element[0]}, {picks[0]}, {element[2] if len(element) > 2 else 1}]")
        if rectangle := _rectangle(element or []):
            lists.insert(1, rectangle)  # rows of one length: a grid, a matrix, a table
        if name in SET_NAMES:
            return ["set()", *(("{" + v[1:-1] + "}") for v in lists[1:3])]
        if name in ("tuple", "Tuple"):
            return [
                "()",
                *(f"({v[1:-1]},)" if v.count(",") == 0 else f"({v[1:-1]})" for v in lists[1:4]),
            ]
        return list(dict.fromkeys(lists))
    if name in DICT_NAMES:
        keys = values_for_annotation(args[0], depth + 1, classes) if args else None
        vals = values_for_annotation(args[1], depth + 1, classes) if len(args) > 1 else None
        keys = [k for k in (keys or ["'a'", "'b'"]) if k not in ("''",)] + ["'a'", "'b'"]
        if vals and len(args) > 1 and classes and _name_of(args[1]) in classes:
            vals = [vals[1], *vals]  # a class's first call is its typical one, not an edge
        vals = (vals or ["1", "2"]) + ["1", "2"]
        return [
            "{}",
            f"{{{keys[0]}: {vals[1]}}}",
            f"{{{keys[0]}: {vals[1]}, {keys[1]}: {vals[2]}}}",
        ]
    if name == "Callable":
        return list(EDGE_VALUES["Callable"])
    return None


def _rectangle(rows: Sequence[str]) -> str | None:
    """Two different rows of one length (``[[1.0, -1.0, 0.5], [0.5, 1.0, -1.0]]``), or None.

    Lists of lists are grids more often than not, and every generated one was ragged
    (``[[], [1.0], [1.0, -1.0, 0.5]]``): a matrix class rejected each, and its methods ran on
    none.
    """
    by_length: dict[int, list[str]] = {}
    for row in rows:
        if not (row.startswith("[") and row.endswith("]")) or row == "[]":
            continue
        try:
            length = len(ast.parse(row, mode="eval").body.elts)  # type: ignore[attr-defined]
        except (SyntaxError, AttributeError):
            continue
        by_length.setdefault(length, []).append(row)
    for length in sorted(by_length, key=lambda n: (n < 2, -len(by_length[n]), n)):
        if len(by_length[length]) >= 2:
            return f"[{by_length[length][0]}, {by_length[length][1]}]"
    return None


def _typical(
    annotation: str | None, position: int, classes: Mapping[str, Sequence[str]] | None = None
) -> str | None:
    """An ordinary value of the type: ``'abc'``, ``3``, or a module class's first instance."""
    node = _annotation_node(annotation)
    name = _name_of(node) if node is not None else None
    if classes and name in classes and classes[name] and not isinstance(node, ast.Subscript):
        return classes[name][0]
    if name in TYPICAL:
        values = TYPICAL[name]
        return values[position % len(values)]
    return None


def parameter_type(parameter: Parameter, target: FunctionTarget) -> str | None:
    """The annotation, or a type guessed from the default, comparisons or the name."""
    if parameter.annotation:
        return parameter.annotation
    if parameter.default is not None:
        try:
            value = ast.literal_eval(parameter.default)
        except (ValueError, SyntaxError):
            value = ...
        if value is not ... and value is not None:
            return type(value).__name__
    for comparison in target.comparisons:
        if comparison.subject == parameter.name and comparison.op != "==":
            if isinstance(comparison.value, bool):
                continue
            if isinstance(comparison.value, int | float):
                return type(comparison.value).__name__
        if comparison.subject == f"len({parameter.name})":
            return NAME_HINTS.get(parameter.name, "list[int]")
    used_as = usage_type(parameter.name, target.source) if target.source else None
    return used_as or NAME_HINTS.get(parameter.name)


def _literal_source(value: object) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return repr(value)
    return None


def boundary_values(parameter: Parameter, target: FunctionTarget) -> list[str]:
    """For ``x > 10``: 9, 10, 11; for ``len(xs) >= 3``: lists of length 2, 3 and 4."""
    values: list[str] = []
    for comparison in target.comparisons:
        values += _around(comparison, parameter, target)
    return list(dict.fromkeys(values))


def _around(comparison: Comparison, parameter: Parameter, target: FunctionTarget) -> list[str]:
    value = comparison.value
    if comparison.subject == parameter.name:
        if isinstance(value, bool) or value is None:
            return [repr(value)]
        if isinstance(value, int):
            return [repr(value - 1), repr(value), repr(value + 1)]
        if isinstance(value, float) and math.isfinite(value):
            return [repr(value - 0.5), repr(value), repr(value + 0.5)]
        if isinstance(value, str):
            return [repr(value)]
        return []
    if (
        comparison.subject == f"len({parameter.name})"
        and isinstance(value, int)
        and (not isinstance(value, bool))
    ):
        kind = parameter_type(parameter, target) or ""
        sizes = [n for n in (value - 1, value, value + 1) if 0 <= n <= 50]
        if kind.startswith("str"):
            return [repr("a" * n) for n in sizes]
        return [repr(list(range(1, n + 1))) for n in sizes]
    return []


# Sources of the empty values: an instance built from one is often the same as the default one.
EMPTY_CONTAINERS = frozenset({"None", "''", '""', "[]", "{}", "()", "set()"})
# Sources of the values that are empty or false: a call returning one says little.
EMPTY_SOURCES = EMPTY_CONTAINERS | {"False", "0", "0.0"}
MAX_TEXT_LITERALS = 10  # body strings used to build inputs; more add length, not new paths
MAX_TEXT_LITERAL_LENGTH = 20


def literal_strings(target: FunctionTarget) -> list[str]:
    """Strings built around the body's string literals, as inputs that reach the code using them.

    A body that looks for ``"["`` or maps ``"one"``, ``"two"`` needs inputs holding them, with
    text around (``"a[bc"``: something before and after, for slicing around the find), all of
    them at once, and words in reverse order of their appearance (a lookup table is usually in
    order, so that is the order that makes sorting and ranking code do work).
    """
    found = [
        value
        for value in target.literals
        if type(value) is str
        and value
        and len(value) <= MAX_TEXT_LITERAL_LENGTH
        and value.isprintable()
    ]
    found = list(dict.fromkeys(found))[:MAX_TEXT_LITERALS]
    if not found:
        return []
    texts = []
    words = [value for value in found if value.isidentifier()]
    if len(words) > 1:
        texts.append(" ".join(reversed(words)))
    if len(found) > 1:
        texts.append("a" + "b".join(found) + "c")
    texts += [f"a{value}bc" for value in found if value.strip()]
    return list(dict.fromkeys(texts))


def _with_literal_strings(candidates: Sequence[str], texts: Sequence[str]) -> list[str]:
    """Container candidates with their strings replaced by ``texts`` (round robin)."""
    if not texts:
        return []
    made: list[str] = []
    for candidate in candidates:
        try:
            tree = ast.parse(candidate, mode="eval")
        except SyntaxError:
            continue
        if isinstance(tree.body, ast.Constant):
            continue  # a plain string: the texts themselves are already candidates
        strings = [
            n for n in ast.walk(tree) if isinstance(n, ast.Constant) and type(n.value) is str
        ]
        if not strings:
            continue
        for position, node in enumerate(strings):
            node.value = texts[position % len(texts)]
        made.append(ast.unparse(tree))
        strings[0].value = texts[-1]
        for node in strings[1:]:
            node.value = "abc"  # one element that holds a literal, the others that do not
        made.append(ast.unparse(tree))
        if len(made) >= 4:
            break
    return made


def _candidates(parameter: Parameter, target: FunctionTarget, config: ProposalConfig) -> list[str]:
    return parameter_candidates(parameter, target, config.constructors, config.module_words)


def parameter_candidates(
    parameter: Parameter,
    target: FunctionTarget,
    constructors: Mapping[str, Sequence[str]] | None = None,
    words: Sequence[str] = (),
) -> list[str]:
    """Ordered sources for one parameter: boundaries, body literals, default, type edges.

    ``words`` are the module's short word literals, fields of texts the function splits.
    """
    kind = parameter_type(parameter, target)
    node = _annotation_node(kind)
    typed = values_for_annotation(node, classes=constructors)
    candidates = boundary_values(parameter, target)
    base = _name_of(node.value if isinstance(node, ast.Subscript) else node) if node else None
    if base in ("str", None):
        shaped = shaped_strings(target.source, parameter.name, words)
        candidates += [repr(text) for text in [*docstring_examples(target.docstring), *shaped]]
    for literal in target.literals:
        source = _literal_source(literal)
        if source is None:
            continue
        fits = (
            (base == "int" and type(literal) is int)
            or (base == "float" and type(literal) in (int, float))
            or (base == "str" and type(literal) is str)
            or (base is None and typed is None and type(literal) in (int, str))
        )
        if fits:
            candidates.append(source)
    texts = literal_strings(target)
    if base == "str":
        candidates += [repr(text) for text in texts]
    if parameter.default is not None:
        candidates.append(parameter.default)
    candidates += typed if typed is not None else list(UNKNOWN_VALUES)
    if typed is not None and base != "str":
        candidates += _with_literal_strings(typed, texts)
    return list(dict.fromkeys(candidates))


# --- hypothesis --------------------------------------------------------------------------------


def strategy_for(annotation: str | None):
    """A hypothesis strategy for a builtin-typed annotation; None when not understood."""
    node = _annotation_node(annotation)
    return _strategy(node, 0) if node is not None else None


def _strategy(node: ast.expr, depth: int):
    from hypothesis import strategies as st

    if depth > 3:
        return None
    union = _split_union(node)
    if union is not None:
        members = [_strategy(m, depth + 1) for m in union]
        return st.one_of(*members) if all(m is not None for m in members) else None
    name = _name_of(node.value if isinstance(node, ast.Subscript) else node)
    args: list[ast.expr] = []
    if isinstance(node, ast.Subscript):
        args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
    simple = {
        "int": st.integers(-100, 100),
        "float": st.floats(-100, 100, allow_nan=False).map(lambda x: round(x, 3)),
        "str": st.text(alphabet=string.ascii_lowercase + " ", max_size=8),
        "bool": st.booleans(),
        "bytes": st.binary(max_size=6),
        "None": st.none(),
    }
    if name in simple and not args:
        return simple[name]
    inner = [
        _strategy(a, depth + 1)
        for a in args
        if not (isinstance(a, ast.Constant) and a.value is Ellipsis)
    ]
    if any(s is None for s in inner):
        return None
    if name in SEQUENCE_NAMES:
        return st.lists(inner[0] if inner else st.integers(-10, 10), max_size=6)
    if name in SET_NAMES:
        return st.sets(inner[0] if inner else st.integers(-10, 10), max_size=5)
    if name in ("tuple", "Tuple"):
        if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
            return st.lists(inner[0], max_size=5).map(tuple)
        return st.tuples(*inner) if inner else None
    if name in DICT_NAMES and len(inner) == 2:
        return st.dictionaries(inner[0], inner[1], max_size=4)
    if name == "Literal":
        return st.sampled_from([ast.literal_eval(a) for a in args])
    return None


def render_plain(value: object) -> str | None:
    """Deterministic source for a plain builtin value drawn by hypothesis (sets sorted)."""
    if value is None or isinstance(value, bool | int | str | bytes):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        parts = [render_plain(v) for v in value]
        if None in parts:
            return None
        if isinstance(value, list):
            return "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
        return "(" + ", ".join(parts) + (",)" if len(parts) == 1 else ")")  # type: ignore[arg-type]
    if isinstance(value, set | frozenset):
        parts = sorted(p for p in map(render_plain, value) if p is not None)
        if len(parts) != len(value):
            return None
        return ("{" + ", ".join(parts) + "}") if parts else "set()"
    if isinstance(value, dict):
        items = [(render_plain(k), render_plain(v)) for k, v in value.items()]
        if any(k is None or v is None for k, v in items):
            return None
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    return None


def hypothesis_rows(
    parameters: Sequence[Parameter],
    target: FunctionTarget,
    examples: int,
    constructors: dict[str, list[str]] | None = None,
) -> list[tuple[str, ...]]:
    """Argument rows drawn together (derandomized); unknown types draw from their candidates."""
    try:
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import strategies as st
    except ImportError:
        logger.info("hypothesis is not installed: no type-based proposals")
        return []
    columns = []
    for parameter in parameters:
        strategy = strategy_for(parameter_type(parameter, target))
        if strategy is None:
            strategy = st.sampled_from(parameter_candidates(parameter, target, constructors)).map(
                lambda s: _Source(s)
            )
        columns.append(strategy)
    if not columns:
        return []
    rows: list[tuple[str, ...]] = []

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.tuples(*columns))
    def collect(row: tuple) -> None:
        rendered = tuple(v.text if isinstance(v, _Source) else render_plain(v) for v in row)
        if None not in rendered and rendered not in rows:
            rows.append(rendered)  # type: ignore[arg-type]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        collect()
    return rows


@dataclass(frozen=True)
class _Source:
    """Marks an already-rendered source among drawn values."""

    text: str


# --- assembling calls --------------------------------------------------------------------------


def _shrunk(value: object) -> list[object]:
    """Smaller and neighbouring values of a literal: where edge cases hide.

    A string or bytes also gets one more item (its last repeated): code that reads a fixed
    number of items is only tested on the far side of that number with a longer input.
    """
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [0, value - 1, value + 1]
    if isinstance(value, str | bytes):
        if not value:
            return []
        return list(dict.fromkeys([value[:0], value[:1], value[:-1], value + value[-1:]]))
    return []


def doctest_variants(example, limit: int = 12) -> list[Proposal]:
    """The author's example with one literal changed (emptied, shortened, +-1).

    A doctest shows the typical call; the same call with an empty buffer or one item fewer is
    usually the edge case it does not show (and the one that catches off-by-one mutants).
    """
    variants: list[Proposal] = []
    sources = [*example.args, *(value for _key, value in example.kwargs)]
    for position, source in enumerate(sources):
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError:
            continue
        constants = [n for n in ast.walk(tree) if isinstance(n, ast.Constant)]
        for node in constants:
            original = node.value
            for value in _shrunk(original):
                if value == original or type(value) is not type(original):
                    continue
                node.value = value
                changed = list(sources)
                changed[position] = ast.unparse(tree)
                node.value = original
                args = tuple(changed[: len(example.args)])
                kwargs = tuple(
                    (key, text)
                    for (key, _old), text in zip(
                        example.kwargs, changed[len(example.args) :], strict=True
                    )
                )
                variants.append(Proposal(args, kwargs, "literal", imports=example.imports))
                if len(variants) >= limit:
                    return variants
    return variants


def call_parameters(target: FunctionTarget) -> list[Parameter]:
    """Parameters proposals fill: required ones and optional positional ones (not *args)."""
    return [
        p
        for p in target.parameters
        if p.kind in ("positional_only", "positional_or_keyword", "keyword_only")
    ]


def _row_to_call(
    parameters: Sequence[Parameter], row: Sequence[str | None], origin: str
) -> Proposal:
    """Positional for positional parameters; keyword-only by name; None means "omit"."""
    args: list[str] = []
    kwargs: list[tuple[str, str]] = []
    omitted = False
    for parameter, source in zip(parameters, row, strict=True):
        if source is None:
            omitted = True
            continue
        if parameter.kind == "keyword_only" or (omitted and parameter.kind != "positional_only"):
            kwargs.append((parameter.name, source))
        else:
            args.append(source)
    return Proposal(tuple(args), tuple(kwargs), origin, imports=source_imports(row))


def source_imports(sources: Iterable[str | None]) -> tuple[str, ...]:
    """Standard-library modules the sources name (``datetime`` in ``datetime.date(2024, 1, 5)``).

    The sandbox imports them before the call, and the test file imports them too.
    """
    modules: list[str] = []
    for source in sources:
        if not source or "." not in source:
            continue
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in sys.stdlib_module_names
            ):
                modules.append(node.value.id)
    return tuple(dict.fromkeys(modules))


def baseline_call(target: FunctionTarget, config: ProposalConfig) -> Proposal:
    """The one typical call: each required parameter's typical value, the optional ones left out.

    A preparation (``instance.add(...)`` before the call under test) is this call of a mutator.
    """
    parameters = call_parameters(target)
    candidates = [_candidates(p, target, config) for p in parameters]
    return _row_to_call(
        parameters, _baseline_row(target, parameters, candidates, config), "baseline"
    )


def _baseline_row(
    target: FunctionTarget,
    parameters: Sequence[Parameter],
    candidates: Sequence[Sequence[str]],
    config: ProposalConfig,
) -> list[str | None]:
    """Each required parameter's typical value (else its second candidate); None if optional."""
    row: list[str | None] = []
    for index, (parameter, values) in enumerate(zip(parameters, candidates, strict=True)):
        if not parameter.required:
            row.append(None)
            continue
        typical = _typical(parameter_type(parameter, target), index, config.constructors)
        row.append(typical if typical is not None else values[min(1, len(values) - 1)])
    return row


def built_in_proposals(target: FunctionTarget, config: ProposalConfig) -> list[Proposal]:
    """Doctest calls, then one-parameter-at-a-time variations, then hypothesis combinations."""
    parameters = call_parameters(target)
    proposals: list[Proposal] = [
        Proposal(d.args, d.kwargs, "doctest", imports=d.imports) for d in target.doctests
    ]
    proposals += [v for d in target.doctests for v in doctest_variants(d)]
    candidates = [_candidates(p, target, config) for p in parameters]
    baseline = _baseline_row(target, parameters, candidates, config)
    proposals.append(_row_to_call(parameters, baseline, "baseline"))
    budget = max(config.max_proposals - config.hypothesis_examples // 2, config.max_proposals // 2)
    boundary = [set(boundary_values(p, target)) for p in parameters]
    examples = {repr(text) for text in docstring_examples(target.docstring)}
    shaped = {
        repr(text)
        for p in parameters
        for text in shaped_strings(target.source, p.name, config.module_words)
    }
    # Round-robin over parameters so that no single parameter eats the whole budget.
    for depth in range(max((len(v) for v in candidates), default=0)):
        for index, values in enumerate(candidates):
            if depth >= len(values):
                continue
            row = list(baseline)
            row[index] = values[depth]
            origin = "boundary" if values[depth] in boundary[index] else "edge"
            if origin == "edge" and values[depth] in shaped:
                origin = "shaped"  # fields joined as the body splits them: a typical input
            if values[depth] in examples:
                origin = "docstring"  # the author's own example: the most telling input
            proposals.append(_row_to_call(parameters, row, origin))
        if len(_unique(proposals)) >= budget:
            break
    proposals = _unique(proposals)[:budget]
    proposals += _variadic_calls(target, parameters, baseline, config)
    required = [p for p in parameters if p.required]
    for row in hypothesis_rows(required, target, config.hypothesis_examples, config.constructors):
        full = iter(row)
        proposals.append(
            _row_to_call(
                parameters, [next(full) if p.required else None for p in parameters], "hypothesis"
            )
        )
    return _unique(proposals)[: config.max_proposals]


def _variadic_calls(
    target: FunctionTarget,
    parameters: Sequence[Parameter],
    baseline: Sequence[str | None],
    config: ProposalConfig,
) -> list[Proposal]:
    """The baseline call with values for ``*args`` (one, then two) and one ``**kwargs`` entry.

    ``merge_dicts(*dicts, **overrides)`` was only ever called as ``merge_dicts()``.
    """
    made: list[Proposal] = []
    base = _row_to_call(parameters, baseline, "baseline")
    star = next((p for p in target.parameters if p.kind == "var_positional"), None)
    if star is not None and not base.kwargs:  # extra positionals follow every positional one
        element = Parameter(star.name, "positional_or_keyword", star.annotation)
        values = [v for v in _candidates(element, target, config) if v not in EMPTY_CONTAINERS]
        values = values or ["1", "2"]
        second = values[min(1, len(values) - 1)]
        for extra in ([values[0]], [values[0], second]):
            imports = tuple(dict.fromkeys((*base.imports, *source_imports(extra))))
            made.append(replace(base, args=(*base.args, *extra), imports=imports))
    double = next((p for p in target.parameters if p.kind == "var_keyword"), None)
    if double is not None:
        element = Parameter(double.name, "positional_or_keyword", double.annotation)
        values = _candidates(element, target, config) or ["1"]
        value = values[min(1, len(values) - 1)]
        for call in made[-1:] or [base]:
            imports = tuple(dict.fromkeys((*call.imports, *source_imports([value]))))
            made.append(replace(call, kwargs=(*call.kwargs, ("key", value)), imports=imports))
    return made


def receivers(
    target: FunctionTarget, constructors: Mapping[str, Sequence[str]] | None = None
) -> list[str] | None:
    """Constructor calls for a method's instance; None when construction is not simple.

    ``constructors`` (the module's, see module_constructors) has them built with the module's
    other classes where ``__init__`` takes those.
    """
    if target.kind != "method":
        return [""]
    if target.init_parameters is None or target.class_name is None:
        return None
    if constructors and constructors.get(target.class_name):
        return list(constructors[target.class_name])
    return constructor_sources(target.class_name, target.init_parameters)


def constructor_sources(
    class_name: str,
    init_parameters: Sequence[Parameter],
    classes: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """A few ``Class(...)`` calls: typical values, then first and third candidates.

    ``classes`` (other classes' constructor calls) builds parameters typed with them:
    ``Segment(Point(1.5, 0.0), ...)``.
    """
    parameters = [
        p
        for p in init_parameters
        if p.kind in ("positional_only", "positional_or_keyword", "keyword_only")
    ]
    if not parameters:
        return [f"{class_name}()"]
    fake = FunctionTarget(
        qualname=f"{class_name}.__init__",
        name="__init__",
        class_name=class_name,
        kind="method",
        is_async=False,
        is_generator=False,
        lineno=0,
        end_lineno=0,
        parameters=tuple(parameters),
        return_annotation=None,
        docstring=None,
        doctests=(),
        literals=(),
        comparisons=(),
        raises=(),
    )
    rows: list[list[str | None]] = [[], [], []]
    for index, parameter in enumerate(parameters):
        values = parameter_candidates(parameter, fake, classes)
        typical = _typical(parameter_type(parameter, fake), index, classes)
        if not parameter.required:
            # The other receiver should differ in state: `Stack([1])`, not `Stack([])`, which
            # builds the same empty instance as `Stack()` and leaves `pop` half tested. (A zero
            # stays: `Stack(capacity=0)` is an edge worth an instance.)
            others = [v for v in values if v != parameter.default]
            other = next((v for v in others if v not in EMPTY_CONTAINERS), None) or next(
                iter(others), None
            )
            rows[0].append(None)
            rows[1].append(other)
            rows[2].append(None)
        else:
            first = typical or values[min(1, len(values) - 1)]
            if first in rows[0]:
                # `Segment(p, p)` has no length: two parameters of one class get two values.
                first = next((v for v in values[1:] if v not in rows[0]), first)
            rows[0].append(first)
            rows[1].append(values[0])
            rows[2].append(values[min(2, len(values) - 1)])
    texts = [_row_to_call(parameters, row, "receiver").call_text(class_name) for row in rows]
    return list(dict.fromkeys(texts))


def module_constructors(
    classes: Mapping[str, Sequence[Parameter] | None],
    enums: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, list[str]]:
    """Sources for the module's own types: constructor calls, or an enum's members.

    Two rounds: the second builds parameters typed with another class of the module from the
    first round's calls, one level deep, so a class that holds itself cannot recurse.
    """
    members = {name: [f"{name}.{m}" for m in names] for name, names in (enums or {}).items()}
    simple = {
        name: constructor_sources(name, init, members)
        for name, init in classes.items()
        if init is not None
    }
    built = {
        name: constructor_sources(name, init, {**simple, **members})
        for name, init in classes.items()
        if init is not None
    }
    return {**built, **members}


def propose(target: FunctionTarget, config: ProposalConfig | None = None) -> list[Proposal]:
    """All proposals for ``target``, receivers attached for methods; [] when not constructible."""
    config = config or ProposalConfig()
    calls = built_in_proposals(target, config)
    for source in config.extra_sources:
        try:
            extra = list(source(target, config.extra_limit))[: config.extra_limit]
        except Exception:  # a model-side failure must not cost the built-in proposals
            logger.exception("proposal source %r failed", source)
            extra = []
        calls = _unique([*calls, *extra])
    owners = receivers(target, config.constructors)
    if owners is None:
        return []
    if owners == [""]:
        return calls
    # The typical receiver again after each mutator call: `add` then `add` meets a duplicate.
    setups: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
        (owner, (), source_imports([owner])) for owner in owners
    ]
    setups += [
        (owners[0], (p.statement,), (*source_imports([owners[0]]), *p.imports))
        for p in config.preparations.get(target.class_name or "", [])
    ]
    per_receiver = max(1, config.max_proposals // len(setups))
    return _unique(
        [
            Proposal(
                call.args,
                call.kwargs,
                call.origin,
                owner,
                tuple(dict.fromkeys([*call.imports, *imports])),
                prepare,
            )
            for owner, prepare, imports in setups
            for call in calls[:per_receiver]
        ]
    )


def proposal_from_call_text(
    target: FunctionTarget, text: str, origin: str = "model"
) -> Proposal | None:
    """Turn ``name(1, x=2)`` (e.g. sampled by the model) into a proposal; None if unusable."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call):
        return None
    callee = (
        node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
    )
    if callee != target.name:
        return None
    if any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords
    ):
        return None
    return Proposal(
        tuple(ast.unparse(a) for a in node.args),
        tuple((k.arg, ast.unparse(k.value)) for k in node.keywords if k.arg),
        origin,
    )


def _unique(proposals: Iterable[Proposal]) -> list[Proposal]:
    seen: set[tuple] = set()
    unique = []
    for proposal in proposals:
        key = (proposal.args, proposal.kwargs, proposal.receiver, proposal.prepare)
        if key not in seen:
            seen.add(key)
            unique.append(proposal)
    return unique
