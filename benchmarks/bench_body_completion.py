"""Multi-line completion in emptied function bodies, in process, as the editor asks for it.

A function of a held-out test-split file loses its body statements (its docstring stays); the
cursor sits on the emptied line at the body's indentation, where the engine answers with a
block (multi-line mode). Scored against the removed statements: the first line's exact match
and edit similarity, and the whole block's edit similarity (CodeXGLUE's definitions,
``codegpt.training.line_metrics``). Also counted: suggestions that open with a docstring the
function did not have, and loops (a piece repeated back to back three times or more).

    python benchmarks/bench_body_completion.py --out benchmarks/results/body_completion.json
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bench_prompt_budget import test_files
from report import emit
from tree_sitter import Node

from codegpt.model.runtime import CodeModel, RuntimeOptions
from codegpt.server.completion.engine import CompletionEngine, DocumentView
from codegpt.server.parsing import parse
from codegpt.server.settings import CompletionSettings
from codegpt.training.line_metrics import edit_similarity

LOOP = re.compile(r"(\S.{2,}?)\1{2,}", re.S)


def functions(node: Node) -> list[Node]:
    """Every function definition under ``node``, nested ones included."""
    found, pending = [], [node]
    while pending:
        current = pending.pop()
        if current.type == "function_definition":
            found.append(current)
        pending.extend(current.children)
    return found


def emptied(text: str, function: Node, max_statements: int) -> tuple[str, int, str] | None:
    """(text with the body's statements removed, cursor offset, the removed statements)."""
    body = function.child_by_field_name("body")
    if body is None:
        return None
    statements = [child for child in body.children if child.is_named]
    if statements and statements[0].type == "expression_statement":
        first = statements[0].children[0] if statements[0].children else None
        if first is not None and first.type == "string":
            statements = statements[1:]  # the docstring stays: the editor sees it
    if not 1 <= len(statements) <= max_statements:
        return None
    data = text.encode("utf-8")
    start, end = statements[0].start_byte, statements[-1].end_byte
    column = statements[0].start_point[1]
    line_start = data.rfind(b"\n", 0, start) + 1
    before = data[:line_start].decode("utf-8")
    truth = data[line_start:end].decode("utf-8")[column:]
    return before + " " * column + data[end:].decode("utf-8"), len(before) + column, truth


def cases(corpus: Path, count: int, seed: int, max_statements: int) -> list[tuple[str, int, str]]:
    """Up to two emptied functions per test-split file of 200 to 2,000 ASCII lines."""
    rng = random.Random(seed)
    texts = test_files(corpus)
    rng.shuffle(texts)
    found: list[tuple[str, int, str]] = []
    for text in texts:
        candidates = functions(parse(text).root_node)
        rng.shuffle(candidates)
        for function in candidates[:2]:
            case = emptied(text, function, max_statements)
            if case is not None:
                found.append(case)
        if len(found) >= count:
            break
    return found[:count]


def first_line(text: str) -> str:
    return text.split("\n", 1)[0].strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("data/corpus"))
    parser.add_argument("--model", type=Path, help="model folder (default: the bundled one)")
    parser.add_argument("--bodies", type=int, default=150)
    parser.add_argument("--max-statements", type=int, default=4)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    model = CodeModel.load(RuntimeOptions(model_dir=args.model, threads=args.threads))
    settings = CompletionSettings()
    rows: list[dict[str, Any]] = []
    found = cases(args.corpus, args.bodies, args.seed, args.max_statements)
    for index, (text, offset, truth) in enumerate(found, 1):
        started = time.perf_counter()
        view = DocumentView("file:///bench.py", text, parse(text))
        answer = CompletionEngine().complete_inline(model, view, offset, settings)
        prediction = answer.texts[0] if answer.texts else ""
        rows.append(
            {
                "ms": 1000 * (time.perf_counter() - started),
                "multi_line": str(answer.mode) == "multi_line",
                "first_exact": first_line(prediction) == first_line(truth),
                "first_similarity": edit_similarity(first_line(prediction), first_line(truth)),
                "block_similarity": edit_similarity(prediction, truth),
                "docstring": prediction.lstrip().startswith(('"""', "'''")),
                "loop": LOOP.search(prediction) is not None,
                "shown": bool(prediction),
            }
        )
        print(f"\r{index}/{len(found)} bodies", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    latencies = sorted(row["ms"] for row in rows)

    def share(key: str) -> float:
        return round(100 * statistics.fmean(bool(row[key]) for row in rows), 1)

    result = {
        "benchmark": "body_completion",
        "bodies": len(rows),
        "seed": args.seed,
        "multi_line_pct": share("multi_line"),
        "shown_pct": share("shown"),
        "first_line_exact_match": share("first_exact"),
        "first_line_edit_similarity": round(
            statistics.fmean(row["first_similarity"] for row in rows), 1
        ),
        "block_edit_similarity": round(
            statistics.fmean(row["block_similarity"] for row in rows), 1
        ),
        "opens_a_docstring_pct": share("docstring"),
        "loops_pct": share("loop"),
        "p50_ms": round(latencies[len(latencies) // 2], 1),
        "p95_ms": round(latencies[int(0.95 * len(latencies))], 1),
    }
    emit(result, args.out)


if __name__ == "__main__":
    main()
