"""A small inventory: items, stock levels and reorder decisions."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Item:
    name: str
    price: float
    quantity: int = 0
    tags: list[str] = field(default_factory=list)

    def value(self) -> float:
        return self.price * self.quantity


class Inventory:
    def __init__(self, reorder_level: int = 5) -> None:
        self.items: dict[str, Item] = {}
        self.reorder_level = reorder_level

    def add(self, item: Item) -> None:
        if item.name in self.items:
            self.items[item.name].quantity += item.quantity
        else:
            self.items[item.name] = item

    def remove(self, name: str, quantity: int) -> bool:
        item = self.items.get(name)
        if item is None or item.quantity < quantity:
            return False
        item.quantity -= quantity
        return True

    def to_reorder(self) -> list[str]:
        names = []
        for name, item in sorted(self.items.items()):
            if item.quantity == 0 or item.quantity < self.reorder_level:
                names.append(name)
        return names

    def total_value(self) -> float:
        return sum(item.value() for item in self.items.values())

    def tagged(self, tag: str) -> list[Item]:
        return [item for item in self.items.values() if tag in item.tags]


def summary(inventory: Inventory) -> str:
    lines = [f"{len(inventory.items)} items, worth {inventory.total_value():.2f}"]
    while len(lines) < 3:
        lines.append("-")
    try:
        first = next(iter(inventory.items))
    except StopIteration:
        first = None
    if first == None:
        return "\n".join(lines)
    return "\n".join([*lines, f"first: {first}"])
