"""``codegpt tests FILE``: generate verified pytest tests for a file's functions.

The test file goes to stdout (``--stdout``) or is written, by default to
``tests/test_<module>.py`` under the project root, extending an existing file rather than
replacing it. A summary goes to stderr. Exit codes: 0 ok, 1 when some function got no test,
2 for usage errors (missing file, not Python, not UTF-8, no such function).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegpt.exit_codes import OK, PROBLEMS_FOUND, USAGE_ERROR

HELP = "generate pytest tests for the functions of a Python file, verified in a sandbox"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``codegpt tests``."""
    parser.add_argument("file", type=Path, help="the Python file to test")
    parser.add_argument(
        "--function",
        metavar="NAME",
        help="only this function (NAME or Class.NAME); default: every public one",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--stdout", action="store_true", help="print the test file instead")
    where.add_argument(
        "--write",
        type=Path,
        metavar="PATH",
        help="test file to create or extend (default: tests/test_<module>.py)",
    )
    parser.add_argument(
        "--max-tests",
        type=int,
        default=8,
        metavar="N",
        help="at most N tests per function (default 8)",
    )
    parser.add_argument(
        "--model",
        metavar="PATH",
        help="model folder for model-sampled inputs (default: the bundled model; 'none': off)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=2.0,
        metavar="S",
        help="seconds each call may run in the sandbox (default 2)",
    )


def _usage(message: str) -> int:
    print(f"codegpt tests: {message}", file=sys.stderr)
    return USAGE_ERROR


def run(args: argparse.Namespace) -> int:
    """Generate, write or print, summarise; returns the exit code."""
    from codegpt.server.testgen.analysis import AnalysisError
    from codegpt.server.testgen.emit import ExistingFileError
    from codegpt.server.testgen.generate import TestGenOptions, generate_tests

    path: Path = args.file
    if not path.is_file():
        return _usage(f"{path}: no such file")
    if path.suffix not in (".py", ".pyw"):
        return _usage(f"{path}: not a Python file (expected a .py file)")
    if args.max_tests < 1 or args.timeout <= 0:
        return _usage("--max-tests must be at least 1 and --timeout positive")
    options = TestGenOptions(
        max_tests=args.max_tests,
        timeout=args.timeout,
        test_path=args.write.resolve() if args.write else None,
        proposal_sources=_model_sources(args.model),
    )
    try:
        result = generate_tests(path, args.function, options)
    except AnalysisError as error:
        return _usage(str(error))
    if args.stdout:
        sys.stdout.write(result.text)
    elif result.cases:
        target = result.test_path
        existing = target.read_text(encoding="utf-8") if target.exists() else None
        try:
            edit = result.edit_for(existing)
        except ExistingFileError as error:
            return _usage(f"{target}: {error}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(edit.text, encoding="utf-8")
        verb = "extended" if existing else "wrote"
        print(
            f"{verb} {target}: {len(edit.added)} tests added"
            + (
                f", {len(edit.skipped_duplicates)} already present"
                if edit.skipped_duplicates
                else ""
            ),
            file=sys.stderr,
        )
    _summary(result)
    return (
        OK if all(f.tests_kept for f in result.functions) and result.functions else (PROBLEMS_FOUND)
    )


def _model_sources(model: str | None) -> tuple:
    """The model's proposal source; none (with a one-line note) when no model loads."""
    if model == "none":
        return ()
    from codegpt.model.runtime import CodeModel, ModelLoadError, RuntimeOptions
    from codegpt.server.testgen.model_proposals import ModelProposalSource

    try:
        loaded = CodeModel.load(RuntimeOptions(model_dir=Path(model) if model else None))
    except ModelLoadError as error:
        print(f"codegpt tests: no model-sampled inputs ({error})", file=sys.stderr)
        return ()
    return (ModelProposalSource(loaded),)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _summary(result) -> None:
    """One line per function, then totals, on stderr."""
    for function in result.functions:
        coverage = function.coverage
        line = (
            f"  {function.qualname}: {function.tests_kept} tests from {function.calls_run} "
            f"calls, lines {_percent(coverage.lines if coverage else None)}, "
            f"branches {_percent(coverage.branches if coverage else None)}"
        )
        if function.skipped:
            line += f" -- no test: {function.skipped}"
        print(line, file=sys.stderr)
        for problem in function.problems:
            print(f"    {problem}", file=sys.stderr)
    if not result.functions:
        print("  no public function to test", file=sys.stderr)
    network = result.isolation.get("network", "unknown")
    print(
        f"{len(result.functions)} functions, {len(result.cases)} tests kept, lines "
        f"{_percent(result.line_coverage)}, branches {_percent(result.branch_coverage)}, "
        f"{result.seconds:.1f} s (sandbox network: {network})",
        file=sys.stderr,
    )
