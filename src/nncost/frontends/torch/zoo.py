"""Built-in models: ``nncost:seednet`` — every layer of the seed tutorial in one network.

The seed's worked examples appear as its layers: the max pool on 128×112×112
(1,605,632 FLOPs), BatchNorm's 4·C, LSTM(128, 64) (49,664 params in PyTorch) and the
fully connected layer with 300 inputs and 100 outputs (30,100 params).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["SeedNet", "MODELS"]


class SeedNet(nn.Module):
    """A small CNN + LSTM classifier made of the seed's layers. Input: [N, 3, 224, 224]."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 128, 3, stride=2, padding=1), nn.BatchNorm2d(128), nn.ReLU(), nn.MaxPool2d(2, 2)
        )  # -> [N, 128, 56, 56]; the pool sees 128×112×112
        self.block = nn.Sequential(nn.Conv2d(128, 128, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(128), nn.ReLU())
        self.squash = nn.AdaptiveAvgPool2d((1, 28))  # -> [N, 128, 1, 28]: 28 steps of 128 features
        self.lstm = nn.LSTM(128, 64)
        self.fc1 = nn.Linear(64, 300)
        self.act1 = nn.Tanh()
        self.fc2 = nn.Linear(300, 100)
        self.act2 = nn.Sigmoid()
        self.head = nn.Linear(100, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.squash(self.block(self.stem(x)))
        seq = x.flatten(2).permute(2, 0, 1)  # [28, N, 128]
        out, _ = self.lstm(seq)
        return self.head(self.act2(self.fc2(self.act1(self.fc1(out[-1])))))


MODELS: dict[str, tuple[type[nn.Module], tuple[int, ...]]] = {"seednet": (SeedNet, (1, 3, 224, 224))}
