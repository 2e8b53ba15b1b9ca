"""Schematic diagrams drawn by code: the structures the lectures introduce (02, 04, 05, 06, 07).

Each function draws one diagram with matplotlib and returns the Figure after ``figures.finish``, so a
notebook shows it once when the cell ends and a test can read its labels under Agg. Nothing here
calls ``plt.show()``. ``conv_autoencoder`` takes the layers' shapes as an argument (``layer_shapes``
traces them through a real model), so 04's diagram shows the network it trains.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch, Polygon

from .figures import finish

ENC, DEC, DATA, NOISE, LOSS = "#cfe3f7", "#fde2c8", "#e4e4e4", "#e9dcf5", "#f8d0d0"


def _canvas(width: float, height: float, figsize):
    fig, ax = plt.subplots(figsize=figsize)
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _box(ax, x, y, text, color=DATA, w=1.6, h=0.8, round_=True, fontsize=11):
    """A labelled box centred on (x, y); returns its centre and half sizes for arrows."""
    style = "round,pad=0.05,rounding_size=0.15" if round_ else "square,pad=0.05"
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=style, facecolor=color,
                                edgecolor="#333", linewidth=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    return (x, y, w / 2, h / 2)


def _edge(node, toward):
    """The point on ``node``'s border in the direction of ``toward`` (a point)."""
    x, y, hw, hh = node
    dx, dy = toward[0] - x, toward[1] - y
    if dx == 0 and dy == 0:
        return x, y
    t = min(hw / abs(dx) if dx else math.inf, hh / abs(dy) if dy else math.inf) * 1.06
    return x + dx * t, y + dy * t


def _arrow(ax, a, b, text="", dashed=False, color="#333", rad=0.0, offset=(0, 0.18), fontsize=9):
    """An arrow from node (or point) ``a`` to node (or point) ``b`` with an optional label."""
    pa = a[:2] if len(a) == 2 else _edge(a, b[:2])
    pb = b[:2] if len(b) == 2 else _edge(b, a[:2])
    ax.annotate("", xy=pb, xytext=pa, arrowprops=dict(
        arrowstyle="-|>", color=color, lw=1.4, linestyle="--" if dashed else "-",
        shrinkA=0, shrinkB=0, connectionstyle=f"arc3,rad={rad}"))
    if text:
        ax.text((pa[0] + pb[0]) / 2 + offset[0], (pa[1] + pb[1]) / 2 + offset[1], text,
                ha="center", va="bottom", fontsize=fontsize, color=color)


def hourglass(sizes=(784, 256, 32, 256, 784), names=("x", "z", "x̂")):
    """The fully-connected autoencoder as an hourglass: D → … → d → … → D (taught in 02).

    ``sizes`` are the layer widths, input first, code in the middle, output last.
    """
    sizes = list(sizes)
    if len(sizes) < 3 or len(sizes) % 2 == 0:
        raise ValueError(f"sizes must be an odd number ≥ 3 of layer widths (input … code … output), got {sizes}")
    mid = len(sizes) // 2
    width = 2.2 * len(sizes)
    fig, ax = _canvas(width, 6.2, (1.3 * len(sizes) + 1, 3.6))
    top = max(sizes)
    heights = [0.8 + 3.8 * math.log1p(s) / math.log1p(top) for s in sizes]
    xs = [1.1 + 2.2 * i for i in range(len(sizes))]
    for i in range(len(sizes) - 1):  # the trapezoid between two layers
        color = ENC if i < mid else DEC
        h0, h1 = heights[i] / 2, heights[i + 1] / 2
        ax.add_patch(Polygon([(xs[i] + 0.2, 3 - h0), (xs[i + 1] - 0.2, 3 - h1), (xs[i + 1] - 0.2, 3 + h1),
                              (xs[i] + 0.2, 3 + h0)], closed=True, facecolor=color, edgecolor="#555", alpha=0.8))
    for i, (x, h, s) in enumerate(zip(xs, heights, sizes)):
        ax.add_patch(FancyBboxPatch((x - 0.2, 3 - h / 2), 0.4, h, boxstyle="square,pad=0",
                                    facecolor="#888" if i == mid else "#bbb", edgecolor="#333"))
        ax.text(x, 3 - h / 2 - 0.35, f"{s:,}", ha="center", va="top", fontsize=10)
    ax.text(xs[0], 5.6, f"input {names[0]}\nD = {sizes[0]:,}", ha="center", va="center", fontsize=10)
    ax.text(xs[mid], 5.6, f"code {names[1]}\nd = {sizes[mid]:,}", ha="center", va="center", fontsize=10,
            fontweight="bold")
    ax.text(xs[-1], 5.6, f"output {names[2]}\nD = {sizes[-1]:,}", ha="center", va="center", fontsize=10)
    ax.text((xs[0] + xs[mid]) / 2, 0.25, "encoder f", ha="center", fontsize=11, color="#1f5fa0")
    ax.text((xs[mid] + xs[-1]) / 2, 0.25, "decoder g", ha="center", fontsize=11, color="#b35900")
    ax.set_title(f"Autoencoder: D = {sizes[0]:,} → d = {sizes[mid]:,} → D = {sizes[-1]:,}; "
                 "loss ‖x − g(f(x))‖²", fontsize=11)
    return finish(fig)


def layer_shapes(layers, x, skip=("ReLU", "Sigmoid", "Tanh", "LeakyReLU", "Dropout")):
    """[(layer name, output shape without the batch), …] for ``x`` passed through ``layers`` in turn,
    starting with ("input", shape); parameter-free activations named in ``skip`` are left out."""
    import torch

    out = [("input", tuple(x.shape[1:]))]
    with torch.inference_mode():
        for layer in layers:
            x = layer(x)
            name = type(layer).__name__
            if name not in skip:
                out.append((name, tuple(x.shape[1:])))
    return out


def conv_autoencoder(shapes, code_index=None):
    """A convolutional encoder–decoder drawn layer by layer with each output shape (taught in 04).

    ``shapes`` is a list of (label, shape) from input to output, shape (C, H, W) for feature maps or
    (n,) for vectors, e.g. ``layer_shapes([*model.encoder, *model.decoder], x[:1])``. The code is the
    smallest vector (or ``shapes[code_index]``).
    """
    shapes = [(str(label), tuple(int(s) for s in shape)) for label, shape in shapes]
    if len(shapes) < 3:
        raise ValueError(f"need at least input, code and output shapes, got {len(shapes)}")
    if any(len(s) not in (1, 3) for _, s in shapes):
        raise ValueError("each shape must be (C, H, W) or (n,), without the batch dimension")
    if code_index is None:
        code_index = min(range(len(shapes)), key=lambda i: math.prod(shapes[i][1]))
    n = len(shapes)
    width = 1.7 * n + 0.4
    fig, ax = _canvas(width, 6.4, (max(8.0, 1.15 * n), 4.0))
    big = max(s[-1] if len(s) == 3 else 1 for _, s in shapes)
    for i, (label, s) in enumerate(shapes):
        x = 1.0 + 1.7 * i
        color = "#888" if i == code_index else (ENC if i < code_index else DEC)
        if i in (0, n - 1):
            color = DATA
        if len(s) == 3:  # a stack of feature maps: height ∝ H, depth ∝ channels (log)
            c, h, _ = s
            side = 0.6 + 2.6 * h / big
            depth = min(5, 1 + int(math.log2(max(c, 1))))
            for k in range(depth - 1, -1, -1):
                off = 0.09 * k
                ax.add_patch(FancyBboxPatch((x - 0.35 + off, 3.2 - side / 2 + off), 0.5, side,
                                            boxstyle="square,pad=0", facecolor=color, edgecolor="#333", lw=0.8))
            text = f"{c}×{s[1]}×{s[2]}"
        else:  # a vector: a thin bar
            side = 0.6 + 2.6 * min(1.0, math.log1p(s[0]) / math.log1p(big * big * 4))
            ax.add_patch(FancyBboxPatch((x - 0.12, 3.2 - side / 2), 0.24, side, boxstyle="square,pad=0",
                                        facecolor=color, edgecolor="#333"))
            text = f"{s[0]:,}"
        ax.text(x, 1.15, text, ha="center", va="top", fontsize=9, fontweight="bold" if i == code_index else None)
        ax.text(x, 5.3, label, ha="center", va="center", fontsize=8, rotation=30)
        if i < n - 1:
            _arrow(ax, (x + 0.4, 3.2), (x + 1.7 - 0.45, 3.2))
    ax.text(1.0 + 1.7 * code_index / 2, 0.2, "encoder", ha="center", fontsize=11, color="#1f5fa0")
    ax.text(1.0 + 1.7 * (code_index + n - 1) / 2, 0.2, "decoder", ha="center", fontsize=11, color="#b35900")
    ax.set_title("Convolutional autoencoder: each layer's output shape (channels × height × width)", fontsize=11)
    return finish(fig)


def denoising_loop(noise="x̃ = x + σ·ε  or  masking"):
    """The denoising autoencoder's training step: x → x̃ → f → z → g → x̂ → loss against the clean x (05)."""
    fig, ax = _canvas(14, 4.4, (10, 3.2))
    x = _box(ax, 1.0, 2.6, "x\n(clean)", DATA, w=1.3)
    c = _box(ax, 3.3, 2.6, "corrupt", NOISE, w=1.5)
    xt = _box(ax, 5.5, 2.6, "x̃", DATA, w=1.0)
    f = _box(ax, 7.4, 2.6, "encoder f", ENC, w=1.7)
    z = _box(ax, 9.3, 2.6, "z", "#bbb", w=0.8)
    g = _box(ax, 11.1, 2.6, "decoder g", DEC, w=1.7)
    xh = _box(ax, 13.1, 2.6, "x̂", DATA, w=1.0)
    _box(ax, 7.4, 0.6, "loss ‖x̂ − x‖²", LOSS, w=2.6)
    for a, b in [(x, c), (c, xt), (xt, f), (f, z), (z, g), (g, xh)]:
        _arrow(ax, a, b)
    ax.text(3.3, 3.3, noise, ha="center", va="bottom", fontsize=9, color="#6a3d9a")
    _arrow(ax, (1.0, 2.15), (6.1, 0.6), "the clean x is the target", offset=(-0.6, -0.55))
    _arrow(ax, (13.1, 2.15), (8.7, 0.6))
    ax.set_title("Denoising autoencoder: reconstruct the clean x from a corrupted x̃", fontsize=11)
    return finish(fig)


def vae_graph():
    """The VAE's computational graph with the reparameterization z = μ + σ ⊙ ε, ε ~ N(0, I) (06)."""
    fig, ax = _canvas(14, 7.0, (10.5, 5.2))
    ax.add_patch(FancyBboxPatch((4.3, 1.3), 2.2, 3.9, boxstyle="round,pad=0.05,rounding_size=0.2",
                                facecolor="none", edgecolor="#1f5fa0", linestyle="--"))
    ax.text(5.4, 1.05, "q(z|x) = N(μ, σ²)", ha="center", va="top", fontsize=9, color="#1f5fa0")
    x = _box(ax, 0.8, 3.25, "x", DATA, w=1.0)
    enc = _box(ax, 2.7, 3.25, "encoder", ENC, w=1.6, h=1.0)
    mu = _box(ax, 5.4, 4.4, "μ", ENC, w=1.2)
    sig = _box(ax, 5.4, 2.1, "σ = exp(½ log σ²)", ENC, w=1.9, fontsize=9)
    eps = _box(ax, 8.6, 0.7, "ε ~ N(0, I)", NOISE, w=2.0, round_=False)
    z = _box(ax, 8.6, 3.25, "z = μ + σ ⊙ ε", "#bbb", w=2.3)
    dec = _box(ax, 11.2, 3.25, "decoder", DEC, w=1.6, h=1.0)
    xh = _box(ax, 13.3, 3.25, "x̂", DATA, w=1.0)
    kl = _box(ax, 5.4, 6.3, "KL(q(z|x) ‖ N(0, I))", LOSS, w=3.2, h=0.7, fontsize=10)
    rec = _box(ax, 12.2, 6.3, "reconstruction −log p(x|z)", LOSS, w=3.4, h=0.7, fontsize=10)
    for a, b in [(x, enc), (enc, mu), (enc, sig), (mu, z), (sig, z), (z, dec), (dec, xh), (xh, rec)]:
        _arrow(ax, a, b)
    _arrow(ax, (5.4, 5.27), kl)
    _arrow(ax, eps, z, "sampled: no gradient", color="#6a3d9a", offset=(1.25, -0.35))
    ax.text(8.8, 6.3, "+", ha="center", va="center", fontsize=16, fontweight="bold")
    ax.text(8.8, 5.5, "loss = −ELBO", ha="center", va="center", fontsize=10, fontweight="bold")
    ax.text(10.4, 0.35, "gradients flow through μ and σ;\nthe randomness sits in ε", ha="left", fontsize=9,
            color="#444")
    ax.set_title("VAE: computational graph with the reparameterization trick", fontsize=11)
    return finish(fig)


def gan_loop():
    """The GAN's two-player loop: z ~ N(0, I) → G → fake; real data; D scores both; each is updated (07)."""
    fig, ax = _canvas(14, 7.0, (10, 5.0))
    noise = _box(ax, 1.2, 2.4, "z ~ N(0, I)", NOISE, w=2.0, round_=False)
    g = _box(ax, 4.2, 2.4, "generator G", DEC, w=2.0)
    fake = _box(ax, 7.0, 2.4, "fake G(z)", DATA, w=1.7)
    real = _box(ax, 7.0, 5.2, "real x\n(data)", DATA, w=1.7, h=1.0)
    d = _box(ax, 9.8, 3.8, "discriminator D", ENC, w=2.4)
    out = _box(ax, 12.7, 3.8, "D(·) = P(real)", "#bbb", w=2.1)
    for a, b in [(noise, g), (g, fake), (fake, d), (real, d), (d, out)]:
        _arrow(ax, a, b)
    _arrow(ax, (12.7, 4.25), (9.8, 4.25), "update D: call x real, G(z) fake", dashed=True, color="#1f5fa0",
           rad=0.6, offset=(0.4, 0.95))
    _arrow(ax, (12.7, 3.35), (4.2, 1.95), "update G (D frozen): make D call G(z) real", dashed=True,
           color="#b35900", rad=-0.25, offset=(0, -1.75))
    ax.set_title("GAN: two players trained in turn", fontsize=11)
    return finish(fig)
