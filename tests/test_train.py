import pytest
import torch
from torch import nn

from course_utils.device import set_seed
from course_utils.losses import reconstruction_loss
from course_utils.models import MLPAutoencoder
from course_utils.train import History, adam, evaluate, train


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


def test_the_default_adam_is_fused_on_cpu_and_steps_like_plain_adam():
    torch.manual_seed(0)
    fused_model, plain_model = nn.Linear(6, 3), nn.Linear(6, 3)
    plain_model.load_state_dict(fused_model.state_dict())
    start = fused_model.weight.detach().clone()
    fused, plain = adam(fused_model.parameters(), lr=1e-2), torch.optim.Adam(plain_model.parameters(), lr=1e-2)
    assert fused.defaults["fused"] is True and not plain.defaults["fused"]
    x = torch.randn(32, 6)
    for _ in range(20):
        for model, optimizer in ((fused_model, fused), (plain_model, plain)):
            optimizer.zero_grad()
            model(x).pow(2).mean().backward()
            optimizer.step()
    for a, b in zip(fused_model.parameters(), plain_model.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert (fused_model.weight - start).abs().max() > 1e-2  # 20 steps of 1e-2 moved it


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


def _two_runs(**schedule):
    """Train the same seeded linear model with a schedule; return (model, optimizer lrs seen per epoch)."""
    set_seed(0)
    model = nn.Linear(4, 4)
    seen = []

    def loss_fn(model, x):
        seen.append(optimizer.param_groups[0]["lr"])
        return ((model(x) - x) ** 2).mean(), {}

    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(1))
    train(model, loss_fn, x, epochs=5, batch_size=8, optimizer=optimizer, progress=False, **schedule)
    return model, seen


def test_lr_drop_at_equals_two_calls_at_lr_and_lr_over_10():
    model, seen = _two_runs(lr_drop_at=3)
    assert seen == [1e-2] * 3 + [1e-3] * 2
    set_seed(0)
    reference = nn.Linear(4, 4)
    optimizer = torch.optim.Adam(reference.parameters(), lr=1e-2)
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(1))
    loss_fn = lambda m, x: (((m(x) - x) ** 2).mean(), {})
    train(reference, loss_fn, x, epochs=3, batch_size=8, optimizer=optimizer, progress=False)
    optimizer.param_groups[0]["lr"] = 1e-2 / 10
    train(reference, loss_fn, x, epochs=2, batch_size=8, optimizer=optimizer, progress=False)
    for a, b in zip(model.parameters(), reference.parameters()):
        assert torch.equal(a, b)  # bit for bit: the schedule is the same arithmetic


def test_scheduler_is_stepped_once_per_epoch():
    set_seed(0)
    model = nn.Linear(4, 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
    train(model, lambda m, x: ((m(x) ** 2).mean(), {}), torch.randn(6, 4), epochs=5, batch_size=3,
          optimizer=optimizer, scheduler=scheduler, progress=False)
    assert scheduler.last_epoch == 5
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5 * 0.1**2)


def test_optimizer_needs_no_lr_and_a_conflicting_lr_is_an_error():
    model = nn.Linear(2, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    loss_fn = lambda m, x: ((m(x) ** 2).mean(), {})
    train(model, loss_fn, torch.randn(4, 2), epochs=1, batch_size=2, optimizer=optimizer, progress=False)
    with pytest.raises(ValueError, match="differs from the optimizer's lr"):
        train(model, loss_fn, torch.randn(4, 2), epochs=1, lr=1e-3, batch_size=2, optimizer=optimizer,
              progress=False)
    with pytest.raises(ValueError, match="lr must be positive"):
        train(model, loss_fn, torch.randn(4, 2), epochs=1, batch_size=2, progress=False)
    for bad in (0, 3, True):
        with pytest.raises(ValueError, match="lr_drop_at"):
            train(model, loss_fn, torch.randn(4, 2), epochs=3, lr=1e-3, batch_size=2, lr_drop_at=bad,
                  progress=False)


def test_nan_message_reports_the_optimizers_real_lr():
    model = nn.Linear(3, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.25)
    calls = []

    def nan_in_second_epoch(model, x):  # 2 batches per epoch; the lr drops after epoch 1
        calls.append(1)
        loss = (model(x) ** 2).mean()
        return (loss * float("nan") if len(calls) > 2 else loss), {}

    with pytest.raises(FloatingPointError, match=r"in epoch 2; try a smaller lr \(now 0\.025\)"):
        train(model, nan_in_second_epoch, torch.randn(10, 3), epochs=3, batch_size=5, optimizer=optimizer,
              lr_drop_at=1, progress=False)


def test_evaluate_batches_in_eval_mode_without_gradients():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(5, 5), nn.Dropout(0.5))  # dropout would differ in train mode
    model.train()
    x = torch.randn(23, 5)
    sizes = []

    def fn(m, xb):
        sizes.append(len(xb))
        assert not torch.is_grad_enabled() and not m.training
        return m(xb)

    out = evaluate(model, x, fn, batch_size=10)
    assert sizes == [10, 10, 3]
    torch.testing.assert_close(out, model[0](x).detach())
    assert not out.requires_grad
    torch.testing.assert_close(evaluate(model, x, batch_size=7), out)  # default fn: model(xb)
    pair = evaluate(model, x, lambda m, xb: (m(xb), xb.sum(1)), batch_size=10)
    torch.testing.assert_close(pair[1], x.sum(1))
    scalars = evaluate(model, x, lambda m, xb: xb.sum(), batch_size=10)  # 0-dim: one per batch
    assert scalars.shape == (3,)
    torch.testing.assert_close(scalars.sum(), x.sum())
    with pytest.raises(ValueError, match="empty"):
        evaluate(model, x[:0])


def test_a_script_gets_the_text_progress_bar(monkeypatch, capsys):
    """Outside a notebook (a script, python -m, pytest) train() draws tqdm's text bar on stderr."""
    monkeypatch.setenv("COURSE_PROGRESS", "1")
    set_seed(0)
    history = train(MLPAutoencoder(2, hidden=(8,)), reconstruction_loss, torch.rand(8, 1, 28, 28), epochs=2,
                    lr=1e-3, batch_size=4, desc="script bar")
    assert len(history.train) == 2
    assert "script bar" in capsys.readouterr().err


def _val_loss(model, x_val):
    return evaluate(model, x_val, lambda m, xb: reconstruction_loss(m, xb)[0] * len(xb)).sum().item() / len(x_val)


@pytest.mark.parametrize("maximize", [False, True])
def test_keep_best_ends_with_the_weights_of_the_lowest_validation_loss(maximize):
    # Gradient ascent (maximize=True) makes every epoch worse, so the best epoch is the first: the
    # model must end with epoch 1's weights, not the last ones. Descent: the best is the argmin.
    set_seed(0)
    x, x_val = torch.rand(64, 1, 28, 28), torch.rand(32, 1, 28, 28)
    model = MLPAutoencoder(4, hidden=(16,))
    opt = torch.optim.SGD(model.parameters(), lr=0.5, maximize=maximize)
    history = train(model, reconstruction_loss, x, x_val=x_val, epochs=6, optimizer=opt, batch_size=16,
                    progress=False, keep_best=True)
    val = history.series("loss", "val")
    assert history.best_epoch == val.index(min(val)) + 1
    if maximize:
        assert history.best_epoch == 1 and val[-1] > val[0]
    assert _val_loss(model, x_val) == pytest.approx(min(val), rel=1e-5)
    assert not model.training


def test_keep_best_needs_validation_data():
    with pytest.raises(ValueError, match="pass x_val"):
        train(MLPAutoencoder(4, hidden=(16,)), reconstruction_loss, torch.rand(8, 1, 28, 28), epochs=2, lr=1e-3,
              batch_size=4, progress=False, keep_best=True)
