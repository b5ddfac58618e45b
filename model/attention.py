"""Pose-driven spatial-temporal attention (EPAM-Net, Sec. 3.3): 107 parameters."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["PoseDrivenAttention", "aligned_frame_indices"]


def aligned_frame_indices(pose_frames: int = 48, rgb_frames: int = 16) -> list[int]:
    """Pose frames that align with the RGB frames (time-strided: 0, 3, ..., 45)."""
    if pose_frames % rgb_frames:
        raise ValueError(f"{pose_frames} pose frames are not a multiple of {rgb_frames}")
    return list(range(0, pose_frames, pose_frames // rgb_frames))


class PoseDrivenAttention(nn.Module):
    """Spatial map from pose features, temporal map from the spatial map, applied to RGB.

    ``S = sigmoid(BN(conv_1x7x7([max_c F_s; mean_c F_s])))`` with ``F_s`` the pose
    features at the aligned frames; ``T = sigmoid(conv1d_7(mean_hw S))``;
    ``A = S * T``; ``f_r' = f_r + f_r * A``.

    Inputs: pose features ``(N, C_p, T_p, H, W)``, RGB features ``(N, C_r, T_r, H, W)``.
    Output: modulated RGB features, same shape as the RGB input.
    """

    def __init__(self, *, pose_frames: int = 48, rgb_frames: int = 16) -> None:
        super().__init__()
        self.register_buffer(
            "frame_index",
            torch.tensor(aligned_frame_indices(pose_frames, rgb_frames), dtype=torch.long),
            persistent=False,
        )
        self.spatial_conv = nn.Conv3d(2, 1, (1, 7, 7), padding=(0, 3, 3), bias=False)
        self.spatial_bn = nn.BatchNorm3d(1)
        self.temporal_conv = nn.Conv1d(1, 1, 7, padding=3, bias=False)

    frame_index: torch.Tensor

    def attention_map(self, pose_feats: torch.Tensor) -> torch.Tensor:
        """``(N, C_p, T_p, H, W) -> (N, 1, T_r, H, W)``, values in (0, 1)."""
        f = torch.index_select(pose_feats, 2, self.frame_index)
        pooled = torch.cat((f.amax(dim=1, keepdim=True), f.mean(dim=1, keepdim=True)), dim=1)
        spatial = torch.sigmoid(self.spatial_bn(self.spatial_conv(pooled)))
        n, _, t, _, _ = spatial.shape
        squeezed = spatial.mean(dim=(3, 4))  # (N, 1, T)
        temporal = torch.sigmoid(self.temporal_conv(squeezed)).reshape(n, 1, t, 1, 1)
        return spatial * temporal

    def forward(self, pose_feats: torch.Tensor, rgb_feats: torch.Tensor) -> torch.Tensor:
        attn = self.attention_map(pose_feats)
        return rgb_feats + rgb_feats * attn
