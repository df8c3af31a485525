"""bf16 autocast only where the hardware has it: emulated bf16 made a CPU run ~30x slower."""

from __future__ import annotations

import platform
import re
from pathlib import Path

import pytest

from codegpt.training import precision
from codegpt.training.hardware import cpu_flags, cpu_name
from codegpt.training.precision import resolve_bf16


@pytest.mark.skipif(
    platform.machine() != "x86_64" or not Path("/proc/cpuinfo").exists(),
    reason="reads the x86 flags line of /proc/cpuinfo",
)
def test_this_machines_flags_are_read() -> None:
    assert "sse2" in cpu_flags()  # every x86-64 CPU has it
    # The x86 family and model come from their own lines, not from "model name".
    assert re.search(r"\(family \d+, model \d+\)$", cpu_name())


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"avx2", "fma"}, False),  # AMD EPYC of session 9: bf16 emulated
        ({"avx512f", "avx512bw"}, False),  # AVX-512 without its bf16 extension
        ({"avx512f", "avx512_bf16"}, True),
        ({"avx512f", "amx_bf16", "amx_tile"}, True),  # Sapphire Rapids
        ({"fp", "asimd", "sve", "bf16"}, True),  # Arm with the BF16 extension (Graviton3)
        ({"fp", "asimd", "asimddp"}, False),  # Arm without it (Graviton2)
    ],
)
def test_auto_follows_the_cpus_bf16_units(
    monkeypatch: pytest.MonkeyPatch, flags: set[str], expected: bool
) -> None:
    monkeypatch.setattr(precision, "cpu_flags", lambda: flags)
    assert resolve_bf16("auto", "cpu") is expected


def test_explicit_settings_win() -> None:
    assert resolve_bf16("true", "cpu") is True
    assert resolve_bf16("false", "cpu") is False
    with pytest.raises(ValueError, match="bf16 must be one of auto, true, false"):
        resolve_bf16("yes", "cpu")
