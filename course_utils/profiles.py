"""How big a run is: the ``quick`` profile (laptop CPU, minutes) and the ``full`` one (GPU, full data).

Every notebook reads its sizes from here (``get_profile(PROFILE)`` in its parameters section), so
one notebook serves both a CPU classroom and a GPU box. A model whose budget is not a simple
multiple of ``epochs`` has a named entry in ``budgets``, read with ``P.epochs_for("vae")``; notebooks
never switch on a profile's name, so adding a profile (``PROFILES["mine"] = Profile(...)``) needs no
change anywhere else.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import torch


@dataclass(frozen=True)
class Profile:
    name: str
    n_train: int | None  # training images; None = every image the data source has
    n_test: int | None  # test images; None = all
    epochs: int  # epochs of a standard model (an MLP autoencoder)
    batch_size: int
    description: str
    budgets: Mapping[str, int] = field(default_factory=dict, hash=False)  # epochs of named models
    random_cases: int = 200  # random settings a property check tries (homework checks)

    def __post_init__(self):
        object.__setattr__(self, "budgets", MappingProxyType(dict(self.budgets)))  # read-only like the rest

    def epochs_for(self, model: str) -> int:
        """Epochs for the model called ``model`` (see ``budgets``); the standard ``epochs`` if it has no entry."""
        return self.budgets.get(model, self.epochs)


# Named budgets: "conv_ae" the conv and MLP AEs of 04 (last two epochs at lr/10), "conv_ae_d32" those with d = 32 (a larger code levels off later), "vae" the MLP VAE of 06 (trained longest; its last tenth at lr/10),
# "vae_2d" the 2-D VAEs of the latent-space pictures, "ae_for_sampling" the
# plain AE whose samples 06 compares, "vae_units" the 64-d VAE whose active units 06 counts, "lenet" the
# sample-quality scorer (its last epoch at lr/10); "segmentation" the segmenters of 09 (the last fifth of the epochs, at least three, at lr/10; the full budget lets the no-skip model level off), "codes" the autoencoders of 08, "image_to_image" the restorers of 09; "hw1_regularizers" and "hw2_transposed_conv" the models homeworks 1 and 2 train.
# The full profile's batches are twice as large, so each of its budgets is at least twice the quick one:
# on the same data (offline, the full profile reads the same 5,000-image MNIST subset) it never takes
# fewer optimizer steps than the quick profile (tests/test_device_profiles.py).


PROFILES = {
    "quick": Profile(
        name="quick",
        n_train=4000,
        n_test=1000,
        epochs=10,
        batch_size=64,
        description="CPU default: 4,000 training / 1,000 test images, each notebook about a minute",
        budgets={"vae": 20, "conv_ae": 12, "conv_ae_d32": 16, "vae_2d": 10, "ae_for_sampling": 10, "vae_units": 30, "lenet": 6,
                 "segmentation": 8, "codes": 12, "image_to_image": 6, "hw1_regularizers": 6, "hw2_transposed_conv": 6},
    ),
    "full": Profile(
        name="full",
        n_train=None,
        n_test=None,
        epochs=20,
        batch_size=128,
        description="GPU default: the full data set (60,000 / 10,000 for MNIST when available)",
        budgets={"vae": 100, "conv_ae": 24, "conv_ae_d32": 32, "vae_2d": 20, "ae_for_sampling": 20, "vae_units": 60, "lenet": 12,
                 "segmentation": 30, "codes": 24, "image_to_image": 20, "hw1_regularizers": 20, "hw2_transposed_conv": 12},
        random_cases=2000,
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
