"""A small CRNN for plate crops: convolutions fold height 48 → 1 and width by 4, 1-D convolutions read the
columns (dilated 1-D convolutions), a 1x1 layer gives the CTC classes (0 = blank, then the characters, then a space class
that ``checkpoint.recognise.CtcRecogniser`` appends and that is never a target).

Input: (N, 3, 48, W) float32, BGR pixels normalised as (v/255 - 0.5)/0.5. ``forward`` returns
logits (N, W/4, C) for training; ``Exported`` wraps it with a softmax for the ONNX graph.
"""
from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class PlateCRNN(nn.Module):
    """``width`` scales every layer's channels (1.0: the committed recognisers' 16-128)."""

    def __init__(self, num_classes: int, hidden: int = 128, width: float = 1.0) -> None:
        super().__init__()
        c16, c32, c48, c96, c128 = (int(round(c * width)) for c in (16, 32, 48, 96, 128))
        hidden = int(round(hidden * width))
        self.features = nn.Sequential(
            nn.Conv2d(3, c16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c16),
            nn.ReLU(inplace=True),                              # 24 x W/2
            *_block(c16, c32), nn.MaxPool2d(2),                 # 12 x W/4
            *_block(c32, c48), nn.MaxPool2d((2, 1)),            # 6 x W/4
            *_block(c48, c96), nn.MaxPool2d((2, 1)),            # 3 x W/4
            nn.Conv2d(c96, c128, (3, 1), bias=False), nn.BatchNorm2d(c128), nn.ReLU(inplace=True),  # 1
        )
        # context along the plate: dilated 1-D convolutions (a CPU LSTM trains ~3x slower here)
        self.context = nn.Sequential(
            nn.Conv1d(c128, hidden, 3, padding=1, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
            nn.Conv1d(hidden, hidden, 3, padding=2, dilation=2, bias=False), nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv1d(hidden, hidden, 3, padding=4, dilation=4, bias=False), nn.BatchNorm1d(hidden),
            nn.ReLU(inplace=True),
        )
        self.fc = nn.Conv1d(hidden + c128, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        f = self.features(x).squeeze(2)                    # (N, c128, T)
        f = torch.cat([f, self.context(f)], dim=1)
        return self.fc(f).permute(0, 2, 1)                 # (N, T, C)


class Exported(nn.Module):
    """The graph that is exported: softmax probabilities (N, T, C)."""

    def __init__(self, model: PlateCRNN) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x), dim=-1)
