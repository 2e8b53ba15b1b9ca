"""Numbers the notebooks report (reconstruction error, PSNR; later notebooks add sample quality)."""

from __future__ import annotations

import numpy as np
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


def _features_2d(f, name) -> np.ndarray:
    a = f.detach().double().cpu().numpy() if isinstance(f, torch.Tensor) else np.asarray(f, dtype=np.float64)
    if a.ndim != 2 or len(a) < 2:
        raise ValueError(f"{name} must be a (N, D) array of features with N ≥ 2, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return a


def frechet_distance(feats_a, feats_b) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, D) (06_vae, 07_gan_contrast).

    ‖m_a − m_b‖² + Tr(C_a + C_b − 2 (C_a C_b)^½) in float64; the trace of the matrix square root is
    computed as Σ √λ of the symmetric PSD matrix C_a^½ C_b C_a^½ (same eigenvalues as C_a C_b),
    with tiny negative eigenvalues from round-off clipped to 0.
    """
    a, b = _features_2d(feats_a, "feats_a"), _features_2d(feats_b, "feats_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets differ in dimension: {a.shape[1]} vs {b.shape[1]}")
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    w, v = np.linalg.eigh(cov_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root_a @ cov_b @ root_a
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    value = ((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * trace_root
    return float(max(value, 0.0))


def active_units(mu: torch.Tensor, threshold: float = 0.01) -> int:
    """Latent dimensions whose posterior mean E[z|x] varies over x: Var_x(mu_j) > threshold (Burda et al., 2016; 06)."""
    if not isinstance(mu, torch.Tensor) or mu.ndim != 2 or len(mu) < 2:
        raise ValueError(f"mu must be a (N, latent_dim) tensor of posterior means with N ≥ 2, got "
                         f"{tuple(mu.shape) if isinstance(mu, torch.Tensor) else type(mu).__name__}")
    return int((mu.double().var(0) > threshold).sum().item())


@torch.inference_mode()
def lenet_features(lenet: torch.nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """LeNet's penultimate features of images ``x`` (N, 1, 28, 28), in batches, in eval mode (06, 07)."""
    lenet.eval()
    return torch.cat([lenet.features(xb) for xb in batches(x, batch_size)])


def frechet_lenet_distance(lenet: torch.nn.Module, x_a: torch.Tensor, x_b: torch.Tensor) -> float:
    """Fréchet distance between LeNet features of two image sets: lower = more alike (06, 07)."""
    return frechet_distance(lenet_features(lenet, x_a), lenet_features(lenet, x_b))


@torch.inference_mode()
def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """Share of images whose arg-max logit equals the label."""
    model.eval()
    pred = torch.cat([model(xb).argmax(1) for xb in batches(x, batch_size)])
    return (pred == y).double().mean().item()


def trained_lenet(data, device, *, profile_name: str, dataset: str, seed: int = 0):
    """A LeNet trained on ``data.x_train/y_train`` or loaded from ``data/checkpoints`` (06, 07).

    Seeds with ``set_seed(seed)`` before training (re-seed afterwards in the notebook). Prints the
    test accuracy (about 97% on the 4k MNIST subset, 99% on full MNIST).
    """
    import torch.nn.functional as F

    from .checkpoints import load_or_train
    from .device import set_seed
    from .models import LeNet
    from .profiles import get_profile
    from .train import train

    profile = get_profile(profile_name)
    generator = set_seed(seed)
    lenet = LeNet().to(device)

    def loss_fn(model, batch):
        x, y = batch
        return F.cross_entropy(model(x), y), {}

    def train_fn():  # Adam at lr 2e-3, then one epoch at 2e-4
        optimizer = torch.optim.Adam(lenet.parameters(), lr=2e-3)
        train(lenet, loss_fn, (data.x_train, data.y_train), epochs=5 if profile.name == "quick" else 4,
              lr=2e-3, batch_size=profile.batch_size, optimizer=optimizer, generator=generator, desc="LeNet")
        for group in optimizer.param_groups:
            group["lr"] = 2e-4
        train(lenet, loss_fn, (data.x_train, data.y_train), epochs=1, lr=2e-4,
              batch_size=profile.batch_size, optimizer=optimizer, generator=generator, desc="LeNet, lr/10")

    load_or_train(lenet, f"lenet_{dataset}_{profile.name}", train_fn, profile=profile.name,
                  dataset=dataset, seed=seed, n_train=len(data.x_train))
    lenet.eval()
    print(f"LeNet test accuracy on {dataset}: {accuracy(lenet, data.x_test, data.y_test):.2%}")
    return lenet


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
