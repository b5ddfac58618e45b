from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from model.shift import shift_source_rows, temporal_shift, temporal_shift_gather


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


@pytest.mark.parametrize(("clips", "t", "c", "fold_div"),
                         [(1, 4, 8, 4), (2, 3, 16, 8), (2, 5, 24, 4), (1, 2, 3, 4), (3, 1, 8, 4)])
def test_gather_form_equals_slicing_form(clips: int, t: int, c: int, fold_div: int) -> None:
    x = torch.randn(clips * t, c, 3, 2)
    np.testing.assert_array_equal(temporal_shift_gather(x, t, fold_div).numpy(),
                                  temporal_shift(x, t, fold_div).numpy())


def test_source_rows_point_at_neighbours_or_zeros() -> None:
    rows = shift_source_rows(3, 4, 4)  # fold = 1: channel 0 backward, 1 forward
    zero = 3 * 4
    assert rows[0:4] == (1 * 4 + 0, zero, 2, 3)  # frame 0: ch0 <- frame 1, ch1 <- zeros
    assert rows[8:12] == (zero, 1 * 4 + 1, 10, 11)  # frame 2: ch0 <- zeros, ch1 <- frame 1


def test_export_records_the_gather_and_training_the_slices(tmp_path: Path) -> None:
    import onnx

    from model.xshiftnet import XShiftBlock

    block = XShiftBlock(8, 16, 8, num_frames=4, shift_div=4).eval()
    x = torch.randn(8, 8, 5, 5)
    with torch.no_grad():
        eager = block(x)
    path = tmp_path / "block.onnx"
    torch.onnx.export(block, (x,), str(path), input_names=["x"], output_names=["y"],
                      opset_version=17, dynamo=False)
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "Gather" in ops and "Slice" not in ops
    import onnxruntime as ort

    out = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"x": x.numpy()})[0]
    np.testing.assert_allclose(out, eager.numpy(), atol=1e-5)
