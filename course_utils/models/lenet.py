"""The LeNet digit classifier whose features score sample quality (06_vae, 07_gan_contrast)."""

from __future__ import annotations

import torch
from torch import nn

from ._blocks import check_shape


class LeNet(nn.Module):
    """A small LeNet-style digit classifier (LeCun et al., 1998), 06_vae and 07_gan_contrast.

    Its 128 penultimate ``features(x)`` are the feature space of the Fréchet LeNet distance;
    ``forward(x)`` returns the 10 class logits.
    """

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 28 → 14
            nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),            # 14 → 10 → 5
            nn.Flatten(), nn.Linear(32 * 25, 128), nn.ReLU())
        self.head = nn.Linear(128, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(x, (1, 28, 28), "images")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
