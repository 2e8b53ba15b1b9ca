"""Claims a notebook asserts: ``check(name, value, ...)`` prints ✔ or raises ``ClaimFailed`` (all notebooks).

Each result is kept in ``RESULTS`` and, when env ``COURSE_CHECKS_FILE`` names a file (the course
run sets it), appended there as one JSON line, so ``build/summary.md`` can list every claim.
The homework checkers (``homework_checks``) share the machinery at the end: ``run_cases`` prints
one ✔/✘ line per case, ``compare`` describes how a tensor differs from a reference, ``forbid``
blocks a call the task asks students to write by hand.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

RESULTS: list[dict] = []


class ClaimFailed(AssertionError):
    """A lecture claim that the measurement did not support."""


def format_value(v) -> str:
    """A measured value as the summaries print it: 4 significant digits, thousands separators."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v == 0 or 1e-3 <= abs(v) < 1e5:
            return f"{v:.4g}"
        return f"{v:.3e}"
    return str(v)


_OPS = {"<": lambda v, b: v < b, ">": lambda v, b: v > b, "≤": lambda v, b: v <= b,
        "≥": lambda v, b: v >= b, "==": lambda v, b: v == b}


def _holds(value, bounds: dict) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return all(_OPS[op](value, b) for op, b in bounds.items())


def _plain(value):
    if hasattr(value, "item"):
        value = value.item()
    return value


def record_only() -> bool:
    """True when env ``COURSE_CHECKS_RECORD_ONLY=1``: failed claims are recorded, not raised (the sweep)."""
    return os.environ.get("COURSE_CHECKS_RECORD_ONLY", "") not in ("", "0")


def check(name: str, value, *, less_than=None, greater_than=None, at_most=None, at_least=None,
          detail: str = "", control=None, control_label: str = "", identity: bool = False):
    """Assert a measured ``value`` against bounds; print ``✔ name: value (bound)``; return ``value``.

    Give one or more of ``less_than``, ``greater_than``, ``at_most``, ``at_least``. With no bound a
    boolean value must be True. ``detail`` is printed after the result (e.g. the baseline measured).

    Two kinds of claim:

    * ``identity=True``: a formula equals a reference (to ~1e-5); it may hold by construction.
    * otherwise an *empirical* claim, an outcome of training or data. It must come with its
      **negative control**: ``control`` is the same measurement on a case where the claim is false
      (an untrained model, PCA's basis, shuffled codes, a non-learned baseline), named by
      ``control_label``. The control must land on the other side of the bound, or the check could
      not have failed and ``ClaimFailed`` is raised.

    With env ``COURSE_CHECKS_RECORD_ONLY=1`` (the robustness sweep) a failed claim is recorded and
    printed with ✘ but not raised, so that every later claim is still measured.
    """
    value = _plain(value)
    bounds = {"<": less_than, ">": greater_than, "≤": at_most, "≥": at_least}
    bounds = {op: _plain(b) for op, b in bounds.items() if b is not None}
    if not bounds:
        if not isinstance(value, bool):
            raise TypeError(f"check({name!r}): give a bound (less_than=, greater_than=, at_most=, "
                            f"at_least=) or a boolean value")
        bounds = {"==": True}
    if identity and control is not None:
        raise TypeError(f"check({name!r}): an identity check takes no control")
    if not identity and control is None:
        raise TypeError(f"check({name!r}): an empirical claim needs its negative control: pass control= "
                        f"(the same measurement where the claim is false) and control_label=, or "
                        f"identity=True for a formula checked against a reference")
    control = _plain(control)
    ok = _holds(value, bounds)
    control_ok = None if control is None else not _holds(control, bounds)  # the control must fail the bound
    bound_text = " and ".join(f"{op} {format_value(b)}" for op, b in bounds.items())
    record = {"name": name, "value": value if isinstance(value, bool | int | float) else str(value),
              "bound": bound_text, "bounds": {op: b for op, b in bounds.items() if not isinstance(b, bool)},
              "passed": bool(ok and control_ok is not False), "detail": detail,
              "kind": "identity" if identity else "empirical",
              "control": control if isinstance(control, bool | int | float | None) else str(control),
              "control_label": control_label, "control_fails_bound": control_ok}
    RESULTS.append(record)
    path = os.environ.get("COURSE_CHECKS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    line = f"{name}: {format_value(value)} (expected {bound_text})"
    if control is not None:
        line += f"; control, {control_label or 'negative control'}: {format_value(control)}"
    line += f" — {detail}" if detail else ""
    if not ok:
        problem = f"✘ {line}: the measurement does not support the claim"
    elif control_ok is False:
        problem = f"✘ {line}: the negative control passes the bound too, so the check cannot discriminate"
    else:
        print(f"✔ {line}")
        return value
    if record_only():
        print(problem + " (recorded; COURSE_CHECKS_RECORD_ONLY is set)")
        return value
    raise ClaimFailed(problem)


def margin(record: dict) -> float | None:
    """How far a recorded value is inside its bounds (negative: outside), relative to the bound's size.

    For ``v < b`` it is ``(b - v) / |b|`` (``b - v`` when ``b == 0``), the smallest over the record's
    bounds; None for boolean claims.
    """
    value = record["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not record.get("bounds"):
        return None
    out = []
    for op, b in record["bounds"].items():
        scale = abs(b) or 1.0
        out.append(((b - value) if op in ("<", "≤") else (value - b)) / scale)
    return min(out)


# ---------------------------------------------------------------- homework checks
# The machinery behind the checkers in ``homework_checks`` (the homework notebooks call those).

class HomeworkCheckFailed(AssertionError):
    """At least one check of a homework task failed (the ✘ lines above say which)."""


class ForbiddenCall(RuntimeError):
    """The student's function called something the task asks to build by hand."""


def run_cases(task: str, cases) -> bool | None:
    """Run ``(label, case)`` pairs; ``case()`` returns None if fine, else what went wrong."""
    total = failed = 0
    for label, case in cases:
        total += 1
        try:
            problem = case()
        except NotImplementedError:
            if total == 1:
                print(f"○ {task}: not attempted yet — replace `raise NotImplementedError()` with your "
                      f"code, then run this cell again")
                return None
            problem = "your function raised NotImplementedError"
        except ForbiddenCall as e:
            problem = str(e)
        except Exception as e:  # the student's code failed: say how, without a traceback wall
            first = (str(e).strip().splitlines() or [""])[0][:200]
            problem = f"your function raised {type(e).__name__}: {first}"
        label = label() if callable(label) else label
        if problem:
            failed += 1
            print(f"✘ {label}: {problem}")
        else:
            print(f"✔ {label}")
    if failed:
        raise HomeworkCheckFailed(f"{task}: {failed} of {total} checks failed (see the ✘ lines above)")
    return True


def compare(got, expected: torch.Tensor, rtol=1e-4, atol=1e-6) -> str | None:
    """None if the tensor ``got`` matches ``expected`` (shape and values), else a one-line description."""
    import torch

    if not isinstance(got, torch.Tensor):
        return f"expected a tensor, got {type(got).__name__}"
    got = got.detach().cpu().to(expected.dtype)
    if got.numel() == 1 and expected.numel() == 1:
        got = got.reshape(expected.shape)
    if got.shape != expected.shape:
        return f"expected shape {tuple(expected.shape)}, got {tuple(got.shape)}"
    if not torch.isfinite(got).all():
        return "the result contains NaN or infinite values"
    excess = (got - expected).abs() - (atol + rtol * expected.abs())
    if (excess <= 0).all():
        return None
    if expected.numel() == 1:
        return f"expected {format_value(expected.item())}, got {format_value(got.item())}"
    at = tuple(int(i) for i in torch.unravel_index(excess.argmax(), expected.shape))
    wrong = int((excess > 0).sum())
    return (f"{wrong} of {expected.numel()} entries differ, e.g. at {at}: expected "
            f"{format_value(expected[at].item())}, got {format_value(got[at].item())}")


@contextlib.contextmanager
def forbid(what: str, hint: str, targets):
    """Make each ``(owner, attribute)`` in ``targets`` raise ForbiddenCall while inside the block."""
    from unittest import mock

    def refuse(*args, **kwargs):
        raise ForbiddenCall(f"your function calls {what}; {hint}")

    with contextlib.ExitStack() as stack:
        for owner, name in targets:
            stack.enter_context(mock.patch.object(owner, name, refuse))
        yield
