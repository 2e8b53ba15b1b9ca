"""Thin ipywidgets layers over plain drawing functions (which the tests call directly).

Each ``*_widget`` function builds the controls and calls a ``draw_*`` function on every change;
each notebook also calls the ``draw_*`` function once so that a headless run draws a static figure.
ipywidgets is imported lazily, so the package imports without it, and works with ipywidgets 7 (Colab)
and 8.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from .plotting import show_images


def draw_pca_reconstructions(pca_full, x, k: int, n: int = 8):
    """Originals (top) and their reconstructions from the first k components (bottom) — 01_pca."""
    if not 1 <= k <= pca_full.k:
        raise ValueError(f"k must be in [1, {pca_full.k}], got {k}")
    z = pca_full.encode(x[:n])[:, :k]
    x_hat = (z @ pca_full.components[:k] + pca_full.mean).reshape(-1, *pca_full.input_shape).clamp(0, 1)
    share = pca_full.explained_variance_ratio[:k].sum().item()
    return show_images(torch.cat([x[:n], x_hat]), nrow=n, row_labels=["input", f"k={k}"],
                       title=f"k = {k} components keep {share:.1%} of the variance (of the first {pca_full.k})")


def _interactive(draw, **controls):
    import ipywidgets as w
    from IPython.display import display

    out = w.Output()

    def update(change=None):
        with out:
            out.clear_output(wait=True)
            fig = draw(**{name: c.value for name, c in controls.items()})
            display(fig)
            plt.close(fig)

    for c in controls.values():
        c.observe(update, names="value")
    update()
    return w.VBox([*controls.values(), out])


def pca_slider(pca_full, x, n: int = 8, k: int = 10):
    """A slider over k that redraws ``draw_pca_reconstructions`` — 01_pca."""
    import ipywidgets as w

    slider = w.IntSlider(value=k, min=1, max=pca_full.k, step=1, description="k",
                         continuous_update=False)
    return _interactive(lambda k: draw_pca_reconstructions(pca_full, x, k, n), k=slider)
