"""Test generation benchmark: pass rate, coverage, mutation score and time per function.

For every public function of the fixture files: generate tests (sandboxed, verified), then run
the kept tests against simple mutants of that function (flipped comparisons, swapped arithmetic,
integer constants +1, ``return None``) in the sandbox; a mutant is killed when a test fails.
Writes benchmarks/results/testgen.json.

    python benchmarks/bench_testgen.py [--max-mutants 6] [FILE ...]
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from codegpt.server.testgen.emit import render_file
from codegpt.server.testgen.generate import TestGenOptions, generate_tests
from codegpt.server.testgen.sandbox import Sandbox, SandboxLimits

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = [
    ROOT / "tests" / "data" / "testgen" / name
    for name in ("mathutils.py", "stdlib_like.py", "shapes.py")
]
RESULTS = ROOT / "benchmarks" / "results" / "testgen.json"
FLIP = {
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}
SWAP = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
}


def find_function(tree: ast.Module, qualname: str) -> ast.FunctionDef | None:
    scopes: list = [tree]
    for part in qualname.split("."):
        found = None
        for scope in scopes:
            for node in scope.body:
                if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == part:
                    found = node
        if found is None:
            return None
        scopes = [found]
    return scopes[0] if isinstance(scopes[0], ast.FunctionDef) else None


def mutants(source: str, qualname: str, limit: int) -> list[str]:
    """Up to ``limit`` mutated sources, each with one change inside the function."""
    tree = ast.parse(source)
    function = find_function(tree, qualname)
    if function is None:
        return []
    sites = []
    for node in ast.walk(function):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in FLIP:
            sites.append(("compare", node))
        elif isinstance(node, ast.BinOp) and type(node.op) in SWAP:
            sites.append(("binop", node))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            sites.append(("constant", node))
        elif isinstance(node, ast.Return) and node.value is not None:
            sites.append(("return", node))
    result = []
    for kind, node in sites[:limit]:
        saved = None
        if kind == "compare":
            saved = node.ops[0]
            node.ops[0] = FLIP[type(saved)]()
        elif kind == "binop":
            saved = node.op
            node.op = SWAP[type(saved)]()
        elif kind == "constant":
            saved = node.value
            node.value = saved + 1
        else:
            saved = node.value
            node.value = ast.Constant(None)
        result.append(ast.unparse(tree))
        if kind == "compare":
            node.ops[0] = saved
        elif kind == "binop":
            node.op = saved
        elif kind == "constant":
            node.value = saved
        else:
            node.value = saved
    return result


def mutation_score(path: Path, module: str, function: str, cases, limit: int) -> tuple[int, int]:
    """(killed, total) for the cases of one function."""
    sources = mutants(path.read_text(encoding="utf-8"), function, limit)
    killed = 0
    with Sandbox(SandboxLimits()) as sandbox, tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        tests = sandbox.root / "mutation" / "test_mutants.py"
        tests.parent.mkdir(parents=True)
        tests.write_text(render_file(cases, module, None), encoding="utf-8")
        for index, source in enumerate(sources):
            mutant_dir = folder / f"m{index}"
            mutant_dir.mkdir()
            mutant = mutant_dir / path.name
            mutant.write_text(source, encoding="utf-8")
            run = sandbox.run_pytest(tests, mutant, module, [str(mutant_dir)], 0, len(cases))
            if (
                run.timed_out
                or any(o != "passed" for o in run.outcomes.values())
                or (not run.outcomes)
            ):
                killed += 1
    return killed, len(sources)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--max-mutants", type=int, default=6)
    args = parser.parse_args()
    rows = []
    for path in args.files:
        work = Path(tempfile.mkdtemp(prefix="bench-testgen-"))
        copy = work / path.name
        shutil.copy(path, copy)
        started = time.monotonic()
        result = generate_tests(copy, None, TestGenOptions())
        seconds = time.monotonic() - started
        for report in result.functions:
            cases = [c for c in result.cases if c.function == report.qualname]
            killed, total = (
                mutation_score(
                    copy, result.location.module, report.qualname, cases, args.max_mutants
                )
                if cases
                else (0, 0)
            )
            rows.append(
                {
                    "file": path.name,
                    "function": report.qualname,
                    "tests": report.tests_kept,
                    "passing_file": report.tests_kept > 0,
                    "line_coverage": report.coverage.lines if report.coverage else None,
                    "branch_coverage": report.coverage.branches if report.coverage else None,
                    "mutants": total,
                    "killed": killed,
                    "seconds": seconds / max(1, len(result.functions)),
                }
            )
            print(
                f"{path.name}:{report.qualname}: {report.tests_kept} tests, "
                f"lines {rows[-1]['line_coverage']}, branches {rows[-1]['branch_coverage']}, "
                f"mutants {killed}/{total}",
                flush=True,
            )
        shutil.rmtree(work, ignore_errors=True)

    def mean(key: str) -> float | None:
        values = [r[key] for r in rows if r[key] is not None]
        return statistics.fmean(values) if values else None

    mutants_total = sum(r["mutants"] for r in rows)
    summary = {
        "functions": len(rows),
        "passing_test_file_rate": sum(r["passing_file"] for r in rows) / max(1, len(rows)),
        "mean_line_coverage": mean("line_coverage"),
        "mean_branch_coverage": mean("branch_coverage"),
        "mutation_score": sum(r["killed"] for r in rows) / mutants_total if mutants_total else None,
        "mutants": mutants_total,
        "seconds_per_function": mean("seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"summary": summary, "functions": rows}, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
