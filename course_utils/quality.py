"""Sample quality (06_vae, 07_gan_contrast): the LeNet scorer and the Fréchet LeNet distance.

``trained_lenet`` trains the scorer once per data set and profile (or loads it from
``data/checkpoints``); ``frechet_lenet_distance`` compares two image sets in its feature space, the
idea of the FID (Heusel et al., 2017) with a small digit classifier instead of Inception.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .checkpoints import load_or_train
from .device import set_seed
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
    rate. Seeds with ``set_seed(seed)`` before training (re-seed afterwards in the notebook). Prints
    the test accuracy (about 97% on the 4k MNIST subset, 99% on full MNIST).
    """
    generator = set_seed(seed)
    lenet = LeNet().to(device)
    epochs = profile.epochs_for("lenet")

    def train_fn():
        train(lenet, _classification_loss, (data.x_train, data.y_train), epochs=epochs, lr=LENET_LR,
              batch_size=profile.batch_size, generator=generator, desc="LeNet",
              lr_drop_at=epochs - 1 if epochs > 1 else None)

    load_or_train(lenet, f"lenet_{dataset}_{profile.name}", train_fn, profile=profile.name,
                  dataset=dataset, seed=seed, n_train=len(data.x_train))
    lenet.eval()
    print(f"LeNet test accuracy on {dataset}: {accuracy(lenet, data.x_test, data.y_test):.2%}")
    return lenet
