"""The variational autoencoders of 06_vae: an MLP VAE and a convolutional one."""

from __future__ import annotations

import math

import torch
from torch import nn

from ._blocks import check_latent_dim, check_shape, mlp


class _GaussianEncoderVAE(nn.Module):
    """What every VAE of 06_vae shares: q(z|x) = N(mu, diag(exp(logvar))) and a sampled forward."""

    latent_dim: int

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """z = mu + sigma * eps with eps ~ N(0, I): a sample whose gradient flows into mu and logvar."""
        if mu.shape != logvar.shape:
            raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must have the same shape")
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def forward(self, x: torch.Tensor):
        """(x_hat, mu, logvar): x_hat decodes one sample z ~ q(z|x) (in eval mode too)."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


class VAE(_GaussianEncoderVAE):
    """The MLP VAE of 06_vae (784–400–20 as in Kingma & Welling, 2014).

    ``encode(x) -> (mu, logvar)``, ``decode(z) -> x_hat`` (Bernoulli means in [0, 1], shape (N, 1, 28, 28)),
    ``forward(x) -> (x_hat, mu, logvar)``. ``hidden`` is an int or a tuple of hidden widths.
    """

    def __init__(self, latent_dim: int = 20, hidden=400, input_shape=(1, 28, 28)):
        super().__init__()
        check_latent_dim(latent_dim)
        hidden = (hidden,) if isinstance(hidden, int) else tuple(hidden)
        if not hidden or any(not isinstance(h, int) or h < 1 for h in hidden):
            raise ValueError(f"hidden must be a positive int or a tuple of them, got {hidden!r}")
        self.latent_dim = latent_dim
        self.input_shape = tuple(input_shape)
        n = math.prod(self.input_shape)
        self.encoder = mlp((n, *hidden), "relu", "relu")
        self.to_mu = nn.Linear(hidden[-1], latent_dim)
        self.to_logvar = nn.Linear(hidden[-1], latent_dim)
        self.decoder = mlp((latent_dim, *hidden[::-1], n), "relu", "sigmoid")

    def encode(self, x: torch.Tensor):
        check_shape(x, self.input_shape, "input")
        h = self.encoder(x.flatten(1))
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, (self.latent_dim,), "codes")
        return self.decoder(z).view(-1, *self.input_shape)


class ConvVAE(_GaussianEncoderVAE):
    """The convolutional VAE of 06_vae: two stride-2 convolutions down (28→14→7), two transposed up."""

    def __init__(self, latent_dim: int = 16, channels=(32, 64)):
        super().__init__()
        check_latent_dim(latent_dim)
        c1, c2 = channels
        self.latent_dim = latent_dim
        self.input_shape = (1, 28, 28)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1), nn.ReLU(),   # 28 → 14
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),  # 14 → 7
            nn.Flatten())
        self.to_mu = nn.Linear(c2 * 49, latent_dim)
        self.to_logvar = nn.Linear(c2 * 49, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, c2 * 49), nn.ReLU(), nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),  # 7 → 14
            nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1), nn.Sigmoid())  # 14 → 28

    def encode(self, x: torch.Tensor):
        check_shape(x, self.input_shape, "input")
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, (self.latent_dim,), "codes")
        return self.decoder(z)
