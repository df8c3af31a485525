"""The unit the corpus pipeline passes along: one source file of one package."""

from __future__ import annotations

from dataclasses import dataclass

VENDOR_DIRS = frozenset({"_vendor", "vendor", "vendored", "_vendored", "extern", "_extern"})


@dataclass(frozen=True)
class RawFile:
    """A file as collected, before any filter: bytes, since it may not even be text."""

    package: str  # the unit of the train/val/test split, e.g. "requests" or "stdlib/json"
    path: str  # inside the package's source, "/"-separated
    data: bytes


@dataclass(frozen=True)
class Document:
    """A file that passed the filters: normalised UTF-8 text that parses."""

    package: str
    path: str
    text: str

    @property
    def vendored(self) -> bool:
        """Whether this is a copy of another project kept inside this one (pip's _vendor)."""
        return any(part in VENDOR_DIRS for part in self.path.split("/"))

    def keep_order(self) -> tuple[bool, str, str]:
        """Among duplicates, the smallest is kept: an original before a vendored copy."""
        return (self.vendored, self.package, self.path)
