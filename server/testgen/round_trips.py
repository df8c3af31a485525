"""A reader tested on what a writer of the same module wrote: ``save(...)`` then ``load(...)``.

Alone, ``load_cart(path)`` only ever meets a missing file: the test pins FileNotFoundError and
covers one line. Typical paths are shared by every function (``pathlib.Path('archive.tar.gz')``),
so a reader's call made after a writer's call reads what the writer wrote, and the test is a
round trip: ``save_cart(Cart([...]), path)`` then ``load_cart(path) == Cart(...)``.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from codegpt.server.testgen.analysis import FunctionTarget, ModuleAnalysis
from codegpt.server.testgen.calls import calls_for
from codegpt.server.testgen.proposals import Proposal, ProposalConfig, propose
from codegpt.server.testgen.sandbox import Sandbox

MAX_WRITERS = 2  # calls that wrote files, run before a reader's calls that found none
MAX_READS_PER_WRITER = 3  # a reader's calls tried after each writer
# A writer's calls run to find one that writes more than an empty file (``_fuller``).
CALLS_PER_WRITER = 8
#: Calls that write files: ``path.write_text``, ``json.dump``, ``df.to_csv``, ``open(p, 'w')``.
_WRITING_CALLS = frozenset(
    {"write_text", "write_bytes", "write", "writelines", "dump", "touch", "mkdir", "savez"}
    | {"to_csv", "to_json", "save", "savetxt", "copyfile", "writerow", "writerows"}
)


def _runs_as_statement(target: FunctionTarget) -> bool:
    """Its call alone, as a line, does all it does (not a coroutine or a generator)."""
    return not target.is_async and not target.is_generator


def writer_statement(target: FunctionTarget, proposal: Proposal) -> Proposal | None:
    """The call as a statement to run first, or None if it cannot be one.

    A method's is made on its receiver in place: ``TodoList([Task('abc')]).save(path)``; one
    whose receiver was prepared by earlier statements (``instance.add(...)``) cannot be.
    """
    if not _runs_as_statement(target) or proposal.prepare:
        return None
    if target.kind == "method":
        if not proposal.receiver:
            return None
        callee = f"{proposal.receiver}.{target.name}"
    else:
        callee = target.qualname if target.class_name else target.name
    return Proposal(prepare=(proposal.call_text(callee),), imports=proposal.imports)


def may_write_files(target: FunctionTarget) -> bool:
    """The function's body calls something that writes files (a guess, checked by running)."""
    try:
        tree = ast.parse(target.source.strip() or "pass")
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _WRITING_CALLS:
            return True
        # open(path, "w") and path.open("w"): the mode is the first argument of the method.
        position = 0 if isinstance(func, ast.Attribute) else 1
        modes = [*node.args[position : position + 1]]
        modes += [k.value for k in node.keywords if k.arg == "mode"]
        if name == "open" and any(_writing_mode(mode) for mode in modes):
            return True
    return False


def _writing_mode(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(set(node.value) & set("wax+"))
    )


def discover_writers(
    sandbox: Sandbox,
    analysis: ModuleAnalysis,
    location: tuple[Path, str, list[str]],
    config: ProposalConfig,
    reader: str,
) -> list[Proposal]:
    """Writers when only ``reader`` is generated: other functions' calls that wrote files."""
    candidates = [
        t
        for t in analysis.public_functions()
        if t.qualname != reader and _runs_as_statement(t) and may_write_files(t)
    ][:MAX_WRITERS]
    if not candidates:
        return []
    tried = [(t, p) for t in candidates for p in propose(t, config)[:CALLS_PER_WRITER]]
    calls = [call for index, (t, p) in enumerate(tried) for call in calls_for(t, [p], index)]
    path, module, sys_path = location
    batch = sandbox.run_calls(path, module, sys_path, calls)
    wrote: dict[str, list[tuple[int, Proposal]]] = {}  # per writer, in proposal order
    for index, (target, proposal) in enumerate(tried):
        outcome = batch.outcomes.get(index)
        if outcome is None or outcome.status != "returned" or not outcome.files:
            continue
        writer = writer_statement(target, proposal)
        if writer is not None and "outside" not in outcome.writes:
            size = sum(len(text or "") for _, text in outcome.files)
            wrote.setdefault(target.qualname, []).append((size, writer))
    return [_fuller(calls) for calls in wrote.values()]


def _fuller(calls: list[tuple[int, Proposal]]) -> Proposal:
    """The first call that wrote more than the least any did.

    An empty file tests little, and the first calls are the typical ones, not the oddest.
    """
    least = min(size for size, _ in calls)
    return next((writer for size, writer in calls if size > least), calls[0][1])


def read_after_writes(missing: Sequence[Proposal], writers: Sequence[Proposal]) -> list[Proposal]:
    """Each proposal that met no file, made again after each writer's call."""
    return [
        replace(
            proposal,
            prepare=writer.prepare,
            imports=tuple(dict.fromkeys((*proposal.imports, *writer.imports))),
            origin="round trip",
        )
        for proposal in missing[:MAX_READS_PER_WRITER]
        for writer in writers[:MAX_WRITERS]
    ]
