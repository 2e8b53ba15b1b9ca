"""PCA by SVD (taught in 01_pca; the linear baseline of 02 and later notebooks)."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PCA:
    """A fitted PCA: ``mean`` (D,), ``components`` (k, D) with orthonormal rows, ``explained_variance`` (k,).

    ``explained_variance_ratio`` is the share of the total variance each component carries.
    """

    mean: torch.Tensor
    components: torch.Tensor
    explained_variance: torch.Tensor
    explained_variance_ratio: torch.Tensor
    input_shape: tuple

    @property
    def k(self) -> int:
        return self.components.shape[0]

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Project onto the components: z = (x − mean) Vᵀ, shape (N, k)."""
        flat = _flatten(x, self.mean.shape[0])
        return (flat - self.mean) @ self.components.T

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Map codes back: x̂ = z V + mean, in the input's original shape."""
        if z.ndim != 2 or z.shape[1] != self.k:
            raise ValueError(f"codes must have shape (N, {self.k}), got {tuple(z.shape)}")
        return (z @ self.components + self.mean).reshape(-1, *self.input_shape)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def _flatten(x: torch.Tensor, dim: int | None = None) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"expected a floating-point tensor, got {type(x).__name__}"
                        + (f" of {x.dtype}" if isinstance(x, torch.Tensor) else ""))
    if x.ndim < 2:
        raise ValueError(f"expected a batch of samples (N, ...), got shape {tuple(x.shape)}")
    flat = x.reshape(len(x), -1)
    if dim is not None and flat.shape[1] != dim:
        raise ValueError(f"expected samples with {dim} values each, got shape {tuple(x.shape)}")
    return flat


def fit_pca(x: torch.Tensor, k: int) -> PCA:
    """Fit PCA with k components to samples x of shape (N, ...) by an SVD of the centred data."""
    flat = _flatten(x)
    n, d = flat.shape
    if not torch.isfinite(flat).all():
        raise ValueError("x contains NaN or infinite values")
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    if k > min(n, d):
        raise ValueError(f"k={k} is larger than min(samples, features) = min({n}, {d}); "
                         f"PCA can find at most {min(n, d)} components here")
    if n < 2:
        raise ValueError("PCA needs at least 2 samples")
    mean = flat.mean(0)
    centred = flat - mean
    _, s, vh = torch.linalg.svd(centred, full_matrices=False)
    # Fix each component's sign (largest |entry| positive) so results are reproducible.
    signs = torch.sign(vh[torch.arange(vh.shape[0]), vh.abs().argmax(1)])
    vh = vh * signs[:, None]
    var = s**2 / (n - 1)
    return PCA(mean, vh[:k].contiguous(), var[:k], var[:k] / var.sum(), tuple(x.shape[1:]))
