from __future__ import annotations

import torch

from model.shift import temporal_shift


def _clip(t: int, c: int) -> torch.Tensor:
    # value = 10 * frame + channel, one clip, 1x1 spatial
    frame = torch.arange(t).view(t, 1, 1, 1).float()
    chan = torch.arange(c).view(1, c, 1, 1).float()
    return 10 * frame + chan


def test_shift_quarter_backward_and_forward() -> None:
    x = _clip(4, 8)
    out = temporal_shift(x, num_frames=4, fold_div=4)  # fold = 2 channels
    o = out[:, :, 0, 0]
    # channels 0-1 of frame t hold frame t+1; zero at the last frame
    assert o[:3, 0].tolist() == [10.0, 20.0, 30.0]
    assert o[:3, 1].tolist() == [11.0, 21.0, 31.0]
    assert o[3, :2].tolist() == [0.0, 0.0]
    # channels 2-3 of frame t hold frame t-1; zero at the first frame
    assert o[0, 2:4].tolist() == [0.0, 0.0]
    assert o[1:, 2].tolist() == [2.0, 12.0, 22.0]
    assert o[1:, 3].tolist() == [3.0, 13.0, 23.0]
    # the rest is untouched
    assert torch.equal(o[:, 4:], x[:, 4:, 0, 0])


def test_shift_eighth_and_out_of_place() -> None:
    x = _clip(3, 16)
    before = x.clone()
    out = temporal_shift(x, num_frames=3, fold_div=8)  # fold = 2
    assert torch.equal(x, before)  # input untouched
    o = out[:, :, 0, 0]
    assert o[0, :2].tolist() == [10.0, 11.0]
    assert o[2, 2:4].tolist() == [12.0, 13.0]
    assert torch.equal(o[:, 4:], x[:, 4:, 0, 0])


def test_shift_keeps_clips_apart() -> None:
    # two clips in one batch: nothing leaks across the clip boundary
    x = torch.cat([_clip(2, 4), _clip(2, 4) + 100])
    o = temporal_shift(x, num_frames=2, fold_div=4)[:, :, 0, 0]  # fold = 1
    assert o[1, 0].item() == 0.0  # last frame of clip 0 gets zeros, not clip 1
    assert o[2, 1].item() == 0.0  # first frame of clip 1 gets zeros, not clip 0
    assert o[3, 1].item() == 101.0
