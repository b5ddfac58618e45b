"""X-ShiftNet: a 2D X3D-S with a temporal shift in every block (EPAM-Net, Sec. 3.1-3.2).

Frames run as a batch of 2D images ``(N * T, C, H, W)``; the temporal shift in each
inverted-residual block gives the network its temporal receptive field. Two
instantiations: RGB-X-ShiftNet (stride-2 stem, four stages, shift 1/8 + 1/8) and
Pose-X-ShiftNet (stride-1 stem, the first stage removed, shift 1/4 + 1/4).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from model.shift import temporal_shift_any

__all__ = [
    "POSE_STAGES",
    "RGB_STAGES",
    "StageSpec",
    "XShiftBlock",
    "XShiftNet",
    "pose_xshiftnet",
    "rgb_xshiftnet",
    "round_width",
]

LayerFactory = Callable[[int], nn.Module]


@dataclass(frozen=True)
class StageSpec:
    """One stage: ``depth`` blocks, inner (expanded) and output widths, first-block stride."""

    inner_chs: int
    out_chs: int
    depth: int
    stride: int = 2


# X3D-S widths (EPAM-Net Table 2).
RGB_STAGES: tuple[StageSpec, ...] = (
    StageSpec(54, 24, 3),
    StageSpec(108, 48, 5),
    StageSpec(216, 96, 11),
    StageSpec(432, 192, 7),
)
POSE_STAGES: tuple[StageSpec, ...] = (
    StageSpec(54, 24, 5),
    StageSpec(108, 48, 11),
    StageSpec(216, 96, 7),
)


def round_width(width: float, *, min_width: int = 8, divisor: int = 8) -> int:
    """X3D's channel rounding: nearest multiple of ``divisor``, at least ``min_width``,
    never below 90% of ``width``."""
    out = max(min_width, int(width + divisor / 2) // divisor * divisor)
    if out < 0.9 * width:
        out += divisor
    return int(out)


class ConvBN(nn.Sequential):
    """``conv -> norm`` with a bias-free convolution; keys ``conv.*`` and ``bn.*``."""

    def __init__(
        self,
        in_chs: int,
        out_chs: int,
        kernel_size: int = 1,
        *,
        stride: int = 1,
        groups: int = 1,
        norm_layer: LayerFactory = nn.BatchNorm2d,
    ) -> None:
        super().__init__(
            OrderedDict(
                conv=nn.Conv2d(
                    in_chs,
                    out_chs,
                    kernel_size,
                    stride=stride,
                    padding=kernel_size // 2,
                    groups=groups,
                    bias=False,
                ),
                bn=norm_layer(out_chs),
            )
        )


class SqueezeExcite(nn.Module):
    """Squeeze-excitation: global pool -> 1x1 conv (bias) -> ReLU -> 1x1 conv (bias) -> sigmoid."""

    def __init__(self, chs: int, *, ratio: float = 1.0 / 16) -> None:
        super().__init__()
        rd_chs = round_width(chs * ratio)
        self.fc1 = nn.Conv2d(chs, rd_chs, 1, bias=True)
        self.act = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(rd_chs, chs, 1, bias=True)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean(dim=(2, 3), keepdim=True)
        s = self.fc2(self.act(self.fc1(s)))
        return x * self.gate(s)


class XShiftBlock(nn.Module):
    """Inverted residual block with a temporal shift.

    ``shift(x) -> 1x1 conv+BN+ReLU -> 3x3 depthwise (stride s)+BN -> [SE] -> SiLU ->
    1x1 conv+BN (gamma 0) -> + identity(x) -> ReLU``. The identity is taken from the
    unshifted input (1x1 conv stride s + BN when the shape changes).

    Input and output: ``(N * T, C, H, W)``.
    """

    def __init__(
        self,
        in_chs: int,
        inner_chs: int,
        out_chs: int,
        *,
        num_frames: int,
        stride: int = 1,
        shift_div: int = 8,
        use_se: bool = False,
        se_ratio: float = 1.0 / 16,
        norm_layer: LayerFactory = nn.BatchNorm2d,
    ) -> None:
        super().__init__()
        self.num_frames = num_frames
        self.shift_div = shift_div
        self.conv_a = ConvBN(in_chs, inner_chs, 1, norm_layer=norm_layer)
        self.act_a = nn.ReLU(inplace=True)
        self.conv_b = ConvBN(
            inner_chs, inner_chs, 3, stride=stride, groups=inner_chs, norm_layer=norm_layer
        )
        self.se: nn.Module = SqueezeExcite(inner_chs, ratio=se_ratio) if use_se else nn.Identity()
        self.act_b = nn.SiLU(inplace=True)
        self.conv_c = ConvBN(inner_chs, out_chs, 1, norm_layer=norm_layer)
        # X3D's "final BN": the residual branch starts silent, the block as identity.
        last_bn = self.conv_c.bn
        if isinstance(last_bn, nn.modules.batchnorm._NormBase) and last_bn.weight is not None:
            nn.init.zeros_(last_bn.weight)
        self.shortcut: nn.Module
        if stride != 1 or in_chs != out_chs:
            self.shortcut = ConvBN(in_chs, out_chs, 1, stride=stride, norm_layer=norm_layer)
        else:
            self.shortcut = nn.Identity()
        self.act_out = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = self.shortcut(x)
        x = temporal_shift_any(x, self.num_frames, self.shift_div)
        x = self.act_a(self.conv_a(x))
        x = self.conv_b(x)
        x = self.se(x)
        x = self.act_b(x)
        x = self.conv_c(x)
        return self.act_out(x + shortcut)


class XShiftNet(nn.Module):
    """X-ShiftNet backbone with a classification head.

    Input: ``(N, C, T, H, W)`` (batch, channel, time, height, width).
    ``forward_features`` returns ``(N, C_out, T, H', W')``; ``forward_head`` pools over
    ``T, H', W'``, applies dropout and one linear layer, giving ``(N, num_classes)``.
    """

    def __init__(
        self,
        num_classes: int,
        *,
        in_chs: int,
        num_frames: int,
        stages: Sequence[StageSpec],
        stem_chs: int = 24,
        stem_stride: int = 2,
        conv5_chs: int = 432,
        shift_div: int = 8,
        se_ratio: float = 1.0 / 16,
        dropout: float = 0.5,
        norm_layer: LayerFactory = nn.BatchNorm2d,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.in_chs = in_chs
        self.num_frames = num_frames
        self.num_features = conv5_chs
        self.stem = nn.Sequential(
            OrderedDict(
                conv=nn.Conv2d(
                    in_chs, stem_chs, 3, stride=stem_stride, padding=1, bias=False
                ),
                bn=norm_layer(stem_chs),
                act=nn.ReLU(inplace=True),
            )
        )
        prev = stem_chs
        self.stage_names: list[str] = []
        for i, spec in enumerate(stages, start=1):
            blocks: OrderedDict[str, nn.Module] = OrderedDict()
            for j in range(spec.depth):
                blocks[f"block{j}"] = XShiftBlock(
                    prev,
                    spec.inner_chs,
                    spec.out_chs,
                    num_frames=num_frames,
                    stride=spec.stride if j == 0 else 1,
                    shift_div=shift_div,
                    use_se=(j % 2 == 0),
                    se_ratio=se_ratio,
                    norm_layer=norm_layer,
                )
                prev = spec.out_chs
            name = f"stage{i}"
            self.add_module(name, nn.Sequential(blocks))
            self.stage_names.append(name)
        self.conv5 = nn.Sequential(
            OrderedDict(
                conv=nn.Conv2d(prev, conv5_chs, 1, bias=False),
                bn=norm_layer(conv5_chs),
                act=nn.ReLU(inplace=True),
            )
        )
        self.head = _Head(conv5_chs, num_classes, dropout=dropout)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        # BN layers keep PyTorch's init (gamma 1, beta 0), except the last BN of every
        # residual branch, which each XShiftBlock zeroes itself.

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, T, H, W) -> (N, C_out, T, H', W')``."""
        n, c, t, h, w = x.shape
        if t != self.num_frames:
            raise ValueError(f"expected {self.num_frames} frames, got {t}")
        if c != self.in_chs:
            raise ValueError(f"expected {self.in_chs} input channels, got {c}")
        x = x.transpose(1, 2).reshape(n * t, c, h, w)
        x = self.stem(x)
        for name in self.stage_names:
            x = getattr(self, name)(x)
        x = self.conv5(x)
        _, c_out, h_out, w_out = x.shape
        return x.reshape(n, t, c_out, h_out, w_out).transpose(1, 2)

    def forward_head(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """``(N, C_out, T, H', W') -> (N, num_classes)`` (or pooled features if ``pre_logits``)."""
        return self.head(x, pre_logits=pre_logits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))


class _Head(nn.Module):
    """Global average pool over ``T, H, W`` -> dropout -> linear."""

    def __init__(self, in_chs: int, num_classes: int, *, dropout: float = 0.5) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_chs, num_classes)
        nn.init.normal_(self.fc.weight, std=0.01)
        nn.init.zeros_(self.fc.bias)

    def forward(self, x: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        x = x.mean(dim=(2, 3, 4))
        if pre_logits:
            return x
        return self.fc(self.dropout(x))


def rgb_xshiftnet(
    num_classes: int,
    *,
    num_frames: int = 16,
    shift_div: int = 8,
    dropout: float = 0.5,
    norm_layer: LayerFactory = nn.BatchNorm2d,
) -> XShiftNet:
    """RGB-X-ShiftNet: input ``(N, 3, 16, 224, 224)``, features ``(N, 432, 16, 7, 7)``."""
    return XShiftNet(
        num_classes,
        in_chs=3,
        num_frames=num_frames,
        stages=RGB_STAGES,
        stem_stride=2,
        conv5_chs=432,
        shift_div=shift_div,
        dropout=dropout,
        norm_layer=norm_layer,
    )


def pose_xshiftnet(
    num_classes: int,
    *,
    num_keypoints: int = 17,
    num_frames: int = 48,
    shift_div: int = 4,
    dropout: float = 0.5,
    norm_layer: LayerFactory = nn.BatchNorm2d,
) -> XShiftNet:
    """Pose-X-ShiftNet: input ``(N, 17, 48, 56, 56)``, features ``(N, 216, 48, 7, 7)``."""
    return XShiftNet(
        num_classes,
        in_chs=num_keypoints,
        num_frames=num_frames,
        stages=POSE_STAGES,
        stem_stride=1,
        conv5_chs=216,
        shift_div=shift_div,
        dropout=dropout,
        norm_layer=norm_layer,
    )
