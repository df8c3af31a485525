import dataclasses

from context_helpers import offset_of, read

from codegpt.server.context import ContextBudget, extract_context_at_offset
from codegpt.server.context_text import SourceText
from codegpt.server.context_window import CachedTokenCounter, WindowBudget, cut_window

TEXTWRAP = read("textwrap_copy.py")


def test_without_cuts_prefix_and_suffix_are_the_whole_text():
    cursor = offset_of(TEXTWRAP, "def dedent(text):")
    window = cut_window(TEXTWRAP, cursor, WindowBudget(prefix=10**9, suffix=10**9))
    assert window.prefix + window.suffix == TEXTWRAP
    assert not window.prefix_truncated and not window.suffix_truncated


def test_character_budget_keeps_whole_lines_nearest_the_cursor():
    cursor = offset_of(TEXTWRAP, "chunks = self._split_chunks(text)", after=False)
    window = cut_window(TEXTWRAP, cursor, WindowBudget(prefix=300, suffix=200))
    assert len(window.prefix) <= 300 and len(window.suffix) <= 200
    assert TEXTWRAP[window.prefix_start : cursor] == window.prefix
    assert window.prefix_start == 0 or TEXTWRAP[window.prefix_start - 1] == "\n"
    assert window.suffix_end == len(TEXTWRAP) or TEXTWRAP[window.suffix_end - 1] == "\n"
    assert window.prefix_truncated and window.suffix_truncated
    # Nearest lines are kept: one more line above would not have fit.
    above = TEXTWRAP.rfind("\n", 0, window.prefix_start - 1) + 1
    assert cursor - above > 300


def test_current_line_is_kept_whole_even_over_budget():
    text = "x = 1\n" + "y = " + "a" * 100 + " + b\nz = 3\n"
    cursor = text.index(" + b")
    window = cut_window(text, cursor, WindowBudget(prefix=10, suffix=2))
    assert window.prefix == "y = " + "a" * 100
    assert window.suffix == " + b\n"


def test_token_budget_uses_the_counter():
    words = lambda text: len(text.split())  # noqa: E731 - a real, simple token counter
    cursor = offset_of(TEXTWRAP, "def fill(text, width=70, **kwargs):")
    window = cut_window(TEXTWRAP, cursor, WindowBudget(prefix=50, suffix=40), count_tokens=words)
    assert words(window.prefix) <= 50
    assert words(window.suffix) <= 40
    assert window.prefix.endswith("def fill(text, width=70, **kwargs):")
    assert window.prefix_truncated


def test_token_windows_fit_their_budget_by_the_real_tokenizer():
    """Windows are costed line by line; the shipped BPE never counts the joined text higher."""
    from tokenizers import Tokenizer

    from codegpt.model import paths

    tokenizer = Tokenizer.from_file(str(paths.default_model_dir() / paths.TOKENIZER_FILE))
    tokens = CachedTokenCounter(lambda text: len(tokenizer.encode(text).ids))
    for budget in (20, 60, 150):
        for marker in ("def fill(", "    return w.wrap(text)", "class TextWrapper:"):
            cursor = offset_of(TEXTWRAP, marker) + 4
            window = cut_window(
                TEXTWRAP, cursor, WindowBudget(prefix=budget, suffix=budget), count_tokens=tokens
            )
            cursor_line = TEXTWRAP[:cursor].rsplit("\n", 1)[-1]
            if len(tokenizer.encode(cursor_line).ids) <= budget:
                assert len(tokenizer.encode(window.prefix).ids) <= budget
            assert window.prefix.endswith(cursor_line)
            assert window.prefix_truncated


def test_anchored_windows_are_costed_from_the_line_cache():
    """A second request in the same definition counts only what changed: the cursor's line."""
    calls: list[str] = []

    def count(text: str) -> int:
        calls.append(text)
        return len(text.split())

    counter = CachedTokenCounter(count)
    window = WindowBudget(prefix=400, suffix=40, anchor_to_definition=True)
    budget = ContextBudget(window=window)
    cursor = offset_of(TEXTWRAP, "for line in text.splitlines(True):")
    first = extract_context_at_offset(TEXTWRAP, cursor, budget=budget, count_tokens=counter)
    assert first.window.anchored
    assert all("\n" not in text[:-1] for text in calls)  # whole lines at most, never spans
    calls.clear()
    second = extract_context_at_offset(TEXTWRAP, cursor + 4, budget=budget, count_tokens=counter)
    assert second.window.prefix_start == first.window.prefix_start
    assert len(calls) <= 3, calls


def test_cached_token_counter_counts_each_line_once():
    calls = []

    def count(text: str) -> int:
        calls.append(text)
        return len(text)

    counter = CachedTokenCounter(count)
    assert counter("abc") == 3 and counter("abc") == 3
    assert calls == ["abc"]


def test_anchor_starts_prefix_at_enclosing_top_level_definition():
    budget = ContextBudget(window=WindowBudget(prefix=1500, suffix=100, anchor_to_definition=True))
    first = offset_of(TEXTWRAP, "for line in text.splitlines(True):")
    second = offset_of(TEXTWRAP, "return ''.join(prefixed_lines())")
    one = extract_context_at_offset(TEXTWRAP, first, budget=budget).window
    two = extract_context_at_offset(TEXTWRAP, second, budget=budget).window
    assert one.anchored and two.anchored
    # The same stable start for two cursor positions inside ``indent``.
    assert one.prefix_start == two.prefix_start
    assert TEXTWRAP.index("def indent(") >= one.prefix_start
    assert len(two.prefix) <= 1500


def test_anchor_falls_back_to_line_cutting_when_definition_is_too_big():
    budget = ContextBudget(window=WindowBudget(prefix=200, suffix=100, anchor_to_definition=True))
    cursor = offset_of(TEXTWRAP, "return self._wrap_chunks(chunks)")
    window = extract_context_at_offset(TEXTWRAP, cursor, budget=budget).window
    assert not window.anchored
    assert len(window.prefix) <= 200


def test_anchor_ignored_at_module_level():
    budget = ContextBudget(window=WindowBudget(prefix=400, suffix=100, anchor_to_definition=True))
    cursor = offset_of(TEXTWRAP, "_whitespace = '\\t\\n\\x0b\\x0c\\r '")
    assert not extract_context_at_offset(TEXTWRAP, cursor, budget=budget).window.anchored


def test_crlf_window_keeps_line_breaks_intact():
    text = "a = 1\r\nb = 2\r\nc = 3\r\n"
    cursor = text.index("b = 2") + 5
    window = cut_window(text, cursor, WindowBudget(prefix=12, suffix=9))
    assert window.prefix == "a = 1\r\nb = 2"
    assert window.suffix == "\r\nc = 3\r\n"


def test_a_prefix_start_outgrowing_its_budget_moves_in_strides():
    from codegpt.server.context_window import START_STRIDE_LINES

    body = "".join(f"    value_{i} = compute({i})\n" for i in range(200))
    text = "def long_function():\n" + body
    source = SourceText(text)
    budget = WindowBudget(prefix=400, suffix=50, anchor_to_definition=True)
    anchor = (0, len(text))
    starts = []
    for line in range(40, 200):
        cursor = source.line_end(line)
        window = cut_window(source, cursor, budget, anchor=anchor, boundaries=[0])
        assert len(window.prefix) <= budget.prefix
        assert source.line_of(window.prefix_start) % START_STRIDE_LINES == 0
        starts.append(window.prefix_start)
    moves = sum(1 for a, b in zip(starts, starts[1:], strict=False) if a != b)
    assert moves <= len(starts) // START_STRIDE_LINES + 1  # not once per line


def _long_function(lines: int) -> tuple[str, int]:
    """A function too long for the budgets below, and the cursor on its indented blank line."""
    body = "".join(f"    value_{i} = compute({i})\n" for i in range(lines))
    text = "def long_function():\n" + body + "    \n    return value_0\n"
    return text, text.index("    \n    return") + 4


def test_typing_keeps_the_previous_start_until_its_slack_is_spent():
    from codegpt.server.context_window import KEEP_START_SLACK

    text, cursor = _long_function(60)
    budget = WindowBudget(prefix=400, suffix=50, anchor_to_definition=True)

    def bumpy(piece: str) -> int:
        """A line's cost that rises and falls as it grows, as a BPE count can."""
        return len(piece) + (30 if piece.count("x") % 2 else 0)

    def cut(now: str, at: int, previous=None):
        return cut_window(
            now,
            at,
            budget,
            count_tokens=bumpy,
            anchor=(0, len(now)),
            boundaries=[0],
            previous=previous,
        )

    window = cut(text, cursor)
    starts, fresh_starts = [window.prefix_start], [window.prefix_start]
    for n in range(1, 200):
        now = text[:cursor] + "x" * n + text[cursor:]
        window = cut(now, cursor + n, window)
        assert bumpy(window.prefix) <= budget.prefix * KEEP_START_SLACK
        starts.append(window.prefix_start)
        fresh_starts.append(cut(now, cursor + n).prefix_start)

    def moves(values: list[int]) -> int:
        return sum(a != b for a, b in zip(values, values[1:], strict=False))

    # Cut afresh, the start flips back and forth while the prefix hovers at its budget (the
    # whole prompt runs again at each flip); kept, it moves forward once the slack is spent.
    assert fresh_starts != sorted(fresh_starts) and moves(fresh_starts) > 4
    assert starts == sorted(starts) and 1 <= moves(starts) <= 2


def test_a_previous_start_gives_way_to_a_moved_cursor_shifted_text_or_more_context():
    text, cursor = _long_function(60)
    budget = WindowBudget(prefix=400, suffix=50, anchor_to_definition=True)

    def cut(now: str, at: int, previous=None):
        return cut_window(now, at, budget, anchor=(0, len(now)), boundaries=[0], previous=previous)

    window = cut(text, cursor)
    elsewhere = text.index("    value_50") + 4
    assert cut(text, elsewhere, window) == cut(text, elsewhere)  # another suffix: cut afresh
    shifted = "# a\n" + text  # four characters more above the start: mid-line now
    moved = dataclasses.replace(window, prefix_start=window.prefix_start + 2)
    assert cut(shifted, cursor + 4, moved) == cut(shifted, cursor + 4)
    # Lines deleted between the start and the cursor: a fresh cut starts earlier, with more
    # context than the kept start would give, and wins.
    typed = text[:cursor] + "x" * 80 + text[cursor:]
    long_window = cut(typed, cursor + 80)
    deleted = "    value_56 = compute(56)\n    value_57 = compute(57)\n"
    assert long_window.prefix_start < typed.index(deleted)
    shorter = typed.replace(deleted, "")
    at = cursor + 80 - len(deleted)
    assert cut(shorter, at).prefix_start < long_window.prefix_start
    assert cut(shorter, at, long_window) == cut(shorter, at)
    unanchored = WindowBudget(prefix=400, suffix=50)
    assert cut_window(text, cursor, unanchored, previous=window) == cut_window(
        text, cursor, unanchored
    )
