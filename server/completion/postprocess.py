"""Turn a raw model continuation into a suggestion worth showing, or into nothing.

Users of Copilot, Tabby and Continue complain about the same things: text duplicated after the
cursor, unbalanced brackets, junk that runs past the end of the block, whitespace-only ghosts and
confident-looking nonsense. Each rule here is one of those complaints, applied in a fixed order
so golden tests can pin every step. Pure functions of strings: no LSP, no model.
"""

from __future__ import annotations

from dataclasses import dataclass

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True)
class CursorLine:
    """What surrounds the cursor: the current line split at the cursor, and the lines after it."""

    before: str  # text of the current line left of the cursor
    after: str  # text of the current line right of the cursor
    following: str = ""  # the document after the current line (without its leading newline)


@dataclass(frozen=True)
class PostprocessOptions:
    """How much a suggestion may contain and how sure the model must be."""

    multi_line: bool = False  # allow a block (empty body, after a header) instead of one line
    max_lines: int = 12  # a ghost longer than a screenful is rarely read, let alone accepted
    min_mean_logprob: float = -1.5  # below this mean token log-probability, nothing is better


@dataclass(frozen=True)
class Suggestion:
    """A cleaned-up suggestion: the text to insert at the cursor and why it survived."""

    text: str
    mean_logprob: float


def leading_indent(line: str) -> int:
    """Columns of indentation (tabs count as 8, as CPython's tokenizer does)."""
    width = 0
    for char in line:
        if char == " ":
            width += 1
        elif char == "\t":
            width += 8 - width % 8
        else:
            break
    return width


def cut_single_line(text: str) -> str:
    """Single-line mode: the suggestion ends at the first newline."""
    return text.split("\n", 1)[0]


def cut_block(text: str, cursor: CursorLine, max_lines: int) -> str:
    """Multi-line mode: keep lines while they stay inside the block the cursor opens.

    The block's indentation is the cursor line's (for an empty indented line) or deeper; the first
    non-blank line that dedents below it ends the suggestion, as does ``max_lines``.
    """
    lines = text.split("\n")
    first = cursor.before + lines[0]
    base = leading_indent(first) if first.strip() else len(cursor.before)
    kept = [lines[0]]
    for line in lines[1:]:
        if len(kept) >= max_lines:
            break
        if line.strip() and leading_indent(line) < base:
            break
        kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


def drop_unasked_comment(text: str, cursor: CursorLine) -> str:
    """Take off a comment the suggestion starts after code the user wrote.

    At the end of ``for name in files:`` the model offered ``  # pragma: no cover`` and
    ``  # type: ignore``: a trailing comment nobody began is noise, not a completion. A comment
    on a line of its own (``before`` blank) stays, and so does a ``#`` inside a string.
    """
    first, newline, rest = text.partition("\n")
    if not first.lstrip().startswith("#") or not cursor.before.strip():
        return text
    if bracket_scan(cursor.before)[2] is not None:
        return text  # '#fff' typed in a string
    return newline + rest if rest.strip() else ""


def strip_overlap_with_following(text: str, cursor: CursorLine) -> str:
    """Never repeat what already follows the cursor.

    On one line: a suggestion ``foo(x)`` before an existing ``)`` keeps ``foo(x``. Over lines: a
    trailing run of lines equal to the document's next lines is dropped.
    """
    after = cursor.after.rstrip()
    if after and "\n" not in text:
        for size in range(min(len(after), len(text)), 0, -1):
            if text.endswith(after[:size]):
                return text[:-size]
        return text
    if "\n" in text and cursor.following:
        lines = text.split("\n")
        following = [line.rstrip() for line in cursor.following.split("\n")]
        for size in range(min(len(lines) - 1, len(following)), 0, -1):
            tail = [line.rstrip() for line in lines[-size:]]
            if tail == following[:size] and any(line.strip() for line in tail):
                return "\n".join(lines[:-size])
    return text


def bracket_depths(text: str, quote: str | None = None) -> tuple[list[str], int]:
    """Open brackets left unclosed and the count of closers with no opener, ignoring strings.

    ``quote``: ``text`` starts inside a string opened with it (a suggestion typed in a string).
    """
    stack, unmatched_closers, _ = bracket_scan(text, quote)
    return stack, unmatched_closers


def bracket_scan(text: str, quote: str | None = None) -> tuple[list[str], int, str | None]:
    """``bracket_depths``, and the quote of the string ``text`` ends in (None outside one)."""
    stack: list[str] = []
    unmatched_closers = 0
    index = 0
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\":
                index += 2
                continue
            if text.startswith(quote, index):
                index += len(quote)
                quote = None
                continue
        elif char == "#":
            newline = text.find("\n", index)
            index = len(text) if newline < 0 else newline
            continue
        elif char in "'\"":
            quote = text[index : index + 3] if text[index : index + 3] in ("'''", '"""') else char
            index += len(quote)
            continue
        elif char in OPENERS:
            stack.append(char)
        elif char in CLOSERS:
            if stack and stack[-1] == CLOSERS[char]:
                stack.pop()
            else:
                unmatched_closers += 1
        index += 1
    return stack, unmatched_closers, quote


def balance_brackets(text: str, cursor: CursorLine) -> str | None:
    """Keep brackets consistent with the line around the cursor, or reject the suggestion.

    The suggestion may close what the line opened before the cursor but not what the text after
    the cursor already closes; a single-line suggestion that leaves a new bracket open is cut back
    to before that bracket (an unclosed call is worse than a shorter one).
    """
    open_before, _, quote = bracket_scan(cursor.before)  # quote: the cursor is in a string
    _, closed_after = bracket_depths(cursor.after, quote)
    available = max(len(open_before) - closed_after, 0)
    stack, unmatched = bracket_depths(text, quote)
    if unmatched > available:
        # Trim closers from the end while they exceed what is left open to close.
        trimmed = text
        while unmatched > available and trimmed and trimmed[-1] in CLOSERS:
            trimmed = trimmed[:-1].rstrip()
            _, unmatched = bracket_depths(trimmed, quote)
        if unmatched > available:
            return None
        text = trimmed
        stack, _ = bracket_depths(text, quote)
    if stack and "\n" not in text:
        text = text[: first_unclosed_index(text, quote)].rstrip()
    return text


def first_unclosed_index(text: str, quote: str | None = None) -> int:
    """Index of the outermost bracket in ``text`` that is never closed."""
    for end in range(len(text), -1, -1):
        stack, _ = bracket_depths(text[:end], quote)
        if not stack:
            return end
    return 0


def postprocess(
    raw: str, mean_logprob: float, cursor: CursorLine, options: PostprocessOptions
) -> Suggestion | None:
    """Apply every rule in order; None means show nothing."""
    if mean_logprob < options.min_mean_logprob:
        return None
    text = raw.replace("\r\n", "\n")
    if options.multi_line:
        text = cut_block(text, cursor, options.max_lines)
    else:
        text = cut_single_line(text)
    text = drop_unasked_comment(text, cursor)
    text = strip_overlap_with_following(text, cursor)
    balanced = balance_brackets(text, cursor)
    if balanced is None:
        return None
    lines = balanced.split("\n")
    text = "\n".join([line.rstrip() for line in lines[:-1]] + [lines[-1]])
    if not text.strip():
        return None
    if not cursor.after.strip():
        text = text.rstrip()  # before an existing word, a trailing space is the separator
    return Suggestion(text=text, mean_logprob=mean_logprob)
