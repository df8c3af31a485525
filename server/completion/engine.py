"""Completion without LSP types: prepare on the caller's thread, infer on the model's, finish.

The server and ``codegpt complete`` share this code path. Each request has three steps so the
server can keep the event loop free: ``prepare_*`` (context, prompt, caches; needs the document,
so it runs where the document lives), ``infer_*`` (the model; runs on the inference thread and
can be cancelled between decode steps) and ``finish_*`` (postprocessing, remembering what was
shown).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Tree

from codegpt.model.fim import format_spm_prompt
from codegpt.model.generation import GenerateOptions, Generation
from codegpt.model.healing import HealedPrompt, Vocabulary, heal
from codegpt.model.kv_cache import KVCache
from codegpt.model.runtime import CodeModel
from codegpt.server.completion.cache import LRU, ShownSuggestion, typed_ahead
from codegpt.server.completion.candidates import Candidate, NameSource, list_candidates, scope_names
from codegpt.server.completion.policy import (
    InlineMode,
    block_stop,
    inline_mode,
    single_line_stop,
    stop_at_loops,
    suppression_reason,
)
from codegpt.server.completion.postprocess import CursorLine, PostprocessOptions, postprocess
from codegpt.server.completion.prompt import CompletionPrompt, PromptBudget, build_prompt, normalise
from codegpt.server.context_focus import ByteRegion
from codegpt.server.context_window import CachedTokenCounter, PromptWindow
from codegpt.server.settings import CompletionSettings

log = logging.getLogger(__name__)

Cancelled = Callable[[], bool]
MAX_BLOCK_LINES = 12
SINGLE_LINE_MAX_TOKENS = 32  # a line of code rarely needs more; fewer steps, less latency
LIST_SIZE = 100  # every name in scope fits when nothing is typed yet; clients filter as one types


@dataclass(frozen=True)
class DocumentView:
    """What completion reads of a document: its text, its tree and where it lives."""

    uri: str
    text: str
    tree: Tree | None
    version: int = 0
    open_documents: Mapping[str, str] | None = None
    workspace_root: str | Path | None = None
    # The text's line starts when the caller keeps them (saves a scan of a huge document).
    line_starts: Sequence[int] | None = None
    # The part of a huge document ``tree`` was parsed from (``Document.focus``); None: all of it.
    region: ByteRegion | None = None


@dataclass
class InlineAnswer:
    """The result of an inline request: suggestions (maybe none) and how they were obtained."""

    texts: list[str]
    offset: int  # str offset of the cursor; every suggestion is inserted there
    source: str  # model, cache, typed_ahead, suppressed, no_model
    reason: str | None = None  # why nothing is shown
    mean_logprob: float | None = None
    mode: InlineMode | None = None
    prompt_tokens: int = 0


@dataclass
class InlinePlan:
    """A prepared inline request that needs the model."""

    view: DocumentView
    offset: int
    mode: InlineMode
    prompt: CompletionPrompt
    healed: HealedPrompt
    cursor_line: CursorLine
    key: tuple
    max_new_tokens: int
    eol: str
    alternatives: int = 1  # suggestions to return: > 1 for an explicitly invoked request
    beam_width: int = 1  # sequences searched (>= alternatives); 1 is greedy decoding


@dataclass
class ListPlan:
    """A prepared completion-list request."""

    view: DocumentView
    offset: int
    partial: str
    healed: HealedPrompt
    names: list[NameSource]
    key: tuple
    proposals: int = 8  # how many words the model proposes beyond the names in scope


@dataclass
class ListAnswer:
    """Ranked candidates; ``incomplete`` when typing on should ask again."""

    candidates: list[Candidate]
    offset: int
    partial: str
    incomplete: bool
    source: str = "model"


@dataclass
class _ModelState:
    """What the engine derives from one loaded model."""

    model: CodeModel
    vocabulary: Vocabulary
    count_tokens: CachedTokenCounter
    kv: LRU[str, KVCache] = field(default_factory=lambda: LRU(8))


class CompletionEngine:
    """Caches and the three steps of inline and list completion."""

    def __init__(self) -> None:
        self._state: _ModelState | None = None
        self._results: LRU[tuple, InlineAnswer] = LRU(256)
        self._lists: LRU[tuple, ListAnswer] = LRU(64)
        self._shown: dict[str, ShownSuggestion] = {}
        self._extra: dict[str, dict[tuple, str]] = {}
        # Each document's last prompt window: typing keeps its start (``cut_window``'s previous).
        self._windows: dict[str, PromptWindow] = {}

    # ------------------------------------------------------------------ model-derived state
    def state(self, model: CodeModel) -> _ModelState:
        """Vocabulary, token counter and KV caches for ``model`` (rebuilt when it changes)."""
        if self._state is None or self._state.model is not model:
            self._state = _ModelState(
                model=model,
                vocabulary=model.vocabulary,
                count_tokens=CachedTokenCounter(lambda text: len(model.encode(text))),
            )
            self._results.clear()
            self._lists.clear()
            self._shown.clear()
        return self._state

    def kv_cache(self, model: CodeModel, uri: str) -> KVCache:
        """The document's KV cache (one per recently used document)."""
        state = self.state(model)
        cache = state.kv.get(uri)
        if cache is None:
            cache = KVCache()
            state.kv.put(uri, cache)
        return cache

    def forget(self, uri: str) -> None:
        """Drop what is kept for a closed document."""
        self._shown.pop(uri, None)
        self._extra.pop(uri, None)
        self._windows.pop(uri, None)
        if self._state is not None:
            self._state.kv.pop(uri)

    def _prompt(
        self,
        model: CodeModel,
        view: DocumentView,
        offset: int,
        settings: CompletionSettings,
        max_new_tokens: int,
    ) -> CompletionPrompt:
        state = self.state(model)
        budget = PromptBudget.fit(settings, model.max_context, max_new_tokens)
        prompt = build_prompt(
            view.text,
            offset,
            budget,
            state.count_tokens,
            tree=view.tree,
            document=view.uri,
            open_documents=view.open_documents,
            workspace_root=view.workspace_root,
            extra_cache=self._extra.setdefault(view.uri, {}),
            line_starts=view.line_starts,
            region=view.region,
            previous_window=self._windows.get(view.uri),
        )
        self._windows[view.uri] = prompt.context.window
        return prompt

    def _fit_ids(
        self, model: CodeModel, prompt: CompletionPrompt, max_new_tokens: int
    ) -> list[int]:
        """Prompt ids within the model's context.

        Each part was cut to its budget, but tokens at the joins can differ from the per-part
        counts; when the whole is still too long, the notes go, then the prefix's first lines.
        """
        limit = model.max_context - max_new_tokens - 1
        ids = model.encode(prompt.text)
        prefix, extra = prompt.prefix, prompt.extra
        while len(ids) > limit:
            if not extra and not prefix:
                return ids[len(ids) - limit :]
            if extra:
                extra = ""
            elif "\n" in prefix:
                prefix = prefix.split("\n", 1)[1]
            else:
                prefix = prefix[len(prefix) // 2 :]
            ids = model.encode(format_spm_prompt(extra + prefix, prompt.suffix))
        return ids

    # ------------------------------------------------------------------ inline
    def prepare_inline(
        self,
        model: CodeModel,
        view: DocumentView,
        offset: int,
        settings: CompletionSettings,
        *,
        alternatives: int = 1,
    ) -> InlinePlan | InlineAnswer:
        """Decide whether to suggest, build the prompt, and answer from the caches if possible.

        ``alternatives`` > 1 asks for that many different suggestions at most (an explicitly
        invoked request: the user is waiting for choices, not typing on). They come from a beam
        of that width, or of ``settings.beam_width`` when wider.
        """
        alternatives = max(1, alternatives)
        beam_width = max(alternatives, settings.beam_width)
        state = self.state(model)
        max_new = max(1, settings.max_tokens)
        prompt = self._prompt(model, view, offset, settings, max_new)
        position = prompt.context.position
        offset = prompt.context.offset
        reason = suppression_reason(position)
        if reason is not None:
            return InlineAnswer([], offset, "suppressed", reason=reason)
        mode = inline_mode(position, settings.multi_line)
        if mode is InlineMode.SINGLE_LINE:
            max_new = min(max_new, SINGLE_LINE_MAX_TOKENS)
        following = prompt.suffix.split("\n", 1)[1] if "\n" in prompt.suffix else ""
        cursor_line = CursorLine(
            before=normalise(position.line_prefix),
            after=normalise(position.text_after_cursor),
            following=following,
        )
        rest = typed_ahead(self._shown.get(view.uri), prompt.prefix, prompt.suffix)
        if rest is not None and alternatives == 1:
            shown = self._shown[view.uri]
            return InlineAnswer(
                [self._to_document(rest, view)],
                offset,
                "typed_ahead",
                mean_logprob=shown.mean_logprob,
                mode=mode,
            )
        key = (mode, prompt.text, max_new, settings.confidence_threshold, alternatives, beam_width)
        cached = self._results.get(key)
        if cached is not None:
            answer = InlineAnswer(
                list(cached.texts),
                offset,
                "cache",
                cached.reason,
                cached.mean_logprob,
                mode,
                cached.prompt_tokens,
            )
            self._remember(view.uri, prompt, answer)
            return answer
        ids = self._fit_ids(model, prompt, max_new)
        return InlinePlan(
            view=view,
            offset=offset,
            mode=mode,
            prompt=prompt,
            healed=heal(ids, state.vocabulary),
            cursor_line=cursor_line,
            key=key,
            max_new_tokens=max_new,
            alternatives=alternatives,
            beam_width=beam_width,
            eol="\r\n" if "\r\n" in view.text[max(0, offset - 4000) : offset + 4000] else "\n",
        )

    def infer_inline(
        self,
        model: CodeModel,
        plan: InlinePlan,
        *,
        deadline: float | None = None,
        cancelled: Cancelled | None = None,
    ) -> list[Generation]:
        """Run the model for a plan (on the inference thread): one sequence, or a beam's best."""
        if plan.mode is InlineMode.MULTI_LINE:
            indent = len(plan.cursor_line.before.expandtabs(8))
            stop = stop_at_loops(block_stop(max(1, indent), MAX_BLOCK_LINES))
        else:
            stop = stop_at_loops(single_line_stop)
        options = GenerateOptions(
            max_new_tokens=plan.max_new_tokens,
            num_return_sequences=plan.beam_width,
            rank="mean",  # a beam's best: the likeliest per token first, not the shortest
            stop_rule=stop,
            healed=plan.healed.healed,
            cancelled=cancelled,
            time_budget_s=None if deadline is None else max(0.0, deadline - time.perf_counter()),
        )
        return model.generate(plan.healed.ids, options, self.kv_cache(model, plan.view.uri))

    def finish_inline(
        self, plan: InlinePlan, generations: list[Generation], settings: CompletionSettings
    ) -> InlineAnswer:
        """Postprocess the model's sequences into suggestions (distinct, best first)."""
        prompt_tokens = len(plan.healed.ids)
        best = generations[0] if generations else None
        if best is None or any(g.finish_reason == "cancelled" for g in generations):
            return InlineAnswer(
                [], plan.offset, "model", "cancelled", mode=plan.mode, prompt_tokens=prompt_tokens
            )
        options = PostprocessOptions(
            multi_line=plan.mode is InlineMode.MULTI_LINE,
            max_lines=MAX_BLOCK_LINES,
            min_mean_logprob=settings.confidence_threshold,
        )
        suggestions = []
        for generation in generations:
            suggestion = postprocess(
                generation.text, generation.mean_logprob, plan.cursor_line, options
            )
            if suggestion is not None and all(s.text != suggestion.text for s in suggestions):
                suggestions.append(suggestion)
            if len(suggestions) == plan.alternatives:
                break
        if not suggestions:
            reason = (
                "low confidence"
                if best.mean_logprob < settings.confidence_threshold
                else "nothing useful"
            )
            answer = InlineAnswer(
                [], plan.offset, "model", reason, best.mean_logprob, plan.mode, prompt_tokens
            )
        else:
            answer = InlineAnswer(
                [suggestion.text for suggestion in suggestions],
                plan.offset,
                "model",
                None,
                suggestions[0].mean_logprob,
                plan.mode,
                prompt_tokens,
            )
        if all(g.finish_reason != "time" for g in generations):  # cut short: not served again
            self._results.put(plan.key, answer)
        self._remember(plan.view.uri, plan.prompt, answer)
        answer.texts = [self._to_document(text, plan.view, plan.eol) for text in answer.texts]
        return answer

    def _remember(self, uri: str, prompt: CompletionPrompt, answer: InlineAnswer) -> None:
        if answer.texts:
            self._shown[uri] = ShownSuggestion(
                prompt.prefix,
                prompt.suffix,
                normalise(answer.texts[0]),
                answer.mean_logprob or 0.0,
            )
        else:
            self._shown.pop(uri, None)

    @staticmethod
    def _to_document(text: str, view: DocumentView, eol: str | None = None) -> str:
        """Line breaks as the document writes them."""
        if eol is None:
            eol = "\r\n" if "\r\n" in view.text else "\n"
        return text.replace("\n", eol) if eol != "\n" else text

    def complete_inline(
        self,
        model: CodeModel,
        view: DocumentView,
        offset: int,
        settings: CompletionSettings,
        *,
        time_budget_s: float | None = None,
        alternatives: int = 1,
    ) -> InlineAnswer:
        """All three steps in the calling thread (``codegpt complete``, benchmarks)."""
        plan = self.prepare_inline(model, view, offset, settings, alternatives=alternatives)
        if isinstance(plan, InlineAnswer):
            return plan
        deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
        decoded = self.infer_inline(model, plan, deadline=deadline)
        return self.finish_inline(plan, decoded, settings)

    # ------------------------------------------------------------------ completion list
    def prepare_list(
        self,
        model: CodeModel,
        view: DocumentView,
        offset: int,
        settings: CompletionSettings,
    ) -> ListPlan | ListAnswer:
        """Prompt and scope names for a completion list (an empty answer where none fits)."""
        state = self.state(model)
        prompt = self._prompt(model, view, offset, settings, 8)
        position = prompt.context.position
        offset = prompt.context.offset
        partial = position.partial_word
        # Nothing typed and no '.': the user asked for the list (Ctrl+Space; '.' is the only
        # trigger character), so offer what may start here: names in scope ranked by the model.
        if position.in_comment or position.in_string:
            return ListAnswer([], offset, partial, incomplete=False, source="suppressed")
        names = scope_names(prompt.context, partial)
        key = (prompt.text, tuple(n.word for n in names))
        cached = self._lists.get(key)
        if cached is not None:
            return ListAnswer(cached.candidates, offset, partial, cached.incomplete, "cache")
        ids = self._fit_ids(model, prompt, 8)
        # With nothing typed the model's own words are mostly names that exist nowhere: rank the
        # names in scope instead. After '.' or mid-word its words are the point.
        proposals = 8 if partial or position.after_dot else 0
        return ListPlan(view, offset, partial, heal(ids, state.vocabulary), names, key, proposals)

    def infer_list(
        self,
        model: CodeModel,
        plan: ListPlan,
        *,
        deadline: float | None = None,
        cancelled: Cancelled | None = None,
    ) -> ListAnswer:
        """Rank candidates with the model (on the inference thread)."""
        state = self.state(model)
        candidates, cut_short = list_candidates(
            model,
            state.vocabulary,
            plan.healed,
            plan.partial,
            plan.names,
            cache=self.kv_cache(model, plan.view.uri),
            model_count=plan.proposals,
            deadline=deadline,
            cancelled=cancelled,
        )
        incomplete = cut_short or len(candidates) > LIST_SIZE
        answer = ListAnswer(candidates[:LIST_SIZE], plan.offset, plan.partial, incomplete)
        if not cut_short:
            self._lists.put(plan.key, answer)
        return answer

    def complete_list(
        self,
        model: CodeModel,
        view: DocumentView,
        offset: int,
        settings: CompletionSettings,
        *,
        time_budget_s: float | None = None,
    ) -> ListAnswer:
        """Both list steps in the calling thread."""
        plan = self.prepare_list(model, view, offset, settings)
        if isinstance(plan, ListAnswer):
            return plan
        deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
        return self.infer_list(model, plan, deadline=deadline)
