"""Syntax diagnostics: the pure checker, and publishing over LSP (appear, clear, close)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_helpers import change_document, open_document, wait_for_diagnostics
from lsprotocol import types
from pytest_lsp import LanguageClient

from codegpt.server.diagnostics import SourcePosition, syntax_problems

EXAMPLE = Path(__file__).parents[1] / "server" / "examples" / "broken.py"


def spans(text: str) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    return [
        (p.message, (p.start.line, p.start.column), (p.end.line, p.end.column))
        for p in syntax_problems(text)
    ]


def test_valid_code_has_no_problems():
    assert syntax_problems("def f(x):\n    return x  # ok 😀\n") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Python points after the header; the token before it is underlined.
        ("def f(x)\n    return x\n", [("expected ':'", (0, 7), (0, 8))]),
        ("x = (1,\n2\n", [("'(' was never closed", (0, 4), (0, 5))]),
        ("x = [1 2]\n", [("invalid syntax. Perhaps you forgot a comma?", (0, 5), (0, 8))]),
        # Errors the parser alone misses still count: Python would refuse to run the file.
        ("return 5\n", [("'return' outside function", (0, 0), (0, 8))]),
        # Columns count code points, so an emoji before the error does not shift it.
        ("s = '😀' + )\n", [("unmatched ')'", (0, 10), (0, 11))]),
        ("s = 'abc\n", [("unterminated string literal (detected at line 1)", (0, 4), (0, 8))]),
        ("x = 1\0\n", [("source code cannot contain null bytes", (0, 5), (0, 6))]),
    ],
)
def test_problems_carry_pythons_message_and_a_precise_range(text, expected):
    assert spans(text) == expected


def test_independent_later_errors_are_reported_too():
    problems = syntax_problems(EXAMPLE.read_text(encoding="utf-8"))
    assert [(p.message, p.start.line + 1) for p in problems] == [
        ("expected ':'", 13),
        ("'(' was never closed", 25),
        ("invalid syntax. Perhaps you forgot a comma?", 29),
    ]
    for problem in problems:  # never the whole file: one line each
        assert problem.start.line == problem.end.line
        assert problem.start < problem.end


def test_an_unterminated_triple_quoted_string_hides_the_rest():
    problems = syntax_problems('def f():\n    return """\n\nx = (\n')
    assert len(problems) == 1
    assert problems[0].message.startswith("unterminated triple-quoted string literal")
    assert problems[0].start == SourcePosition(1, 11)


async def test_diagnostics_appear_then_clear_when_the_code_parses(client: LanguageClient):
    uri = "file:///diag.py"
    open_document(client, uri, "def f(x):\n    return x\n")
    assert await wait_for_diagnostics(client, uri, lambda d: len(d) == 0) == []

    # Delete the colon: an error with an exact range appears.
    change_document(client, uri, 2, [((0, 8), (0, 9), "")])
    (diagnostic,) = await wait_for_diagnostics(client, uri, lambda d: len(d) > 0)
    assert diagnostic.message == "expected ':'"
    assert diagnostic.source == "codegpt"
    assert diagnostic.severity == types.DiagnosticSeverity.Error
    assert diagnostic.range == types.Range(types.Position(0, 7), types.Position(0, 8))

    change_document(client, uri, 3, [((0, 8), (0, 8), ":")])
    assert await wait_for_diagnostics(client, uri, lambda d: len(d) == 0) == []


async def test_columns_use_the_negotiated_encoding(client: LanguageClient):
    uri = "file:///emoji.py"
    open_document(client, uri, "s = '😀' + )\n")
    (diagnostic,) = await wait_for_diagnostics(client, uri, lambda d: len(d) == 1)
    # ")" follows 10 code points: UTF-16 counts the emoji as 2 units, UTF-8 as 4.
    # The server takes the client's first preference (asserted in test_server_lifecycle).
    general = client.capabilities.general if client.capabilities else None
    encoding = (general and general.position_encodings or ["utf-16"])[0]
    expected = {"utf-16": 11, "utf-8": 13, "utf-32": 10}[encoding]
    assert diagnostic.range.start == types.Position(0, expected)


async def test_closing_a_document_clears_its_diagnostics(client: LanguageClient):
    uri = "file:///closing.py"
    open_document(client, uri, "x = (\n")
    await wait_for_diagnostics(client, uri, lambda d: len(d) == 1)
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert await wait_for_diagnostics(client, uri, lambda d: len(d) == 0) == []


async def test_only_the_last_of_a_burst_of_edits_is_published(client: LanguageClient):
    uri = "file:///burst.py"
    open_document(client, uri, "")
    await wait_for_diagnostics(client, uri, lambda d: len(d) == 0)
    typed = "def f(:\n"
    for version, char in enumerate(typed, start=2):
        column = typed.index(char) if char != "\n" else len(typed) - 1
        change_document(client, uri, version, [((0, column), (0, column), char)])
    final = await wait_for_diagnostics(client, uri, lambda d: len(d) == 1)
    assert final[0].range.start.line == 0
