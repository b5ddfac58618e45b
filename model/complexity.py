"""Parameter and multiply-add counts for EPAM-Net, measured outside the model code.

Multiply-adds (MACs) are counted for convolutions and linear layers only, by
forward hooks on one clip (batch 1); batch norm, activations and pooling are not
counted. The paper's "FLOPs" are multiply-accumulates counted mmcv-style (which
adds BN/activation/pool ops), so ours come out a few percent lower.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from model.epamnet import EPAMNet, build_epamnet

__all__ = ["PAPER_FIGURES", "Complexity", "count_macs", "count_params", "epamnet_complexity"]

# EPAM-Net paper, Table 3/6: parameters and GFLOPs (multiply-accumulates).
PAPER_FIGURES: dict[str, dict[str, float]] = {
    "rgb": {"params": 2.0e6, "macs": 4.5e9},
    "pose": {"params": 514.7e3, "macs": 3.6e9},
    "attention": {"params": 107, "macs": float("nan")},
    "total": {"params": 2.5e6, "macs": 8.1e9},
}


@dataclass(frozen=True)
class Complexity:
    """Parameters and conv/linear multiply-adds of one part, for one clip."""

    params: int
    macs: int

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def count_params(module: nn.Module) -> int:
    """Number of learnable parameters."""
    return sum(p.numel() for p in module.parameters())


def _layer_macs(module: nn.Module, output: torch.Tensor) -> int:
    if isinstance(module, nn.Conv1d | nn.Conv2d | nn.Conv3d):
        per_output = (module.in_channels // module.groups) * math.prod(module.kernel_size)
        return int(output.numel() * per_output)
    if isinstance(module, nn.Linear):
        return int(output.numel() * module.in_features)
    return 0


class _MacCounter:
    def __init__(self, root: nn.Module) -> None:
        self.total = 0
        self._handles = [
            m.register_forward_hook(self._hook)
            for m in root.modules()
            if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Conv3d | nn.Linear)
        ]

    def _hook(self, module: nn.Module, _inputs: object, output: torch.Tensor) -> None:
        self.total += _layer_macs(module, output)

    def close(self) -> None:
        for h in self._handles:
            h.remove()


def count_macs(module: nn.Module, *inputs: torch.Tensor) -> int:
    """Conv/linear multiply-adds of ``module(*inputs)``; inputs should have batch 1."""
    counter = _MacCounter(module)
    try:
        with torch.no_grad():
            module(*inputs)
    finally:
        counter.close()
    return counter.total


def epamnet_complexity(
    num_classes: int = 60, *, model: EPAMNet | None = None
) -> dict[str, Complexity]:
    """Parameters and MACs per part: ``rgb``, ``pose``, ``attention``, ``total``."""
    net = model if model is not None else build_epamnet(num_classes)
    net = net.eval()
    pose_in = torch.zeros(1, net.pose.in_chs, net.pose.num_frames, 56, 56)
    rgb_in = torch.zeros(1, 3, net.rgb.num_frames, 224, 224)
    rgb = Complexity(count_params(net.rgb), count_macs(net.rgb, rgb_in))
    pose = Complexity(count_params(net.pose), count_macs(net.pose, pose_in))
    with torch.no_grad():
        pose_feats = net.pose.forward_features(pose_in)
        rgb_feats = net.rgb.forward_features(rgb_in)
    attention = Complexity(
        count_params(net.attention), count_macs(net.attention, pose_feats, rgb_feats)
    )
    total = Complexity(count_params(net), count_macs(net, pose_in, rgb_in))
    return {"rgb": rgb, "pose": pose, "attention": attention, "total": total}
