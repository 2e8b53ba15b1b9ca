"""The checkers that the homework notebooks call (import them from ``course_utils.homework``).

Each checker runs the student's function on fixed and random inputs, compares it with a trusted
reference (PyTorch, autograd, scikit-learn, or the course's own tested functions) and prints one
line per check: ``✔ …`` or ``✘ …`` with what was expected and what came back. A function that still
raises ``NotImplementedError`` is reported as "not attempted yet" (no error, so a fresh student
notebook runs through); any failed check raises ``HomeworkCheckFailed`` at the end. The shared
machinery (``run_cases``, ``compare``, ``forbid``) is in ``checks``.
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F

from .checks import compare, forbid, run_cases

# ---------------------------------------------------------------- hw1: regularizers

def check_kl_sparsity(fn, seed: int = 0) -> bool | None:
    """hw1: ``fn(rho, rho_hat)`` against ``course_utils.losses.kl_sparsity`` (values and gradients)."""
    from .losses import kl_sparsity

    g = torch.Generator().manual_seed(seed)
    fixed = torch.tensor([0.05, 0.01, 0.2, 0.5, 0.9])
    rand = 0.01 + 0.98 * torch.rand(64, generator=g, dtype=torch.float64)
    rho_rand = 0.02 + 0.3 * torch.rand((), generator=g, dtype=torch.float64).item()

    def value(rho, rho_hat):
        return lambda: compare(fn(rho, rho_hat.clone()), kl_sparsity(rho, rho_hat).detach())

    def gradient():
        mine = rand.clone().requires_grad_(True)
        out = fn(rho_rand, mine)
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            return "the result is not connected to rho_hat by autograd (use torch operations, no .item())"
        (got,) = torch.autograd.grad(out.sum(), mine)
        ref = rand.clone().requires_grad_(True)
        (expected,) = torch.autograd.grad(kl_sparsity(rho_rand, ref).sum(), ref)
        return compare(got, expected)

    return run_cases("kl_sparsity", [
        ("ρ = 0.05, five fixed activations ρ̂", value(0.05, fixed)),
        ("zero penalty when every ρ̂_j equals ρ", value(0.1, torch.full((8,), 0.1))),
        (f"64 random ρ̂ in (0.01, 0.99), ρ = {rho_rand:.3f} (seed {seed})", value(rho_rand, rand)),
        ("gradient with respect to ρ̂ (what training uses)", gradient),
    ])


def _sigmoid_layer(n_in, n_hidden, batch, g, dtype=torch.float32):
    weight = torch.randn(n_hidden, n_in, generator=g, dtype=dtype) / n_in**0.5
    bias = 0.1 * torch.randn(n_hidden, generator=g, dtype=dtype)
    x = torch.rand(batch, n_in, generator=g, dtype=dtype)
    return x, weight, bias, torch.sigmoid(x @ weight.T + bias)


def check_contractive_penalty(fn, seed: int = 0) -> bool | None:
    """hw1: ``fn(h, weight)`` for a sigmoid layer against ``losses.contractive_penalty`` and autograd."""
    from .losses import contractive_penalty
    from .metrics import jacobian_frobenius

    g = torch.Generator().manual_seed(seed)
    h_fixed = torch.tensor([[0.5, 0.1], [0.9, 0.3], [0.2, 0.7]])
    w_fixed = torch.tensor([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    x, weight, bias, h = _sigmoid_layer(20, 12, 16, g, torch.float64)

    def value(h, w):
        return lambda: compare(fn(h.clone(), w.clone()), contractive_penalty(h, w).detach())

    def against_autograd():
        encoder = lambda inp: torch.sigmoid(inp @ weight.T + bias)
        expected = torch.as_tensor(jacobian_frobenius(encoder, x), dtype=torch.float64)
        return compare(fn(h.clone(), weight.clone()), expected)

    def gradient():
        w = weight.clone().requires_grad_(True)
        out = fn(torch.sigmoid(x @ w.T + bias), w)
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            return "the result is not connected to the weights by autograd (use torch operations)"
        (got,) = torch.autograd.grad(out.sum(), w)
        w_ref = weight.clone().requires_grad_(True)
        (expected,) = torch.autograd.grad(contractive_penalty(torch.sigmoid(x @ w_ref.T + bias), w_ref), w_ref)
        return compare(got, expected)

    return run_cases("contractive_penalty", [
        ("three fixed codes h, a fixed 2×3 weight", value(h_fixed, w_fixed)),
        (f"random sigmoid layer 20 → 12, batch of 16 (seed {seed})", value(h, weight)),
        ("equals the squared Frobenius norm of the Jacobian from autograd", against_autograd),
        ("gradient with respect to the weights", gradient),
    ])


def check_jacobian_penalty(fn, seed: int = 0) -> bool | None:
    """hw1: ``fn(encoder, x)`` (mean ‖∂f/∂x‖²_F by autograd) against ``metrics.jacobian_frobenius``."""
    from .metrics import jacobian_frobenius
    from .models import MLPAutoencoder

    g = torch.Generator().manual_seed(seed)
    x, weight, bias, _ = _sigmoid_layer(10, 6, 5, g)
    layer = lambda inp: torch.sigmoid(inp @ weight.T + bias)
    with torch.random.fork_rng():  # seed the small networks without touching the caller's RNG
        torch.manual_seed(seed)
        mlp = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
        ae = MLPAutoencoder(latent_dim=4, hidden=(32,)).eval()
    images = torch.rand(3, 1, 28, 28, generator=g)

    def value(encoder, inp):
        return lambda: compare(fn(encoder, inp.clone()), jacobian_frobenius(encoder, inp).detach())

    return run_cases("jacobian_penalty", [
        (f"a sigmoid layer 10 → 6, batch of 5 (seed {seed})", value(layer, x)),
        ("a two-layer tanh network 10 → 16 → 3 (not a single layer)", value(mlp, x)),
        ("the encoder of an MLPAutoencoder on three 28×28 images", value(ae.encode, images)),
    ])


# ---------------------------------------------------------------- hw2: transposed convolution

def _random_settings(g, n, max_i=12, max_k=6, max_s=4):
    """Valid (i, k, s, p, output_padding) settings for a transposed convolution, drawn from ``g``."""
    out = []
    while len(out) < n:
        i, k, s = (int(torch.randint(1, m + 1, (), generator=g)) for m in (max_i, max_k, max_s))
        p = int(torch.randint(0, k, (), generator=g))
        op = int(torch.randint(0, s, (), generator=g))
        if (i - 1) * s - 2 * p + k + op >= 1:
            out.append((i, k, s, p, op))
    return out


def _pytorch_transposed(x, weight, s, p, op):
    return F.conv_transpose2d(x[None, None], weight[None, None], stride=s, padding=p, output_padding=op)[0, 0]


def check_transposed_size(fn, seed: int = 0, n_random: int = 200) -> bool | None:
    """hw2: ``fn(i, k, s, p, output_padding)`` against the output size ``nn.ConvTranspose2d`` produces."""
    g = torch.Generator().manual_seed(seed)
    fixed = [(4, 3, 1, 0, 0), (2, 3, 2, 0, 0), (7, 4, 2, 1, 0), (5, 3, 2, 1, 1), (1, 1, 1, 0, 0), (3, 5, 3, 2, 2)]

    def sizes(settings):
        def case():
            wrong, first = 0, None
            for i, k, s, p, op in settings:
                layer = torch.nn.ConvTranspose2d(1, 1, k, stride=s, padding=p, output_padding=op, bias=False)
                with torch.no_grad():
                    expected = layer(torch.zeros(1, 1, i, i)).shape[-1]
                got = fn(i, k, s, p, op)
                if not isinstance(got, numbers.Integral) or isinstance(got, bool) or got != expected:
                    wrong += 1
                    first = first or (f"i={i}, k={k}, s={s}, p={p}, output_padding={op}: expected {expected} "
                                      f"(as nn.ConvTranspose2d), got {got!r}")
            return None if not wrong else f"{wrong} of {len(settings)} wrong, e.g. {first}"
        return case

    return run_cases("transposed_output_size", [
        (f"{len(fixed)} fixed settings", sizes(fixed)),
        (f"{n_random} random settings (seed {seed})", sizes(_random_settings(g, n_random, max_i=32, max_k=7))),
    ])


def check_zero_insertion(fn, seed: int = 0, n_random: int = 40) -> bool | None:
    """hw2: ``fn(x, weight, stride, padding, output_padding)`` on (H, W) tensors against ``F.conv_transpose2d``."""
    g = torch.Generator().manual_seed(seed)
    forbidden = lambda: forbid("conv_transpose2d", "build the result from zeros and a plain convolution (F.conv2d)",
                        [(F, "conv_transpose2d"), (torch, "conv_transpose2d")])

    def one(x, weight, s=1, p=0, op=0):
        expected = _pytorch_transposed(x, weight, s, p, op)
        with forbidden():
            got = fn(x.clone(), weight.clone(), s, p, op)
        problem = compare(got, expected, rtol=1e-4, atol=1e-4)
        return problem and f"stride={s}, padding={p}, output_padding={op}, x {tuple(x.shape)}, " \
                           f"weight {tuple(weight.shape)}: {problem}"

    def randoms():
        for i, k, s, p, op in _random_settings(g, n_random, max_i=8, max_k=5, max_s=3):
            w = int(torch.randint(max(1, k - 1), k + 2, (), generator=g))  # non-square inputs too
            if (w - 1) * s - 2 * p + k + op < 1:
                continue
            problem = one(torch.randn(i, w, generator=g), torch.randn(k, k, generator=g), s, p, op)
            if problem:
                return problem
        return None

    x = torch.arange(1.0, 10.0).reshape(3, 3)
    kernel = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    return run_cases("transposed_conv_by_zero_insertion", [
        ("stride 1, no padding (3×3 input, 2×2 kernel)", lambda: one(x, kernel)),
        ("stride 2: zeros between the input pixels", lambda: one(x, kernel, s=2)),
        ("stride 2, padding 1, output_padding 1", lambda: one(x, torch.ones(3, 3), s=2, p=1, op=1)),
        ("a non-square 4×6 input with a 3×3 kernel, stride 3", lambda: one(torch.randn(4, 6, generator=g),
                                                                           torch.randn(3, 3, generator=g), s=3)),
        (f"{n_random} random settings (seed {seed})", randoms),
    ])


# ---------------------------------------------------------------- hw3: anomaly detection

def check_anomaly_score(fn, seed: int = 0) -> bool | None:
    """hw3: ``fn(model, x)`` must give each image's mean squared reconstruction error, shape (N,)."""
    from .models import MLPAutoencoder

    g = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():  # seed the small model's weights without touching the caller's RNG
        torch.manual_seed(seed)
        model = MLPAutoencoder(latent_dim=4, hidden=(32,)).eval()
    x = torch.rand(9, 1, 28, 28, generator=g)
    with torch.no_grad():
        expected = ((model(x) - x) ** 2).flatten(1).mean(1)

    def values():
        return compare(fn(model, x.clone()), expected, rtol=1e-4, atol=1e-7)

    def batch_independent():
        return compare(fn(model, x[:4].clone()), expected[:4], rtol=1e-4, atol=1e-7)

    def no_graph():
        out = fn(model, x.clone())
        return ("the scores still carry an autograd graph: compute them under torch.inference_mode() "
                "(or torch.no_grad())") if isinstance(out, torch.Tensor) and out.requires_grad else None

    return run_cases("anomaly_score", [
        (f"one score per image for 9 random images (seed {seed})", values),
        ("each image's score does not depend on the rest of the batch", batch_independent),
        ("no autograd graph kept (scoring needs no gradients)", no_graph),
    ])


def check_threshold(fn, seed: int = 0) -> bool | None:
    """hw3: ``fn(scores_normal, false_alarm_rate)`` must flag (score > threshold) that share of normal scores."""
    g = torch.Generator().manual_seed(seed)

    def rate(n, r):
        def case():
            scores = torch.rand(n, generator=g) ** 3  # skewed, as reconstruction errors are
            t = fn(scores.clone(), r)
            t = t.item() if isinstance(t, torch.Tensor) and t.numel() == 1 else t
            if not isinstance(t, numbers.Real):
                return f"expected a number, got {type(t).__name__}"
            flagged = (scores > t).float().mean().item()
            if abs(flagged - r) > 1.0 / n + 1e-9:
                return f"expected {r:.1%} (± 1/{n}) of the scores above the threshold, got {flagged:.1%}"
            return None
        return case

    return run_cases("threshold", [(f"false-alarm rate {r} on {n} random scores (seed {seed})", rate(n, r))
                              for n, r in ((1000, 0.05), (500, 0.01), (200, 0.2), (1001, 0.1))])


def check_anomaly_auroc(score_fn, model, x_normal, x_anomalous, *, at_least: float,
                        baseline: float | None = None) -> float | None:
    """hw3: AUROC of ``score_fn(model, x)`` separating ``x_anomalous`` (positives) from ``x_normal``.

    The AUROC must be at least ``at_least`` and, if given, above the ``baseline`` AUROC of a simpler
    score. Returns the AUROC (None if not attempted yet).
    """
    from sklearn.metrics import roc_auc_score

    result = {}

    def scores():
        s_norm, s_anom = score_fn(model, x_normal), score_fn(model, x_anomalous)
        for s, x in ((s_norm, x_normal), (s_anom, x_anomalous)):
            if not isinstance(s, torch.Tensor) or s.shape != (len(x),):
                return f"expected a tensor of shape ({len(x)},), got {getattr(s, 'shape', type(s).__name__)}"
        if not (torch.isfinite(s_norm).all() and torch.isfinite(s_anom).all()):
            return "the scores contain NaN or infinite values"
        labels = [0] * len(s_norm) + [1] * len(s_anom)
        result["auroc"] = float(roc_auc_score(labels, torch.cat([s_norm, s_anom]).detach().cpu().double().numpy()))
        return None

    def bound():
        if "auroc" not in result:
            return "no AUROC: the scores above are wrong"
        return None if result["auroc"] >= at_least else "too low: the score does not separate the anomalies well enough"

    def beats_baseline():
        if "auroc" not in result:
            return "no AUROC: the scores above are wrong"
        return None if result["auroc"] > baseline else f"not better than the baseline's AUROC {baseline:.4f}"

    ok = run_cases("anomaly_auroc", [
        (f"one score per image for {len(x_normal):,} normal and {len(x_anomalous):,} anomalous images", scores),
        (lambda: f"AUROC = {result['auroc']:.4f} (bound: at least {at_least})" if "auroc" in result
         else "AUROC", bound),
    ] + ([(f"better than the baseline score's AUROC {baseline:.4f}", beats_baseline)] if baseline is not None else []))
    return result["auroc"] if ok else None
