"""The deterministic autoencoders: the MLP hourglass of 02 and the convolutional ones of 04.

Autoencoders expose ``encode(x) -> z`` and ``decode(z) -> x_hat`` as well as ``forward``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..arithmetic import conv_output_size, conv_transpose_output_size
from ._blocks import check_latent_dim, check_shape, mlp


class MLPAutoencoder(nn.Module):
    """The hourglass MLP of 02_fc_autoencoder: input → hidden … → latent_dim → … hidden → input.

    ``hidden=(256,)`` gives 784–256–d–256–784. ``activation`` is used between hidden layers,
    ``output_activation`` ("sigmoid" for pixels in [0, 1], "identity" for a linear AE) on the output.
    With ``hidden=()`` and ``activation="identity"`` it is the linear autoencoder compared with PCA.
    """

    def __init__(self, latent_dim: int, hidden=(256,), input_shape=(1, 28, 28), activation: str = "relu",
                 output_activation: str = "sigmoid", code_activation: str = "identity"):
        super().__init__()
        check_latent_dim(latent_dim)
        self.input_shape = tuple(input_shape)
        self.latent_dim = latent_dim
        n = math.prod(self.input_shape)
        hidden = tuple(hidden)
        self.encoder = mlp((n, *hidden, latent_dim), activation, code_activation)
        self.decoder = mlp((latent_dim, *hidden[::-1], n), activation, output_activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(x, self.input_shape, "input")
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, (self.latent_dim,), "codes")
        return self.decoder(z).view(-1, *self.input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class ConvAutoencoder(nn.Module):
    """The convolutional autoencoder of 04_conv_autoencoder (layer sizes from 03's arithmetic).

    Encoder: two stride-2 convolutions (k=3, p=1), then linear layers through ``hidden`` down to
    ``latent_dim``. Decoder: linear layers back to (c2, 7, 7), then two stride-2 transposed
    convolutions (7 → 14 → 28). ``batch_norm=True`` puts a ``BatchNorm2d`` before every hidden ReLU
    of the convolutional part (Ioffe & Szegedy, 2015). 04 trains
    ``ConvAutoencoder(d, channels=(16, 64), hidden=(256,), batch_norm=True)``; the defaults
    (no hidden layer, no batch norm) give the plain two-conv model with a single linear bottleneck.
    ``ResizeConvAutoencoder`` is the same model with resize-then-convolve upsampling instead.
    Shapes for the default 1×28×28 input and ``channels=(c1, c2)`` are in the comments; the decoder's
    sizes are computed with ``course_utils.arithmetic`` and checked to give back the input size.
    """

    def __init__(self, latent_dim: int, channels=(8, 16), input_shape=(1, 28, 28), hidden=(),
                 batch_norm: bool = False):
        super().__init__()
        check_latent_dim(latent_dim)
        if len(channels) != 2 or not all(isinstance(c, int) and c > 0 for c in channels):
            raise ValueError(f"channels must be two positive ints (c1, c2), got {channels!r}")
        hidden = tuple(hidden)
        if not all(isinstance(h, int) and h > 0 for h in hidden):
            raise ValueError(f"hidden must be a tuple of positive ints, got {hidden!r}")
        self.input_shape, self.latent_dim = tuple(input_shape), latent_dim
        c0, h0, w0 = self.input_shape
        c1, c2 = channels
        # Encoder sizes: each stride-2 conv (k=3, p=1) halves, rounding up: 28 -> 14 -> 7.
        h1, w1 = conv_output_size(h0, 3, 2, 1), conv_output_size(w0, 3, 2, 1)
        h2, w2 = conv_output_size(h1, 3, 2, 1), conv_output_size(w1, 3, 2, 1)
        self.code_shape = (c2, h2, w2)
        norm = (lambda c: [nn.BatchNorm2d(c)]) if batch_norm else (lambda c: [])
        self.encoder = nn.Sequential(
            nn.Conv2d(c0, c1, 3, stride=2, padding=1), *norm(c1), nn.ReLU(),  # (N, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), *norm(c2), nn.ReLU(),  # (N, c2, 7, 7)
            nn.Flatten(),                                                     # (N, c2*7*7)
            *mlp((c2 * h2 * w2, *hidden, latent_dim), "relu"),               # (N, latent_dim)
        )
        up1, size1 = self.upsample(c2, c1, (h2, w2), (h1, w1))    # (N, c1, 14, 14)
        up2, size2 = self.upsample(c1, c0, size1, (h0, w0))       # (N, 1, 28, 28)
        if size2 != (h0, w0):  # the decoder must give back the input's size
            raise ValueError(f"decoder output {size2} does not match the input size {(h0, w0)}")
        self.decoder = nn.Sequential(
            *mlp((latent_dim, *hidden[::-1], c2 * h2 * w2), "relu"),  # (N, c2*7*7)
            nn.Unflatten(1, self.code_shape),                         # (N, c2, 7, 7)
            *norm(c2), nn.ReLU(),
            up1, *norm(c1), nn.ReLU(), up2,                           # (N, c1, 14, 14) then (N, 1, 28, 28)
            nn.Sigmoid(),                                             # pixels in [0, 1]
        )

    def upsample(self, c_in: int, c_out: int, size_in, size_out):
        """One decoder stage from ``size_in`` to ``size_out``: a stride-2 transposed convolution (k=3, p=1).

        Returns the layer and the (h, w) it produces; ``output_padding`` picks the size among those a
        stride-2 transposed convolution can reach.
        """
        op = tuple(b - conv_transpose_output_size(a, 3, 2, 1) for a, b in zip(size_in, size_out))
        if not all(0 <= v < 2 for v in op):
            raise ValueError(f"input size {size_out[0]}×{size_out[1]} cannot be mirrored by stride-2 "
                             f"transposed convolutions")
        layer = nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=op)
        return layer, tuple(conv_transpose_output_size(a, 3, 2, 1, output_padding=p) for a, p in zip(size_in, op))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        check_shape(x, self.input_shape, "input")
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        check_shape(z, (self.latent_dim,), "codes")
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class ResizeConvAutoencoder(ConvAutoencoder):
    """``ConvAutoencoder`` whose decoder resizes and then convolves (Odena et al., 2016) — 04.

    Each transposed convolution becomes ``nn.Upsample(size, mode)`` followed by a 3×3
    convolution (stride 1, padding 1), which has no uneven overlap and so no checkerboard pattern.
    ``mode`` is "nearest" (default) or "bilinear".
    """

    def __init__(self, latent_dim: int, channels=(8, 16), input_shape=(1, 28, 28), hidden=(),
                 batch_norm: bool = False, mode: str = "nearest"):
        if mode not in ("nearest", "bilinear"):
            raise ValueError(f"mode must be 'nearest' or 'bilinear', got {mode!r}")
        self._mode = mode  # read by upsample() while ConvAutoencoder builds the decoder
        super().__init__(latent_dim, channels, input_shape, hidden, batch_norm)

    @property
    def mode(self) -> str:
        return self._mode

    def upsample(self, c_in: int, c_out: int, size_in, size_out):
        """One decoder stage: resize to ``size_out``, then a 3×3 convolution that keeps the size."""
        layer = nn.Sequential(nn.Upsample(size=tuple(size_out), mode=self._mode),
                              nn.Conv2d(c_in, c_out, 3, padding=1))
        return layer, tuple(conv_output_size(s, 3, 1, 1) for s in size_out)
