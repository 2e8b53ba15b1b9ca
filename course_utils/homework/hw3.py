"""Homework 3 checkers: an anomaly detector fitted on normal digits only, graded on an anomaly type it never sees.

``anomalies("val", x_val)`` gives the notebook its validation anomalies (scikit-learn's 8×8 digits);
the held-out anomalies (photograph patches) are built inside the checkers only. How both are made,
the same for everyone whatever is installed: ``hw3_images``.

* ``check_candidates(fit, x_fit, x_val)``: ``fit(x_fit)`` (normal digits only) returns at least two
  candidate scores ``{name: score(x) -> (N,)}``, each one number per image, without gradients, and
  not all the same ranking;
* ``check_choice(choose, candidates, x_val, x_val_anomalous, …)``: ``choose`` picks one by name on the
  validation images; graded on held-out AUROC against held-out photograph patches;
* ``check_threshold(fn, score, x_val, …)``: ``fn(scores_val, rate)`` flags that share of the scores it is
  given, follows them, and keeps its false-alarm promise on held-out normal digits.
"""

from __future__ import annotations

import numbers

import torch

from .cases import HomeworkCheckFailed, autograding, run_cases
from .hw3_images import held_out, match_brightness, other_digits

AUROC_AT_LEAST = 0.8  # held-out AUROC of the chosen score; mean brightness (the control) is near 0.5
SPLITS = ("val",)


def _auroc(scores_normal: torch.Tensor, scores_anomalous: torch.Tensor) -> float:
    from sklearn.metrics import roc_auc_score

    labels = [0] * len(scores_normal) + [1] * len(scores_anomalous)
    return float(roc_auc_score(labels, torch.cat([scores_normal, scores_anomalous]).double().cpu().numpy()))


def anomalies(split: str, x_normal: torch.Tensor, seed: int = 0) -> tuple[torch.Tensor, str]:
    """The validation anomalies: as many as ``x_normal`` holds, each as bright as its normal digit, and their kind.

    ``split`` must be "val": the held-out anomalies are built inside the grader only.
    """
    if split not in SPLITS:
        raise ValueError(f"split={split!r}: the only split you get is 'val' (the held-out anomalies are the "
                         f"grader's, of a kind you never see)")
    x = match_brightness(other_digits(len(x_normal), seed), x_normal.detach().cpu())
    return x.to(x_normal.device), "digits of another style (scikit-learn's 8×8)"


def _score_problem(score, x) -> str | None:
    if not callable(score):
        return f"expected a function score(x), got {type(score).__name__}"
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


def _ranks(s: torch.Tensor) -> torch.Tensor:
    return s.double().argsort().argsort().double()


def check_candidates(fit, x_fit: torch.Tensor, x_val: torch.Tensor) -> dict | None:
    """hw3 task 1: ``fit(x_fit)`` → at least two valid candidate scores that rank the validation digits differently."""
    result = {}

    def fits():
        candidates = fit(x_fit)
        if not isinstance(candidates, dict) or len(candidates) < 2:
            return (f"expected a dict of at least two candidate scores {{name: score}}, got "
                    f"{type(candidates).__name__}" + (f" with {len(candidates)}" if isinstance(candidates, dict) else ""))
        for name, score in candidates.items():
            problem = _score_problem(score, x_val[:50])
            if problem:
                return f"candidate {name!r}: {problem}"
        result["candidates"] = candidates
        return None

    def different():
        if "candidates" not in result:
            return "no candidates: the step above failed"
        ranks = [_ranks(score(x_val)) for score in result["candidates"].values()]
        same = [torch.corrcoef(torch.stack([ranks[0], r]))[0, 1].item() > 0.999 for r in ranks[1:]]
        return "your candidates rank the validation digits alike: they are one score, not two" if all(same) else None

    ok = run_cases("candidates", [
        ("fit_candidates(x_fit) returns ≥ 2 scores: one finite number per image, no graph, independent of the batch",
         fits),
        ("the candidates differ (the rank correlation on validation digits of at least one pair is below 0.999)",
         different),
    ])
    return result["candidates"] if ok else None


def check_choice(choose, candidates, x_val: torch.Tensor, x_val_anomalous: torch.Tensor, *, profile,
                 seed: int = 0):
    """hw3 task 2: ``choose(candidates, x_val, x_val_anomalous)`` names a candidate; graded on held-out AUROC.

    Graded: AUROC at least ``AUROC_AT_LEAST`` and above the mean-brightness score's (the control) on
    held-out normal digits against photograph patches. Returns the chosen score (None if not attempted).
    """
    result = {}

    def chosen():
        if candidates is None:
            if autograding():
                raise HomeworkCheckFailed("finish task 1 (the candidates) first: it did not pass")
            raise NotImplementedError
        name = choose(dict(candidates), x_val, x_val_anomalous)  # a copy: a score added here is not a candidate
        if not isinstance(name, str) or name not in candidates:
            return f"expected one of the names {sorted(candidates)}, got {name!r}"
        result["name"], result["score"] = name, candidates[name]
        return None

    def separates():
        if "score" not in result:
            return "no choice: the step above failed"
        x_normal, x_anomalous = held_out(profile, seed, x_val.device)
        score = result["score"]
        result["auroc"] = _auroc(score(x_normal), score(x_anomalous))
        brightness = lambda x: x.flatten(1).mean(1)
        result["control"] = _auroc(brightness(x_normal), brightness(x_anomalous))
        if result["auroc"] < AUROC_AT_LEAST or result["auroc"] <= result["control"]:
            return (f"held-out AUROC {result['auroc']:.3f}: the score you chose does not carry over to anomalies "
                    f"of a kind you never saw; choose on what a score measures (how unlike the normal digits an "
                    f"image is), not on what separates the validation anomalies")
        return None

    ok = run_cases("choice", [
        (lambda: "choose_score names one of your candidates" + (f" ({result['name']!r})" if "name" in result else ""),
         chosen),
        (lambda: "held-out AUROC on an anomaly type you never saw" + (
            f": {result['auroc']:.3f} (at least {AUROC_AT_LEAST}; the control, mean brightness: "
            f"{result['control']:.3f})" if "auroc" in result else ""), separates),
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


def check_threshold(fn, score, x_val: torch.Tensor, *, profile, seed: int = 0, alpha: float = 0.05) -> dict | None:
    """hw3 task 3: ``fn(scores, rate)`` flags that share of ``scores``, follows them, and keeps its promise.

    Graded: the rates on random scores (within one score), the threshold following scaled and shifted
    scores, and, with the chosen score, the share of held-out normal digits flagged at the threshold
    chosen on the validation scores within [alpha / 2.5, 2 alpha]. Returns the numbers (None if not attempted).
    """
    g = torch.Generator().manual_seed(seed)
    result = {}

    def rate(n, r):
        def case():
            scores = torch.rand(n, generator=g, dtype=torch.float64) ** 3  # skewed, as reconstruction errors are
            flagged = (scores > _threshold(fn, scores, r)).double().mean().item()
            if abs(flagged - r) > 1.0 / n + 1e-9:
                return f"expected {r:.1%} (± 1/{n}) of the scores above the threshold, got {flagged:.1%}"
            return None
        return case

    def promise():
        if score is None:
            return "no score: task 2 did not pass"
        x_normal, x_anomalous = held_out(profile, seed, x_val.device)
        t = _threshold(fn, score(x_val), alpha)
        result["false_alarms"] = (score(x_normal) > t).double().mean().item()
        result["detected"] = (score(x_anomalous) > t).double().mean().item()
        lo, hi = alpha / 2.5, 2 * alpha
        if not lo <= result["false_alarms"] <= hi:
            return (f"{result['false_alarms']:.1%} of held-out normal digits are flagged, expected between "
                    f"{lo:.1%} and {hi:.1%}: choose the threshold from the validation scores for the rate asked")
        return None

    ok = run_cases("threshold", [(f"false-alarm rate {r} on {n} random scores (seed {seed})", rate(n, r))
                                 for n, r in ((1000, 0.05), (500, 0.01), (200, 0.2), (1001, 0.1))] + [
        ("the threshold follows the scores it is given (scaled and shifted)", lambda: _follows(fn, g)),
        (lambda: f"threshold for {alpha:.0%} false alarms chosen on {len(x_val):,} validation scores" + (
            f": {result['false_alarms']:.1%} of held-out normal digits flagged, {result['detected']:.1%} of "
            f"held-out anomalies detected" if "false_alarms" in result else ""), promise),
    ])
    return result if ok else None
