"""The server loads and warms up its model once initialized, before any request needs it."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from completion_helpers import completion_model_dir, session_options
from lsp_helpers import SERVER_COMMAND, start_session
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return completion_model_dir(tmp_path_factory)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def client(lsp_client: LanguageClient):
    yield
    await lsp_client.shutdown_session()


def _record_status(client: LanguageClient) -> list:
    received: list = []

    @client.feature("codegpt/status")
    def status(params) -> None:
        received.append(params)

    return received


async def _wait_for(received: list, accept: Callable[[object], bool]) -> None:
    async with asyncio.timeout(30):
        while not any(accept(params) for params in received):
            await asyncio.sleep(0.02)


async def test_the_model_is_ready_before_the_first_request(
    client: LanguageClient, model_dir: Path
) -> None:
    received = _record_status(client)
    await start_session(client, "visual_studio_code", session_options(model_dir))
    await _wait_for(received, lambda params: True)
    assert received[0].model == model_dir.name
    assert received[0].latencyMs is None  # loaded ahead: no request has run yet


async def test_a_new_model_path_loads_at_once(
    client: LanguageClient, model_dir: Path, tmp_path: Path
) -> None:
    received = _record_status(client)
    await start_session(client, "neovim", session_options(model_dir))
    await _wait_for(received, lambda params: params.model == model_dir.name)
    other = tmp_path / "other"
    shutil.copytree(model_dir, other)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codegpt": {"model": {"path": str(other)}}})
    )
    await _wait_for(received, lambda params: params.model == "other")


async def test_nothing_loads_ahead_with_completion_off(
    client: LanguageClient, model_dir: Path
) -> None:
    received = _record_status(client)
    await start_session(client, "neovim", session_options(model_dir, enable=False))
    await asyncio.sleep(1.5)  # the shipped model loads and warms up in ~0.3 s
    assert received == []


async def test_a_missing_model_is_reported_at_start(client: LanguageClient, tmp_path: Path) -> None:
    await start_session(client, "visual_studio_code", session_options(tmp_path / "absent"))
    async with asyncio.timeout(15):
        while not client.messages:
            await asyncio.sleep(0.02)
    (message,) = client.messages
    assert message.type == types.MessageType.Error
    assert "absent" in message.message
