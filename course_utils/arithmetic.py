"""Convolution arithmetic: output sizes, convolution as a matrix, transposed convolution by zero
insertion — taught in 03_conv_arithmetic (and used to size the layers of 04_conv_autoencoder).

Sizes follow PyTorch's ``nn.Conv2d`` / ``nn.ConvTranspose2d`` for one spatial dimension; the
tensor functions handle one input and one output channel, which is all the lecture needs.
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F


def _int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_sizes(i, k, s, p, d, i_name: str = "i"):
    return _int(i_name, i, 1), _int("k", k, 1), _int("s", s, 1), _int("p", p, 0), _int("d", d, 1)


def conv_output_size(i: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """Output size of a convolution (or pooling): o = ⌊(i + 2p − k − (k−1)(d−1)) / s⌋ + 1 — 03_conv_arithmetic.

    ``i`` input size, ``k`` kernel size, ``s`` stride, ``p`` zero padding per side, ``d`` dilation.
    Raises ValueError if the (dilated) kernel does not fit into the padded input.
    """
    i, k, s, p, d = _check_sizes(i, k, s, p, d)
    span = k + (k - 1) * (d - 1)  # the dilated kernel's extent
    if i + 2 * p < span:
        raise ValueError(f"input size i={i} with padding p={p} is smaller than the dilated kernel "
                         f"(k={k}, d={d}: extent {span}); the output size would be <= 0")
    return (i + 2 * p - span) // s + 1


def conv_transpose_output_size(i: int, k: int, s: int = 1, p: int = 0, d: int = 1,
                               output_padding: int = 0) -> int:
    """Output size of a transposed convolution, as in ``nn.ConvTranspose2d`` — 03_conv_arithmetic.

    o = (i − 1)s − 2p + d(k − 1) + output_padding + 1; ``output_padding`` (extra rows on one side)
    must be smaller than the stride or the dilation, as PyTorch requires.
    """
    i, k, s, p, d = _check_sizes(i, k, s, p, d)
    op = _int("output_padding", output_padding, 0)
    if op >= s and op >= d:
        raise ValueError(f"output_padding must be smaller than the stride s={s} or the dilation d={d}, "
                         f"got {op}")
    o = (i - 1) * s - 2 * p + d * (k - 1) + op + 1
    if o < 1:
        raise ValueError(f"padding p={p} crops more than the transposed convolution produces: "
                         f"output size would be {o} (i={i}, k={k}, s={s}, d={d})")
    return o


def input_sizes_for_output(o: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> list[int]:
    """Every input size i with ``conv_output_size(i, k, s, p, d) == o`` — 03_conv_arithmetic.

    With stride s up to s different sizes shrink to the same o, so the transposed convolution
    cannot know which one to restore: ``output_padding = i - min(sizes)`` picks one of them.
    """
    o = _int("o", o, 1)
    k, s, p, d = _int("k", k, 1), _int("s", s, 1), _int("p", p, 0), _int("d", d, 1)
    lowest = (o - 1) * s + d * (k - 1) + 1 - 2 * p  # floor((i + 2p - d(k-1) - 1) / s) = o - 1
    return [i for i in range(max(lowest, 1), lowest + s)]


def _pair(name: str, value) -> tuple[int, int]:
    if isinstance(value, tuple | list):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair (h, w), got {value!r}")
        return _int(name, value[0], 1), _int(name, value[1], 1)
    v = _int(name, value, 1)
    return v, v


def _kernel(weight) -> torch.Tensor:
    if not isinstance(weight, torch.Tensor):
        raise ValueError(f"weight must be a tensor, got {type(weight).__name__}")
    if weight.dim() == 4 and weight.shape[:2] == (1, 1):
        return weight[0, 0]
    if weight.dim() == 2:
        return weight
    raise ValueError(f"weight must have shape (kh, kw) or (1, 1, kh, kw) (one channel), got {tuple(weight.shape)}")


def conv_matrix(weight, input_size, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """The matrix C with ``C @ x.flatten() == F.conv2d(x, weight, stride=stride, padding=padding).flatten()``.

    One channel: ``weight`` (kh, kw) or (1, 1, kh, kw), ``input_size`` an int or (h, w). C has one row
    per output pixel and one column per input pixel; ``C.T`` is the transposed convolution
    (``F.conv_transpose2d`` with the same weight) — 03_conv_arithmetic.
    """
    w = _kernel(weight)
    h, wd = _pair("input_size", input_size)
    s, p = _int("stride", stride, 1), _int("padding", padding, 0)
    kh, kw = w.shape
    oh, ow = conv_output_size(h, kh, s, p), conv_output_size(wd, kw, s, p)
    C = torch.zeros(oh * ow, h * wd, dtype=w.dtype, device=w.device)
    r, c = torch.meshgrid(torch.arange(oh), torch.arange(ow), indexing="ij")
    rows = (r * ow + c).flatten()
    for a in range(kh):
        for b in range(kw):
            # output (r, c) sees input pixel (r*s - p + a, c*s - p + b) through weight w[a, b]
            y, x = (r * s - p + a).flatten(), (c * s - p + b).flatten()
            inside = (y >= 0) & (y < h) & (x >= 0) & (x < wd)
            C[rows[inside], (y * wd + x)[inside]] += w[a, b]
    return C


def transposed_conv_by_zero_insertion(x, weight, stride: int = 1, padding: int = 0,
                                      output_padding: int = 0) -> torch.Tensor:
    """``F.conv_transpose2d`` as a direct convolution — 03_conv_arithmetic.

    Insert stride−1 zeros between input pixels, pad k−1−p zeros on each side (plus
    ``output_padding`` on the bottom/right; a negative amount crops), then convolve with stride 1
    using the kernel flipped in both directions. One channel: ``x`` (N, 1, H, W) or (H, W).
    """
    if not isinstance(x, torch.Tensor) or x.dim() not in (2, 4) or (x.dim() == 4 and x.shape[1] != 1):
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x must be a tensor of shape (N, 1, H, W) or (H, W), got {shape}")
    w = _kernel(weight)
    s, p = _int("stride", stride, 1), _int("padding", padding, 0)
    op = _int("output_padding", output_padding, 0)
    kh, kw = w.shape
    x4 = x[None, None] if x.dim() == 2 else x
    n, _, h, wd = x4.shape
    # validates everything and rejects outputs of size <= 0 (too much cropping)
    conv_transpose_output_size(h, kh, s, p, 1, op), conv_transpose_output_size(wd, kw, s, p, 1, op)
    z = x4.new_zeros(n, 1, (h - 1) * s + 1, (wd - 1) * s + 1)
    z[:, :, ::s, ::s] = x4  # stride - 1 zeros between neighbouring pixels
    qh, qw = kh - 1 - p, kw - 1 - p  # negative when p > k - 1: F.pad then crops
    z = F.pad(z, (qw, qw + op, qh, qh + op))
    y = F.conv2d(z, w.flip(0, 1)[None, None])
    return y[0, 0] if x.dim() == 2 else y
