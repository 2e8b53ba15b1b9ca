"""Figures for the notebooks. Each function takes tensors, draws, and returns the Figure.

Nothing here calls ``plt.show()``. A figure a function creates is closed before it is returned,
so a notebook cell shows it exactly once, by ending with the call (the returned Figure is
displayed), and a test can inspect it under the Agg backend. Functions that draw one panel accept
``ax=`` so they compose into larger figures; then the caller's figure is left open (first used in 01_pca).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch


def _np(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)


def _images(x) -> np.ndarray:
    """(N, H, W) array from (N, 1, H, W), (N, H, W) or (N, H*W) with a square H*W."""
    a = _np(x)
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


def _new_ax(ax, figsize):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    return ax.figure, ax


def _done(fig, ax=None):
    """Close a figure we created (so it is shown once, as the cell's result); keep the caller's open."""
    if ax is None:
        plt.close(fig)
    return fig


def show_images(x, nrow: int | None = None, titles=None, row_labels=None, title: str | None = None,
                cmap: str = "gray", vmin: float | None = 0.0, vmax: float | None = 1.0, scale: float = 1.2):
    """A grid of images, ``nrow`` per row; optional per-image ``titles`` and per-row ``row_labels``."""
    imgs = _images(x)
    n = len(imgs)
    if n == 0:
        raise ValueError("no images to show")
    ncol = nrow or min(n, 10)
    rows = math.ceil(n / ncol)
    fig, axes = plt.subplots(rows, ncol, figsize=(scale * ncol, scale * rows + (0.4 if title else 0)),
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
    return _done(fig)


def plot_history(history, keys=None, ax=None, logy: bool = False, title: str | None = None):
    """Training (solid) and validation (dashed) curves per epoch for ``keys`` (default: all)."""
    ax_given = ax
    fig, ax = _new_ax(ax, (5, 3.2))
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
    return _done(fig, ax_given)


def plot_latent(z, labels=None, ax=None, title: str | None = None, classes=None, s: float = 4):
    """Scatter of 2-D codes ``z`` (N, 2), coloured by integer ``labels`` (02, 06)."""
    z = _np(z)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"plot_latent needs 2-D codes of shape (N, 2), got {z.shape}")
    ax_given = ax
    fig, ax = _new_ax(ax, (4.5, 4))
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=s, alpha=0.6)
    else:
        labels = _np(labels).astype(int)
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
    return _done(fig, ax_given)


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
    fig, ax = _new_ax(ax, (6, 6))
    ext = [values.min().item(), values.max().item(), values.min().item(), values.max().item()]
    ax.imshow(canvas, cmap="gray", extent=ext, vmin=0, vmax=1)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    if title:
        ax.set_title(title)
    return _done(fig, ax_given)


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


# --- convolution arithmetic grids (03_conv_arithmetic) -------------------------------------------

_CELL_COLOURS = {"input": "#6baed6", "inserted zero": "#ffffff", "padding": "#d9d9d9",
                 "cropped": "#fcbba1", "output": "#a1d99b"}


def _draw_cells(ax, kinds, x0: float, names: list[str]):
    """Draw a grid whose cell (r, c) has colour ``_CELL_COLOURS[names[kinds[r, c]]]`` at column offset x0."""
    from matplotlib.colors import to_rgb

    h, w = kinds.shape
    rgb = np.array([to_rgb(_CELL_COLOURS[n]) for n in names])[kinds]
    ax.imshow(rgb, extent=(x0, x0 + w, h, 0), interpolation="nearest")
    ax.hlines(np.arange(h + 1), x0, x0 + w, color="0.45", lw=0.6)
    ax.vlines(x0 + np.arange(w + 1), 0, h, color="0.45", lw=0.6)


def plot_conv_grid(i: int, k: int, s: int = 1, p: int = 0, transposed: bool = False,
                   output_padding: int = 0, ax=None, title: str | None = None):
    """The input grid a kernel slides over, two kernel positions and the output grid (03_conv_arithmetic).

    Direct convolution: the i×i input with p rings of zero padding, the k×k kernel moving by s.
    Transposed (``transposed=True``): its equivalent direct convolution — s−1 zeros inserted between
    the input pixels, k−1−p padding (plus ``output_padding`` bottom/right; negative padding crops),
    and a stride-1 kernel. The first two output pixels are coloured like the kernel windows that make them.
    """
    from .arithmetic import conv_output_size, conv_transpose_output_size

    if transposed:
        o = conv_transpose_output_size(i, k, s, p, 1, output_padding)
        n_in, gap, lo, hi, step = (i - 1) * s + 1, s, k - 1 - p, k - 1 - p + output_padding, 1
    else:
        o = conv_output_size(i, k, s, p)
        n_in, gap, lo, hi, step = i, 1, p, p, s
    # canvas coordinates: input pixel j sits at index j + offset; the padded grid spans [start, start + n_pad)
    offset = max(lo, 0)
    start = offset - lo
    n_pad = n_in + lo + hi
    size = max(offset + n_in, start + n_pad)
    idx = np.arange(size) - offset  # position in the (zero-inserted) input, before padding
    in_input = (idx >= 0) & (idx < n_in)
    in_padded = (np.arange(size) >= start) & (np.arange(size) < start + n_pad)
    on_pixel = in_input & (idx % gap == 0)
    names = ["input", "inserted zero", "padding", "cropped", "output"]
    kinds = np.full((size, size), 1)
    kinds[np.ix_(on_pixel, on_pixel)] = 0
    outside = ~in_input[:, None] | ~in_input[None, :]
    kinds[outside] = 2
    kinds[~in_padded[:, None] | ~in_padded[None, :]] = 3

    caller_ax = ax
    fig, ax = _new_ax(ax, (min(2 + 0.32 * (size + o), 13), min(1.2 + 0.32 * max(size, o), 9)))
    _draw_cells(ax, kinds, 0, names)
    x_out = size + 2
    out_kinds = np.full((o, o), 4)
    _draw_cells(ax, out_kinds, x_out, names)
    for n, colour in enumerate(["C3", "C1"][: min(o, 2)]):
        x, y = start + n * step, start
        inset = 0.08 + 0.1 * n
        ax.add_patch(plt.Rectangle((x + inset, y + inset), k - 2 * inset, k - 2 * inset, fill=False,
                                   ec=colour, lw=2.5))
        ax.add_patch(plt.Rectangle((x_out + n + 0.1, 0.1), 0.8, 0.8, fc=colour, alpha=0.6, ec=colour))
    ax.annotate("", xy=(x_out - 0.3, size / 2), xytext=(size + 0.3, size / 2),
                arrowprops=dict(arrowstyle="->", lw=1.5))
    ax.set_xlim(-0.5, x_out + o + 0.5)
    ax.set_ylim(max(size, o) + 0.5, -0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    used = sorted(set(np.unique(kinds)) | {4})
    handles = [plt.Rectangle((0, 0), 1, 1, fc=_CELL_COLOURS[names[u]], ec="0.45") for u in used]
    ax.legend(handles, [names[u] for u in used], loc="upper center", bbox_to_anchor=(0.5, 0.0),
              ncol=len(used), fontsize=8, frameon=False)
    kind = "transposed" if transposed else "direct"
    ax.set_title(title or f"{kind} convolution: i={i}, k={k}, s={s}, p={p} → o={o}", fontsize=10)
    return _done(fig, caller_ax)


def plot_transposed_conv_1d(x, w, stride: int = 1, ax=None, title: str | None = None):
    """A 1-D transposed convolution by hand: row j holds x[j]·w placed at j·stride, the last row their sum (03)."""
    x, w = _np(x).astype(float).ravel(), _np(w).astype(float).ravel()
    if x.size == 0 or w.size == 0:
        raise ValueError("x and w must be non-empty 1-D sequences")
    n, k = len(x), len(w)
    length = (n - 1) * stride + k
    table = np.full((n + 1, length), np.nan)
    for j in range(n):
        table[j, j * stride:j * stride + k] = x[j] * w
    table[n] = np.nansum(table[:n], axis=0)
    caller_ax = ax
    fig, ax = _new_ax(ax, (min(1.5 + 0.6 * length, 13), 0.9 + 0.5 * (n + 1)))
    lim = np.nanmax(np.abs(table)) or 1.0
    ax.imshow(table, cmap="coolwarm", vmin=-lim, vmax=lim, aspect="equal")
    for (r, c), v in np.ndenumerate(table):
        if not np.isnan(v):
            ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=8, fontweight="bold" if r == n else None)
    ax.axhline(n - 0.5, color="k", lw=1.5)
    ax.set_yticks(range(n + 1), [f"x[{j}]·w" for j in range(n)] + ["sum y"])
    ax.set_xticks(range(length))
    ax.set_xlabel("output position")
    nums = lambda a: "[" + ", ".join(f"{v:g}" for v in a) + "]"
    ax.set_title(title or f"x = {nums(x)}, w = {nums(w)}, stride {stride}", fontsize=10)
    if caller_ax is None:
        fig.tight_layout()
    return _done(fig, caller_ax)
