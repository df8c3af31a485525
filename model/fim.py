"""Fill-in-the-middle formats (Bavarian et al. 2022), shared by training and the server's prompts.

Pure string functions, no torch: the shard writer uses them to transform training documents and
the server uses the same functions to build prompts, so the two can never disagree on a format.

PSM: ``FIM_PREFIX prefix FIM_SUFFIX suffix FIM_MIDDLE middle``.
SPM: ``FIM_PREFIX FIM_SUFFIX suffix FIM_MIDDLE prefix middle``. Putting the prefix last means the
inference prompt ``FIM_PREFIX FIM_SUFFIX suffix FIM_MIDDLE prefix`` ends at the cursor, so typing at
the cursor only appends tokens and a KV cache of the prompt stays valid.

END_OF_TEXT is never added here: the shard writer appends it after each document, so the model
learns to end a middle with END_OF_TEXT.
"""

from __future__ import annotations

import random

from codegpt.model.tokens import FIM_MIDDLE, FIM_PREFIX, FIM_SUFFIX


def format_psm(prefix: str, middle: str, suffix: str) -> str:
    """A full PSM training example."""
    return f"{FIM_PREFIX}{prefix}{FIM_SUFFIX}{suffix}{FIM_MIDDLE}{middle}"


def format_spm(prefix: str, middle: str, suffix: str) -> str:
    """A full SPM training example (prefix and middle are one run of text after FIM_MIDDLE)."""
    return f"{FIM_PREFIX}{FIM_SUFFIX}{suffix}{FIM_MIDDLE}{prefix}{middle}"


def format_psm_prompt(prefix: str, suffix: str) -> str:
    """The PSM prompt the server sends: the model continues with the middle."""
    return format_psm(prefix, "", suffix)


def format_spm_prompt(prefix: str, suffix: str) -> str:
    """The SPM prompt the server sends: it ends with the prefix, i.e. at the cursor."""
    return format_spm(prefix, "", suffix)


def random_span(length: int, rng: random.Random) -> tuple[int, int]:
    """Two sorted character offsets in ``[0, length]``, uniform as in Bavarian et al."""
    first, second = rng.randint(0, length), rng.randint(0, length)
    return (first, second) if first <= second else (second, first)


def apply_fim(text: str, rng: random.Random, fim_rate: float = 0.5, spm_rate: float = 0.5) -> str:
    """With probability ``fim_rate`` turn ``text`` into a PSM or SPM example, else return it.

    The span is chosen at the character level; ``spm_rate`` is the share of FIM examples in SPM
    order. All randomness comes from ``rng``, so a seeded build is reproducible.
    """
    if rng.random() >= fim_rate:
        return text
    start, end = random_span(len(text), rng)
    prefix, middle, suffix = text[:start], text[start:end], text[end:]
    if rng.random() < spm_rate:
        return format_spm(prefix, middle, suffix)
    return format_psm(prefix, middle, suffix)


def is_fim(example: str) -> bool:
    """Whether ``example`` is in one of the FIM formats (documents never start with FIM_PREFIX)."""
    return example.startswith(FIM_PREFIX)


def split_fim(example: str) -> tuple[str, str, str]:
    """Take a FIM example (or plain text) apart into ``(prefix, middle, suffix)``.

    ``prefix + middle + suffix`` is always the original document. PSM keeps the three parts
    apart; in SPM the prefix and the middle are one run of text, so it comes back as the middle
    with an empty prefix. Plain text is all prefix. Raises ValueError on a malformed example.
    """
    if not is_fim(example):
        return example, "", ""
    body = example[len(FIM_PREFIX) :]
    if body.startswith(FIM_SUFFIX):  # SPM
        suffix, sep, prefix_and_middle = body[len(FIM_SUFFIX) :].partition(FIM_MIDDLE)
        if not sep:
            raise ValueError("SPM example without FIM_MIDDLE")
        return "", prefix_and_middle, suffix
    prefix, sep, rest = body.partition(FIM_SUFFIX)
    suffix, sep2, middle = rest.partition(FIM_MIDDLE)
    if not sep or not sep2:
        raise ValueError("PSM example without FIM_SUFFIX or FIM_MIDDLE")
    return prefix, middle, suffix


def recover_document(example: str) -> str:
    """The document a FIM example (or plain text) was made from."""
    prefix, middle, suffix = split_fim(example)
    return prefix + middle + suffix
