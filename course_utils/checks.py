"""Claims a notebook asserts: ``check(name, value, ...)`` prints ✔ or raises ``ClaimFailed`` (all notebooks).

Each result is kept in ``RESULTS`` and, when env ``COURSE_CHECKS_FILE`` names a file (the course
run sets it), appended there as one JSON line, so ``build/summary.md`` can list every claim.
"""

from __future__ import annotations

import json
import math
import os

RESULTS: list[dict] = []


class ClaimFailed(AssertionError):
    """A lecture claim that the measurement did not support."""


def _fmt(v) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v == 0 or 1e-3 <= abs(v) < 1e5:
            return f"{v:.4g}"
        return f"{v:.3e}"
    return str(v)


def check(name: str, value, *, less_than=None, greater_than=None, at_most=None, at_least=None,
          detail: str = ""):
    """Assert a measured ``value`` against bounds; print ``✔ name: value (bound)``; return ``value``.

    Give one or more of ``less_than``, ``greater_than``, ``at_most``, ``at_least``. With no bound a
    boolean value must be True. ``detail`` is printed after the result (e.g. the baseline measured).
    """
    if hasattr(value, "item"):
        value = value.item()
    bounds = {"<": less_than, ">": greater_than, "≤": at_most, "≥": at_least}
    bounds = {op: b for op, b in bounds.items() if b is not None}
    if not bounds:
        if not isinstance(value, bool):
            raise TypeError(f"check({name!r}): give a bound (less_than=, greater_than=, at_most=, "
                            f"at_least=) or a boolean value")
        bounds = {"==": True}
    if isinstance(value, float) and math.isnan(value):
        ok = False
    else:
        tests = {"<": lambda b: value < b, ">": lambda b: value > b, "≤": lambda b: value <= b,
                 "≥": lambda b: value >= b, "==": lambda b: value == b}
        ok = all(tests[op](b) for op, b in bounds.items())
    bound_text = " and ".join(f"{op} {_fmt(b)}" for op, b in bounds.items())
    record = {"name": name, "value": value if isinstance(value, bool | int | float) else str(value),
              "bound": bound_text, "passed": bool(ok), "detail": detail}
    RESULTS.append(record)
    path = os.environ.get("COURSE_CHECKS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
    line = f"{name}: {_fmt(value)} (expected {bound_text})" + (f" — {detail}" if detail else "")
    if not ok:
        raise ClaimFailed(f"✘ {line}: the measurement does not support the claim")
    print(f"✔ {line}")
    return value
