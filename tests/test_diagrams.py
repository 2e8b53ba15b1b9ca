"""The schematic diagrams: each returns a closed Figure under Agg whose labels name the structure."""

import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils.diagrams import (
    conv_autoencoder,
    denoising_loop,
    gan_loop,
    hourglass,
    layer_shapes,
    vae_graph,
)
from course_utils.models import ConvAutoencoder


def texts(fig) -> str:
    return " | ".join(t.get_text() for ax in fig.axes for t in [*ax.texts, ax.title])


def test_hourglass_names_the_sizes():
    fig = hourglass((784, 128, 16, 128, 784))
    assert isinstance(fig, Figure) and not plt.get_fignums()
    t = texts(fig)
    assert "D = 784" in t and "d = 16" in t and "encoder f" in t and "decoder g" in t
    with pytest.raises(ValueError, match="odd number"):
        hourglass((784, 32))


def test_conv_autoencoder_shows_each_traced_shape():
    model = ConvAutoencoder(latent_dim=12)
    shapes = layer_shapes([*model.encoder, *model.decoder], torch.zeros(1, 1, 28, 28))
    assert shapes[0] == ("input", (1, 28, 28)) and shapes[-1][1] == (1, 28, 28)
    assert all(name not in ("ReLU", "Sigmoid") for name, _ in shapes)
    # the traced shapes agree with the model itself
    assert (12,) in [s for _, s in shapes]
    fig = conv_autoencoder(shapes)
    t = texts(fig)
    for _, s in shapes:
        label = "×".join(map(str, s)) if len(s) == 3 else f"{s[0]:,}"
        assert label in t
    assert "encoder" in t and "decoder" in t and "ConvTranspose2d" in t
    code = [x for x in fig.axes[0].texts if x.get_text() == "12"]
    assert code and code[0].get_fontweight() == "bold"  # the code is the smallest layer
    with pytest.raises(ValueError, match=r"\(C, H, W\) or \(n,\)"):
        conv_autoencoder([("a", (1, 2)), ("b", (3,)), ("c", (1, 2))])
    with pytest.raises(ValueError, match="at least"):
        conv_autoencoder([("a", (3,))])


def test_layer_shapes_matches_a_plain_forward():
    layers = [nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 14 * 14, 5)]
    assert layer_shapes(layers, torch.zeros(2, 1, 28, 28)) == [
        ("input", (1, 28, 28)), ("Conv2d", (4, 14, 14)), ("Flatten", (784,)), ("Linear", (5,))]


def test_denoising_vae_gan_labels():
    t = texts(denoising_loop())
    assert all(s in t for s in ("x\n(clean)", "x̃", "encoder f", "decoder g", "x̂", "loss ‖x̂ − x‖²"))
    t = texts(vae_graph())
    assert all(s in t for s in ("μ", "σ = exp(½ log σ²)", "ε ~ N(0, I)", "z = μ + σ ⊙ ε", "KL(q(z|x) ‖ N(0, I))",
                                "loss = −ELBO", "reparameterization"))
    t = texts(gan_loop())
    assert all(s in t for s in ("z ~ N(0, I)", "generator G", "discriminator D", "real x", "fake G(z)",
                                "update D", "update G"))
    assert not plt.get_fignums()
