"""Image-to-image networks of 09_image_to_image: a restorer (super-resolution, inpainting) and a segmenter.

``Restorer`` is notebook 04's convolutional hourglass (28 → 14 → 7 → 14 → 28) that predicts a
correction added to its first input channel (Kim, Lee & Lee 2016). ``Segmenter`` is an
encoder–decoder with one output channel per label: without skips it is SegNet / DeconvNet-like
(Badrinarayanan et al. 2017; Noh, Hong & Han 2015), with ``skips=True`` the encoder's map of each
scale is concatenated to the decoder's, as in U-Net (Ronneberger, Fischer & Brox 2015).
"""

from __future__ import annotations

import torch
from torch import nn


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


class Restorer(nn.Module):
    """A small encoder–decoder that returns ``clamp(x_degraded + correction, 0, 1)``.

    ``extra_inputs`` channels (e.g. an inpainting mask) are concatenated to the degraded image.
    Input and output are (N, 1, H, W) with H and W divisible by 4.
    """

    def __init__(self, channels: int = 16, extra_inputs: int = 0):
        super().__init__()
        c = channels
        self.extra_inputs = extra_inputs
        self.net = nn.Sequential(
            nn.Conv2d(1 + extra_inputs, c, 3, padding=1), nn.ReLU(),                        # (N, c, 28, 28)
            nn.Conv2d(c, c, 3, stride=2, padding=1), nn.ReLU(),                             # (N, c, 14, 14)
            nn.Conv2d(c, c, 3, stride=2, padding=1), nn.ReLU(),                             # (N, c, 7, 7)
            nn.ConvTranspose2d(c, c, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # (N, c, 14, 14)
            nn.ConvTranspose2d(c, c, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),  # (N, c, 28, 28)
            nn.Conv2d(c, 1, 3, padding=1))                                                  # (N, 1, 28, 28)

    def forward(self, x_degraded: torch.Tensor, *extra: torch.Tensor) -> torch.Tensor:
        if len(extra) != self.extra_inputs:
            raise ValueError(f"this Restorer takes {self.extra_inputs} extra input(s), got {len(extra)}")
        correction = self.net(torch.cat([x_degraded, *extra], 1))
        return (x_degraded + correction).clamp(0, 1)


def double_conv(c_in: int, c_out: int) -> nn.Sequential:
    """Two 'same' 3×3 convolutions, each with batch normalisation and ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(),
                         nn.Conv2d(c_out, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU())


class Segmenter(nn.Module):
    """Encoder–decoder for per-pixel labels: (N, 1, H, W) → scores (N, n_labels, H, W), H and W divisible by 8.

    Encoder: at each of three scales two 3×3 convolutions, then 2×2 max pooling (H → H/8), then two
    more convolutions. Decoder: three stride-2 transposed convolutions (k = 2) back to H, each followed
    by two convolutions. ``skips=True`` concatenates the encoder's map of the same scale before them
    (U-Net). ``unpool=True`` replaces each transposed convolution by max-unpooling to where the
    pooling window's maximum was (SegNet) after a 1×1 convolution that matches the channels.
    """

    def __init__(self, n_labels: int, channels=(8, 16, 32, 64), skips: bool = False, unpool: bool = False):
        super().__init__()
        c = tuple(int(v) for v in channels)
        if len(c) != 4:
            raise ValueError(f"channels needs four widths (three scales and the bottleneck), got {channels!r}")
        self.skips, self.unpool = skips, unpool
        self.down = nn.ModuleList([double_conv(1, c[0]), double_conv(c[0], c[1]), double_conv(c[1], c[2])])
        self.bottom = double_conv(c[2], c[3])
        self.pool = nn.MaxPool2d(2, return_indices=True)
        if unpool:
            self.up = nn.ModuleList([nn.Conv2d(c[i + 1], c[i], 1) for i in range(3)])
            self.unpool_layer = nn.MaxUnpool2d(2)
        else:
            self.up = nn.ModuleList([nn.ConvTranspose2d(c[i + 1], c[i], 2, stride=2) for i in range(3)])
        k = 2 if skips else 1
        self.dec = nn.ModuleList([double_conv(k * c[i], c[i]) for i in range(3)])
        self.head = nn.Conv2d(c[0], n_labels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[-1] % 8 or x.shape[-2] % 8:
            raise ValueError(f"expected images (N, 1, H, W) with H and W divisible by 8, got {tuple(x.shape)}")
        h, kept, where = x, [], []
        for block in self.down:                      # H -> H/2 -> H/4 -> H/8
            h = block(h)
            kept.append(h)
            h, indices = self.pool(h)
            where.append(indices)
        h = self.bottom(h)
        for i in reversed(range(3)):                 # H/8 -> H/4 -> H/2 -> H
            h = self.up[i](h)
            if self.unpool:
                h = self.unpool_layer(h, where[i], output_size=kept[i].shape[-2:])
            if self.skips:
                h = torch.cat([h, kept[i]], 1)       # U-Net: the encoder's map of the same scale
            h = self.dec[i](h)
        return self.head(h)


def matched_width(target_parameters: int, n_labels: int, base=(8, 16, 32, 64), **kwargs) -> tuple:
    """Channels ``round(s * base)`` for the scale s (0.5 to 3 in steps of 0.01) whose Segmenter has the parameter count closest to the target.

    Used to give a no-skip model as many parameters as a model with skips (a parameter-matched control).
    The count grows with s, so a bisection finds the two scales around the target.
    """
    def channels(step):
        return tuple(max(1, round(step / 100 * b)) for b in base)

    def size(step):
        return count_parameters(Segmenter(n_labels, channels(step), **kwargs))

    lo, hi = 50, 300                                 # size(lo) < target <= size(hi), unless the target is outside
    if size(lo) >= target_parameters:
        return channels(lo)
    if size(hi) < target_parameters:
        return channels(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if size(mid) < target_parameters else (lo, mid)
    return channels(lo) if target_parameters - size(lo) <= size(hi) - target_parameters else channels(hi)
