"""Numbers the notebooks report (reconstruction error, PSNR; later notebooks add sample quality)."""

from __future__ import annotations

import torch

from .data import batches


def mse(x_hat: torch.Tensor, x: torch.Tensor) -> float:
    """Mean squared error per pixel."""
    if x_hat.shape != x.shape:
        raise ValueError(f"shapes differ: x_hat {tuple(x_hat.shape)} vs x {tuple(x.shape)}")
    return torch.mean((x_hat - x) ** 2).item()


def psnr(x_hat: torch.Tensor, x: torch.Tensor, max_value: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, computed per image and averaged (05: denoising)."""
    if x_hat.shape != x.shape:
        raise ValueError(f"shapes differ: x_hat {tuple(x_hat.shape)} vs x {tuple(x.shape)}")
    per_image = ((x_hat - x) ** 2).reshape(len(x), -1).mean(1).clamp_min(1e-12)
    return (10 * torch.log10(max_value**2 / per_image)).mean().item()


@torch.inference_mode()
def reconstruct(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """``model(x)`` in eval mode, in batches, without gradients (first element if it returns a tuple)."""
    model.eval()
    outs = []
    for xb in batches(x, batch_size):
        out = model(xb)
        outs.append(out[0] if isinstance(out, tuple) else out)
    return torch.cat(outs)


def reconstruction_mse(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 1000) -> float:
    """Test MSE per pixel of an autoencoder on ``x`` (02, 04, 05)."""
    return mse(reconstruct(model, x, batch_size), x)


def jacobian_frobenius(encoder, x: torch.Tensor, create_graph: bool = False) -> torch.Tensor:
    """Mean over samples of ‖∂f(x_i)/∂x_i‖²_F for any encoder f: (N, ...) → (N, m), by autograd (05).

    One backward pass per code unit j: since samples do not interact, the gradient of Σ_i f_j(x_i)
    with respect to x holds row j of every sample's Jacobian. ``create_graph=True`` keeps the result
    differentiable (a training penalty). The encoder must treat samples independently (no batch norm
    in training mode).
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        z = encoder(x)
        if z.ndim != 2 or len(z) != len(x):
            raise ValueError(f"encoder must map (N, ...) to codes (N, m), got {tuple(z.shape)}")
        total = z.new_zeros(())
        for j in range(z.shape[1]):
            (g,) = torch.autograd.grad(z[:, j].sum(), x, retain_graph=True, create_graph=create_graph)
            total = total + (g**2).sum()
    return total / len(x)
