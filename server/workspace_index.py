"""Find and parse the workspace modules (and open documents) that a file's imports point to.

Definition lookup runs on every keystroke, so parsed modules are cached: workspace files by
(path, mtime, size), open documents by their text. Huge files (> 1 MB) and files that are not
UTF-8 are skipped rather than read: a prompt gains nothing from them and reading them would stall
completion.
"""

from __future__ import annotations

import functools
import logging
import os
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

from codegpt.server.context_symbols import SymbolTable
from codegpt.server.parsing import parse

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1_000_000  # larger files are generated or vendored, not worth a parse per query
_SOURCE_ROOTS = ("", "src")  # the flat layout and the src layout


def document_path(uri_or_path: str) -> Path | None:
    """The filesystem path of a ``file://`` URI or a plain path (None for other URI schemes)."""
    parsed = urlparse(uri_or_path)
    if len(parsed.scheme) > 1:  # one letter is a Windows drive, not a scheme
        if parsed.scheme != "file":
            return None
        return Path(url2pathname(unquote(parsed.path)))
    return Path(uri_or_path)


def _resolved(path: Path) -> Path:
    """``path.resolve()``, remembered for absolute paths (a relative one depends on the cwd).

    A resolve costs a syscall per path component, and every completion request resolves the
    same open documents and importer again.
    """
    return _resolved_absolute(str(path)) if path.is_absolute() else path.resolve()


@functools.lru_cache(maxsize=1024)
def _resolved_absolute(path: str) -> Path:
    return Path(path).resolve()


def _resolved_key(path: Path) -> str:
    """The ``_open_by_path`` key of a path: resolved and case-normalised."""
    return os.path.normcase(str(_resolved(path)))


class _LruCache(OrderedDict):
    """A small LRU map: the index must not grow without bound in a long editor session."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity

    def get_fresh(self, key):  # noqa: ANN001, ANN201 - private helper, any hashable key
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key, value) -> None:  # noqa: ANN001 - private helper
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.capacity:
            self.popitem(last=False)


_OPEN_DOCUMENT_TABLES = _LruCache(64)


def open_document_table(key: str, text: str) -> SymbolTable:
    """The symbol table of an open document's text, parsed once per distinct text.

    Keyed by the text's hash (cached on the str object, so a document that did not change costs
    a dict lookup).
    """
    cache_key = (key, len(text), hash(text))
    table = _OPEN_DOCUMENT_TABLES.get_fresh(cache_key)
    if table is None:
        table = SymbolTable(text, parse(text), path=key, origin="open_document")
        _OPEN_DOCUMENT_TABLES.put(cache_key, table)
    return table


class WorkspaceIndex:
    """Resolves imports to files under one workspace root and caches their symbol tables."""

    def __init__(self, root: str | Path, *, capacity: int = 256) -> None:
        self.root = Path(root).resolve()
        self._tables = _LruCache(capacity)

    def resolve(
        self, module: str, level: int = 0, importer: str | Path | None = None
    ) -> Path | None:
        """The file for ``module`` (``pkg.mod``), relative to ``importer`` when ``level`` > 0.

        Packages resolve to their ``__init__.py``; a path outside the root (or nothing found)
        gives None, so the standard library and site-packages are never parsed.
        """
        parts = [part for part in module.split(".") if part]
        if level > 0:
            if importer is None:
                return None
            base = Path(importer).resolve().parent
            for _ in range(level - 1):
                base = base.parent
            bases = [base]
        else:
            bases = [self.root / sub if sub else self.root for sub in _SOURCE_ROOTS]
        for base in bases:
            target = base.joinpath(*parts)
            for candidate in (target.with_suffix(".py") if parts else None, target / "__init__.py"):
                if candidate is not None and candidate.is_file() and self._inside(candidate):
                    return candidate
        return None

    def _inside(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.root)
        except ValueError:
            return False
        return True

    def table(self, path: Path) -> SymbolTable | None:
        """The cached symbol table of a workspace file, or None when it is too big or not UTF-8."""
        try:
            stat = path.stat()
        except OSError:
            return None
        if stat.st_size > MAX_FILE_BYTES:
            log.debug("skipping %s: %d bytes", path, stat.st_size)
            return None
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        table = self._tables.get_fresh(key)
        if table is not None:
            return table
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError, ValueError) as error:
            log.debug("skipping %s: %s", path, error)
            return None
        table = SymbolTable(text, parse(text), path=str(path), origin="workspace")
        self._tables.put(key, table)
        return table


_INDEXES = _LruCache(8)


def workspace_index_for(root: str | Path) -> WorkspaceIndex:
    """One shared index per workspace root, so its cache survives between keystrokes."""
    key = os.fspath(Path(root).resolve())
    index = _INDEXES.get_fresh(key)
    if index is None:
        index = WorkspaceIndex(key)
        _INDEXES.put(key, index)
    return index


class ModuleResolver:
    """Symbol tables for imported modules: open documents first (unsaved edits win), then disk."""

    def __init__(
        self,
        workspace: WorkspaceIndex | None,
        open_documents: Mapping[str, str] | None,
    ) -> None:
        self.workspace = workspace
        self.open_documents = dict(open_documents or {})
        self._open_by_path: dict[str, str] = {}
        for key in self.open_documents:
            path = document_path(key)
            if path is not None:
                self._open_by_path[_resolved_key(path)] = key

    def open_tables(self) -> list[SymbolTable]:
        """Symbol tables of every open document."""
        return [open_document_table(key, text) for key, text in self.open_documents.items()]

    def module_table(self, module: str, level: int, importer: str | None) -> SymbolTable | None:
        """The table of the module an import names, or None when it is not in reach."""
        if self.workspace is None and not self._open_by_path:
            return None  # nothing to search: skip the path work
        importer_path = document_path(importer) if importer else None
        path = None
        if self.workspace is not None:
            path = self.workspace.resolve(module, level, importer_path)
        if path is None:
            path = self._open_module_path(module, level, importer_path)
        if path is None:
            return None
        key = self._open_by_path.get(_resolved_key(path))
        if key is not None:
            return open_document_table(key, self.open_documents[key])
        return self.workspace.table(path) if self.workspace is not None else None

    def _open_module_path(self, module: str, level: int, importer: Path | None) -> Path | None:
        """Resolve against open documents alone (no workspace root: a loose set of files)."""
        if not self._open_by_path or importer is None:
            return None
        parts = [part for part in module.split(".") if part]
        base = _resolved(importer).parent
        for _ in range(level - 1):
            base = base.parent
        target = base.joinpath(*parts)
        candidates = [target / "__init__.py"]
        if parts:
            candidates.insert(0, target.with_suffix(".py"))
        for candidate in candidates:
            if os.path.normcase(str(candidate)) in self._open_by_path:
                return candidate
        return None
