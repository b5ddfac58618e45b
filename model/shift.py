"""Temporal Shift Module (TSM) as a pure tensor function.

The shift mixes information between neighbouring frames at zero cost in
parameters and multiply-adds: part of the channels of frame ``t`` are replaced
by those of frame ``t + 1`` (shifted backward in time), another part by those of
frame ``t - 1`` (shifted forward), with zeros at the clip boundaries. It is out
of place, so the unshifted input stays available for the residual identity.
"""

from __future__ import annotations

import torch

__all__ = ["temporal_shift"]


def temporal_shift(x: torch.Tensor, num_frames: int, fold_div: int) -> torch.Tensor:
    """Shift ``1/fold_div`` of the channels backward and ``1/fold_div`` forward in time.

    Args:
        x: features of shape ``(N * T, C, H, W)``, frames of one clip contiguous.
        num_frames: ``T``, the number of frames per clip.
        fold_div: channel fraction divisor (8 for RGB, 4 for pose in EPAM-Net).

    Returns:
        A new tensor of the same shape. For each clip, channels ``[0, C/fold_div)``
        of frame ``t`` hold frame ``t + 1`` (zero at the last frame), channels
        ``[C/fold_div, 2C/fold_div)`` hold frame ``t - 1`` (zero at the first frame),
        and the rest are unchanged.
    """
    nt, c, h, w = x.shape
    fold = c // fold_div
    if fold == 0:
        return x.clone()
    clip = x.reshape(-1, num_frames, c, h, w)
    backward = clip[:, 1:, :fold]
    forward = clip[:, :-1, fold : 2 * fold]
    zeros_b = torch.zeros_like(clip[:, :1, :fold])
    zeros_f = torch.zeros_like(clip[:, :1, fold : 2 * fold])
    out = torch.cat(
        (
            torch.cat((backward, zeros_b), dim=1),
            torch.cat((zeros_f, forward), dim=1),
            clip[:, :, 2 * fold :],
        ),
        dim=2,
    )
    return out.reshape(nt, c, h, w)
