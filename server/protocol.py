"""pygls's LSP protocol with two fixes the server depends on.

* A request whose params do not fit its type is answered with ``InvalidParams``: pygls rejects
  it while decoding and only logs, so the client would wait forever for a reply.
* ``didChange`` reaches our handler with the positions the client sent. pygls's built-in
  workspace update clamps a column past the end of a line by *mutating* the client's position
  (and to the wrong column), which corrupted our copy of the text; instead our handler applies
  the change first and pygls's workspace copy is then set to our (correct) text, so
  ``ls.workspace`` and ``ls.documents`` agree.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol, lsp_method


@dataclass(frozen=True)
class UndecodableRequest:
    """A request pygls could not decode, kept only to answer it with an error."""

    id: int | str
    method: str
    error: JsonRpcException


class CodegptProtocol(LanguageServerProtocol):
    """LanguageServerProtocol that answers requests it cannot decode."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Decode as pygls does; an undecodable request becomes an UndecodableRequest."""
        try:
            return super().structure_message(data)
        except JsonRpcException as error:
            request_id = data.get("id")
            method = data.get("method")
            if isinstance(request_id, int | str) and isinstance(method, str):
                cause = error.__cause__ or error
                detail = JsonRpcInvalidParams(f"invalid params for {method}: {cause}")
                return UndecodableRequest(request_id, method, detail)
            raise

    def handle_message(self, message: Any) -> None:
        """Answer undecodable requests with their error; everything else as pygls does."""
        if isinstance(message, UndecodableRequest):
            self._send_response(message.id, error=message.error.to_response_error())
            return
        super().handle_message(message)

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        """Run our handler on the untouched params, then mirror the result into pygls."""
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None
        document = self._server.documents.get(params.text_document.uri)  # type: ignore[attr-defined]
        if document is not None:
            self.workspace.update_text_document(
                params.text_document,
                types.TextDocumentContentChangeWholeDocument(text=document.text),
            )
