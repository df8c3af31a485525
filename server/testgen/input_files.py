"""Files a reader is given: ``Path('hosts.txt').write_text(...)`` before ``read_hosts(...)``.

A function that reads a file named by its parameter (``open(path)``, ``Path(path).read_text()``)
meets only missing files among the typical inputs: its test pins FileNotFoundError and covers
one line. When no function of the module writes such a file (``round_trips.py``), the test
writes one itself, shaped by how the body parses it: a JSON object with the keys it looks up, a
CSV file with the columns it reads (numbers where it converts them), or lines split by the
separators it splits them by, with a comment and a blank line when it skips those. A second,
near-empty file of the same kind (``{}``, a header alone, no lines) tests the defaults.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from codegpt.server.testgen.analysis import FunctionTarget
from codegpt.server.testgen.proposals import Proposal, call_parameters
from codegpt.server.testgen.shaped_strings import parse_body, separators
from codegpt.server.testgen.usage_types import PATH_CALLS

MAX_KEYS = 8  # keys of a JSON object or CSV header; more make long, unreadable tests
MAX_READERS = 2  # proposals that met a missing file, each made again with written files
#: Calls whose first argument names a file to read (``open(path)``, ``Path(path)``...): by the
#: callee's own name, or dotted where the name alone (``load``) also takes open files.
OPENING_CALLS = PATH_CALLS | {"read_csv", "loadtxt", "genfromtxt"}
OPENING_DOTTED = frozenset(
    {"toml.load", "np.load", "numpy.load", "ET.parse", "ElementTree.parse", "os.stat"}
    | {"os.path.exists", "os.path.isfile", "os.path.getsize"}
)
#: Methods of a path that read it: ``path.read_text()``, ``path.open()``.
READING_METHODS = frozenset({"read_text", "read_bytes", "open"})
#: Verbs dropped from a function's name to name its file: ``load_settings`` -> settings.json.
_VERBS = frozenset({"load", "read", "parse", "count", "get", "open", "import", "from", "scan"})
_NUMBER_CALLS = frozenset({"int", "float"})


@dataclass(frozen=True)
class InputFile:
    """A file to write before the call: its name in the working directory and its text."""

    name: str
    text: str


def file_parameters(target: FunctionTarget) -> list[str]:
    """Parameters the body opens or reads as a path, in signature order."""
    tree = parse_body(target.source)
    if tree is None:
        return []
    names = {p.name for p in call_parameters(target)}
    opened = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        opens = callee in OPENING_CALLS or _dotted(func) in OPENING_DOTTED
        if opens and node.args and isinstance(node.args[0], ast.Name):
            opened.add(node.args[0].id)
        if (
            isinstance(func, ast.Attribute)
            and func.attr in READING_METHODS
            and isinstance(func.value, ast.Name)
        ):
            opened.add(func.value.id)
    return [p.name for p in call_parameters(target) if p.name in opened & names]


def input_files(target: FunctionTarget) -> list[InputFile]:
    """A file shaped as the body parses it, then a near-empty one of the same kind."""
    tree = parse_body(target.source)
    if tree is None:
        return []
    stem = _stem(target.name)
    calls = {_dotted(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    keys = _string_keys(tree)
    numbers = _conversions(tree)
    if calls & {"json.load", "json.loads"}:
        record = {key: _json_value(key, default, numbers, 0) for key, default in keys.items()}
        # A list's second record leaves out the keys with a default: both paths are taken.
        other = {
            key: _json_value(key, default, numbers, 1)
            for key, default in keys.items()
            if default is None
        }
        iterated = _iterates_loaded(tree)
        full = [record, other] if iterated else record
        empty = [] if iterated else {}
        return [
            InputFile(f"{stem}.json", json.dumps(full) + "\n"),
            InputFile(f"{stem}.json", json.dumps(empty) + "\n"),
        ]
    if calls & {"tomllib.load", "tomllib.loads", "toml.load", "toml.loads"}:
        lines = [f"{key} = {_toml_value(key, default, numbers)}" for key, default in keys.items()]
        return [
            InputFile(f"{stem}.toml", "".join(f"{line}\n" for line in lines)),
            InputFile(f"{stem}.toml", ""),
        ]
    if calls & {"csv.DictReader", "pd.read_csv", "pandas.read_csv"}:
        delimiter = _delimiter(tree)
        header = list(keys) or ["name", "value"]
        rows = [delimiter.join(_column(numbers.get(k), row) for k in header) for row in range(2)]
        head = delimiter.join(header)
        return [
            InputFile(f"{stem}.csv", "".join(f"{line}\n" for line in [head, *rows])),
            InputFile(f"{stem}.csv", f"{head}\n"),
        ]
    if "csv.reader" in calls:
        delimiter = _delimiter(tree)
        columns = max(_indexes(tree), default=1) + 1
        rows = [
            delimiter.join(_column(numbers.get(i), row) for i in range(columns)) for row in range(2)
        ]
        if _skips_a_row(tree):  # next(rows): a header line first
            rows.insert(0, delimiter.join(f"field{i + 1}" for i in range(columns)))
        return [
            InputFile(f"{stem}.csv", "".join(f"{line}\n" for line in rows)),
            InputFile(f"{stem}.csv", ""),
        ]
    return [
        InputFile(f"{stem}.txt", _text_lines(tree)),
        InputFile(f"{stem}.txt", ""),
    ]


def with_input_files(target: FunctionTarget, missing: Sequence[Proposal]) -> list[Proposal]:
    """Each proposal that met a missing file, made again with each written input file."""
    names = file_parameters(target)
    if not names or not missing:
        return []
    parameters = call_parameters(target)
    position = next(i for i, p in enumerate(parameters) if p.name == names[0])
    parameter = parameters[position]
    files = input_files(target)
    made = []
    for proposal in missing[:MAX_READERS]:
        for file in files:
            path = repr(file.name)
            imports = proposal.imports
            if (parameter.annotation or "").split(".")[-1] in ("Path", "PurePath"):
                path, imports = f"pathlib.Path({path})", (*imports, "pathlib")
            changed = _with_argument(proposal, parameter.name, position, parameter.kind, path)
            if changed is None:
                continue
            write = f"pathlib.Path({file.name!r}).write_text({file.text!r})"
            made.append(
                replace(
                    changed,
                    prepare=(*proposal.prepare, write),
                    imports=tuple(dict.fromkeys((*imports, "pathlib"))),
                    origin="input file",
                )
            )
    return made


def written_input(statement: str) -> tuple[str, str] | None:
    """(name, text) of a ``pathlib.Path(name).write_text(text)`` statement, else None."""
    try:
        node = ast.parse(statement, mode="eval").body
    except SyntaxError:
        return None
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "write_text"
        and isinstance(node.func.value, ast.Call)
        and _dotted(node.func.value.func) == "pathlib.Path"
        and len(node.args) == 1
        and len(node.func.value.args) == 1
    ):
        return None
    name, text = _literal(node.func.value.args[0]), _literal(node.args[0])
    return (name, text) if isinstance(name, str) and isinstance(text, str) else None


def is_empty_input(name: str, text: str) -> bool:
    """No data in it: nothing, ``{}``, ``[]``, or a CSV file's header alone."""
    return text.strip() in ("", "{}", "[]") or (name.endswith(".csv") and text.count("\n") <= 1)


def _with_argument(
    proposal: Proposal, name: str, position: int, kind: str, source: str
) -> Proposal | None:
    if kind == "keyword_only" or any(key == name for key, _ in proposal.kwargs):
        kwargs = tuple((key, source if key == name else value) for key, value in proposal.kwargs)
        return replace(proposal, kwargs=kwargs) if kwargs != proposal.kwargs else None
    if position >= len(proposal.args):
        return None
    args = (*proposal.args[:position], source, *proposal.args[position + 1 :])
    return replace(proposal, args=args)


def _stem(function: str) -> str:
    words = [w for w in function.lower().split("_") if w]
    kept = [w for w in words if w not in _VERBS]
    return "_".join(kept) or "input"


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _string_keys(tree: ast.Module) -> dict[str, ast.expr | None]:
    """Keys looked up by string (``x['k']``, ``x.get('k', d)``), with their default if any."""
    keys: dict[str, ast.expr | None] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_text(node.slice):
            keys.setdefault(node.slice.value, None)  # type: ignore[attr-defined]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("get", "setdefault", "pop")
            and node.args
            and _is_text(node.args[0])
        ):
            default = node.args[1] if len(node.args) > 1 else None
            if keys.get(node.args[0].value) is None:  # type: ignore[attr-defined]
                keys[node.args[0].value] = default  # type: ignore[attr-defined]
    return dict(list(keys.items())[:MAX_KEYS])


def _conversions(tree: ast.Module) -> dict[str | int, str]:
    """Fields converted to numbers, by key or column: ``float(row['price'])``, ``int(row[1])``.

    -> ``{'price': 'float', 1: 'int'}``; ``int(data.get('port'))`` counts as its key.
    """
    found: dict[str | int, str] = {}
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _NUMBER_CALLS
            and node.args
        ):
            continue
        inner = node.args[0]
        if isinstance(inner, ast.Subscript) and (_is_text(inner.slice) or _is_index(inner.slice)):
            found[inner.slice.value] = node.func.id  # type: ignore[attr-defined]
        elif (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr == "get"
            and inner.args
            and _is_text(inner.args[0])
        ):
            found[inner.args[0].value] = node.func.id  # type: ignore[attr-defined]
    return found


def _indexes(tree: ast.Module) -> list[int]:
    return [
        node.slice.value  # type: ignore[attr-defined]
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript) and _is_index(node.slice) and node.slice.value < 20  # type: ignore[attr-defined]
    ]


def _is_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _is_index(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
        and node.value >= 0
    )


def _json_value(
    key: str, default: ast.expr | None, numbers: dict[str | int, str], row: int
) -> object:
    """A value unlike the default (a default shows only when the key is absent); ``row`` 0 or 1."""
    if key in numbers:
        return (3, 10)[row] if numbers[key] == "int" else (2.5, 10.0)[row]
    value = _literal(default)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 2 if value else 3
    if isinstance(value, list):
        return ["abc"]
    return ("abc", "xyz")[row]


def _toml_value(key: str, default: ast.expr | None, numbers: dict[str | int, str]) -> str:
    value = _json_value(key, default, numbers, 0)
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _column(conversion: str | None, row: int) -> str:
    if conversion == "int":
        return ("3", "10")[row]
    if conversion == "float":
        return ("2.5", "10.0")[row]
    return ("abc", "xyz")[row]


def _skips_a_row(tree: ast.Module) -> bool:
    """``next(reader)``: the first row is read apart, a header."""
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "next"
        for node in ast.walk(tree)
    )


def _literal(node: ast.expr | None) -> object:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError):
        return None


def _delimiter(tree: ast.Module) -> str:
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "delimiter" and _is_text(node.value):
            return node.value.value  # type: ignore[attr-defined]
    return ","


def _iterates_loaded(tree: ast.Module) -> bool:
    """``for item in data`` over a name bound to ``json.load(...)``: the file holds a list."""
    loaded = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and _dotted(node.value.func) in ("json.load", "json.loads")
        ):
            loaded |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return any(
        isinstance(node, ast.For | ast.comprehension)
        and isinstance(node.iter, ast.Name)
        and node.iter.id in loaded
        for node in ast.walk(tree)
    )


def _text_lines(tree: ast.Module) -> str:
    """Lines of fields joined by the separators the body splits by, a comment, a blank line."""
    sep = next((sep for sep in separators(tree) if sep != "\n"), None)
    prefixes = [
        node.args[0].value  # type: ignore[attr-defined]
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "startswith"
        and node.args
        and _is_text(node.args[0])
        and node.args[0].value  # type: ignore[attr-defined]
    ]
    # Words (split on spaces) repeat one, so that counting them counts more than once.
    second = "xyz abc" if sep in (None, " ") else f"xyz{sep}3"
    lines = ["abc" if sep is None else f"abc{sep}2.5", second]
    if prefixes:
        lines.insert(1, f"{prefixes[0]} note")
        lines.insert(2, "")
    return "".join(f"{line}\n" for line in lines)
