"""Homework 1 checkers: a random-projection contractive penalty, an objective, and a λ the grader retrains with.

* ``check_projected_penalty(fn)``: ``fn(encoder, x, probes)`` is Hutchinson's estimate of the mean
  ‖∂f(x_n)/∂x_n‖²_F from the probe vectors given (``probes[k, n]`` for sample n), exact for those
  probes, and can be trained through;
* ``check_contractive_objective(fn, x)``: ``fn(model, x, lam) -> (loss, parts)`` is MSE + λ·(an
  unbiased estimate of the penalty) and, run through a short training by the checker, contracts the encoder;
* ``check_contractive_choice(choose, objective, make_model, …)``: the checker retrains ``make_model()``
  with the student's objective and returned λ on its own seed and data, next to a plain autoencoder,
  and grades on held-out images a Jacobian norm divided by the codes' variance (rescaling the code
  layer changes both alike) and the reconstruction error, printing no held-out number.

References come from ``torch.func`` (``hw1_reference``); the student's code runs under ``forbid``, which
blocks the Jacobian shortcuts of ``torch`` and ``course_utils``.
"""

from __future__ import annotations

import copy
import numbers

import torch
import torch.nn.functional as F

from .cases import compare, fit, forbid, run_cases
from .hw1_reference import TinyAE, jacobian_sq_norm, projected_reference, spread_normalised_jacobian

JAC_RATIO_AT_MOST = 0.75  # Jacobian norm / code variance, relative to the plain autoencoder's (control: 1): a quarter less contraction, set apart from the solution's values (0.54 at seed 0)
MSE_RATIO_AT_MOST = 1.10  # held-out MSE relative to the plain autoencoder's


def _blocked():
    import torch.autograd.functional
    import torch.func

    from .. import losses, metrics

    return forbid("compute vector-Jacobian products with torch.autograd.grad",
                  [(torch.autograd.functional, "torch.autograd.functional"), (torch.func, "torch.func"),
                   (torch._functorch, "torch.func"), (metrics.jacobian_frobenius, "course_utils.metrics.jacobian_frobenius"),
                   (losses.contractive_penalty, "course_utils.losses.contractive_penalty"),
                   (losses.contractive_objective, "course_utils.losses.contractive_objective")])


def _penalty_call(fn, *args):
    try:
        with _blocked():
            return fn(*args)
    except RuntimeError as e:
        if "backward through the graph a second time" not in str(e):
            raise
        raise RuntimeError("the second call to torch.autograd.grad found the graph freed: keep it with "
                           "create_graph=True (a penalty you train with needs it anyway)") from None


def check_projected_penalty(fn, seed: int = 0) -> bool | None:
    """hw1 task 1: ``fn(encoder, x, probes)`` against ``torch.func``: values for given probes, the scaled basis, gradients."""
    g = torch.Generator().manual_seed(seed)
    weight = (torch.randn(5, 12, generator=g, dtype=torch.float64) / 12**0.5).requires_grad_(True)
    bias = (0.1 * torch.randn(5, generator=g, dtype=torch.float64)).requires_grad_(True)
    layer = lambda inp: torch.tanh(inp @ weight.T + bias)
    x = torch.rand(7, 12, generator=g, dtype=torch.float64)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        deep = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 16), torch.nn.Tanh(),
                                   torch.nn.Linear(16, 16), torch.nn.Softplus(), torch.nn.Linear(16, 3)).double()
    images = torch.rand(4, 1, 8, 8, generator=g, dtype=torch.float64)
    gauss = lambda k, n, m: torch.randn(k, n, m, generator=g, dtype=torch.float64)

    def value(encoder, inp, probes):
        return lambda: compare(_penalty_call(fn, encoder, inp.clone(), probes.clone()),
                               projected_reference(encoder, inp, probes))

    basis = (5**0.5 * torch.eye(5, dtype=torch.float64))[:, None].expand(5, 7, 5)  # probe k = √m e_k for every sample

    def exact_with_basis():
        got = _penalty_call(fn, layer, x.clone(), basis.clone())
        return compare(got, jacobian_sq_norm(layer, x).mean())

    def trains():
        probes = gauss(2, 7, 5)
        out = _penalty_call(fn, layer, x, probes)
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            return ("the estimate is not connected to the encoder's weights, so training cannot reduce it: pass "
                    "create_graph=True to torch.autograd.grad (no .detach(), .item() or torch.no_grad())")
        (got,) = torch.autograd.grad(out, weight, allow_unused=True)
        if got is None or not got.abs().sum() > 0:
            return "the estimate's gradient with respect to the encoder's weights is zero: pass create_graph=True"
        inp = x.detach().requires_grad_(True)
        ref = torch.stack([torch.autograd.grad((layer(inp) * v).sum(), inp, create_graph=True)[0] for v in probes])
        (expected,) = torch.autograd.grad(ref.pow(2).sum() / (2 * 7), weight)
        problem = compare(got, expected)
        return problem and f"gradient with respect to the weights: {problem}"

    def leaves_input_alone():
        inp = images.clone()
        _penalty_call(fn, deep, inp, gauss(3, 4, 3))
        return None if inp.grad is None and not inp.requires_grad else \
            "your function changed the caller's x (work on x.detach().requires_grad_(True))"

    return run_cases("projected_penalty", [
        (f"a tanh layer 12 → 5, batch of 7, one Gaussian probe per sample (seed {seed})", value(layer, x, gauss(1, 7, 5))),
        ("the same layer, 3 probes per sample: the mean over probes and samples", value(layer, x, gauss(3, 7, 5))),
        ("a deeper encoder (tanh, softplus) on 4 images of shape (1, 8, 8), 2 probes", value(deep, images, gauss(2, 4, 3))),
        ("probes √m·e_1 … √m·e_m: the estimate is exactly the mean ‖J‖²_F", exact_with_basis),
        ("gradient with respect to the encoder's weights (what training uses)", trains),
        ("the caller's x keeps requires_grad=False", leaves_input_alone),
    ])


def _objective(fn):
    def call(model, xb, lam):
        out = _penalty_call(fn, model, xb, lam)
        if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
            raise TypeError(f"expected (loss, parts) with parts a dict, got {type(out).__name__}")
        return out[0]
    return call


def _objective_cases(fn, start, xb, lam, seed):
    objective = _objective(fn)

    def plain_mse():
        model = copy.deepcopy(start)
        return compare(objective(model, xb, 0.0), F.mse_loss(model(xb), xb).detach(), rtol=1e-3)

    def unbiased():
        model = copy.deepcopy(start)
        mse = F.mse_loss(model(xb), xb).item()
        exact = jacobian_sq_norm(model.encode, xb).mean().item()
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            got = sum((objective(model, xb, lam).item() - mse) / lam for _ in range(40)) / 40
        if abs(got - exact) > 0.15 * exact:
            return (f"(loss − MSE) / λ averages {got:.4g} over 40 calls; the mean ‖J‖²_F is {exact:.4g}: the "
                    f"penalty must be an unbiased estimate of it (Gaussian probes, your task-1 function)")
        return None

    def reaches_encoder():
        model, plain = copy.deepcopy(start), copy.deepcopy(start)
        loss = objective(model, xb, lam)
        if not isinstance(loss, torch.Tensor) or not loss.requires_grad:
            return "the loss is not connected to the model by autograd"
        grads = torch.autograd.grad(loss, list(model.encoder.parameters()), allow_unused=True)
        ref = torch.autograd.grad(F.mse_loss(plain(xb), xb), list(plain.encoder.parameters()))
        if all(a is None or torch.allclose(a, b, rtol=1e-4, atol=1e-7) for a, b in zip(grads, ref)):
            return ("the penalty adds nothing to the encoder's gradient: it is cut from autograd "
                    "(create_graph=True missing, or .detach()/no_grad)")
        return None

    return [("λ = 0: the loss is the mean squared reconstruction error", plain_mse),
            (f"λ = {lam}: (loss − MSE)/λ averages to the mean ‖J‖²_F over 40 calls (within 15 %)", unbiased),
            ("the penalty's gradient reaches the encoder", reaches_encoder)]


def check_contractive_objective(fn, x: torch.Tensor, seed: int = 0, lam: float = 0.05) -> bool | None:
    """hw1 task 2: ``fn(model, x, lam) -> (loss, parts)``; trained with by the checker, it must contract."""
    x8 = F.avg_pool2d(x[:512].detach().cpu().float(), 3, 3)[..., :8, :8].contiguous()  # (N, 1, 8, 8): small, fast
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        start = TinyAE()
    result = {}

    def contracts():
        kw = dict(epochs=18, lr=3e-3, batch_size=64, seed=seed)
        plain = fit(copy.deepcopy(start), lambda m, xb: F.mse_loss(m(xb), xb), x8, **kw)
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            cae = fit(copy.deepcopy(start), lambda m, xb: _objective(fn)(m, xb, lam), x8, **kw)
        ratio = (jacobian_sq_norm(cae.encode, x8).mean() / jacobian_sq_norm(plain.encode, x8).mean()).item()
        result["ratio"] = ratio
        return None if ratio <= 0.5 else (f"after the same short training the encoder's Jacobian norm is "
                                           f"{ratio:.2f} × the plain autoencoder's (expected at most 0.5): "
                                           f"the penalty does not make the encoder contract")

    return run_cases("contractive_objective", _objective_cases(fn, start, x8[:32], lam, seed) + [
        (lambda: "a short training with your objective contracts the encoder" +
         (f" (Jacobian norm {result['ratio']:.3g} × plain)" if "ratio" in result else ""), contracts)])


def check_contractive_choice(choose, objective, make_model, x_fit: torch.Tensor, x_val: torch.Tensor, *,
                             epochs: int, lr: float, batch_size: int, profile, seed: int = 0) -> dict | None:
    """hw1 task 3: ``choose(x_fit, x_val) -> lam``; the checker retrains with ``objective`` and that λ, then grades.

    The checker trains ``make_model()`` twice on its own copy of the training images with its own seed
    (``seed + 1``): plain MSE (the control, ratio 1) and ``objective`` at the returned λ. Graded on
    held-out test images it loads itself: the spread-normalised Jacobian ratio at most ``JAC_RATIO_AT_MOST``
    and the MSE ratio at most ``MSE_RATIO_AT_MOST``; only pass or fail is printed.
    """
    from ..data import load_dataset

    result = {}

    def chosen():
        with _blocked():
            lam = choose(x_fit, x_val)
        if isinstance(lam, torch.Tensor) and lam.numel() == 1:
            lam = lam.item()
        if not isinstance(lam, numbers.Real) or isinstance(lam, bool) or not lam > 0:
            return f"expected λ as a positive number, got {lam!r}"
        result["lam"] = float(lam)
        return None

    def retrained():
        if "lam" not in result:
            return "no λ: the step above failed"
        data = load_dataset("mnist", profile, verbose=False)
        device = x_fit.device
        x_train, x_test = data.x_train.to(device), data.x_test.to(device)
        models = {}
        for name, loss in (("plain", lambda m, xb: F.mse_loss(m(xb), xb)),
                           ("yours", lambda m, xb: _objective(objective)(m, xb, result["lam"]))):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed + 1)
                models[name] = fit(make_model().to(device), loss, x_train, epochs=epochs, lr=lr,
                                    batch_size=batch_size, seed=seed + 1)
        with torch.no_grad():
            mse = {k: F.mse_loss(m(x_test), x_test).item() for k, m in models.items()}
        jac = {k: spread_normalised_jacobian(m, x_test) for k, m in models.items()}
        result["jac_ratio"], result["mse_ratio"] = jac["yours"] / jac["plain"], mse["yours"] / mse["plain"]
        return None

    def within(key, bound, advice):
        def case():
            if key not in result:
                return "not measured: the step above failed"
            return None if result[key] <= bound else advice
        return case

    ok = run_cases("contractive_choice", [
        (lambda: "choose_lambda returns a positive λ" + (f" (λ = {result['lam']:g})" if "lam" in result else ""),
         chosen),
        ("the checker retrains the architecture with your objective and λ, and a plain one (its seed, its data)",
         retrained),
        (f"held-out Jacobian norm / code variance at most {JAC_RATIO_AT_MOST} × the plain autoencoder's",
         within("jac_ratio", JAC_RATIO_AT_MOST, "the encoder does not contract enough once the code's scale is "
                "factored out: λ is too small; choose a larger one on validation")),
        (f"held-out reconstruction MSE at most {MSE_RATIO_AT_MOST} × the plain autoencoder's",
         within("mse_ratio", MSE_RATIO_AT_MOST, "reconstruction suffers: λ is too large; choose a smaller one "
                "on validation")),
    ])
    return result if ok else None
