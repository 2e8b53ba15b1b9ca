"""Pure measurements (metrics) against their direct formulas, and the LeNet scorer (quality)."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import profiles
from course_utils.checkpoints import checkpoint_path
from course_utils.data import ImageData
from course_utils.metrics import accuracy, mse, psnr, reconstruct, reconstruction_mse
from course_utils.models import LeNet
from course_utils.quality import trained_lenet


def _pair(seed=0, n=6):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 5, 5, generator=g, dtype=torch.float64)
    x_hat = (x + 0.1 * torch.randn(n, 1, 5, 5, generator=g, dtype=torch.float64)).clamp(0, 1)
    return x_hat, x


def test_mse_is_the_mean_of_squared_differences():
    x_hat, x = _pair()
    a, b = x_hat.numpy().ravel(), x.numpy().ravel()
    expected = sum((p - q) ** 2 for p, q in zip(a, b)) / len(a)
    assert mse(x_hat, x) == pytest.approx(expected, rel=1e-12)
    assert mse(x, x) == 0.0
    with pytest.raises(ValueError, match="shapes differ"):
        mse(x_hat[:2], x)


def test_psnr_is_10_log10_max_squared_over_mse_per_image_then_averaged():
    x_hat, x = _pair(1)
    per_image = [10 * math.log10(1.0 / np.mean((a - b) ** 2)) for a, b in zip(x_hat.numpy(), x.numpy())]
    assert psnr(x_hat, x) == pytest.approx(sum(per_image) / len(per_image), rel=1e-12)
    # with max_value 255 every image gains 20·log10(255) dB
    assert psnr(255 * x_hat, 255 * x, max_value=255.0) == pytest.approx(psnr(x_hat, x), rel=1e-12)
    # halving the error of every pixel gains 20·log10(2) ≈ 6.02 dB
    assert psnr(x + (x_hat - x) / 2, x) == pytest.approx(psnr(x_hat, x) + 20 * math.log10(2), rel=1e-9)
    # a perfect reconstruction is finite (the per-image MSE is floored at 1e-12): 120 dB
    assert psnr(x, x) == pytest.approx(120.0)
    with pytest.raises(ValueError, match="shapes differ"):
        psnr(x_hat, x[:, :, :4])


def test_accuracy_counts_argmax_hits_in_batches_and_eval_mode():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.9))  # dropout would scramble train-mode output
    x, y = torch.randn(25, 4), torch.randint(0, 3, (25,))
    pred = model[0](x).argmax(1)
    hits = sum(int(p == t) for p, t in zip(pred.tolist(), y.tolist()))
    model.train()
    assert accuracy(model, x, y, batch_size=7) == pytest.approx(hits / 25)
    assert accuracy(model, x, pred, batch_size=7) == 1.0


def test_reconstruct_takes_the_first_output_of_a_tuple_model():
    class Pair(nn.Module):
        def forward(self, x):
            return 2 * x, x.sum()

    x = torch.rand(7, 1, 2, 2)
    torch.testing.assert_close(reconstruct(Pair(), x, batch_size=3), 2 * x)
    assert reconstruction_mse(Pair(), x, batch_size=3) == pytest.approx((x**2).mean().item())


def test_trained_lenet_trains_with_the_profiles_budget_then_loads(tmp_path, monkeypatch, capsys):
    """A third profile: the scorer trains profile.epochs_for('lenet') epochs, caches, and loads."""
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    tiny = profiles.Profile(name="tiny", n_train=60, n_test=30, epochs=1, batch_size=20, description="test",
                            budgets={"lenet": 2})
    g = torch.Generator().manual_seed(0)
    x = torch.rand(90, 1, 28, 28, generator=g)
    y = torch.arange(90) % 10
    data = ImageData(x[:60], y[:60], x[60:], y[60:], "random")
    lenet = trained_lenet(data, "cpu", profile=tiny, dataset="random", seed=0)
    out = capsys.readouterr().out
    assert isinstance(lenet, LeNet) and not lenet.training
    assert "Saved lenet_random_tiny" in out and "LeNet test accuracy on random" in out
    assert checkpoint_path("lenet_random_tiny").exists()
    again = trained_lenet(data, "cpu", profile=tiny, dataset="random", seed=0)
    assert "Loaded lenet_random_tiny" in capsys.readouterr().out
    for a, b in zip(lenet.parameters(), again.parameters()):
        assert torch.equal(a, b)


def test_knn_accuracy_matches_a_hand_count():
    from course_utils.metrics import knn_accuracy

    ref = torch.tensor([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
    y_ref = torch.tensor([0, 0, 0, 1, 1, 1])
    query = torch.tensor([[0.05], [5.05], [4.9], [0.3]])
    assert knn_accuracy(ref, y_ref, query, torch.tensor([0, 1, 1, 0]), k=3) == 1.0
    assert knn_accuracy(ref, y_ref, query, torch.tensor([0, 1, 0, 1]), k=3) == 0.5
    with pytest.raises(ValueError, match="k must be"):
        knn_accuracy(ref, y_ref, query, torch.tensor([0, 1, 0, 1]), k=7)
