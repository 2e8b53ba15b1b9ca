import pytest
import torch
from torch import nn

from course_utils.device import set_seed
from course_utils.losses import reconstruction_loss
from course_utils.models import MLPAutoencoder
from course_utils.train import History, train


def test_loss_drops_on_64_samples(tmp_path):
    from course_utils.data import load_mnist

    x = load_mnist(64, 10, root=tmp_path, offline=True, verbose=False).x_train
    set_seed(0)
    model = MLPAutoencoder(8, hidden=(64,))
    history = train(model, reconstruction_loss, x, epochs=30, lr=3e-3, batch_size=16, x_val=x[:16],
                    progress=False)
    assert isinstance(history, History)
    losses = history.series("loss")
    assert len(losses) == 30 and len(history.val) == 30
    assert losses[-1] < 0.5 * losses[0]
    assert history.series("mse") == losses  # parts are kept per epoch too
    assert not model.training  # left in eval mode


def test_training_is_reproducible_with_a_seed():
    def run():
        set_seed(1)
        model = MLPAutoencoder(4, hidden=(16,))
        return train(model, reconstruction_loss, torch.rand(40, 1, 28, 28), epochs=3, lr=1e-3,
                     batch_size=8, progress=False).series()

    assert run() == run()


def test_tuples_reach_the_loss_function():
    set_seed(0)
    x, y = torch.randn(100, 5), torch.randint(0, 3, (100,))
    model = nn.Linear(5, 3)

    def ce(model, batch):
        xb, yb = batch
        loss = nn.functional.cross_entropy(model(xb), yb)
        return loss, {}

    h = train(model, ce, (x, y), epochs=20, lr=1e-2, batch_size=25, progress=False)
    assert h.series()[-1] < h.series()[0]


@pytest.mark.parametrize("x, message", [
    (torch.rand(8, 28, 28), r"images must be \(N, C, H, W\).*unsqueeze\(1\)"),
    (torch.rand(8, 1, 28, 28) * 255, r"expected \[0, 1\] \(divide uint8 pixels by 255\)"),
    (torch.zeros(8, 1, 28, 28, dtype=torch.uint8), "floating-point tensor"),
    (torch.empty(0, 1, 28, 28), "empty"),
])
def test_bad_images_are_explained(x, message):
    with pytest.raises((ValueError, TypeError), match=message):
        train(MLPAutoencoder(2), reconstruction_loss, x, epochs=1, lr=1e-3, batch_size=4, progress=False)


def test_bad_settings_are_explained():
    x = torch.rand(8, 1, 28, 28)
    for kwargs, message in [({"epochs": 0}, "epochs must be a positive int"),
                            ({"batch_size": 0}, "batch_size must be a positive int"),
                            ({"lr": -1.0}, "lr must be positive")]:
        args = {"epochs": 1, "lr": 1e-3, "batch_size": 4, **kwargs}
        with pytest.raises(ValueError, match=message):
            train(MLPAutoencoder(2), reconstruction_loss, x, progress=False, **args)
    with pytest.raises(ValueError, match="x_val samples have shape"):
        train(MLPAutoencoder(2), reconstruction_loss, x, x_val=torch.rand(4, 1, 14, 14), epochs=1, lr=1e-3,
              batch_size=4, progress=False)


def test_diverging_loss_stops_with_advice():
    model = nn.Linear(3, 3)

    def exploding(model, x):
        return (model(x) * float("inf")).sum(), {}

    with pytest.raises(FloatingPointError, match="smaller lr"):
        train(model, exploding, torch.randn(10, 3), epochs=2, lr=1e-3, batch_size=5, progress=False)
