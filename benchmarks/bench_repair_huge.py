"""Quick fixes in a huge file: time to the editor's fixes, with and without the focus region.

A 100,000-line module (stdlib sources, as bench_didchange uses) gets one broken line at several
places; the fixer runs in this thread as ``codegpt fix`` runs it (no model, the server's 2 s
quick-fix budget). Reported per mode: time to the fixes, how many positions got a first fix that
makes the file parse (and how many restore the original), and the longest pause of another
thread (the event loop's view of the GIL; the server runs big whole-file checks in a child
process, so its pauses are shorter).

    python benchmarks/bench_repair_huge.py --out benchmarks/results/repair_huge.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path

from bench_didchange import stdlib_source

from codegpt.server.repair.fixer import Fixer, FixerOptions
from codegpt.server.repair.verify import compile_error

RESULTS = Path(__file__).parent / "results"
BREAKS = (" +", ")", ":")  # appended to a 'return ...' line: a dangling operator, a stray bracket


def huge_module(lines: int) -> str:
    """Valid stdlib code cut at the last top-level ``def`` (the cut may fall in a string)."""
    text = stdlib_source(lines)
    text = text[: text.rfind("\n\ndef ") + 1]
    assert compile_error(text) is None, "the cut module must compile"
    return text


def broken_at(text: str, fraction: float, suffix: str) -> str:
    """``suffix`` appended to the first ``return`` line after ``fraction`` of the text."""
    at = text.index("\n        return ", int(len(text) * fraction)) + 1
    end = text.index("\n", at)
    return text[:end] + suffix + text[end:]


class PauseMeter:
    """Another thread that wakes every 5 ms and records how late it was."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            time.sleep(0.005)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    def __enter__(self) -> PauseMeter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_mode(text: str, cases: list[tuple[float, str]], focus: bool) -> dict:
    options = FixerOptions(time_budget_s=2.0, focus_min_chars=200_000 if focus else 10**12)
    fixer = Fixer(options)
    times, pauses, restored, parsing = [], [], 0, 0
    for fraction, suffix in cases:
        broken = broken_at(text, fraction, suffix)
        with PauseMeter() as meter:
            started = time.perf_counter()
            fixes = fixer.quick_fixes(broken, 3)
            times.append(time.perf_counter() - started)
        pauses.append(meter.longest)
        restored += bool(fixes) and fixes[0].apply(broken) == text
        parsing += bool(fixes) and fixes[0].parses
        print(
            f"  {'focus' if focus else 'whole'} at {fraction:.0%} {suffix!r}: "
            f"{times[-1]:.2f} s, {len(fixes)} fixes, longest pause {meter.longest * 1000:.0f} ms"
        )
    return {
        "mode": "focus region" if focus else "whole text",
        "positions": len(cases),
        "restored": restored,
        "fixed": parsing,
        "seconds_median": statistics.median(times),
        "seconds_max": max(times),
        "longest_pause_ms_median": 1000 * statistics.median(pauses),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=RESULTS / "repair_huge.json")
    args = parser.parse_args()
    text = huge_module(args.lines)
    cases = [(fraction, suffix) for fraction in (0.2, 0.5, 0.8) for suffix in BREAKS]
    print(f"{len(text) / 1e6:.1f} MB, {text.count(chr(10)):,} lines, {len(cases)} broken lines")
    rows = [run_mode(text, cases, focus) for focus in (True, False)]
    for row in rows:
        print(
            f"{row['mode']:>12}: {row['fixed']}/{row['positions']} fixed "
            f"({row['restored']} as the original), "
            f"median {row['seconds_median']:.2f} s (max {row['seconds_max']:.2f} s), "
            f"longest pause median {row['longest_pause_ms_median']:.0f} ms"
        )
    result = {"benchmark": "repair_huge", "characters": len(text), "results": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
