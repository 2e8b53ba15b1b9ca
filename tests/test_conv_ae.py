"""ConvAutoencoder (04): shapes for several code sizes and both decoders, errors, checkerboard metric."""

import pytest
import torch
from torch import nn

from course_utils.arithmetic import conv_output_size, conv_transpose_output_size
from course_utils.metrics import checkerboard_energy
from course_utils.models import ConvAutoencoder


@pytest.mark.parametrize("decoder", ["transpose", "resize"])
@pytest.mark.parametrize("latent_dim", [1, 2, 16, 32])
def test_conv_autoencoder_shapes(decoder, latent_dim):
    model = ConvAutoencoder(latent_dim, decoder=decoder, channels=(4, 8))
    x = torch.rand(3, 1, 28, 28)
    z = model.encode(x)
    assert z.shape == (3, latent_dim)
    assert model.decode(z).shape == x.shape
    x_hat = model(x)
    assert x_hat.shape == x.shape and 0 <= x_hat.min() and x_hat.max() <= 1


@pytest.mark.parametrize("side", [28, 32, 27, 16])
def test_conv_autoencoder_gives_back_the_input_size(side):
    for decoder in ("transpose", "resize"):
        model = ConvAutoencoder(4, decoder=decoder, channels=(2, 4), input_shape=(1, side, side))
        assert model(torch.rand(2, 1, side, side)).shape == (2, 1, side, side)


def test_conv_autoencoder_layer_shapes_follow_the_arithmetic():
    model = ConvAutoencoder(8, decoder="transpose", channels=(4, 8))
    x = torch.rand(1, 1, 28, 28)
    sizes = []
    for layer in [*model.encoder, *model.decoder]:
        x = layer(x) if not isinstance(layer, nn.Linear) or x.ndim == 2 else layer(x.flatten(1))
        if x.ndim == 4 and isinstance(layer, nn.Conv2d | nn.ConvTranspose2d):
            sizes.append(x.shape[-1])
    h1 = conv_output_size(28, 3, 2, 1)
    h2 = conv_output_size(h1, 3, 2, 1)
    assert sizes == [h1, h2, conv_transpose_output_size(h2, 3, 2, 1, output_padding=1),
                     conv_transpose_output_size(h1, 3, 2, 1, output_padding=1)] == [14, 7, 14, 28]


def test_conv_autoencoder_rejects_wrong_input_size():
    model = ConvAutoencoder(4)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 1, 28, 28\)"):
        model(torch.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"expected input of shape"):
        model(torch.rand(2, 784))
    with pytest.raises(ValueError, match=r"expected codes of shape \(N, 4\)"):
        model.decode(torch.rand(2, 5))


@pytest.mark.parametrize("kwargs,match", [({"latent_dim": 0}, "latent_dim"),
                                          ({"latent_dim": 2, "decoder": "deconv"}, "decoder"),
                                          ({"latent_dim": 2, "resize_mode": "cubic"}, "resize_mode"),
                                          ({"latent_dim": 2, "channels": (8,)}, "channels")])
def test_conv_autoencoder_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConvAutoencoder(**kwargs)


def test_checkerboard_energy_high_for_checkerboard_low_for_smooth():
    i = torch.arange(28.0)
    board = ((i[:, None] + i[None]) % 2)[None, None]
    smooth = torch.exp(-((i[:, None] - 14) ** 2 + (i[None] - 12) ** 2) / 40)[None, None]
    assert checkerboard_energy(board) == pytest.approx(1.0)
    assert checkerboard_energy(smooth) < 1e-4
    stripes = (i % 2).expand(28, 28)[None, None]  # period 2 along one axis only
    assert checkerboard_energy(stripes) == pytest.approx(1.0)
    mixed = smooth + 0.1 * board
    assert checkerboard_energy(smooth) < checkerboard_energy(mixed) < checkerboard_energy(board)


def test_checkerboard_energy_of_transposed_conv_on_constant_input():
    # Stride 2, kernel 3: uneven overlap makes a periodic pattern; nearest resize + conv does not.
    x = torch.ones(1, 1, 8, 8)
    w = torch.ones(1, 1, 3, 3)
    up_t = torch.nn.functional.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    up_r = torch.nn.functional.conv2d(torch.nn.functional.interpolate(x, scale_factor=2), w, padding=1)
    assert checkerboard_energy(up_t) > 0.1 > checkerboard_energy(up_r)


def test_checkerboard_energy_rejects_bad_input():
    with pytest.raises(ValueError, match="even height and width"):
        checkerboard_energy(torch.rand(2, 1, 27, 28))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        checkerboard_energy(torch.rand(28, 28))
