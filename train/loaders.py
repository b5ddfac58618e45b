"""DataLoaders for training and evaluation, deterministic and shardable across processes.

Training batches come from a ``DistributedSampler`` (also with one process) seeded by
``(seed, epoch)``; a resumed epoch skips the batches already done. Loaders carry their
own ``torch.Generator``, so creating one never draws from the global RNG (which only the
model's dropout uses): this is what makes ``--resume`` continue exactly.
"""

from __future__ import annotations

import signal
from typing import Any

import torch
from torch.utils.data import DataLoader, DistributedSampler

from train.dataset import ClipDataset
from train.distributed import DistInfo

__all__ = ["eval_loader", "train_batches", "train_loader"]


def _worker_init(_: int) -> None:
    """One thread per worker (they already run in parallel), and no signal handling.

    SIGINT/SIGTERM sent to the whole process group must not kill a worker while the
    main process finishes its step and checkpoints; workers end with their parent.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    torch.set_num_threads(1)
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - OpenCV ships with mediapipe
        pass


def train_batches(
    dataset: ClipDataset, *, batch_size: int, epoch: int, seed: int, dist: DistInfo
) -> list[list[int]]:
    """This process's batches of ``epoch`` (incomplete last batch dropped)."""
    sampler: DistributedSampler[int] = DistributedSampler(
        dataset, num_replicas=dist.world_size, rank=dist.rank, shuffle=True, seed=seed,
        drop_last=False)
    sampler.set_epoch(epoch)
    order = list(sampler)
    return [order[i:i + batch_size] for i in range(0, len(order) - batch_size + 1, batch_size)]


def _loader(dataset: ClipDataset, batches: list[list[int]], *, workers: int,
            pin: bool, seed: int) -> DataLoader[dict[str, Any]]:
    gen = torch.Generator()
    gen.manual_seed(seed)
    return DataLoader(dataset, batch_sampler=batches, num_workers=workers, pin_memory=pin,
                      generator=gen, worker_init_fn=_worker_init if workers else None,
                      prefetch_factor=2 if workers else None)


def train_loader(
    dataset: ClipDataset,
    *,
    batch_size: int,
    epoch: int,
    seed: int,
    dist: DistInfo,
    workers: int,
    pin: bool = False,
    skip_batches: int = 0,
) -> DataLoader[dict[str, Any]]:
    """The training loader of ``epoch``, starting after ``skip_batches`` batches."""
    dataset.set_epoch(epoch)
    batches = train_batches(dataset, batch_size=batch_size, epoch=epoch, seed=seed, dist=dist)
    return _loader(dataset, batches[skip_batches:], workers=workers, pin=pin,
                   seed=seed * 1_000_003 + epoch)


def eval_loader(
    dataset: ClipDataset, *, batch_size: int, dist: DistInfo, workers: int, pin: bool = False
) -> DataLoader[dict[str, Any]]:
    """Every clip once, sharded across processes (the last shard may repeat a clip; the
    evaluation drops repeats by index)."""
    sampler: DistributedSampler[int] = DistributedSampler(
        dataset, num_replicas=dist.world_size, rank=dist.rank, shuffle=False, drop_last=False)
    order = list(sampler)
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return _loader(dataset, batches, workers=workers, pin=pin, seed=0)
