"""Whole-file syntax checks: big texts in a child process, so the event loop keeps running."""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codegpt.server.diagnostics import syntax_problems
from codegpt.server.parsing import parse
from codegpt.server.repair.fixer import Fixer, FixerOptions
from codegpt.server.repair.verify import check
from codegpt.server.syntax_checks import PROCESS_CHARS, SyntaxChecks

BLOCK = "def f_{i}(x):\n    return [x + {i} for _ in range(3)]\n\n\n"


def _big_text(chars: int, broken: bool = True) -> str:
    count = chars // len(BLOCK.format(i=0)) + 1
    blocks = [BLOCK.format(i=i) for i in range(count)]
    if broken:
        blocks[count * 3 // 4] = "def broken(:\n    pass\n\n\n"
    return "".join(blocks)


async def _max_loop_gap(work: asyncio.Future) -> float:
    """The longest the event loop went without running a 5 ms ticker while ``work`` ran."""
    gap, last = 0.0, time.perf_counter()
    while not work.done():
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        gap, last = max(gap, now - last), now
    return gap


@pytest.fixture
async def checks():
    checks = SyntaxChecks()
    yield checks
    checks.close()


async def test_a_big_text_is_checked_in_a_child_process_while_the_loop_runs(checks):
    text = _big_text(3_000_000)
    started = time.perf_counter()
    expected = syntax_problems(text)  # what a thread would do, holding the GIL throughout
    in_thread = time.perf_counter() - started
    assert in_thread > 0.1, "the text must be big enough for a stall to show"
    assert expected and expected[0].start.line > 10_000

    work = asyncio.ensure_future(checks.problems("file:///big.py", text))
    gap = await _max_loop_gap(work)
    assert await work == expected
    assert gap < in_thread / 2, f"loop stalled {gap:.3f} s; a thread would: {in_thread:.3f} s"
    assert len(multiprocessing.active_children()) == 1


async def test_a_text_is_checked_once_and_a_new_text_again(checks):
    text = _big_text(PROCESS_CHARS)
    first = await checks.problems("file:///a.py", text)
    assert await checks.problems("file:///a.py", text) is first
    fixed = text.replace("def broken(:", "def broken():")
    assert await checks.problems("file:///a.py", fixed) == []


async def test_a_small_text_is_checked_in_a_thread_with_the_documents_tree(checks):
    text = "def ok():\n    return (1,\n"
    tree = parse(text)
    seen = []

    def tree_copy():
        seen.append(True)
        return tree.copy()

    before = len(multiprocessing.active_children())
    assert await checks.problems("file:///s.py", text, tree_copy) == syntax_problems(text)
    assert seen == [True]
    assert len(multiprocessing.active_children()) == before


async def test_a_killed_child_process_loses_no_answer(checks):
    text = _big_text(PROCESS_CHARS)
    expected = syntax_problems(text)
    assert await checks.problems("file:///k.py", text) == expected
    (child,) = multiprocessing.active_children()
    child.kill()
    child.join(timeout=10)
    again = text + "\n"  # a new text: not answered from the earlier result
    assert await checks.problems("file:///k.py", again) == syntax_problems(again)
    third = again + "\n"
    assert await checks.problems("file:///k.py", third) == syntax_problems(third)
    assert len(multiprocessing.active_children()) == 1  # a new child took over


ORPHAN_SCRIPT = """
import asyncio, multiprocessing, os, signal
from codegpt.server.syntax_checks import PROCESS_CHARS, SyntaxChecks

async def main():
    checks = SyntaxChecks()
    await checks.problems("file:///o.py", "x = 1\\n" * (PROCESS_CHARS // 6 + 1))
    print(multiprocessing.active_children()[0].pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

if __name__ == "__main__":
    asyncio.run(main())
"""


def test_the_child_process_ends_when_the_server_is_killed(tmp_path):
    script = tmp_path / "server_like.py"
    script.write_text(ORPHAN_SCRIPT, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL, done.stderr
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.2)
    assert not _alive(child), f"child {child} outlived its parent"


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_fixer_finds_the_same_fixes_with_its_checks_in_the_child_process():
    checks = SyntaxChecks()
    try:
        text = _big_text(PROCESS_CHARS)
        options = FixerOptions(time_budget_s=120)  # no deadline cuts: the searches must agree
        here = Fixer(options).quick_fixes(text)
        there = Fixer(options, run_check=checks.run).quick_fixes(text)
        assert here and [fix.edits for fix in there] == [fix.edits for fix in here]
        assert len(multiprocessing.active_children()) == 1
        checks.close()
        assert checks.run(check, text) == check(text)  # after close: in this thread
    finally:
        checks.close()


def test_a_verdict_on_the_same_big_text_is_computed_once():
    checks = SyntaxChecks()
    try:
        text = _big_text(PROCESS_CHARS)
        first = checks.run(check, text)
        again = checks.run(check, text)
        assert again is first  # not a second answer unpickled from the child
        equal = "".join(text)  # an equal text that is another object is checked afresh
        assert equal is not text and checks.run(check, equal) is not first
        assert checks.run(check, equal) == first
    finally:
        checks.close()


async def test_after_close_checks_run_in_threads_and_start_no_process():
    # Another test's child may still be exiting: only a process started here would be wrong.
    before = set(multiprocessing.active_children())
    checks = SyntaxChecks()
    checks.close()
    text = _big_text(PROCESS_CHARS)
    assert await checks.problems("file:///c.py", text) == syntax_problems(text)
    assert set(multiprocessing.active_children()) <= before
