"""Autoencoder models (02, 04): shapes, encode/decode round trips, clear errors; their figures."""

import matplotlib.figure
import pytest
import torch

from course_utils.models import MLPAutoencoder
from course_utils.plotting import plot_latent
from course_utils.widgets import draw_latent_explorer


@pytest.mark.parametrize("latent_dim,hidden", [(1, ()), (2, (256,)), (32, (64, 16))])
def test_mlp_autoencoder_shapes(latent_dim, hidden):
    model = MLPAutoencoder(latent_dim, hidden=hidden)
    x = torch.rand(5, 1, 28, 28)
    z = model.encode(x)
    assert z.shape == (5, latent_dim)
    assert model.decode(z).shape == x.shape
    x_hat = model(x)
    assert x_hat.shape == x.shape
    assert torch.equal(x_hat, model.decode(model.encode(x)))
    assert 0 <= x_hat.min() and x_hat.max() <= 1  # sigmoid output


def test_linear_autoencoder_is_affine():
    model = MLPAutoencoder(3, hidden=(), activation="identity", output_activation="identity")
    x, y = torch.rand(4, 1, 28, 28), torch.rand(4, 1, 28, 28)
    mid = model(0.5 * x + 0.5 * y)
    torch.testing.assert_close(mid, 0.5 * model(x) + 0.5 * model(y), atol=1e-5, rtol=1e-5)


def test_mlp_autoencoder_learns_on_64_samples():
    torch.manual_seed(0)
    model = MLPAutoencoder(8, hidden=(64,))
    x = (torch.rand(64, 3) @ torch.rand(3, 784) / 3).view(64, 1, 28, 28)  # 3 patterns mixed: learnable
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    before = torch.mean((model(x) - x) ** 2).item()
    for _ in range(50):
        loss = torch.mean((model(x) - x) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.8 * before


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_mlp_autoencoder_rejects_bad_latent_dim(bad):
    with pytest.raises(ValueError, match="latent_dim"):
        MLPAutoencoder(bad)


def test_mlp_autoencoder_rejects_wrong_input_shape():
    model = MLPAutoencoder(4)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 1, 28, 28\)"):
        model(torch.rand(2, 784))
    with pytest.raises(ValueError, match=r"expected codes of shape \(N, 4\)"):
        model.decode(torch.rand(2, 3))


def test_mlp_autoencoder_rejects_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation"):
        MLPAutoencoder(4, activation="swishy")


def test_plot_latent_returns_figure():
    fig = plot_latent(torch.randn(50, 2), torch.randint(0, 10, (50,)), title="t")
    assert isinstance(fig, matplotlib.figure.Figure)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_latent(torch.randn(50, 3))


def test_draw_latent_explorer_returns_figure():
    model = MLPAutoencoder(2, hidden=(16,))
    z = torch.randn(40, 2)
    fig = draw_latent_explorer(model.decode, z, torch.randint(0, 10, (40,)), z1=0.3, z2=-0.2)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) >= 2  # the scatter (with a class legend) and the decoded image
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        draw_latent_explorer(model.decode, torch.randn(40, 3), None, 0.0, 0.0)
