"""Answers that need no model run: an LRU of recent results and typed-ahead reuse.

Editors ask again for a spot they asked about a moment ago (after a cursor round trip, an undo,
a re-trigger); the LRU answers those. When the user types exactly what we suggested, the rest of
the suggestion is still right: typed-ahead reuse serves it at once, the way Copilot keeps a ghost
while you type through it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A small least-recently-used map."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value for ``key`` (now most recently used), or None."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store ``value``, evicting the least recently used entry when full."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def pop(self, key: K) -> V | None:
        """Remove and return the value for ``key``."""
        return self._items.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class ShownSuggestion:
    """The last suggestion shown for a document, with the prompt text it was made for."""

    prefix: str  # normalised prompt prefix at the time (ends at the cursor)
    suffix: str  # normalised prompt suffix at the time
    text: str  # what was suggested
    mean_logprob: float


def typed_ahead(shown: ShownSuggestion | None, prefix: str, suffix: str) -> str | None:
    """The rest of ``shown`` if the user has typed a proper prefix of it since, else None.

    The text after the cursor must be unchanged and the text before it must be the old text plus
    the first characters of the suggestion.
    """
    if shown is None or suffix != shown.suffix or len(prefix) <= len(shown.prefix):
        return None
    if not prefix.startswith(shown.prefix):
        return None
    typed = prefix[len(shown.prefix) :]
    if len(typed) >= len(shown.text) or not shown.text.startswith(typed):
        return None
    return shown.text[len(typed) :]
