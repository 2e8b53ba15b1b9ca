"""Pure measurements the notebooks report: reconstruction error, PSNR, accuracy, Fréchet distance, … .

Nothing here trains; sample quality with a trained scorer is in ``quality``.
"""

from __future__ import annotations

import numpy as np
import torch

from .batching import evaluate, jacobian_frobenius  # noqa: F401  (jacobian_frobenius: metrics' name for it)


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


def _first_output(model, xb):
    out = model(xb)
    return out[0] if isinstance(out, tuple) else out


def reconstruct(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """``model(x)`` in eval mode, in batches, without gradients (first element if it returns a tuple)."""
    return evaluate(model, x, _first_output, batch_size=batch_size)


def reconstruction_mse(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 1000) -> float:
    """Test MSE per pixel of an autoencoder on ``x`` (02, 04, 05)."""
    return mse(reconstruct(model, x, batch_size), x)


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


def _predicted_labels(model, xb):
    return model(xb).argmax(1)


def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """Share of images whose arg-max logit equals the label (the model runs in eval mode, in batches)."""
    pred = evaluate(model, x, _predicted_labels, batch_size=batch_size)
    return (pred == y).double().mean().item()


def checkerboard_energy(x: torch.Tensor, period: int = 2) -> float:
    """Share of each image's (mean-removed) spectral energy in patterns that repeat every ``period`` pixels — 04.

    A pattern with period p (in both directions) lives at the 2-D DFT frequencies (u, v) with u a
    multiple of H/p and v a multiple of W/p; ``period=2`` gives the three Nyquist bins (H/2, 0),
    (0, W/2), (H/2, W/2) of a stride-2 checkerboard, ``period=4`` the 15 non-zero bins of a pattern
    left by two stride-2 layers (7 → 14 → 28), which include the period-2 ones. Returns that share,
    averaged over images: 1 for a pure periodic pattern, close to 0 for smooth images. Needs H and W
    divisible by ``period``.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim != 4:
        raise ValueError(f"expected a float tensor of images (N, C, H, W), got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    if isinstance(period, bool) or not isinstance(period, int) or period < 2:
        raise ValueError(f"period must be an int of at least 2, got {period!r}")
    h, w = x.shape[-2:]
    if h % period or w % period:
        raise ValueError(f"checkerboard_energy with period {period} needs height and width divisible by "
                         f"{period}, got {h}×{w}")
    x = x.double()
    power = torch.fft.fft2(x - x.mean(dim=(-2, -1), keepdim=True)).abs() ** 2
    periodic = power[..., ::h // period, ::w // period].sum(dim=(-2, -1))  # the (0, 0) bin is 0 after centring
    total = power.sum(dim=(-2, -1)).clamp_min(1e-12)
    return (periodic / total).mean().item()


def knn_accuracy(codes_ref, labels_ref, codes_query, labels_query, k: int = 5) -> float:
    """Share of ``codes_query`` whose k nearest ``codes_ref`` (Euclidean) vote for the right label.

    The one k-NN measure of the course (02 codes as features, 06 latent spaces, 08 retrieval): the
    reference set is a fit set (training codes), the query set is held out; scikit-learn does the search.
    """
    from sklearn.neighbors import KNeighborsClassifier

    ref, query = _features_2d(codes_ref, "codes_ref"), _features_2d(codes_query, "codes_query")
    y_ref = np.asarray(torch.as_tensor(labels_ref).cpu())
    y_query = np.asarray(torch.as_tensor(labels_query).cpu())
    if len(ref) != len(y_ref) or len(query) != len(y_query):
        raise ValueError("each set of codes needs one label per code")
    if ref.shape[1] != query.shape[1]:
        raise ValueError(f"codes differ in size: {ref.shape[1]} vs {query.shape[1]}")
    if not 1 <= k <= len(ref):
        raise ValueError(f"k must be in [1, {len(ref)}], got {k}")
    clf = KNeighborsClassifier(n_neighbors=k).fit(ref, y_ref)
    return float((clf.predict(query) == y_query).mean())


def jacobian_probe_norm(f, x: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """Mean over samples and directions of ‖J_f(x_i) v_k‖² for unit vectors v_k, by autograd's Jacobian-vector product (05).

    ``f`` maps (N, ...) to (N, ...) sample by sample (an encoder, or a whole autoencoder r = g∘f);
    ``directions`` (K, *x.shape[1:]) are normalised here. With K random Gaussian directions the mean
    times the input size estimates ‖J_f‖²_F; with directions spanning a subspace it measures how
    strongly f responds along that subspace.
    """
    v = directions.reshape(len(directions), -1)
    v = (v / v.norm(dim=1, keepdim=True)).reshape(directions.shape).to(x)
    total = x.new_zeros(())
    for vk in v:
        # the double-backward JVP: torch.func.jvp would print a torch.jit deprecation warning
        _, jv = torch.autograd.functional.jvp(f, x, vk.expand_as(x))
        total = total + (jv.detach().flatten(1) ** 2).sum(1).mean()
    return total / len(v)


def relative_contraction(jacobian_sq: float, codes: torch.Tensor) -> float:
    """‖J_f‖²_F divided by the codes' total variance over the data, Σ_j Var_x f_j(x) (05).

    Scaling the code by c (and the decoder by 1/c) multiplies both by c², so the ratio is unchanged:
    a contraction measure that rescaling cannot fake (Rifai et al. 2011 tie the weights for the same reason).
    """
    return float(jacobian_sq) / codes.double().var(0).sum().item()
