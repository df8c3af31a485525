"""Functions typed with the module's own classes, and errors raised on purpose or not."""

import math
from dataclasses import dataclass


@dataclass
class Point:
    x: float
    y: float

    def distance(self, other: "Point") -> float:
        return math.hypot(self.x - other.x, self.y - other.y)


@dataclass
class Segment:
    start: Point
    end: Point

    def length(self) -> float:
        return self.start.distance(self.end)


def centroid(points: list[Point]) -> Point:
    if not points:
        raise ValueError("no points")
    n = len(points)
    return Point(sum(p.x for p in points) / n, sum(p.y for p in points) / n)


def longest(segments: list["Segment"]) -> Segment | None:
    best = None
    for segment in segments:
        if best is None or segment.length() > best.length():
            best = segment
    return best


def scale(point: Point, factor) -> Point:
    if not isinstance(factor, int | float):
        raise TypeError("factor must be a number")
    return Point(point.x * factor, point.y * factor)
