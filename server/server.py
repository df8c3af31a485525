"""The codegpt language server: state on one ``LanguageServer`` subclass, thin handlers.

Handlers take the server as their first parameter (``ls``) and delegate to modules that do the
work. A later feature (completion, repair, test generation) adds a module with a
``register(server)`` function and names it in ``FEATURE_MODULES``.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from codegpt import __version__
from codegpt.server.diagnostics_publisher import DiagnosticsPublisher
from codegpt.server.documents import Document, DocumentStore, TextChange
from codegpt.server.model_service import server_model_service
from codegpt.server.positions import UTF16, Encoding
from codegpt.server.protocol import CodegptProtocol
from codegpt.server.settings import SECTION, Settings, settings_from_json
from codegpt.server.syntax_checks import SyntaxChecks

log = logging.getLogger(__name__)

# Modules under codegpt.server that expose register(server: CodegptServer) -> None.
FEATURE_MODULES: tuple[str, ...] = (
    "document_state",
    "testgen_feature",
    "completion.handlers",
    "repair_feature",
)

_ENCODINGS: dict[str, Encoding] = {"utf-8": "utf-8", "utf-16": "utf-16", "utf-32": "utf-32"}


class CodegptServer(LanguageServer):
    """Server state: open documents, settings and which model to load."""

    def __init__(self, model_path: str | None = None) -> None:
        super().__init__(
            name="codegpt",
            version=__version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=CodegptProtocol,
        )
        self.model_path = model_path
        self.settings = Settings()
        self.documents = DocumentStore()
        self.syntax_checks = SyntaxChecks()
        self.diagnostics = DiagnosticsPublisher(self)
        # ModelService.preload once initialized (held: a task nobody references can be collected).
        self.preloading: asyncio.Task[None] | None = None

    @property
    def position_encoding(self) -> Encoding:
        """The column unit agreed at initialize (UTF-16 unless the client preferred another)."""
        chosen = self.workspace.position_encoding
        value = getattr(chosen, "value", chosen)
        return _ENCODINGS.get(str(value), UTF16)

    def apply_settings(self, data: Any) -> None:
        """Take settings sent by the client; warn (by key) about any value not used."""
        settings, warnings = settings_from_json(data, self.settings)
        diagnostics_toggled = settings.diagnostics.enable != self.settings.diagnostics.enable
        self.settings = settings
        logging.getLogger("codegpt").setLevel(settings.log_level.upper())
        if warnings:
            log.warning("settings: %s", "; ".join(warnings))
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message="codegpt settings: " + "; ".join(warnings),
                )
            )
        if diagnostics_toggled:
            for document in self.documents:
                self.diagnostics.schedule(document)


def did_open(ls: CodegptServer, params: types.DidOpenTextDocumentParams) -> None:
    """Track the document and check it."""
    item = params.text_document
    document = Document(
        item.uri,
        item.text,
        version=item.version,
        language_id=item.language_id,
        encoding=ls.position_encoding,
    )
    ls.documents.open(document)
    ls.diagnostics.schedule(document)


def did_change(ls: CodegptServer, params: types.DidChangeTextDocumentParams) -> None:
    """Apply incremental edits (text and tree) and re-check after the debounce delay."""
    document = ls.documents.get(params.text_document.uri)
    if document is None:
        log.warning("didChange for %s, which is not open; ignored", params.text_document.uri)
        return
    changes = []
    for change in params.content_changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            start, end = change.range.start, change.range.end
            changes.append(
                TextChange(change.text, (start.line, start.character), (end.line, end.character))
            )
        else:
            changes.append(TextChange(change.text))
    document.apply_changes(changes, version=params.text_document.version)
    ls.diagnostics.schedule(document)


def did_close(ls: CodegptServer, params: types.DidCloseTextDocumentParams) -> None:
    """Forget the document and clear its diagnostics."""
    if ls.documents.close(params.text_document.uri) is not None:
        ls.diagnostics.clear(params.text_document.uri)
        ls.syntax_checks.forget(params.text_document.uri)


def initialize(ls: CodegptServer, params: types.InitializeParams) -> None:
    """Read settings from ``initializationOptions``."""
    if params.initialization_options is not None:
        ls.apply_settings(params.initialization_options)


async def initialized(ls: CodegptServer, params: types.InitializedParams) -> None:
    """Pull settings from clients that keep them in ``workspace/configuration``; start the model.

    With completion on, the model loads and warms up in the background now that its settings are
    known (``ModelService.preload``): the user is still reading the file, and the first keystroke
    then gets its suggestion as fast as any later one.
    """
    await _pull_settings(ls)
    _start_preload(ls)


def _start_preload(ls: CodegptServer) -> None:
    """Load the model for the current settings in the background, if completion will want it."""
    if ls.settings.completion.enable:
        ls.preloading = asyncio.create_task(_preload(ls))


async def _preload(ls: CodegptServer) -> None:
    try:
        await server_model_service(ls).preload()
    except Exception:  # the first request loads it again and reports what is wrong
        log.warning("loading the model ahead of use failed", exc_info=True)


async def did_change_configuration(
    ls: CodegptServer, params: types.DidChangeConfigurationParams
) -> None:
    """Settings pushed by the client, or a hint to pull them (when ``settings`` is empty).

    A new model path, provider or thread count loads that model now, not on the next keystroke.
    """
    if params.settings:
        ls.apply_settings(params.settings)
    else:
        await _pull_settings(ls)
    _start_preload(ls)


async def _pull_settings(ls: CodegptServer) -> None:
    workspace = ls.client_capabilities.workspace
    if workspace is None or not workspace.configuration:
        return
    try:
        result = await ls.workspace_configuration_async(
            types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
        )
    except Exception:  # a client that fails this request still gets a working server
        log.warning("workspace/configuration failed; keeping current settings", exc_info=True)
        return
    if result and result[0]:
        ls.apply_settings(result[0])


def shutdown(ls: CodegptServer, params: None) -> None:
    """Stop pending checks so nothing is published after shutdown."""
    for document in ls.documents:
        ls.diagnostics.cancel(document.uri)
    ls.syntax_checks.close()


def register(server: CodegptServer) -> None:
    """Register the core handlers: lifecycle, settings, document sync."""
    server.feature(types.INITIALIZE)(initialize)
    server.feature(types.INITIALIZED)(initialized)
    server.feature(types.SHUTDOWN)(shutdown)
    server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)(did_change_configuration)
    server.feature(types.TEXT_DOCUMENT_DID_OPEN)(did_open)
    server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(did_close)


def create_server(model_path: str | None = None) -> CodegptServer:
    """A server with the core handlers and every feature module registered."""
    server = CodegptServer(model_path=model_path)
    register(server)
    for name in FEATURE_MODULES:
        importlib.import_module(f"codegpt.server.{name}").register(server)
    return server
