"""EPAM-Net: pose-driven attention-guided multimodal network (Abdelkawy et al., 2025)."""

from __future__ import annotations

import torch
from torch import nn

from model.attention import PoseDrivenAttention
from model.xshiftnet import LayerFactory, XShiftNet, pose_xshiftnet, rgb_xshiftnet

__all__ = ["EPAMNet", "build_epamnet"]


class EPAMNet(nn.Module):
    """Two X-ShiftNet streams, pose-driven attention on the RGB features, 1:1 logit fusion.

    Inputs:
        pose_heatmaps: ``(N, 17, 48, 56, 56)`` pseudo-heatmap volume (K, T, H, W).
        rgb: ``(N, 3, 16, 224, 224)`` normalised RGB crops (C, T, H, W).

    Returns ``(scores, rgb_logits, pose_logits)``, each ``(N, num_classes)``;
    ``scores = rgb_logits + pose_logits``. ``pose_logits`` depend on the pose input
    alone; the RGB logits see the pose through the attention.
    """

    def __init__(self, rgb: XShiftNet, pose: XShiftNet, attention: PoseDrivenAttention) -> None:
        super().__init__()
        if rgb.num_classes != pose.num_classes:
            raise ValueError("both streams must have the same number of classes")
        self.num_classes = rgb.num_classes
        self.rgb = rgb
        self.pose = pose
        self.attention = attention

    def forward(
        self, pose_heatmaps: torch.Tensor, rgb: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        pose_feats = self.pose.forward_features(pose_heatmaps)
        pose_logits = self.pose.forward_head(pose_feats)
        rgb_feats = self.rgb.forward_features(rgb)
        rgb_feats = self.attention(pose_feats, rgb_feats)
        rgb_logits = self.rgb.forward_head(rgb_feats)
        return rgb_logits + pose_logits, rgb_logits, pose_logits

    def forward_pose(self, pose_heatmaps: torch.Tensor) -> torch.Tensor:
        """Pose-only logits ``(N, num_classes)`` (privacy mode, keypoint replays)."""
        return self.pose(pose_heatmaps)


def build_epamnet(
    num_classes: int,
    *,
    num_keypoints: int = 17,
    pose_frames: int = 48,
    rgb_frames: int = 16,
    rgb_shift_div: int = 8,
    pose_shift_div: int = 4,
    dropout: float = 0.5,
    norm_layer: LayerFactory = nn.BatchNorm2d,
) -> EPAMNet:
    """EPAM-Net with the paper's defaults."""
    if pose_frames % rgb_frames:
        raise ValueError("pose_frames must be a multiple of rgb_frames")
    rgb = rgb_xshiftnet(
        num_classes,
        num_frames=rgb_frames,
        shift_div=rgb_shift_div,
        dropout=dropout,
        norm_layer=norm_layer,
    )
    pose = pose_xshiftnet(
        num_classes,
        num_keypoints=num_keypoints,
        num_frames=pose_frames,
        shift_div=pose_shift_div,
        dropout=dropout,
        norm_layer=norm_layer,
    )
    return EPAMNet(rgb, pose, PoseDrivenAttention(pose_frames=pose_frames, rgb_frames=rgb_frames))
