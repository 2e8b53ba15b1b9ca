"""Every objective of the course as a function.

Penalties and likelihood terms are plain functions of tensors; a training objective has the shape
``loss_fn(model, x) -> (loss, parts)`` with ``parts`` a dict of scalar tensors, as ``train`` expects.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .batching import jacobian_frobenius


def reconstruction_loss(model: torch.nn.Module, x: torch.Tensor):
    """The plain autoencoder objective of 02_fc_autoencoder: mean squared error per pixel."""
    x_hat = model(x)
    loss = F.mse_loss(x_hat, x)
    return loss, {"mse": loss.detach()}


# --- 05_regularized_autoencoders: corruption processes C(x̃ | x) -------------------------------
# Each returns a new tensor (the input is never modified) and takes an optional ``generator``
# (a torch.Generator on the same device as ``x``) for reproducible noise.


def _check_fraction(fraction, name="fraction"):
    if not 0.0 <= float(fraction) <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {fraction!r}")


def gaussian_noise(x: torch.Tensor, sigma: float, clip: bool = True, generator=None) -> torch.Tensor:
    """x̃ = x + σ·ε with ε ~ N(0, I); clipped to [0, 1] unless ``clip=False`` (05, Vincent et al. 2010)."""
    if not float(sigma) >= 0.0:
        raise ValueError(f"sigma must be a non-negative noise level, got {sigma!r}")
    eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    x_tilde = x + sigma * eps
    return x_tilde.clamp(0.0, 1.0) if clip else x_tilde


def masking_noise(x: torch.Tensor, fraction: float, generator=None) -> torch.Tensor:
    """Each entry is set to 0 independently with probability ``fraction`` (05; dropout on the input, unscaled)."""
    _check_fraction(fraction)
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= fraction
    return x * keep.to(x.dtype)


def salt_and_pepper(x: torch.Tensor, fraction: float, generator=None) -> torch.Tensor:
    """Each entry is replaced with probability ``fraction`` by 0 or 1 (a fair coin) (05)."""
    _check_fraction(fraction)
    hit = torch.rand(x.shape, generator=generator, device=x.device) < fraction
    salt = (torch.rand(x.shape, generator=generator, device=x.device) < 0.5).to(x.dtype)
    return torch.where(hit, salt, x)


# --- 05: sparsity and contraction penalties --------------------------------------------------


def l1_sparsity(z: torch.Tensor) -> torch.Tensor:
    """Σ_j |z_j| per sample, averaged over the batch (the L1 sparse AE of 05; a Laplace prior on z)."""
    if z.ndim < 2:
        raise ValueError(f"expected codes of shape (N, m), got {tuple(z.shape)}")
    return z.abs().flatten(1).sum(1).mean()


def kl_sparsity(rho: float, rho_hat: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Σ_j KL(Bernoulli(ρ) ‖ Bernoulli(ρ̂_j)) for the mean activations ρ̂ (m,) of sigmoid units (05; Ng 2011).

    ``rho`` is the target mean activation in (0, 1); ``rho_hat`` is clamped to [eps, 1 − eps].
    """
    if not 0.0 < float(rho) < 1.0:
        raise ValueError(f"rho must be a target activation strictly between 0 and 1, got {rho!r}")
    rho_hat = rho_hat.clamp(eps, 1.0 - eps)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def contractive_penalty(h: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """‖∂h/∂x‖²_F of a sigmoid layer h = σ(Wx + b) in closed form, averaged over the batch (05; Rifai et al. 2011).

    ``h`` (N, m) are the layer's outputs, ``weight`` (m, n) its W. Since ∂h_j/∂x_i = h_j(1 − h_j) W_ji,
    the squared norm of sample k is Σ_j (h_kj(1 − h_kj))² Σ_i W_ji²; the result is its mean over k.
    """
    if h.ndim != 2 or weight.ndim != 2 or h.shape[1] != weight.shape[0]:
        raise ValueError(f"expected h of shape (N, m) and weight of shape (m, n), got h {tuple(h.shape)} "
                         f"and weight {tuple(weight.shape)}")
    return ((h * (1 - h)) ** 2 @ (weight**2).sum(1)).mean()


# --- 05: objectives ``loss_fn(model, x) -> (loss, parts)`` for the regularized AEs -------------


def denoising_objective(corrupt):
    """Denoising AE: reconstruct the clean x from x̃ = corrupt(x), e.g. ``lambda x: gaussian_noise(x, 0.3)``."""

    def loss_fn(model, x):
        x_hat = model(corrupt(x))
        loss = F.mse_loss(x_hat, x)
        return loss, {"mse": loss.detach()}

    return loss_fn


def l1_objective(lam: float):
    """Sparse AE with an L1 penalty: MSE + λ·mean_batch Σ_j |z_j| (05)."""

    def loss_fn(model, x):
        z = model.encode(x)
        rec = F.mse_loss(model.decode(z), x)
        penalty = l1_sparsity(z)
        return rec + lam * penalty, {"mse": rec.detach(), "l1": penalty.detach()}

    return loss_fn


def kl_sparse_objective(rho: float, beta: float):
    """Sparse AE with the KL(ρ ‖ ρ̂) penalty on the batch-mean activation of a sigmoid code (05; Ng 2011)."""
    if not 0.0 < float(rho) < 1.0:
        raise ValueError(f"rho must be a target activation strictly between 0 and 1, got {rho!r}")

    def loss_fn(model, x):
        z = model.encode(x)
        rec = F.mse_loss(model.decode(z), x)
        penalty = kl_sparsity(rho, z.mean(0))
        return rec + beta * penalty, {"mse": rec.detach(), "kl_sparsity": penalty.detach()}

    return loss_fn


def _sigmoid_layer_weight(model):
    enc = getattr(model, "encoder", None)
    if (isinstance(enc, torch.nn.Sequential) and len(enc) == 2 and isinstance(enc[0], torch.nn.Linear)
            and isinstance(enc[1], torch.nn.Sigmoid)):
        return enc[0].weight
    raise ValueError("the closed-form contractive penalty needs a one-layer sigmoid encoder, e.g. "
                     "MLPAutoencoder(m, hidden=(), code_activation='sigmoid'); for any other encoder use "
                     "contractive_objective(lam, exact=True)")


def contractive_objective(lam: float, exact: bool = False):
    """Contractive AE: MSE + λ‖∂f/∂x‖²_F (batch mean). Closed form for a one-layer sigmoid encoder;
    ``exact=True`` differentiates through ``batching.jacobian_frobenius`` for any encoder (slower) (05).
    """
    def loss_fn(model, x):
        if exact:
            penalty = jacobian_frobenius(model.encode, x, create_graph=torch.is_grad_enabled())
            z = model.encode(x)
        else:
            weight = _sigmoid_layer_weight(model)
            z = model.encode(x)
            penalty = contractive_penalty(z, weight)
        rec = F.mse_loss(model.decode(z), x)
        return rec + lam * penalty, {"mse": rec.detach(), "jacobian": penalty.detach()}

    return loss_fn


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
