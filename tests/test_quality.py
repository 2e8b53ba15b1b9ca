"""The LeNet scorer's helpers (quality): seeding leaves the caller's state alone; shares and histograms by hand."""

import torch
from torch import nn

from course_utils import profiles
from course_utils.data import ImageData
from course_utils.quality import class_histogram, confident_share, total_variation, trained_lenet


class Fixed(nn.Module):
    """A 'classifier' whose logits are the first 10 pixels of the image."""

    def forward(self, x):
        return x.flatten(1)[:, :10]


def test_trained_lenet_leaves_the_callers_random_state_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA", str(tmp_path))
    tiny = profiles.Profile(name="tiny", n_train=40, n_test=20, epochs=1, batch_size=20, description="test",
                            budgets={"lenet": 1})
    g = torch.Generator().manual_seed(0)
    x = torch.rand(60, 1, 28, 28, generator=g)
    data = ImageData(x[:40], torch.arange(40) % 10, x[40:], torch.arange(20) % 10, "random")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = trained_lenet(data, "cpu", profile=tiny, dataset="random", seed=0)   # trains
    torch.testing.assert_close(torch.rand(3), expected)
    torch.manual_seed(123)
    b = trained_lenet(data, "cpu", profile=tiny, dataset="random", seed=0)   # loads
    torch.testing.assert_close(torch.rand(3), expected)
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


def test_confident_share_and_class_histogram_by_hand():
    x = torch.zeros(4, 1, 28, 28)
    x.view(4, -1)[0, 3] = 10.0   # class 3, p ≈ 1
    x.view(4, -1)[1, 3] = 10.0   # class 3, p ≈ 1
    x.view(4, -1)[2, 7] = 10.0   # class 7, p ≈ 1
    x.view(4, -1)[3, 1] = 0.5    # class 1, p ≈ 0.15: not confident
    assert confident_share(Fixed(), x) == 0.75
    hist = class_histogram(Fixed(), x)
    expected = torch.zeros(10, dtype=torch.float64)
    expected[3], expected[7], expected[1] = 0.5, 0.25, 0.25
    torch.testing.assert_close(hist, expected)


def test_total_variation():
    p = torch.full((10,), 0.1, dtype=torch.float64)
    q = torch.tensor([0.125] * 8 + [0.0, 0.0], dtype=torch.float64)   # two classes dropped
    assert abs(total_variation(p, q) - 0.2) < 1e-12
    assert total_variation(p, p) == 0.0
