"""Figures of convolution arithmetic for 03_conv_arithmetic: which input cells each output cell sees.

``plot_conv_grid`` draws a 2-D convolution or transposed convolution as coloured cells (input,
padding, inserted zeros, cropped border, output) with two kernel positions; and
``plot_transposed_conv_1d`` shows a 1-D transposed convolution as the sum of shifted, scaled kernels.
Like every figure in ``course_utils.plotting`` they return the Figure and accept ``ax=``.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .figures import finish, new_axes, to_numpy

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
    fig, ax = new_axes(ax, (min(2 + 0.32 * (size + o), 13), min(1.2 + 0.32 * max(size, o), 9)))
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
    return finish(fig, caller_ax)


def plot_transposed_conv_1d(x, w, stride: int = 1, ax=None, title: str | None = None):
    """A 1-D transposed convolution by hand: row j holds x[j]·w placed at j·stride, the last row their sum (03)."""
    x, w = to_numpy(x).astype(float).ravel(), to_numpy(w).astype(float).ravel()
    if x.size == 0 or w.size == 0:
        raise ValueError("x and w must be non-empty 1-D sequences")
    n, k = len(x), len(w)
    length = (n - 1) * stride + k
    table = np.full((n + 1, length), np.nan)
    for j in range(n):
        table[j, j * stride:j * stride + k] = x[j] * w
    table[n] = np.nansum(table[:n], axis=0)
    caller_ax = ax
    fig, ax = new_axes(ax, (min(1.5 + 0.6 * length, 13), 0.9 + 0.5 * (n + 1)))
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
    return finish(fig, caller_ax)
