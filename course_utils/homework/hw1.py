"""Homework 1 checkers: the contractive autoencoder's penalty and objective, written and trained with.

* ``check_jacobian_penalty(fn)``: ``fn(encoder, x)`` is the batch mean of ‖∂f(x_n)/∂x_n‖²_F and can be
  trained through (its gradient with respect to the encoder's weights is right);
* ``check_contractive_objective(fn, x)``: ``fn(model, x, lam) -> (loss, parts)`` is MSE + λ·penalty and,
  run through a short training by the checker, makes the encoder contract;
* ``check_contractive_choice(model, make_model, …)``: the student's chosen λ reaches the graded
  trade-off on test images, measured against a plain autoencoder that the checker trains itself.

The references are computed here by other routes (``torch.func.jacrev``, the closed form of a tanh
layer); the student's code runs under ``forbid``, which blocks the Jacobian shortcuts of ``torch`` and
``course_utils``.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from .cases import compare, forbid, run_cases

JAC_RATIO_AT_MOST = 0.25  # the student's encoder Jacobian, relative to the plain autoencoder's
MSE_RATIO_AT_MOST = 1.10  # the student's test MSE, relative to the plain autoencoder's


def _blocked():
    import torch.autograd.functional
    import torch.func

    from .. import losses, metrics

    return forbid("compute the Jacobian with torch.autograd.grad, one code unit at a time",
                  [(torch.autograd.functional, "torch.autograd.functional"), (torch.func, "torch.func"),
                   (torch._functorch, "torch.func"), (metrics.jacobian_frobenius, "course_utils.metrics.jacobian_frobenius"),
                   (losses.contractive_penalty, "course_utils.losses.contractive_penalty"),
                   (losses.contractive_objective, "course_utils.losses.contractive_objective"),
                   (losses.contractive_objective(1.0), "course_utils.losses.contractive_objective")])


def jacobian_sq_norm(encoder, x: torch.Tensor) -> torch.Tensor:
    """The checker's reference: per-sample ‖∂f(x_n)/∂x_n‖²_F by ``torch.func`` (no graph kept), shape (N,)."""
    from torch.func import jacrev, vmap

    with torch.no_grad():
        jac = vmap(jacrev(lambda xi: encoder(xi[None])[0]))(x.detach())
    return jac.flatten(1).pow(2).sum(1)


def _tanh_layer(n_in, n_out, g, dtype=torch.float64):
    weight = (torch.randn(n_out, n_in, generator=g, dtype=dtype) / n_in**0.5).requires_grad_(True)
    bias = (0.1 * torch.randn(n_out, generator=g, dtype=dtype)).requires_grad_(True)
    return weight, bias


def check_jacobian_penalty(fn, seed: int = 0) -> bool | None:
    """hw1 task 1: ``fn(encoder, x)`` against ``torch.func`` and a tanh layer's closed form, values and gradients."""
    g = torch.Generator().manual_seed(seed)
    weight, bias = _tanh_layer(12, 5, g)
    x = torch.rand(7, 12, generator=g, dtype=torch.float64)
    layer = lambda inp: torch.tanh(inp @ weight.T + bias)
    closed_form = lambda: ((1 - layer(x) ** 2) ** 2 @ (weight**2).sum(1)).mean()  # tanh' = 1 - tanh²
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        deep = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 16), torch.nn.Tanh(),
                                   torch.nn.Linear(16, 16), torch.nn.Softplus(), torch.nn.Linear(16, 3)).double()
    images = torch.rand(4, 1, 8, 8, generator=g, dtype=torch.float64)

    def penalty(encoder, inp):
        try:
            with _blocked():
                return fn(encoder, inp.clone())
        except RuntimeError as e:
            if "backward through the graph a second time" not in str(e):
                raise
            raise RuntimeError("the second call to torch.autograd.grad found the graph freed: keep it with "
                               "create_graph=True (a penalty you train with needs it anyway; it retains the graph)"
                               ) from None

    def value(encoder, inp):
        return lambda: compare(penalty(encoder, inp), jacobian_sq_norm(encoder, inp).mean())

    def trains():
        out = penalty(layer, x)
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            return ("the penalty is not connected to the encoder's weights, so training cannot reduce it: "
                    "pass create_graph=True to torch.autograd.grad (and do not use .detach(), .item() or "
                    "torch.no_grad() on the way)")
        (got,) = torch.autograd.grad(out, weight, allow_unused=True)
        if got is None or not got.abs().sum() > 0:
            return "the penalty's gradient with respect to the encoder's weights is zero: pass create_graph=True"
        (expected,) = torch.autograd.grad(closed_form(), weight)
        problem = compare(got, expected)
        return problem and f"gradient with respect to the weights: {problem}"

    def leaves_input_alone():
        inp = images.clone()
        penalty(deep, inp)
        return None if inp.grad is None and not inp.requires_grad else \
            "your function changed the caller's x (work on x.detach().requires_grad_(True))"

    return run_cases("jacobian_penalty", [
        (f"a tanh layer 12 → 5, batch of 7 (seed {seed})", value(layer, x)),
        ("a deeper encoder (tanh, softplus) on 4 images of shape (1, 8, 8)", value(deep, images)),
        ("one sample: the mean over a batch of one", value(deep, images[:1])),
        ("gradient with respect to the encoder's weights (what training uses)", trains),
        ("the caller's x keeps requires_grad=False", leaves_input_alone),
    ])


class _TinyAE(torch.nn.Module):
    def __init__(self, n=64, hidden=32, m=4):
        super().__init__()
        self.encoder = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(n, hidden), torch.nn.Tanh(),
                                           torch.nn.Linear(hidden, m))
        self.decoder = torch.nn.Sequential(torch.nn.Linear(m, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, n),
                                           torch.nn.Sigmoid())

    def encode(self, x):
        return self.encoder(x)

    def forward(self, x):
        return self.decoder(self.encode(x)).view_as(x)


def _fit(model, loss_fn, x, steps, lr, batch, g):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        xb = x[torch.randint(0, len(x), (batch,), generator=g)]
        loss = loss_fn(model, xb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model.eval()


def check_contractive_objective(fn, x: torch.Tensor, seed: int = 0, lam: float = 0.05) -> bool | None:
    """hw1 task 2: ``fn(model, x, lam) -> (loss, parts)``; trained with by the checker, it must contract."""
    x8 = F.avg_pool2d(x[:512].detach().cpu().float(), 3, 3, padding=0)  # (N, 1, 9, 9) → small and fast
    x8 = x8[..., :8, :8].contiguous()
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        start = _TinyAE()

    def objective(model, xb, lam_):
        with _blocked():
            out = fn(model, xb, lam_)
        if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
            raise TypeError(f"expected (loss, parts) with parts a dict, got {type(out).__name__}")
        return out[0]

    def value(lam_):
        def case():
            model, xb = copy.deepcopy(start), x8[:32]
            expected = F.mse_loss(model(xb), xb) + lam_ * jacobian_sq_norm(model.encode, xb).mean()
            return compare(objective(model, xb, lam_), expected.detach(), rtol=1e-3)
        return case

    def reaches_encoder():
        model = copy.deepcopy(start)
        loss = objective(model, x8[:32], lam)
        if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
            return "the loss is not connected to the model by autograd"
        plain = copy.deepcopy(start)
        grads = torch.autograd.grad(loss, list(model.encoder.parameters()), allow_unused=True)
        ref = torch.autograd.grad(F.mse_loss(plain(x8[:32]), x8[:32]), list(plain.encoder.parameters()))
        if all(a is None or torch.allclose(a, b, rtol=1e-4, atol=1e-7) for a, b in zip(grads, ref)):
            return ("the penalty adds nothing to the encoder's gradient: it is cut from autograd "
                    "(create_graph=True missing, or .detach()/no_grad)")
        return None

    result = {}

    def contracts():
        steps, lr, batch = 150, 3e-3, 64
        plain = _fit(copy.deepcopy(start), lambda m, xb: F.mse_loss(m(xb), xb), x8, steps, lr, batch,
                     torch.Generator().manual_seed(seed))
        cae = _fit(copy.deepcopy(start), lambda m, xb: objective(m, xb, lam), x8, steps, lr, batch,
                   torch.Generator().manual_seed(seed))
        ratio = (jacobian_sq_norm(cae.encode, x8).mean() / jacobian_sq_norm(plain.encode, x8).mean()).item()
        result["ratio"] = ratio
        return None if ratio <= 0.5 else (f"after the same short training the encoder's Jacobian norm is "
                                           f"{ratio:.2f} × the plain autoencoder's (expected at most 0.5): "
                                           f"the penalty does not make the encoder contract")

    return run_cases("contractive_objective", [
        ("λ = 0: the loss is the mean squared reconstruction error", value(0.0)),
        (f"λ = {lam}: MSE + λ · mean squared Jacobian norm of model.encode", value(lam)),
        ("the penalty's gradient reaches the encoder", reaches_encoder),
        (lambda: "a short training with your objective contracts the encoder" +
         (f" (Jacobian norm {result['ratio']:.2f} × plain)" if "ratio" in result else ""), contracts),
    ])


def check_contractive_choice(choose, make_model, x_fit: torch.Tensor, x_val: torch.Tensor, x_test: torch.Tensor,
                             *, epochs: int, lr: float, batch_size: int, seed: int = 0) -> dict | None:
    """hw1 task 3: ``choose(x_fit, x_val) -> (lam, model)``, graded on test images the student never sees.

    The checker trains a plain autoencoder (``make_model()``, plain MSE, the same epochs) itself, the
    negative control at ratio 1. Graded: the chosen model's mean squared encoder Jacobian norm at most
    ``JAC_RATIO_AT_MOST`` × the plain one's and its test MSE at most ``MSE_RATIO_AT_MOST`` × the plain
    one's. Returns the measured numbers (None if not attempted yet).
    """
    result = {}

    def measure():
        with _blocked():
            out = choose(x_fit, x_val)
        if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], torch.nn.Module)):
            return f"expected (lam, model) with model an nn.Module, got {type(out).__name__}"
        result["lam"], model = out
        device = next(model.parameters()).device
        g = torch.Generator(device=x_fit.device).manual_seed(seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            plain = make_model().to(device)
        opt = torch.optim.Adam(plain.parameters(), lr=lr)
        for _ in range(epochs):
            plain.train()
            for idx in torch.randperm(len(x_fit), generator=g, device=x_fit.device).split(batch_size):
                loss = F.mse_loss(plain(x_fit[idx]), x_fit[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        plain.eval()
        model.eval()
        for name, m in (("plain", plain), ("yours", model)):
            with torch.no_grad():
                result[f"mse_{name}"] = F.mse_loss(m(x_test), x_test).item()
            result[f"jac_{name}"] = jacobian_sq_norm(m.encode, x_test).mean().item()
        result["jac_ratio"] = result["jac_yours"] / result["jac_plain"]
        result["mse_ratio"] = result["mse_yours"] / result["mse_plain"]
        return None

    def ratio_at_most(key, bound, advice):
        def case():
            if key not in result:
                return "not measured: the step above failed"
            return None if result[key] <= bound else advice.format(ratio=result[key], bound=bound)
        return case

    contracts = ratio_at_most("jac_ratio", JAC_RATIO_AT_MOST,
                              "your encoder's Jacobian norm is {ratio:.3f} × the plain autoencoder's (at most "
                              "{bound}): λ is too small to contract the encoder; choose a larger one")
    reconstructs = ratio_at_most("mse_ratio", MSE_RATIO_AT_MOST,
                                 "your test MSE is {ratio:.3f} × the plain autoencoder's (at most {bound}): "
                                 "λ is so large that reconstruction suffers; choose a smaller one")

    ok = run_cases("contractive_choice", [
        (lambda: "your choice, and a plain autoencoder trained by the checker for comparison" + (
            f" (λ = {result['lam']}; plain: test MSE {result['mse_plain']:.4f}, Jacobian norm "
            f"{result['jac_plain']:.3f})" if "mse_plain" in result else ""), measure),
        (lambda: f"Jacobian norm ratio on test images: {result.get('jac_ratio', float('nan')):.3f} "
                 f"(at most {JAC_RATIO_AT_MOST}; the plain autoencoder, the control: 1)", contracts),
        (lambda: f"test MSE ratio: {result.get('mse_ratio', float('nan')):.3f} (at most {MSE_RATIO_AT_MOST})",
         reconstructs),
    ])
    return result if ok else None
