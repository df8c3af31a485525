"""The prefix and suffix around the cursor, cut at line boundaries to fit a budget.

Fill-in-the-middle prompts are built from exactly these two strings. Cutting at whole lines keeps
the model from seeing half a token at the edge of its window; the line holding the cursor is never
cut, because the model must see exactly what precedes and follows the insertion point.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from codegpt.server.context_text import SourceText

TokenCounter = Callable[[str], int]
# With a stable start, a prefix that outgrows its budget moves in steps of this many lines.
START_STRIDE_LINES = 8
# While the user types at the cursor, the previous window's start is kept until the prefix from it
# costs this much more than the budget. Without the slack, a prefix near its budget moved to the
# next stride and back as the cursor line's token count rose and fell with each character (a
# line's BPE count does not only grow), and every move re-ran the whole prompt (~200-300 tokens,
# 30-60 ms on a Zen 3 core): 4 such re-runs in the 12 lines benchmarks/bench_completion.py
# retypes, none with the slack (benchmarks/bench_typing_prefill.py [--fresh-windows]).
KEEP_START_SLACK = 1.25


@dataclass(frozen=True)
class WindowBudget:
    """How much text the prompt may carry on each side of the cursor.

    Measured in characters, or in tokens when a ``count_tokens`` function is passed alongside: the
    model's limit is in tokens, but characters are free to count and good enough for tests.
    """

    prefix: int = 6000  # about 1,500 tokens of code: most of a 2,048-token context
    suffix: int = 2000  # the suffix helps less than the prefix, so it gets less room
    # Keep the prefix's start stable for the KV cache: at the enclosing top-level definition, or,
    # when that is too far, at a line number that is a multiple of START_STRIDE_LINES.
    anchor_to_definition: bool = False


@dataclass(frozen=True)
class PromptWindow:
    """The text before and after the cursor that fits the budget, and where it was cut.

    Offsets are str offsets into the document, so ``text[prefix_start:cursor] == prefix`` and
    ``text[cursor:suffix_end] == suffix``.
    """

    prefix: str
    suffix: str
    prefix_start: int
    cursor: int
    suffix_end: int
    prefix_truncated: bool  # lines before prefix_start were left out
    suffix_truncated: bool  # lines after suffix_end were left out
    anchored: bool  # prefix_start is a top-level boundary chosen for KV-cache reuse


class CachedTokenCounter:
    """Memoise a token counter per line: between keystrokes only the edited line changes.

    Wrap the tokenizer once per server and pass the instance as ``count_tokens``; windows are
    counted line by line, so nearly every call is a cache hit, across requests and documents.
    """

    def __init__(self, count_tokens: TokenCounter, max_entries: int = 20000) -> None:
        self._count = count_tokens
        self._cache: OrderedDict[str, int] = OrderedDict()
        self._max_entries = max_entries

    def __call__(self, text: str) -> int:
        """Count the tokens of ``text``, from the cache when it was seen before."""
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            return cached
        count = self._count(text)
        self._cache[text] = count
        if len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)
        return count


def cut_window(
    source: SourceText | str,
    cursor: int,
    budget: WindowBudget | None = None,
    *,
    count_tokens: TokenCounter | None = None,
    anchor: tuple[int, int] | None = None,
    boundaries: Sequence[int] = (),
    previous: PromptWindow | None = None,
) -> PromptWindow:
    """Cut the prefix and suffix around str offset ``cursor`` to ``budget``.

    ``anchor`` is the (start, end) str range of the top-level definition holding the cursor (its
    start at a line start) and ``boundaries`` the sorted line-start offsets of the module's
    top-level statements; with ``budget.anchor_to_definition`` the prefix then starts at the
    earliest boundary from which the *whole* definition fits, so the prompt's beginning does not
    move while the cursor moves or types inside that definition.

    ``previous`` is the last window cut in this document. When its suffix is this one's (the user
    typed at the cursor, nothing else moved) and its start is earlier than a fresh cut's, that
    start is kept while the prefix from there costs at most ``KEEP_START_SLACK`` times the
    budget, so the KV cache of the prompt survives. It never gives less context than a fresh cut.
    """
    source = source if isinstance(source, SourceText) else SourceText(source)
    budget = budget or WindowBudget()
    text = source.text
    cursor = max(0, min(cursor, len(text)))
    cost = count_tokens or len
    line = source.line_of(cursor)
    suffix_end = _grow(
        text,
        fixed=(cursor, source.line_end(line, with_break=True)),
        pieces=_lines_after(source, line),
        budget=budget.suffix,
        cost=cost,
        before=False,
    )

    prefix_start = None
    anchored = False
    if budget.anchor_to_definition and anchor is not None:
        prefix_start = _anchored_start(source, cursor, budget.prefix, cost, anchor, boundaries)
        anchored = prefix_start is not None
    if prefix_start is None:
        starts = source.line_starts
        prefix_start = _grow(
            text,
            fixed=(starts[line], cursor),
            pieces=((starts[i], starts[i + 1]) for i in range(line - 1, -1, -1)),
            budget=budget.prefix,
            cost=cost,
            before=True,
        )
        if budget.anchor_to_definition:
            prefix_start = _snapped(source, prefix_start, line)
    if (
        budget.anchor_to_definition
        and previous is not None
        and previous.prefix_start < prefix_start
        and _keeps_start(source, previous, cursor, suffix_end, budget.prefix, cost)
    ):
        prefix_start, anchored = previous.prefix_start, previous.anchored
    return PromptWindow(
        prefix=text[prefix_start:cursor],
        suffix=text[cursor:suffix_end],
        prefix_start=prefix_start,
        cursor=cursor,
        suffix_end=suffix_end,
        prefix_truncated=prefix_start > 0,
        suffix_truncated=suffix_end < len(text),
        anchored=anchored,
    )


def _keeps_start(
    source: SourceText,
    previous: PromptWindow,
    cursor: int,
    suffix_end: int,
    budget: int,
    cost: TokenCounter,
) -> bool:
    """Whether ``previous.prefix_start`` still serves a cursor whose suffix ends at ``suffix_end``.

    Only while typing at the cursor: the same suffix (a cursor moved elsewhere has another, and
    its prompt runs afresh anyway), a start that is still a line start before the cursor's line,
    and a prefix from it within ``KEEP_START_SLACK`` of the budget.
    """
    start = previous.prefix_start
    if source.text[cursor:suffix_end] != previous.suffix or not 0 <= start <= cursor:
        return False
    if source.line_start(source.line_of(start)) != start:
        return False  # an edit above moved the text under it
    limit = int(budget * KEEP_START_SLACK)
    return span_cost(source, start, cursor, cost, limit) <= limit


def _snapped(source: SourceText, prefix_start: int, cursor_line: int) -> int:
    """Move a prefix start forward to the next line whose number is a multiple of the stride.

    A prefix cut line by line starts one line later for every line typed, and every such move
    invalidates the whole KV cache. Snapped, the start stays put for ``START_STRIDE_LINES`` lines
    of typing, at the price of a few lines of context.
    """
    line = source.line_of(prefix_start)
    if line == 0:
        return prefix_start
    snapped = min(-(-line // START_STRIDE_LINES) * START_STRIDE_LINES, cursor_line)
    return source.line_start(snapped)


def _lines_after(source: SourceText, line: int) -> Iterator[tuple[int, int]]:
    """The (start, end) of each line below ``line``, nearest first, produced on demand."""
    starts = source.line_starts
    end = len(source.text)
    for index in range(line + 1, len(starts)):
        yield starts[index], starts[index + 1] if index + 1 < len(starts) else end


def _grow(
    text: str,
    *,
    fixed: tuple[int, int],
    pieces: Iterable[tuple[int, int]],
    budget: int,
    cost: TokenCounter,
    before: bool,
) -> int:
    """Add whole lines to the fixed span, nearest first, while the total stays within budget.

    Returns the new outer edge (start when growing ``before``, end otherwise). A token-measured
    window costs the sum of its lines' counts (see ``span_cost``), never the joined text's.
    """
    fixed_start, fixed_end = fixed
    used = cost(text[fixed_start:fixed_end])
    edge = fixed_start if before else fixed_end
    for start, end in pieces:  # consumed lazily: a budget covers few lines
        used += cost(text[start:end])
        if used > budget:
            break
        edge = start if before else end
    return edge


def span_cost(
    source: SourceText, start: int, end: int, cost: TokenCounter, limit: int | None = None
) -> int:
    """The cost of ``text[start:end]`` as the sum of its lines' costs.

    Line by line, so a counter that memoises lines (``CachedTokenCounter``) answers from its
    cache for text it has seen, whatever span it is asked about. With our byte-level BPE, a
    sum of lines is never below the joined text's count and is ~10 % above it (line breaks merge
    with the next line's indentation; 1,275 random spans of test-split code), so a window that
    fits by this measure fits for real. Counting stops once the sum passes ``limit``.
    """
    if cost is len:
        return max(0, end - start)
    total = 0
    starts = source.line_starts
    line = source.line_of(start)
    position = start
    while position < end:
        line_end = starts[line + 1] if line + 1 < len(starts) else len(source.text)
        piece_end = min(end, line_end)
        total += cost(source.text[position:piece_end])
        if limit is not None and total > limit:
            break
        position, line = piece_end, line + 1
    return total


def _anchored_start(
    source: SourceText,
    cursor: int,
    budget: int,
    cost: TokenCounter,
    anchor: tuple[int, int],
    boundaries: Sequence[int],
) -> int | None:
    """The stable prefix start for a cursor inside a top-level definition, or None if none fits."""
    start, end = anchor
    if start > cursor:
        return None
    end = max(end, cursor)  # the cursor may sit on an indented blank line after the last statement
    whole_def = span_cost(source, start, end, cost, budget)
    if whole_def <= budget:
        earlier = [b for b in boundaries if b < start]
        chosen = start
        used = whole_def
        previous = start
        for boundary in reversed(earlier):
            used += span_cost(source, boundary, previous, cost, budget - used)
            if used > budget:
                break
            chosen, previous = boundary, boundary
        return chosen
    if span_cost(source, start, cursor, cost, budget) <= budget:
        return start
    return None
