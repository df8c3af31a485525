"""An inventory report with three syntax errors, for trying ``codegpt check`` and repair."""

from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float
    quantity: int


def total_value(items: list[Item]) -> float
    return sum(item.price * item.quantity for item in items)


def cheapest(items: list[Item]) -> Item | None:
    if not items:
        return None
    return min(items, key=lambda item: item.price)


def report(items: list[Item]) -> str:
    lines = [f"{item.name}: {item.quantity} x {item.price:.2f}" for item in items]
    lines.append(f"total: {total_value(items):.2f}"
    return "\n".join(lines)


STOCK = [Item("apple", 0.5, 120), Item("pear" 0.75, 80)]
