"""Distributed training: torchrun environment, process group, and small collectives.

``torchrun --nproc_per_node=N -m train fit ...`` sets ``RANK``, ``WORLD_SIZE`` and
``LOCAL_RANK``; the backend is NCCL on CUDA and gloo on the CPU. Multi-node runs add
``--nnodes``/``--rdzv_endpoint`` to torchrun; nothing else changes here.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

__all__ = ["DistInfo", "all_gather_objects", "any_flag", "init_distributed", "shutdown"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistInfo:
    """This process's place in the job (``world_size`` 1: not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_distributed(device_type: str) -> DistInfo:
    """Join the torchrun job described by the environment (or return a single process)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    rank = int(os.environ["RANK"])
    local = int(os.environ.get("LOCAL_RANK", "0"))
    backend = "nccl" if device_type == "cuda" else "gloo"
    if device_type == "cuda":
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    log.info("process %d of %d (local rank %d), backend %s", rank, world, local, backend)
    return DistInfo(rank=rank, world_size=world, local_rank=local)


def shutdown(info: DistInfo) -> None:
    if info.enabled and dist.is_initialized():
        dist.destroy_process_group()


def any_flag(flag: bool, info: DistInfo, device: torch.device) -> bool:
    """True on every process when ``flag`` is True on any (e.g. a stop request)."""
    if not info.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def all_gather_objects(obj: Any, info: DistInfo) -> list[Any]:
    """``[obj of rank 0, obj of rank 1, ...]`` on every process."""
    if not info.enabled:
        return [obj]
    out: list[Any] = [None] * info.world_size
    dist.all_gather_object(out, obj)
    return out
