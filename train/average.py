"""Average the weights of checkpoints that share a start ("model soup").

Two fine-tunes of the same weights (or a fine-tune and its start) usually lie in one
basin, and their weighted mean often keeps what each does well: for the daily-living
model, the shipped weights recognise every real fall in time and a fine-tune on nodding
waves recognises more waves (assets/MODEL_CARD.md). ``average_checkpoints`` takes the
weighted mean of every floating-point tensor (BatchNorm running statistics included);
integer tensors (BatchNorm's batch counters) come from the first checkpoint. The result
has no training state: it is for ``python -m deploy.export``, ``python -m train eval``
or ``init.checkpoint``, not ``--resume``.

    python -m train average A.pt B.pt --weights 0.75 0.25 --out soup.pt
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from model.files import file_sha256
from train.checkpoint import (
    FORMAT,
    CheckpointError,
    read_checkpoint,
    write_checkpoint,
)

__all__ = ["average_checkpoints", "write_average"]

log = logging.getLogger(__name__)


def average_checkpoints(paths: Sequence[Path], weights: Sequence[float]) -> dict[str, Any]:
    """The weighted mean of ``paths``' model weights, as a checkpoint dict.

    Raises:
        CheckpointError: fewer than two checkpoints, weights that are not positive or do
            not sum to 1, or checkpoints whose tensors, shapes or classes differ.
    """
    if len(paths) < 2 or len(paths) != len(weights):
        raise CheckpointError(f"need two or more checkpoints and one weight each, got "
                              f"{len(paths)} checkpoints and {len(weights)} weights")
    if any(w <= 0 for w in weights) or not math.isclose(sum(weights), 1.0, abs_tol=1e-6):
        raise CheckpointError(f"the weights must be positive and sum to 1, got "
                              f"{list(weights)}")
    ckpts = [read_checkpoint(Path(p), training_state=False) for p in paths]
    first = ckpts[0]
    names = first.get("meta", {}).get("class_names")
    for path, ck in zip(paths[1:], ckpts[1:], strict=True):
        if set(ck["model"]) != set(first["model"]):
            raise CheckpointError(f"{path} holds other tensors than {paths[0]}: not the same "
                                  "network")
        bad = [k for k, v in first["model"].items() if ck["model"][k].shape != v.shape]
        if bad:
            raise CheckpointError(f"{path} differs from {paths[0]} in the shape of {bad[0]} "
                                  f"(and {len(bad) - 1} more)")
        if ck.get("meta", {}).get("class_names") != names:
            raise CheckpointError(f"{path} has other classes than {paths[0]}")
    model: dict[str, torch.Tensor] = {}
    for key, ref in first["model"].items():
        if ref.is_floating_point():
            acc = torch.zeros_like(ref, dtype=torch.float64)
            for w, ck in zip(weights, ckpts, strict=True):
                acc += float(w) * ck["model"][key].to(torch.float64)
            model[key] = acc.to(ref.dtype)
        else:
            model[key] = ref.clone()
    # what made one input (its start, its teacher) is not what made the mix
    meta = {k: v for k, v in first.get("meta", {}).items() if k not in ("init", "distill")}
    meta["averaged_from"] = [{"checkpoint": str(p), "sha256": file_sha256(Path(p)), "weight": w}
                             for p, w in zip(paths, weights, strict=True)]
    return {"model": model, "meta": meta, "format": FORMAT}


def write_average(paths: Sequence[Path], weights: Sequence[float], out: Path) -> Path:
    """``average_checkpoints`` written atomically to ``out``."""
    ckpt = average_checkpoints(paths, weights)
    write_checkpoint(out, ckpt)
    log.info("wrote %s: %s", out, ", ".join(f"{w:g} x {p}" for p, w in
                                            zip(paths, weights, strict=True)))
    return out
