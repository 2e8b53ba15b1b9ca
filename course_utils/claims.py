"""A claim record: its schema, whether it holds, how it is written, its margin, and how it travels.

``checks.check(...)`` makes one record per claim and publishes it as a display output of MIME type
``application/vnd.course-claim+json`` (with the printed ✔/✘ line as its text); the course run and
the sweep read the records back from the executed notebook (``records_in``). The tooling renders
them (``course_utils.tooling.report``). A record is a plain JSON object:

``name``, ``kind`` ("empirical" or "identity"), ``value`` (bool, int, float or text), ``bounds``
(a list of ``[op, bound]`` with ``op`` one of ``OPS``, e.g. ``[["less_than", 0.5]]``), ``passed``,
``detail``, ``control`` and ``control_label`` (the negative control of an empirical claim, else
None and ""), ``control_fails_bound`` (True when the control lands outside the bound, as it must).
"""

from __future__ import annotations

import math
import operator

MIME = "application/vnd.course-claim+json"

# op: (symbol as written, test). The names are check()'s keywords; "equals" is a boolean claim's bound.
OPS = {"less_than": ("<", operator.lt), "greater_than": (">", operator.gt), "at_most": ("≤", operator.le),
       "at_least": ("≥", operator.ge), "equals": ("=", operator.eq)}


def format_value(v) -> str:
    """A measured value as the summaries print it: 4 significant digits, thousands separators; — for None."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v == 0 or 1e-3 <= abs(v) < 1e5 or math.isnan(v):
            return f"{v:.4g}"
        return f"{v:.3e}"
    return str(v)


def plain_value(v):
    """A tensor or NumPy scalar as a Python number; other values unchanged."""
    return v.item() if hasattr(v, "item") else v


def _json(v):
    return v if v is None or isinstance(v, bool | int | float) else str(v)


def holds(value, bounds) -> bool:
    """True when ``value`` meets every ``[op, bound]`` (never for NaN)."""
    if isinstance(value, float) and math.isnan(value):
        return False
    return all(OPS[op][1](value, b) for op, b in bounds)


def bound_text(bounds) -> str:
    """``[["at_least", 8], ["at_most", 40]]`` → ``"≥ 8 and ≤ 40"``."""
    return " and ".join(f"{OPS[op][0]} {format_value(b)}" for op, b in bounds)


def make_record(name: str, value, bounds, *, identity: bool = False, control=None, control_label: str = "",
                detail: str = "") -> dict:
    """The record of a claim: ``bounds`` as ``[[op, bound], ...]``; ``passed`` needs the control to fail them."""
    unknown = [op for op, _ in bounds if op not in OPS]
    if unknown or not bounds:
        raise ValueError(f"claim {name!r}: bounds must be [op, bound] pairs with op in {', '.join(OPS)}")
    value, control = plain_value(value), plain_value(control)
    bounds = [[op, plain_value(b)] for op, b in bounds]
    control_fails = None if control is None else not holds(control, bounds)
    return {"name": name, "kind": "identity" if identity else "empirical", "value": _json(value), "bounds": bounds,
            "passed": bool(holds(value, bounds) and control_fails is not False), "detail": detail,
            "control": _json(control), "control_label": control_label, "control_fails_bound": control_fails}


def describe(record: dict) -> str:
    """``name: value (expected bound); control, label: c — detail``: the line a check prints."""
    line = f"{record['name']}: {format_value(record['value'])} (expected {bound_text(record['bounds'])})"
    if record.get("control") is not None:
        line += f"; control, {record.get('control_label') or 'negative control'}: {format_value(record['control'])}"
    return line + (f" — {record['detail']}" if record.get("detail") else "")


def margin(record: dict) -> float | None:
    """How far a recorded value is inside its bounds (negative: outside), relative to the bound's size.

    For ``v < b`` it is ``(b - v) / |b|`` (``b - v`` when ``b == 0``), the smallest over the record's
    bounds; None for boolean or text claims.
    """
    value = record["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    out = [((b - value) if op in ("less_than", "at_most") else (value - b)) / (abs(b) or 1.0)
           for op, b in record["bounds"] if op != "equals" and not isinstance(b, bool)]
    return min(out) if out else None


def records_in(nb) -> list[dict]:
    """Every claim record published in an executed notebook (an ``nbformat`` node), in order."""
    return [dict(out["data"][MIME]) for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if MIME in out.get("data", {})]
