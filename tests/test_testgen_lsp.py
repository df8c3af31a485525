"""Test generation over LSP: the code action, the command's edit, progress and cancellation.

The real server runs over stdio as VS Code and as Neovim; the client applies
``workspace/applyEdit`` to the files on disk (as an editor would, then saved), and the resulting
test file is run with pytest.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Union

import pytest
from lsp_helpers import open_document
from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path
from pytest_lsp import LanguageClient

GENERATE = "codegpt.generateTests"
MODULE = '''"""Small helpers."""


def clamp(x: int, lo: int, hi: int) -> int:
    """Limit x to [lo, hi]."""
    if lo > hi:
        raise ValueError("empty range")
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


LIMIT = 3


def slow(n: int) -> int:
    import time

    time.sleep(0.4)
    return n + 1
'''
EXISTING_TESTS = (
    "from mymod import clamp\n\n\ndef test_clamp_by_hand():\n    assert clamp(5, 0, 3) == 3\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    (tmp_path / "mymod.py").write_text(MODULE, encoding="utf-8")
    return tmp_path


def _apply_text_edits(text: str, edits) -> str:
    """Apply LSP text edits (ASCII files here, so columns are characters) from the end up."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def offset(position: types.Position) -> int:
        return min(offsets[min(position.line, len(lines) - 1)] + position.character, len(text))

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


@pytest.fixture
def edits(client: LanguageClient) -> list[types.WorkspaceEdit]:
    """Make the client apply workspace edits to disk, like an editor that then saves."""
    received: list[types.WorkspaceEdit] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        received.append(params.edit)
        changes = []
        for change in params.edit.document_changes or []:
            if isinstance(change, types.CreateFile):
                path = Path(to_fs_path(change.uri))
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists():
                    path.write_text("", encoding="utf-8")
            elif isinstance(change, types.TextDocumentEdit):
                changes.append((change.text_document.uri, change.edits))
        changes += list((params.edit.changes or {}).items())
        for uri, text_edits in changes:
            path = Path(to_fs_path(uri))
            path.write_text(
                _apply_text_edits(path.read_text(encoding="utf-8"), text_edits), encoding="utf-8"
            )
        return types.ApplyWorkspaceEditResult(applied=True)

    return received


def _run_pytest(project: Path, test_file: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _decode_code_actions_correctly(client: LanguageClient) -> None:
    """Work around lsprotocol's client-side decoding of code actions.

    Its hook turns every item that has a ``command`` key into a ``Command``, so a ``CodeAction``
    carrying a command arrives mangled; a ``Command``'s ``command`` is a string, a
    ``CodeAction``'s is an object, and that is what decides here.
    """
    converter = client.protocol._converter

    def hook(item: Any, _: type) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(item.get("command"), str) else types.CodeAction
        return converter.structure(item, kind)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], hook)  # noqa: UP007


async def _code_actions(client: LanguageClient, uri: str, line: int, character: int):
    _decode_code_actions_correctly(client)
    position = types.Position(line, character)
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(position, position),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )


async def _generate(client: LanguageClient, *arguments):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=GENERATE, arguments=list(arguments))
    )


async def test_code_action_is_offered_on_and_inside_a_def_only(client, project):
    uri = from_fs_path(str(project / "mymod.py"))
    open_document(client, uri, MODULE)
    for line, character in ((3, 4), (9, 15)):  # on "def clamp", inside its body
        actions = await _code_actions(client, uri, line, character)
        assert [a.title for a in actions] == ["codegpt: generate tests for clamp"]
        command = actions[0].command
        assert command.command == GENERATE
        assert list(command.arguments) == [uri, {"line": line, "character": character}]
        assert actions[0].kind.startswith("source")
    assert not await _code_actions(client, uri, 14, 0)  # LIMIT = 3: no function


async def test_command_creates_a_test_file_whose_tests_pass(client, project, edits):
    uri = from_fs_path(str(project / "mymod.py"))
    open_document(client, uri, MODULE)
    summary = await _generate(client, uri, {"line": 5, "character": 8})
    test_file = project / "tests" / "test_mymod.py"
    assert summary["path"] == str(test_file) and summary["created"] is True
    assert summary["tests"] >= 3 and summary["lineCoverage"] == 1.0
    assert summary["branchCoverage"] == 1.0
    text = test_file.read_text(encoding="utf-8")
    assert "pytest.raises(ValueError" in text and text.count("def test_clamp") == summary["tests"]
    run = _run_pytest(project, test_file)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{summary['tests']} passed" in run.stdout
    # Through the editor when it can create files (VS Code); written directly otherwise.
    supports_create = bool(client.capabilities.workspace.workspace_edit.document_changes)
    assert bool(edits) == supports_create
    if supports_create:
        assert isinstance(edits[0].document_changes[0], types.CreateFile)
    reports = [r for token, r in client.progress_reports.items() if "codegpt-tests" in token]
    assert len(reports) == 1
    kinds = [type(r).__name__ for r in reports[0]]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    assert "WorkDoneProgressReport" in kinds and reports[0][0].cancellable


async def test_command_extends_an_open_test_file_without_losing_a_line(client, project, edits):
    test_file = project / "tests" / "test_mymod.py"
    test_file.parent.mkdir()
    test_file.write_text(EXISTING_TESTS, encoding="utf-8")
    open_document(client, from_fs_path(str(test_file)), EXISTING_TESTS)
    summary = await _generate(client, from_fs_path(str(project / "mymod.py")), "clamp")
    assert summary["created"] is False and summary["tests"] >= 3
    assert len(edits) == 1
    text = test_file.read_text(encoding="utf-8")
    kept = iter(text.splitlines())
    assert all(line in kept for line in EXISTING_TESTS.splitlines()), "an existing line was lost"
    # The sys.path insert goes before the file's own import of the module, so that works too.
    assert text.index("sys.path.insert(") < text.index("from mymod import clamp\n")
    run = _run_pytest(project, test_file)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{summary['tests'] + 1} passed" in run.stdout


async def test_bad_arguments_and_unknown_functions_get_a_clear_message(client, project):
    uri = from_fs_path(str(project / "mymod.py"))
    assert await _generate(client, uri, "no_such_function") is None
    assert await _generate(client, uri, {"line": 14, "character": 0}) is None
    messages = [m.message for m in client.messages if "cannot generate tests" in m.message]
    assert len(messages) == 2
    assert "no function 'no_such_function'" in messages[0]
    assert "no function definition at line 15" in messages[1]
    assert not (project / "tests").exists()


async def _wait_for_progress_begin(client: LanguageClient) -> str:
    async with asyncio.timeout(30):
        while True:
            for token, reports in client.progress_reports.items():
                if "codegpt-tests" in token and reports:
                    return token
            await asyncio.sleep(0.05)


async def test_server_answers_while_generating_and_progress_cancel_stops_it(client, project, edits):
    uri = from_fs_path(str(project / "mymod.py"))
    open_document(client, uri, MODULE)
    started = time.monotonic()
    task = asyncio.ensure_future(_generate(client, uri, "slow"))  # ~0.4 s a call
    token = await _wait_for_progress_begin(client)
    asked = time.monotonic()
    actions = await _code_actions(client, uri, 3, 4)
    assert actions and time.monotonic() - asked < 2.0, "the server blocked while generating"
    assert not task.done()
    client.protocol.notify(
        types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token)
    )
    async with asyncio.timeout(15):
        assert await task is None
    assert time.monotonic() - started < 20  # dozens of 0.4 s calls would take far longer
    assert type(client.progress_reports[token][-1]).__name__ == "WorkDoneProgressEnd"
    assert not edits and not (project / "tests").exists()


async def test_cancel_request_stops_generation_and_the_server_goes_on(client, project, edits):
    uri = from_fs_path(str(project / "mymod.py"))
    open_document(client, uri, MODULE)
    request_id = "generate-slow"
    future = client.protocol.send_request(
        types.WORKSPACE_EXECUTE_COMMAND,
        types.ExecuteCommandParams(command=GENERATE, arguments=[uri, "slow"]),
        msg_id=request_id,
    )
    token = await _wait_for_progress_begin(client)
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=request_id))
    with pytest.raises(Exception, match="cancel"):
        async with asyncio.timeout(15):
            await asyncio.wrap_future(future)
    async with asyncio.timeout(15):  # the worker noticed and ended its progress
        while type(client.progress_reports[token][-1]).__name__ != "WorkDoneProgressEnd":
            await asyncio.sleep(0.05)
    assert not edits and not (project / "tests").exists()
    summary = await _generate(client, uri, "clamp")  # the server is still usable
    assert summary["tests"] >= 3
