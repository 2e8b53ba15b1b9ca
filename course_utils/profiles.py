"""How big a run is: the ``quick`` profile (laptop CPU, minutes) and the ``full`` one (GPU, full data).

Every notebook reads its sizes from here (``get_profile(PROFILE)`` in its parameters section), so
one notebook serves both a CPU classroom and a GPU box. Notebooks scale ``epochs`` for their own
models, e.g. ``epochs = 2 * P.epochs`` for a model that needs longer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Profile:
    name: str
    n_train: int | None  # training images; None = every image the data source has
    n_test: int | None  # test images; None = all
    epochs: int  # epochs of a standard model (an MLP autoencoder)
    batch_size: int
    description: str


PROFILES = {
    "quick": Profile(
        name="quick",
        n_train=4000,
        n_test=1000,
        epochs=10,
        batch_size=64,
        description="CPU default: 4,000 training / 1,000 test images, each notebook about a minute",
    ),
    "full": Profile(
        name="full",
        n_train=None,
        n_test=None,
        epochs=20,
        batch_size=128,
        description="GPU default: the full data set (60,000 / 10,000 for MNIST when available)",
    ),
}


def get_profile(name: str | None = None) -> Profile:
    """Return the profile called ``name``; else env ``COURSE_PROFILE``; else ``full`` on a GPU, ``quick`` on CPU."""
    chosen = name or os.environ.get("COURSE_PROFILE") or None
    if chosen is None:
        chosen = "full" if torch.cuda.is_available() else "quick"
    key = str(chosen).strip().lower()
    if key not in PROFILES:
        raise ValueError(f"unknown profile {chosen!r}: valid profiles are {', '.join(sorted(PROFILES))}")
    return PROFILES[key]
