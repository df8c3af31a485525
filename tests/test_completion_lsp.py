"""Completion through the real server over stdio, as VS Code and as Neovim, with a real model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import pytest_lsp
from completion_helpers import completion_model_dir, session_options
from lsp_helpers import CLIENTS, SERVER_COMMAND, change_document, open_document, start_session
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from codegpt.model.runtime import CodeModel, RuntimeOptions
from codegpt.server.completion.engine import CompletionEngine, DocumentView
from codegpt.server.completion.postprocess import bracket_depths
from codegpt.server.parsing import parse
from codegpt.server.settings import CompletionSettings

# The server is started once per editor for the module: tests must share its event loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")

# The line after the docstring of ``area`` is an indented blank line: the cursor's empty body.
SOURCE = '''import os


class Counter:
    """Counts things."""

    def __init__(self, start):
        self.count = start
        self.history = []

    def bump(self, step):
        self.count += step
        self.history.append(step)
        return self.count


def total(items):
    result = 0
    for item in items:
        result += item
    return result


def area(width, height):
    """Area of a rectangle."""
{INDENT}

counter = Counter(0)
value = total([1, 2, 3])
'''.replace("{INDENT}", "    ")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return completion_model_dir(tmp_path_factory)


@pytest_lsp.fixture(
    params=CLIENTS, scope="module", config=ClientServerConfig(server_command=SERVER_COMMAND)
)
async def client(request, lsp_client: LanguageClient, model_dir: Path):
    """One server per editor for the whole module (starting one costs seconds); tests use their
    own document URIs."""
    result = await start_session(lsp_client, request.param, session_options(model_dir))
    chosen = result.capabilities.position_encoding or "utf-16"
    lsp_client.encoding = str(getattr(chosen, "value", chosen))
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def uri(request) -> str:
    """A document of its own for each test (the server lives for the whole module)."""
    return f"file:///work/{request.node.originalname}_{len(request.node.name)}.py"


def _inline(client: LanguageClient, uri: str, line: int, character: int, invoked: bool = False):
    kind = types.InlineCompletionTriggerKind
    return client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line, character),
            context=types.InlineCompletionContext(
                trigger_kind=kind.Invoked if invoked else kind.Automatic
            ),
        )
    )


def _complete(client: LanguageClient, uri: str, line: int, character: int):
    return client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line, character),
        )
    )


def _line_of(text: str, needle: str) -> tuple[int, str]:
    for number, line in enumerate(text.split("\n")):
        if needle in line:
            return number, line
    raise AssertionError(needle)


def _assert_at_cursor(items, line: int, character: int) -> None:
    for item in items:
        assert item.range is not None
        assert item.range.start == item.range.end == types.Position(line, character)


async def test_end_of_line_gives_one_line_at_the_cursor(client: LanguageClient, uri: str) -> None:
    text = SOURCE + "counter.bu"
    open_document(client, uri, text)
    line = text.count("\n")
    result = await _inline(client, uri, line, len("counter.bu"))
    assert isinstance(result, types.InlineCompletionList)
    assert 1 <= len(result.items) <= 3
    _assert_at_cursor(result.items, line, len("counter.bu"))
    for item in result.items:
        assert "\n" not in item.insert_text and item.insert_text.strip()


async def test_invoked_request_offers_distinct_alternatives(
    client: LanguageClient, uri: str
) -> None:
    text = SOURCE + "result = total(counter."
    open_document(client, uri, text)
    line, column = text.count("\n"), len("result = total(counter.")
    automatic = await _inline(client, uri, line, column)
    invoked = await _inline(client, uri, line, column, invoked=True)
    assert isinstance(automatic, types.InlineCompletionList) and len(automatic.items) == 1
    assert isinstance(invoked, types.InlineCompletionList)
    texts = [item.insert_text for item in invoked.items]
    # Beams that postprocess to the same text are shown once (how many stay depends on the model).
    assert 1 <= len(texts) <= 3 and len(set(texts)) == len(texts)
    _assert_at_cursor(invoked.items, line, column)
    for inserted in texts:
        assert "\n" not in inserted and inserted.strip()


async def test_mid_line_never_duplicates_the_closing_brackets(
    client: LanguageClient, uri: str
) -> None:
    text = SOURCE + "print(total(counter.history))\n"
    open_document(client, uri, text)
    line, content = _line_of(text, "print(total(")
    column = len("print(total(")
    change_document(client, uri, 2, [((line, column), (line, column + len("counter.history")), "")])
    result = await _inline(client, uri, line, column)
    assert isinstance(result, types.InlineCompletionList)
    _assert_at_cursor(result.items, line, column)
    for item in result.items:
        # The line already closes both brackets: a suggestion may not close them again.
        assert bracket_depths(item.insert_text)[1] == 0
        assert "\n" not in item.insert_text


@pytest.mark.parametrize(
    ("needle", "column_in_needle"),
    [
        ("    result = 0", len("    res")),  # inside a word
        ('    """Counts th', len('    """Counts th')),  # inside a docstring
    ],
)
async def test_nothing_mid_word_or_in_strings(
    client: LanguageClient, uri: str, needle: str, column_in_needle: int
) -> None:
    open_document(client, uri, SOURCE)
    line, _ = _line_of(SOURCE, needle)
    result = await _inline(client, uri, line, column_in_needle)
    assert result is not None and not result.items


async def test_nothing_in_a_comment(client: LanguageClient, uri: str) -> None:
    text = SOURCE + "# compute the total of the "
    open_document(client, uri, text)
    result = await _inline(client, uri, text.count("\n"), len("# compute the total of the "))
    assert result is not None and not result.items


async def test_empty_body_gets_a_block_inside_the_function(
    client: LanguageClient, uri: str
) -> None:
    open_document(client, uri, SOURCE)
    line, _ = _line_of(SOURCE, '"""Area of a rectangle."""')
    result = await _inline(client, uri, line + 1, 4)
    assert isinstance(result, types.InlineCompletionList)
    _assert_at_cursor(result.items, line + 1, 4)
    for item in result.items:
        for following in item.insert_text.split("\n")[1:]:
            # The block ends where the code dedents: nothing leaks out of the function body.
            assert not following.strip() or following.startswith("    ")


async def test_cancelled_request_is_answered_and_the_next_one_works(
    client: LanguageClient, uri: str
) -> None:
    text = SOURCE + "counter.bu"
    open_document(client, uri, text)
    line = text.count("\n")
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line, len("counter.bu")),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Invoked
        ),
    )
    future = client.protocol.send_request(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id="cancel-me"
    )
    client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="cancel-me"))
    try:
        await asyncio.wait_for(asyncio.wrap_future(future), 10)
    except Exception as error:  # the server may answer RequestCancelled
        assert "cancel" in str(error).lower()
    result = await _inline(client, uri, line, len("counter.bu"))
    assert isinstance(result, types.InlineCompletionList) and len(result.items) >= 1


async def test_edits_invalidate_cached_answers(
    client: LanguageClient, uri: str, model_dir: Path
) -> None:
    text = SOURCE + "value = tot"
    open_document(client, uri, text)
    line = text.count("\n")
    await _inline(client, uri, line, len("value = tot"))  # fills the KV cache and the result cache
    # Rename the function in the prefix: every cached token after it is stale.
    def_line, _ = _line_of(text, "def total(items):")
    change_document(client, uri, 2, [((def_line, 4), (def_line, 9), "totalize")])
    edited = text.replace("def total(items):", "def totalize(items):")
    result = await _inline(client, uri, line, len("value = tot"))
    assert isinstance(result, types.InlineCompletionList)
    # A fresh engine (no caches) on the edited text must agree exactly.
    model = CodeModel.load(RuntimeOptions(model_dir=model_dir, threads=1))
    settings = CompletionSettings(confidence_threshold=-100.0, time_budget_ms=5000)
    fresh = CompletionEngine().complete_inline(
        model, DocumentView(uri, edited, parse(edited)), len(edited), settings
    )
    assert [item.insert_text for item in result.items] == fresh.texts


async def test_list_after_dot_offers_the_members(client: LanguageClient, uri: str) -> None:
    text = SOURCE + "counter."
    open_document(client, uri, text)
    line = text.count("\n")
    result = await _complete(client, uri, line, len("counter."))
    assert isinstance(result, types.CompletionList)
    labels = [item.label for item in result.items]
    assert {"count", "history", "bump"} <= set(labels)
    for item in result.items:
        edit = item.text_edit
        assert isinstance(edit, types.TextEdit)
        assert edit.range.start == edit.range.end == types.Position(line, len("counter."))
    assert [item.sort_text for item in result.items] == sorted(i.sort_text for i in result.items)


async def test_list_mid_identifier_replaces_the_typed_prefix(
    client: LanguageClient, uri: str
) -> None:
    # Non-ASCII before the cursor: UTF-16 and UTF-8 columns differ.
    prefix = 'label = "größe 😀"; counter.hi'
    text = SOURCE + prefix
    open_document(client, uri, text)
    line = text.count("\n")
    encoding = client.encoding
    if encoding == "utf-8":
        column = len(prefix.encode("utf-8"))
    else:
        column = len(prefix.encode("utf-16-le")) // 2
    result = await _complete(client, uri, line, column)
    assert isinstance(result, types.CompletionList)
    assert "history" in [item.label for item in result.items]
    for item in result.items:
        assert item.text_edit.range.start == types.Position(line, column - 2)
        assert item.text_edit.range.end == types.Position(line, column)
        assert item.text_edit.new_text.startswith("hi")


async def test_invoked_list_with_nothing_typed_offers_names_in_scope(
    client: LanguageClient, uri: str
) -> None:
    text = SOURCE + "answer = "
    open_document(client, uri, text)
    line = text.count("\n")
    result = await _complete(client, uri, line, len("answer = "))
    assert isinstance(result, types.CompletionList) and result.items
    labels = [item.label for item in result.items]
    assert {"counter", "total"} & set(labels)  # defined above the cursor
    for item in result.items:
        assert item.text_edit.range.start == item.text_edit.range.end
        assert item.text_edit.range.start == types.Position(line, len("answer = "))
    # Still nothing inside a comment.
    comment = SOURCE + "# see "
    open_document(client, uri + ".comment.py", comment)
    quiet = await _complete(client, uri + ".comment.py", line, len("# see "))
    assert quiet is None or not quiet.items


async def test_newer_request_for_the_document_supersedes_the_older(
    client: LanguageClient, uri: str
) -> None:
    # A cold request on another document keeps the single inference thread busy, so the two
    # requests for this document queue behind it and the second arrives before the first runs.
    busy_uri = uri.replace(".py", "_busy.py")
    busy_text = SOURCE * 4 + "value = tot"
    open_document(client, busy_uri, busy_text)
    text = SOURCE + "print(value)  # text of its own: no cached answer from another test\n"
    open_document(client, uri, text)
    docstring_line, _ = _line_of(text, '"""Area of a rectangle."""')
    busy = _inline(client, busy_uri, busy_text.count("\n"), len("value = tot"))
    first = _inline(client, uri, docstring_line + 1, 4)
    second = _inline(client, uri, text.count("\n") - 1, len("print(value)"))
    _, older, newer = await asyncio.gather(busy, first, second)
    assert older is None or not older.items  # stopped, never a stale suggestion
    assert isinstance(newer, types.InlineCompletionList)
    # Alone, the same request has a suggestion: the older one was stopped, not merely empty.
    alone = await _inline(client, uri, docstring_line + 1, 4)
    assert isinstance(alone, types.InlineCompletionList) and alone.items


async def test_status_notification_reports_the_model(client: LanguageClient, uri: str) -> None:
    received: list = []

    @client.feature("codegpt/status")
    def status(params) -> None:
        received.append(params)

    text = SOURCE + "value = tot"
    open_document(client, uri, text)
    await _inline(client, uri, text.count("\n"), len("value = tot"))
    async with asyncio.timeout(5):
        while not any(getattr(p, "latencyMs", None) is not None for p in received):
            await asyncio.sleep(0.02)
    last = received[-1]
    assert last.model and last.provider == "CPUExecutionProvider"
    assert last.latencyMs >= 0
    # A burst of requests is reported once, after the answers, not once per request.
    before = len(received)
    for column in range(4):
        await _inline(client, uri, text.count("\n"), len("value = ") + column)
    await asyncio.sleep(0.3)
    assert 1 <= len(received) - before < 4
