"""Completion through the real server over stdio: latency, cold start and quality, next to jedi.

Files of 200 to 2,000 lines come from the corpus's test split (packages the model never trained
on). Everything goes through ``codegpt serve`` over stdio, as an editor would send it:

* typing: a line is deleted and typed again character by character; after every keystroke a
  ``didChange`` and a single-line ``textDocument/inlineCompletion`` (caches help here);
* cold: a line is cut at a random column (the rest of the line deleted), one request there; the
  deleted rest is the truth for line-completion exact match and edit similarity (CodeXGLUE's
  definitions, ``codegpt.training.line_metrics``), and shown vs suppressed is counted;
* member access: right after ``x.`` (or ``--member-typed N`` characters into the name; the rest
  of the line deleted), ``textDocument/completion``: is the attribute the code really uses first,
  or in the top five?
* cold start: process start to the first inline completion; and the first request made a second
  after the file was opened, as a user's first keystroke comes (the model loads ahead of it);
* a 100,000-line file (the files concatenated): open to first answer, cold and typing latency;
  then, diagnostics on, typing with a pause before each request, so a whole-file syntax check
  runs just before it (``--huge-diagnostics-only`` runs this part alone).

jedi-language-server answers ``textDocument/completion`` at the same cold and member positions.
Targets: inline p50 <= 30 ms and p95 <= 100 ms (typing and cold separately), cold start <= 1 s.

    python benchmarks/bench_completion.py --out benchmarks/results/completion.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import random
import re
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pytest_lsp import client_capabilities
from report import emit

from codegpt.model import paths
from codegpt.training.line_metrics import edit_similarity, exact_match

log = logging.getLogger("bench_completion")
TARGETS = {"p50_ms": 30.0, "p95_ms": 100.0, "cold_start_s": 1.0}
FIRST_REQUEST_PAUSE_S = 1.0  # from opening a file to the first keystroke, a quick user
REQUEST_TIMEOUT_S = 15.0  # a request unanswered this long counts as a miss at this latency
HUGE_FILE_LINES = 100_000
# A pause in typing longer than the diagnostics debounce (150 ms): the check starts within it.
PAUSE_S = 0.25
MEMBER = re.compile(r"\b([A-Za-z_]\w*)\.([A-Za-z_]\w*)")


def percentile(samples: list[float], fraction: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))], 2)


def summary(samples: list[float]) -> dict[str, Any]:
    return {
        "p50_ms": percentile(samples, 0.5),
        "p95_ms": percentile(samples, 0.95),
        "mean_ms": round(statistics.fmean(samples), 2) if samples else None,
        "requests": len(samples),
    }


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def load_files(corpus: Path, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """``count`` test-split files of 200 to 2,000 lines, as (name, text)."""
    chosen = []
    with (corpus / "test.jsonl").open(encoding="utf-8") as handle:
        for raw in handle:
            record = json.loads(raw)
            text = record["text"]
            if 200 <= text.count("\n") <= 2000 and text.isascii():
                chosen.append((f"{record['package']}/{record['path']}", text))
    rng.shuffle(chosen)
    return chosen[:count]


def code_lines(text: str) -> list[int]:
    """Lines worth completing: real code of moderate length, not comments or docstrings."""
    lines = text.split("\n")
    found = []
    in_doc = False
    for number, line in enumerate(lines):
        stripped = line.strip()
        if stripped.count('"""') % 2 == 1 or stripped.count("'''") % 2 == 1:
            in_doc = not in_doc
            continue
        if in_doc or not stripped or stripped.startswith(("#", "@", '"', "'")):
            continue
        if 12 <= len(stripped) <= 80:
            found.append(number)
    return found


@dataclass
class Server:
    """One language server over stdio with a document store of our own."""

    command: list[str]
    options: Any = None
    client: LanguageClient = field(default_factory=lambda: LanguageClient("bench", "0"))
    versions: dict[str, int] = field(default_factory=dict)
    timeouts: int = 0

    async def start(self) -> float:
        started = time.perf_counter()
        await self.client.start_io(*self.command)
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=client_capabilities("visual_studio_code"),
                initialization_options=self.options,
                root_uri=None,
            )
        )
        self.client.initialized(types.InitializedParams())
        return started

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 10)
            self.client.exit(None)
        except Exception:  # noqa: BLE001 - a benchmark reports, it does not fail on teardown
            pass
        process = getattr(self.client, "_server", None)
        try:
            await asyncio.wait_for(self.client.stop(), 5)
        except TimeoutError:  # jedi-language-server does not always exit on "exit"
            if process is not None and process.returncode is None:
                process.kill()

    def open(self, uri: str, text: str) -> None:
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
            )
        )

    def edit(self, uri: str, line: int, start: int, end: int, text: str) -> None:
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                [
                    types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(line, start), types.Position(line, end)),
                        text=text,
                    )
                ],
            )
        )

    async def retype(
        self, uri: str, line: int, content: str, pause_s: float = 0.0
    ) -> list[tuple[list[str], float]]:
        """Delete the line's code and type it again; each keystroke's suggestions and latency.

        With ``pause_s`` the typist waits that long after each keystroke before the request.
        """
        indent = len(content) - len(content.lstrip())
        self.edit(uri, line, indent, len(content), "")
        answers = []
        for column in range(indent, len(content)):
            self.edit(uri, line, column, column, content[column])
            if pause_s:
                await asyncio.sleep(pause_s)
            answers.append(await self.inline(uri, line, column + 1))
        return answers

    async def inline(self, uri: str, line: int, column: int) -> tuple[list[str], float]:
        started = time.perf_counter()
        result = await self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri),
                position=types.Position(line, column),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )
        elapsed = 1000 * (time.perf_counter() - started)
        items = [] if result is None else [item.insert_text for item in result.items]
        return [text for text in items if isinstance(text, str)], elapsed

    async def complete(self, uri: str, line: int, column: int) -> tuple[list[str], float]:
        started = time.perf_counter()
        request = self.client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri),
                position=types.Position(line, column),
            )
        )
        try:
            result = await asyncio.wait_for(request, REQUEST_TIMEOUT_S)
        except TimeoutError:
            self.timeouts += 1
            return [], 1000 * REQUEST_TIMEOUT_S
        elapsed = 1000 * (time.perf_counter() - started)
        if result is None:
            return [], elapsed
        items = result.items if isinstance(result, types.CompletionList) else result
        ordered = sorted(items, key=lambda item: item.sort_text or item.label)
        # The identifier each entry inserts (jedi's labels may carry a signature or snippet).
        labels = []
        for item in ordered:
            match = re.match(r"\w+", item.filter_text or item.label)
            labels.append(match.group() if match else item.label)
        return labels, elapsed


async def first_request(
    command: list[str], options: Any, text: str, pause_s: float = 0.0
) -> tuple[float, float]:
    """A fresh server's first inline request, sent ``pause_s`` after the file was opened.

    Returns seconds from process start to the answer (cold start, with no pause) and the
    request's own milliseconds. With a pause, as a user's first keystroke comes, the model should
    already be loaded and warm (``ModelService.preload``).
    """
    server = Server(command, options)
    started = await server.start()
    uri = "file:///bench/first.py"
    server.open(uri, text)
    if pause_s:
        await asyncio.sleep(pause_s)
    lines = text.split("\n")
    line = code_lines(text)[0]
    _, request_ms = await server.inline(uri, line, utf16(lines[line]))
    elapsed = time.perf_counter() - started
    await server.stop()
    return elapsed, request_ms


@dataclass
class Positions:
    """Where each measurement happens, chosen once so both servers see the same spots."""

    typing: list[tuple[int, int]]  # (file index, line)
    cold: list[tuple[int, int, int]]  # (file index, line, column)
    members: list[tuple[int, int, int, str]]  # (file, line, column after the dot, attribute)
    member_typed: int = 0  # characters of the attribute typed before the list is asked for


def choose_positions(files: list[tuple[str, str]], args: argparse.Namespace) -> Positions:
    rng = random.Random(args.seed)
    typing, cold, members = [], [], []
    for index, (_, text) in enumerate(files):
        lines = text.split("\n")
        candidates = code_lines(text)
        if not candidates:
            continue
        for line in rng.sample(candidates, min(args.typing_lines, len(candidates))):
            typing.append((index, line))
        for line in rng.sample(candidates, min(args.cold_per_file, len(candidates))):
            content = lines[line]
            indent = len(content) - len(content.lstrip())
            column = rng.randint(indent + 1, len(content) - 1)
            cold.append((index, line, column))
        uses = [
            (number, match.end(1) + 1, match.group(2))
            for number in candidates
            for match in MEMBER.finditer(lines[number])
            if not set(lines[number][: match.start()]) & {'"', "'"}
            and len(match.group(2)) > args.member_typed
        ]
        for number, column, attribute in rng.sample(uses, min(args.members_per_file, len(uses))):
            members.append((index, number, column, attribute))
    return Positions(typing, cold, members, args.member_typed)


async def rank_members(
    server: Any, positions: Positions, uris: list[str], all_lines: list[list[str]], name: str
) -> tuple[list[int | None], list[float]]:
    """Delete each member name after its ``x.`` (all but ``member_typed`` characters), ask for
    the list, restore the line.

    Returns the rank of the real attribute in each list (None when absent) and the latencies;
    the same loop for both servers, so their numbers are comparable.
    """
    ranks: list[int | None] = []
    latencies: list[float] = []
    for index, line, after_dot, attribute in positions.members:
        uri, content = uris[index], all_lines[index][line]
        column = after_dot + positions.member_typed
        server.edit(uri, line, column, len(content), "")
        labels, elapsed = await server.complete(uri, line, column)
        server.edit(uri, line, column, column, content[column:])
        latencies.append(elapsed)
        ranks.append(labels.index(attribute) if attribute in labels else None)
        log.debug("%s member %s: %.0f ms", name, attribute, elapsed)
    return ranks, latencies


async def measure_codegpt(
    files: list[tuple[str, str]], positions: Positions, command: list[str], options: Any
) -> dict[str, Any]:
    server = Server(command, options)
    await server.start()
    uris = [f"file:///bench/f{index}.py" for index in range(len(files))]
    for uri, (_, text) in zip(uris, files, strict=True):
        server.open(uri, text)
    all_lines = [text.split("\n") for _, text in files]
    await server.inline(uris[0], 0, 0)  # loads the model: cold start is measured separately

    log.info("codegpt: typing %d lines", len(positions.typing))
    typing_ms: list[float] = []
    shown_while_typing = 0
    for index, line in positions.typing:
        for items, elapsed in await server.retype(uris[index], line, all_lines[index][line]):
            typing_ms.append(elapsed)
            shown_while_typing += bool(items)

    log.info("codegpt: %d cold positions", len(positions.cold))
    cold_ms: list[float] = []
    quality = []
    for index, line, column in positions.cold:
        uri, content = uris[index], all_lines[index][line]
        server.edit(uri, line, column, len(content), "")
        items, elapsed = await server.inline(uri, line, column)
        server.edit(uri, line, column, column, content[column:])
        cold_ms.append(elapsed)
        truth = content[column:]
        prediction = items[0] if items else ""
        quality.append((bool(items), prediction, truth))

    log.info("codegpt: %d member positions", len(positions.members))
    member_ranks, list_ms = await rank_members(server, positions, uris, all_lines, "codegpt")
    huge = await measure_huge_file(server, files, positions)
    await server.stop()

    shown = [q for q in quality if q[0]]
    return {
        "inline_typing": {**summary(typing_ms), "shown_rate": _rate(shown_while_typing, typing_ms)},
        "inline_cold": summary(cold_ms),
        "line_completion": {
            "positions": len(quality),
            "shown_rate": _rate(len(shown), quality),
            "exact_match_all": _pct(sum(exact_match(p, t) for _, p, t in quality), len(quality)),
            "edit_similarity_all": _mean([edit_similarity(p, t) for _, p, t in quality]),
            "exact_match_shown": _pct(sum(exact_match(p, t) for _, p, t in shown), len(shown)),
            "edit_similarity_shown": _mean([edit_similarity(p, t) for _, p, t in shown]),
        },
        "member_access": _member_summary(member_ranks, list_ms),
        "huge_file": huge,
    }


def huge_document(files: list[tuple[str, str]]) -> tuple[list[str], str, list[str], list[int]]:
    """The files repeated to HUGE_FILE_LINES lines: the copies, text, lines, each copy's line."""
    copies = []
    total = 0
    while total < HUGE_FILE_LINES:
        for _, text in files:
            copies.append(text if text.endswith("\n") else text + "\n")
            total += copies[-1].count("\n")
    text = "".join(copies)
    starts = [0]
    for chunk in copies[:-1]:
        starts.append(starts[-1] + chunk.count("\n"))
    return copies, text, text.split("\n"), starts


def huge_typing_lines(
    positions: Positions, starts: list[int], files: list[tuple[str, str]]
) -> list[int]:
    """Two typing lines of the first file, in its last copy (near the end of the document)."""
    return [line + starts[-len(files)] for index, line in positions.typing if index == 0][:2]


async def measure_huge_file_with_diagnostics(
    files: list[tuple[str, str]], positions: Positions, command: list[str], options: Any
) -> dict[str, Any]:
    """Typing with pauses in the huge file, diagnostics on: each request follows a syntax check.

    After every character the benchmark waits PAUSE_S (longer than the diagnostics debounce), so
    the server checks the whole 3 MB file (and, mid-line, finds a bracket left open) just before
    the completion request arrives: the request measures how free the event loop is.
    """
    options = {"codegpt": {**options["codegpt"], "diagnostics": {"enable": True}}}
    server = Server(command, options)
    await server.start()
    _, text, lines, starts = huge_document(files)
    uri = "file:///bench/huge.py"
    server.open(uri, text)
    await server.inline(uri, 0, 0)  # the model is loaded, the document parsed once
    typing_ms = [
        elapsed
        for line in huge_typing_lines(positions, starts, files)
        for _, elapsed in await server.retype(uri, line, lines[line], PAUSE_S)
    ]
    await server.stop()
    return {"lines": len(lines), "pause_s": PAUSE_S, "inline_after_pause": summary(typing_ms)}


async def measure_huge_file(
    server: Server, files: list[tuple[str, str]], positions: Positions
) -> dict[str, Any]:
    """The same files concatenated to HUGE_FILE_LINES lines: open, then cold and typing requests.

    Positions are the cold ones of the first file, shifted into each copy of it, so they spread
    from the top of the document to its end.
    """
    copies, text, lines, starts = huge_document(files)
    uri = "file:///bench/huge.py"
    opened = time.perf_counter()
    server.open(uri, text)
    first_line = code_lines(copies[0])[0]
    await server.inline(uri, first_line, utf16(lines[first_line]))
    open_ms = 1000 * (time.perf_counter() - opened)
    spots = [(i, line, column) for i, line, column in positions.cold if i == 0]
    cold_ms: list[float] = []
    for k, copy_start in enumerate(starts[:: max(1, len(starts) // 20)]):
        _, line, column = spots[k % len(spots)]
        line += copy_start
        content = lines[line]
        server.edit(uri, line, column, len(content), "")
        _, elapsed = await server.inline(uri, line, column)
        server.edit(uri, line, column, column, content[column:])
        cold_ms.append(elapsed)
    typing_ms = [
        elapsed
        for line in huge_typing_lines(positions, starts, files)
        for _, elapsed in await server.retype(uri, line, lines[line])
    ]
    return {
        "lines": len(lines),
        "open_to_first_answer_ms": round(open_ms, 1),
        "inline_cold": summary(cold_ms),
        "inline_typing": summary(typing_ms),
    }


async def measure_jedi(
    files: list[tuple[str, str]], positions: Positions, command: list[str]
) -> dict[str, Any]:
    server = Server(command, None)
    await server.start()
    uris = [f"file:///bench/f{index}.py" for index in range(len(files))]
    for uri, (_, text) in zip(uris, files, strict=True):
        server.open(uri, text)
    all_lines = [text.split("\n") for _, text in files]
    await server.complete(uris[0], 0, 0)  # warm up jedi's caches once, like our model load
    cold_ms: list[float] = []
    for index, line, column in positions.cold:
        uri, content = uris[index], all_lines[index][line]
        server.edit(uri, line, column, len(content), "")
        _, elapsed = await server.complete(uri, line, column)
        server.edit(uri, line, column, column, content[column:])
        cold_ms.append(elapsed)
        log.debug("jedi cold %d:%d: %.0f ms", line, column, elapsed)
    member_ranks, list_ms = await rank_members(server, positions, uris, all_lines, "jedi")
    await server.stop()
    return {
        "timeouts": server.timeouts,
        "completion_cold": summary(cold_ms),
        "member_access": _member_summary(member_ranks, list_ms),
    }


def _rate(count: int, population: list) -> float | None:
    return round(count / len(population), 3) if population else None


def _pct(count: int, total: int) -> float | None:
    return round(100 * count / total, 2) if total else None


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def _member_summary(ranks: list[int | None], latencies: list[float]) -> dict[str, Any]:
    return {
        "positions": len(ranks),
        "top1": _pct(sum(rank == 0 for rank in ranks), len(ranks)),
        "top5": _pct(sum(rank is not None and rank < 5 for rank in ranks), len(ranks)),
        "latency": summary(latencies),
    }


def machine() -> dict[str, Any]:
    """What the numbers were measured on, and how busy it was."""
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    files = load_files(Path(args.corpus), args.files, rng)
    positions = choose_positions(files, args)
    model = args.model or str(paths.default_model_dir())
    # Diagnostics off except in their own part: this measures completion alone.
    options = {
        "codegpt": {
            "model": {
                "path": model,
                "threads": args.threads,
                "prefillThreads": args.prefill_threads,
            },
            "diagnostics": {"enable": False},
        }
    }
    command = [sys.executable, "-m", "codegpt", "serve"]
    if args.huge_diagnostics_only:
        log.info("huge file, diagnostics on, typing with pauses")
        return {
            "machine": machine(),
            "model": model,
            "huge_file_diagnostics_on": await measure_huge_file_with_diagnostics(
                files, positions, command, options
            ),
        }

    log.info("cold starts")
    text = files[0][1]
    starts = [(await first_request(command, options, text))[0] for _ in range(args.cold_starts)]
    firsts = [
        (await first_request(command, options, text, FIRST_REQUEST_PAUSE_S))[1]
        for _ in range(args.cold_starts)
    ]
    result: dict[str, Any] = {
        "machine": machine(),
        "model": model,
        "threads": args.threads,
        "prefill_threads": args.prefill_threads,
        "files": [name for name, _ in files],
        "lines": [text.count("\n") for _, text in files],
        "targets": TARGETS,
        "cold_start_s": {
            "median": round(statistics.median(starts), 3),
            "all": [round(s, 3) for s in starts],
        },
        "first_request_after_pause_ms": {
            "pause_s": FIRST_REQUEST_PAUSE_S,
            "median": round(statistics.median(firsts), 1),
            "all": [round(f, 1) for f in firsts],
        },
        "codegpt": await measure_codegpt(files, positions, command, options),
    }
    log.info("huge file, diagnostics on, typing with pauses")
    result["codegpt"]["huge_file_diagnostics_on"] = await measure_huge_file_with_diagnostics(
        files, positions, command, options
    )
    jedi = shutil.which("jedi-language-server") or str(
        Path(sys.executable).parent / "jedi-language-server"
    )
    if Path(jedi).exists():
        log.info("jedi-language-server")
        result["jedi_language_server"] = await measure_jedi(files, positions, [jedi])
    else:
        result["jedi_language_server"] = "not installed (pip install jedi-language-server)"
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default="data/corpus")
    parser.add_argument("--model", help="model folder (default: the bundled model)")
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime threads (2 cores)")
    parser.add_argument(
        "--prefill-threads", type=int, default=0, help="model.prefillThreads (0: the server's auto)"
    )
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--typing-lines", type=int, default=2, help="lines retyped per file")
    parser.add_argument("--cold-per-file", type=int, default=15)
    parser.add_argument("--members-per-file", type=int, default=10)
    parser.add_argument(
        "--member-typed", type=int, default=0, help="attribute characters typed before the list"
    )
    parser.add_argument("--cold-starts", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--huge-diagnostics-only",
        action="store_true",
        help="only typing with pauses in the huge file with diagnostics on",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every jedi request")
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(message)s",
    )
    logging.getLogger("pygls").setLevel(logging.ERROR)  # unhandled client-side notifications
    result = asyncio.run(main_async(args))
    emit(result, args.out)


if __name__ == "__main__":
    main()
