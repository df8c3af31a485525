"""A ledger of expenses, kept in a CSV file."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    label: str
    amount: float


@dataclass
class Ledger:
    entries: list[Entry] = field(default_factory=list)
    balance: float = 0.0

    def record(self, entry: Entry) -> None:
        if not entry.label:
            raise ValueError("an entry needs a label")
        self.entries.append(entry)
        self.balance += entry.amount

    def undo(self) -> Entry | None:
        if not self.entries:
            return None
        entry = self.entries.pop()
        self.balance -= entry.amount
        return entry

    def clear(self) -> None:
        self.entries.clear()
        self.balance = 0.0


def write_ledger(ledger: Ledger, path: Path) -> int:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        for entry in ledger.entries:
            writer.writerow([entry.label, f"{entry.amount:.2f}"])
    return len(ledger.entries)


def read_ledger(path: Path) -> Ledger:
    ledger = Ledger()
    with path.open(newline="") as handle:
        for label, amount in csv.reader(handle):
            ledger.record(Entry(label, float(amount)))
    return ledger
