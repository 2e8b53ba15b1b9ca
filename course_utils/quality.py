"""Sample quality (06_vae, 07_gan_contrast): the LeNet scorer and the Fréchet LeNet distance.

``trained_lenet`` trains the scorer once per data set and profile (or loads it from
``data/checkpoints``); ``frechet_lenet_distance`` compares two image sets in its feature space, the
idea of the FID (Heusel et al., 2017) with a small digit classifier instead of Inception.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .checkpoints import load_or_train
from .metrics import accuracy, frechet_distance
from .models import LeNet
from .profiles import Profile
from .train import evaluate, train

LENET_LR = 2e-3  # Adam; the last epoch runs at a tenth of it


def _features(lenet, xb):
    return lenet.features(xb)


def lenet_features(lenet: torch.nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """LeNet's penultimate features of images ``x`` (N, 1, 28, 28), in batches, in eval mode (06, 07)."""
    return evaluate(lenet, x, _features, batch_size=batch_size)


def frechet_lenet_distance(lenet: torch.nn.Module, x_a: torch.Tensor, x_b: torch.Tensor) -> float:
    """Fréchet distance between LeNet features of two image sets: lower = more alike (06, 07)."""
    return frechet_distance(lenet_features(lenet, x_a), lenet_features(lenet, x_b))


def _classification_loss(model, batch):
    x, y = batch
    return F.cross_entropy(model(x), y), {}


def trained_lenet(data, device, *, profile: Profile, dataset: str, seed: int = 0) -> LeNet:
    """A LeNet trained on ``data.x_train/y_train`` or loaded from ``data/checkpoints`` (06, 07).

    Trains ``profile.epochs_for("lenet")`` epochs with Adam, the last one at a tenth of the learning
    rate. Its initial weights and batch order come from ``seed`` inside ``torch.random.fork_rng``, so
    the caller's global random state is the same after the call as before it (no re-seeding needed).
    Prints the test accuracy (about 97% on the 4k MNIST subset, 99% on full MNIST).
    """
    devices = [torch.device(device)] if torch.device(device).type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        lenet = LeNet().to(device)
        epochs = profile.epochs_for("lenet")

        def train_fn():
            train(lenet, _classification_loss, (data.x_train, data.y_train), epochs=epochs, lr=LENET_LR,
                  batch_size=profile.batch_size, generator=torch.Generator().manual_seed(seed), desc="LeNet",
                  lr_drop_at=epochs - 1 if epochs > 1 else None)

        load_or_train(lenet, f"lenet_{dataset}_{profile.name}", train_fn, profile=profile.name,
                      dataset=dataset, seed=seed, n_train=len(data.x_train))
    lenet.eval()
    print(f"LeNet test accuracy on {dataset}: {accuracy(lenet, data.x_test, data.y_test):.2%}")
    return lenet


def _max_probability(lenet, xb):
    return lenet(xb).softmax(1).max(1).values


def confident_share(lenet: torch.nn.Module, x: torch.Tensor, threshold: float = 0.9) -> float:
    """Share of images ``x`` to which LeNet gives some class probability ≥ ``threshold``: legibility (06, 07)."""
    return (evaluate(lenet, x, _max_probability) >= threshold).double().mean().item()


def class_histogram(lenet: torch.nn.Module, x: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """LeNet's predicted-class shares of images ``x`` (n_classes,), summing to 1 (07)."""
    pred = evaluate(lenet, x, lambda m, b: m(b).argmax(1))
    return torch.bincount(pred.cpu(), minlength=n_classes).double() / len(pred)


def total_variation(p: torch.Tensor, q: torch.Tensor) -> float:
    """Total-variation distance ½ Σ |p_c − q_c| between two class histograms (07)."""
    return 0.5 * (p.double().cpu() - q.double().cpu()).abs().sum().item()
