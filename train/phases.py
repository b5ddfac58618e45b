"""The three training phases of EPAM-Net: what is trained, what it sees, what it minimises.

- ``pose``: Pose-X-ShiftNet alone on heatmap volumes; CE(pose logits).
- ``rgb``: RGB-X-ShiftNet alone on RGB crops (no attention); CE(rgb logits).
- ``joint``: the whole EPAM-Net from the two pretrained streams (the attention starts
  fresh); loss = CE(rgb logits) + CE(pose logits); the prediction is the fused score.

With a teacher (``distill`` in the config), each trained stream's CE becomes
``(1 - w) * CE + w * T^2 * KL(teacher || student)`` on that stream's logits.

Every phase keeps a whole EPAM-Net and saves all of it, so any checkpoint exports. In
the pose phase the RGB head is zeroed and never trained: its logits are exactly 0, so
an exported pose-phase model's ``scores`` equal its ``pose_logits`` (a pose-only model
that ships as it is; ``trained_streams`` in the metadata says so).
"""

from __future__ import annotations

import logging
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from model.epamnet import EPAMNet
from train.config import Phase
from train.dataset import Modality

__all__ = ["MODALITIES", "TRAINED_STREAMS", "distill_loss", "forward_phase", "phase_loss",
           "prepare_for_phase", "trained_module"]

log = logging.getLogger(__name__)

MODALITIES: dict[Phase, tuple[Modality, ...]] = {
    "pose": ("pose",),
    "rgb": ("rgb",),
    "joint": ("pose", "rgb"),
}
TRAINED_STREAMS: dict[Phase, tuple[str, ...]] = {
    "pose": ("pose",),
    "rgb": ("rgb",),
    "joint": ("pose", "rgb"),
}


def trained_module(model: EPAMNet, phase: Phase) -> nn.Module:
    """The part of ``model`` that ``phase`` trains (and that DDP wraps)."""
    if phase == "pose":
        return model.pose
    if phase == "rgb":
        return model.rgb
    return model


def prepare_for_phase(model: EPAMNet, phase: Phase) -> None:
    """Phase-specific set-up before training (stream loading for ``joint`` is the caller's).

    The pose phase zeroes the RGB head so the saved model is a clean pose-only model.
    """
    if phase == "pose":
        with torch.no_grad():
            model.rgb.head.fc.weight.zero_()
            model.rgb.head.fc.bias.zero_()
        log.info("pose phase: training the pose stream only; the RGB head is zeroed so the "
                 "exported model's scores equal its pose logits")


def forward_phase(
    module: nn.Module, phase: Phase, batch: dict[str, Any]
) -> dict[str, torch.Tensor]:
    """Run ``module`` (``trained_module``, maybe DDP-wrapped) on a batch.

    Returns ``scores`` (the prediction, ``(N, C)``) and the logits of each stream run
    (``pose``, ``rgb``).
    """
    if phase == "pose":
        logits = module(batch["pose"])
        return {"scores": logits, "pose": logits}
    if phase == "rgb":
        logits = module(batch["rgb"])
        return {"scores": logits, "rgb": logits}
    scores, rgb_logits, pose_logits = module(batch["pose"], batch["rgb"])
    return {"scores": scores, "rgb": rgb_logits, "pose": pose_logits}


def phase_loss(
    outputs: dict[str, torch.Tensor],
    labels: torch.Tensor,
    phase: Phase,
    *,
    teacher: dict[str, torch.Tensor] | None = None,
    weight: float = 0.0,
    temperature: float = 1.0,
) -> torch.Tensor:
    """CE of the trained stream(s), computed in fp32; joint: CE(rgb) + CE(pose).

    With ``teacher`` (its ``forward_phase`` outputs on the same batch), each stream's term
    is ``(1 - weight) * CE + weight * distill_loss(student, teacher, temperature)``.
    """
    total = torch.zeros((), device=labels.device)
    for s in TRAINED_STREAMS[phase]:
        ce = F.cross_entropy(outputs[s].float(), labels)
        if teacher is None or weight == 0:
            total = total + ce
        else:
            total = total + (1 - weight) * ce + weight * distill_loss(
                outputs[s], teacher[s], temperature)
    return total


def distill_loss(student: torch.Tensor, teacher: torch.Tensor, temperature: float) -> torch.Tensor:
    """Hinton et al.'s soft-target loss: ``T^2 * KL(softmax(t/T) || softmax(s/T))``, batch mean.

    The ``T^2`` keeps its gradients on the scale of the cross-entropy's (fp32).
    """
    t = temperature
    log_p = F.log_softmax(student.float() / t, dim=1)
    log_q = F.log_softmax(teacher.detach().float() / t, dim=1)
    return F.kl_div(log_p, log_q, reduction="batchmean", log_target=True) * (t * t)
