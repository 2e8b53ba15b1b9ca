"""The networks of the course, as plain ``nn.Module``s.

Each model's ``forward`` is written out in the notebook that teaches it; later notebooks import it
from here. Autoencoders expose ``encode(x) -> z`` and ``decode(z) -> x_hat`` as well as ``forward``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity,
                "leaky_relu": nn.LeakyReLU, "elu": nn.ELU}


def _activation(name: str) -> nn.Module:
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: expected one of {', '.join(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


def _mlp(sizes, activation, last_activation=None):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        is_last = i == len(sizes) - 2
        if not is_last:
            layers.append(_activation(activation))
        elif last_activation is not None:
            layers.append(_activation(last_activation))
    return nn.Sequential(*layers)


class MLPAutoencoder(nn.Module):
    """The hourglass MLP of 02_fc_autoencoder: input → hidden … → latent_dim → … hidden → input.

    ``hidden=(256,)`` gives 784–256–d–256–784. ``activation`` is used between hidden layers,
    ``output_activation`` ("sigmoid" for pixels in [0, 1], "identity" for a linear AE) on the output.
    With ``hidden=()`` and ``activation="identity"`` it is the linear autoencoder compared with PCA.
    """

    def __init__(self, latent_dim: int, hidden=(256,), input_shape=(1, 28, 28), activation: str = "relu",
                 output_activation: str = "sigmoid", code_activation: str = "identity"):
        super().__init__()
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")
        self.input_shape = tuple(input_shape)
        self.latent_dim = latent_dim
        n = math.prod(self.input_shape)
        hidden = tuple(hidden)
        self.encoder = _mlp((n, *hidden, latent_dim), activation, code_activation)
        self.decoder = _mlp((latent_dim, *hidden[::-1], n), activation, output_activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"expected input of shape (N, {', '.join(map(str, self.input_shape))}), "
                             f"got {tuple(x.shape)}")
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected codes of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.decoder(z).view(-1, *self.input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
