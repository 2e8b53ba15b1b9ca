"""The life of a course figure: made, drawn, finished, and shown exactly once.

Every drawing helper of the package (``plotting``, ``conv_figures``, ``diagrams``, ``widgets``)
ends with ``finish(fig)``, and a notebook that draws its own figure uses ``subplots`` instead of
``plt.subplots``. A finished figure is

- **opaque**: a white background, so dark themes (JupyterLab's, the site's) do not show black lines
  on black;
- **shown once** in the notebook cell that drew it, whether or not the call is the cell's last
  expression: inside a Jupyter kernel it is queued and published when the cell ends, with
  alternative text taken from its titles and axis labels (``alt_text``), and a cell that also
  returns it does not show it a second time;
- **returned**, so a test (under Agg, outside a kernel: nothing is queued) can inspect it.

Nothing happens at import time: the kernel hook is registered by the first figure a kernel finishes.
"""

from __future__ import annotations

import base64
import io
import sys

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

_pending: list[Figure] = []  # figures finished in the running cell, published when it ends
_hooked: set[int] = set()  # ids of the shells whose post_run_cell event shows them


def to_numpy(x) -> np.ndarray:
    """A NumPy array from a tensor (any device, detached) or anything array-like."""
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)


def subplots(*args, **kwargs):
    """``plt.subplots`` for a figure a notebook draws itself: finished at once, shown when the cell ends."""
    fig, axes = plt.subplots(*args, **kwargs)
    finish(fig)
    return fig, axes


def new_axes(ax, figsize):
    """``(fig, ax)``: a new figure with one axes of ``figsize``, or the caller's ``ax`` and its figure."""
    if ax is None:
        return subplots(figsize=figsize)
    return ax.figure, ax


def finish(fig: Figure, caller_ax=None) -> Figure:
    """Make ``fig`` opaque and, unless it belongs to the caller (``caller_ax``), close it and queue it.

    A figure drawn on the caller's axes is the caller's to finish; the rest are closed (pyplot forgets
    them, so the inline backend cannot show them a second time) and, in a Jupyter kernel, shown when
    the cell ends. Finishing a figure twice is harmless.
    """
    fig.set_facecolor("white")
    if caller_ax is not None:
        return fig
    plt.close(fig)
    shell = _kernel_shell()
    if shell is not None and not any(f is fig for f in _pending):
        _hook(shell)
        _pending.append(fig)
        fig._ipython_display_ = lambda: _display(fig)  # a returned or display()ed figure: see _display
    return fig


def alt_text(fig: Figure) -> str:
    """What the figure shows, in words: its title, then each panel's title and axis labels."""
    parts = []
    if fig._suptitle is not None and fig._suptitle.get_text():
        parts.append(fig._suptitle.get_text())
    panels = []
    for ax in fig.axes:
        legend = ax.get_legend()
        entries = [t.get_text() for t in legend.get_texts()][:6] if legend is not None else []
        bits = [t for t in (ax.get_title(), ax.get_xlabel() and f"x: {ax.get_xlabel()}",
                            ax.get_ylabel() and f"y: {ax.get_ylabel()}",
                            entries and f"legend: {', '.join(entries)}") if t]
        if bits:
            panels.append(" — ".join(bits))
    unique = list(dict.fromkeys(panels))
    if unique:
        parts.append("; ".join(unique[:6]) + (f"; and {len(unique) - 6} more panels" if len(unique) > 6 else ""))
    n_images = sum(len(ax.images) for ax in fig.axes)
    if n_images and not unique:
        parts.append(f"a grid of {n_images} image{'s' if n_images > 1 else ''}")
    text = ". ".join(parts) or f"a figure with {len(fig.axes)} panel{'s' if len(fig.axes) != 1 else ''}"
    return ("Figure: " + text.replace("$", ""))[:400]


def png_bytes(fig: Figure, **savefig_kwargs) -> bytes:
    """The figure as PNG bytes, not shown in the cell (widgets redraw an Image with these)."""
    _forget(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", facecolor="white", **savefig_kwargs)
    plt.close(fig)
    return buf.getvalue()


def show_now(fig: Figure) -> None:
    """Publish ``fig`` in the current cell's output now (with its alternative text)."""
    from IPython.display import publish_display_data

    png = png_bytes(fig)
    alt = alt_text(fig)
    publish_display_data({"image/png": base64.b64encode(png).decode("ascii"), "text/plain": alt},
                         metadata={"image/png": {"alt": alt}})


def _forget(fig: Figure) -> None:
    _pending[:] = [f for f in _pending if f is not fig]


def _display(fig: Figure) -> None:
    """A finished figure as a cell's value or in ``display()``: queued ones wait for the cell's end."""
    if not any(f is fig for f in _pending):
        show_now(fig)


def _kernel_shell():
    """The running Jupyter kernel's shell, or None (a script, a test, a terminal IPython)."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    return shell if getattr(shell, "kernel", None) is not None else None


def _hook(shell) -> None:
    if id(shell) not in _hooked:
        shell.events.register("post_run_cell", _show_pending)
        _hooked.add(id(shell))


def _show_pending(result=None) -> None:
    """post_run_cell: publish every figure the cell finished, in the order they were drawn."""
    figures = list(_pending)
    _pending.clear()
    for fig in figures:
        show_now(fig)
