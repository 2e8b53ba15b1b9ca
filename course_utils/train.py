"""One short training loop for every autoencoder in the course (first used in 02_fc_autoencoder).

The model and the objective stay in the notebook: ``loss_fn(model, batch) -> (loss, parts)`` where
``parts`` is a dict of scalar tensors worth watching (e.g. reconstruction and KL). The loop is
Adam, mini-batches sliced on the device, a tqdm bar, and per-epoch means kept in a ``History``;
``evaluate`` is its counterpart for measuring: a model over data in batches, eval mode, no gradients.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field

import torch

from .batching import batches, evaluate  # noqa: F401  (evaluate moved; notebooks import it from here)


@dataclass
class History:
    """Per-epoch means of the loss and its parts, for training and (if given) validation data."""

    train: list[dict] = field(default_factory=list)
    val: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    best_epoch: int | None = None  # with ``keep_best``: the epoch (from 1) whose weights the model holds

    def series(self, key: str = "loss", split: str = "train") -> list[float]:
        rows = self.train if split == "train" else self.val
        return [row[key] for row in rows]

    @property
    def final(self) -> dict:
        """The last epoch's numbers: validation if there are any, else training."""
        return (self.val or self.train)[-1]


def _check_inputs(x, name):
    first = x[0] if isinstance(x, tuple | list) else x
    if not isinstance(first, torch.Tensor) or not first.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor (or a tuple whose first item is one)")
    if len(first) == 0:
        raise ValueError(f"{name} is empty")
    if first.ndim == 3:
        raise ValueError(f"{name} has shape {tuple(first.shape)}: images must be (N, C, H, W), "
                         f"e.g. (N, 1, 28, 28); add the channel axis with x.unsqueeze(1)")
    if first.ndim == 4:
        lo, hi = first.min().item(), first.max().item()
        if lo < 0 or hi > 1:
            raise ValueError(f"{name} holds images with values in [{lo:.3g}, {hi:.3g}]; expected [0, 1] "
                             f"(divide uint8 pixels by 255)")
    if not torch.isfinite(first).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return first


def _run_epoch(model, loss_fn, x, batch_size, optimizer=None, generator=None):
    """Mean loss and parts over one pass; the sums stay on the device until the end (one sync)."""
    sums: dict[str, torch.Tensor] = {}
    count = 0
    for batch in batches(x, batch_size, shuffle=optimizer is not None, generator=generator):
        n = len(batch[0] if isinstance(batch, tuple) else batch)
        loss, parts = loss_fn(model, batch)
        if optimizer is not None:
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        for key, value in {"loss": loss, **parts}.items():
            value = value.detach() * n
            sums[key] = sums[key] + value if key in sums else value
        count += n
    return {key: (value / count).item() for key, value in sums.items()}


def _check_schedule(lr, optimizer, epochs, lr_drop_at, scheduler):
    if optimizer is None:
        if scheduler is not None:
            raise ValueError("a scheduler needs the optimizer it schedules: pass optimizer= as well")
        if lr is None or not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r} (or pass an optimizer)")
    elif lr is not None and any(group["lr"] != lr for group in optimizer.param_groups):
        raise ValueError(f"lr={lr!r} differs from the optimizer's lr ({_lrs(optimizer)}): give one of them")
    if lr_drop_at is not None:
        if isinstance(lr_drop_at, bool) or not isinstance(lr_drop_at, int) or not 0 < lr_drop_at < epochs:
            raise ValueError(f"lr_drop_at must be an epoch count between 1 and epochs - 1 = {epochs - 1}, "
                             f"got {lr_drop_at!r}")
        if scheduler is not None:
            raise ValueError("give lr_drop_at or a scheduler, not both")


def _lrs(optimizer) -> str:
    return ", ".join(sorted({f"{group['lr']:g}" for group in optimizer.param_groups}))


def adam(params, **kwargs) -> torch.optim.Adam:
    """``torch.optim.Adam(params, **kwargs)``, fused (one kernel for every parameter, the same update) where
    PyTorch has the fused kernel: on CPU and CUDA. Small course models spend much of a step in the optimizer."""
    params = list(params)
    fused = bool(params) and all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params)
    return torch.optim.Adam(params, fused=fused or None, **kwargs)


def train(model: torch.nn.Module, loss_fn, x_train, *, epochs: int, batch_size: int, lr: float | None = None,
          x_val=None, progress: bool = True, optimizer: torch.optim.Optimizer | None = None,
          generator: torch.Generator | None = None, desc: str | None = None, lr_drop_at: int | None = None,
          scheduler=None, keep_best: bool = False) -> History:
    """Train ``model`` on ``x_train`` with Adam(lr) (or ``optimizer``) and return the ``History``.

    ``x_train`` (and ``x_val``) is a tensor on the model's device, or a tuple of tensors such as
    ``(x, y)``; each batch is passed to ``loss_fn`` in the same form. Give ``lr`` or an ``optimizer``
    (then ``lr`` may be left out). Schedules: ``lr_drop_at=k`` divides every learning rate by 10 after
    ``k`` epochs ("train, then a tenth of the learning rate"); or ``scheduler``, a
    ``torch.optim.lr_scheduler`` on ``optimizer``, stepped once after each epoch. Set env
    ``COURSE_PROGRESS=0`` to hide the progress bars. ``keep_best=True`` (needs ``x_val``) ends with the
    weights of the epoch with the lowest validation loss ("early stopping" without stopping: the curves
    still show every epoch); ``History.best_epoch`` says which.
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    _check_schedule(lr, optimizer, epochs, lr_drop_at, scheduler)
    if keep_best and x_val is None:
        raise ValueError("keep_best=True picks the epoch with the lowest validation loss: pass x_val as well")
    first = _check_inputs(x_train, "x_train")
    if x_val is not None:
        first_val = _check_inputs(x_val, "x_val")
        if first_val.shape[1:] != first.shape[1:]:
            raise ValueError(f"x_val samples have shape {tuple(first_val.shape[1:])}, "
                             f"x_train samples {tuple(first.shape[1:])}")
    params = list(model.parameters())
    if params and params[0].device != first.device:
        raise ValueError(f"model is on {params[0].device} but x_train is on {first.device}: "
                         f"move both with .to(device)")
    optimizer = optimizer or adam(params, lr=lr)
    show = progress and os.environ.get("COURSE_PROGRESS", "1") != "0"
    history = History()
    best_state = None
    start = time.perf_counter()
    bar, shown = _progress_bar(epochs, desc or type(model).__name__) if show else (range(epochs), None)
    for epoch in bar:
        if epoch == lr_drop_at:
            for group in optimizer.param_groups:
                group["lr"] = group["lr"] / 10
        model.train()
        history.train.append(_run_epoch(model, loss_fn, x_train, batch_size, optimizer, generator))
        if not math.isfinite(history.train[-1]["loss"]):
            raise FloatingPointError(f"the training loss became {history.train[-1]['loss']} in epoch "
                                     f"{len(history.train)}; try a smaller lr (now {_lrs(optimizer)})")
        if scheduler is not None:
            scheduler.step()
        if x_val is not None:
            model.eval()
            with torch.no_grad():  # not inference_mode: some objectives re-enable grad for a Jacobian
                history.val.append(_run_epoch(model, loss_fn, x_val, max(batch_size, 500)))
            if keep_best and (history.best_epoch is None
                              or history.val[-1]["loss"] < history.val[history.best_epoch - 1]["loss"]):
                history.best_epoch = len(history.val)
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        if show:
            postfix = {"loss": f"{history.train[-1]['loss']:.4g}"}
            if history.val:
                postfix["val"] = f"{history.val[-1]['loss']:.4g}"
            bar.set_postfix(postfix)
    if show:
        _close_progress_bar(bar, shown)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start
    return history


def _progress_bar(epochs: int, desc: str):
    """A tqdm bar over the epochs, and in a notebook the display handle of its widget (else None)."""
    from tqdm.auto import tqdm
    from tqdm.notebook import tqdm as notebook_tqdm

    if not issubclass(tqdm, notebook_tqdm):  # a script or a test (tqdm.auto's text bar): on stderr
        return tqdm(range(epochs), desc=desc, leave=True), None
    from IPython.display import display

    bar = tqdm(range(epochs), desc=desc, leave=True, display=False)
    return bar, display(bar.container, display_id=True)


def _close_progress_bar(bar, shown) -> None:
    """Close the bar; in a notebook, replace its widget by the bar's final line as text.

    A widget's saved output is its state when it was first displayed ("0/20"); the text is what a
    saved or headless-run notebook, and the site built from it, should show: the finished bar.
    """
    final = bar.format_meter(**bar.format_dict)
    bar.close()
    if shown is not None:
        shown.update({"text/plain": final}, raw=True)
