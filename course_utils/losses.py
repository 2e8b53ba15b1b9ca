"""Every objective of the course as a function.

Penalties and likelihood terms are plain functions of tensors; a training objective has the shape
``loss_fn(model, x) -> (loss, parts)`` with ``parts`` a dict of scalar tensors, as ``train`` expects.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def reconstruction_loss(model: torch.nn.Module, x: torch.Tensor):
    """The plain autoencoder objective of 02_fc_autoencoder: mean squared error per pixel."""
    x_hat = model(x)
    loss = F.mse_loss(x_hat, x)
    return loss, {"mse": loss.detach()}
