"""Homework 2 checkers: a decoder designed with the size formulas, then trained.

* ``check_plan(fn)``: ``fn(i, o)`` plans transposed convolutions ``[(k, s, p, output_padding), …]``
  taking an i×i map to o×o; every plan is built from real ``nn.ConvTranspose2d`` layers (PyTorch is
  the reference) for fixed and random (i, o), under the rules: stride 1 or 2, kernel size a multiple
  of the stride (no uneven overlap, no checkerboard), at most ``MAX_LAYERS`` layers (the rules and the reference
  measurements are in ``hw2_reference``);
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

import torch
import torch.nn.functional as F
from torch import nn

from . import hw2_reference as ref
from .cases import fit, forbid, run_cases


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


def check_plan(fn, seed: int = 0, n_random: int = 60) -> bool | None:
    """hw2 task 1: ``fn(i, o)`` → transposed-convolution layers taking i×i to o×o, built and measured here."""
    g = torch.Generator().manual_seed(seed)
    fixed = [(4, 32), (7, 28), (1, 16), (2, 32), (3, 28), (5, 20), (3, 13), (6, 25), (4, 5)]

    def plans(pairs):
        def case():
            for i, o in pairs:
                with _planner_blocked():
                    plan = fn(i, o)
                problem = ref.rule_problem(plan)
                if problem:
                    return f"i={i}, o={o}: {problem}"
                try:
                    got = ref.sizes(plan, i)
                except RuntimeError as e:
                    return f"i={i}, o={o}: nn.ConvTranspose2d refuses your plan {plan}: {str(e).splitlines()[0][:120]}"
                if got[-1] != o:
                    return (f"i={i}, o={o}: your plan {[tuple(layer) for layer in plan]} gives "
                            f"{' → '.join(map(str, got))} (measured with nn.ConvTranspose2d): check your size formula")
            return None
        return case

    return run_cases("plan_upsampling", [
        ("4 → 32 (the decoder of task 2)", plans(fixed[:1])),
        (f"{len(fixed) - 1} more fixed settings: 7 → 28, 1 → 16, 2 → 32, 3 → 28, 5 → 20, 3 → 13, 6 → 25, 4 → 5",
         plans(fixed[1:])),
        (f"{n_random} random settings, 1 ≤ i ≤ 8, i < o ≤ min(64, 8i) (seed {seed})",
         plans(ref.random_pairs(g, n_random))),
    ])


def _build(build, latent_dim):
    with _decoder_blocked():
        decoder = build(latent_dim)
    if not isinstance(decoder, nn.Module):
        raise TypeError(f"build_decoder must return an nn.Module, got {type(decoder).__name__}")
    return decoder


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
    size = ref.OUT

    def shapes(latent_dim):
        def case():
            with torch.random.fork_rng():
                torch.manual_seed(seed)
                decoder = _build(build, latent_dim)
            problem = ref.structure_problem(decoder)
            if problem:
                return problem
            for n in (1, 5):
                out, first, last = _forward(decoder.eval(), torch.randn(n, latent_dim, generator=g))
                if first is None or max(first[-2:]) > ref.MAX_START:
                    return (f"the first transposed convolution starts from {first}: start from a small map, at "
                            f"most {ref.MAX_START}×{ref.MAX_START}, and upsample with transposed convolutions")
                if not isinstance(out, torch.Tensor) or tuple(out.shape) != (n, 1, size, size):
                    return f"{n} codes of size {latent_dim}: expected output shape ({n}, 1, {size}, {size}), got " \
                           f"{tuple(getattr(out, 'shape', ())) or type(out).__name__}"
                if last is None or last[-2:] != (size, size):
                    return (f"the last transposed convolution outputs {last}: it must produce {size}×{size} itself "
                            f"(no cropping afterwards)")
            return None
        return case

    return run_cases("decoder", [
        ("latent_dim 16: output (N, 1, 32, 32) for N = 1 and 5, within the rules", shapes(16)),
        ("latent_dim 2", shapes(2)),
        ("latent_dim 8", shapes(8)),
    ])


def _train_pair(build, xs, *, latent_dim, epochs, lr, batch_size, seed):
    """The checker's encoder + the student's decoder, trained with Adam on padded images xs; None and a problem if not."""
    device = xs.device
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        decoder = _build(build, latent_dim).to(device)
        encoder = ref.Encoder(latent_dim).to(device)
    problem = ref.structure_problem(decoder)
    if problem:
        return None, problem
    def loss(model, xb):
        with _decoder_blocked():
            return F.mse_loss(model(xb), xb)

    fit(nn.Sequential(encoder, decoder), loss, xs, epochs=epochs, lr=lr, batch_size=batch_size, seed=seed)
    return (encoder.eval(), decoder.eval()), None


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
    mse, control = ref.errors(pair, xs, xv, latent_dim)
    print(f"validation MSE {mse:.4f}; PCA with {latent_dim} components {control:.4f}; ratio {mse / control:.3f} "
          f"(the grader asks for below {ref.MSE_RATIO_AT_MOST} on test images)")
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
        result["mse"], result["control"] = ref.errors(pair, xs, xt, latent_dim)
        result["ratio"] = result["mse"] / result["control"]
        result["params"] = sum(p.numel() for p in pair[1].parameters())
        return None if result["ratio"] < ref.MSE_RATIO_AT_MOST else (
            "not below PCA's error: a linear decoder cannot beat PCA; look at the activations, the widths, the "
            "output layer, and compare designs with validate_decoder on the validation split")

    ok = run_cases("decoder_training", [
        (lambda: f"the checker's encoder + your decoder trained {epochs} epochs: " + (
            f"test MSE {result['mse']:.4f} = {result['ratio']:.2f} × PCA's with {latent_dim} components "
            f"{result['control']:.4f} (the control; below {ref.MSE_RATIO_AT_MOST} ×)" if "ratio" in result
            else "test MSE"),
         trains),
    ])
    return result if ok else None
