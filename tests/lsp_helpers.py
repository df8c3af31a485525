"""Helpers for LSP tests: start a session as one editor, send edits, wait for diagnostics."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities

SERVER_COMMAND = [sys.executable, "-m", "codegpt", "serve"]
CLIENTS = ["visual_studio_code", "neovim"]
# Short debounce so diagnostics tests do not wait; the default is tested in test_settings.
FAST_OPTIONS = {"codegpt": {"diagnostics": {"debounceMs": 10}}}


async def start_session(
    lsp_client: LanguageClient, client_name: str, options: Any = None
) -> types.InitializeResult:
    """Initialize the server with one editor's capabilities and initialization options."""
    return await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities(client_name),
            initialization_options=FAST_OPTIONS if options is None else options,
        )
    )


def open_document(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    """Send didOpen for a Python document."""
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=version, text=text
            )
        )
    )


def change_document(
    client: LanguageClient,
    uri: str,
    version: int,
    changes: Sequence[tuple[tuple[int, int], tuple[int, int], str] | str],
) -> None:
    """Send didChange: each change is ``((line, col), (line, col), text)`` or a full text."""
    events: list[types.TextDocumentContentChangeEvent] = []
    for change in changes:
        if isinstance(change, str):
            events.append(types.TextDocumentContentChangeWholeDocument(text=change))
        else:
            (l1, c1), (l2, c2), text = change
            events.append(
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(l1, c1), types.Position(l2, c2)), text=text
                )
            )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=events,
        )
    )


async def wait_for_diagnostics(
    client: LanguageClient,
    uri: str,
    accept: Callable[[Sequence[types.Diagnostic]], bool],
    timeout: float = 15.0,
) -> Sequence[types.Diagnostic]:
    """Poll the diagnostics the client received for ``uri`` until ``accept`` likes them."""
    async with asyncio.timeout(timeout):
        while True:
            received = client.diagnostics.get(uri)
            if received is not None and accept(received):
                return list(received)
            await asyncio.sleep(0.02)


async def document_state(client: LanguageClient, uri: str) -> dict[str, Any] | None:
    """The server's view of a document (hash of its text, tree consistency)."""
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="codegpt.documentState", arguments=[uri])
    )
