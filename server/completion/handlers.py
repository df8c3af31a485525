"""LSP handlers for completion: ghost text (``textDocument/inlineCompletion``) and lists."""

from __future__ import annotations

from lsprotocol import types

from codegpt.server.completion.service import completion_service

# A runtime import (not TYPE_CHECKING): pygls resolves handler annotations with get_type_hints.
from codegpt.server.server import CodegptServer

TRIGGER_CHARACTERS = ["."]


async def inline_completion(
    ls: CodegptServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList | None:
    """Ghost-text completion at the cursor."""
    return await completion_service(ls).inline(params)


async def completion(
    ls: CodegptServer, params: types.CompletionParams
) -> types.CompletionList | None:
    """Completion list: the rest of the identifier or member at the cursor."""
    return await completion_service(ls).completion(params)


def register(server: CodegptServer) -> None:
    """Register both completion features."""
    server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())(
        inline_completion
    )
    server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=TRIGGER_CHARACTERS, resolve_provider=False),
    )(completion)
