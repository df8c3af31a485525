"""Completion requests over LSP: supersession, cancellation, time budgets and LSP types.

One ``CompletionService`` per server. A newer request for the same document supersedes the older
one (its decode loop stops at the next step), ``$/cancelRequest`` cancels the handler's task and
the same flag stops the inference thread, and a request whose document changed while it waited
answers with nothing: a suggestion for old text would land in the wrong place.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lsprotocol import types

from codegpt.server.completion.engine import (
    CompletionEngine,
    DocumentView,
    InlineAnswer,
    ListAnswer,
    ListPlan,
)
from codegpt.server.context_focus import LARGE_DOCUMENT_CHARS
from codegpt.server.documents import Document
from codegpt.server.model_service import ModelService, server_model_service
from codegpt.server.settings import CompletionSettings

log = logging.getLogger(__name__)

_KINDS = {
    "function": types.CompletionItemKind.Function,
    "method": types.CompletionItemKind.Method,
    "class": types.CompletionItemKind.Class,
    "variable": types.CompletionItemKind.Variable,
    "attribute": types.CompletionItemKind.Field,
    "module": types.CompletionItemKind.Module,
    "keyword": types.CompletionItemKind.Keyword,
    "builtin": types.CompletionItemKind.Function,
}


_PlanT = TypeVar("_PlanT")
_DecodedT = TypeVar("_DecodedT")
_AnswerT = TypeVar("_AnswerT")


@dataclass(frozen=True)
class _Steps(Generic[_PlanT, _DecodedT, _AnswerT]):
    """What differs between request kinds: the engine's three steps and the answer type."""

    answer_type: type[_AnswerT]
    prepare: Callable[[Any, DocumentView, int, CompletionSettings], _PlanT | _AnswerT]
    infer: Callable[..., _DecodedT]  # (model, plan, *, deadline, cancelled) on the model thread
    finish: Callable[[_PlanT, _DecodedT, CompletionSettings], _AnswerT]


def _ranked(plan: ListPlan, answer: ListAnswer, settings: CompletionSettings) -> ListAnswer:
    """A list needs no finishing: inference already ranked and cached the candidates."""
    return answer


def document_view(
    document: Document,
    offset: int,
    open_documents: dict[str, str] | None = None,
    workspace_root: str | None = None,
) -> DocumentView:
    """What completion at str ``offset`` reads of ``document``.

    A huge document gives only the tree of the region around the cursor (``Document.focus``): the
    whole file's reparse after an edit costs 30-500 ms, the region's a few. Smaller documents give
    their whole tree, which every other feature shares.
    """
    tree, region = None, None
    if len(document.text) <= LARGE_DOCUMENT_CHARS:
        tree = document.tree
    elif (focus := document.focus(offset)) is not None:
        tree, region = focus.tree, focus.region
    return DocumentView(
        document.uri,
        document.text,
        tree,
        document.version,
        open_documents,
        workspace_root,
        document.line_starts(),
        region,
    )


class CompletionService:
    """The server's completion state: the engine, its caches and the requests in flight."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.engine = CompletionEngine()
        self._inflight: dict[tuple[str, str], threading.Event] = {}

    @property
    def models(self) -> ModelService:
        """The shared model holder."""
        return server_model_service(self.server)

    def _view(self, document: Document, offset: int) -> DocumentView:
        others = {d.uri: d.text for d in self.server.documents if d.uri != document.uri}
        root = getattr(self.server.workspace, "root_path", None)
        return document_view(document, offset, others, root)

    def _supersede(self, kind: str, uri: str) -> threading.Event:
        """A fresh cancel flag for this request; the previous one for the document is set."""
        previous = self._inflight.get((kind, uri))
        if previous is not None:
            previous.set()
        flag = threading.Event()
        self._inflight[(kind, uri)] = flag
        return flag

    def _release(self, kind: str, uri: str, flag: threading.Event) -> None:
        if self._inflight.get((kind, uri)) is flag:
            del self._inflight[(kind, uri)]

    def _finish_status(self, started: float) -> None:
        self.models.last_latency_ms = 1000 * (time.perf_counter() - started)
        self.models.send_status_soon()

    async def _ready(self, uri: str) -> tuple[Any, Document] | None:
        """The model and the (still open, Python) document, or None."""
        document = self.server.documents.get(uri)
        if document is None or not document.has_tree:
            return None
        model = await self.models.model()
        if model is None:
            return None
        document = self.server.documents.get(uri)  # it may have closed while the model loaded
        if document is None or not document.has_tree:
            return None
        return model, document

    async def _answer(
        self,
        kind: str,
        uri: str,
        position: types.Position,
        steps: _Steps[_PlanT, _DecodedT, _AnswerT],
    ) -> tuple[Document, _AnswerT] | None:
        """Run one request's prepare, infer and finish steps; None when it has nothing to say.

        Inline and list requests share every rule of the flow (settings, supersession, deadline,
        cancellation, dropping answers for a changed document); keeping it in one place keeps
        those rules the same for both. ``steps.answer_type`` tells an answer that ``prepare``
        could give alone (cache, suppression) from a plan that needs the model.
        """
        settings = self.server.settings.completion
        if not settings.enable:
            return None
        started = time.perf_counter()
        ready = await self._ready(uri)
        if ready is None:
            return None
        model, document = ready
        version = document.version
        offset = document.offset_at((position.line, position.character))
        flag = self._supersede(kind, uri)
        try:
            plan = steps.prepare(model, self._view(document, offset), offset, settings)
            if isinstance(plan, steps.answer_type):
                answer = plan
            else:
                deadline = started + settings.time_budget_ms / 1000
                infer = functools.partial(
                    steps.infer, model, plan, deadline=deadline, cancelled=flag.is_set
                )
                decoded = await self.models.run(infer)
                document = self.server.documents.get(uri)
                if flag.is_set() or document is None or document.version != version:
                    return None
                answer = steps.finish(plan, decoded, settings)
        except asyncio.CancelledError:
            flag.set()
            raise
        finally:
            self._release(kind, uri, flag)
        self._finish_status(started)
        return document, answer

    # ------------------------------------------------------------------ inline
    async def inline(
        self, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        """Ghost text at the cursor, or None."""
        invoked = (
            params.context is not None
            and params.context.trigger_kind == types.InlineCompletionTriggerKind.Invoked
        )
        alternatives = self.server.settings.completion.alternatives if invoked else 1
        steps = _Steps(
            InlineAnswer,
            functools.partial(self.engine.prepare_inline, alternatives=alternatives),
            self.engine.infer_inline,
            self.engine.finish_inline,
        )
        uri = params.text_document.uri
        result = await self._answer("inline", uri, params.position, steps)
        if result is None:
            return None
        document, answer = result
        log.debug("inline %s: %s %s", uri, answer.source, answer.reason or "")
        if not answer.texts:
            return types.InlineCompletionList(items=[])
        line, character = document.position_at(answer.offset)
        here = types.Position(line, character)
        return types.InlineCompletionList(
            items=[
                types.InlineCompletionItem(insert_text=text, range=types.Range(here, here))
                for text in answer.texts
            ]
        )

    # ------------------------------------------------------------------ completion list
    async def completion(self, params: types.CompletionParams) -> types.CompletionList | None:
        """Identifier and member candidates at the cursor, ranked by the model."""
        steps = _Steps(ListAnswer, self.engine.prepare_list, self.engine.infer_list, _ranked)
        result = await self._answer("list", params.text_document.uri, params.position, steps)
        if result is None:
            return None
        return self._completion_list(*result)

    @staticmethod
    def _completion_list(document: Document, answer: ListAnswer) -> types.CompletionList:
        start = document.position_at(answer.offset - len(answer.partial))
        end = document.position_at(answer.offset)
        edit_range = types.Range(types.Position(*start), types.Position(*end))
        items = [
            types.CompletionItem(
                label=candidate.word,
                kind=_KINDS.get(candidate.kind or "", types.CompletionItemKind.Text),
                detail=candidate.detail,
                sort_text=f"{rank:04d}",
                filter_text=candidate.word,
                text_edit=types.TextEdit(range=edit_range, new_text=candidate.word),
                data={"logprob": round(candidate.logprob, 3), "source": candidate.source},
            )
            for rank, candidate in enumerate(answer.candidates)
        ]
        return types.CompletionList(is_incomplete=answer.incomplete, items=items)


def completion_service(server: Any) -> CompletionService:
    """The server's completion service, created on first use."""
    service = getattr(server, "completion_service", None)
    if service is None:
        service = CompletionService(server)
        server.completion_service = service
    return service
