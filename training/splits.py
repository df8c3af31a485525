"""Assign whole packages to train/validation/test, deterministically.

Splitting by package, not by file, keeps evaluation honest: files of one project share names,
idioms and helpers, so a test file whose sibling was trained on is half seen already. Packages
are walked in the order of a stable hash of their name and fill validation, then test, up to
their share of the bytes; a package bigger than half a split's target goes to train, so no
split is one giant package. Bytes stand in for tokens because the tokenizer is trained after
the split, on the train split only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SplitConfig:
    """Target shares of the corpus bytes."""

    val_fraction: float = 0.05
    test_fraction: float = 0.05
    max_package_share: float = 0.5  # of a split's target: no package dominates val or test
    seed: int = 1234


def package_order_key(package: str, seed: int) -> str:
    """A stable pseudo-random position for a package (independent of the other packages)."""
    return hashlib.sha256(f"{seed}:{package}".encode()).hexdigest()


def assign_splits(package_bytes: Mapping[str, int], config: SplitConfig) -> dict[str, str]:
    """Map every package to "train", "val" or "test".

    With three or more packages val and test are never empty: if nothing fits, the smallest
    packages are moved there.
    """
    total = sum(package_bytes.values())
    targets = {"val": config.val_fraction * total, "test": config.test_fraction * total}
    filled = {"val": 0, "test": 0}
    assignment: dict[str, str] = {}
    for package in sorted(package_bytes, key=lambda name: package_order_key(name, config.seed)):
        size = package_bytes[package]
        assignment[package] = "train"
        for split in ("val", "test"):
            small_enough = size <= config.max_package_share * targets[split]
            if small_enough and filled[split] + size <= targets[split]:
                assignment[package] = split
                filled[split] += size
                break
    if len(package_bytes) >= 3:
        for split in ("val", "test"):
            if split not in assignment.values():
                smallest = min(
                    (name for name, chosen in assignment.items() if chosen == "train"),
                    key=lambda name: (package_bytes[name], name),
                )
                assignment[smallest] = split
    return assignment
