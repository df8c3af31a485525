"""``codegpt serve``: run the language server over stdio (default) or TCP."""

from __future__ import annotations

import argparse
import sys

from codegpt.exit_codes import OK, USAGE_ERROR

HELP = "run the language server (stdio by default)"


def parse_host_port(value: str) -> tuple[str, int]:
    """Split ``HOST:PORT``; argparse turns the ValueError into a usage error."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host, int(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Transport options."""
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument(
        "--stdio",
        action="store_true",
        help="talk LSP over stdin/stdout (the default; accepted because clients such as "
        "vscode-languageclient pass it)",
    )
    transport.add_argument(
        "--tcp",
        metavar="HOST:PORT",
        type=parse_host_port,
        help="listen on TCP instead of stdio (for debugging clients)",
    )
    parser.add_argument(
        "--model", metavar="PATH", help="model folder to use instead of the bundled default"
    )


def run(args: argparse.Namespace) -> int:
    """Start the server and block until the client says exit."""
    from codegpt.server.server import create_server

    server = create_server(model_path=args.model)
    if args.tcp is not None:
        host, port = args.tcp
        try:
            server.start_tcp(host, port)
        except OSError as error:
            print(f"codegpt serve: cannot listen on {host}:{port}: {error}", file=sys.stderr)
            return USAGE_ERROR
    else:
        server.start_io()
    return OK
