"""course_utils.models.image_to_image (09): shapes, the residual restorer, skips and parameter matching."""

import pytest
import torch
import torch.nn.functional as F

from course_utils.models.image_to_image import Restorer, Segmenter, count_parameters, matched_width
from course_utils.train import train


def test_restorer_shapes_range_and_identity_at_zero_correction():
    model = Restorer(channels=4, extra_inputs=1)
    x, mask = torch.rand(3, 1, 28, 28), torch.zeros(3, 1, 28, 28)
    out = model(x, mask)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    for p in model.net[-1].parameters():
        torch.nn.init.zeros_(p)
    assert torch.allclose(model(x, mask), x)          # zero correction: the input comes back
    with pytest.raises(ValueError):
        model(x)


def test_restorer_learns_on_32_samples():
    torch.manual_seed(0)
    x = torch.rand(32, 1, 16, 16)
    small = F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest")
    model = Restorer(channels=4)
    h = train(model, lambda m, b: (F.mse_loss(m(b[0]), b[1]), {}), (small, x), epochs=10, lr=3e-3, batch_size=32,
              progress=False)
    assert h.train[-1]["loss"] < h.train[0]["loss"]


@pytest.mark.parametrize("design", [dict(), dict(skips=True), dict(unpool=True), dict(unpool=True, skips=True)])
def test_segmenter_output_shape(design):
    model = Segmenter(11, channels=(2, 4, 4, 8), **design).eval()
    assert model(torch.rand(2, 1, 32, 32)).shape == (2, 11, 32, 32)


def test_segmenter_rejects_bad_sizes():
    with pytest.raises(ValueError):
        Segmenter(3)(torch.rand(1, 1, 30, 30))
    with pytest.raises(ValueError):
        Segmenter(3, channels=(4, 8))


def test_skips_reach_the_output_at_full_resolution():
    # With skips, a one-pixel change reaches the output through the full-resolution path; the gradient
    # of one output pixel with respect to the input is then largest near that pixel.
    torch.manual_seed(0)
    model = Segmenter(3, channels=(4, 4, 4, 4), skips=True).eval()
    x = torch.rand(1, 1, 32, 32, requires_grad=True)
    model(x)[0, 1, 10, 10].backward()
    g = x.grad[0, 0].abs()
    assert g[10, 10] > 0 and g.max() == g[8:13, 8:13].max()


def test_matched_width_gives_a_close_parameter_count():
    target = count_parameters(Segmenter(11, skips=True))
    channels = matched_width(target, 11)
    n = count_parameters(Segmenter(11, channels))
    assert abs(n - target) / target < 0.05


def test_matched_width_agrees_with_an_exhaustive_search():
    for target, kwargs in [(count_parameters(Segmenter(11, skips=True)), {}), (50_000, {}), (80_000, {"unpool": True})]:
        best = min(range(50, 301), key=lambda step: (abs(count_parameters(Segmenter(
            11, tuple(max(1, round(step / 100 * b)) for b in (8, 16, 32, 64)), **kwargs)) - target), step))
        assert matched_width(target, 11, **kwargs) == tuple(max(1, round(best / 100 * b)) for b in (8, 16, 32, 64))
