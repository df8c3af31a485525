"""What a run trained on: the CPU's name and features, recorded next to the run for its model card.

The card is often written later and elsewhere, so it reads the run's ``hardware.json`` rather
than the machine it is made on.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

HARDWARE_FILE = "hardware.json"


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo, read once (empty where there is none)."""
    fields: dict[str, str] = {}
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return fields
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon:  # keys are matched whole: "model" is not "model name"
            fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_flags() -> set[str]:
    """The CPU's feature flags: x86's ``flags`` or Arm's ``Features`` (empty: no /proc/cpuinfo)."""
    info = _cpuinfo()
    return set((info.get("flags") or info.get("Features") or "").split())


def cpu_name() -> str:
    """The processor's name for a hardware line, with its x86 family and model where known.

    The family and model tell apart machines that share a marketing name: this project's
    "AMD EPYC" machines were a first-generation Zen (family 23, AVX2 only, bf16 emulated) and a
    Zen 5 (family 26, AVX-512 BF16), whose training speeds differ fourfold.
    """
    info = _cpuinfo()
    name = info.get("model name") or platform.processor() or "unknown CPU"
    family, model = info.get("cpu family"), info.get("model")
    if family and model:
        return f"{name} (family {family}, model {model})"
    return name


def run_hardware(device: str, processes: int, threads: int, bf16: bool) -> dict[str, Any]:
    """The run's hardware and precision, as the model card states them."""
    facts: dict[str, Any] = {
        "cpu": cpu_name(),
        "machine": platform.machine(),
        "device": device,
        "processes": processes,
        "threads": threads,
        "precision": "bf16 autocast" if bf16 else "fp32",
    }
    if device.startswith("cuda"):
        import torch

        facts["gpu"] = torch.cuda.get_device_name()
    return facts


def write_run_hardware(out_dir: Path, facts: dict[str, Any]) -> None:
    """``out_dir/hardware.json``; a continuation run writes its own."""
    (out_dir / HARDWARE_FILE).write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")


def read_run_hardware(run_dir: Path) -> dict[str, Any] | None:
    """A run's recorded hardware, or None for a run from before it was recorded."""
    try:
        return json.loads((run_dir / HARDWARE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
