"""Whole-file syntax checks that really leave the event loop free: big texts go to a child process.

CPython's ``compile`` and tree-sitter's ``parse`` hold the GIL from start to end, so a check run in
a worker thread stops the event loop, and every completion, as surely as running it there: on a
4 MB file ``compile`` alone takes ~0.5 s, and a parse after an edit that leaves a bracket open
can take seconds. Texts of ``PROCESS_CHARS`` or more are therefore checked in one child process;
smaller ones cost a few ms and run in a thread, with the document's tree.

A text is checked once: diagnostics and repair ask for the same document text and share one
result (texts are immutable, so the object itself is the key). The fixer's own whole-file
verdicts on big texts go to the same child (``run``).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from tree_sitter import Tree

from codegpt.server.diagnostics import SyntaxProblem, syntax_problems

log = logging.getLogger(__name__)

T = TypeVar("T")

# ~5,000 lines: below this ``compile`` holds the GIL for ~25 ms at most, and a thread can reuse the
# document's tree; the child process (a second interpreter, started on first use) is for the rest.
PROCESS_CHARS = 200_000
# Verdicts of ``run`` kept for the same function on the same big text: the fixer asks twice for
# a text's full check (its quick fixes, then "fix all" on the same text), 1.5 s each on 3.6 MB.
RECENT_RUNS = 4


def _child_setup(parent: int) -> None:
    """In the child: keep the parent's stdout (LSP) clean, and end when the parent does.

    A server killed outright (SIGKILL, a crashed editor) would otherwise leave the child waiting
    for work forever: nothing closes its end of the queue.
    """
    os.dup2(2, 1)
    watch = threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True)
    watch.start()


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


class SyntaxChecks:
    """The latest check of each document's text; big texts are checked in a child process."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._latest: dict[str, tuple[str, asyncio.Future[list[SyntaxProblem]]]] = {}
        self._recent: list[tuple[Callable[[str], object], str, object]] = []

    async def problems(
        self, uri: str, text: str, tree: Callable[[], Tree | None] | None = None
    ) -> list[SyntaxProblem]:
        """Syntax problems of ``text`` (empty when Python compiles it), computed once per text.

        ``tree`` gives a copy of the document's current tree for ``text``; it is called (on the
        event loop) only for texts checked in a thread, where it saves a parse.
        """
        latest = self._latest.get(uri)
        if latest is not None and latest[0] is text and not _failed(latest[1]):
            future = latest[1]
        else:
            if len(text) >= PROCESS_CHARS and not self._closed:
                check = self._in_process(text)
            else:  # the tree is taken now, while it still belongs to ``text``
                check = self._in_thread(text, tree() if tree is not None else None)
            future = asyncio.ensure_future(check)
            self._latest[uri] = (text, future)
        # Shielded: a caller that is cancelled (a newer edit) must not cancel the others' result.
        return await asyncio.shield(future)

    def run(self, function: Callable[[str], T], text: str) -> T:
        """``function(text)`` for a worker thread: in the child process when the text is big.

        The calling thread waits without holding the GIL, so the event loop runs meanwhile.
        ``function`` must be a module-level function (it is pickled by name).
        """
        if len(text) < PROCESS_CHARS or self._closed:
            return function(text)
        with self._lock:
            for known_function, known_text, result in self._recent:
                if known_function is function and known_text is text:  # texts are immutable
                    return result  # type: ignore[return-value]
        try:
            result = self._process_pool().submit(function, text).result()
        except (BrokenProcessPool, RuntimeError):  # died, or shut down under us: do it here
            log.warning("the syntax check process is gone; checking in this thread")
            self._drop_pool()
            return function(text)
        with self._lock:
            self._recent = [(function, text, result), *self._recent[: RECENT_RUNS - 1]]
        return result

    def forget(self, uri: str) -> None:
        """Drop a closed document's result."""
        self._latest.pop(uri, None)

    def close(self) -> None:
        """Stop the child process (queued checks are dropped); later checks run in threads."""
        self._closed = True
        self._drop_pool()

    def _drop_pool(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    async def _in_process(self, text: str) -> list[SyntaxProblem]:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._process_pool(), syntax_problems, text)
        except (BrokenProcessPool, RuntimeError):
            # The child died (killed, out of memory) or was shut down: this text in a thread.
            log.warning("the syntax check process is gone; checking this text in a thread")
            self._drop_pool()
            return await self._in_thread(text, None)

    @staticmethod
    async def _in_thread(text: str, tree: Tree | None) -> list[SyntaxProblem]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, syntax_problems, text, tree)

    def _process_pool(self) -> ProcessPoolExecutor:
        with self._lock:  # the event loop and the repair thread both ask
            if self._pool is None:
                # spawn, not fork: the server has threads (inference, repair), which fork would
                # copy in whatever state they are in.
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_child_setup,
                    initargs=(os.getpid(),),
                )
            return self._pool


def _failed(future: asyncio.Future[list[SyntaxProblem]]) -> bool:
    return future.done() and (future.cancelled() or future.exception() is not None)
