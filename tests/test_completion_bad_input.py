"""Completion degrades, never crashes: no model, a corrupt model, a document that is not open."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from completion_helpers import completion_model_dir, session_options
from lsp_helpers import SERVER_COMMAND, open_document, start_session
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codegpt.server.context_focus import LARGE_DOCUMENT_CHARS

URI = "file:///work/bad.py"
TEXT = "def total(items):\n    return sum(items)\n\n\nvalue = tot"


def _inline(client: LanguageClient, uri: str = URI):
    return client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(4, len("value = tot")),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
    )


def _corrupt_model(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(b"\x00not an onnx graph" * 10)
    (folder / "config.json").write_text("{not json", encoding="utf-8")
    (folder / "tokenizer.json").write_text("{}", encoding="utf-8")
    return folder


@pytest_lsp.fixture(
    params=["missing", "corrupt"],
    config=ClientServerConfig(server_command=SERVER_COMMAND),
)
async def broken(request, lsp_client: LanguageClient, tmp_path: Path):
    folder = tmp_path / "nowhere" if request.param == "missing" else _corrupt_model(tmp_path / "m")
    await start_session(lsp_client, "visual_studio_code", session_options(folder))
    yield
    await lsp_client.shutdown_session()


async def test_unusable_model_gives_empty_results_and_one_message(
    broken: LanguageClient,
) -> None:
    open_document(broken, URI, TEXT)
    for _ in range(4):  # keystrokes: one message in all, not one each
        result = await _inline(broken)
        assert result is None or not result.items
    listed = await broken.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(4, len("value = tot")),
        )
    )
    assert listed is None or not listed.items
    await asyncio.sleep(0.2)
    errors = [m for m in broken.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "model" in errors[0].message


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return completion_model_dir(tmp_path_factory)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER_COMMAND))
async def working(lsp_client: LanguageClient, model_dir: Path):
    await start_session(lsp_client, "neovim", session_options(model_dir))
    yield
    await lsp_client.shutdown_session()


async def test_unopened_document_and_far_positions(working: LanguageClient) -> None:
    assert await _inline(working, "file:///work/never-opened.py") is None
    open_document(working, URI, TEXT)
    far = await working.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(10_000, 500),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Invoked
            ),
        )
    )
    assert isinstance(far, types.InlineCompletionList)
    for item in far.items:  # clamped to the end of the document
        assert item.range.start == types.Position(4, len("value = tot"))
    # The server is still healthy: a normal request is answered.
    assert isinstance(await _inline(working), types.InlineCompletionList)


def test_cli_complete_prints_json_and_reports_bad_input(model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(TEXT, encoding="utf-8")
    base = [sys.executable, "-m", "codegpt", "complete", str(source), "--model", str(model_dir)]
    done = subprocess.run(
        [*base, "--line", "5", "--col", "12", "--json", "--list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "past the end" not in done.stderr
    payload = json.loads(done.stdout)
    assert payload["line"] == 5 and payload["col"] == 12
    assert payload["mode"] == "single_line"
    assert all(entry["word"].startswith("tot") for entry in payload["list"])
    bad = subprocess.run(
        [*base, "--line", "0", "--col", "1"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode == 2 and "count from 1" in bad.stderr
    lines = len(TEXT.split("\n"))
    far = subprocess.run(
        [*base, "--line", "999", "--col", "1", "--json"], capture_output=True, text=True, timeout=60
    )
    assert far.returncode in (0, 1), far.stderr
    assert f"line 999, column 1 is past the end of the file ({lines} lines" in far.stderr
    assert json.loads(far.stdout)["line"] == lines
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "codegpt",
            "complete",
            str(source),
            "--line",
            "1",
            "--col",
            "1",
            "--model",
            str(tmp_path / "none"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "model folder not found" in missing.stderr


def test_cli_complete_answers_in_a_huge_file(model_dir: Path, tmp_path: Path) -> None:
    """The CLI answers in a file over 1 MB (the region-tree path itself: test_focus_tree.py)."""
    filler = "".join(f"def helper_{i}(x):\n    return x + {i}\n\n\n" for i in range(30_000))
    assert len(filler) > LARGE_DOCUMENT_CHARS
    source = tmp_path / "huge.py"
    source.write_text(filler + TEXT, encoding="utf-8")
    line = filler.count("\n") + 5
    done = subprocess.run(
        [sys.executable, "-m", "codegpt", "complete", str(source), "--model", str(model_dir)]
        + ["--line", str(line), "--col", "12", "--json", "--list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr
    payload = json.loads(done.stdout)
    assert payload["line"] == line and payload["mode"] == "single_line"
    # `total`, defined just above the cursor, is found in the region's tree.
    assert "total" in [entry["word"] for entry in payload["list"]]
