"""Publish syntax diagnostics per document, debounced, without blocking the event loop.

Each change restarts the document's timer; when it fires, the text is checked off the event loop
(``SyntaxChecks``: a thread, or a child process for big texts), and the result is published only
if the document is still open at the same version (otherwise a newer check is on its way).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types
from tree_sitter import Tree

from codegpt.server.diagnostics import SourcePosition, SyntaxProblem
from codegpt.server.documents import Document, is_python
from codegpt.server.line_index import line_starts
from codegpt.server.positions import Encoding, units

if TYPE_CHECKING:
    from codegpt.server.server import CodegptServer

log = logging.getLogger(__name__)

SOURCE = "codegpt"


def to_lsp_diagnostics(
    text: str,
    problems: list[SyntaxProblem],
    encoding: Encoding,
    starts: Sequence[int] | None = None,
) -> list[types.Diagnostic]:
    """Problems found in ``text`` as LSP diagnostics, columns in the negotiated encoding.

    ``starts`` are the text's line starts if the caller has them (a document does: finding them
    again costs ~35 ms on a 4 MB text, on the event loop).
    """
    if starts is None:
        starts = line_starts(text)

    def lsp_position(position: SourcePosition) -> types.Position:
        line_start = starts[position.line]
        prefix = text[line_start : line_start + position.column]
        return types.Position(line=position.line, character=units(prefix, encoding))

    return [
        types.Diagnostic(
            range=types.Range(start=lsp_position(p.start), end=lsp_position(p.end)),
            message=p.message,
            severity=types.DiagnosticSeverity.Error,
            source=SOURCE,
        )
        for p in problems
    ]


def _tree_copy(document: Document) -> Tree | None:
    """A copy a worker may read while the event loop edits the document's own tree."""
    tree = document.tree
    return tree.copy() if tree is not None else None


class DiagnosticsPublisher:
    """One pending check per document; a newer change cancels the older check."""

    def __init__(self, server: CodegptServer) -> None:
        self._server = server
        self._pending: dict[str, asyncio.Task[None]] = {}
        # Documents whose last published diagnostics were not empty: only those need clearing,
        # so with diagnostics off an edit sends nothing (the editor parses every message).
        self._shown: set[str] = set()

    def schedule(self, document: Document) -> None:
        """Check ``document`` after the debounce delay (or clear it if diagnostics are off)."""
        if not is_python(document.uri, document.language_id):
            return
        self.cancel(document.uri)
        if not self._server.settings.diagnostics.enable:
            self.clear(document.uri)
            return
        self._pending[document.uri] = asyncio.ensure_future(self._check_later(document.uri))

    def clear(self, uri: str) -> None:
        """Drop any pending check and remove the document's diagnostics from the editor."""
        self.cancel(uri)
        if uri not in self._shown:
            return
        self._shown.discard(uri)
        self._server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def cancel(self, uri: str) -> None:
        """Drop the pending check of ``uri``, if any."""
        pending = self._pending.pop(uri, None)
        if pending is not None:
            pending.cancel()

    async def _check_later(self, uri: str) -> None:
        await asyncio.sleep(self._server.settings.diagnostics.debounce_ms / 1000)
        document = self._server.documents.get(uri)
        if document is None:
            return
        version, text = document.version, document.text
        checks = self._server.syntax_checks
        problems = await checks.problems(uri, text, lambda: _tree_copy(document))
        current = self._server.documents.get(uri)
        if current is not document or current.version != version:
            return
        self._pending.pop(uri, None)
        log.debug("%s v%s: %d syntax problem(s)", uri, version, len(problems))
        if problems:
            self._shown.add(uri)
        else:
            self._shown.discard(uri)
        self._server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(
                uri=uri,
                version=version,
                diagnostics=to_lsp_diagnostics(
                    text, problems, document.encoding, document.line_starts()
                ),
            )
        )
