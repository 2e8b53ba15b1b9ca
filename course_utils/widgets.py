"""Thin ipywidgets layers over plain drawing functions (which the tests call directly).

Each ``*_widget`` function builds the controls and calls a ``draw_*`` function on every change;
each notebook also calls the ``draw_*`` function once so that a headless run draws a static figure.
ipywidgets is imported lazily, so the package imports without it, and works with ipywidgets 7 (Colab)
and 8.
"""

from __future__ import annotations

import torch

from .figures import finish, png_bytes, subplots
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
    """The controls above an Image widget that shows ``draw(**values)``, redrawn on every change.

    An Image widget, not an Output widget: headless runners (papermill, nbclient) emulate Output
    widgets by sending messages on the kernel's shell channel while they wait for the cell's reply,
    which now and then hangs the run for good (jupyter/nbclient#312).
    """
    import ipywidgets as w

    image = w.Image(format="png")

    def update(change=None):
        image.value = png_bytes(draw(**{name: c.value for name, c in controls.items()}))

    for c in controls.values():
        c.observe(update, names="value")
    update()
    return w.VBox([*controls.values(), image])


def pca_slider(pca_full, x, n: int = 8, k: int = 10):
    """A slider over k that redraws ``draw_pca_reconstructions`` — 01_pca."""
    import ipywidgets as w

    slider = w.IntSlider(value=k, min=1, max=pca_full.k, step=1, description="k",
                         continuous_update=False)
    return _interactive(lambda k: draw_pca_reconstructions(pca_full, x, k, n), k=slider)


def draw_conv_explorer(i: int, k: int, s: int = 1, p: int = 0, transposed: bool = False,
                       output_padding: int = 0):
    """Grids of ``plot_conv_grid``, the size formula with numbers, and PyTorch's size — 03_conv_arithmetic."""
    from torch import nn

    from .arithmetic import conv_output_size, conv_transpose_output_size
    from .conv_figures import plot_conv_grid

    if transposed:
        o = conv_transpose_output_size(i, k, s, p, 1, output_padding)
        formula = f"o = (i−1)s − 2p + k + output_padding = ({i}−1)·{s} − 2·{p} + {k} + {output_padding} = {o}"
        layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=output_padding)
    else:
        o = conv_output_size(i, k, s, p)
        formula = f"o = ⌊(i + 2p − k)/s⌋ + 1 = ⌊({i} + 2·{p} − {k})/{s}⌋ + 1 = {o}"
        layer = nn.Conv2d(1, 1, k, stride=s, padding=p)
    with torch.no_grad():
        o_torch = layer(torch.zeros(1, 1, i, i)).shape[-1]
    verdict = "✔ matches" if o_torch == o else "✘ differs from"
    fig = plot_conv_grid(i, k, s, p, transposed=transposed, output_padding=output_padding)
    fig.axes[0].set_title(f"{formula}\n{verdict} PyTorch {type(layer).__name__}: {i}×{i} → {o_torch}×{o_torch}",
                          fontsize=10)
    return fig


def _message_figure(text: str):
    fig, ax = subplots(figsize=(6, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, color="C3")
    return finish(fig)


def conv_explorer(i: int = 5, k: int = 3, s: int = 2, p: int = 1, transposed: bool = False):
    """Sliders over i, k, s, p (and output_padding) plus a transposed switch over ``draw_conv_explorer`` — 03."""
    import ipywidgets as w

    def slider(name, value, lo, hi):
        return w.IntSlider(value=value, min=lo, max=hi, step=1, description=name, continuous_update=False)

    def draw(**kw):
        try:
            return draw_conv_explorer(**kw)
        except ValueError as err:  # e.g. a kernel larger than the padded input
            return _message_figure(f"not a valid layer: {err}")

    return _interactive(draw, i=slider("i", i, 1, 12), k=slider("k", k, 1, 6), s=slider("s", s, 1, 4),
                        p=slider("p", p, 0, 4), output_padding=slider("output_padding", 0, 0, 3),
                        transposed=w.Checkbox(value=transposed, description="transposed"))


@torch.inference_mode()
def draw_latent_explorer(decode, z, labels, z1: float, z2: float, classes=None):
    """The 2-D codes ``z`` coloured by label with a marker at (z1, z2), beside that point's decoding — 02, 06.

    ``decode`` maps a (1, 2) CPU tensor of codes to an image (move it to the model's device inside).
    """
    from .plotting import plot_latent

    z = torch.as_tensor(z)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"the latent explorer needs 2-D codes of shape (N, 2), got {tuple(z.shape)}")
    fig, (ax_z, ax_x) = subplots(1, 2, figsize=(8.5, 3.8), gridspec_kw={"width_ratios": [1.4, 1]})
    plot_latent(z, labels, ax=ax_z, classes=classes, title="codes of test images")
    ax_z.plot([z1], [z2], marker="X", color="k", markersize=12, markeredgecolor="w")
    x_hat = decode(torch.tensor([[float(z1), float(z2)]]))
    ax_x.imshow(x_hat.reshape(x_hat.shape[-2], x_hat.shape[-1]).float().cpu().numpy(), cmap="gray",
                vmin=0, vmax=1)
    ax_x.set_title(f"decode(z) at z = ({z1:.2f}, {z2:.2f})")
    ax_x.axis("off")
    fig.tight_layout()
    return finish(fig)


def latent_explorer(decode, z, labels, classes=None):
    """Two sliders that move a point in a 2-D latent space and redraw ``draw_latent_explorer`` — 02, 06."""
    import ipywidgets as w

    z = torch.as_tensor(z).detach().cpu()
    lo, hi = z.min(0).values.tolist(), z.max(0).values.tolist()
    mid = z.median(0).values.tolist()

    def slider(name, i):
        return w.FloatSlider(value=mid[i], min=lo[i], max=hi[i], step=(hi[i] - lo[i]) / 100,
                             description=name, continuous_update=False)

    return _interactive(lambda z1, z2: draw_latent_explorer(decode, z, labels, z1, z2, classes),
                        z1=slider("z1", 0), z2=slider("z2", 1))
