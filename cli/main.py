"""The ``codegpt`` command: one argparse parser, one module per subcommand.

Subcommand modules are imported lazily by name so that ``codegpt serve`` never pays for (or
depends on) the training stack, and a later feature only adds a module to ``SUBCOMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence

from codegpt import __version__
from codegpt.exit_codes import BROKEN_PIPE, USAGE_ERROR

# name -> module under codegpt.commands exposing HELP, add_arguments(parser) and run(args) -> int
SUBCOMMANDS: dict[str, str] = {
    "serve": "serve",
    "fix": "fix",
    "tests": "tests",
    "check": "check",
    "doctor": "doctor",
    "corpus": "corpus",
    "train": "train",
    "export": "export",
    "eval": "eval",
    "complete": "complete",
}


def configure_logging(verbosity: int) -> None:
    """Send logs to stderr: stdout carries LSP traffic when serving over stdio."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )


def unavailable(name: str, error: ImportError) -> Callable[[argparse.Namespace], int]:
    """A stand-in ``run`` for a subcommand whose module cannot be imported."""

    def run(args: argparse.Namespace) -> int:
        print(f"codegpt {name}: unavailable: {error}", file=sys.stderr)
        return USAGE_ERROR

    return run


def build_parser() -> argparse.ArgumentParser:
    """The full parser; each subcommand module adds its own arguments."""

    def verbosity_parent(default: object) -> argparse.ArgumentParser:
        # The subcommand's copy must not reset a -v given before the subcommand name.
        parent = argparse.ArgumentParser(add_help=False)
        parent.add_argument(
            "-v", "--verbose", action="count", default=default, help="more logging on stderr"
        )
        return parent

    parser = argparse.ArgumentParser(
        prog="codegpt",
        description="An AI code assistant for Python: completion, repair and test generation.",
        epilog="Exit codes: 0 ok, 1 problems found, 2 usage or environment error, "
        "141 stdout closed early (| head).",
        parents=[verbosity_parent(0)],
    )
    parser.add_argument("--version", action="version", version=f"codegpt {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(f"codegpt.commands.{module_name}")
        except ImportError as error:
            # One broken subcommand must not take `codegpt serve` down with it.
            subparsers.add_parser(name, help=f"(unavailable: {error})").set_defaults(
                run=unavailable(name, error)
            )
            continue
        sub = subparsers.add_parser(
            name,
            help=module.HELP,
            description=module.HELP,
            parents=[verbosity_parent(argparse.SUPPRESS)],
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, configure logging and run one subcommand; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    if args.command is None:
        parser.print_help(sys.stderr)
        return USAGE_ERROR
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("codegpt: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `codegpt check src/ | head`: stop quietly. Later writes (the exit-time flush included)
        # go to /dev/null, or Python would print a second error while shutting down.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE
