"""Small numeric helpers: the well-behaved fixture for test generation."""

import math


def clamp(value: int, lower: int, upper: int) -> int:
    """Limit value to the closed range [lower, upper].

    >>> clamp(5, 0, 10)
    5
    """
    if lower > upper:
        raise ValueError("lower must not exceed upper")
    if value < lower:
        return lower
    if value > upper:
        return upper
    return value


def is_prime(n: int) -> bool:
    """Whether n is a prime number."""
    if n < 2:
        return False
    for divisor in range(2, math.isqrt(n) + 1):  # noqa: SIM110 - a loop has branches to test
        if n % divisor == 0:
            return False
    return True


def median(values: list[float]) -> float:
    """The middle value of a non-empty list."""
    if not values:
        raise ValueError("median of an empty list")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def grade(score):
    """A letter for a score out of 100 (unannotated: types come from the comparisons)."""
    if score >= 90:
        return "A"
    if score >= 75:
        return "B"
    if score >= 50:
        return "C"
    return "F"


def word_lengths(text: str) -> dict[str, int]:
    """Length of each distinct word."""
    return {word: len(word) for word in text.split()}


def unique_sorted(items: list[int]) -> list[int]:
    return sorted(set(items))


def _private_helper(x):
    return x
