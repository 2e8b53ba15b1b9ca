"""Figures for the notebooks. Each function takes tensors, draws, and returns the Figure.

Nothing here calls ``plt.show()``: each function ends with ``figures.finish``, so in a notebook the
figure is shown once when the cell ends, wherever the call stands in the cell, and a test can inspect
the returned Figure under the Agg backend. Functions that draw one panel accept ``ax=`` so they
compose into larger figures; then the figure is the caller's (first used in 01_pca).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from .figures import finish, new_axes, subplots, to_numpy


def _images(x) -> np.ndarray:
    """(N, H, W) array from (N, 1, H, W), (N, H, W) or (N, H*W) with a square H*W."""
    a = to_numpy(x)
    if a.ndim == 4:
        if a.shape[1] != 1:
            raise ValueError(f"expected 1-channel images (N, 1, H, W), got {a.shape}")
        return a[:, 0]
    if a.ndim == 3:
        return a
    if a.ndim == 2:
        side = math.isqrt(a.shape[1])
        if side * side != a.shape[1]:
            raise ValueError(f"cannot reshape vectors of length {a.shape[1]} into square images")
        return a.reshape(-1, side, side)
    raise ValueError(f"expected a batch of images, got shape {a.shape}")


def show_images(x, nrow: int | None = None, titles=None, row_labels=None, title: str | None = None,
                cmap: str = "gray", vmin: float | None = 0.0, vmax: float | None = 1.0, scale: float = 1.2):
    """A grid of images, ``nrow`` per row; optional per-image ``titles`` and per-row ``row_labels``."""
    imgs = _images(x)
    n = len(imgs)
    if n == 0:
        raise ValueError("no images to show")
    ncol = nrow or min(n, 10)
    rows = math.ceil(n / ncol)
    fig, axes = subplots(rows, ncol, figsize=(scale * ncol, scale * rows + (0.4 if title else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        if i < n:
            ax.imshow(imgs[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    if row_labels is not None:
        for r, label in enumerate(row_labels[:rows]):
            axes[r, 0].set_ylabel(str(label), rotation=0, ha="right", va="center", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return finish(fig)


def plot_history(history, keys=None, ax=None, logy: bool = False, title: str | None = None):
    """Training (solid) and validation (dashed) curves per epoch for ``keys`` (default: all)."""
    ax_given = ax
    fig, ax = new_axes(ax, (5, 3.2))
    keys = keys or list(history.train[0].keys())
    epochs = np.arange(1, len(history.train) + 1)
    for i, key in enumerate(keys):
        color = f"C{i}"
        ax.plot(epochs, history.series(key, "train"), color=color, label=f"train {key}")
        if history.val:
            ax.plot(epochs, history.series(key, "val"), color=color, ls="--", label=f"val {key}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean per sample")
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return finish(fig, ax_given)


def plot_latent(z, labels=None, ax=None, title: str | None = None, classes=None, s: float = 4):
    """Scatter of 2-D codes ``z`` (N, 2), coloured by integer ``labels`` (02, 06)."""
    z = to_numpy(z)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"plot_latent needs 2-D codes of shape (N, 2), got {z.shape}")
    ax_given = ax
    fig, ax = new_axes(ax, (4.5, 4))
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, alpha=0.6)
    else:
        labels = to_numpy(labels).astype(int)
        colours = plt.get_cmap("tab10")
        for k in np.unique(labels):  # one scatter per class: a legend of names, not a colour bar
            at = labels == k
            name = str(classes[k]) if classes is not None else str(k)
            ax.scatter(z[at, 0], z[at, 1], color=colours(k % 10), s=s, alpha=0.7, label=name)
        ax.legend(fontsize=7, markerscale=8 / max(s, 1) ** 0.5, loc="center left", bbox_to_anchor=(1.0, 0.5),
                  frameon=False, handletextpad=0.2)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return finish(fig, ax_given)


@torch.inference_mode()
def plot_manifold(decode, n: int = 15, lim: float = 2.5, device=None, ax=None, title: str | None = None,
                  grid=None):
    """Decode an n×n grid of 2-D codes in [-lim, lim]² (or the given 1-D ``grid`` values) into one image."""
    values = torch.linspace(-lim, lim, n) if grid is None else torch.as_tensor(grid, dtype=torch.float32)
    n = len(values)
    zz = torch.stack(torch.meshgrid(values, values.flip(0), indexing="xy"), -1).reshape(-1, 2)
    # row r (top to bottom) has z2 = values[-1 - r]; column c has z1 = values[c]
    imgs = _images(decode(zz.to(device) if device is not None else zz))
    h, w = imgs.shape[1:]
    canvas = imgs.reshape(n, n, h, w).transpose(0, 2, 1, 3).reshape(n * h, n * w)
    ax_given = ax
    fig, ax = new_axes(ax, (6, 6))
    ext = [values.min().item(), values.max().item(), values.min().item(), values.max().item()]
    ax.imshow(canvas, cmap="gray", extent=ext, vmin=0, vmax=1)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return finish(fig, ax_given)


def plot_interpolation(rows, row_labels=None, title: str | None = None):
    """Rows of images from interpolations, e.g. {"latent": imgs_a, "pixel": imgs_b} (04, 06)."""
    if isinstance(rows, dict):
        row_labels = list(rows.keys()) if row_labels is None else row_labels
        rows = list(rows.values())
    imgs = [_images(r) for r in rows]
    steps = len(imgs[0])
    if any(len(r) != steps for r in imgs):
        raise ValueError("every interpolation row must have the same number of steps")
    return show_images(np.concatenate(imgs), nrow=steps, row_labels=row_labels, title=title)
