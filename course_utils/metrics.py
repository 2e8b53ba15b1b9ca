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


def checkerboard_energy(x: torch.Tensor) -> float:
    """Share of each image's (mean-removed) spectral energy at the stride-2 frequencies — 04.

    A pattern that repeats every 2 pixels lives at the Nyquist frequencies (H/2, 0), (0, W/2) and
    (H/2, W/2) of the 2-D DFT. Returns that share, averaged over images: 1 for a pure checkerboard,
    close to 0 for smooth images. Needs even H and W.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim != 4:
        raise ValueError(f"expected a float tensor of images (N, C, H, W), got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    h, w = x.shape[-2:]
    if h % 2 or w % 2:
        raise ValueError(f"checkerboard_energy needs even height and width, got {h}×{w}")
    x = x.double()
    power = torch.fft.fft2(x - x.mean(dim=(-2, -1), keepdim=True)).abs() ** 2
    nyquist = power[..., h // 2, 0] + power[..., 0, w // 2] + power[..., h // 2, w // 2]
    total = power.sum(dim=(-2, -1)).clamp_min(1e-12)
    return (nyquist / total).mean().item()
