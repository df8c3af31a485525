"""Classes: methods, static and class methods, a dataclass."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Point:
    x: int
    y: int

    def manhattan(self, other: Point) -> int:
        return abs(self.x - other.x) + abs(self.y - other.y)

    def scaled(self, factor: int) -> Point:
        return Point(self.x * factor, self.y * factor)


class Stack:
    """A bounded stack."""

    def __init__(self, capacity: int = 3) -> None:
        self.capacity = capacity
        self.items: list[int] = []

    def push(self, item: int) -> int:
        if len(self.items) >= self.capacity:
            raise OverflowError("stack is full")
        self.items.append(item)
        return len(self.items)

    def pop(self) -> int:
        if not self.items:
            raise IndexError("pop from an empty stack")
        return self.items.pop()

    @staticmethod
    def describe(size: int) -> str:
        return "empty" if size == 0 else f"{size} items"

    @classmethod
    def of_capacity(cls, capacity: int) -> Stack:
        if capacity < 0:
            raise ValueError("capacity must be non-negative")
        return cls(capacity)


def countdown(n: int):
    """A generator: yields n, n-1, ..., 1."""
    while n > 0:
        yield n
        n -= 1
