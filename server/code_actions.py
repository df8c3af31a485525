"""One ``textDocument/codeAction`` handler shared by every feature that offers code actions.

pygls takes exactly one handler per LSP method, but repair (quick fixes, fix all) and test
generation both answer code action requests. Each feature adds a *provider* with the action
kinds it produces; the single registered handler asks every provider whose kinds the request's
``context.only`` admits and concatenates their answers, and the advertised ``codeActionKinds``
are the union of all providers' kinds.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

# A runtime import (not TYPE_CHECKING): pygls resolves handler annotations with get_type_hints.
from codegpt.server.server import CodegptServer

log = logging.getLogger(__name__)

CodeActionAnswer = Sequence[types.CodeAction | types.Command] | None
# Called with the request's params only; a provider that needs the server closes over it.
CodeActionProvider = Callable[
    [types.CodeActionParams], CodeActionAnswer | Awaitable[CodeActionAnswer]
]


@dataclass(frozen=True)
class _Entry:
    name: str
    kinds: tuple[str, ...]
    provider: CodeActionProvider


def kind_matches(kind: str, only: Sequence[str] | None) -> bool:
    """Whether an action of ``kind`` passes a ``context.only`` filter (LSP: by dotted prefix)."""
    if not only:
        return True
    return any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


def _kind_names(kinds: Sequence[Any]) -> tuple[str, ...]:
    """Kinds as plain strings (``CodeActionKind.Source`` -> ``"source"``)."""
    return tuple(str(getattr(kind, "value", kind)) for kind in kinds)


def _entries(server: CodegptServer) -> list[_Entry]:
    entries = getattr(server, "code_action_providers", None)
    if entries is None:
        entries = []
        server.code_action_providers = entries  # type: ignore[attr-defined]
    return entries


def add_code_action_provider(
    server: CodegptServer, name: str, kinds: Sequence[str], provider: CodeActionProvider
) -> None:
    """Offer ``provider``'s actions (of ``kinds``) through the shared handler."""
    entries = _entries(server)
    if not entries:
        _adopt_direct_registration(server, entries)
        server.feature(types.TEXT_DOCUMENT_CODE_ACTION)(code_action)
    entries.append(_Entry(name, _kind_names(kinds), provider))
    all_kinds = list(dict.fromkeys(kind for entry in entries for kind in entry.kinds))
    # Options are read when the client initializes, after every feature module registered.
    server.protocol.fm.feature_options[types.TEXT_DOCUMENT_CODE_ACTION] = types.CodeActionOptions(
        code_action_kinds=all_kinds, resolve_provider=False
    )


def _adopt_direct_registration(server: CodegptServer, entries: list[_Entry]) -> None:
    """Turn a handler a feature registered with ``server.feature`` itself into a provider.

    Keeps a feature module written before this registry working (test generation registers its
    code action directly); such a module should call :func:`add_code_action_provider` instead.
    """
    features = server.protocol.fm.features
    handler = features.pop(types.TEXT_DOCUMENT_CODE_ACTION, None)
    if handler is None:
        return
    options = server.protocol.fm.feature_options.pop(types.TEXT_DOCUMENT_CODE_ACTION, None)
    kinds = tuple(getattr(options, "code_action_kinds", None) or ())
    name = getattr(getattr(handler, "func", handler), "__module__", "code action")
    # pygls already bound the server as the first argument (functools.partial).
    entries.append(_Entry(name, _kind_names(kinds), handler))


async def code_action(
    ls: CodegptServer, params: types.CodeActionParams
) -> list[types.CodeAction | types.Command] | None:
    """Every provider's actions for the range, in registration order."""
    only = params.context.only
    actions: list[types.CodeAction | types.Command] = []
    for entry in list(_entries(ls)):
        if entry.kinds and not any(kind_matches(kind, only) for kind in entry.kinds):
            continue
        try:
            answer: Any = entry.provider(params)
            if inspect.isawaitable(answer):
                answer = await answer
        except Exception:  # one broken provider must not hide the others' actions
            log.exception("code action provider %s failed", entry.name)
            continue
        actions.extend(answer or ())
    return actions or None
