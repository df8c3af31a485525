"""Repair over LSP: quick fixes, the fix-all source action and ``codegpt.fixFile``.

The real server runs over stdio as VS Code (UTF-16 columns, versioned ``documentChanges``) and
as Neovim (UTF-8 columns, plain ``changes``). The test plays the editor: it keeps the text,
applies the server's edits itself (converting columns independently of the server's code),
sends the change back, and checks that the result compiles.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from completion_helpers import completion_model_dir
from lsp_helpers import (
    CLIENTS,
    SERVER_COMMAND,
    change_document,
    document_state,
    open_document,
    start_session,
    wait_for_diagnostics,
)
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codegpt.server.code_actions import kind_matches

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIX_FILE = "codegpt.fixFile"
FIX_ALL = "source.fixAll.codegpt"
BROKEN = "def add(a, b)\n    return a + b\n"
# Three independent errors: each quick fix alone leaves the file broken.
MULTI = "def f(x)\n    return x\n\nclass A\n    pass\n\nif x = 1:\n    pass\n"
# The emoji takes 1 code point, 2 UTF-16 units and 4 UTF-8 bytes before the missing ':'.
EMOJI = "if name == '😀'\n    pass\n"
CLEAN = "def add(a, b):\n    return a + b\n"
# The count depends on the fixer's path (the shipped model may take another); one per error here.
FIX_ALL_TITLE = re.compile(r"codegpt: fix all syntax errors \([3-9] fixes\)")


class Editor:
    """The client's side of the documents: text and version, changed only through edits."""

    def __init__(self, client: LanguageClient, encoding: str) -> None:
        self.client = client
        self.encoding = encoding
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}
        self.applied: dict[str, list[types.WorkspaceEdit]] = {}

    def messages(self, needle: str) -> list[types.ShowMessageParams]:
        """``window/showMessage`` received so far that contain ``needle``."""
        return [m for m in self.client.messages if needle in m.message]

    def open(self, uri: str, text: str) -> None:
        self.texts[uri], self.versions[uri] = text, 1
        open_document(self.client, uri, text, version=1)

    def apply(self, edit: types.WorkspaceEdit) -> bool:
        """Apply a workspace edit as an editor does; False if it targets another version."""
        per_uri: list[tuple[str, Sequence[types.TextEdit]]] = []
        for change in edit.document_changes or []:
            assert isinstance(change, types.TextDocumentEdit), f"unexpected change {change}"
            document = change.text_document
            if document.version is not None and document.version != self.versions[document.uri]:
                return False
            per_uri.append((document.uri, change.edits))
        per_uri.extend((edit.changes or {}).items())
        for uri, edits in per_uri:
            text = apply_lsp_edits(self.texts[uri], edits, self.encoding)
            self.texts[uri] = text
            self.versions[uri] += 1
            change_document(self.client, uri, self.versions[uri], [text])
            self.applied.setdefault(uri, []).append(edit)
        return True


def _index(line: str, character: int, encoding: str) -> int:
    """Code points of ``line`` before an LSP column, by encoding the line (no server code)."""
    codec, width = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}[
        encoding
    ]
    prefix = line.encode(codec)[: character * width]
    decoded = prefix.decode(codec)  # strict: a column inside a character is a server bug
    return len(decoded)


def apply_lsp_edits(text: str, edits: Sequence[types.TextEdit], encoding: str) -> str:
    """Apply LSP text edits given against ``text`` (non-overlapping), from the end up."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(position: types.Position) -> int:
        return starts[position.line] + _index(lines[position.line], position.character, encoding)

    ordered = sorted(edits, key=lambda e: offset(e.range.start), reverse=True)
    for edit in ordered:
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


def compiles(text: str) -> bool:
    try:
        compile(text, "<test>", "exec", dont_inherit=True)
    except SyntaxError:
        return False
    return True


@pytest_lsp.fixture(
    params=CLIENTS, scope="module", config=ClientServerConfig(server_command=SERVER_COMMAND)
)
async def session(request, lsp_client: LanguageClient):
    """One server per editor for the module (a start costs seconds); tests use their own uris."""
    lsp_client.initialize_result = await start_session(lsp_client, request.param)
    lsp_client.editor_name = request.param
    yield
    await lsp_client.shutdown_session()


@pytest.fixture(scope="module")
def editor(session: LanguageClient) -> Editor:
    """The test's editor, applying the server's ``workspace/applyEdit`` to its documents."""
    capabilities = session.initialize_result.capabilities
    chosen = capabilities.position_encoding or "utf-16"
    encoding = str(getattr(chosen, "value", chosen))
    assert encoding == {"visual_studio_code": "utf-16", "neovim": "utf-8"}[session.editor_name]
    editor = Editor(session, encoding)
    editor.capabilities = capabilities  # type: ignore[attr-defined]
    editor.name = session.editor_name  # type: ignore[attr-defined]

    @session.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        applied = editor.apply(params.edit)
        return types.ApplyWorkspaceEditResult(
            applied=applied, failure_reason=None if applied else "version mismatch"
        )

    return editor


@pytest.fixture
def uri(request) -> str:
    """A document of its own for each test (the server lives for the whole module)."""
    return f"file:///project/{request.node.originalname}.py"


async def code_actions(
    editor: Editor,
    uri: str,
    diagnostics: Sequence[types.Diagnostic] = (),
    only: list[str] | None = None,
    line: int = 0,
) -> list[types.CodeAction]:
    """Ask for code actions on ``line`` (or on the first diagnostic's range)."""
    where = (
        diagnostics[0].range
        if diagnostics
        else types.Range(types.Position(line, 0), types.Position(line, 0))
    )
    result = await editor.client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=where,
            context=types.CodeActionContext(diagnostics=list(diagnostics), only=only),
        )
    )
    return [action for action in result or [] if isinstance(action, types.CodeAction)]


def repair_actions(actions: Sequence[types.CodeAction]) -> list[types.CodeAction]:
    return [a for a in actions if a.kind in ("quickfix", FIX_ALL)]


def the_edits(editor: Editor, edit: types.WorkspaceEdit, uri: str) -> list[types.TextEdit]:
    """The text edits for ``uri``, checking the form the client's capabilities ask for."""
    if editor.name == "visual_studio_code":  # type: ignore[attr-defined]
        assert edit.changes is None
        (change,) = edit.document_changes
        assert change.text_document.uri == uri
        assert change.text_document.version == editor.versions[uri]
        return list(change.edits)
    assert edit.document_changes is None  # Neovim's capabilities say no documentChanges
    return list(edit.changes[uri])


async def syntax_diagnostics(editor: Editor, uri: str) -> list[types.Diagnostic]:
    return list(await wait_for_diagnostics(editor.client, uri, lambda found: bool(found)))


# --- capabilities -------------------------------------------------------------------------------


async def test_capabilities_name_the_kinds_and_the_command(editor: Editor) -> None:
    capabilities = editor.capabilities  # type: ignore[attr-defined]
    kinds = capabilities.code_action_provider.code_action_kinds
    assert {"quickfix", FIX_ALL} <= set(kinds)
    assert "source" in kinds, "test generation's code action kind must survive the merge"
    assert {FIX_FILE, "codegpt.generateTests"} <= set(
        capabilities.execute_command_provider.commands
    )


# --- quick fixes --------------------------------------------------------------------------------


async def test_preferred_quick_fix_makes_the_document_compile(editor: Editor, uri: str) -> None:
    editor.open(uri, BROKEN)
    diagnostics = await syntax_diagnostics(editor, uri)
    actions = await code_actions(editor, uri, diagnostics[:1], only=None)
    quick = [a for a in actions if a.kind == "quickfix"]
    assert quick, "no quick fix for a def without ':'"
    preferred = [a for a in quick if a.is_preferred]
    assert len(preferred) == 1
    best = preferred[0]
    assert best.title == "codegpt: insert ':'"
    assert list(best.diagnostics) == [diagnostics[0]]
    (text_edit,) = the_edits(editor, best.edit, uri)
    assert text_edit.range.start == types.Position(0, 13)
    assert text_edit.new_text == ":"

    assert editor.apply(best.edit)
    assert editor.texts[uri] == CLEAN
    assert compiles(editor.texts[uri])
    await wait_for_diagnostics(editor.client, uri, lambda found: not found)


async def test_emoji_before_the_error_gives_the_encodings_column(editor: Editor, uri: str) -> None:
    editor.open(uri, EMOJI)
    diagnostics = await syntax_diagnostics(editor, uri)
    # ":" goes after the closing quote: 14 code points, 15 UTF-16 units, 17 UTF-8 bytes.
    expected = {"utf-16": 15, "utf-8": 17}[editor.encoding]
    assert diagnostics[0].range.end.character == expected  # the publisher agrees
    for only in (["quickfix"], None):
        actions = await code_actions(editor, uri, diagnostics[:1], only=only)
        best = next(a for a in actions if a.is_preferred)
        (text_edit,) = the_edits(editor, best.edit, uri)
        assert text_edit.range.start == types.Position(0, expected)
    assert editor.apply(best.edit)
    assert editor.texts[uri] == "if name == '😀':\n    pass\n"


async def test_quick_fix_without_diagnostics_in_the_request(editor: Editor, uri: str) -> None:
    """A client that sends no diagnostics still gets the fix for the error on the range's line."""
    editor.open(uri, EMOJI)
    actions = await code_actions(editor, uri, (), only=["quickfix"], line=0)
    best = next(a for a in actions if a.is_preferred)
    assert best.title == "codegpt: insert ':'"
    assert best.diagnostics and best.diagnostics[0].source == "codegpt"
    assert editor.apply(best.edit)
    assert compiles(editor.texts[uri])
    # Nothing on a line without an error.
    assert not repair_actions(await code_actions(editor, uri, (), only=["quickfix"], line=1))


async def test_multi_error_quick_fix_offers_a_verified_step_and_fix_all(
    editor: Editor, uri: str
) -> None:
    editor.open(uri, MULTI)
    diagnostics = await syntax_diagnostics(editor, uri)
    assert len(diagnostics) >= 2
    actions = await code_actions(editor, uri, diagnostics[:1], only=["quickfix"])
    titles = [a.title for a in actions]
    assert titles[0] == "codegpt: insert ':'"
    assert actions[0].is_preferred
    assert any(FIX_ALL_TITLE.fullmatch(title) for title in titles)
    combined = next(a for a in actions if FIX_ALL_TITLE.fullmatch(a.title))
    assert not combined.is_preferred
    assert editor.apply(combined.edit)
    assert compiles(editor.texts[uri])


# --- fix all ------------------------------------------------------------------------------------


async def test_fix_all_makes_a_multi_error_document_parse(editor: Editor, uri: str) -> None:
    editor.open(uri, MULTI)
    for only in (["source.fixAll"], ["source"], [FIX_ALL], None):
        actions = await code_actions(editor, uri, (), only=only, line=2)
        fix_all = [a for a in actions if a.kind == FIX_ALL]
        assert len(fix_all) == 1, f"only={only}"
        assert FIX_ALL_TITLE.fullmatch(fix_all[0].title)
        if only is not None:
            assert all(kind_matches(a.kind, only) for a in actions)
    assert editor.apply(fix_all[0].edit)
    assert compiles(editor.texts[uri])


async def test_only_filter_is_respected(editor: Editor, uri: str) -> None:
    editor.open(uri, MULTI)
    diagnostics = await syntax_diagnostics(editor, uri)
    quick_only = await code_actions(editor, uri, diagnostics[:1], only=["quickfix"])
    assert quick_only and all(a.kind == "quickfix" for a in quick_only)
    assert not await code_actions(editor, uri, diagnostics[:1], only=["refactor"])


async def test_no_fix_all_when_the_result_would_not_parse(editor: Editor, uri: str) -> None:
    editor.open(uri, "@@@@\n")
    assert not await code_actions(editor, uri, (), only=[FIX_ALL])


async def test_no_actions_on_a_clean_document(editor: Editor, uri: str) -> None:
    editor.open(uri, CLEAN)
    assert not repair_actions(await code_actions(editor, uri, (), only=None, line=0))
    assert not repair_actions(await code_actions(editor, uri, (), only=None, line=1))


async def test_actions_follow_the_latest_version(editor: Editor, uri: str) -> None:
    """Diagnostics of an old version get no fix once the text no longer has the error."""
    editor.open(uri, BROKEN)
    diagnostics = await syntax_diagnostics(editor, uri)
    first = await code_actions(editor, uri, diagnostics[:1], only=["quickfix"])
    assert first
    # Fix it by hand (a new version), then ask again: the old error is gone, so no action.
    editor.versions[uri] += 1
    editor.texts[uri] = CLEAN
    change_document(editor.client, uri, editor.versions[uri], [CLEAN])
    assert not await code_actions(editor, uri, diagnostics[:1], only=["quickfix"])


# --- codegpt.fixFile ----------------------------------------------------------------------------


async def execute(editor: Editor, *arguments: Any) -> Any:
    return await editor.client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=FIX_FILE, arguments=list(arguments))
    )


async def test_fix_file_applies_one_edit_and_the_text_compiles(editor: Editor, uri: str) -> None:
    editor.open(uri, "s = '😀'\n" + MULTI)
    result = await execute(editor, uri)
    assert result["parses"] is True and result["fixed"] >= 3  # three errors, one fix each
    assert len(editor.applied.get(uri)) == 1
    assert compiles(editor.texts[uri])
    assert editor.texts[uri].startswith("s = '😀'\ndef f(x):\n")
    state = await document_state(editor.client, uri)
    assert state is not None and state["version"] == editor.versions[uri]
    await wait_for_diagnostics(editor.client, uri, lambda found: not found)


async def test_fix_file_says_when_nothing_could_be_fixed(editor: Editor, uri: str) -> None:
    editor.open(uri, "@@@@\n")
    assert await execute(editor, uri) == {"fixed": 0, "parses": False}
    assert not editor.applied.get(uri)
    messages = editor.messages(f"could not fix the syntax errors in {uri.rsplit('/', 1)[1]}")
    assert len(messages) == 1
    assert messages[0].type == types.MessageType.Warning


async def test_fix_file_on_a_clean_document_changes_nothing(editor: Editor, uri: str) -> None:
    editor.open(uri, CLEAN)
    assert await execute(editor, uri) == {"fixed": 0, "parses": True}
    assert not editor.applied.get(uri)
    assert editor.messages(f"{uri.rsplit('/', 1)[1]} has no syntax errors")


async def test_fix_file_applies_verified_progress_and_says_it_still_fails(
    editor: Editor, uri: str
) -> None:
    editor.open(uri, "def f(:\n")
    result = await execute(editor, uri)
    assert result["parses"] is False and result["fixed"] >= 1
    assert editor.texts[uri] != "def f(:\n"
    assert editor.messages(f"in {uri.rsplit('/', 1)[1]}, but it still does not parse")


async def test_fix_file_bad_arguments_are_clear_errors(editor: Editor, uri: str) -> None:
    assert await execute(editor, "untitled:Untitled-1") is None
    assert editor.messages("cannot fix: untitled:Untitled-1 is not open and not a file")
    editor.client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri="file:///project/notes.md", language_id="markdown", version=1, text="# (a\n"
            )
        )
    )
    assert await execute(editor, "file:///project/notes.md") is None
    assert editor.messages("file:///project/notes.md is not a Python document")
    with pytest.raises(Exception, match="arguments"):
        await execute(editor)


async def test_server_answers_other_requests_while_fixing(editor: Editor, uri: str) -> None:
    body = "".join(f"def f{i}(a, b):\n    x = [a, b, {i}]\n    return x\n\n" for i in range(600))
    lines = body.split("\n")
    for k in range(5):
        lines[4 * 120 * k] = lines[4 * 120 * k].rstrip(":")
    editor.open(uri, "\n".join(lines))
    fixing = asyncio.ensure_future(execute(editor, uri))
    await asyncio.sleep(0.2)  # the fix is now running on the repair thread
    state = await asyncio.wait_for(document_state(editor.client, uri), timeout=5)
    assert state is not None and state["version"] == 1
    assert not fixing.done(), "the fix finished before the other request was even answered"
    result = await fixing
    assert result["fixed"] >= 1
    assert result["parses"] == compiles(editor.texts[uri])


# --- settings -----------------------------------------------------------------------------------


async def configure(editor: Editor, settings: dict[str, Any]) -> None:
    """Push settings and wait until the server has taken them (documentState is answered after)."""
    editor.client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"codegpt": settings})
    )
    await document_state(editor.client, "file:///nothing.py")


async def test_repair_enable_false_turns_everything_off(editor: Editor, uri: str) -> None:
    before = len(editor.messages("repair is off"))
    await configure(editor, {"repair": {"enable": False}})
    try:
        editor.open(uri, MULTI)
        diagnostics = await syntax_diagnostics(editor, uri)  # diagnostics stay on
        assert not repair_actions(await code_actions(editor, uri, diagnostics[:1], only=None))
        assert await execute(editor, uri) is None
        assert not editor.applied.get(uri)
        assert len(editor.messages("repair is off")) == before + 1
    finally:
        await configure(editor, {"repair": {"enable": True}})
    assert repair_actions(await code_actions(editor, uri, diagnostics[:1], only=None))


# --- with the model (last: it changes the server's model) ---------------------------------------


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return completion_model_dir(tmp_path_factory)


async def test_fix_file_with_the_shared_model_still_only_applies_verified_fixes(
    editor: Editor, uri: str, model_dir: Path, tmp_path: Path
) -> None:
    # A path of its own, so the server loads the model now (and says so) even when an earlier
    # test already loaded the same files from their usual place.
    model_dir_link = tmp_path / "shared-model"
    model_dir_link.symlink_to(model_dir.resolve(), target_is_directory=True)
    model_dir = model_dir_link
    statuses: list[Any] = []

    def status(params: Any) -> None:
        statuses.append(params)

    if "codegpt/status" not in editor.client.protocol.fm.features:
        editor.client.feature("codegpt/status")(status)
    await configure(editor, {"model": {"path": str(model_dir), "threads": 1}})
    try:
        editor.open(uri, MULTI)
        result = await execute(editor, uri)
        # fixFile waits for the shared model service to load the model (its status says so).
        assert any(getattr(status, "model", None) == model_dir.name for status in statuses)
        assert result["parses"] is True and result["fixed"] >= 3
        assert compiles(editor.texts[uri])
        # Quick fixes for a new error now run with the loaded model too, and still verify.
        broken = editor.texts[uri].replace("def f(x):", "def f(x)", 1)
        editor.versions[uri] += 1
        editor.texts[uri] = broken
        change_document(editor.client, uri, editor.versions[uri], [broken])
        actions = await code_actions(editor, uri, (), only=["quickfix"], line=0)
        best = next(a for a in actions if a.is_preferred)
        assert editor.apply(best.edit)
        assert compiles(editor.texts[uri])
    finally:
        await configure(editor, {"model": {"path": None}})
