"""Repair in the editor: quick fixes per syntax diagnostic, a fix-all action, ``codegpt.fixFile``.

Every edit offered is one the fixer verified: a quick fix makes the whole file parse or moves
its first error later, a fix-all is offered only when the fixed file parses, and
``codegpt.fixFile`` applies the fixer's verified rounds (and says when the file still does not
parse). Edits are pinned to the document version they were computed for.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from codegpt.server.code_actions import add_code_action_provider, kind_matches
from codegpt.server.diagnostics_publisher import to_lsp_diagnostics
from codegpt.server.documents import Document, is_python
from codegpt.server.repair.fixer import FixResult
from codegpt.server.repair_actions import (
    FIX_ALL_KIND,
    QUICK_FIX_KIND,
    fix_all_action,
    lsp_text_edits,
    own_diagnostics,
    quick_fix_actions,
    workspace_edit,
)
from codegpt.server.repair_service import repair_service

# A runtime import (not TYPE_CHECKING): pygls resolves command annotations with get_type_hints.
from codegpt.server.server import CodegptServer

log = logging.getLogger(__name__)

FIX_FILE = "codegpt.fixFile"


def _versioned_edits(ls: CodegptServer) -> bool:
    """Whether the client takes ``documentChanges`` (then edits carry the document version)."""
    workspace = ls.client_capabilities.workspace
    edit = workspace.workspace_edit if workspace else None
    return bool(edit and edit.document_changes)


def _unchanged(ls: CodegptServer, document: Document, version: int) -> bool:
    """The document is still open at the version the fixer saw."""
    return ls.documents.get(document.uri) is document and document.version == version


async def repair_code_actions(
    ls: CodegptServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    """Quick fixes for the syntax diagnostics in the request, and the document's fix-all."""
    if not ls.settings.repair.enable:
        return None
    only = params.context.only
    want_quick = kind_matches(QUICK_FIX_KIND, only)
    want_all = kind_matches(FIX_ALL_KIND, only)
    document = ls.documents.get(params.text_document.uri)
    if document is None or not is_python(document.uri, document.language_id):
        return None
    repair = await repair_service(ls).for_document(document)
    encoding, versioned = document.encoding, _versioned_edits(ls)
    diagnostics = own_diagnostics(params.context.diagnostics)
    if want_quick and not diagnostics:
        # Clients that send no diagnostics (or none of ours): the errors on the range's lines.
        problems = to_lsp_diagnostics(repair.text, await repair.problems(), encoding)
        diagnostics = own_diagnostics(problems, params.range)
    actions: list[types.CodeAction] = []
    if want_quick and diagnostics:
        fixes = await repair.quick_fixes()
        actions.extend(
            quick_fix_actions(
                repair.uri, repair.version, repair.text, fixes, diagnostics, encoding, versioned
            )
        )
    if want_all:
        result = await repair.fix_all()
        action = fix_all_action(
            repair.uri, repair.version, result, diagnostics, encoding, versioned
        )
        if action is not None:
            actions.append(action)
    if not _unchanged(ls, document, repair.version):
        return None  # the user typed on; these edits are for text that no longer exists
    return actions or None


# --- codegpt.fixFile -----------------------------------------------------------------------------


def _show(ls: CodegptServer, kind: types.MessageType, message: str) -> None:
    log.info("%s", message)
    ls.window_show_message(types.ShowMessageParams(type=kind, message=message))


def _text_and_version(ls: CodegptServer, uri: str) -> tuple[str, int | None, Document | None]:
    """The editor's copy when open, else the file on disk (version None); ValueError otherwise."""
    document = ls.documents.get(uri)
    if document is not None:
        if not is_python(document.uri, document.language_id):
            raise ValueError(f"{uri} is not a Python document")
        return document.text, document.version, document
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if not path:
        raise ValueError(f"{uri} is not open and not a file")
    try:
        return Path(path).read_text(encoding="utf-8"), None, None
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read {path}: {error}") from error


def _summary(result: FixResult) -> dict[str, Any]:
    return {"fixed": len(result.fixes), "parses": result.parses}


async def fix_file_command(ls: CodegptServer, uri: str) -> dict[str, Any] | None:
    """``codegpt.fixFile [uri]``: fix the whole document through ``workspace/applyEdit``.

    Returns ``{fixed, parses}``: the number of verified fixes applied and whether the document
    now parses. Nothing applied is said with a ``window/showMessage``.
    """
    name = uri.rsplit("/", 1)[-1]
    if not ls.settings.repair.enable:
        _show(ls, types.MessageType.Info, "codegpt: repair is off (setting codegpt.repair.enable)")
        return None
    try:
        text, version, document = _text_and_version(ls, uri)
    except ValueError as error:
        _show(ls, types.MessageType.Error, f"codegpt: cannot fix: {error}")
        return None
    result = await repair_service(ls).fix_text(text)
    if document is not None and not _unchanged(ls, document, version or 0):
        _show(ls, types.MessageType.Warning, f"codegpt: {name} changed while fixing; run it again")
        return {"fixed": 0, "parses": False}
    if not result.changed:
        if result.parses:
            _show(ls, types.MessageType.Info, f"codegpt: {name} has no syntax errors to fix")
        else:
            _show(
                ls,
                types.MessageType.Warning,
                f"codegpt: could not fix the syntax errors in {name} ({result.reason})",
            )
        return {"fixed": 0, "parses": result.parses}
    edits = lsp_text_edits(text, result.edits(), ls.position_encoding)
    answer = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(
            edit=workspace_edit(uri, version, edits, _versioned_edits(ls)),
            label=f"codegpt: fix {name}",
        )
    )
    if not answer.applied:
        reason = f" ({answer.failure_reason})" if answer.failure_reason else ""
        _show(ls, types.MessageType.Warning, f"codegpt: the editor did not apply the fix{reason}")
        return {"fixed": 0, "parses": False}
    if not result.parses:
        _show(
            ls,
            types.MessageType.Warning,
            f"codegpt: fixed {len(result.fixes)} error(s) in {name}, but it still does not parse"
            f" ({result.reason})",
        )
    return _summary(result)


def register(server: CodegptServer) -> None:
    """Register the code actions and the command."""

    async def provider(params: types.CodeActionParams) -> list[types.CodeAction] | None:
        return await repair_code_actions(server, params)

    add_code_action_provider(server, "repair", [QUICK_FIX_KIND, FIX_ALL_KIND], provider)
    server.command(FIX_FILE)(fix_file_command)
