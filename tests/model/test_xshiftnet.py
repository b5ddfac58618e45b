from __future__ import annotations

import pytest
import torch
from torch import nn

from model.xshiftnet import XShiftBlock, pose_xshiftnet, rgb_xshiftnet, round_width


def _params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def test_stream_parameter_counts_60_classes() -> None:
    assert _params(rgb_xshiftnet(60)) == 2_006_010
    assert _params(pose_xshiftnet(60)) == 532_600


@pytest.mark.parametrize(("inner", "width"), [(54, 8), (108, 8), (216, 16), (432, 32)])
def test_se_bottleneck_widths(inner: int, width: int) -> None:
    assert round_width(inner / 16) == width


def test_se_on_every_other_block_and_shapes() -> None:
    net = rgb_xshiftnet(10)
    stage = net.stage3
    has_se = [not isinstance(b.se, nn.Identity) for b in stage.children()]
    assert has_se == [i % 2 == 0 for i in range(11)]
    assert stage.block0.se.fc1.out_channels == 16
    assert [len(getattr(net, n)) for n in net.stage_names] == [3, 5, 11, 7]
    pose = pose_xshiftnet(10)
    assert [len(getattr(pose, n)) for n in pose.stage_names] == [5, 11, 7]
    assert pose.stem.conv.stride == (1, 1) and net.stem.conv.stride == (2, 2)
    assert pose.stage1.block0.shift_div == 4 and net.stage1.block0.shift_div == 8


def test_last_bn_of_each_block_starts_at_zero() -> None:
    net = pose_xshiftnet(5)
    for block in net.modules():
        if isinstance(block, XShiftBlock):
            assert torch.count_nonzero(block.conv_c.bn.weight) == 0
            assert torch.all(block.conv_a.bn.weight == 1)


def test_identity_is_the_unshifted_input() -> None:
    # With the last BN at zero the residual branch is silent, so the block must
    # return relu(x) exactly; a shifted identity would move channels in time.
    block = XShiftBlock(16, 32, 16, num_frames=4, shift_div=4).eval()
    x = torch.randn(8, 16, 5, 5)
    assert torch.equal(block(x), torch.relu(x))


def test_feature_shapes_and_logits() -> None:
    rgb = rgb_xshiftnet(7).eval()
    pose = pose_xshiftnet(7).eval()
    with torch.no_grad():
        fr = rgb.forward_features(torch.randn(2, 3, 16, 224, 224))
        fp = pose.forward_features(torch.rand(2, 17, 48, 56, 56))
        assert fr.shape == (2, 432, 16, 7, 7)
        assert fp.shape == (2, 216, 48, 7, 7)
        logits = rgb.forward_head(fr)
        assert logits.shape == (2, 7) and torch.isfinite(logits).all()
        assert rgb.forward_head(fr, pre_logits=True).shape == (2, 432)


def test_wrong_clip_length_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="expected 48 frames"):
        pose_xshiftnet(3)(torch.zeros(1, 17, 16, 56, 56))


def test_state_dict_keys_say_where_they_live() -> None:
    keys = rgb_xshiftnet(3).state_dict().keys()
    assert "stage3.block10.conv_b.conv.weight" in keys
    assert "stage1.block0.shortcut.conv.weight" in keys
    assert "stage2.block2.se.fc1.bias" in keys
    assert "head.fc.weight" in keys
