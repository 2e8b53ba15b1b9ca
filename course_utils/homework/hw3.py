"""Homework 3 checkers: an anomaly detector whose score and threshold the student chooses.

The student sees normal training digits, normal validation digits and a few validation anomalies;
the held-out test images (normal digits and anomalies) are loaded here, inside the checker, and
never handed to the notebook.

* ``check_anomaly_score(fit, …)``: ``fit(x_fit, x_val, x_val_anomalous)`` returns the student's
  ``score(x) -> (N,)``; graded on its held-out AUROC, against a score that ignores any model (mean
  brightness, the negative control);
* ``check_threshold(fn)``: ``fn(scores_val, false_alarm_rate)`` returns a threshold that flags that
  share of the scores it is given, and follows them (a threshold fixed in advance, or tuned on other
  data, does not);
* ``check_false_alarms(score, fn, x_val, …)``: the threshold chosen on validation scores flags about
  the promised share of held-out normal digits.
"""

from __future__ import annotations

import numbers

import torch

from .cases import HomeworkCheckFailed, autograding, run_cases

AUROC_AT_LEAST = 0.9
SQUARE = 8  # side of the white square pasted into a digit when Fashion-MNIST is not installed


def _auroc(scores_normal: torch.Tensor, scores_anomalous: torch.Tensor) -> float:
    from sklearn.metrics import roc_auc_score

    labels = [0] * len(scores_normal) + [1] * len(scores_anomalous)
    return float(roc_auc_score(labels, torch.cat([scores_normal, scores_anomalous]).double().cpu().numpy()))


def paste_squares(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Copies of the images x with a white SQUARE×SQUARE square pasted at a random place in each."""
    n, _, height, width = x.shape
    top = torch.randint(0, height - SQUARE + 1, (n, 1, 1), generator=generator)
    left = torch.randint(0, width - SQUARE + 1, (n, 1, 1), generator=generator)
    r, c = torch.arange(height).view(1, -1, 1), torch.arange(width).view(1, 1, -1)
    inside = (r >= top) & (r < top + SQUARE) & (c >= left) & (c < left + SQUARE)
    return torch.where(inside[:, None].to(x.device), torch.ones_like(x), x)


def anomalies(split: str, x_normal: torch.Tensor, profile, seed: int = 0) -> tuple[torch.Tensor, str]:
    """As many anomalies as ``x_normal`` holds for ``split`` ("val" or "test") and their kind.

    Fashion-MNIST images (its training images for "val", its test images for "test") when the data
    set is installed, else the digits ``x_normal`` with a white square pasted in (a sensor defect).
    """
    from ..data import load_fashion_mnist

    try:
        fashion = load_fashion_mnist(profile.n_train, profile.n_test, seed=seed, verbose=False)
        pool = fashion.x_train if split == "val" else fashion.x_test
        return pool[: len(x_normal)].to(x_normal.device), "fashion_mnist"
    except FileNotFoundError:
        g = torch.Generator().manual_seed(seed + (0 if split == "val" else 1))
        return paste_squares(x_normal, g), "corrupted"


def held_out(profile, seed: int, device) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The checker's test images: normal MNIST test digits and as many anomalies."""
    from ..data import load_dataset

    x_normal = load_dataset("mnist", profile, verbose=False).x_test.to(device)
    x_anomalous, kind = anomalies("test", x_normal, profile, seed)
    return x_normal, x_anomalous, kind


def _score_problem(score, x) -> str | None:
    out = score(x)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != (len(x),):
        return f"expected a tensor of shape ({len(x)},), got {tuple(getattr(out, 'shape', ())) or type(out).__name__}"
    if out.requires_grad:
        return "the scores keep an autograd graph: compute them under torch.no_grad() (or torch.inference_mode())"
    if not torch.isfinite(out).all():
        return "the scores contain NaN or infinite values"
    part = score(x[:7])
    if not isinstance(part, torch.Tensor) or not torch.allclose(part, out[:7], rtol=1e-4, atol=1e-6):
        return "an image's score depends on the rest of the batch: score each image on its own"
    return None


def check_anomaly_score(fit, x_fit: torch.Tensor, x_val: torch.Tensor, x_val_anomalous: torch.Tensor, *,
                        profile, seed: int = 0):
    """hw3 task 1: the score that ``fit(x_fit, x_val, x_val_anomalous)`` returns, graded on held-out images.

    Graded: AUROC at least ``AUROC_AT_LEAST`` and above the mean-brightness score's (the control).
    Returns the score function (None if not attempted yet).
    """
    result = {}

    def fits():
        score = fit(x_fit, x_val, x_val_anomalous)
        if not callable(score):
            return f"expected fit_detector to return a function score(x), got {type(score).__name__}"
        result["score"] = score
        return _score_problem(score, x_val[:50])

    def separates():
        if "score" not in result:
            return "no score: the step above failed"
        x_normal, x_anomalous, result["kind"] = held_out(profile, seed, x_fit.device)
        score = result["score"]
        result["auroc"] = _auroc(score(x_normal), score(x_anomalous))
        brightness = lambda x: x.flatten(1).mean(1)
        result["control"] = _auroc(brightness(x_normal), brightness(x_anomalous))
        if result["auroc"] < AUROC_AT_LEAST:
            return "the score does not separate held-out anomalies well enough: compare candidates on validation"
        if result["auroc"] <= result["control"]:
            return "no better than mean brightness, a score that ignores the data it was fitted on"
        return None

    ok = run_cases("anomaly_score", [
        ("fit_detector returns score(x): one finite number per image, no graph, independent of the batch", fits),
        (lambda: "held-out AUROC" + (f" {result['auroc']:.4f} on {result['kind']} anomalies (at least "
                                     f"{AUROC_AT_LEAST}; the control, mean brightness: {result['control']:.4f})"
                                     if "auroc" in result else ""), separates),
    ])
    return result["score"] if ok else None


def _threshold(fn, scores, rate):
    t = fn(scores.clone(), rate)
    if isinstance(t, torch.Tensor) and t.numel() == 1:
        t = t.item()
    if not isinstance(t, numbers.Real) or isinstance(t, bool):
        raise TypeError(f"expected the threshold as a number, got {type(t).__name__}")
    return float(t)


def _follows(fn, g) -> str | None:
    """None if the threshold moves with the scores it is given (scaled by 10 and shifted)."""
    scores = torch.rand(800, generator=g, dtype=torch.float64) ** 2
    t = _threshold(fn, scores, 0.05)
    t2 = _threshold(fn, 1e-3 + 10.0 * scores, 0.05)
    if abs(t2 - (1e-3 + 10.0 * t)) > 1e-3 * max(1.0, abs(t2)) + 10 * (scores.max() - scores.min()).item() / 800:
        return (f"on the same scores × 10 (+ 0.001) the threshold went from {t:.4g} to {t2:.4g}, not "
                f"{1e-3 + 10 * t:.4g}: compute it from the scores you are given (validation only), "
                f"not from numbers fixed in advance or from other data")
    return None


def check_threshold(fn, seed: int = 0) -> bool | None:
    """hw3 task 2: ``fn(scores, rate)`` flags (score > threshold) that share of ``scores``, and follows them."""
    g = torch.Generator().manual_seed(seed)

    def rate(n, r):
        def case():
            scores = torch.rand(n, generator=g, dtype=torch.float64) ** 3  # skewed, as reconstruction errors are
            t = _threshold(fn, scores, r)
            flagged = (scores > t).double().mean().item()
            if abs(flagged - r) > 1.0 / n + 1e-9:
                return f"expected {r:.1%} (± 1/{n}) of the scores above the threshold, got {flagged:.1%}"
            return None
        return case

    return run_cases("threshold", [(f"false-alarm rate {r} on {n} random scores (seed {seed})", rate(n, r))
                                   for n, r in ((1000, 0.05), (500, 0.01), (200, 0.2), (1001, 0.1))]
                     + [("the threshold follows the scores it is given (scaled and shifted)", lambda: _follows(fn, g))])


def check_false_alarms(score, fn, x_val: torch.Tensor, *, profile, seed: int = 0, alpha: float = 0.05) -> dict | None:
    """hw3 task 3: the threshold chosen on the validation scores, applied to held-out normal digits.

    Graded: the share of held-out normal digits flagged lies within [alpha / 2.5, 2 alpha]. Also
    reports the detection rate on held-out anomalies. Returns the numbers (None if not attempted).
    """
    result = {}

    def chosen():
        if score is None:
            if autograding():
                raise HomeworkCheckFailed("finish task 1 (the score) first: it did not pass")
            raise NotImplementedError
        problem = _follows(fn, torch.Generator().manual_seed(seed))
        if problem:
            return problem
        x_normal, x_anomalous, result["kind"] = held_out(profile, seed, x_val.device)
        result["threshold"] = t = _threshold(fn, score(x_val), alpha)
        result["false_alarms"] = (score(x_normal) > t).double().mean().item()
        result["detected"] = (score(x_anomalous) > t).double().mean().item()
        lo, hi = alpha / 2.5, 2 * alpha
        if not lo <= result["false_alarms"] <= hi:
            return (f"{result['false_alarms']:.1%} of held-out normal digits are flagged, expected between "
                    f"{lo:.1%} and {hi:.1%}: choose the threshold from the validation scores for the rate asked")
        return None

    ok = run_cases("false_alarms", [
        (lambda: f"threshold for {alpha:.0%} false alarms chosen on {len(x_val):,} validation scores" + (
            f": {result['false_alarms']:.1%} of held-out normal digits flagged, {result['detected']:.1%} of "
            f"{result['kind']} anomalies detected" if "false_alarms" in result else ""), chosen),
    ])
    return result if ok else None
