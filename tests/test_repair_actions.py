"""The fixer's edits as LSP: columns in each position encoding, edit forms, kind filters."""

from __future__ import annotations

import pytest
from lsprotocol import types

from codegpt.server.code_actions import kind_matches
from codegpt.server.repair.edits import TextEdit
from codegpt.server.repair.fixer import Fixer
from codegpt.server.repair_actions import (
    FIX_ALL_KIND,
    diagnostics_fixed_by,
    fix_all_action,
    lsp_text_edits,
    quick_fix_actions,
    workspace_edit,
)

URI = "file:///project/broken.py"
# The emoji takes 1 code point, 2 UTF-16 units and 4 UTF-8 bytes before the missing ':'.
EMOJI = "if name == '😀'\n    pass\n"
MULTI = "def f(x)\n    return x\n\nclass A\n    pass\n\nif x = 1:\n    pass\n"


def _diagnostic(line: int, start: int, end: int, source: str = "codegpt") -> types.Diagnostic:
    return types.Diagnostic(
        range=types.Range(types.Position(line, start), types.Position(line, end)),
        message="expected ':'",
        source=source,
    )


@pytest.mark.parametrize(("encoding", "column"), [("utf-16", 15), ("utf-8", 17), ("utf-32", 14)])
def test_lsp_text_edits_count_columns_in_the_encoding(encoding: str, column: int) -> None:
    (edit,) = lsp_text_edits(EMOJI, [TextEdit(14, 14, ":")], encoding)  # type: ignore[arg-type]
    assert edit.range.start == edit.range.end == types.Position(0, column)
    assert edit.new_text == ":"


def test_lsp_text_edits_on_later_lines_with_crlf_come_in_document_order() -> None:
    text = "a = '😀'\r\nif x\r\n    pass\r\n"
    edits = lsp_text_edits(text, [TextEdit(13, 13, ":"), TextEdit(5, 6, "b")], "utf-16")
    assert [e.range.start for e in edits] == [types.Position(0, 5), types.Position(1, 4)]
    assert edits[0].range.end == types.Position(0, 7)  # the emoji is two UTF-16 units wide


def test_workspace_edit_forms() -> None:
    edits = [types.TextEdit(types.Range(types.Position(0, 1), types.Position(0, 1)), ":")]
    versioned = workspace_edit(URI, 7, edits, versioned=True)
    assert versioned.changes is None
    (change,) = versioned.document_changes
    assert change.text_document.uri == URI and change.text_document.version == 7
    plain = workspace_edit(URI, 7, edits, versioned=False)
    assert plain.document_changes is None and plain.changes == {URI: edits}


def test_quick_fixes_attach_to_the_diagnostic_of_their_error() -> None:
    fixes = Fixer().quick_fixes(MULTI)
    first, later, other = _diagnostic(0, 6, 8), _diagnostic(3, 6, 7), _diagnostic(0, 0, 3, "ruff")
    actions = quick_fix_actions(URI, 1, MULTI, fixes, [first, later], "utf-16", versioned=False)
    by_title = {a.title: a for a in actions}
    assert list(by_title["codegpt: insert ':'"].diagnostics) == [first]
    assert by_title["codegpt: insert ':'"].is_preferred
    combined = by_title["codegpt: fix all syntax errors (3 fixes)"]
    assert list(combined.diagnostics) == [first, later] and not combined.is_preferred
    # Only the later error under the cursor: the first error's own fix does not apply there.
    later_only = quick_fix_actions(URI, 1, MULTI, fixes, [later], "utf-16", versioned=False)
    assert [a.title for a in later_only] == ["codegpt: fix all syntax errors (3 fixes)"]
    assert diagnostics_fixed_by(fixes[0], [other]) == []


def test_fix_all_only_when_the_result_parses() -> None:
    fixer = Fixer()
    action = fix_all_action(URI, 3, fixer.fix(MULTI), [], "utf-8", versioned=True)
    assert action is not None and action.kind == FIX_ALL_KIND
    assert action.title == "codegpt: fix all syntax errors (3 fixes)"
    assert fix_all_action(URI, 3, fixer.fix("@@@@\n"), [], "utf-8", versioned=True) is None
    assert fix_all_action(URI, 3, fixer.fix("x = 1\n"), [], "utf-8", versioned=True) is None


@pytest.mark.parametrize(
    ("kind", "only", "wanted"),
    [
        (FIX_ALL_KIND, None, True),
        (FIX_ALL_KIND, [], True),
        (FIX_ALL_KIND, ["source"], True),
        (FIX_ALL_KIND, ["source.fixAll"], True),
        (FIX_ALL_KIND, ["source.fix"], False),
        (FIX_ALL_KIND, ["quickfix"], False),
        ("quickfix", ["quickfix"], True),
        ("quickfix", ["source"], False),
    ],
)
def test_kind_matches_by_dotted_prefix(kind: str, only: list[str] | None, wanted: bool) -> None:
    assert kind_matches(kind, only) is wanted
