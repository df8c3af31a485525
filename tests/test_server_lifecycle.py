"""Initialize, capabilities, cancellation, unknown methods and shutdown over real stdio."""

from __future__ import annotations

import asyncio

import pytest
from lsp_helpers import document_state, open_document, start_session
from lsprotocol import types
from pygls.exceptions import JsonRpcMethodNotFound
from pytest_lsp import LanguageClient


async def test_initialize_advertises_incremental_sync(request, fresh_client: LanguageClient):
    client_name = request.node.callspec.params["fresh_client"]
    result = await start_session(fresh_client, client_name)

    assert result.server_info is not None and result.server_info.name == "codegpt"
    sync = result.capabilities.text_document_sync
    assert isinstance(sync, types.TextDocumentSyncOptions)
    assert sync.open_close is True
    assert sync.change == types.TextDocumentSyncKind.Incremental
    # Neovim prefers UTF-8 columns and pygls honours that; VS Code gets the UTF-16 default.
    expected = "utf-8" if client_name == "neovim" else "utf-16"
    assert result.capabilities.position_encoding == expected
    assert "codegpt.documentState" in result.capabilities.execute_command_provider.commands


async def test_unknown_method_is_method_not_found_and_server_keeps_answering(
    client: LanguageClient,
):
    with pytest.raises(JsonRpcMethodNotFound):
        await client.protocol.send_request_async("codegpt/noSuchMethod", {})
    open_document(client, "file:///after.py", "x = 1\n")
    state = await document_state(client, "file:///after.py")
    assert state is not None and state["lineCount"] == 2


async def test_cancel_of_unknown_and_finished_requests_is_harmless(client: LanguageClient):
    open_document(client, "file:///c.py", "a = 1\n")
    future = client.protocol.send_request(
        types.WORKSPACE_EXECUTE_COMMAND,
        types.ExecuteCommandParams(command="codegpt.documentState", arguments=["file:///c.py"]),
        msg_id="cancel-me",
    )
    # Cancel both the request just sent (it may already be answered) and an id never used.
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="cancel-me"))
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=123456789))
    try:
        answer = await asyncio.wait_for(asyncio.wrap_future(future), 10)
        assert answer["version"] == 1
    except Exception as error:  # a cancelled request is answered with RequestCancelled
        assert "cancel" in str(error).lower()
    state = await document_state(client, "file:///c.py")
    assert state is not None and state["version"] == 1


async def test_shutdown_then_exit_ends_the_process_with_status_zero(
    request, fresh_client: LanguageClient
):
    await start_session(fresh_client, request.node.callspec.params["fresh_client"])
    await fresh_client.shutdown_session()
    assert fresh_client._server is not None
    assert fresh_client._server.returncode == 0
