"""Homework 1's reference computations: what the checkers measure and train with, never the student's code.

* ``jacobians`` / ``jacobian_sq_norm`` / ``projected_reference``: exact per-sample Jacobians by
  ``torch.func`` and the penalties computed from them;
* ``spread_normalised_jacobian``: the mean ‖J‖²_F over the codes' total variance, which task 3 grades
  (rescaling the code layer changes both alike);
* ``TinyAE``: the small network task 2's checker trains itself.
"""

from __future__ import annotations

import torch


def jacobians(encoder, x: torch.Tensor) -> torch.Tensor:
    """The checker's reference: per-sample Jacobians ∂f(x_n)/∂x_n by ``torch.func``, shape (N, m, D)."""
    from torch.func import jacrev, vmap

    with torch.no_grad():
        jac = vmap(jacrev(lambda xi: encoder(xi[None])[0]))(x.detach())
    return jac.flatten(2)


def jacobian_sq_norm(encoder, x: torch.Tensor) -> torch.Tensor:
    """Per-sample ‖∂f(x_n)/∂x_n‖²_F (the checker's reference), shape (N,)."""
    return torch.cat([jacobians(encoder, xb).pow(2).sum((1, 2)) for xb in x.split(250)])


def projected_reference(encoder, x, probes) -> torch.Tensor:
    """mean over k and n of ‖probes[k, n]ᵀ J_n‖² from exact Jacobians."""
    return torch.einsum("knm,nmd->knd", probes, jacobians(encoder, x)).pow(2).sum(-1).mean()


def spread_normalised_jacobian(model, x) -> float:
    """Mean ‖∂f(x_n)/∂x_n‖²_F divided by the total variance of the codes f(x): unchanged if the code is rescaled."""
    with torch.no_grad():
        codes = model.encode(x)
    return jacobian_sq_norm(model.encode, x).mean().item() / codes.var(0).sum().item()


class TinyAE(torch.nn.Module):
    """The small autoencoder task 2's checker trains on 8×8 images: 64 → 32 → m, tanh."""

    def __init__(self, n=64, hidden=32, m=4):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(n, hidden), torch.nn.Tanh(),
                                           torch.nn.Linear(hidden, m))
        self.decoder = torch.nn.Sequential(torch.nn.Linear(m, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, n),
                                           torch.nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).view_as(x)
