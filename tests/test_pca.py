import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA as SklearnPCA

from course_utils.pca import fit_pca


@pytest.fixture
def x():
    """300 samples near a 5-D subspace of R^40, with distinct variances per direction."""
    g = torch.Generator().manual_seed(0)
    basis = torch.randn(5, 40, generator=g, dtype=torch.float64)
    scales = torch.linspace(3, 0.5, 5, dtype=torch.float64)
    codes = torch.randn(300, 5, generator=g, dtype=torch.float64) * scales
    return codes @ basis + 0.01 * torch.randn(300, 40, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_matches_sklearn(x, k):
    ours = fit_pca(x, k)
    theirs = SklearnPCA(n_components=k, svd_solver="full").fit(x.numpy())
    np.testing.assert_allclose(ours.explained_variance.numpy(), theirs.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(ours.explained_variance_ratio.numpy(), theirs.explained_variance_ratio_, rtol=1e-10)
    z_ours, z_theirs = ours.encode(x).numpy(), theirs.transform(x.numpy())
    signs = np.sign((z_ours * z_theirs).sum(0))
    np.testing.assert_allclose(z_ours, z_theirs * signs, atol=1e-10)
    np.testing.assert_allclose(ours.reconstruct(x).numpy(), theirs.inverse_transform(z_theirs), atol=1e-10)


def test_components_orthonormal_and_image_shapes_round_trip():
    imgs = torch.rand(50, 1, 28, 28)
    p = fit_pca(imgs, 10)
    assert torch.allclose(p.components @ p.components.T, torch.eye(10), atol=1e-5)
    assert p.decode(p.encode(imgs)).shape == imgs.shape
    full = fit_pca(imgs.double(), 50)
    assert torch.allclose(full.reconstruct(imgs.double()), imgs.double(), atol=1e-8)  # k = N is exact


def test_bad_input_is_explained():
    with pytest.raises(ValueError, match="k=900 is larger than min\\(samples, features\\) = min\\(50, 784\\)"):
        fit_pca(torch.rand(50, 1, 28, 28), 900)
    with pytest.raises(ValueError, match="positive int"):
        fit_pca(torch.rand(50, 10), 0)
    with pytest.raises(TypeError, match="floating-point tensor"):
        fit_pca(torch.zeros(50, 10, dtype=torch.uint8), 2)
    with pytest.raises(ValueError, match="NaN"):
        fit_pca(torch.full((5, 3), float("nan")), 1)
    p = fit_pca(torch.rand(20, 10), 2)
    with pytest.raises(ValueError, match="samples with 10 values each"):
        p.encode(torch.rand(3, 11))
    with pytest.raises(ValueError, match=r"codes must have shape \(N, 2\)"):
        p.decode(torch.rand(3, 3))
