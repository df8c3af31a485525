"""An application module using the package (absolute imports from the workspace root)."""

import pkg.util.helpers
from pkg import Circle, clamp_value
from pkg.shapes import Shape as BaseShape
from pkg.util import helpers as h


class Ring(BaseShape):
    """A ring between two circles."""

    def __init__(self, inner: Circle, outer: Circle) -> None:
        super().__init__("ring")
        self.inner = inner
        self.outer = outer

    def area(self) -> float:
        """Outer area minus inner area."""
        return self.outer.area() - self.inner.area()


def build(radius: float) -> Ring:
    """Build a ring around a circle."""
    circle = Circle(clamp_value(radius, 0.0, 10.0))
    limit = h.clamp(radius, 0.0, pkg.util.helpers.ONE)
    ring = Ring(circle, Circle(radius + limit))
    return ring
