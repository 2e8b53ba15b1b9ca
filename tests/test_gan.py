"""GAN pieces of 07_gan_contrast against trusted references (PyTorch's BCE, autograd)."""

import pytest
import torch
import torch.nn.functional as F

from course_utils.losses import discriminator_loss, generator_loss_non_saturating, generator_loss_saturating
from course_utils.models import Discriminator, Generator


@pytest.mark.parametrize("latent_dim", [1, 16, 64])
def test_generator_shapes_and_range(latent_dim):
    torch.manual_seed(0)
    generator = Generator(latent_dim=latent_dim).eval()
    x = generator(torch.randn(5, latent_dim) * 3)
    assert x.shape == (5, 1, 28, 28)
    assert generator.latent_dim == latent_dim
    assert 0 <= x.min() and x.max() <= 1


def test_generator_learns_to_fool_a_fixed_discriminator():
    """A few Adam steps on the non-saturating loss: G's loss falls and D's accuracy on its fakes drops."""
    torch.manual_seed(0)
    generator, discriminator = Generator(latent_dim=8, channels=(16, 8, 4)), Discriminator(channels=(8, 16))
    x_real = torch.rand(64, 1, 28, 28) ** 4  # dark images, unlike the grey initial fakes
    z = torch.randn(64, 8)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    for _ in range(20):  # first a discriminator that tells the two apart
        loss, _ = discriminator_loss(discriminator(x_real), discriminator(generator(z).detach()))
        opt_d.zero_grad()
        loss.backward()
        opt_d.step()
    discriminator.requires_grad_(False)
    frozen = [p.clone() for p in discriminator.parameters()]

    def fakes_caught():  # share of fakes the discriminator calls fake (logit < 0)
        with torch.no_grad():
            return (discriminator(generator(z)) < 0).float().mean().item()

    caught_before = fakes_caught()
    opt_g = torch.optim.Adam(generator.parameters(), lr=2e-3, betas=(0.5, 0.999))
    losses = []
    for _ in range(20):
        loss = generator_loss_non_saturating(discriminator(generator(z)))
        opt_g.zero_grad()
        loss.backward()
        opt_g.step()
        losses.append(loss.item())
    assert caught_before > 0.9
    assert losses[-1] < 0.5 * losses[0]
    assert fakes_caught() < 0.5 * caught_before
    assert all(torch.equal(a, b) for a, b in zip(frozen, discriminator.parameters()))  # D stayed fixed


def test_generator_runs_in_train_mode_and_rejects_bad_noise():
    generator = Generator(latent_dim=8, channels=(16, 8, 4))
    assert generator(torch.randn(2, 8)).shape == (2, 1, 28, 28)  # train mode (batch norm) works
    with pytest.raises(ValueError, match=r"shape \(N, 8\)"):
        generator(torch.randn(2, 9))
    with pytest.raises(ValueError, match=r"shape \(N, 8\)"):
        generator(torch.randn(8))
    with pytest.raises(ValueError, match="latent_dim"):
        Generator(latent_dim=0)
    with pytest.raises(ValueError, match="three widths"):
        Generator(latent_dim=8, channels=(16, 8))


def test_discriminator_returns_one_logit_per_image():
    torch.manual_seed(0)
    discriminator = Discriminator()
    logits = discriminator(torch.rand(7, 1, 28, 28))
    assert logits.shape == (7,)
    assert torch.isfinite(logits).all()
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        discriminator(torch.rand(7, 28, 28))


def test_models_are_small():
    n_g = sum(p.numel() for p in Generator(latent_dim=32).parameters())
    n_d = sum(p.numel() for p in Discriminator().parameters())
    assert n_g < 500_000 and n_d < 100_000


def test_discriminator_loss_matches_bce_on_probabilities():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(32, generator=g, dtype=torch.float64) * 3
    fake = torch.randn(32, generator=g, dtype=torch.float64) * 3
    loss, parts = discriminator_loss(real, fake)
    bce = torch.nn.BCELoss()
    expected = bce(torch.sigmoid(real), torch.ones_like(real)) + bce(torch.sigmoid(fake), torch.zeros_like(fake))
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(parts["d_real"] + parts["d_fake"], loss)
    with pytest.raises(TypeError, match="logits"):
        discriminator_loss(real, torch.zeros(32, dtype=torch.long))


def test_generator_losses_match_their_definitions():
    logits = torch.linspace(-8, 8, 33, dtype=torch.float64)
    p = torch.sigmoid(logits)
    torch.testing.assert_close(generator_loss_saturating(logits), torch.log(1 - p).mean())
    torch.testing.assert_close(generator_loss_non_saturating(logits), -torch.log(p).mean())


def test_generator_loss_gradients_against_autograd():
    """d/dl of the saturating loss is −σ(l)/N; of the non-saturating loss (σ(l) − 1)/N."""
    logits = torch.linspace(-12, 12, 25, dtype=torch.float64, requires_grad=True)
    n, p = len(logits), torch.sigmoid(logits.detach())
    (grad_sat,) = torch.autograd.grad(generator_loss_saturating(logits), logits)
    (grad_ns,) = torch.autograd.grad(generator_loss_non_saturating(logits), logits)
    torch.testing.assert_close(grad_sat, -p / n)
    torch.testing.assert_close(grad_ns, (p - 1) / n)
    # both push every fake's logit up (towards "real"): minimising either helps the generator
    assert (grad_sat < 0).all() and (grad_ns < 0).all()


def test_rejected_fakes_saturating_gradient_vanishes_non_saturating_does_not():
    """A fixed discriminator that confidently rejects the fakes (logits ≈ −10)."""
    torch.manual_seed(0)
    generator, discriminator = Generator(latent_dim=16), Discriminator()
    with torch.no_grad():
        discriminator.net[-1].bias.fill_(-10.0)
    z = torch.randn(64, 16)
    logits = discriminator(generator(z))
    assert (torch.sigmoid(logits) < 1e-3).all()

    def generator_grad_norm(loss_fn):
        generator.zero_grad()
        loss_fn(discriminator(generator(z))).backward()
        return torch.sqrt(sum((p.grad**2).sum() for p in generator.parameters())).item()

    sat, ns = generator_grad_norm(generator_loss_saturating), generator_grad_norm(generator_loss_non_saturating)
    assert ns > 1e3 * sat > 0
    # the gradients w.r.t. the logits differ by the factor σ(l) / (1 − σ(l)) = exp(l), per fake
    leaf = logits.detach().requires_grad_()
    (g_sat,) = torch.autograd.grad(generator_loss_saturating(leaf), leaf)
    (g_ns,) = torch.autograd.grad(generator_loss_non_saturating(leaf), leaf)
    torch.testing.assert_close(g_sat / g_ns, leaf.detach().exp())


def test_one_discriminator_step_lowers_its_loss():
    torch.manual_seed(0)
    generator, discriminator = Generator(latent_dim=8, channels=(16, 8, 4)), Discriminator(channels=(8, 16))
    x_real = torch.rand(32, 1, 28, 28) ** 4  # dark images, unlike the grey initial fakes
    x_fake = generator(torch.randn(32, 8)).detach()
    optimizer = torch.optim.Adam(discriminator.parameters(), lr=1e-3)
    before = discriminator_loss(discriminator(x_real), discriminator(x_fake))[0]
    for _ in range(5):
        loss, _ = discriminator_loss(discriminator(x_real), discriminator(x_fake))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    after = discriminator_loss(discriminator(x_real), discriminator(x_fake))[0]
    assert after < before
    assert before.item() == pytest.approx(2 * F.softplus(torch.tensor(0.0)).item(), abs=0.05)  # ≈ 2 log 2 at init


def test_generator_checkpoint_round_trip(tmp_path):
    """Batch norm keeps a 0-dim counter (num_batches_tracked): the checksum must handle it."""
    from course_utils.checkpoints import load_checkpoint, save_checkpoint

    torch.manual_seed(0)
    generator = Generator(latent_dim=4, channels=(8, 4, 4))
    generator(torch.randn(3, 4))  # update the running statistics
    path = save_checkpoint(generator.eval(), tmp_path / "g.pt", profile="quick")
    restored = Generator(latent_dim=4, channels=(8, 4, 4)).eval()
    assert load_checkpoint(restored, path) == {"profile": "quick"}
    z = torch.randn(2, 4)
    torch.testing.assert_close(restored(z), generator(z))


def test_gan_checkpoint_restores_both_networks_and_the_record(tmp_path):
    """07's GANCheckpoint: one file holds G, D, the per-step log and the snapshots."""
    from course_utils.checkpoints import load_checkpoint, save_checkpoint
    from course_utils.models.gan import GANCheckpoint

    def fresh():
        return GANCheckpoint(Generator(latent_dim=4, channels=(8, 4, 4)), Discriminator(channels=(4, 8)),
                             steps=6, snapshots=(2, 3))

    torch.manual_seed(0)
    gan = fresh()
    assert gan.log.shape == (6, 4) and gan.snapshots.shape == (2, 3, 1, 28, 28)
    gan.generator(torch.randn(3, 4))  # update the running statistics
    gan.log.uniform_()
    gan.snapshots.uniform_()
    path = save_checkpoint(gan.eval(), tmp_path / "gan.pt")
    restored = fresh().eval()
    load_checkpoint(restored, path)
    torch.testing.assert_close(restored.log, gan.log)
    torch.testing.assert_close(restored.snapshots, gan.snapshots)
    z = torch.randn(2, 4)
    torch.testing.assert_close(restored.discriminator(restored.generator(z)), gan.discriminator(gan.generator(z)))
