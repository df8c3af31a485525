"""Whether to train in bf16 autocast: only where the hardware multiplies bf16 natively.

A CPU without bf16 instructions emulates every bf16 matmul: on this project's AVX2-only AMD EPYC
machines a ``small`` step took 145 s in bf16 autocast and 5 s in fp32, while on Sapphire Rapids
(AMX) bf16 is the faster of the two, and on session 10's Zen 5 EPYC (AVX-512 BF16) bf16 ran 2,796
tokens/s against fp32's 1,655. So the default, ``auto``, asks the hardware.
"""

from __future__ import annotations

import logging

from codegpt.training.hardware import cpu_flags

log = logging.getLogger(__name__)

BF16_CHOICES = ("auto", "true", "false")
# /proc/cpuinfo flags of units that multiply bf16 natively: x86's AMX and AVX-512 BF16, and
# Arm's BF16 extension (Armv8.6, e.g. Neoverse V1 in Graviton3), which oneDNN uses for matmuls.
NATIVE_BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16", "bf16"})


def native_bf16(device_type: str) -> bool:
    """bf16 matmuls run in hardware: a CUDA GPU that says so, or a CPU with bf16 units."""
    if device_type == "cuda":
        import torch

        return bool(torch.cuda.is_bf16_supported())
    return bool(cpu_flags() & NATIVE_BF16_FLAGS)


def resolve_bf16(setting: str, device_type: str) -> bool:
    """``TrainConfig.bf16`` ("auto", "true" or "false") as a yes or no for this device."""
    if setting not in BF16_CHOICES:
        raise ValueError(f"bf16 must be one of {', '.join(BF16_CHOICES)}, got {setting!r}")
    if setting != "auto":
        return setting == "true"
    native = native_bf16(device_type)
    if not native:
        log.info("bf16 autocast off: this %s has no native bf16 (fp32 is faster)", device_type)
    return native
