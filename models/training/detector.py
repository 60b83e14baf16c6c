"""A tiny single-stage plate detector: a CenterNet-style centre heat map and 4 corner offsets.

Backbone of depthwise-separable blocks (BatchNorm, ReLU) down to stride 32, a light FPN back to
stride 4, two heads. Depthwise-separable convolutions and few channels keep a 768x448 frame well
under 20 ms on one CPU core with onnxruntime; the stride-4 output resolves plates ~25 px wide.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

STRIDE = 4
#: Corner offsets are predicted in input pixels divided by this, so the targets are O(1).
CORNER_SCALE = 16.0


def _conv_bn(cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SepBlock(nn.Module):
    """Depthwise 3x3 + pointwise 1x1; a residual when shape is kept."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.dw = nn.Sequential(nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
                                nn.BatchNorm2d(cin))
        self.pw = _conv_bn(cin, cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.pw(self.dw(x))
        return x + y if self.residual else y


def _stage(cin: int, cout: int, repeats: int) -> nn.Sequential:
    return nn.Sequential(SepBlock(cin, cout, 2), *(SepBlock(cout, cout) for _ in range(repeats)))


class PlateDetNet(nn.Module):
    """Returns heat-map logits (N, 1, H/4, W/4) and corner offsets (N, 8, H/4, W/4)."""

    def __init__(self, widths: tuple[int, ...] = (16, 24, 40, 64, 96), fpn: int = 32) -> None:
        super().__init__()
        w = widths
        self.stem = _conv_bn(3, w[0], 3, 2)                 # /2
        self.s4 = _stage(w[0], w[1], 1)                      # /4
        self.s8 = _stage(w[1], w[2], 1)                      # /8
        self.s16 = _stage(w[2], w[3], 2)                     # /16
        self.s32 = _stage(w[3], w[4], 2)                     # /32
        self.lateral = nn.ModuleList(_conv_bn(c, fpn) for c in w[1:])
        self.smooth = SepBlock(fpn, fpn)
        self.heat = nn.Sequential(SepBlock(fpn, fpn), nn.Conv2d(fpn, 1, 1))
        self.corners = nn.Sequential(SepBlock(fpn, fpn), nn.Conv2d(fpn, 8, 1))
        nn.init.constant_(self.heat[-1].bias, -4.6)  # prior 0.01: focal loss starts stable

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        c4 = self.s4(self.stem(x))
        c8 = self.s8(c4)
        c16 = self.s16(c8)
        c32 = self.s32(c16)
        p = self.lateral[3](c32)
        for feat, lat in ((c16, self.lateral[2]), (c8, self.lateral[1]), (c4, self.lateral[0])):
            p = lat(feat) + F.interpolate(p, size=feat.shape[-2:], mode="nearest")
        p = self.smooth(p)
        return self.heat(p), self.corners(p)


class Exported(nn.Module):
    """The ONNX graph: sigmoid heat map and raw corner offsets."""

    def __init__(self, net: PlateDetNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        heat, corners = self.net(x)
        return torch.sigmoid(heat), corners
