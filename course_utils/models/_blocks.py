"""Pieces every model family shares: argument checks, activations by name, an MLP stack."""

from __future__ import annotations

import torch
from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity,
                "leaky_relu": nn.LeakyReLU, "elu": nn.ELU}


def activation(name: str) -> nn.Module:
    """A fresh activation layer by name ("relu", "sigmoid", "tanh", "identity", "leaky_relu", "elu")."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: expected one of {', '.join(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


def check_latent_dim(latent_dim) -> None:
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")


def check_shape(t: torch.Tensor, shape, what: str) -> None:
    """Raise unless ``t`` is a batch (N, *shape), naming ``what`` it should be (input, codes, …)."""
    if tuple(t.shape[1:]) != tuple(shape) or t.ndim != len(shape) + 1:
        raise ValueError(f"expected {what} of shape (N, {', '.join(map(str, shape))}), got {tuple(t.shape)}")


def mlp(sizes, activation_name, last_activation=None) -> nn.Sequential:
    """Linear layers through ``sizes`` with ``activation_name`` between them (and optionally after the last)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        is_last = i == len(sizes) - 2
        if not is_last:
            layers.append(activation(activation_name))
        elif last_activation is not None:
            layers.append(activation(last_activation))
    return nn.Sequential(*layers)
