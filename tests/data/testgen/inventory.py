"""A tiny inventory."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional


class Category(enum.Enum):
    FOOD = "food"
    TOOL = "tool"


@dataclass
class Item:
    name: str
    price: float
    category: Category = Category.TOOL


@dataclass
class Inventory:
    items: dict[str, Item] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        if item.name in self.items:
            raise KeyError(f"duplicate item {item.name!r}")
        self.items[item.name] = item

    def total(self, category: Optional[Category] = None) -> float:
        return sum(
            i.price for i in self.items.values() if category is None or i.category == category
        )

    def cheapest(self) -> Item | None:
        if not self.items:
            return None
        return min(self.items.values(), key=lambda i: i.price)


def parse_item(line: str) -> Item:
    """'name,price[,category]' -> Item."""
    parts = [p.strip() for p in line.split(",")]
    if len(parts) not in (2, 3):
        raise ValueError(f"bad line: {line!r}")
    category = Category(parts[2]) if len(parts) == 3 else Category.TOOL
    return Item(parts[0], float(parts[1]), category)
