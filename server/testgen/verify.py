"""Keep only tests that pass twice under pytest in the sandbox, and measure what they cover.

The two runs use different hash seeds, so a test that depends on set or dict-of-str ordering
(which the user's own pytest runs will vary) fails one of them and is dropped. A test that hangs
or ends pytest's process costs only itself: the run reports which test it ended in. Coverage comes
from coverage.py's per-function JSON report of the last run, restricted to the target file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codegpt.server.testgen.emit import TestCase, render_file
from codegpt.server.testgen.layout import ModuleLocation
from codegpt.server.testgen.sandbox import Sandbox

HASH_SEEDS = (0, 1, 2)  # run 1, run 2, and the re-run after dropping flaky tests
#: Runs that ended inside a test (it hung, or ended pytest's process) are run again without
#: that test, keeping the others, at most this many times; then every test left is dropped.
MAX_INTERRUPTED_RUNS = 3


@dataclass(frozen=True)
class FunctionCoverage:
    """Line and branch coverage of one function (fractions; branch None without branches)."""

    lines: float | None
    branches: float | None
    statements: int = 0
    branch_count: int = 0


@dataclass
class Verification:
    """The cases that passed every run, the dropped ones with why, and coverage per function."""

    kept: list[TestCase]
    dropped: dict[str, str] = field(default_factory=dict)
    coverage: dict[str, FunctionCoverage] = field(default_factory=dict)
    isolation: dict = field(default_factory=dict)


def verify(
    sandbox: Sandbox, cases: Sequence[TestCase], location: ModuleLocation, path_insert: str | None
) -> Verification:
    """Run the emitted file twice; drop failures and re-run once to measure the kept set."""
    folder = sandbox.root / "verify" / "tests"
    folder.mkdir(parents=True, exist_ok=True)
    test_file = folder / f"test_{location.module.split('.')[-1]}_generated.py"
    kept = list(cases)
    dropped: dict[str, str] = {}
    last = None
    runs, interrupted = 0, 0
    while kept and runs < len(HASH_SEEDS):
        seed = HASH_SEEDS[runs]
        test_file.write_text(render_file(kept, location.module, path_insert), encoding="utf-8")
        last = sandbox.run_pytest(
            test_file, location.path, location.module, [str(location.import_root)], seed, len(kept)
        )
        outcomes = {nodeid.split("::")[-1]: outcome for nodeid, outcome in last.outcomes.items()}
        culprit = last.stopped_in.split("::")[-1] if last.stopped_in else None
        if culprit is not None and interrupted < MAX_INTERRUPTED_RUNS:
            # The run ended inside one test: drop it and what failed, run the rest again.
            interrupted += 1
            why = "timed out" if last.timed_out else "ended the pytest run"
            failing = [c for c in kept if outcomes.get(c.name, "passed") != "passed"]
            for case in failing:
                dropped[case.name] = f"{outcomes[case.name]} under pytest (hash seed {seed})"
            for case in kept:
                if case.name == culprit:
                    dropped[case.name] = f"{why} under pytest (hash seed {seed})"
            kept = [c for c in kept if c not in failing and c.name != culprit]
            continue
        runs += 1
        failing = [c for c in kept if outcomes.get(c.name) != "passed"]
        for case in failing:
            reason = "timed out" if last.timed_out else outcomes.get(case.name, "not run")
            dropped[case.name] = f"{reason} under pytest (hash seed {seed})"
        kept = [c for c in kept if c not in failing]
        if runs >= 2 and not failing:
            break
    verification = Verification(kept, dropped, isolation=last.isolation if last else {})
    if last is not None and last.coverage and kept:
        verification.coverage = _function_coverage(last.coverage, location.path)
    return verification


def _function_coverage(report: dict, path: Path) -> dict[str, FunctionCoverage]:
    files = report.get("files", {})
    entry = next((v for k, v in files.items() if Path(k).resolve() == path.resolve()), None)
    if entry is None and len(files) == 1:
        entry = next(iter(files.values()))
    if entry is None:
        return {}
    result = {}
    for qualname, data in entry.get("functions", {}).items():
        if not qualname:
            continue
        summary = data["summary"]
        statements = summary.get("num_statements", 0)
        branches = summary.get("num_branches", 0)
        result[qualname] = FunctionCoverage(
            lines=summary["covered_lines"] / statements if statements else None,
            branches=summary["covered_branches"] / branches if branches else None,
            statements=statements,
            branch_count=branches,
        )
    return result
