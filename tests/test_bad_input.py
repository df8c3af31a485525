"""Bad input never stops the server: broken JSON-RPC, odd positions, huge files."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from lsp_helpers import (
    SERVER_COMMAND,
    change_document,
    document_state,
    open_document,
    wait_for_diagnostics,
)
from pytest_lsp import LanguageClient


def frame(payload: bytes, length: int | None = None) -> bytes:
    size = len(payload) if length is None else length
    return b"Content-Length: %d\r\n\r\n" % size + payload


def request(msg_id: int, method: str, params: object) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()


def read_responses(stdout: bytes) -> dict[int, dict]:
    responses, rest = {}, stdout
    while rest:
        header, _, rest = rest.partition(b"\r\n\r\n")
        length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
        body, rest = rest[:length], rest[length:]
        message = json.loads(body)
        if "id" in message and "method" not in message:
            responses[message["id"]] = message
    return responses


def test_malformed_messages_are_survived_and_later_requests_answered():
    initialize = request(1, "initialize", {"processId": None, "rootUri": None, "capabilities": {}})
    stream = b"".join(
        [
            frame(initialize),
            frame(b"{this is not json"),
            frame(b'"just a string"'),
            frame(b"[1, 2, 3]"),
            # A notification whose params do not fit is dropped (there is no one to answer).
            frame(b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"x": 5}}'),
            # Params that do not fit: answered with InvalidParams instead of silence.
            frame(request(2, "textDocument/hover", {"x": 1})),
            # Content-Length too short: the body is cut, the rest is garbage until a blank line.
            frame(request(3, "codegpt/unknown", {}), length=10),
            b"\r\n",
            frame(request(4, "codegpt/unknown", {})),
            frame(request(5, "shutdown", None)),
            frame(b'{"jsonrpc": "2.0", "method": "exit"}'),
        ]
    )
    started = time.monotonic()
    result = subprocess.run(
        SERVER_COMMAND, input=stream, capture_output=True, timeout=60, check=False
    )
    assert time.monotonic() - started < 60
    responses = read_responses(result.stdout)
    assert "capabilities" in responses[1]["result"]
    assert responses[2]["error"]["code"] == -32602  # InvalidParams
    assert "textDocument/hover" in responses[2]["error"]["message"]
    assert responses[4]["error"]["code"] == -32601  # MethodNotFound, after the garbage
    assert responses[5]["result"] is None
    assert result.returncode == 0, result.stderr.decode()[-2000:]


async def test_unknown_notification_is_ignored(client: LanguageClient):
    client.protocol.notify("codegpt/noSuchNotification", {"x": 1})
    open_document(client, "file:///still.py", "x = 1\n")
    assert (await document_state(client, "file:///still.py"))["version"] == 1


async def test_positions_past_line_and_document_end_are_clamped(client: LanguageClient):
    uri = "file:///clamp.py"
    open_document(client, uri, "a = 1\nb = 2\n")
    change_document(client, uri, 2, [((0, 500), (0, 900), "  # end of line")])
    change_document(client, uri, 3, [((40, 0), (99, 99), "c = 3\n")])
    change_document(client, uri, 4, [((1, 3), (0, 0), "")])  # reversed range: empty edit
    state = await document_state(client, uri)
    import hashlib

    expected = "a = 1  # end of line\nb = 2\nc = 3\n"
    assert state["sha256"] == hashlib.sha256(expected.encode()).hexdigest()
    assert state["version"] == 4 and state["workspaceAgrees"] is True


async def test_astral_characters_and_lone_surrogates(client: LanguageClient):
    uri = "file:///astral.py"
    open_document(client, uri, "s = '😀😀'\n")
    # Typing after the emoji (column in the negotiated unit) keeps the text exact.
    general = client.capabilities.general if client.capabilities else None
    encoding = (general and general.position_encodings or ["utf-16"])[0]
    after_emojis = {"utf-16": 9, "utf-8": 13, "utf-32": 7}[encoding]
    change_document(client, uri, 2, [((0, after_emojis), (0, after_emojis), "🐍")])
    # A lone surrogate is legal JSON; the server must not fall over on it.
    change_document(client, uri, 3, [((1, 0), (1, 0), "t = '\ud800'\n")])
    state = await document_state(client, uri)
    assert state["version"] == 3 and state["lineCount"] == 3
    assert state["workspaceAgrees"] is True
    diagnostics = await wait_for_diagnostics(client, uri, lambda d: True)
    assert isinstance(diagnostics, list)


async def test_a_50000_line_file_opens_edits_and_gets_diagnostics(request, client: LanguageClient):
    if request.node.callspec.params["client"] == "neovim":
        pytest.skip("size, not editor capabilities, matters here: one client keeps the suite fast")
    uri = "file:///huge.py"
    lines = [f"value_{i} = {i} * 2  # line {i}" for i in range(50_000)]
    open_document(client, uri, "\n".join(lines) + "\n")
    assert await wait_for_diagnostics(client, uri, lambda d: len(d) == 0, timeout=30) == []
    started = time.monotonic()
    change_document(client, uri, 2, [((25_000, 0), (25_000, 0), "(")])
    change_document(client, uri, 3, [((49_999, 0), (49_999, 0), "x = 1\n")])
    (problem,) = await wait_for_diagnostics(client, uri, lambda d: len(d) == 1, timeout=30)
    assert problem.range.start.line == 25_000
    assert time.monotonic() - started < 20
    state = await document_state(client, uri)
    assert state["lineCount"] == 50_002 and state["workspaceAgrees"] is True


def test_stdin_closing_without_exit_ends_the_server():
    result = subprocess.run(SERVER_COMMAND, input=b"", capture_output=True, timeout=60, check=False)
    assert result.returncode == 0
    assert sys.executable  # the same interpreter served
