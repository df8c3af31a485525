"""Shared helpers for the context-extraction tests: fixtures on disk and marker positions."""

from __future__ import annotations

from pathlib import Path

from codegpt.server.context_text import SourceText

DATA = Path(__file__).parent / "data" / "context"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def offset_of(text: str, needle: str, after: bool = True, nth: int = 0) -> int:
    """Str offset just after (or at the start of) the nth occurrence of ``needle``."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    return index + len(needle) if after else index


def position_of(text: str, needle: str, after: bool = True, nth: int = 0) -> tuple[int, int]:
    """LSP (line, UTF-16 character) just after (or at) the nth occurrence of ``needle``."""
    return SourceText(text).position_at(offset_of(text, needle, after, nth))


def split_cursor(marked: str) -> tuple[str, int]:
    """Text with a ``‸`` cursor marker removed, and the marker's str offset."""
    index = marked.index("‸")
    return marked[:index] + marked[index + 1 :], index
