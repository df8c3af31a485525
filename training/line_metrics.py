"""Line-completion metrics as CodeXGLUE computes them, so our numbers sit next to theirs.

CodeXGLUE's PY150 line-level evaluator counts an exact match when the whitespace-split tokens of
prediction and truth are equal, and reports edit similarity as fuzzywuzzy's ``fuzz.ratio``:
100 * (1 - indel distance / total length), i.e. 200 * LCS / (len(a) + len(b)).
"""

from __future__ import annotations


def exact_match(prediction: str, truth: str) -> bool:
    """Equal up to whitespace, as CodeXGLUE's ``pred.split() == gt.split()``."""
    return prediction.split() == truth.split()


def longest_common_subsequence(a: str, b: str) -> int:
    """Length of the longest common subsequence (two-row dynamic programme: lines are short)."""
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for char_a in a:
        current = [0]
        for j, char_b in enumerate(b, start=1):
            if char_a == char_b:
                current.append(previous[j - 1] + 1)
            else:
                current.append(max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def edit_similarity(prediction: str, truth: str) -> float:
    """fuzz.ratio on the stripped strings, in 0..100 (100 when both are empty)."""
    a, b = prediction.strip(), truth.strip()
    if not a and not b:
        return 100.0
    return 200.0 * longest_common_subsequence(a, b) / (len(a) + len(b))
