"""Shapes with an area."""

from __future__ import annotations

import math

from . import util
from .util.helpers import clamp

DEFAULT_RADIUS: float = 1.0


class Shape:
    """Base class of every shape."""

    sides: int = 0

    def __init__(self, name: str) -> None:
        self.name = name
        self.tags: list[str] = []

    def area(self) -> float:
        """The surface of the shape."""
        raise NotImplementedError

    def describe(self) -> str:
        """A one-line human description."""
        return f"{self.name}: {self.area():.2f}"


class Circle(Shape):
    """A circle of some radius."""

    def __init__(self, radius: float = DEFAULT_RADIUS) -> None:
        super().__init__("circle")
        self.radius = clamp(radius, 0.0, 1e6)

    def area(self) -> float:
        """Pi r squared."""
        return math.pi * self.radius**2

    @property
    def diameter(self) -> float:
        """Twice the radius."""
        return 2 * self.radius


def unit_circle() -> Circle:
    """A circle of radius one."""
    return Circle(util.helpers.ONE)
