"""Fill-in-the-middle prompts for completion, built from the context extraction.

The prompt is SPM, exactly as the model was trained: ``FIM_PREFIX FIM_SUFFIX suffix FIM_MIDDLE
context prefix``. It ends at the cursor, so typing only appends tokens and the per-document KV
cache stays valid; the prefix starts at the enclosing top-level definition (``anchored``), so
moving the cursor inside a function keeps the beginning of the prompt as it was.

Extra context (signatures and docstrings of the definitions used near the cursor, from this file,
open files and imported workspace modules) goes in front of the prefix as comments, the form such
lines take in the code the model was trained on.

The corpus normalises CRLF to LF and drops a byte-order mark, so the prompt does too; the cursor is
always the end of the prompt, so positions map back without a table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tree_sitter import Tree

from codegpt.model.fim import format_spm_prompt
from codegpt.server.context import ContextBudget, CursorContext, extract_context_at_offset
from codegpt.server.context_focus import ByteRegion
from codegpt.server.context_symbols import Definition
from codegpt.server.context_window import PromptWindow, WindowBudget
from codegpt.server.settings import CompletionSettings

TokenCounter = Callable[[str], int]
SPECIAL_OVERHEAD = 3  # FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE
JOIN_MARGIN = 8  # tokens at the joins of the parts may merge differently than counted
BOM = "\ufeff"


@dataclass(frozen=True)
class PromptBudget:
    """Token budgets of the three prompt parts; their sum plus generation fits the model."""

    prefix: int
    suffix: int
    context: int

    @classmethod
    def fit(
        cls, settings: CompletionSettings, max_context: int, max_new_tokens: int
    ) -> PromptBudget:
        """The settings' budgets, shrunk so prompt and generation fit ``max_context`` tokens.

        When they do not fit, the suffix gets at most a quarter and the extra context an eighth of
        the room: the prefix is what the next tokens depend on most.
        """
        room = max(16, max_context - max_new_tokens - SPECIAL_OVERHEAD - JOIN_MARGIN)
        suffix = min(settings.suffix_tokens, room // 4)
        context = min(settings.context_tokens, room // 8)
        prefix = max(8, min(settings.prefix_tokens, room - suffix - context))
        return cls(prefix=prefix, suffix=suffix, context=context)


@dataclass(frozen=True)
class CompletionPrompt:
    """A prompt and what it was built from."""

    text: str  # the full SPM prompt, special tokens spelled out
    prefix: str  # normalised prefix (ends at the cursor)
    suffix: str  # normalised suffix
    extra: str  # the comment block in front of the prefix ("" when none)
    context: CursorContext


def normalise(text: str) -> str:
    """CRLF and lone CR become LF, as in the training corpus."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def render_definition(definition: Definition) -> str:
    """One definition as comment lines: its signature, then its docstring's first line."""
    lines = [f"# {line}" for line in definition.signature.strip().splitlines()[:3]]
    if definition.docstring:
        first = (
            definition.docstring.strip().splitlines()[0].strip()
            if definition.docstring.strip()
            else ""
        )
        if first:
            lines.append(f"#     {first}")
    return "\n".join(lines) + "\n"


def render_extra_context(
    definitions: Sequence[Definition], budget: int, count_tokens: TokenCounter
) -> str:
    """Definitions as comments, most relevant first, while they fit ``budget`` tokens."""
    if budget <= 0:
        return ""
    parts: list[str] = []
    used = 0
    for definition in definitions:
        rendered = render_definition(definition)
        cost = count_tokens(rendered)
        if used + cost > budget:
            continue
        parts.append(rendered)
        used += cost
    return "".join(parts)


def context_budget(budget: PromptBudget) -> ContextBudget:
    """The context extraction's budget for a prompt budget (windows measured in tokens)."""
    return ContextBudget(
        window=WindowBudget(prefix=budget.prefix, suffix=budget.suffix, anchor_to_definition=True)
    )


def build_prompt(
    text: str,
    offset: int,
    budget: PromptBudget,
    count_tokens: TokenCounter,
    *,
    tree: Tree | None = None,
    document: str | None = None,
    open_documents: Mapping[str, str] | None = None,
    workspace_root: str | Path | None = None,
    extra_cache: dict[tuple, str] | None = None,
    line_starts: Sequence[int] | None = None,
    region: ByteRegion | None = None,
    previous_window: PromptWindow | None = None,
) -> CompletionPrompt:
    """The SPM prompt for a cursor at str ``offset`` of ``text``.

    ``extra_cache`` (one per document) keeps the extra-context block while the cursor stays on one
    line inside one anchored window: its references change with every keystroke, but a prompt
    whose middle changes would throw away the KV cache after it. ``region`` and
    ``previous_window`` (the document's last prompt window, whose start typing keeps) go to
    context extraction (``extract_context_at_offset``).
    """
    context = extract_context_at_offset(
        text,
        offset,
        tree=tree,
        document=document,
        open_documents=open_documents,
        workspace_root=workspace_root,
        budget=context_budget(budget),
        count_tokens=count_tokens,
        line_starts=line_starts,
        region=region,
        previous_window=previous_window,
    )
    window = context.window
    prefix = normalise(window.prefix)
    if window.prefix_start == 0 and prefix.startswith(BOM):
        prefix = prefix[1:]
    suffix = normalise(window.suffix)
    key = (window.prefix_start, context.line)
    extra = extra_cache.get(key) if extra_cache is not None else None
    if extra is None:
        extra = render_extra_context(context.definitions, budget.context, count_tokens)
        if extra_cache is not None:
            extra_cache.clear()
            extra_cache[key] = extra
    if extra and prefix and not extra.endswith("\n\n") and window.prefix_start > 0:
        extra += "\n"  # a blank line between the notes and the code, as between definitions
    return CompletionPrompt(
        text=format_spm_prompt(extra + prefix, suffix),
        prefix=prefix,
        suffix=suffix,
        extra=extra,
        context=context,
    )
