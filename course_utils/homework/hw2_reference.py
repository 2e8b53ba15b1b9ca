"""Homework 2's reference: the design rules and what the checkers measure with, never the student's code.

* ``rule_problem`` / ``structure_problem``: a plan or a built decoder against the rules (stride 1 or 2,
  kernel a multiple of the stride, at most ``MAX_LAYERS`` layers, no resizing or padding layers, a
  parameter budget);
* ``sizes``: the map sizes real ``nn.ConvTranspose2d`` layers give for a plan (PyTorch is the reference);
* ``Encoder`` and ``errors``: the checker's fixed encoder and the test MSE next to PCA's with as many
  components (the control).
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import nn

MAX_LAYERS = 6
MAX_KERNEL = 6
OUT = 32  # the decoder's output size
MAX_PARAMS = 40_000
MAX_LINEAR_OUT = 1024
MAX_START = 8  # the first transposed convolution's input is at most MAX_START × MAX_START
MSE_RATIO_AT_MOST = 1.0  # test MSE relative to PCA with as many components as the code (the control)
FORBIDDEN_MODULES = (nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d, nn.PixelShuffle, nn.Fold,
                     nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d, nn.ZeroPad2d, nn.ConstantPad2d,
                     nn.ReflectionPad2d, nn.ReplicationPad2d)


def sizes(plan, i):
    """The map sizes that real nn.ConvTranspose2d layers give for ``plan`` from an i×i input."""
    out, x = [i], torch.zeros(1, 1, i, i)
    with torch.no_grad():
        for k, s, p, op in plan:
            layer = nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op, bias=False)
            x = torch.zeros(1, 1, *layer(x).shape[-2:])
            out.append(x.shape[-1])
    return out


def rule_problem(plan) -> str | None:
    if not isinstance(plan, list | tuple) or not plan:
        return f"expected a non-empty list of (k, s, p, output_padding) tuples, got {plan!r}"
    if len(plan) > MAX_LAYERS:
        return f"{len(plan)} layers, at most {MAX_LAYERS} allowed"
    for n, layer in enumerate(plan, start=1):
        if not isinstance(layer, list | tuple) or len(layer) != 4 or \
                not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in layer):
            return f"layer {n} is {layer!r}: expected four ints (k, s, p, output_padding)"
        k, s, p, op = layer
        if s not in (1, 2):
            return f"layer {n} {tuple(layer)}: stride must be 1 or 2"
        if not 1 <= k <= MAX_KERNEL or k % s:
            return (f"layer {n} {tuple(layer)}: kernel size must be in 1…{MAX_KERNEL} and a multiple of the stride "
                    f"(uneven overlap draws a checkerboard, notebook 03)")
        if not 0 <= p < k or not 0 <= op < s:
            return f"layer {n} {tuple(layer)}: need 0 ≤ padding < k and 0 ≤ output_padding < stride"
    return None


def random_pairs(g, n):
    pairs = []
    while len(pairs) < n:
        i = int(torch.randint(1, 9, (), generator=g))
        o = int(torch.randint(i + 1, min(64, 8 * i) + 1, (), generator=g))
        pairs.append((i, o))
    return pairs


def structure_problem(decoder) -> str | None:
    for name, module in decoder.named_modules():
        if isinstance(module, FORBIDDEN_MODULES):
            return f"{name or 'the decoder'} is a {type(module).__name__}: resizing/padding layers are not allowed"
        if isinstance(module, nn.Linear) and module.out_features > MAX_LINEAR_OUT:
            return (f"{name} is a Linear layer with {module.out_features} outputs (at most {MAX_LINEAR_OUT}): "
                    f"start from a small map and upsample with transposed convolutions")
        if isinstance(module, nn.ConvTranspose2d):
            problem = rule_problem([(module.kernel_size[0], module.stride[0], module.padding[0],
                                      module.output_padding[0])])
            if module.kernel_size[0] != module.kernel_size[1] or module.stride[0] != module.stride[1] \
                    or module.dilation != (1, 1):
                problem = "use square kernels and strides, no dilation"
            if problem:
                return f"{name}: {problem.replace('layer 1 ', '')}"
    convs = [m for m in decoder.modules() if isinstance(m, nn.ConvTranspose2d)]
    if not convs:
        return "no nn.ConvTranspose2d layer: the task is a transposed-convolution decoder"
    n_params = sum(p.numel() for p in decoder.parameters())
    if n_params > MAX_PARAMS:
        return f"{n_params:,} parameters, at most {MAX_PARAMS:,}"
    return None


class Encoder(nn.Module):
    """The checker's fixed encoder: 32 → 16 → 8 → 4 by stride-2 convolutions, then a linear map to the code."""

    def __init__(self, latent_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 4, 2, 1), nn.ReLU(),
                                 nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(512, latent_dim))

    def forward(self, x):
        return self.net(x)


def errors(pair, xs, xt, latent_dim):
    """Test MSE of the trained pair and of PCA with latent_dim components fitted on xs (the control)."""
    from ..pca import fit_pca

    encoder, decoder = pair
    with torch.no_grad():
        mse = F.mse_loss(decoder(encoder(xt)), xt).item()
        pca = fit_pca(xs, latent_dim)
        control = F.mse_loss(pca.reconstruct(xt).reshape(xt.shape), xt).item()
    return mse, control
