"""Run the fixer for the editor: off the event loop, once per document version, with the model.

The fixer is CPU work (``compile()`` over and over) plus, with a model, inference. It runs on a
one-thread executor of its own so a slow repair never blocks the event loop or piles up on the
machine's few cores, and its model calls are sent to the shared inference thread of
:mod:`codegpt.server.model_service` so repair and completion never run inference at once.
Results are kept per document version (and model), so the lightbulb, the quick-fix menu and a
fix-all on save for the same text cost one run.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from codegpt.server.diagnostics import SyntaxProblem
from codegpt.server.documents import Document
from codegpt.server.repair.fixer import Fix, Fixer, FixerOptions, FixResult
from codegpt.server.syntax_checks import SyntaxChecks

log = logging.getLogger(__name__)

T = TypeVar("T")

QUICK_FIX_BUDGET_S = 2.0  # a code action the user is waiting for; the lightbulb asks often
FIX_FILE_BUDGET_S = 10.0  # an explicit command on the whole file may take longer
QUICK_FIX_LIMIT = 3  # alternatives for one error; more is noise in a menu
# Longest wait for one inference call queued behind completion; past it, the fixer goes on
# without the model's opinion rather than hold the repair thread.
INFERENCE_TIMEOUT_S = 15.0


class InferenceThreadRepairer:
    """The model's Scorer and Proposer, with every call run on the shared inference thread.

    Called from the repair thread; a model failure or time-out degrades to "no opinion"
    (no proposals, unscored candidates), so the fixer still offers its verified edit search.
    """

    def __init__(self, repairer: Any, run: Callable[[Callable[[], Any]], Any]) -> None:
        self._repairer = repairer
        self._run = run

    def _call(self, function: Callable[[], T], fallback: T) -> T:
        try:
            return self._run(function)
        except FutureTimeout:
            log.warning("repair: model call timed out after %.0f s", INFERENCE_TIMEOUT_S)
        except Exception:  # onnxruntime failure, closed loop: repair goes on without the model
            log.warning("repair: model call failed", exc_info=True)
        return fallback

    def score(self, broken_window: str, fixed_windows: Sequence[str]) -> list[float]:
        """Log-likelihood of each fixed window (``-inf`` for all when the model fails)."""
        fallback = [-math.inf] * len(fixed_windows)
        return self._call(lambda: self._repairer.score(broken_window, fixed_windows), fallback)

    def propose(self, broken_window: str, n: int, time_budget_s: float) -> list[str]:
        """The model's own fixed windows (none when the model fails)."""
        return self._call(lambda: self._repairer.propose(broken_window, n, time_budget_s), [])


def _fix_from_quick(fixer: Fixer, text: str, quick: list[Fix] | None) -> FixResult:
    """The whole-file fix; reuses the best quick fix when it alone makes the file parse.

    That is exactly what :meth:`Fixer.fix` would do first (same search, same ranking), so the
    lightbulb's work is not repeated for a fix-all on the same text.
    """
    if quick and quick[0].parses and len(quick[0].edits) == 1:
        best = quick[0]
        return FixResult(text, best.apply(text), (best,), True)
    return fixer.fix(text)


def _finished(future: asyncio.Future[T] | None) -> T | None:
    """The result of a future that completed successfully, else None."""
    if future is None or not future.done() or future.cancelled() or future.exception():
        return None
    return future.result()


class DocumentRepair:
    """Repair results for one document version, each computed at most once, on demand."""

    def __init__(
        self,
        document: Document,
        fixer: Fixer,
        executor: ThreadPoolExecutor,
        model_key: int,
        checks: SyntaxChecks,
    ) -> None:
        self.uri = document.uri
        self.version = document.version
        self.text = document.text
        self.model_key = model_key
        self._fixer = fixer
        self._executor = executor
        self._checks = checks
        self._futures: dict[str, asyncio.Future[Any]] = {}

    def _once(self, name: str, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        future = self._futures.get(name)
        if future is None or (future.done() and _finished(future) is None):
            loop = asyncio.get_running_loop()
            future = loop.run_in_executor(self._executor, function, *args)
            self._futures[name] = future
        return future

    async def _await(self, future: asyncio.Future[T]) -> T:
        # Shielded: a cancelled request must not cancel the result other requests share.
        return await asyncio.shield(future)

    async def problems(self) -> list[SyntaxProblem]:
        """The document's syntax problems, the same check (and result) diagnostics use."""
        return await self._checks.problems(self.uri, self.text)

    async def quick_fixes(self) -> list[Fix]:
        """Verified alternatives for the first error, best first; [] when the text compiles."""
        if not await self.problems():
            return []
        future = self._once("quick", self._fixer.quick_fixes, self.text, QUICK_FIX_LIMIT)
        return await self._await(future)

    async def fix_all(self) -> FixResult:
        """The whole-file fix with the quick-fix budget."""
        if not await self.problems():
            # What the fixer would say, without compiling a text that is known to compile on
            # the repair thread (where, holding the GIL, a big file's compile stalls the loop).
            return FixResult(self.text, self.text, (), True)
        known = _finished(self._futures.get("quick"))
        future = self._once("all", _fix_from_quick, self._fixer, self.text, known)
        return await self._await(future)


class RepairService:
    """Per server: the repair thread, the model as a repairer, and per-document results."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="codegpt-repair")
        self._repairs: dict[str, DocumentRepair] = {}
        self._repairers: dict[int, InferenceThreadRepairer] = {}
        self._loading: asyncio.Future[Any] | None = None

    async def repairer(self, wait: bool) -> tuple[InferenceThreadRepairer | None, int]:
        """The shared model as a repairer and a key that changes when the model does.

        With ``wait`` the model is loaded if needed (an explicit command); without, a model not
        loaded yet is loaded in the background and this request does without it (a code action
        should not wait seconds for a first load).
        """
        try:
            from codegpt.server.model_service import server_model_service
        except ImportError:  # no model runtime installed: the edit search alone still works
            log.info("repair without a model: the model runtime is not available", exc_info=True)
            return None, -1
        service = server_model_service(self._server)
        if wait:
            model = await service.model()
        else:
            model = service.loaded
            if model is None and (self._loading is None or self._loading.done()):
                self._loading = asyncio.ensure_future(service.model())
        if model is None:
            return None, -1
        key = service.generation
        repairer = self._repairers.get(key)
        if repairer is None:
            from codegpt.server.repair.scoring import ModelRepairer

            loop = asyncio.get_running_loop()

            def on_inference_thread(function: Callable[[], T]) -> T:
                future = asyncio.run_coroutine_threadsafe(service.run(function), loop)
                return future.result(timeout=INFERENCE_TIMEOUT_S)

            repairer = InferenceThreadRepairer(ModelRepairer(model), on_inference_thread)
            self._repairers = {key: repairer}  # only the current model's
        return repairer, key

    def fixer(self, repairer: InferenceThreadRepairer | None, budget_s: float) -> Fixer:
        """A fixer with the model (when there is one) and a time budget.

        Its whole-file checks of big texts run in the syntax-check process (``SyntaxChecks.run``).
        """
        return Fixer(
            FixerOptions(time_budget_s=budget_s),
            scorer=repairer,
            proposer=repairer,
            run_check=self._server.syntax_checks.run,
        )

    async def for_document(self, document: Document) -> DocumentRepair:
        """The results holder for the document's current version (and the current model)."""
        repairer, model_key = await self.repairer(wait=False)
        self._forget_closed()
        current = self._repairs.get(document.uri)
        if (
            current is not None
            and current.version == document.version
            and current.text == document.text
            and current.model_key == model_key
        ):
            return current
        fixer = self.fixer(repairer, QUICK_FIX_BUDGET_S)
        repair = DocumentRepair(
            document, fixer, self._executor, model_key, self._server.syntax_checks
        )
        self._repairs[document.uri] = repair
        return repair

    async def fix_text(self, text: str, budget_s: float = FIX_FILE_BUDGET_S) -> FixResult:
        """Fix a whole text with the model (loaded if needed), on the repair thread."""
        repairer, _ = await self.repairer(wait=True)
        fixer = self.fixer(repairer, budget_s)
        loop = asyncio.get_running_loop()
        return await asyncio.shield(loop.run_in_executor(self._executor, fixer.fix, text))

    def _forget_closed(self) -> None:
        for uri in list(self._repairs):
            if self._server.documents.get(uri) is None:
                del self._repairs[uri]


def repair_service(server: Any) -> RepairService:
    """The server's repair service, created on first use."""
    service = getattr(server, "repair_service", None)
    if service is None:
        service = RepairService(server)
        server.repair_service = service
    return service
