"""Completion-list candidates: words the model proposes, and in-scope names it re-ranks.

The model proposes the likeliest ways to finish the identifier at the cursor (the top first
tokens, each extended greedily to the end of the word). Names that tree-sitter finds (after
``obj.``: the attributes used with that object and the members of its class; elsewhere: the names
in the prompt window, imports, definitions, keywords and builtins) are scored by the model too:
the first token's log-probability comes free with the prefill, and the likeliest multi-token
names are scored in full on top of the cached prompt, so each costs only its own tokens.
"""

from __future__ import annotations

import builtins
import keyword
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from codegpt.model.generation import score_continuation
from codegpt.model.healing import HealedPrompt, Vocabulary
from codegpt.model.kv_cache import KVCache, Past
from codegpt.model.runtime import CodeModel
from codegpt.server.context import CursorContext

Cancelled = Callable[[], bool]

_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_BUILTIN_NAMES = tuple(name for name in dir(builtins) if not name.startswith("_"))
# Names the model did not score in full are charged this per extra token, so a long name whose
# first token is likely does not outrank a fully scored one.
UNSCORED_TOKEN_PENALTY = -2.0
MAX_WORD_TOKENS = 4
# With nothing typed, the names of this file and its imports are what users reach for; a builtin
# or keyword is one keystroke away anyway, so it needs this much more probability to rank above.
GENERIC_NAME_PRIOR = -1.5


@dataclass(frozen=True)
class Candidate:
    """One entry of the completion list."""

    word: str  # the whole identifier (the typed part included)
    logprob: float  # model log-probability of the rest of the word after the cursor
    source: str  # "model", "member", "name"
    kind: str | None = None  # the definition kind, when the name comes from one
    detail: str | None = None  # a signature to show next to the label


@dataclass(frozen=True)
class NameSource:
    """A name from the context and what is known about it."""

    word: str
    source: str
    kind: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class Healing:
    """The first tokens allowed by token healing, and the log of their probability mass.

    Every candidate's score is conditional on spelling the healed text first, so the model's own
    words and the names in scope are ranked on the same footing.
    """

    allowed: np.ndarray | None  # None: nothing was healed, every token may come first
    norm: float

    @classmethod
    def of(cls, vocabulary: Vocabulary, healed: str, next_logprobs: np.ndarray) -> Healing:
        """Computed once per request from the prefill's next-token log-probabilities."""
        if not healed:
            return cls(None, 0.0)
        allowed = vocabulary.allowed(healed)
        norm = float(np.logaddexp.reduce(next_logprobs[allowed])) if allowed.size else 0.0
        return cls(allowed, norm)


def scope_names(context: CursorContext, partial: str) -> list[NameSource]:
    """Names that may complete ``partial`` here, best-informed first, without duplicates."""
    found: dict[str, NameSource] = {}

    def add(word: str, source: str, kind: str | None = None, detail: str | None = None) -> None:
        if word.startswith(partial) and word != partial and word not in found:
            found[word] = NameSource(word, source, kind, detail)

    members = context.members
    if members is not None:
        for name in members.used_attributes:
            add(name, "member", "attribute")
        for definition in members.members:
            add(definition.name, "member", definition.kind, definition.signature)
        return list(found.values())
    for definition in context.definitions:
        add(definition.name, "name", definition.kind, definition.signature)
    for statement in context.imports:
        for imported in statement.names:
            bound = imported.alias or imported.name or imported.module.split(".")[0]
            if bound and bound != "*":
                add(bound, "name", "module" if imported.name is None else None)
    window = context.window
    for text in (window.prefix, window.suffix):
        for match in _IDENTIFIER.finditer(text):
            add(match.group(), "name")
    for word in keyword.kwlist:
        add(word, "name", "keyword")
    for word in _BUILTIN_NAMES:
        add(word, "name", "builtin")
    return list(found.values())


def _word_prefix(text: str) -> tuple[str, bool]:
    """The identifier characters at the start of ``text`` and whether the word ended there."""
    match = re.match(r"\w*", text)
    word = match.group() if match else ""
    return word, len(word) < len(text)


def model_words(
    model: CodeModel,
    vocabulary: Vocabulary,
    past: Past,
    next_logprobs: np.ndarray,
    prompt: HealedPrompt,
    partial: str,
    *,
    count: int,
    healing: Healing,
    deadline: float | None,
    cancelled: Cancelled | None,
) -> list[tuple[str, float]]:
    """The model's ``count`` likeliest words starting with ``partial``, with log-probabilities."""
    healed = prompt.healed
    first, norm = healing.allowed, healing.norm
    scores = next_logprobs if first is None else next_logprobs[first]
    ids = np.arange(next_logprobs.size) if first is None else first
    order = np.argsort(-scores)[: count * 2]
    words: dict[str, float] = {}
    for index in order:
        if len(words) >= count:
            break
        token, logprob = int(ids[index]), float(scores[index]) - norm
        text = vocabulary.texts[token]
        if not text:
            continue
        if healed and not text.startswith(healed):
            continue  # only a part of a longer healed word: the names in scope cover those
        produced = text[len(healed) :]
        word, ended = _word_prefix(produced)
        if not word and not partial:
            continue
        step_past, step_token, steps = past, token, 0
        while not ended and steps < MAX_WORD_TOKENS - 1:
            if (deadline is not None and time.perf_counter() >= deadline) or (
                cancelled is not None and cancelled()
            ):
                break
            step_logprobs, step_past = model.decode_step(
                np.asarray([step_token], dtype=np.int64), step_past
            )
            step_token = int(np.argmax(step_logprobs[0]))
            more = vocabulary.texts[step_token]
            extra, ended = _word_prefix(more)
            if not more or not extra:
                ended = True
                break
            word += extra
            logprob += float(step_logprobs[0][step_token])
            steps += 1
        full = partial + word
        if full != partial and full.isidentifier() and full not in words:
            words[full] = logprob
    return list(words.items())


def rank_names(
    model: CodeModel,
    past: Past,
    next_logprobs: np.ndarray,
    prompt: HealedPrompt,
    partial: str,
    names: Sequence[NameSource],
    *,
    full_scores: int,
    norm: float = 0.0,
    deadline: float | None,
    cancelled: Cancelled | None,
) -> list[Candidate]:
    """Score each name's rest after the cursor; the likeliest ``full_scores`` in full.

    ``norm`` is the log of the probability mass of the tokens that may spell the healed text:
    scores are conditional on it, as the model's own words are (``model_words``).
    """
    scored: list[tuple[float, float, NameSource, list[int]]] = []
    texts = [prompt.healed + name.word[len(partial) :] for name in names]
    encoded = model.tokenizer.encode_batch(texts) if texts else []
    for name, encoding in zip(names, encoded, strict=True):
        continuation = list(encoding.ids)
        if not continuation:
            continue
        generic = not partial and name.kind in ("builtin", "keyword")
        offset = (GENERIC_NAME_PRIOR if generic else 0.0) - norm  # added to every score of it
        first = float(next_logprobs[continuation[0]]) + offset
        estimate = first + UNSCORED_TOKEN_PENALTY * (len(continuation) - 1)
        scored.append((estimate, offset, name, continuation))
    scored.sort(key=lambda item: -item[0])
    result: list[Candidate] = []
    for rank, (estimate, offset, name, continuation) in enumerate(scored):
        logprob = estimate
        if len(continuation) > 1 and rank < full_scores:
            out_of_time = deadline is not None and time.perf_counter() >= deadline
            if not out_of_time and not (cancelled is not None and cancelled()):
                logprob = score_continuation(model, past, next_logprobs, continuation) + offset
        result.append(Candidate(name.word, logprob, name.source, name.kind, name.detail))
    return result


def merge(model_found: Iterable[tuple[str, float]], names: Iterable[Candidate]) -> list[Candidate]:
    """One list, likeliest first; a name the model also proposed keeps the better score."""
    merged: dict[str, Candidate] = {}
    for candidate in names:
        merged[candidate.word] = candidate
    for word, logprob in model_found:
        known = merged.get(word)
        if known is None:
            merged[word] = Candidate(word, logprob, "model")
        elif logprob > known.logprob:
            merged[word] = Candidate(word, logprob, known.source, known.kind, known.detail)
    return sorted(merged.values(), key=lambda c: (-c.logprob, c.word))


def list_candidates(
    model: CodeModel,
    vocabulary: Vocabulary,
    prompt: HealedPrompt,
    partial: str,
    names: Sequence[NameSource],
    *,
    cache: KVCache | None,
    model_count: int = 8,
    full_scores: int = 8,
    deadline: float | None = None,
    cancelled: Cancelled | None = None,
) -> tuple[list[Candidate], bool]:
    """Ranked candidates and whether the time budget cut the work short."""
    past, next_logprobs = model.prefill(prompt.ids, cache)
    healing = Healing.of(vocabulary, prompt.healed, next_logprobs)
    found = model_words(
        model,
        vocabulary,
        past,
        next_logprobs,
        prompt,
        partial,
        count=model_count,
        healing=healing,
        deadline=deadline,
        cancelled=cancelled,
    )
    ranked = rank_names(
        model,
        past,
        next_logprobs,
        prompt,
        partial,
        names,
        full_scores=full_scores,
        norm=healing.norm,
        deadline=deadline,
        cancelled=cancelled,
    )
    cut_short = deadline is not None and time.perf_counter() >= deadline
    return merge(found, ranked), cut_short
