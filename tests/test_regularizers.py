"""05_regularized_autoencoders: corruptions, sparsity and contraction penalties against references."""

import pytest
import torch
import torch.nn.functional as F
from torch.autograd.functional import jacobian
from torch.distributions import Bernoulli, kl_divergence

from course_utils.losses import (
    contractive_objective,
    contractive_penalty,
    denoising_objective,
    gaussian_noise,
    kl_sparse_objective,
    kl_sparsity,
    l1_objective,
    l1_sparsity,
    masking_noise,
    salt_and_pepper,
)
from course_utils.metrics import jacobian_frobenius
from course_utils.models import MLPAutoencoder


def _exact_sq_frobenius(f, x):
    """Mean over samples of ‖J‖²_F with the full per-sample Jacobian from torch.autograd.functional."""
    return torch.stack([jacobian(f, xi).pow(2).sum() for xi in x]).mean()


# --- KL sparsity ---

def test_kl_sparsity_matches_formula_and_distributions():
    g = torch.Generator().manual_seed(0)
    rho_hat = torch.rand(50, generator=g, dtype=torch.float64) * 0.98 + 0.01
    rho = 0.05
    direct = sum(rho * torch.log(rho / r) + (1 - rho) * torch.log((1 - rho) / (1 - r)) for r in rho_hat)
    reference = kl_divergence(Bernoulli(probs=torch.full_like(rho_hat, rho)), Bernoulli(probs=rho_hat)).sum()
    got = kl_sparsity(rho, rho_hat)
    torch.testing.assert_close(got, direct)
    torch.testing.assert_close(got, reference)


def test_kl_sparsity_zero_at_target_positive_elsewhere():
    rho = 0.1
    assert kl_sparsity(rho, torch.full((20,), rho, dtype=torch.float64)).abs().item() < 1e-12
    for other in (0.01, 0.09, 0.11, 0.5, 0.99):
        assert kl_sparsity(rho, torch.full((20,), other)).item() > 0


def test_kl_sparsity_clamps_extremes():
    value = kl_sparsity(0.05, torch.tensor([0.0, 1.0, 0.5]))
    assert torch.isfinite(value)


@pytest.mark.parametrize("rho", [0.0, 1.0, -0.1, 1.5])
def test_kl_sparsity_rejects_rho_outside_open_interval(rho):
    with pytest.raises(ValueError, match="between 0 and 1"):
        kl_sparsity(rho, torch.full((3,), 0.5))
    with pytest.raises(ValueError, match="between 0 and 1"):
        kl_sparse_objective(rho, 1.0)


# --- L1 ---

def test_l1_sparsity_is_batch_mean_of_sum_abs():
    z = torch.tensor([[1.0, -2.0, 0.0], [0.5, 0.5, -1.0]])
    assert l1_sparsity(z).item() == pytest.approx((3.0 + 2.0) / 2)
    with pytest.raises(ValueError, match=r"\(N, m\)"):
        l1_sparsity(torch.ones(3))


# --- contractive penalty ---

@pytest.mark.parametrize("n_in,m,batch", [(5, 3, 1), (7, 4, 6), (20, 11, 9)])
def test_contractive_closed_form_matches_autograd(n_in, m, batch):
    g = torch.Generator().manual_seed(n_in * 100 + m)
    layer = torch.nn.Linear(n_in, m).double()
    with torch.no_grad():
        layer.weight.copy_(torch.randn(m, n_in, generator=g, dtype=torch.float64))
        layer.bias.copy_(torch.randn(m, generator=g, dtype=torch.float64))
    x = torch.randn(batch, n_in, generator=g, dtype=torch.float64)
    f = lambda v: torch.sigmoid(layer(v))
    h = f(x)
    closed = contractive_penalty(h, layer.weight)
    reference = _exact_sq_frobenius(f, x)
    assert abs(closed.item() - reference.item()) < 1e-5
    assert abs(jacobian_frobenius(lambda v: torch.sigmoid(layer(v)), x).item() - reference.item()) < 1e-5


def test_jacobian_frobenius_on_deep_encoder_matches_autograd():
    torch.manual_seed(1)
    model = MLPAutoencoder(4, hidden=(16,), input_shape=(1, 3, 3), activation="tanh").double()
    x = torch.rand(5, 1, 3, 3, dtype=torch.float64)
    reference = _exact_sq_frobenius(lambda v: model.encode(v.unsqueeze(0))[0], x)
    assert abs(jacobian_frobenius(model.encode, x).item() - reference.item()) < 1e-8


def test_contractive_penalty_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(m, n\)"):
        contractive_penalty(torch.rand(4, 3), torch.rand(5, 10))
    with pytest.raises(ValueError, match=r"\(N, m\)"):
        contractive_penalty(torch.rand(3), torch.rand(3, 10))


def test_contractive_objective_closed_form_equals_exact_and_needs_sigmoid_layer():
    torch.manual_seed(0)
    model = MLPAutoencoder(6, hidden=(), input_shape=(1, 4, 4), code_activation="sigmoid").double()
    x = torch.rand(8, 1, 4, 4, dtype=torch.float64)
    loss_c, parts_c = contractive_objective(0.5)(model, x)
    loss_e, parts_e = contractive_objective(0.5, exact=True)(model, x)
    torch.testing.assert_close(loss_c, loss_e)
    loss_e.backward()  # the exact penalty is differentiable
    assert model.encoder[0].weight.grad is not None
    with pytest.raises(ValueError, match="one-layer sigmoid encoder"):
        contractive_objective(0.5)(MLPAutoencoder(6, hidden=(8,), input_shape=(1, 4, 4)), x.float())


def test_objectives_report_reconstruction_and_penalty():
    torch.manual_seed(0)
    model = MLPAutoencoder(5, hidden=(), input_shape=(1, 4, 4), code_activation="sigmoid")
    x = torch.rand(10, 1, 4, 4)
    with torch.no_grad():
        z = model.encode(x)
        mse = F.mse_loss(model(x), x)
    weight = model.encoder[0].weight.detach()
    # each objective is MSE + weight × its penalty, both computed here from their definitions
    for loss_fn, key, coefficient, penalty in [
            (l1_objective(0.1), "l1", 0.1, z.abs().sum(1).mean()),
            (kl_sparse_objective(0.05, 2.0), "kl_sparsity", 2.0, kl_sparsity(0.05, z.mean(0))),
            (contractive_objective(0.3), "jacobian", 0.3, jacobian_frobenius(model.encode, x))]:
        loss, parts = loss_fn(model, x)
        assert set(parts) == {"mse", key}
        torch.testing.assert_close(parts["mse"], mse)
        torch.testing.assert_close(parts[key], penalty)
        assert penalty.item() > 0
        torch.testing.assert_close(loss, mse + coefficient * penalty)
    torch.testing.assert_close(contractive_penalty(z, weight), jacobian_frobenius(model.encode, x))
    loss, parts = denoising_objective(lambda v: masking_noise(v, 0.5))(model, x)
    assert set(parts) == {"mse"} and loss.requires_grad


# --- corruption processes ---

def test_gaussian_noise_statistics_and_input_unchanged():
    x = torch.full((200_000,), 0.5)
    before = x.clone()
    x_tilde = gaussian_noise(x, 0.1, clip=False, generator=torch.Generator().manual_seed(0))
    noise = x_tilde - x
    assert torch.equal(x, before)
    assert abs(noise.mean().item()) < 1e-3
    assert abs(noise.var().item() - 0.01) < 3e-4
    clipped = gaussian_noise(x, 2.0, generator=torch.Generator().manual_seed(0))
    assert clipped.min().item() >= 0 and clipped.max().item() <= 1
    assert torch.equal(gaussian_noise(x, 0.0), x)


def test_masking_and_salt_and_pepper_fractions_and_input_unchanged():
    x = torch.full((200_000,), 0.5)
    before = x.clone()
    masked = masking_noise(x, 0.3, generator=torch.Generator().manual_seed(0))
    assert abs((masked == 0).float().mean().item() - 0.3) < 0.005
    assert torch.equal(masked[masked != 0], x[masked != 0])
    sp = salt_and_pepper(x, 0.2, generator=torch.Generator().manual_seed(0))
    changed = sp != 0.5
    assert abs(changed.float().mean().item() - 0.2) < 0.005
    assert abs((sp[changed] == 1).float().mean().item() - 0.5) < 0.02
    assert torch.equal(x, before)
    assert torch.equal(masking_noise(x, 0.0), x) and (masking_noise(x, 1.0) == 0).all()


def test_corruptions_are_reproducible_with_a_generator():
    x = torch.rand(100)
    for corrupt in (lambda g: gaussian_noise(x, 0.3, generator=g), lambda g: masking_noise(x, 0.5, generator=g),
                    lambda g: salt_and_pepper(x, 0.5, generator=g)):
        a = corrupt(torch.Generator().manual_seed(3))
        b = corrupt(torch.Generator().manual_seed(3))
        assert torch.equal(a, b)


@pytest.mark.parametrize("bad", [-0.1, 1.1])
def test_corruptions_reject_bad_levels(bad):
    x = torch.rand(10)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        masking_noise(x, bad)
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        salt_and_pepper(x, bad)
    with pytest.raises(ValueError, match="non-negative"):
        gaussian_noise(x, -0.5)


def test_jacobian_probe_norm_matches_full_jacobian():
    from course_utils.metrics import jacobian_probe_norm

    torch.manual_seed(0)
    model = MLPAutoencoder(12, hidden=(), input_shape=(6,), code_activation="sigmoid").double()
    x = torch.rand(5, 6, dtype=torch.float64)
    eye = torch.eye(6, dtype=torch.float64)
    # the 6 coordinate directions span the input: mean over them times 6 is ‖J‖²_F
    got = jacobian_probe_norm(model, x, eye) * 6
    torch.testing.assert_close(got, _exact_sq_frobenius(lambda t: model(t[None])[0], x))
    v = torch.tensor([[1.0, 2, 0, 0, 0, 0]], dtype=torch.float64)
    expected = torch.stack([(jacobian(lambda t: model.encode(t[None])[0], xi) @ (v[0] / v[0].norm())).pow(2).sum() for xi in x]).mean()
    torch.testing.assert_close(jacobian_probe_norm(model.encode, x, v), expected)


def test_relative_contraction_is_scale_invariant():
    from course_utils.metrics import relative_contraction

    torch.manual_seed(0)
    x = torch.rand(50, 6, dtype=torch.float64)
    lin = torch.nn.Linear(6, 4).double()
    for scale in (1.0, 0.1, 30.0):
        f = lambda t, s=scale: s * lin(t)
        j = _exact_sq_frobenius(f, x).item()
        value = relative_contraction(j, f(x).detach())
        if scale == 1.0:
            first = value
        assert value == pytest.approx(first, rel=1e-9)
