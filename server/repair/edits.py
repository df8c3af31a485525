"""Text edits: apply them, express them as line/column ranges, and measure how big a change is.

Offsets are code points of a Python ``str``; :meth:`TextEdit.line_range` gives lines and code-point
columns, which the LSP side converts to its negotiated encoding with ``server.positions``.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from codegpt.server.line_index import line_starts
from codegpt.server.repair.lexing import significant_tokens


@dataclass(frozen=True)
class TextEdit:
    """Replace ``text[start:end]`` with ``new_text``."""

    start: int
    end: int
    new_text: str

    def apply(self, text: str) -> str:
        """The text after this one edit."""
        return text[: self.start] + self.new_text + text[self.end :]

    def line_range(self, text: str) -> tuple[int, int, int, int]:
        """(start line, start column, end line, end column), 0-based, columns in code points."""
        starts = line_starts(text)
        return (*_position(starts, self.start), *_position(starts, self.end))

    @property
    def size(self) -> int:
        """Characters removed plus inserted: a tie-breaker between fixes of equal merit."""
        return (self.end - self.start) + len(self.new_text)


def _position(starts: list[int], offset: int) -> tuple[int, int]:
    line = bisect.bisect_right(starts, offset) - 1
    return line, offset - starts[line]


def apply_edits(text: str, edits: Iterable[TextEdit]) -> str:
    """Apply non-overlapping edits given against the same ``text`` (any order)."""
    result = text
    for edit in sorted(edits, key=lambda item: item.start, reverse=True):
        result = edit.apply(result)
    return result


def diff_edits(old: str, new: str) -> list[TextEdit]:
    """Minimal-ish edits turning ``old`` into ``new``: one per changed hunk of lines, trimmed.

    Lines are compared first (fast on whole files), then each hunk is trimmed of the characters
    it shares at both ends, so a one-character fix becomes a one-character edit.
    """
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    old_offsets = _offsets(old_lines)
    new_offsets = _offsets(new_lines)
    edits: list[TextEdit] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        start, end = old_offsets[i1], old_offsets[i2]
        replacement = new[new_offsets[j1] : new_offsets[j2]]
        removed = old[start:end]
        prefix = _common_prefix(removed, replacement)
        suffix = _common_prefix(removed[prefix:][::-1], replacement[prefix:][::-1])
        edits.append(
            TextEdit(start + prefix, end - suffix, replacement[prefix : len(replacement) - suffix])
        )
    return edits


def _offsets(lines: Sequence[str]) -> list[int]:
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    return offsets


def _common_prefix(a: str, b: str) -> int:
    limit = min(len(a), len(b))
    index = 0
    while index < limit and a[index] == b[index]:
        index += 1
    return index


def levenshtein(a: Sequence[str], b: Sequence[str], cap: int | None = None) -> int:
    """Edit distance between two sequences; stops counting at ``cap`` (returns ``cap + 1``)."""
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    a, b = a[start:end_a], b[start:end_b]
    if cap is not None and abs(len(a) - len(b)) > cap:
        return cap + 1
    previous = list(range(len(b) + 1))
    for i, item in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (item != other))
            )
        if cap is not None and min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]


def token_distance(a: str, b: str, cap: int | None = None) -> int:
    """Token-level edit distance (indentation counts as a token): BIFI's measure of a fix."""
    return levenshtein(significant_tokens(a), significant_tokens(b), cap)


def damerau_distance(a: str, b: str) -> int:
    """Optimal-string-alignment distance: a swapped pair of letters (``retrun``) costs one."""
    rows = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        rows[i][0] = i
    for j in range(len(b) + 1):
        rows[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


def describe(old: str, edit: TextEdit) -> str:
    """A human title for an edit: ``insert ':'``, ``delete ','``, ``replace 'a' with 'b'``."""
    removed = old[edit.start : edit.end]
    added = edit.new_text
    if _only_indentation(old, edit):
        return "fix indentation"
    if not removed:
        return f"insert {_quote(added)}"
    if not added:
        return f"delete {_quote(removed)}"
    return f"replace {_quote(removed)} with {_quote(added)}"


def _only_indentation(old: str, edit: TextEdit) -> bool:
    removed = old[edit.start : edit.end]
    if removed.strip(" \t") or edit.new_text.strip(" \t") or not (removed or edit.new_text):
        return False
    line_start = old.rfind("\n", 0, edit.start) + 1
    return not old[line_start : edit.start].strip(" \t")


def _quote(fragment: str) -> str:
    shown = fragment if len(fragment) <= 30 else fragment[:27] + "..."
    shown = shown.replace("\n", "\\n")
    return f'"{shown}"' if "'" in shown else f"'{shown}'"
