"""The corner refiner: where a found plate's four corners are, in a crop around it.

Five 3x3 convolutions (BatchNorm, ReLU; four of stride 2) take the 160 x 64 crop to a 10 x 4 map
of 96 channels; two fully connected layers read the corners off the whole map, which keeps
where each feature is (pooling it would lose the very positions asked for). The output is the
corners as shares of the crop, as offsets from where the found corners lie (``prior``), so an
untrained net already says "as found".
"""
from __future__ import annotations

import torch
from torch import nn

from checkpoint.corners import CropGeometry

#: The crop the refiner reads: the found plate with a fifth of its width and two fifths of its
#: height around it on each side (the detector's corners are rarely further off), 160 x 64 px.
GEOMETRY = CropGeometry(size=(160, 64), context=(0.2, 0.4))
#: The head's outputs are offsets of the crop's size times this, so its targets are O(1).
OFFSET_SCALE = 0.1


def _conv_bn(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True))


class PlateCornerNet(nn.Module):
    """(N, 3, 64, 160) normalised BGR crops → (N, 8): x, y of the corners (clockwise from
    top-left) as shares of the crop's width and height."""

    def __init__(self, geometry: CropGeometry = GEOMETRY) -> None:
        super().__init__()
        w, h = geometry.size
        self.features = nn.Sequential(_conv_bn(3, 16, 2), _conv_bn(16, 32, 2), _conv_bn(32, 48, 2),
                                      _conv_bn(48, 64, 2), _conv_bn(64, 96, 1))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(96 * (h // 16) * (w // 16), 64),
                                  nn.ReLU(inplace=True), nn.Linear(64, 8))
        self.register_buffer("prior", torch.from_numpy(geometry.prior().reshape(-1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.prior + OFFSET_SCALE * self.head(self.features(x))
