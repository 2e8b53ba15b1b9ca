"""ConvAutoencoder (04): shapes for several code sizes and both decoders, errors, checkerboard metric."""

import pytest
import torch
from torch import nn

from course_utils.arithmetic import conv_output_size, conv_transpose_output_size
from course_utils.metrics import checkerboard_energy
from course_utils.models import ConvAutoencoder, ResizeConvAutoencoder


@pytest.mark.parametrize("cls", [ConvAutoencoder, ResizeConvAutoencoder])
@pytest.mark.parametrize("latent_dim", [1, 2, 16, 32])
def test_conv_autoencoder_shapes(cls, latent_dim):
    model = cls(latent_dim, channels=(4, 8))
    x = torch.rand(3, 1, 28, 28)
    z = model.encode(x)
    assert z.shape == (3, latent_dim)
    assert model.decode(z).shape == x.shape
    x_hat = model(x)
    assert x_hat.shape == x.shape and 0 <= x_hat.min() and x_hat.max() <= 1


@pytest.mark.parametrize("side", [28, 32, 27, 16])
def test_conv_autoencoder_gives_back_the_input_size(side):
    for cls in (ConvAutoencoder, ResizeConvAutoencoder):
        model = cls(4, channels=(2, 4), input_shape=(1, side, side))
        assert model(torch.rand(2, 1, side, side)).shape == (2, 1, side, side)


def test_conv_autoencoder_layer_shapes_follow_the_arithmetic():
    model = ConvAutoencoder(8, channels=(4, 8))
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


@pytest.mark.parametrize("cls,kwargs,match", [(ConvAutoencoder, {"latent_dim": 0}, "latent_dim"),
                                              (ResizeConvAutoencoder, {"latent_dim": 0}, "latent_dim"),
                                              (ResizeConvAutoencoder, {"latent_dim": 2, "mode": "cubic"}, "mode"),
                                              (ConvAutoencoder, {"latent_dim": 2, "channels": (8,)}, "channels")])
def test_conv_autoencoder_rejects_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)
    with pytest.raises(TypeError):  # the decoder is chosen by the class, not by a string
        ConvAutoencoder(2, decoder="resize")


def test_resize_decoder_differs_from_transposed_only_in_upsampling():
    """Same encoder and decoder head; each transposed conv becomes Upsample(mode) + a 3×3 conv."""
    torch.manual_seed(0)
    t = ConvAutoencoder(4, channels=(2, 4))
    torch.manual_seed(0)
    r = ResizeConvAutoencoder(4, channels=(2, 4), mode="bilinear")
    assert isinstance(r, ConvAutoencoder) and r.mode == "bilinear"
    for a, b in zip(t.encoder.parameters(), r.encoder.parameters()):
        assert torch.equal(a, b)
    assert isinstance(t.decoder[3], nn.ConvTranspose2d) and isinstance(t.decoder[5], nn.ConvTranspose2d)
    for stage, size in ((r.decoder[3], 14), (r.decoder[5], 28)):
        upsample, conv = stage
        assert upsample.mode == "bilinear" and upsample.size == (size, size)
        assert conv.stride == (1, 1) and conv.padding == (1, 1)
    x = torch.rand(2, 4, 7, 7)  # the resize stage agrees with F.interpolate + F.conv2d
    conv = r.decoder[3][1]
    expected = torch.nn.functional.conv2d(torch.nn.functional.interpolate(x, size=(14, 14), mode="bilinear"),
                                          conv.weight, conv.bias, padding=1)
    torch.testing.assert_close(r.decoder[3](x), expected)


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
    with pytest.raises(ValueError, match="divisible by 2"):
        checkerboard_energy(torch.rand(2, 1, 27, 28))
    with pytest.raises(ValueError, match="divisible by 4"):
        checkerboard_energy(torch.rand(2, 1, 30, 28), period=4)
    with pytest.raises(ValueError, match="period"):
        checkerboard_energy(torch.rand(2, 1, 28, 28), period=1)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        checkerboard_energy(torch.rand(28, 28))


def test_period4_energy_against_a_direct_projection():
    # The period-4 share equals the energy of the image's 4x4-periodic part (the mean over all
    # shifted copies by multiples of 4), the reference, computed without any FFT.
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 1, 28, 28, generator=g, dtype=torch.float64)
    xc = x - x.mean(dim=(-2, -1), keepdim=True)
    tile = xc.unfold(2, 4, 4).unfold(3, 4, 4).mean(dim=(2, 3))        # (3, 1, 4, 4): the periodic part
    periodic = tile.repeat(1, 1, 7, 7)
    expected = (periodic.pow(2).sum(dim=(-2, -1)) / xc.pow(2).sum(dim=(-2, -1))).mean().item()
    assert checkerboard_energy(x, period=4) == pytest.approx(expected, rel=1e-9)
    tile4 = torch.rand(1, 1, 4, 4, generator=g).repeat(1, 1, 7, 7)  # a pure period-4 pattern
    assert checkerboard_energy(tile4, period=4) == pytest.approx(1.0)
    assert checkerboard_energy(tile4, period=2) < 1.0
    i = torch.arange(28.0)
    board = ((i[:, None] + i[None]) % 2)[None, None]
    assert checkerboard_energy(board, period=4) == pytest.approx(1.0)  # period 2 is also period 4


def test_hidden_layers_and_batch_norm_keep_shapes_and_count_parameters():
    m = ConvAutoencoder(3, channels=(4, 8), hidden=(16,), batch_norm=True)
    x = torch.rand(5, 1, 28, 28)
    assert m.encode(x).shape == (5, 3) and m(x).shape == x.shape
    n_bn = sum(isinstance(layer, torch.nn.BatchNorm2d) for layer in [*m.encoder, *m.decoder])
    assert n_bn == 4
    linear = (8 * 49 * 16 + 16) + (16 * 3 + 3) + (3 * 16 + 16) + (16 * 8 * 49 + 8 * 49)
    conv = (1 * 4 * 9 + 4) + (4 * 8 * 9 + 8) + (8 * 4 * 9 + 4) + (4 * 1 * 9 + 1)
    bn = 2 * (4 + 8 + 8 + 4)
    assert sum(p.numel() for p in m.parameters()) == linear + conv + bn
    plain = ConvAutoencoder(3, channels=(4, 8))
    assert not any(isinstance(layer, torch.nn.BatchNorm2d) for layer in plain.decoder)
    with pytest.raises(ValueError, match="hidden"):
        ConvAutoencoder(3, hidden=(0,))
