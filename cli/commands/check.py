"""``codegpt check PATH...``: print syntax problems the way the editor shows them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from codegpt.exit_codes import OK, PROBLEMS_FOUND, USAGE_ERROR

HELP = "report syntax errors in Python files (path:line:col: message)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Files to check."""
    parser.add_argument("paths", metavar="PATH", nargs="+", type=Path, help="Python files")


def run(args: argparse.Namespace) -> int:
    """Check every file; exit 1 if any has problems, 2 if any cannot be read."""
    from codegpt.server.diagnostics import syntax_problems

    status = OK
    for path in args.paths:
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as error:
            print(f"codegpt check: cannot read {path}: {error.strerror or error}", file=sys.stderr)
            status = USAGE_ERROR
            continue
        except UnicodeDecodeError as error:
            print(
                f"codegpt check: {path} is not UTF-8 text "
                f"(invalid byte 0x{error.object[error.start]:02x} at offset {error.start})",
                file=sys.stderr,
            )
            status = USAGE_ERROR
            continue
        problems = syntax_problems(text)
        for problem in problems:
            print(f"{path}:{problem.start.line + 1}:{problem.start.column + 1}: {problem.message}")
        if problems and status == OK:
            status = PROBLEMS_FOUND
    return status
