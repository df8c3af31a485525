"""Turn the fixer's results into LSP: text edits in the negotiated encoding and code actions.

Pure functions, no server: the fixer speaks code-point offsets, the client speaks lines and
columns in UTF-16 (VS Code) or UTF-8 (Neovim) code units, and an astral character such as an
emoji before an error is where the two disagree, so every conversion goes through
``codegpt.server.positions``.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from lsprotocol import types

from codegpt.server.diagnostics_publisher import SOURCE
from codegpt.server.line_index import line_starts
from codegpt.server.positions import Encoding, units
from codegpt.server.repair.edits import TextEdit
from codegpt.server.repair.fixer import Fix, FixResult

QUICK_FIX_KIND = types.CodeActionKind.QuickFix.value
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.codegpt"
TITLE_PREFIX = "codegpt: "
COMBINED_SOURCE = "combined"  # Fix.source of the fixer's "fix all syntax errors" entry


def lsp_position(
    text: str, starts: Sequence[int], offset: int, encoding: Encoding
) -> types.Position:
    """The LSP position of a code-point offset in ``text`` (``starts`` from ``line_starts``)."""
    line = bisect.bisect_right(starts, offset) - 1
    return types.Position(line=line, character=units(text[starts[line] : offset], encoding))


def lsp_text_edits(
    text: str, edits: Sequence[TextEdit], encoding: Encoding
) -> list[types.TextEdit]:
    """Edits against ``text`` as LSP text edits, in document order."""
    starts = line_starts(text)
    return [
        types.TextEdit(
            range=types.Range(
                start=lsp_position(text, starts, edit.start, encoding),
                end=lsp_position(text, starts, edit.end, encoding),
            ),
            new_text=edit.new_text,
        )
        for edit in sorted(edits, key=lambda item: item.start)
    ]


def workspace_edit(
    uri: str, version: int | None, edits: list[types.TextEdit], versioned: bool
) -> types.WorkspaceEdit:
    """``documentChanges`` pinned to ``version`` when the client takes them, else ``changes``.

    A versioned edit is refused by the client if the user typed since, instead of landing in
    the wrong place.
    """
    if versioned:
        document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=document, edits=edits)]
        )
    return types.WorkspaceEdit(changes={uri: edits})


def lines_overlap(inner: types.Range, outer: types.Range) -> bool:
    """Whether two ranges share a line: a cursor anywhere on an error's line asks for its fix."""
    return inner.start.line <= outer.end.line and outer.start.line <= inner.end.line


def own_diagnostics(
    diagnostics: Sequence[types.Diagnostic], within: types.Range | None = None
) -> list[types.Diagnostic]:
    """The codegpt syntax diagnostics among ``diagnostics`` (on the lines of ``within``)."""
    return [
        diagnostic
        for diagnostic in diagnostics
        if diagnostic.source == SOURCE
        and (within is None or lines_overlap(diagnostic.range, within))
    ]


def diagnostics_fixed_by(
    fix: Fix, diagnostics: Sequence[types.Diagnostic]
) -> list[types.Diagnostic]:
    """The diagnostics (ours) that ``fix`` addresses: the one on its error's line.

    The fixer's error and the diagnostics both come from ``compile()``'s first error, so they
    start on the same line; the fixer's "fix all" entry addresses every one of them.
    """
    ours = own_diagnostics(diagnostics)
    if fix.source == COMBINED_SOURCE:
        return ours
    line = fix.error.line if fix.error is not None else fix.position[0]
    return [diagnostic for diagnostic in ours if diagnostic.range.start.line == line][:1]


def quick_fix_actions(
    uri: str,
    version: int | None,
    text: str,
    fixes: Sequence[Fix],
    diagnostics: Sequence[types.Diagnostic],
    encoding: Encoding,
    versioned: bool,
) -> list[types.CodeAction]:
    """One ``quickfix`` per fix that addresses one of ``diagnostics``; best first.

    Every fix from the fixer is verified (the file parses, or its first error moved later),
    so nothing here can make the file worse.
    """
    actions = []
    for fix in fixes:
        fixed = diagnostics_fixed_by(fix, diagnostics)
        if not fixed:
            continue
        edits = lsp_text_edits(text, fix.edits, encoding)
        actions.append(
            types.CodeAction(
                title=TITLE_PREFIX + fix.title,
                kind=QUICK_FIX_KIND,
                diagnostics=fixed,
                is_preferred=fix.preferred and fix.source != COMBINED_SOURCE,
                edit=workspace_edit(uri, version, edits, versioned),
            )
        )
    return actions


def fix_all_title(result: FixResult) -> str:
    """``codegpt: fix all syntax errors`` with the count when there is more than one."""
    count = len(result.fixes)
    suffix = f" ({count} fixes)" if count > 1 else ""
    return f"{TITLE_PREFIX}fix all syntax errors{suffix}"


def fix_all_action(
    uri: str,
    version: int | None,
    result: FixResult,
    diagnostics: Sequence[types.Diagnostic],
    encoding: Encoding,
    versioned: bool,
) -> types.CodeAction | None:
    """The ``source.fixAll.codegpt`` action, only when the fixed document parses."""
    if not result.parses or not result.changed:
        return None
    edits = lsp_text_edits(result.original, result.edits(), encoding)
    return types.CodeAction(
        title=fix_all_title(result),
        kind=FIX_ALL_KIND,
        diagnostics=list(diagnostics) or None,
        edit=workspace_edit(uri, version, edits, versioned),
    )
