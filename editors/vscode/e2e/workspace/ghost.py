"""Small numeric helpers: the end-to-end test types a function below and takes a suggestion."""

import math


def hypotenuse(a: float, b: float) -> float:
    """Length of the long side of a right triangle."""
    return math.sqrt(a * a + b * b)


