"""Homework 2 checkers: a decoder designed with the size formulas, then trained.

* ``check_plan(fn)``: ``fn(i, o)`` plans transposed convolutions ``[(k, s, p, output_padding), …]``
  taking an i×i map to o×o; every plan is built from real ``nn.ConvTranspose2d`` layers (PyTorch is
  the reference) for fixed and random (i, o), under the rules: stride 1 or 2, kernel size a multiple
  of the stride (no uneven overlap, no checkerboard), at most ``MAX_LAYERS`` layers;
* ``check_decoder(build)``: ``build(latent_dim)`` maps codes to (N, 1, 32, 32) with transposed
  convolutions only (no resizing, cropping or padding layers, a parameter budget);
* ``validate_decoder(build, x_train, …)``: the harness students compare designs with: the same training
  on a validation split, next to PCA with as many components as the code;
* ``check_decoder_training(build, …)``: an autoencoder made of the checker's encoder and the student's
  decoder, trained by the checker, reaches a test MSE below PCA's with the same number of components
  (the control: the best a linear decoder can do).

While the student's code runs, ``course_utils.arithmetic``, PyTorch's convolution layers and
functions, and autograd are blocked in the planner (sizes must come from the formula), and resizing
functions are blocked in the decoder's forward pass.
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F
from torch import nn

from .cases import forbid, run_cases

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


def _planner_blocked():
    import torch.autograd

    from .. import arithmetic

    conv = [torch.conv_transpose1d, torch.conv_transpose2d, torch.conv_transpose3d, torch.conv1d, torch.conv2d,
            torch.conv3d, torch.convolution]
    return forbid("work the sizes out with the formula o = (i − 1)·s − 2p + k + output_padding",
                  [(arithmetic, "course_utils.arithmetic"), (torch.nn.modules.conv, "PyTorch's convolution layers"),
                   (torch.autograd, "autograd")] + [(f, f"torch.{f.__name__}") for f in conv])


def _decoder_blocked():
    fns = [(F.interpolate, "F.interpolate"), (F.pad, "F.pad"), (F.fold, "F.fold"), (F.pixel_shuffle, "F.pixel_shuffle"),
           (F.upsample, "F.upsample"), (F.adaptive_avg_pool2d, "F.adaptive_avg_pool2d"),
           (F.adaptive_max_pool2d, "F.adaptive_max_pool2d"), (torch.constant_pad_nd, "torch.constant_pad_nd")]
    return forbid("reach the size with transposed convolutions alone (resizing, cropping and padding are "
                  "not part of this design)", fns)


def _sizes(plan, i):
    """The map sizes that real nn.ConvTranspose2d layers give for ``plan`` from an i×i input."""
    sizes, x = [i], torch.zeros(1, 1, i, i)
    with torch.no_grad():
        for k, s, p, op in plan:
            x = torch.zeros(1, 1, *nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op, bias=False)(x).shape[-2:])
            sizes.append(x.shape[-1])
    return sizes


def _rule_problem(plan) -> str | None:
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


def _random_pairs(g, n):
    pairs = []
    while len(pairs) < n:
        i = int(torch.randint(1, 9, (), generator=g))
        o = int(torch.randint(i + 1, min(64, 8 * i) + 1, (), generator=g))
        pairs.append((i, o))
    return pairs


def check_plan(fn, seed: int = 0, n_random: int = 60) -> bool | None:
    """hw2 task 1: ``fn(i, o)`` → transposed-convolution layers taking i×i to o×o, built and measured here."""
    g = torch.Generator().manual_seed(seed)
    fixed = [(4, 32), (7, 28), (1, 16), (2, 32), (3, 28), (5, 20), (3, 13), (6, 25), (4, 5)]

    def plans(pairs):
        def case():
            for i, o in pairs:
                with _planner_blocked():
                    plan = fn(i, o)
                problem = _rule_problem(plan)
                if problem:
                    return f"i={i}, o={o}: {problem}"
                try:
                    sizes = _sizes(plan, i)
                except RuntimeError as e:
                    return f"i={i}, o={o}: nn.ConvTranspose2d refuses your plan {plan}: {str(e).splitlines()[0][:120]}"
                if sizes[-1] != o:
                    return (f"i={i}, o={o}: your plan {[tuple(layer) for layer in plan]} gives "
                            f"{' → '.join(map(str, sizes))} (measured with nn.ConvTranspose2d): check your size formula")
            return None
        return case

    return run_cases("plan_upsampling", [
        ("4 → 32 (the decoder of task 2)", plans(fixed[:1])),
        (f"{len(fixed) - 1} more fixed settings: 7 → 28, 1 → 16, 2 → 32, 3 → 28, 5 → 20, 3 → 13, 6 → 25, 4 → 5",
         plans(fixed[1:])),
        (f"{n_random} random settings, 1 ≤ i ≤ 8, i < o ≤ min(64, 8i) (seed {seed})", plans(_random_pairs(g, n_random))),
    ])


def _build(build, latent_dim):
    with _decoder_blocked():
        decoder = build(latent_dim)
    if not isinstance(decoder, nn.Module):
        raise TypeError(f"build_decoder must return an nn.Module, got {type(decoder).__name__}")
    return decoder


def _structure_problem(decoder) -> str | None:
    for name, module in decoder.named_modules():
        if isinstance(module, FORBIDDEN_MODULES):
            return f"{name or 'the decoder'} is a {type(module).__name__}: resizing/padding layers are not allowed"
        if isinstance(module, nn.Linear) and module.out_features > MAX_LINEAR_OUT:
            return (f"{name} is a Linear layer with {module.out_features} outputs (at most {MAX_LINEAR_OUT}): "
                    f"start from a small map and upsample with transposed convolutions")
        if isinstance(module, nn.ConvTranspose2d):
            problem = _rule_problem([(module.kernel_size[0], module.stride[0], module.padding[0],
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


def _forward(decoder, z):
    """The decoder's output, the input shape of its first and the output shape of its last transposed convolution."""
    convs = [m for m in decoder.modules() if isinstance(m, nn.ConvTranspose2d)]
    seen = {}

    def first(module, inputs, output):  # hooks return None: a returned value would replace the output
        seen.setdefault("first", tuple(inputs[0].shape))

    def last(module, inputs, output):
        seen["last"] = tuple(output.shape)

    handles = [convs[0].register_forward_hook(first), convs[-1].register_forward_hook(last)]
    try:
        with _decoder_blocked():
            out = decoder(z)
    finally:
        for handle in handles:
            handle.remove()
    return out, seen.get("first"), seen.get("last")


def check_decoder(build, seed: int = 0) -> bool | None:
    """hw2 task 2: ``build(latent_dim)`` → a decoder (N, latent_dim) → (N, 1, 32, 32) within the rules."""
    g = torch.Generator().manual_seed(seed)

    def shapes(latent_dim):
        def case():
            with torch.random.fork_rng():
                torch.manual_seed(seed)
                decoder = _build(build, latent_dim)
            problem = _structure_problem(decoder)
            if problem:
                return problem
            for n in (1, 5):
                out, first, last = _forward(decoder.eval(), torch.randn(n, latent_dim, generator=g))
                if first is None or max(first[-2:]) > MAX_START:
                    return (f"the first transposed convolution starts from {first}: start from a small map, at "
                            f"most {MAX_START}×{MAX_START}, and upsample with transposed convolutions")
                if not isinstance(out, torch.Tensor) or tuple(out.shape) != (n, 1, OUT, OUT):
                    return f"{n} codes of size {latent_dim}: expected output shape ({n}, 1, {OUT}, {OUT}), got " \
                           f"{tuple(getattr(out, 'shape', ())) or type(out).__name__}"
                if last is None or last[-2:] != (OUT, OUT):
                    return (f"the last transposed convolution outputs {last}: it must produce {OUT}×{OUT} itself "
                            f"(no cropping afterwards)")
            return None
        return case

    return run_cases("decoder", [
        ("latent_dim 16: output (N, 1, 32, 32) for N = 1 and 5, within the rules", shapes(16)),
        ("latent_dim 2", shapes(2)),
        ("latent_dim 8", shapes(8)),
    ])


class _Encoder(nn.Module):
    """The checker's fixed encoder: 32 → 16 → 8 → 4 by stride-2 convolutions, then a linear map to the code."""

    def __init__(self, latent_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 16, 4, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 4, 2, 1), nn.ReLU(),
                                 nn.Conv2d(32, 32, 4, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(512, latent_dim))

    def forward(self, x):
        return self.net(x)


def _train_pair(build, xs, *, latent_dim, epochs, lr, batch_size, seed):
    """The checker's encoder + the student's decoder, trained with Adam on padded images xs; None and a problem if not."""
    device = xs.device
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        decoder = _build(build, latent_dim).to(device)
        encoder = _Encoder(latent_dim).to(device)
    problem = _structure_problem(decoder)
    if problem:
        return None, problem
    opt = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=lr)
    g = torch.Generator(device=device).manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(xs), generator=g, device=device).split(batch_size):
            with _decoder_blocked():
                loss = F.mse_loss(decoder(encoder(xs[idx])), xs[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return (encoder.eval(), decoder.eval()), None


def _errors(pair, xs, xt, latent_dim):
    """Test MSE of the trained pair and of PCA with latent_dim components fitted on xs (the control)."""
    from ..pca import fit_pca

    encoder, decoder = pair
    with torch.no_grad():
        mse = F.mse_loss(decoder(encoder(xt)), xt).item()
        pca = fit_pca(xs, latent_dim)
        control = F.mse_loss(pca.reconstruct(xt).reshape(xt.shape), xt).item()
    return mse, control


def validate_decoder(build, x_train: torch.Tensor, *, epochs: int, n_train: int | None = None, latent_dim: int = 16,
                     lr: float = 2e-3, batch_size: int = 64, seed: int = 0) -> dict:
    """The validation harness: train as the grader does on part of x_train, measure on a validation split.

    Splits ``x_train[:n_train]`` with ``course_utils.data.split_validation`` (1/8 for validation), trains
    the checker's encoder with ``build(latent_dim)`` on the rest, and prints and returns the validation
    MSE next to PCA's with ``latent_dim`` components (the control the grader uses on test images).
    Returns None (and says why) if ``build`` is not attempted yet or breaks the rules of task 2.
    """
    from ..data import split_validation

    x_fit, _, x_val, _ = split_validation(x_train[:n_train], fraction=1 / 8, seed=seed)
    xs, xv = F.pad(x_fit, (2, 2, 2, 2)), F.pad(x_val, (2, 2, 2, 2))
    try:
        pair, problem = _train_pair(build, xs, latent_dim=latent_dim, epochs=epochs, lr=lr, batch_size=batch_size,
                                    seed=seed)
    except NotImplementedError:
        print("○ build_decoder: not attempted yet")
        return None
    if problem:
        print(f"✘ {problem}")
        return None
    mse, control = _errors(pair, xs, xv, latent_dim)
    print(f"validation MSE {mse:.4f}; PCA with {latent_dim} components {control:.4f}; ratio {mse / control:.3f} "
          f"(the grader asks for below {MSE_RATIO_AT_MOST} on test images)")
    return {"mse": mse, "pca": control, "ratio": mse / control}


def check_decoder_training(build, x_train: torch.Tensor, x_test: torch.Tensor, *, latent_dim: int = 16,
                           epochs: int, n_train: int | None = None, lr: float = 2e-3, batch_size: int = 64,
                           seed: int = 0) -> dict | None:
    """hw2 task 3: the checker's encoder + the student's decoder, trained here on 28×28 images padded to 32×32.

    Graded: test MSE below ``MSE_RATIO_AT_MOST`` × the MSE of PCA with ``latent_dim`` components fitted on
    the same training images (the control: the best linear code of that size). Returns the
    measurements (None if not attempted yet).
    """
    result = {}

    def trains():
        xs, xt = F.pad(x_train[:n_train], (2, 2, 2, 2)), F.pad(x_test, (2, 2, 2, 2))
        pair, problem = _train_pair(build, xs, latent_dim=latent_dim, epochs=epochs, lr=lr, batch_size=batch_size,
                                    seed=seed)
        if problem:
            return problem
        result["mse"], result["control"] = _errors(pair, xs, xt, latent_dim)
        result["ratio"] = result["mse"] / result["control"]
        result["params"] = sum(p.numel() for p in pair[1].parameters())
        return None if result["ratio"] < MSE_RATIO_AT_MOST else (
            "not below PCA's error: a linear decoder cannot beat PCA; look at the activations, the widths, the "
            "output layer, and compare designs with validate_decoder on the validation split")

    ok = run_cases("decoder_training", [
        (lambda: f"the checker's encoder + your decoder trained {epochs} epochs: " + (
            f"test MSE {result['mse']:.4f} = {result['ratio']:.2f} × PCA's with {latent_dim} components "
            f"{result['control']:.4f} (the control; below {MSE_RATIO_AT_MOST} ×)" if "ratio" in result else "test MSE"),
         trains),
    ])
    return result if ok else None
