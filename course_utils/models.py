"""The networks of the course, as plain ``nn.Module``s.

Each model's ``forward`` is written out in the notebook that teaches it; later notebooks import it
from here. Autoencoders expose ``encode(x) -> z`` and ``decode(z) -> x_hat`` as well as ``forward``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": nn.Identity,
                "leaky_relu": nn.LeakyReLU, "elu": nn.ELU}


def _activation(name: str) -> nn.Module:
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: expected one of {', '.join(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


def _check_latent_dim(latent_dim) -> None:
    if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be a positive int, got {latent_dim!r}")


def _check_shape(t: torch.Tensor, shape, what: str) -> None:
    """Raise unless ``t`` is a batch (N, *shape), naming ``what`` it should be (input, codes, …)."""
    if tuple(t.shape[1:]) != tuple(shape) or t.ndim != len(shape) + 1:
        raise ValueError(f"expected {what} of shape (N, {', '.join(map(str, shape))}), got {tuple(t.shape)}")


def _mlp(sizes, activation, last_activation=None):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        is_last = i == len(sizes) - 2
        if not is_last:
            layers.append(_activation(activation))
        elif last_activation is not None:
            layers.append(_activation(last_activation))
    return nn.Sequential(*layers)


class MLPAutoencoder(nn.Module):
    """The hourglass MLP of 02_fc_autoencoder: input → hidden … → latent_dim → … hidden → input.

    ``hidden=(256,)`` gives 784–256–d–256–784. ``activation`` is used between hidden layers,
    ``output_activation`` ("sigmoid" for pixels in [0, 1], "identity" for a linear AE) on the output.
    With ``hidden=()`` and ``activation="identity"`` it is the linear autoencoder compared with PCA.
    """

    def __init__(self, latent_dim: int, hidden=(256,), input_shape=(1, 28, 28), activation: str = "relu",
                 output_activation: str = "sigmoid", code_activation: str = "identity"):
        super().__init__()
        _check_latent_dim(latent_dim)
        self.input_shape = tuple(input_shape)
        self.latent_dim = latent_dim
        n = math.prod(self.input_shape)
        hidden = tuple(hidden)
        self.encoder = _mlp((n, *hidden, latent_dim), activation, code_activation)
        self.decoder = _mlp((latent_dim, *hidden[::-1], n), activation, output_activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _check_shape(x, self.input_shape, "input")
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        _check_shape(z, (self.latent_dim,), "codes")
        return self.decoder(z).view(-1, *self.input_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class _GaussianEncoderVAE(nn.Module):
    """What every VAE of 06_vae shares: q(z|x) = N(mu, diag(exp(logvar))) and a sampled forward."""

    latent_dim: int

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """z = mu + sigma * eps with eps ~ N(0, I): a sample whose gradient flows into mu and logvar."""
        if mu.shape != logvar.shape:
            raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must have the same shape")
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def forward(self, x: torch.Tensor):
        """(x_hat, mu, logvar): x_hat decodes one sample z ~ q(z|x) (in eval mode too)."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


class VAE(_GaussianEncoderVAE):
    """The MLP VAE of 06_vae (784–400–20 as in Kingma & Welling, 2014).

    ``encode(x) -> (mu, logvar)``, ``decode(z) -> x_hat`` (Bernoulli means in [0, 1], shape (N, 1, 28, 28)),
    ``forward(x) -> (x_hat, mu, logvar)``. ``hidden`` is an int or a tuple of hidden widths.
    """

    def __init__(self, latent_dim: int = 20, hidden=400, input_shape=(1, 28, 28)):
        super().__init__()
        _check_latent_dim(latent_dim)
        hidden = (hidden,) if isinstance(hidden, int) else tuple(hidden)
        if not hidden or any(not isinstance(h, int) or h < 1 for h in hidden):
            raise ValueError(f"hidden must be a positive int or a tuple of them, got {hidden!r}")
        self.latent_dim = latent_dim
        self.input_shape = tuple(input_shape)
        n = math.prod(self.input_shape)
        self.encoder = _mlp((n, *hidden), "relu", "relu")
        self.to_mu = nn.Linear(hidden[-1], latent_dim)
        self.to_logvar = nn.Linear(hidden[-1], latent_dim)
        self.decoder = _mlp((latent_dim, *hidden[::-1], n), "relu", "sigmoid")

    def encode(self, x: torch.Tensor):
        _check_shape(x, self.input_shape, "input")
        h = self.encoder(x.flatten(1))
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        _check_shape(z, (self.latent_dim,), "codes")
        return self.decoder(z).view(-1, *self.input_shape)


class ConvVAE(_GaussianEncoderVAE):
    """The convolutional VAE of 06_vae: two stride-2 convolutions down (28→14→7), two transposed up."""

    def __init__(self, latent_dim: int = 16, channels=(32, 64)):
        super().__init__()
        _check_latent_dim(latent_dim)
        c1, c2 = channels
        self.latent_dim = latent_dim
        self.input_shape = (1, 28, 28)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1), nn.ReLU(),   # 28 → 14
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.ReLU(),  # 14 → 7
            nn.Flatten())
        self.to_mu = nn.Linear(c2 * 49, latent_dim)
        self.to_logvar = nn.Linear(c2 * 49, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, c2 * 49), nn.ReLU(), nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),  # 7 → 14
            nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1), nn.Sigmoid())  # 14 → 28

    def encode(self, x: torch.Tensor):
        _check_shape(x, self.input_shape, "input")
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        _check_shape(z, (self.latent_dim,), "codes")
        return self.decoder(z)


class LeNet(nn.Module):
    """A small LeNet-style digit classifier (LeCun et al., 1998), 06_vae and 07_gan_contrast.

    Its 128 penultimate ``features(x)`` are the feature space of the Fréchet LeNet distance;
    ``forward(x)`` returns the 10 class logits.
    """

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 28 → 14
            nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),            # 14 → 10 → 5
            nn.Flatten(), nn.Linear(32 * 25, 128), nn.ReLU())
        self.head = nn.Linear(128, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        _check_shape(x, (1, 28, 28), "images")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


class ConvAutoencoder(nn.Module):
    """The convolutional autoencoder of 04_conv_autoencoder (layer sizes from 03's arithmetic).

    Encoder: two stride-2 convolutions (k=3, p=1) then a linear bottleneck of ``latent_dim``.
    Decoder (``decoder=``): ``"transpose"`` uses stride-2 transposed convolutions, ``"resize"``
    upsamples (``resize_mode`` "nearest" or "bilinear") and then convolves (Odena et al. 2016).
    Shapes for the default 1×28×28 input and ``channels=(c1, c2)`` are in the comments; the decoder's
    sizes are computed with ``course_utils.arithmetic`` and checked to give back the input size.
    """

    def __init__(self, latent_dim: int, decoder: str = "transpose", channels=(8, 16),
                 input_shape=(1, 28, 28), resize_mode: str = "nearest"):
        super().__init__()
        from .arithmetic import conv_output_size, conv_transpose_output_size

        _check_latent_dim(latent_dim)
        if decoder not in ("transpose", "resize"):
            raise ValueError(f"decoder must be 'transpose' or 'resize', got {decoder!r}")
        if resize_mode not in ("nearest", "bilinear"):
            raise ValueError(f"resize_mode must be 'nearest' or 'bilinear', got {resize_mode!r}")
        if len(channels) != 2 or not all(isinstance(c, int) and c > 0 for c in channels):
            raise ValueError(f"channels must be two positive ints (c1, c2), got {channels!r}")
        self.input_shape, self.latent_dim, self.decoder_kind = tuple(input_shape), latent_dim, decoder
        c0, h0, w0 = self.input_shape
        c1, c2 = channels
        # Encoder sizes: each stride-2 conv (k=3, p=1) halves, rounding up: 28 -> 14 -> 7.
        h1, w1 = conv_output_size(h0, 3, 2, 1), conv_output_size(w0, 3, 2, 1)
        h2, w2 = conv_output_size(h1, 3, 2, 1), conv_output_size(w1, 3, 2, 1)
        self.code_shape = (c2, h2, w2)
        self.encoder = nn.Sequential(
            nn.Conv2d(c0, c1, 3, stride=2, padding=1), nn.ReLU(),  # (N, c1, 14, 14)
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),  # (N, c2, 7, 7)
            nn.Flatten(),                                          # (N, c2*7*7)
            nn.Linear(c2 * h2 * w2, latent_dim),                   # (N, latent_dim)
        )
        if decoder == "transpose":
            # output_padding picks the size among those a stride-2 transposed conv can reach.
            op = [(a - conv_transpose_output_size(b, 3, 2, 1)) for a, b in ((h1, h2), (w1, w2), (h0, h1), (w0, w1))]
            if not all(0 <= v < 2 for v in op):
                raise ValueError(f"input size {h0}×{w0} cannot be mirrored by stride-2 transposed convolutions")
            up1 = nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=(op[0], op[1]))  # (N, c1, 14, 14)
            up2 = nn.ConvTranspose2d(c1, c0, 3, stride=2, padding=1, output_padding=(op[2], op[3]))  # (N, 1, 28, 28)
            sizes = [(conv_transpose_output_size(h2, 3, 2, 1, output_padding=op[0]),
                      conv_transpose_output_size(w2, 3, 2, 1, output_padding=op[1]))]
            sizes.append((conv_transpose_output_size(sizes[0][0], 3, 2, 1, output_padding=op[2]),
                          conv_transpose_output_size(sizes[0][1], 3, 2, 1, output_padding=op[3])))
            layers = [up1, nn.ReLU(), up2]
        else:
            up1 = nn.Sequential(nn.Upsample(size=(h1, w1), mode=resize_mode),  # (N, c2, 14, 14)
                                nn.Conv2d(c2, c1, 3, padding=1))              # (N, c1, 14, 14)
            up2 = nn.Sequential(nn.Upsample(size=(h0, w0), mode=resize_mode),  # (N, c1, 28, 28)
                                nn.Conv2d(c1, c0, 3, padding=1))              # (N, 1, 28, 28)
            sizes = [(conv_output_size(h1, 3, 1, 1), conv_output_size(w1, 3, 1, 1)),
                     (conv_output_size(h0, 3, 1, 1), conv_output_size(w0, 3, 1, 1))]
            layers = [up1, nn.ReLU(), up2]
        if sizes[-1] != (h0, w0):  # the decoder must give back the input's size
            raise ValueError(f"decoder output {sizes[-1]} does not match the input size {(h0, w0)}")
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, c2 * h2 * w2), nn.ReLU(),  # (N, c2*7*7)
            nn.Unflatten(1, self.code_shape),                # (N, c2, 7, 7)
            *layers,                                         # (N, c1, 14, 14) then (N, 1, 28, 28)
            nn.Sigmoid(),                                    # pixels in [0, 1]
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        _check_shape(x, self.input_shape, "input")
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        _check_shape(z, (self.latent_dim,), "codes")
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def _dcgan_init(module: nn.Module) -> None:
    """DCGAN initialisation (Radford et al., 2016): weights N(0, 0.02); batch-norm scales N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class Generator(nn.Module):
    """The DCGAN-style generator of 07_gan_contrast: z (N, latent_dim) → images (N, 1, 28, 28) in [0, 1].

    Linear → (c1, 7, 7), then two stride-2 transposed convolutions (7 → 14 → 28) with batch norm and
    ReLU between them, and a sigmoid on the output so samples live where the data does.
    """

    def __init__(self, latent_dim: int = 64, channels=(64, 32)):
        super().__init__()
        _check_latent_dim(latent_dim)
        c1, c2 = channels
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, c1 * 49, bias=False), nn.BatchNorm1d(c1 * 49), nn.ReLU(),
            nn.Unflatten(1, (c1, 7, 7)),
            nn.ConvTranspose2d(c1, c2, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(c2), nn.ReLU(),  # 7 → 14
            nn.ConvTranspose2d(c2, 1, 4, stride=2, padding=1), nn.Sigmoid())  # 14 → 28
        _dcgan_init(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        _check_shape(z, (self.latent_dim,), "noise")
        return self.net(z)


class Discriminator(nn.Module):
    """The DCGAN-style discriminator of 07_gan_contrast: images (N, 1, 28, 28) in [0, 1] → logits (N,).

    Two stride-2 convolutions (28 → 14 → 7) with leaky ReLU (slope 0.2), then one linear logit;
    ``sigmoid(logit)`` is the probability that the image is real. Pixels are mapped to [-1, 1] first.
    """

    def __init__(self, channels=(16, 32)):
        super().__init__()
        c1, c2 = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c1, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 28 → 14
            nn.Conv2d(c1, c2, 4, stride=2, padding=1), nn.LeakyReLU(0.2),  # 14 → 7
            nn.Flatten(), nn.Linear(c2 * 49, 1))
        _dcgan_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_shape(x, (1, 28, 28), "images")
        return self.net(2 * x - 1).squeeze(1)
