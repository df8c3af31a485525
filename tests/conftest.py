"""Shared pytest-lsp fixtures: the real server over stdio, as VS Code and as Neovim."""

from __future__ import annotations

import pytest_lsp
from lsp_helpers import CLIENTS, SERVER_COMMAND, start_session
from pytest_lsp import ClientServerConfig, LanguageClient


@pytest_lsp.fixture(params=CLIENTS, config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(request, lsp_client: LanguageClient):
    """An initialized session; shut down cleanly afterwards."""
    await start_session(lsp_client, request.param)
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(params=CLIENTS, config=ClientServerConfig(server_command=SERVER_COMMAND))
async def fresh_client(request, lsp_client: LanguageClient):
    """A started server that the test initializes itself (``request.param`` names the editor)."""
    yield
    if lsp_client._server is None or lsp_client._server.returncode is None:
        await lsp_client.shutdown_session()
