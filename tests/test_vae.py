"""VAE pieces of 06_vae against trusted references (torch.distributions, scipy)."""

import numpy as np
import pytest
import scipy.linalg
import torch
from torch.distributions import Normal, kl_divergence

from course_utils.losses import kl_normal, vae_loss, vae_objective
from course_utils.metrics import active_units, frechet_distance
from course_utils.models import VAE, ConvVAE, LeNet
from course_utils.quality import frechet_lenet_distance, lenet_features


def test_kl_normal_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu = torch.randn(64, 12, generator=g, dtype=torch.float64) * 2
    logvar = torch.randn(64, 12, generator=g, dtype=torch.float64) * 1.5
    expected = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(-1)
    got = kl_normal(mu, logvar)
    assert got.shape == (64,)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    assert torch.all(kl_normal(torch.zeros(3, 4), torch.zeros(3, 4)) == 0)


def test_kl_normal_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same shape"):
        kl_normal(torch.zeros(2, 3), torch.zeros(2, 4))


@pytest.mark.parametrize("likelihood", ["bernoulli", "gaussian"])
@pytest.mark.parametrize("beta", [0.0, 1.0, 4.0])
def test_vae_loss_parts_add_up(likelihood, beta):
    g = torch.Generator().manual_seed(1)
    x = torch.rand(8, 1, 28, 28, generator=g)
    x_hat = torch.rand(8, 1, 28, 28, generator=g).clamp(0.01, 0.99)
    mu, logvar = torch.randn(8, 5, generator=g), torch.randn(8, 5, generator=g)
    loss, parts = vae_loss(x_hat, x, mu, logvar, likelihood=likelihood, beta=beta)
    torch.testing.assert_close(loss, parts["recon"] + beta * parts["kl"])
    torch.testing.assert_close(parts["kl"], kl_normal(mu, logvar).mean())


def test_vae_loss_recon_against_references():
    g = torch.Generator().manual_seed(2)
    x = torch.rand(4, 1, 28, 28, generator=g)
    x_hat = torch.rand(4, 1, 28, 28, generator=g).clamp(0.01, 0.99)
    mu = logvar = torch.zeros(4, 3)
    _, parts = vae_loss(x_hat, x, mu, logvar, likelihood="bernoulli")
    bce = -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum((1, 2, 3)).mean()
    torch.testing.assert_close(parts["recon"], bce)
    _, parts = vae_loss(x_hat, x, mu, logvar, likelihood="gaussian", sigma=0.3)
    nll = -Normal(x_hat, 0.3).log_prob(x).sum((1, 2, 3)).mean()
    torch.testing.assert_close(parts["recon"], nll)


def test_vae_loss_bad_input():
    x = torch.rand(2, 1, 28, 28)
    mu = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="likelihood"):
        vae_loss(x, x, mu, mu, likelihood="poisson")
    with pytest.raises(ValueError, match="shapes differ"):
        vae_loss(x[:, :, :27], x, mu, mu)
    with pytest.raises(ValueError, match="beta"):
        vae_loss(x, x, mu, mu, beta=-1.0)
    with pytest.raises(ValueError, match="likelihood"):
        vae_objective("laplace")


def test_reparameterize_mean_and_variance():
    torch.manual_seed(0)
    model = VAE(latent_dim=3)
    mu = torch.tensor([[0.5, -2.0, 1.0]]).expand(200_000, 3)
    logvar = torch.tensor([[0.0, 1.0, -2.0]]).expand(200_000, 3)
    z = model.reparameterize(mu, logvar)
    torch.testing.assert_close(z.mean(0), mu[0], atol=0.02, rtol=0)
    torch.testing.assert_close(z.var(0), logvar[0].exp(), atol=0, rtol=0.02)
    # the sample is differentiable in mu and logvar
    m, lv = torch.zeros(4, 3, requires_grad=True), torch.zeros(4, 3, requires_grad=True)
    model.reparameterize(m, lv).sum().backward()
    assert torch.all(m.grad == 1) and lv.grad is not None


@pytest.mark.parametrize("make", [lambda: VAE(latent_dim=7), lambda: VAE(7, hidden=(64, 32)), lambda: ConvVAE(latent_dim=7)])
def test_vae_shapes(make):
    model = make()
    x = torch.rand(5, 1, 28, 28)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 7) and model.latent_dim == 7
    x_hat = model.decode(torch.randn(5, 7))
    assert x_hat.shape == (5, 1, 28, 28) and x_hat.min() >= 0 and x_hat.max() <= 1
    out = model(x)
    assert len(out) == 3 and out[0].shape == x.shape
    loss, parts = vae_objective()(model, x)
    loss.backward()
    assert set(parts) == {"recon", "kl"}
    with pytest.raises(ValueError, match="codes of shape"):
        model.decode(torch.randn(5, 6))
    with pytest.raises(ValueError, match="input of shape"):
        model.encode(torch.rand(5, 28, 28))


def test_vae_rejects_bad_latent_dim():
    with pytest.raises(ValueError, match="latent_dim"):
        VAE(latent_dim=0)
    with pytest.raises(ValueError, match="latent_dim"):
        ConvVAE(latent_dim=2.5)


def test_lenet_shapes():
    net = LeNet()
    x = torch.rand(6, 1, 28, 28)
    assert net(x).shape == (6, 10)
    feats = lenet_features(net, x, batch_size=4)
    assert feats.ndim == 2 and len(feats) == 6
    with pytest.raises(ValueError, match="28, 28"):
        net(torch.rand(6, 784))


def _scipy_frechet(a, b):
    ca, cb = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(ca @ cb)
    return ((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(ca + cb - 2 * root.real)


def test_frechet_distance_zero_for_identical_sets_and_matches_scipy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(loc=0.7, size=(400, 6)) @ rng.normal(size=(6, 6))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8)
    assert frechet_distance(a, b) == pytest.approx(_scipy_frechet(a, b), rel=1e-6)
    assert frechet_distance(torch.tensor(a), torch.tensor(b)) == pytest.approx(frechet_distance(b, a), rel=1e-6)
    # two Gaussians differing only in the mean: the distance is the squared mean gap (up to sampling)
    x = rng.normal(size=(20_000, 2))
    assert frechet_distance(x, x + np.array([3.0, 0.0])) == pytest.approx(9.0, rel=1e-6)


def test_frechet_distance_bad_input():
    with pytest.raises(ValueError, match="dimension"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"\(N, D\)"):
        frechet_distance(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(np.full((5, 2), np.nan), np.zeros((5, 2)))


def test_frechet_lenet_distance_separates_sets():
    torch.manual_seed(0)
    net = LeNet()
    x = torch.rand(200, 1, 28, 28)
    assert frechet_lenet_distance(net, x, x) == pytest.approx(0.0, abs=1e-6)
    assert frechet_lenet_distance(net, x, torch.zeros(200, 1, 28, 28) + 0.5 * x) > 0


def test_active_units_counts_varying_dimensions():
    g = torch.Generator().manual_seed(0)
    mu = torch.zeros(1000, 6)
    mu[:, 0] = torch.randn(1000, generator=g)           # variance 1: active
    mu[:, 1] = 0.3 * torch.randn(1000, generator=g)     # variance 0.09: active
    mu[:, 2] = 0.05 * torch.randn(1000, generator=g)    # variance 0.0025: inactive
    mu[:, 3] = 5.0                                      # constant: inactive however large
    assert active_units(mu) == 2
    assert active_units(mu, threshold=0.001) == 3
    with pytest.raises(ValueError, match="posterior means"):
        active_units(torch.zeros(10))


def test_latent_explorer_draws_a_vae_decoding():
    import matplotlib.pyplot as plt

    from course_utils.widgets import draw_latent_explorer

    model = VAE(latent_dim=2, hidden=16)
    fig = draw_latent_explorer(model.decode, torch.randn(20, 2), torch.arange(20) % 10, z1=0.5, z2=-1.0)
    assert isinstance(fig, plt.Figure) and len(fig.axes) == 2  # the codes (with a class legend) and the decoding
    assert len(fig.axes[0].get_legend().get_texts()) == 10
