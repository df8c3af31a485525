"""Ask ``codegpt serve`` what it offers, before a browser is started for nothing.

The end-to-end test skips the steps whose server feature does not exist yet (inline completion,
the ``codegpt.fixFile`` command) and runs them as soon as the server announces them. This speaks
raw JSON-RPC over stdio with the standard library only, so it checks the very command line the
extension will run, in whatever Python has codegpt installed.

Usage: ``python server_capabilities.py -- SERVER_COMMAND...``; prints one JSON object.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from typing import IO, Any

TIMEOUT_S = 30.0


def write_message(stream: IO[bytes], message: dict[str, Any]) -> None:
    """Send one LSP message with its Content-Length header."""
    body = json.dumps(message).encode("utf-8")
    stream.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    stream.flush()


def read_message(stream: IO[bytes]) -> dict[str, Any] | None:
    """Read one LSP message; None at end of stream."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
    if length is None:
        raise ValueError("LSP header without Content-Length")
    return json.loads(stream.read(length))


def initialize_result(command: list[str]) -> dict[str, Any]:
    """Start the server, send initialize, return its result and shut the server down."""
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdin is not None and process.stdout is not None, "pipes were requested"
    # A server that hangs must not hang the test: kill it when the deadline passes.
    timer = threading.Timer(TIMEOUT_S, process.kill)
    timer.start()
    try:
        write_message(
            process.stdin,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "rootUri": None, "capabilities": {}},
            },
        )
        while True:
            message = read_message(process.stdout)
            if message is None:
                raise RuntimeError(f"the server exited before answering initialize: {command}")
            if message.get("id") == 1 and "method" not in message:
                break
        if "error" in message:
            raise RuntimeError(f"initialize failed: {message['error']}")
        write_message(process.stdin, {"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
        write_message(process.stdin, {"jsonrpc": "2.0", "method": "exit"})
        process.stdin.close()
        process.wait(timeout=10)
        return message["result"]
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()


def main(argv: list[str]) -> int:
    """Print which end-to-end steps the server supports."""
    command = argv[1:] if argv[:1] == ["--"] else argv
    if not command:
        print("usage: server_capabilities.py -- SERVER_COMMAND...", file=sys.stderr)
        return 2
    try:
        capabilities = initialize_result(command)["capabilities"]
    except (OSError, RuntimeError, ValueError, KeyError) as error:
        print(f"server_capabilities: {error}", file=sys.stderr)
        return 2
    commands = (capabilities.get("executeCommandProvider") or {}).get("commands") or []
    # boolean | InlineCompletionOptions: an empty options object ({}) also means "offered".
    inline = capabilities.get("inlineCompletionProvider")
    print(json.dumps({"inlineCompletion": inline not in (None, False), "commands": commands}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
