"""The repair loop: find the first error, gather candidate edits, verify them, choose, repeat.

Guarantees, whatever the candidates or the model say:

- a fix is offered only after the *whole* file was re-checked with it (compile() and tree-sitter);
- a round that does not make the file parse must move compile()'s first error strictly later:
  to a later line, or, when compile() reported a broken token ahead of a parser error above it,
  by fixing that token and so revealing the error that was there all along (``_moved_later``);
  a text is never visited twice, so a multi-error file gets better step by step or the loop
  stops;
- a candidate changes nothing outside the window around the error it targets;
- when nothing verifies, the result says so (``reason``) and carries the input unchanged.

Without a model, verified candidates are ranked by prior cost (fewest and likeliest edits),
plus a little for each never-seen-elsewhere identifier and each piece of code nobody writes
(``plausibility.oddities``) they leave. With a model, its likelihood of each fixed window ranks
them, and among scores within ``score_tolerance`` that ranking by prior decides. When the file
still has other errors, fixes whose edited statement now compiles go ahead of those that leave
it broken (``_statement_still_broken``), whatever the model says. A verified
rewrite of another language's spelling (``else if`` -> ``elif``, ``!x`` -> ``not x``: source
``idiom``) goes first either way: its meaning is known, and a small model prefers the shorter
``if x:`` that a deleted ``!`` leaves, which means the opposite.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from codegpt.server.repair.candidates import (
    Candidate,
    closers_on_own_line,
    doubled_openers,
    missing_handler,
    search_candidates,
)
from codegpt.server.repair.chunks import Chunk, statement_chunk
from codegpt.server.repair.edits import TextEdit, describe, diff_edits, levenshtein
from codegpt.server.repair.focus import Focus, focus_region
from codegpt.server.repair.lexing import LexedText, significant_tokens, tokenize
from codegpt.server.repair.plausibility import oddities
from codegpt.server.repair.regions import (
    ErrorRegion,
    block_start_line,
    error_regions,
    search_lines,
)
from codegpt.server.repair.scoring import Proposer, Scorer
from codegpt.server.repair.verify import (
    CompileError,
    ParseStatus,
    VerdictRunner,
    check,
    compile_error,
    quick_check,
    run_here,
)

# A round that only moves the first error later must be a likely edit: unlikely ones that merely
# push the error down a line are how a search walks a file into nonsense.
MAX_PROGRESS_COST = 1.3
# ...unless the error leaves the edited statement's neighbourhood (it is then another error, the
# one this edit fixed is gone): a removed stray character or a closed bracket costs about 1.5.
MAX_FAR_PROGRESS_COST = 1.7
FAR_LINES = 5
# Ranking cost of a progress-only edit that leaves the first error within FAR_LINES below where it
# was: a real fix leaves it elsewhere (beyond the statement, or above where the report hid it),
# a junk edit (a ',' inside a broken string) only nudges it along the line.
NUDGE_COST = 0.6
PROGRESS_MARGIN = 1.0
# Lines a model rewrite may add or remove: closing a bracket on a line of its own adds one; a
# rewrite that drops half a dozen lines (seen on held-out files) is deleting code.
MAX_MODEL_LINE_CHANGE = 2
# Cost of each tell-tale of a misplaced repair (``plausibility.oddities``) a candidate leaves.
ODDITY_COST = 0.6


@dataclass(frozen=True)
class FixerOptions:
    """Limits and tolerances of the search."""

    max_rounds: int = 20  # one error fixed per round; a file with more is given back as is
    time_budget_s: float = 10.0  # whole file, all rounds
    search_reach: int = 2  # lines above the reported error that edit search tries
    window_radius: int = 8  # lines either side of the error the model reads and rewrites
    cost_margin: float = 0.6  # verify this far past the cheapest accepted candidate (no model)
    model_cost_margin: float = 2.0  # wider with a model: it, not the prior, picks among them
    score_tolerance: float = 2.0  # nats; model scores this close are a tie, the prior decides
    n_best: int = 4  # model proposals per round
    max_checks_per_round: int = 1500  # full-file parses; bounds time on huge error regions
    # Texts this long are searched in the definitions around the error (``focus.py``): lexing
    # and compiling 200,000 characters takes about 0.2 s, a sizeable share of a quick fix's 2 s.
    focus_min_chars: int = 200_000


@dataclass(frozen=True)
class Fix:
    """One quick fix: a title for the editor and the edits, against the text it was made for."""

    title: str
    edits: tuple[TextEdit, ...]
    preferred: bool
    parses: bool  # the whole file parses once this fix is applied
    source: str  # "search", "model" or "combined"
    error: ErrorRegion | None = None  # the reported error this fix addresses
    position: tuple[int, int] = (0, 0)  # (line, column) of the first edit, 0-based code points

    def apply(self, text: str) -> str:
        """The text after this fix."""
        result = text
        for edit in sorted(self.edits, key=lambda item: item.start, reverse=True):
            result = edit.apply(result)
        return result


@dataclass(frozen=True)
class FixResult:
    """Outcome for a whole text: ``fixes`` were applied in order, each to the previous text."""

    original: str
    text: str
    fixes: tuple[Fix, ...]
    parses: bool
    reason: str | None = None  # why the result does not parse, when it does not
    remaining: tuple[ErrorRegion, ...] = field(default=())

    @property
    def changed(self) -> bool:
        """Whether the text differs from the input."""
        return self.text != self.original

    def edits(self) -> list[TextEdit]:
        """All fixes as edits against the *original* text (for one workspace edit)."""
        return diff_edits(self.original, self.text)


@dataclass(frozen=True)
class _Verified:
    candidate: Candidate
    text: str
    status: ParseStatus
    rank: tuple[float, ...]
    statement_broken: bool = False  # progress only, and its own statement still fails


class Fixer:
    """Repairs syntax errors in Python source; thread-safe, holds no per-text state."""

    def __init__(
        self,
        options: FixerOptions | None = None,
        scorer: Scorer | None = None,
        proposer: Proposer | None = None,
        run_check: VerdictRunner = run_here,
    ) -> None:
        self.options = options or FixerOptions()
        self.scorer = scorer
        self.proposer = proposer
        # Whole-file verdicts hold the GIL throughout (compile, tree-sitter); the server runs
        # those of big texts in a child process so its event loop keeps going meanwhile.
        self._run_check = run_check

    def fix(self, text: str) -> FixResult:
        """Fix as many errors as the budget allows; the result parses or says why not."""
        status = self._run_check(check, text)
        if status.parses or status.compiles:
            # compile() accepts it: any tree-sitter complaint is a grammar gap, not ours to fix.
            return FixResult(text, text, (), True)
        deadline = time.monotonic() + self.options.time_budget_s
        current, fixes = text, []
        seen = {text}  # progress is judged pairwise, so a cycle is refused outright
        reason = None
        rounds = _round_limit(status, self.options.max_rounds)
        for _ in range(rounds):
            if time.monotonic() > deadline:
                reason = "ran out of time"
                break
            found = self._round(current, status, deadline, wanted=2)
            choices = [c for c in found if c.text not in seen]
            if not choices:
                reason = "no verified fix found"
                break
            best = choices[0]
            seen.add(best.text)
            fixes.append(self._as_fix(current, status, best, preferred=True))
            # A text that compiles was checked in full already (quick_check builds its tree);
            # one that does not needs its tree errors for the next round's search.
            status = best.status if best.status.compiles else self._run_check(check, best.text)
            current = best.text
            if status.compiles:
                break
        else:
            reason = f"still broken after {rounds} fixes"
        if status.compiles and not status.parses:
            reason = "compile() accepts the result but tree-sitter does not"
        parses = status.compiles
        if parses:
            reason = None
        return FixResult(
            text, current, tuple(fixes), parses, reason, tuple(error_regions(current, status))
        )

    def quick_fixes(self, text: str, limit: int = 3) -> list[Fix]:
        """Fixes for the editor: alternatives for the first error, then one "fix all" if needed.

        The first entry is the preferred one. Each alternative parses the whole file on its own
        or, in a file with several errors, moves the first error later; "Fix all syntax errors"
        is added only when it makes the whole file parse.
        """
        status = self._run_check(check, text)
        if status.compiles:
            return []
        deadline = time.monotonic() + self.options.time_budget_s
        choices = self._round(text, status, deadline, wanted=limit)
        fixes: list[Fix] = []
        for index, choice in enumerate(choices[:limit]):
            fix = self._as_fix(text, status, choice, preferred=index == 0)
            if any(fix.title == earlier.title for earlier in fixes):
                # Same words, different place: say where, so the editor's menu tells them apart.
                line, column = fix.position
                fix = replace(fix, title=f"{fix.title} at {line + 1}:{column + 1}")
            fixes.append(fix)
        if fixes and not fixes[0].parses:
            result = self.fix(text)
            if result.parses and len(result.fixes) > 1:
                fixes.append(
                    Fix(
                        f"fix all syntax errors ({len(result.fixes)} fixes)",
                        tuple(result.edits()),
                        preferred=False,
                        parses=True,
                        source="combined",
                        error=fixes[0].error,
                    )
                )
        return fixes

    def _as_fix(self, text: str, status: ParseStatus, chosen: _Verified, preferred: bool) -> Fix:
        edit = chosen.candidate.edit
        title = chosen.candidate.note or describe(text, edit)
        regions = error_regions(text, ParseStatus(status.compile_error, ()))
        line, column, _, _ = edit.line_range(text)
        return Fix(
            title,
            (edit,),
            preferred,
            chosen.status.compiles,
            chosen.candidate.source,
            regions[0] if regions else None,
            (line, column),
        )

    def _round(
        self, text: str, status: ParseStatus, deadline: float, wanted: int
    ) -> list[_Verified]:
        """Verified candidates for the first error, best first (in a huge text, ``wanted``)."""
        focus = None
        if len(text) >= self.options.focus_min_chars:
            focus = focus_region(text, status)
        if focus is None:
            return self._search(text, status, deadline, self._run_check)
        found = self._search(text[focus.start : focus.end], focus.status, deadline, run_here)
        return self._widened(text, status, focus, found[:wanted])

    def _widened(
        self, text: str, status: ParseStatus, focus: Focus, found: list[_Verified]
    ) -> list[_Verified]:
        """A focus region's fixes as fixes of the whole text, each checked on the whole text.

        The same bar as the search's own: the whole text compiles (and tree-sitter agrees near
        the edit), or its first error moved later.
        """
        widened = []
        line_count = text.count("\n") + 1
        for item in found:
            edit = item.candidate.edit
            moved = TextEdit(edit.start + focus.start, edit.end + focus.start, edit.new_text)
            candidate = replace(item.candidate, edit=moved)
            new_text = text[: focus.start] + item.text + text[focus.end :]
            after = self._run_check(quick_check, new_text)  # the tree too, when it compiles
            if after.compiles:
                if not _tree_ok(after, moved, text):
                    continue
            else:
                edit_line = text.count("\n", 0, moved.start)
                progress = _moved_later(
                    status, after, text, new_text, line_count, candidate.cost, edit_line
                )
                if not progress:
                    continue
            widened.append(replace(item, candidate=candidate, text=new_text, status=after))
        return widened

    def _search(
        self, text: str, status: ParseStatus, deadline: float, run_check: VerdictRunner
    ) -> list[_Verified]:
        """The edit search (and the model's proposals) on ``text``, verified with ``run_check``."""
        options = self.options
        lexed = LexedText(text)
        lines = search_lines(status, lexed.line_count, options.search_reach)
        if status.compile_error and "unindent does not match" in status.compile_error.message:
            opened = block_start_line(lexed, status.compile_error.lineno - 1)
            if opened is not None and opened not in lines:
                lines.insert(1, opened)
        candidates = search_candidates(lexed, lines, status)
        error_line = max(status.first_error_line, 0)
        window = _window(lexed, error_line, options.window_radius)
        if self.proposer is not None:
            candidates = self._model_candidates(lexed, window, deadline) + candidates
            candidates.sort(key=lambda c: (c.cost, c.edit.size))
        margin = options.model_cost_margin if self.scorer is not None else options.cost_margin
        accepted: list[tuple[Candidate, str, ParseStatus]] = []
        best_full = best_progress = float("inf")
        line_count = lexed.line_count
        spans = [lexed.line_of(c.edit.start) for c in candidates] or [error_line]
        chunk = statement_chunk(lexed, min(*spans, error_line), max(*spans, error_line))
        structural = missing_handler(lexed, status)
        if status.compile_error and "never closed" in status.compile_error.message:
            last_line = lexed.line_of(max(chunk.end - 1, chunk.start))
            structural += doubled_openers(lexed, error_line, last_line)
            structural += closers_on_own_line(lexed, status)
        if structural:
            candidates = sorted(candidates + structural, key=lambda c: (c.cost, c.edit.size))
        for checks, candidate in enumerate(candidates):
            # A fix that makes the file parse beats any that only moves the error, so a
            # progress-only find widens the search more than a full fix does.
            limit = min(best_full + margin, best_progress + PROGRESS_MARGIN)
            if candidate.cost > limit or checks >= options.max_checks_per_round:
                break
            if time.monotonic() > deadline:
                break
            full_found = best_full < float("inf")
            if not _chunk_may_help(text, chunk, candidate.edit, status, full_found):
                continue
            new_text = candidate.edit.apply(text)
            after = run_check(quick_check, new_text)  # the tree too, when it compiles
            if after.compiles:
                if not _tree_ok(after, candidate.edit, text):
                    continue
                best_full = min(best_full, candidate.cost)
            elif full_found or not _moved_later(
                status,
                after,
                text,
                new_text,
                line_count,
                candidate.cost,
                lexed.line_of(candidate.edit.start),
            ):
                continue
            else:
                best_progress = min(best_progress, candidate.cost)
            accepted.append((candidate, new_text, after))
        if any(after.compiles for _, _, after in accepted):
            accepted = [item for item in accepted if item[2].compiles]
        return self._rank(text, lexed, window, accepted, error_line)

    def _model_candidates(
        self, lexed: LexedText, window: tuple[int, int], deadline: float
    ) -> list[Candidate]:
        assert self.proposer is not None, "only called with a proposer"
        text = lexed.text
        start, end = window
        broken = text[start:end]
        budget = max(0.0, deadline - time.monotonic()) / 2
        if budget <= 0.05:
            return []
        candidates = []
        old_tokens: list[str] | None = None  # lexed once, only if the model proposes anything
        for fixed in self.proposer.propose(broken, self.options.n_best, budget):
            edit = _trimmed_edit(start, broken, fixed)
            if edit is None:
                continue
            new_text = edit.apply(text)
            if _drops_definition(lexed, new_text, edit) or (
                _line_change(edit, text) > MAX_MODEL_LINE_CHANGE
            ):
                continue  # deleting code, or rewriting far more than a syntax error needs
            # Measured on the whole text: a window cut inside a docstring lexes its rest as
            # one string token, and fifteen deleted lines then counted as a single edit.
            if old_tokens is None:
                old_tokens = significant_tokens(text)
            distance = levenshtein(old_tokens, significant_tokens(new_text), cap=20)
            title = describe(text, edit) if distance <= 2 else "apply the model's repair"
            candidates.append(Candidate(edit, 0.5 + 0.4 * distance, "model", title))
        return candidates

    def _rank(
        self,
        text: str,
        lexed: LexedText,
        window: tuple[int, int],
        accepted: Sequence[tuple[Candidate, str, ParseStatus]],
        error_line: int,
    ) -> list[_Verified]:
        if not accepted:
            return []
        verified = []
        for candidate, new_text, after in accepted:
            edit_line = lexed.line_of(candidate.edit.start)
            novelty = odd = 0
            if after.compiles:
                old_lines, new_lines = _edited_lines(lexed, new_text, candidate.edit)
                novelty = _novel_names(lexed, old_lines, new_lines)
                odd = oddities(new_lines) - oddities(old_lines)
            later = nudged = 0
            statement_broken = False
            if not after.compiles:
                later = -after.first_error_line
                nudged = _nudged(error_line, after, new_text, lexed.line_count, edit_line)
                statement_broken = _statement_still_broken(lexed, candidate.edit)
            rank = (
                candidate.cost + 0.5 * novelty + ODDITY_COST * odd + NUDGE_COST * nudged,
                later,
                candidate.edit.size,
                abs(edit_line - error_line),
            )
            verified.append(_Verified(candidate, new_text, after, rank, statement_broken))
        verified.sort(key=lambda item: item.rank)
        idioms = [item for item in verified if item.candidate.source == "idiom"]
        verified = [item for item in verified if item.candidate.source != "idiom"]
        if self.scorer is None or len(verified) < 2:
            return idioms + _whole_statements_first(verified)
        start, end = window
        broken = text[start:end]
        fixed_windows = [item.text[start : end + len(item.text) - len(text)] for item in verified]
        scores = self.scorer.score(broken, fixed_windows)
        best = max(scores)
        cutoff = best - self.options.score_tolerance
        scored = sorted(zip(scores, verified, strict=True), key=lambda pair: -pair[0])
        near = [item for score, item in scored if score >= cutoff]
        rest = [item for score, item in scored if score < cutoff]
        # Among near-ties the prior decides: it knows the file's style and what code looks odd,
        # which a few nats of window likelihood do not outweigh.
        return idioms + _whole_statements_first(sorted(near, key=lambda item: item.rank) + rest)


def _round_limit(status: ParseStatus, max_rounds: int) -> int:
    """Rounds worth trying: about two per place tree-sitter sees an error, at least five.

    A file with one broken spot that needs ten "fixes" is being rewritten, not repaired.
    """
    rows = {node.start_row for node in status.tree_errors}
    return min(max_rounds, max(5, 2 * len(rows) + 1))


def _chunk_may_help(
    text: str, chunk: Chunk, edit: TextEdit, status: ParseStatus, full_found: bool
) -> bool:
    """Cheap filter: the edited chunk compiles, or its first error moved later."""
    if edit.start < chunk.start or edit.end > chunk.end:
        return True
    chunk_text = text[chunk.start : edit.start] + edit.new_text + text[edit.end : chunk.end]
    error = compile_error(chunk_text)
    if error is None:
        return True
    if full_found or status.compile_error is None:
        return False
    before = status.compile_error
    if before.reported_first and not error.reported_first:
        return True  # an earlier error the report hid may now show: the whole file decides
    return error.lineno + chunk.first_line >= before.lineno


def _whole_statements_first(ranked: list[_Verified]) -> list[_Verified]:
    """Fixes that leave their own statement compiling ahead of those that do not, order kept."""
    return [i for i in ranked if not i.statement_broken] + [i for i in ranked if i.statement_broken]


def _statement_still_broken(lexed: LexedText, edit: TextEdit) -> bool:
    """The edited top-level statement still fails to compile on a line the edit touched.

    A fix that leaves other errors in the file is judged by what it did where it edited:
    closing ``"Hello, " + name + "!`` after ``!`` leaves that statement whole, closing it after
    ``"Hello`` leaves a stray ``!`` on the same line, though both move the file's first error.
    """
    first, last = lexed.line_of(edit.start), lexed.line_of(max(edit.end - 1, edit.start))
    chunk = statement_chunk(lexed, first, last)
    if edit.start < chunk.start or edit.end > chunk.end:
        return False
    text = lexed.text
    edited = text[chunk.start : edit.start] + edit.new_text + text[edit.end : chunk.end]
    error = compile_error(edited)
    if error is None:
        return False
    line = chunk.first_line + error.lineno - 1
    return first <= line <= last + edit.new_text.count("\n")


def _window(lexed: LexedText, line: int, radius: int) -> tuple[int, int]:
    first = max(0, line - radius)
    last = min(lexed.line_count - 1, line + radius)
    end = lexed.starts[last + 1] if last + 1 < lexed.line_count else len(lexed.text)
    return lexed.starts[first], end


def _trimmed_edit(offset: int, old: str, new: str) -> TextEdit | None:
    if old == new:
        return None
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return TextEdit(offset + prefix, offset + len(old) - suffix, new[prefix : len(new) - suffix])


def _tree_ok(after: ParseStatus, edit: TextEdit, text: str) -> bool:
    """tree-sitter agrees, or its only complaints are far from the edit (a grammar gap)."""
    if not after.tree_errors:
        return True
    edit_line = text.count("\n", 0, edit.start)
    return all(abs(node.start_row - edit_line) > 3 for node in after.tree_errors)


def _moved_later(
    before: ParseStatus,
    after: ParseStatus,
    old_text: str,
    new_text: str,
    line_count: int,
    cost: float,
    edit_line: int,
) -> bool:
    """compile()'s first error is later, in the order compile() reports errors in.

    Later means a later line (lines added or removed discounted), or an error compile() reports
    ahead of parser errors (``CompileError.reported_first``) gone, revealing a parser error
    *above* the edit: that error was there all along, hidden by the report. A later column on
    the same line counts only for a likely edit (cost <= 1) and never for such an error (the
    token is still broken): junk edits also push the column right, and accepting those would
    walk a file into twenty bad "fixes". The cost cap is higher for a far move or a fixed token.
    """
    if before.compile_error is None or after.compile_error is None:
        return False
    old, new = before.compile_error, after.compile_error
    token_fixed = old.reported_first and not new.reported_first
    if (
        token_fixed
        and new.lineno - 1 < edit_line
        and _hidden_before(old_text, new_text, edit_line, new)
    ):
        return cost <= MAX_FAR_PROGRESS_COST
    shift = (new_text.count("\n") + 1) - line_count
    moved = new.lineno - shift - old.lineno
    if moved > 0:
        far = moved > FAR_LINES or token_fixed
        return cost <= (MAX_FAR_PROGRESS_COST if far else MAX_PROGRESS_COST)
    if moved < 0 or old.reported_first:
        return False  # a broken token further right on its line is still the broken token
    return shift == 0 and cost <= 1.0 and new.offset > old.offset


def _hidden_before(old_text: str, new_text: str, edit_line: int, error: CompileError) -> bool:
    """``error`` (above the edit) is in the text before the edit line, not made by the edit.

    Brackets span lines, so an edit can change how the lines above it parse: a '}' added below
    an open '{' turns a dict into a parse error higher up. Compiling the untouched lines alone
    tells a hidden error from one the edit made; not an unclosed bracket, which the cut makes.
    A bracket above is left open by the edit only if the edited line closes more than it opens:
    when that line now balances on its own (``print("welcome back")`` for
    ``print("welcome back)``), the bracket was open before the edit too, and so was whatever
    compile() now reports inside it (``expected 'else' after 'if' expression`` when the next
    line is an ``if``).
    """
    end = 0
    for _ in range(edit_line):
        end = old_text.find("\n", end) + 1
        if end == 0:
            return False
    found = compile_error(old_text[:end])
    if found is None:
        return False
    if "never closed" in found.message and found.lineno <= error.lineno:
        # ``end`` starts the edited line in both texts: the edit changes nothing before it.
        before = _line_depths(_line_from(old_text, end))
        return before[0] >= 0 and _line_depths(_line_from(new_text, end)) == (0, 0, False)
    if "never closed" in error.message:
        return False
    return (found.lineno, found.message) == (error.lineno, error.message)


def _line_from(text: str, start: int) -> str:
    """The line starting at offset ``start``, without its newline."""
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def _line_depths(line: str) -> tuple[int, int, bool]:
    """Lowest and final bracket depth along ``line``, and whether it ends in an open string.

    Depths count from 0: a negative lowest depth means the line closes a bracket opened above
    it. Brackets after an unterminated string's quote are text and not counted. The line is
    lexed alone: the file around it may be any size, and only this line's brackets count.
    """
    depth = lowest = 0
    for token in tokenize(line):
        if token.kind in ("open_string", "open_triple"):
            return lowest, depth, True
        if token.kind == "op" and token.text in ("(", "[", "{"):
            depth += 1
        elif token.kind == "op" and token.text in (")", "]", "}"):
            depth -= 1
            lowest = min(lowest, depth)
    return lowest, depth, False


def _nudged(
    error_line: int, after: ParseStatus, new_text: str, line_count: int, edit_line: int
) -> bool:
    """The first error is still at most FAR_LINES below ``error_line`` (lines added discounted)."""
    new_line = after.first_error_line
    if new_line < edit_line:
        return False
    shift = (new_text.count("\n") + 1) - line_count
    return new_line - shift - error_line <= FAR_LINES


def _edited_lines(lexed: LexedText, new_text: str, edit: TextEdit) -> tuple[str, str]:
    """The whole lines an edit touches, before and after it."""
    start = lexed.line_span(lexed.line_of(edit.start))[0]
    end = lexed.line_span(lexed.line_of(edit.end))[1]
    grown = len(edit.new_text) - (edit.end - edit.start)
    return lexed.text[start:end], new_text[start : end + grown]


def _line_change(edit: TextEdit, text: str) -> int:
    """How many lines the edit adds or removes."""
    return abs(edit.new_text.count("\n") - text.count("\n", edit.start, edit.end))


def _drops_definition(lexed: LexedText, new_text: str, edit: TextEdit) -> bool:
    """The edit leaves fewer ``def`` / ``class`` statements on the lines it touches."""
    old_lines, new_lines = _edited_lines(lexed, new_text, edit)

    def definitions(fragment: str) -> int:
        return sum(
            1
            for line in fragment.splitlines()
            if (words := line.split()) and words[0] in ("def", "class", "async")
        )

    return definitions(new_lines) < definitions(old_lines)


def _novel_names(lexed: LexedText, old_lines: str, new_lines: str) -> int:
    """Change in identifiers used only once, over the edited lines (a typo is used once).

    Merging two names (``print(foo`` -> ``printfoo``) adds one; fixing ``retrun`` removes one.
    Counts after the edit are the old counts minus the old lines' names plus the new lines'.
    """
    old_names = _names(old_lines)
    new_names = _names(new_lines)
    counts = dict(lexed.names)
    for name in old_names:
        counts[name] = counts.get(name, 0) - 1
    for name in new_names:
        counts[name] = counts.get(name, 0) + 1
    novel_after = sum(1 for name in new_names if counts[name] == 1)
    novel_before = sum(1 for name in old_names if lexed.names.get(name, 0) == 1)
    return novel_after - novel_before


def _names(fragment: str) -> list[str]:
    """Identifiers, leaving out attributes: a method used once (``.endswith``) is no typo."""
    names = []
    previous = None
    for token in tokenize(fragment):
        if token.kind == "name" and not token.is_keyword and previous != ".":
            names.append(token.text)
        if token.significant:
            previous = token.text
    return names
