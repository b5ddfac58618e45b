"""Mixed precision: fp16 AMP with a gradient scaler on CUDA, bf16 autocast on CPUs.

``auto`` picks fp16 on CUDA, bf16 on a CPU with native bf16 (AVX512-BF16 or AMX), and
fp32 elsewhere: without native bf16 PyTorch emulates it and a step gets slower, not
faster (measured here: see docs/training.md). Asking for ``bf16`` explicitly still works
on any CPU. Weights, optimizer state and the loss stay fp32.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import torch

__all__ = ["Precision", "PrecisionName", "cpu_has_native_bf16", "resolve_precision"]

log = logging.getLogger(__name__)
PrecisionName = Literal["auto", "fp32", "bf16", "fp16"]


def cpu_has_native_bf16() -> bool:
    """True when the CPU computes bf16 in hardware (AVX512-BF16 or AMX tiles)."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # older torch
        return False


@dataclass(frozen=True)
class Precision:
    """The resolved precision of a run on ``device_type`` (``cpu`` or ``cuda``)."""

    name: Literal["fp32", "bf16", "fp16"]
    device_type: str

    @property
    def dtype(self) -> torch.dtype | None:
        return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.name)

    @property
    def uses_scaler(self) -> bool:
        """fp16 needs loss scaling; bf16 has fp32's range and does not."""
        return self.name == "fp16"

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Autocast for the forward pass (a no-op in fp32)."""
        if self.dtype is None:
            yield
            return
        with torch.autocast(device_type=self.device_type, dtype=self.dtype):
            yield

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A scaler, enabled only for fp16 (its state is saved in every checkpoint)."""
        return torch.amp.GradScaler(self.device_type, enabled=self.uses_scaler)


def resolve_precision(name: PrecisionName, device: torch.device) -> Precision:
    """Turn a config's precision into what the run will use, logging the choice."""
    kind = device.type
    if name == "auto":
        if kind == "cuda":
            chosen: Literal["fp32", "bf16", "fp16"] = "fp16"
        elif kind == "cpu" and cpu_has_native_bf16():
            chosen = "bf16"
        else:
            chosen = "fp32"
            log.info("precision auto: fp32 (this CPU has no native bf16; bf16 autocast would "
                     "be emulated and slower; force it with runtime.precision=bf16)")
    else:
        chosen = name
    if chosen == "fp16" and kind != "cuda":
        raise ValueError("fp16 mixed precision needs CUDA; use bf16 or fp32 on the CPU")
    return Precision(chosen, kind)
