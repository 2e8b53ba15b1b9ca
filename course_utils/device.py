"""Device choice and seeding (set up in every notebook's first code cell)."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

_KNOWN = ("cpu", "cuda", "mps")


def _available(kind: str) -> bool:
    if kind == "cpu":
        return True
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    return False


def get_device(prefer: str | None = None) -> torch.device:
    """Pick the device: ``prefer``, else env ``COURSE_DEVICE``, else cuda, mps, cpu (first available).

    A device asked for by name (argument or environment) that this machine lacks is an error,
    not a silent fallback: a run that was meant for a GPU should say it did not get one.
    """
    wanted = prefer if prefer is not None else os.environ.get("COURSE_DEVICE") or None
    if wanted is not None:
        kind = str(wanted).split(":")[0].lower()
        if kind not in _KNOWN:
            raise ValueError(f"unknown device {wanted!r}: expected one of {', '.join(_KNOWN)} (e.g. 'cuda:0')")
        if not _available(kind):
            raise RuntimeError(f"device {wanted!r} was requested but is not available on this machine")
        return torch.device(wanted)
    for kind in ("cuda", "mps"):
        if _available(kind):
            return torch.device(kind)
    return torch.device("cpu")


def set_seed(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (all devices); return a CPU ``torch.Generator`` seeded alike.

    The generator is handy for ``data.batches(..., generator=g)``, so that the order of the batches
    does not depend on how many random numbers other code has drawn.
    """
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
