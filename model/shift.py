"""Temporal Shift Module (TSM) as a pure tensor function.

The shift mixes information between neighbouring frames at zero cost in
parameters and multiply-adds: part of the channels of frame ``t`` are replaced
by those of frame ``t + 1`` (shifted backward in time), another part by those of
frame ``t - 1`` (shifted forward), with zeros at the clip boundaries. It is out
of place, so the unshifted input stays available for the residual identity.

Two formulations give the same numbers: ``temporal_shift`` (slices and
concatenations, what training runs) and ``temporal_shift_gather`` (one row
gather with a constant index, what the ONNX export records). The gather copies
whole rows instead of the slices' strided pieces: in ONNX Runtime's profile of the
pose stream (2-core AVX2 CPU) the shifts went from 16.5% of a window to 8%
(docs/deployment.md, section 6).
"""

from __future__ import annotations

import functools

import torch

__all__ = ["shift_source_rows", "temporal_shift", "temporal_shift_any", "temporal_shift_gather"]


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


@functools.lru_cache(maxsize=64)
def shift_source_rows(num_frames: int, channels: int, fold_div: int) -> tuple[int, ...]:
    """For each ``(frame, channel)`` row of one clip (row ``t * C + c``), the row the
    shift copies into it; ``T * C`` (one past the clip) stands for zeros."""
    fold = channels // fold_div
    rows = []
    for t in range(num_frames):
        for c in range(channels):
            src = t + 1 if c < fold else t - 1 if c < 2 * fold else t
            rows.append(src * channels + c if 0 <= src < num_frames else num_frames * channels)
    return tuple(rows)


def temporal_shift_gather(x: torch.Tensor, num_frames: int, fold_div: int) -> torch.Tensor:
    """``temporal_shift`` as one gather of ``(frame, channel)`` rows: same shapes, same
    values (copies, no arithmetic), a constant index in an exported graph."""
    # Python ints: in an ONNX trace the channel and spatial sizes stay constants, so the
    # index is one constant; only the zero row's shape follows the (dynamic) batch.
    _, c, h, w = (int(v) for v in x.shape)
    if c // fold_div == 0:
        return x.clone()
    rows = x.reshape(-1, num_frames * c, h * w)
    padded = torch.cat((rows, rows.new_zeros(rows.shape[0], 1, h * w)), dim=1)
    index = torch.tensor(shift_source_rows(num_frames, c, fold_div), dtype=torch.long,
                         device=x.device)
    return padded.index_select(1, index).reshape(-1, c, h, w)


def temporal_shift_any(x: torch.Tensor, num_frames: int, fold_div: int) -> torch.Tensor:
    """The slicing form in PyTorch, the gather form while exporting to ONNX."""
    if torch.onnx.is_in_onnx_export():
        return temporal_shift_gather(x, num_frames, fold_div)
    return temporal_shift(x, num_frames, fold_div)
