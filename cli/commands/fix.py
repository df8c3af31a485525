"""``codegpt fix``: repair syntax errors in files, with ruff's conventions for modes and exits.

Only a result that parses (compile() and tree-sitter) is ever written, printed or diffed as a
fix; the write is atomic and refused when the file changed meanwhile or is read-only.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codegpt.exit_codes import OK, PROBLEMS_FOUND, USAGE_ERROR

if TYPE_CHECKING:
    from codegpt.server.repair.fixer import Fixer

HELP = "fix syntax errors in Python files (writes the fixed files in place by default)"

DESCRIPTION = """\
Fix syntax errors in Python files. Each fix is verified: a file is changed only when the whole
file then parses (compile() and tree-sitter agree). Without a model the fixes come from a small
edit search near each error; with the model (the bundled one when present, or --model) the
model ranks them and proposes repairs of its own.

Modes (default: --write):
  --write   write fixed files in place, atomically (temporary file + fsync + rename,
            permissions kept); files that changed meanwhile or are read-only are not written
  --diff    print a unified diff of the fixes, write nothing
  --check   write nothing, exit 1 when a file would change
  --stdout  print the fixed content of one file (or of stdin with '-') to stdout

PATH may be a file, a folder (searched for *.py and *.pyi, skipping what .gitignore ignores,
.git, .venv and __pycache__; symlinks inside folders are not followed) or '-' for stdin. A
symlink given explicitly is followed: its target is fixed and the link stays a link. Files must
be UTF-8."""

EPILOG = """\
exit codes:
  0  nothing to fix, or everything was fixed
  1  a file could not be fixed, or (--check, --diff) a file would change
  2  usage error, or a file could not be read, decoded or written, or changed while fixing"""

PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")
log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one file."""

    label: str
    status: str  # clean, fixed, unfixable, error
    errors_fixed: int = 0
    message: str = ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Modes, model choice and the time budget."""
    parser.description = DESCRIPTION
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or '-' (stdin)")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--write", dest="mode", action="store_const", const="write",
                       help="write fixed files in place (the default)")  # fmt: skip
    modes.add_argument("--diff", dest="mode", action="store_const", const="diff",
                       help="print a unified diff, write nothing")  # fmt: skip
    modes.add_argument("--check", dest="mode", action="store_const", const="check",
                       help="write nothing; exit 1 if a file would change")  # fmt: skip
    modes.add_argument("--stdout", dest="mode", action="store_const", const="stdout",
                       help="print the fixed content of one file to stdout")  # fmt: skip
    models = parser.add_mutually_exclusive_group()
    models.add_argument("--model", metavar="PATH", help="model folder (default: the bundled one)")
    models.add_argument("--no-model", action="store_true", help="edit search only, no model")
    parser.add_argument("--time-budget", type=float, default=10.0, metavar="SECONDS",
                        help="search time per file (default 10)")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    """Fix every file and print a one-line summary on stderr."""
    from codegpt.server.repair.fixer import Fixer, FixerOptions
    from codegpt.server.repair.scoring import (
        ModelUnavailable,
        default_model_path,
        load_model_repairer,
    )

    mode = args.mode or ("stdout" if args.paths == ["-"] else "write")
    if mode == "stdout" and len(args.paths) != 1:
        print("codegpt fix: --stdout takes exactly one file (or '-')", file=sys.stderr)
        return USAGE_ERROR
    if "-" in args.paths and len(args.paths) != 1:
        print("codegpt fix: '-' (stdin) cannot be mixed with other paths", file=sys.stderr)
        return USAGE_ERROR
    if args.time_budget <= 0:
        print("codegpt fix: --time-budget must be positive", file=sys.stderr)
        return USAGE_ERROR
    repairer = None
    if not args.no_model:
        model_dir = Path(args.model) if args.model else default_model_path()
        if model_dir is not None:
            try:
                repairer = load_model_repairer(model_dir)
            except ModelUnavailable as error:
                if args.model:
                    print(f"codegpt fix: cannot load the model: {error}", file=sys.stderr)
                    return USAGE_ERROR
                log.warning("repairing without a model: %s", error)
    fixer = Fixer(FixerOptions(time_budget_s=args.time_budget), repairer, repairer)
    outcomes = [_fix_stdin(fixer, mode)] if args.paths == ["-"] else _fix_paths(fixer, args, mode)
    print(_summary(outcomes, mode), file=sys.stderr)
    statuses = {outcome.status for outcome in outcomes}
    if "error" in statuses:
        return USAGE_ERROR
    if "unfixable" in statuses or (mode in ("check", "diff") and "fixed" in statuses):
        return PROBLEMS_FOUND
    return OK


def _fix_paths(fixer: Fixer, args: argparse.Namespace, mode: str) -> list[Outcome]:
    from codegpt.server.repair.discovery import python_files

    outcomes: list[Outcome] = []
    seen: set[Path] = set()
    for name in args.paths:
        path = Path(name)
        if path.is_dir():
            files = list(python_files(path))
        elif path.exists():
            files = [path]
        else:
            outcomes.append(_error(name, "no such file or folder"))
            continue
        for file in files:
            target = file.resolve()
            if target in seen:
                continue
            seen.add(target)
            outcomes.append(_fix_file(fixer, file, mode, explicit=not path.is_dir()))
    if mode == "stdout" and len(outcomes) != 1:
        return [*outcomes, _error(args.paths[0], "--stdout needs exactly one file")]
    return outcomes


def _error(label: str, message: str) -> Outcome:
    print(f"{label}: error: {message}", file=sys.stderr)
    return Outcome(label, "error", message=message)


def _decode(label: str, data: bytes) -> tuple[str | None, Outcome | None]:
    if b"\0" in data:
        return None, _error(label, "binary file (contains NUL bytes), not Python source")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return None, _error(label, f"not UTF-8 (byte {error.start}); codegpt fix reads UTF-8 only")


def _fix_file(fixer: Fixer, path: Path, mode: str, explicit: bool) -> Outcome:
    from codegpt.server.repair.atomic_write import FileChanged, atomic_replace

    label = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        return _error(label, f"cannot read: {error.strerror or error}")
    text, failure = _decode(label, data)
    if failure is not None or text is None:
        return failure or _error(label, "cannot decode")
    bom = text.startswith("\ufeff")
    body = text[1:] if bom else text
    if explicit and not label.endswith(PYTHON_SUFFIXES) and not _looks_like_python(body):
        return _error(label, "does not look like Python source (not a .py file, mostly errors)")
    outcome, fixed = _repair(fixer, label, body, mode)
    if outcome.status != "fixed":
        if mode == "stdout":
            sys.stdout.write(text)
        return outcome
    new_data = (("\ufeff" if bom else "") + fixed).encode("utf-8")
    if mode == "stdout":
        sys.stdout.write(("\ufeff" if bom else "") + fixed)
    elif mode == "diff":
        sys.stdout.writelines(
            difflib.unified_diff(
                body.splitlines(keepends=True), fixed.splitlines(keepends=True), label, label
            )
        )
    elif mode == "write":
        if _read_only(path):
            return _error(label, "read-only file; the fix was not written")
        try:
            atomic_replace(path, new_data, expected=data)
        except FileChanged:
            return _error(label, "changed on disk while being fixed; not written")
        except OSError as error:
            return _error(label, f"cannot write: {error.strerror or error}; file unchanged")
    return outcome


def _fix_stdin(fixer: Fixer, mode: str) -> Outcome:
    text, failure = _decode("-", sys.stdin.buffer.read())
    if failure is not None or text is None:
        return failure or _error("-", "cannot decode")
    outcome, fixed = _repair(fixer, "-", text, mode)
    if mode in ("stdout", "write"):
        sys.stdout.write(fixed if outcome.status == "fixed" else text)
    elif mode == "diff" and outcome.status == "fixed":
        sys.stdout.writelines(
            difflib.unified_diff(text.splitlines(True), fixed.splitlines(True), "-", "-")
        )
    return outcome


def _repair(fixer: Fixer, label: str, text: str, mode: str) -> tuple[Outcome, str]:
    result = fixer.fix(text)
    if result.parses and not result.changed:
        return Outcome(label, "clean"), text
    if not result.parses:
        where = ""
        if result.remaining:
            first = result.remaining[0]
            where = f"{first.line + 1}:{first.column + 1}: {first.message}: "
        print(f"{label}:{where}could not be fixed ({result.reason})", file=sys.stderr)
        return Outcome(label, "unfixable", message=result.reason or ""), text
    verb = "would fix" if mode in ("check", "diff") else "fixed"
    for fix in result.fixes:
        line, column = fix.position
        print(f"{label}:{line + 1}:{column + 1}: {verb}: {fix.title}", file=sys.stderr)
    return Outcome(label, "fixed", errors_fixed=len(result.fixes)), result.text


def _read_only(path: Path) -> bool:
    """No write permission, or no write bit at all (root may write anyway, but should not)."""
    target = path.resolve()
    writable_bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    return not os.access(target, os.W_OK) or not target.stat().st_mode & writable_bits


def _looks_like_python(text: str) -> bool:
    """For files not named *.py: parses, or errors touch at most a third of its lines."""
    from codegpt.server.repair.verify import check

    status = check(text)
    if status.compiles:
        return True
    lines = [line for line in text.splitlines() if line.strip()]
    error_rows = {
        row for node in status.tree_errors for row in range(node.start_row, node.end_row + 1)
    }
    return bool(lines) and len(error_rows) <= len(lines) / 3


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary(outcomes: list[Outcome], mode: str) -> str:
    fixed = [outcome for outcome in outcomes if outcome.status == "fixed"]
    unfixable = sum(outcome.status == "unfixable" for outcome in outcomes)
    failed = sum(outcome.status == "error" for outcome in outcomes)
    errors = sum(outcome.errors_fixed for outcome in fixed)
    if fixed:
        verb = "Fixed" if mode in ("write", "stdout") else "Would fix"
        head = f"{verb} {_plural(errors, 'error')} in {_plural(len(fixed), 'file')}"
    elif unfixable or failed:
        head = "Nothing fixed"
    else:
        head = f"No syntax errors in {_plural(len(outcomes), 'file')}"
    notes = []
    if unfixable:
        notes.append(f"{_plural(unfixable, 'file')} could not be fixed")
    if failed:
        notes.append(f"{_plural(failed, 'file')} could not be read or written")
    return head + (f" ({'; '.join(notes)})." if notes else ".")
