"""Test generation in the editor: a code action on a ``def`` and ``codegpt.generateTests``.

The command runs the (slow, sandboxed) pipeline in a worker thread so the server keeps answering,
reports ``$/progress`` when the client supports it, stops when the user cancels either the progress
or the request, and adds the tests through ``workspace/applyEdit`` so the editor owns the change
(undo, unsaved buffers). Tests are generated for the file as saved on disk: the generated tests
import that file, so testing unsaved text would give tests that fail once run.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from codegpt.server.positions import encode, index_from_units, units

# A runtime import (not TYPE_CHECKING): pygls resolves command annotations with get_type_hints.
from codegpt.server.server import CodegptServer
from codegpt.server.testgen.analysis import AnalysisError, FunctionTarget, analyze_source
from codegpt.server.testgen.emit import ExistingFileError, FileEdit
from codegpt.server.testgen.generate import TestGenOptions, TestGenResult, generate_tests
from codegpt.server.testgen.sandbox import Cancelled

log = logging.getLogger(__name__)

GENERATE_TESTS = "codegpt.generateTests"
ACTION_KIND = types.CodeActionKind.Source
T = TypeVar("T")


class TestGenFailure(Exception):
    """An expected failure whose message is a sentence for the user."""

    __test__ = False  # not a pytest test class, despite the name


@dataclass
class _Run:
    """One running generation: its cancel flag and the progress token (None: no progress UI)."""

    cancel: threading.Event
    token: str | None = None


def _path_of(uri: str) -> Path:
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if not path:
        raise TestGenFailure(f"codegpt can only generate tests for files on disk, not {uri}")
    return Path(path)


def _text_of(ls: CodegptServer, uri: str, path: Path) -> str:
    """The editor's copy when the document is open, else the file on disk."""
    document = ls.documents.get(uri)
    if document is not None:
        return document.text
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TestGenFailure(f"cannot read {path}: {error}") from error


def function_at(text: str, line: int, character: int, encoding: str) -> FunctionTarget | None:
    """The function whose definition contains the LSP position (None outside any ``def``)."""
    lines = text.splitlines()
    if not 0 <= line < max(1, len(lines)):
        return None
    line_text = lines[line] if lines else ""
    column = len(encode(line_text[: index_from_units(line_text, character, encoding)]))  # type: ignore[arg-type]
    try:
        analysis = analyze_source(text)
    except AnalysisError:
        return None
    return analysis.at_position(line, column)


# --- code action ---------------------------------------------------------------------------------


def code_action(ls: CodegptServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    """Offer ``codegpt: generate tests for NAME`` when the cursor is on or inside a ``def``."""
    only = params.context.only
    if only and not any(ACTION_KIND.startswith(kind) or kind == ACTION_KIND for kind in only):
        return None
    document = ls.documents.get(params.text_document.uri)
    if document is None or not params.text_document.uri.startswith("file:"):
        return None
    start = params.range.start
    target = function_at(document.text, start.line, start.character, ls.position_encoding)
    if target is None:
        return None
    title = f"codegpt: generate tests for {target.qualname}"
    return [
        types.CodeAction(
            title=title,
            kind=ACTION_KIND,
            command=types.Command(
                title=title,
                command=GENERATE_TESTS,
                arguments=[
                    params.text_document.uri,
                    {"line": start.line, "character": start.character},
                ],
            ),
        )
    ]


# --- the command ---------------------------------------------------------------------------------


def _resolve_function(ls: CodegptServer, uri: str, path: Path, where: Any) -> str:
    if isinstance(where, str) and where:
        return where
    if isinstance(where, dict) and isinstance(where.get("line"), int):
        text = _text_of(ls, uri, path)
        target = function_at(
            text, where["line"], int(where.get("character", 0)), ls.position_encoding
        )
        if target is None:
            raise TestGenFailure(
                f"no function definition at line {where['line'] + 1} of {path.name}: "
                "put the cursor on a def"
            )
        return target.qualname
    raise TestGenFailure(
        f"{GENERATE_TESTS} expects [uri, {{line, character}}] or [uri, function name]"
    )


async def _start_progress(ls: CodegptServer, run: _Run, title: str) -> None:
    window = ls.client_capabilities.window
    if window is None or not window.work_done_progress:
        return
    token = f"codegpt-tests-{uuid.uuid4()}"
    try:
        await ls.work_done_progress.create_async(token)
    except Exception:  # a client that refuses progress still gets its tests
        log.info("window/workDoneProgress/create refused; no progress shown", exc_info=True)
        return
    run.token = token
    # pygls cancels this future on window/workDoneProgress/cancel for the token.
    ls.work_done_progress.tokens[token].add_done_callback(lambda _f: run.cancel.set())
    ls.work_done_progress.begin(
        token,
        types.WorkDoneProgressBegin(
            title=title, cancellable=True, message="analysing", percentage=0
        ),
    )


def _end_progress(ls: CodegptServer, run: _Run, message: str) -> None:
    if run.token is None:
        return
    ls.work_done_progress.end(run.token, types.WorkDoneProgressEnd(message=message))
    ls.work_done_progress.tokens.pop(run.token, None)


def _watch_request_cancel(ls: CodegptServer, run: _Run) -> None:
    """Set the cancel flag on ``$/cancelRequest`` of this executeCommand request.

    pygls runs a command as a sub-task of the executeCommand request and cancels only the
    request's own future, so the command would otherwise keep running to the end.
    """
    protocol = ls.protocol
    request: Future | None = protocol._request_futures.get(protocol.msg_id)  # noqa: SLF001
    if request is not None:
        request.add_done_callback(lambda f: run.cancel.set() if f.cancelled() else None)


def _model_sources(
    ls: CodegptServer, run: _Run, loop: asyncio.AbstractEventLoop, model: Any
) -> tuple:
    """The model's proposals, sampled on the shared inference thread; () without a model."""
    if model is None:
        return ()
    from codegpt.server.model_service import server_model_service
    from codegpt.server.testgen.model_proposals import ModelProposalSource

    service = server_model_service(ls)

    def on_inference_thread(function: Callable[[], T]) -> T:
        return asyncio.run_coroutine_threadsafe(service.run(function), loop).result()

    return (ModelProposalSource(model, cancel=run.cancel, runner=on_inference_thread),)


async def _shared_model(ls: CodegptServer) -> Any:
    try:
        from codegpt.server.model_service import server_model_service

        return await server_model_service(ls).model()
    except Exception:  # test generation works without the model, on built-in proposals
        log.warning("no model for test generation", exc_info=True)
        return None


async def generate_tests_command(
    ls: CodegptServer, uri: str, where: Any = None
) -> dict[str, Any] | None:
    """``codegpt.generateTests [uri, {line, character} | name]``: generate, apply, summarise."""
    run = _Run(threading.Event())
    _watch_request_cancel(ls, run)
    try:
        path = _path_of(uri)
        function = _resolve_function(ls, uri, path, where)
        await _start_progress(ls, run, f"codegpt: generating tests for {function}")
        loop = asyncio.get_running_loop()
        model = await _shared_model(ls)
        options = TestGenOptions(proposal_sources=_model_sources(ls, run, loop, model))

        def progress(message: str, fraction: float) -> None:
            if run.token is not None:
                report = types.WorkDoneProgressReport(
                    message=message, percentage=int(100 * fraction), cancellable=True
                )
                loop.call_soon_threadsafe(ls.work_done_progress.report, run.token, report)

        try:
            result = await loop.run_in_executor(
                None, generate_tests, path, function, options, progress, run.cancel
            )
        except asyncio.CancelledError:
            run.cancel.set()  # the worker stops at its next check
            raise
        if run.cancel.is_set():
            raise Cancelled("cancelled")
        summary = await _apply(ls, result)
        _warn_if_unsaved(ls, uri, path)
        _end_progress(ls, run, f"{summary['tests']} tests added to {Path(summary['path']).name}")
        return summary
    except Cancelled:
        _end_progress(ls, run, "cancelled")
        log.info("test generation cancelled")
        return None
    except (TestGenFailure, AnalysisError, ExistingFileError) as error:
        _end_progress(ls, run, "failed")
        _show(ls, types.MessageType.Error, f"codegpt: cannot generate tests: {error}")
        return None
    except asyncio.CancelledError:
        _end_progress(ls, run, "cancelled")
        raise


def _show(ls: CodegptServer, kind: types.MessageType, message: str) -> None:
    log.warning("%s", message)
    ls.window_show_message(types.ShowMessageParams(type=kind, message=message))


def _warn_if_unsaved(ls: CodegptServer, uri: str, path: Path) -> None:
    document = ls.documents.get(uri)
    try:
        saved = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    if document is not None and document.text != saved:
        _show(
            ls,
            types.MessageType.Warning,
            f"codegpt: {path.name} has unsaved changes; the tests are for the saved file",
        )


# --- the edit ------------------------------------------------------------------------------------


async def _apply(ls: CodegptServer, result: TestGenResult) -> dict[str, Any]:
    """Create or extend the test file through workspace/applyEdit; the summary to return."""
    if not result.cases:
        reasons = "; ".join(f"{f.qualname}: {f.skipped}" for f in result.functions if f.skipped)
        raise TestGenFailure(f"no test passed verification ({reasons or 'no usable call'})")
    test_path = result.test_path
    test_uri = from_fs_path(str(test_path)) or test_path.as_uri()
    document = ls.documents.get(test_uri)
    if document is not None:
        existing: str | None = document.text
        version: int | None = document.version
    elif test_path.exists():
        try:
            existing, version = test_path.read_text(encoding="utf-8"), None
        except (OSError, UnicodeDecodeError) as error:
            raise TestGenFailure(f"cannot read {test_path}: {error}") from error
    else:
        existing, version = None, None
    edit = result.edit_for(existing)
    workspace_edit = _workspace_edit(ls, test_uri, existing, version, edit)
    if workspace_edit is None:
        # The client cannot create files through an edit: write the new file ourselves.
        test_path.parent.mkdir(parents=True, exist_ok=True)
        test_path.write_text(edit.text, encoding="utf-8")
    else:
        answer = await ls.workspace_apply_edit_async(
            types.ApplyWorkspaceEditParams(
                edit=workspace_edit, label=f"codegpt: tests in {test_path.name}"
            )
        )
        if not answer.applied:
            raise TestGenFailure(
                f"the editor did not apply the edit to {test_path}"
                + (f" ({answer.failure_reason})" if answer.failure_reason else "")
            )
    return {
        "path": str(test_path),
        "uri": test_uri,
        "tests": len(edit.added),
        "created": existing is None,
        "lineCoverage": result.line_coverage,
        "branchCoverage": result.branch_coverage,
    }


def _supports_create(ls: CodegptServer) -> bool:
    workspace = ls.client_capabilities.workspace
    edit = workspace.workspace_edit if workspace else None
    operations = (edit.resource_operations or []) if edit else []
    return bool(edit and edit.document_changes) and types.ResourceOperationKind.Create in operations


def _end_of(text: str, encoding: str) -> types.Position:
    lines = text.split("\n")
    return types.Position(len(lines) - 1, units(lines[-1], encoding))  # type: ignore[arg-type]


def _workspace_edit(
    ls: CodegptServer, uri: str, existing: str | None, version: int | None, edit: FileEdit
) -> types.WorkspaceEdit | None:
    if existing is None:
        if not _supports_create(ls):
            return None
        insert = types.TextEdit(types.Range(types.Position(0, 0), types.Position(0, 0)), edit.text)
        return types.WorkspaceEdit(
            document_changes=[
                types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)),
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=None
                    ),
                    edits=[insert],
                ),
            ]
        )
    line_count = len(existing.splitlines(keepends=True))
    edits = []
    for insertion in edit.insertions:
        if insertion.line >= line_count:
            position = _end_of(existing, ls.position_encoding)
        else:
            position = types.Position(insertion.line, 0)
        edits.append(types.TextEdit(types.Range(position, position), insertion.text))
    workspace = ls.client_capabilities.workspace
    if workspace and workspace.workspace_edit and workspace.workspace_edit.document_changes:
        return types.WorkspaceEdit(
            document_changes=[
                types.TextDocumentEdit(
                    text_document=types.OptionalVersionedTextDocumentIdentifier(
                        uri=uri, version=version
                    ),
                    edits=edits,
                )
            ]
        )
    return types.WorkspaceEdit(changes={uri: edits})


def register(server: CodegptServer) -> None:
    """Register the code action (through the shared code action handler) and the command."""
    from codegpt.server.code_actions import add_code_action_provider

    add_code_action_provider(
        server, "testgen", [ACTION_KIND], lambda params: code_action(server, params)
    )
    server.command(GENERATE_TESTS)(generate_tests_command)
