"""A suggestion never shows a loop: the small model repeats a piece until the token limit.

Seen on test-split cuts: ``T_co, T_co, T_co, ...``, `` {sep} {sep} {sep} ...``, the same line
ten times in an empty body. The stop rule keeps one copy and ends the generation there.
"""

from __future__ import annotations

import pytest

from codegpt.server.completion.policy import (
    block_stop,
    loop_cut,
    single_line_stop,
    stop_at_loops,
)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("{sep} {sep} {sep} {se", "{sep} "),  # the copy kept starts where the loop does
        ("_co, T_co, T_co, T_co, T", "_co, "),  # and the cut does not split a word
        ("e(type(type(type(type(type(typ", "e("),
        (
            "self.close()\n        self.close()\n        self.close()\n        self.c",
            "self.close()\n        ",
        ),
        ("error-error-error-error-error-", "error-"),
        ("0, 0, 0, 0, 0, ", "0, "),  # short pieces need five copies
    ],
)
def test_a_loop_is_cut_after_one_copy(text: str, kept: str) -> None:
    cut = loop_cut(text)
    assert cut is not None and text[:cut] == kept


@pytest.mark.parametrize(
    "text",
    [
        "x = (0, 0, 0, 0)",  # four zeros are a value, not a loop
        "a = 1\nb = 2\nc = 3\n",
        "            ",  # indentation repeats by nature
        "self.a = a\n        self.b = b\n        self.c = c",
        "return x + x * x",
        "",
    ],
)
def test_code_that_merely_repeats_a_little_is_left_alone(text: str) -> None:
    assert loop_cut(text) is None


def test_the_engine_rules_stop_at_a_loop_or_their_own_end_whichever_comes_first() -> None:
    line = stop_at_loops(single_line_stop)
    assert line("a, b\nnext") == 4  # the line's end
    looped = "g(z), g(z), g(z), g(z)"
    assert line(looped) == len("g(z), ")
    block = stop_at_loops(block_stop(4, 12))
    body = "x = 1\n    return x\n    return x\n    return x\n"
    assert block(body) == len("x = 1\n    return x")
    assert block("x = 1\n    y = 2\nz = 3\n") == len("x = 1\n    y = 2")  # dedent ends it first
