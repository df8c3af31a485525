"""What this machine's CPU is and can do, from /proc/cpuinfo: for the model card and precision."""

from __future__ import annotations

import platform
from pathlib import Path


def _cpuinfo_field(name: str) -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_flags() -> set[str]:
    """The CPU's feature flags (empty where there is no /proc/cpuinfo)."""
    return set((_cpuinfo_field("flags") or "").split())


def cpu_name() -> str:
    """The processor's marketing name, for a hardware line."""
    return _cpuinfo_field("model name") or platform.processor() or "unknown CPU"
