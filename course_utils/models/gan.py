"""The DCGAN-style generator and discriminator of 07_gan_contrast."""

from __future__ import annotations

import torch
from torch import nn

from ._blocks import check_latent_dim, check_shape


def _dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation (Radford et al., 2016): weights N(0, 0.02); batch-norm scales N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """The DCGAN-style generator of 07_gan_contrast: z (N, latent_dim) → images (N, 1, 28, 28) in [0, 1].

    Linear → (c1, 7, 7), then two stride-2 transposed convolutions (7 → 14 → 28, to c2 and c3
    channels), each followed by batch norm and ReLU, and a 3×3 convolution to one channel with a
    sigmoid, so samples live where the data does. The last convolution draws the strokes at full
    resolution from c3 maps instead of from a single transposed-convolution output.
    """

    def __init__(self, latent_dim: int = 64, channels=(64, 32, 16)):
        super().__init__()
        check_latent_dim(latent_dim)
        if len(channels) != 3:
            raise ValueError(f"channels: expected three widths (c1 at 7×7, c2 at 14×14, c3 at 28×28), got {channels!r}")
        c1, c2, c3 = channels
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, c1 * 49, bias=False), nn.BatchNorm1d(c1 * 49), nn.ReLU(),
            nn.Unflatten(1, (c1, 7, 7)),
            nn.ConvTranspose2d(c1, c2, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(),  # 7 → 14
            nn.ConvTranspose2d(c2, c3, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(c3), nn.ReLU(),  # 14 → 28
            nn.Conv2d(c3, 1, 3, padding=1), nn.Sigmoid())
        _dcgan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, (self.latent_dim,), "noise")
        return self.net(z)


class Discriminator(nn.Module):
    """The DCGAN-style discriminator of 07_gan_contrast: images (N, 1, 28, 28) in [0, 1] → logits (N,).

    Two stride-2 convolutions (28 → 14 → 7) with leaky ReLU (slope 0.2), then one linear logit;
    ``sigmoid(logit)`` is the probability that the image is real. Pixels are mapped to [-1, 1] first.
    """

    def __init__(self, channels=(16, 32)):
        super().__init__()
        c1, c2 = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 28 → 14
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 14 → 7
            nn.Flatten(), nn.Linear(c2 * 49, 1))
        _dcgan_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(x, (1, 28, 28), "images")
        return self.net(2 * x - 1).squeeze(1)


class GANCheckpoint(nn.Module):
    """A generator, its discriminator and their training record in one module, so that one checkpoint
    restores all of them (07_gan_contrast).

    ``log`` (steps, 4) holds per training step: loss_d, loss_g, mean D(x) on real images, mean D(G(z))
    on fakes; ``snapshots`` (n_snapshots, n_fixed, 1, 28, 28) the fixed noise batch decoded at chosen epochs.
    """

    def __init__(self, generator: Generator, discriminator: Discriminator, steps: int, snapshots: tuple[int, int]):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.register_buffer("log", torch.zeros(steps, 4))
        self.register_buffer("snapshots", torch.zeros(*snapshots, 1, 28, 28))
