from __future__ import annotations

import torch
from torch import nn

from model.attention import PoseDrivenAttention, aligned_frame_indices
from model.epamnet import build_epamnet


def _randomize_norms(model: nn.Module, seed: int = 0) -> None:
    """Non-trivial BN statistics and gammas, so every branch carries signal."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d | nn.BatchNorm3d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=gen) + 0.5
            m.bias.data = torch.randn(n, generator=gen) * 0.1
            m.running_mean = torch.randn(n, generator=gen) * 0.1
            m.running_var = torch.rand(n, generator=gen) + 0.5


def test_attention_has_107_parameters() -> None:
    att = PoseDrivenAttention()
    assert sum(p.numel() for p in att.parameters()) == 107
    assert att.spatial_conv.weight.numel() == 98
    assert att.temporal_conv.weight.numel() == 7
    assert aligned_frame_indices() == list(range(0, 48, 3))


def test_whole_model_parameter_count() -> None:
    net = build_epamnet(60)
    total = sum(p.numel() for p in net.parameters())
    assert total == 2_006_010 + 532_600 + 107
    assert "attention.spatial_bn.weight" in net.state_dict()


def test_attention_reads_only_aligned_frames() -> None:
    att = PoseDrivenAttention().eval()
    pose = torch.rand(1, 8, 48, 7, 7)
    rgb = torch.rand(1, 4, 16, 7, 7)
    changed = pose.clone()
    changed[:, :, 1] += 5.0  # frame 1 is not one of 0, 3, ..., 45
    with torch.no_grad():
        assert torch.equal(att(pose, rgb), att(changed, rgb))
        changed[:, :, 3] += 5.0
        assert not torch.equal(att(pose, rgb), att(changed, rgb))
        a = att.attention_map(pose)
    assert a.shape == (1, 1, 16, 7, 7)
    assert torch.all((a > 0) & (a < 1))


def test_fusion_and_pose_logits_ignore_rgb() -> None:
    torch.manual_seed(0)
    net = build_epamnet(6)
    _randomize_norms(net)
    net.eval()
    pose = torch.rand(2, 17, 48, 56, 56)
    rgb_a = torch.randn(2, 3, 16, 224, 224)
    rgb_b = torch.randn(2, 3, 16, 224, 224)
    with torch.no_grad():
        s_a, r_a, p_a = net(pose, rgb_a)
        _s_b, r_b, p_b = net(pose, rgb_b)
        p_only = net.forward_pose(pose)
    assert torch.equal(p_a, p_b)
    assert torch.allclose(p_a, p_only, atol=1e-6)
    assert not torch.allclose(r_a, r_b)
    assert torch.allclose(s_a, r_a + p_a)


def test_rgb_logits_see_the_pose_through_attention() -> None:
    torch.manual_seed(1)
    net = build_epamnet(4)
    _randomize_norms(net, seed=1)
    net.eval()
    rgb = torch.randn(1, 3, 16, 224, 224)
    with torch.no_grad():
        _, r1, _ = net(torch.rand(1, 17, 48, 56, 56), rgb)
        _, r2, _ = net(torch.rand(1, 17, 48, 56, 56), rgb)
    assert not torch.allclose(r1, r2)
