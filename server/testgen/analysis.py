"""What a function looks like from the outside and inside, read with ``ast`` (nothing is run).

Proposals need the parameters, their annotations and defaults, the author's doctest examples,
the literals the body compares against (boundaries are where bugs live) and the exceptions it
raises on purpose; the editor needs to find the function under the cursor, which tree-sitter
does even in a file that ``ast`` cannot parse yet.
"""

from __future__ import annotations

import ast
import doctest
from dataclasses import dataclass, field
from pathlib import Path

from codegpt.server.parsing import parse

#: Values a literal may take after ``ast.literal_eval``; anything else is not a useful proposal.
LiteralValue = int | float | complex | str | bytes | bool | None


class AnalysisError(ValueError):
    """The source cannot be analysed (syntax error, no such function); the message says why."""


@dataclass(frozen=True)
class Parameter:
    """One parameter as written: ``annotation`` and ``default`` are source text, or None."""

    name: str
    kind: str  # positional_only, positional_or_keyword, var_positional, keyword_only, var_keyword
    annotation: str | None = None
    default: str | None = None

    @property
    def required(self) -> bool:
        """Whether a call must pass this parameter."""
        return self.default is None and self.kind in (
            "positional_only",
            "positional_or_keyword",
            "keyword_only",
        )


@dataclass(frozen=True)
class Comparison:
    """``subject op literal`` in the body: ``subject`` is a parameter name or ``len(name)``."""

    subject: str
    op: str  # one of < <= > >= == !=
    value: LiteralValue


@dataclass(frozen=True)
class DoctestExample:
    """A ``>>> name(...)`` line whose arguments are reused as a proposal."""

    args: tuple[str, ...]
    kwargs: tuple[tuple[str, str], ...]
    expected: str | None
    imports: tuple[str, ...] = ()  # modules the example's arguments use (``>>> import io``)


@dataclass(frozen=True)
class FunctionTarget:
    """Everything the later stages need to know about one function or method."""

    qualname: str  # "clamp" or "Stack.push"
    name: str
    class_name: str | None
    kind: str  # function, method, staticmethod, classmethod
    is_async: bool
    is_generator: bool
    lineno: int  # 1-based, of the ``def`` (decorators excluded)
    end_lineno: int
    parameters: tuple[Parameter, ...]  # without self / cls
    return_annotation: str | None
    docstring: str | None
    doctests: tuple[DoctestExample, ...]
    literals: tuple[LiteralValue, ...]
    comparisons: tuple[Comparison, ...]
    raises: tuple[str, ...]
    init_parameters: tuple[Parameter, ...] | None = None  # the class's __init__, for methods
    source: str = ""

    @property
    def is_public(self) -> bool:
        """Public by Python convention: no leading underscore on the function or its class."""
        return not self.name.startswith("_") and not (self.class_name or "").startswith("_")


@dataclass
class ModuleAnalysis:
    """The analysed functions of one file, plus what it imports."""

    path: Path | None
    source: str
    functions: list[FunctionTarget] = field(default_factory=list)
    imports: tuple[str, ...] = ()
    #: class name -> its constructor parameters (None when construction is not simple)
    classes: dict[str, tuple[Parameter, ...] | None] = field(default_factory=dict)
    #: enum class name -> its members' names, in definition order
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def find(self, qualname: str) -> FunctionTarget:
        """The function named ``qualname`` (``name`` or ``Class.name``); AnalysisError if none."""
        for function in self.functions:
            if function.qualname == qualname:
                return function
        matches = [f for f in self.functions if f.name == qualname]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(f.qualname for f in self.functions) or "none"
        raise AnalysisError(f"no function {qualname!r} in the file (functions: {known})")

    def at_position(self, line: int, column: int) -> FunctionTarget | None:
        """The innermost analysed function around a 0-based (line, column), via tree-sitter."""
        tree = parse(self.source)
        node = tree.root_node.named_descendant_for_point_range((line, column), (line, column))
        while node is not None:
            if node.type == "function_definition":
                start = node.start_point[0] + 1
                for function in self.functions:
                    if function.lineno == start:
                        return function
            node = node.parent
        return None

    def public_functions(self) -> list[FunctionTarget]:
        """Functions and methods a user would expect tests for (no ``_private`` ones)."""
        return [f for f in self.functions if f.is_public]


def analyze_source(source: str, path: Path | None = None) -> ModuleAnalysis:
    """Analyse every module-level function and every method of module-level classes."""
    try:
        tree = ast.parse(source, filename=str(path or "<source>"))
    except SyntaxError as error:
        raise AnalysisError(
            f"cannot parse {path or 'the source'}: {error.msg} (line {error.lineno})"
        ) from error
    analysis = ModuleAnalysis(path=path, source=source, imports=_imports(tree))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            analysis.functions.append(_target(node, source, None, None))
        elif isinstance(node, ast.ClassDef):
            init = _init_parameters(node)
            analysis.classes[node.name] = init
            members = _enum_members(node)
            if members:
                analysis.enums[node.name] = members
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and (
                    not item.name.startswith("__")
                ):
                    analysis.functions.append(_target(item, source, node.name, init))
    return analysis


def analyze_file(path: Path) -> ModuleAnalysis:
    """Read (UTF-8) and analyse a file; AnalysisError for unreadable or non-UTF-8 files."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise AnalysisError(f"{path} is not UTF-8 text") from error
    except OSError as error:
        raise AnalysisError(f"cannot read {path}: {error.strerror}") from error
    return analyze_source(source, path)


def _imports(tree: ast.Module) -> tuple[str, ...]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return tuple(dict.fromkeys(names))


def _init_parameters(cls: ast.ClassDef) -> tuple[Parameter, ...] | None:
    """The ``__init__`` parameters, () for none; None when construction is not simple."""
    if any(isinstance(base, ast.Name) and base.id in ("Protocol", "ABC") for base in cls.bases):
        return None
    for item in cls.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            return _parameters(item.args, skip_first=True)
    if any(_is_dataclass_decorator(d) for d in cls.decorator_list):
        return _dataclass_fields(cls)
    return () if not cls.bases else None


ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})


def _enum_members(cls: ast.ClassDef) -> tuple[str, ...]:
    """Member names of an ``Enum`` subclass (``RED = 1``); () for other classes."""
    bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", None) for b in cls.bases}
    if not bases & ENUM_BASES:
        return ()
    members = []
    for item in cls.body:
        if isinstance(item, ast.Assign) and len(item.targets) == 1:
            target = item.targets[0]
            if isinstance(target, ast.Name) and not target.id.startswith("_"):
                members.append(target.id)
    return tuple(members)


def _is_dataclass_decorator(node: ast.expr) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    return (isinstance(target, ast.Name) and target.id == "dataclass") or (
        isinstance(target, ast.Attribute) and target.attr == "dataclass"
    )


def _dataclass_fields(cls: ast.ClassDef) -> tuple[Parameter, ...]:
    fields = []
    for item in cls.body:
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            default = ast.unparse(item.value) if item.value is not None else None
            if default is not None and "field(" in default:
                default = "..."  # a factory: the parameter is optional
            fields.append(
                Parameter(
                    item.target.id, "positional_or_keyword", ast.unparse(item.annotation), default
                )
            )
    return tuple(fields)


def _parameters(args: ast.arguments, skip_first: bool) -> tuple[Parameter, ...]:
    result: list[Parameter] = []
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    for index, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        kind = "positional_only" if index < len(args.posonlyargs) else "positional_or_keyword"
        result.append(_parameter(arg, kind, default))
    if args.vararg:
        result.append(_parameter(args.vararg, "var_positional", None))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        result.append(_parameter(arg, "keyword_only", default))
    if args.kwarg:
        result.append(_parameter(args.kwarg, "var_keyword", None))
    return tuple(result[1:] if skip_first and positional else result)


def _parameter(arg: ast.arg, kind: str, default: ast.expr | None) -> Parameter:
    return Parameter(
        name=arg.arg,
        kind=kind,
        annotation=ast.unparse(arg.annotation) if arg.annotation is not None else None,
        default=ast.unparse(default) if default is not None else None,
    )


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    names = set()
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Name):
            names.add(decorator.id)
        elif isinstance(decorator, ast.Attribute):
            names.add(decorator.attr)
    return names


def _target(
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    source: str,
    class_name: str | None,
    init: tuple[Parameter, ...] | None,
) -> FunctionTarget:
    decorators = _decorator_names(node)
    if class_name is None:
        kind = "function"
    elif "staticmethod" in decorators:
        kind = "staticmethod"
    elif "classmethod" in decorators:
        kind = "classmethod"
    else:
        kind = "method"
    skip_first = kind in ("method", "classmethod")
    docstring = ast.get_docstring(node)
    body_nodes = [n for stmt in node.body for n in ast.walk(stmt)]
    return FunctionTarget(
        qualname=f"{class_name}.{node.name}" if class_name else node.name,
        name=node.name,
        class_name=class_name,
        kind=kind,
        is_async=isinstance(node, ast.AsyncFunctionDef),
        is_generator=_is_generator(node),
        lineno=node.lineno,
        end_lineno=node.end_lineno or node.lineno,
        parameters=_parameters(node.args, skip_first),
        return_annotation=ast.unparse(node.returns) if node.returns is not None else None,
        docstring=docstring,
        doctests=_doctests(docstring, node.name),
        literals=_literals(body_nodes, docstring),
        comparisons=_comparisons(body_nodes),
        raises=_raises(body_nodes),
        init_parameters=init if kind == "method" else None,
        source=ast.get_source_segment(source, node) or "",
    )


def _is_generator(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Yield in this function's own body (not in nested functions or lambdas)."""
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Yield | ast.YieldFrom):
            return True
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        stack.extend(ast.iter_child_nodes(current))
    return False


def literal_value(node: ast.AST) -> tuple[bool, LiteralValue]:
    """(True, value) for a constant or a negated number, else (False, None)."""
    if isinstance(node, ast.Constant) and not isinstance(node.value, type(Ellipsis)):
        return True, node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
        and not isinstance(node.operand.value, bool)
    ):
        return True, -node.operand.value
    return False, None


def _literals(nodes: list[ast.AST], docstring: str | None) -> tuple[LiteralValue, ...]:
    values: list[LiteralValue] = []
    for node in nodes:
        ok, value = literal_value(node)
        if not ok or (isinstance(value, str) and value == docstring):
            continue
        if isinstance(value, str) and len(value) > 40:
            continue
        if value not in values or type(value) not in {type(v) for v in values if v == value}:
            values.append(value)
    return tuple(values[:32])


_OPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _subject(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "len"
        and len(node.args) == 1
        and isinstance(node.args[0], ast.Name)
    ):
        return f"len({node.args[0].id})"
    if (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mod)
        and isinstance(node.left, ast.Name)
    ):
        return None  # ``n % 2 == 0``: the literal is not a boundary of n
    return None


def _comparisons(nodes: list[ast.AST]) -> tuple[Comparison, ...]:
    found: list[Comparison] = []
    for node in nodes:
        if not isinstance(node, ast.Compare):
            continue
        left = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            symbol = _OPS.get(type(op))
            if symbol is not None:
                ok, value = literal_value(right)
                subject = _subject(left)
                if not ok:
                    ok, value = literal_value(left)
                    subject = _subject(right)
                    symbol = _FLIPPED[symbol]
                if ok and subject is not None:
                    comparison = Comparison(subject, symbol, value)
                    if comparison not in found:
                        found.append(comparison)
            left = right
    return tuple(found)


def _raises(nodes: list[ast.AST]) -> tuple[str, ...]:
    names: list[str] = []
    for node in nodes:
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name | ast.Attribute):
                name = exc.id if isinstance(exc, ast.Name) else exc.attr
                if name not in names:
                    names.append(name)
    return tuple(names)


def _doctests(docstring: str | None, name: str) -> tuple[DoctestExample, ...]:
    """``>>> name(args)`` examples; setups and other statements are not reproduced."""
    if not docstring or ">>>" not in docstring:
        return ()
    try:
        examples = doctest.DocTestParser().get_examples(docstring)
    except ValueError:
        return ()
    found: list[DoctestExample] = []
    imported: set[str] = set()
    for example in examples:
        try:
            statement = ast.parse(example.source.strip()).body
        except SyntaxError:
            continue
        if len(statement) == 1 and isinstance(statement[0], ast.Import):
            imported |= {a.name for a in statement[0].names if a.asname is None}
            continue
        try:
            expression = ast.parse(example.source.strip(), mode="eval").body
        except SyntaxError:
            continue
        if not (
            isinstance(expression, ast.Call)
            and isinstance(expression.func, ast.Name | ast.Attribute)
            and (getattr(expression.func, "id", None) or getattr(expression.func, "attr", None))
            == name
        ):
            continue
        if any(isinstance(a, ast.Starred) for a in expression.args) or any(
            k.arg is None for k in expression.keywords
        ):
            continue
        found.append(
            DoctestExample(
                args=tuple(ast.unparse(a) for a in expression.args),
                kwargs=tuple(
                    (k.arg, ast.unparse(k.value)) for k in expression.keywords if k.arg is not None
                ),
                expected=example.want.strip() or None,
                imports=tuple(sorted(_used_modules(expression, imported))),
            )
        )
    return tuple(found)


def _used_modules(expression: ast.expr, imported: set[str]) -> set[str]:
    """The doctest's imported modules that the call's arguments name (``io`` in ``io.X()``)."""
    used = set()
    for node in ast.walk(expression):
        if isinstance(node, ast.Attribute):
            parts = []
            inner: ast.expr = node
            while isinstance(inner, ast.Attribute):
                parts.insert(0, inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name):
                dotted = ".".join([inner.id, *parts])
                used |= {m for m in imported if dotted == m or dotted.startswith(m + ".")}
        elif isinstance(node, ast.Name) and node.id in imported:
            used.add(node.id)
    return used
