"""Every objective of the course as a function.

Penalties and likelihood terms are plain functions of tensors; a training objective has the shape
``loss_fn(model, x) -> (loss, parts)`` with ``parts`` a dict of scalar tensors, as ``train`` expects.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def reconstruction_loss(model: torch.nn.Module, x: torch.Tensor):
    """The plain autoencoder objective of 02_fc_autoencoder: mean squared error per pixel."""
    x_hat = model(x)
    loss = F.mse_loss(x_hat, x)
    return loss, {"mse": loss.detach()}


def kl_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag(exp(logvar))) ‖ N(0, I)) in nats, summed over the last axis: one value per sample (06_vae).

    Closed form: ½ Σ_j (mu_j² + σ_j² − log σ_j² − 1).
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must have the same shape")
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar - 1).sum(-1)


LIKELIHOODS = ("bernoulli", "gaussian")


def vae_loss(x_hat: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             likelihood: str = "bernoulli", beta: float = 1.0, sigma: float = 1.0):
    """Negative ELBO per image in nats, averaged over the batch: ``(recon + beta * kl, parts)`` (06_vae).

    ``recon`` is −log p(x|z) for the decoded sample, summed over pixels:
    - ``"bernoulli"``: binary cross-entropy with the pixel means ``x_hat`` in [0, 1];
    - ``"gaussian"``: N(x; x_hat, sigma² I) with a fixed ``sigma`` (default 1), i.e.
      ‖x − x_hat‖² / (2 sigma²) + (D/2) log(2π sigma²): the exact negative log-density, so it can be
      negative and is not comparable with Bernoulli numbers.
    ``parts`` = {"recon": mean recon, "kl": mean KL to N(0, I)} (detached).
    """
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"unknown likelihood {likelihood!r}: expected one of {', '.join(LIKELIHOODS)}")
    if x_hat.shape != x.shape:
        raise ValueError(f"shapes differ: x_hat {tuple(x_hat.shape)} vs x {tuple(x.shape)}")
    if not beta >= 0:
        raise ValueError(f"beta must be non-negative, got {beta!r}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    if likelihood == "bernoulli":
        recon = F.binary_cross_entropy(x_hat, x, reduction="none").flatten(1).sum(1)
    else:
        d = x[0].numel()
        recon = ((x_hat - x) ** 2).flatten(1).sum(1) / (2 * sigma**2) + 0.5 * d * math.log(2 * math.pi * sigma**2)
    recon, kl = recon.mean(), kl_normal(mu, logvar).mean()
    return recon + beta * kl, {"recon": recon.detach(), "kl": kl.detach()}


def vae_objective(likelihood: str = "bernoulli", beta: float = 1.0, sigma: float = 1.0):
    """``loss_fn(model, x)`` for ``train``: the negative ELBO of a model returning (x_hat, mu, logvar) (06_vae)."""
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"unknown likelihood {likelihood!r}: expected one of {', '.join(LIKELIHOODS)}")

    def loss_fn(model, x):
        x = x[0] if isinstance(x, tuple | list) else x
        x_hat, mu, logvar = model(x)
        return vae_loss(x_hat, x, mu, logvar, likelihood=likelihood, beta=beta, sigma=sigma)

    return loss_fn


def _logits(t, name):
    if not isinstance(t, torch.Tensor) or not t.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor of discriminator logits")
    return t


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor):
    """The discriminator's binary cross-entropy of 07_gan_contrast: real images labelled 1, fakes 0.

    Takes logits (not probabilities): −mean log σ(real) − mean log(1 − σ(fake)), computed stably.
    """
    real_logits, fake_logits = _logits(real_logits, "real_logits"), _logits(fake_logits, "fake_logits")
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake, {"d_real": real.detach(), "d_fake": fake.detach()}


def generator_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """mean log(1 − σ(l)): the minimax generator loss (Goodfellow et al., 2014), 07_gan_contrast.

    Its gradient w.r.t. a logit is −σ(l)/N: it vanishes when the discriminator confidently rejects fakes.
    """
    return -F.softplus(_logits(fake_logits, "fake_logits")).mean()


def generator_loss_non_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """−mean log σ(l): the non-saturating generator loss (Goodfellow et al., 2014), 07_gan_contrast.

    Its gradient w.r.t. a logit is (σ(l) − 1)/N: largest exactly when the fakes are rejected.
    """
    return F.softplus(-_logits(fake_logits, "fake_logits")).mean()
