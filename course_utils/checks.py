"""Claims a notebook asserts: ``check(name, value, ...)`` shows ✔ or raises ``ClaimFailed`` (all notebooks).

Each claim becomes a record (``course_utils.claims``) that ``check`` publishes in the notebook's
output beside its ✔ line, so the course run and the sweep read every claim from the executed
notebook. The homework's graders live apart, in ``course_utils.homework``.
"""

from __future__ import annotations

import sys

from .claims import MIME, describe, format_value, holds, make_record, margin, plain_value  # noqa: F401  (format_value, margin: old home)

_record_only = False


class ClaimFailed(AssertionError):
    """A lecture claim that the measurement did not support."""


def record_failures(on: bool = True) -> None:
    """Record failed claims (✘) and go on instead of raising: the robustness sweep runs this first."""
    global _record_only
    _record_only = bool(on)


def _publish(record: dict, text: str) -> None:
    """Show ``text``; under IPython (a notebook's kernel) as a display output that also carries the record."""
    if "IPython" not in sys.modules or not _interactive_shell():
        print(text)
        return
    from IPython.display import display

    display({"text/plain": text, MIME: record}, raw=True)


def _interactive_shell() -> bool:
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.initialized()


def check(name: str, value, *, less_than=None, greater_than=None, at_most=None, at_least=None,
          detail: str = "", control=None, control_label: str = "", identity: bool = False,
          record_only: bool | None = None):
    """Assert a measured ``value`` against bounds; show ``✔ name: value (bound)``; return ``value``.

    Give one or more of ``less_than``, ``greater_than``, ``at_most``, ``at_least``. With no bound a
    boolean value must be True. ``detail`` is printed after the result (e.g. the baseline measured).

    Two kinds of claim:

    * ``identity=True``: a formula equals a reference (to ~1e-5); it may hold by construction.
    * otherwise an *empirical* claim, an outcome of training or data. It must come with its
      **negative control**: ``control`` is the same measurement on a case where the claim is false
      (an untrained model, PCA's basis, shuffled codes, a non-learned baseline), named by
      ``control_label``. The control must land on the other side of the bound, or the check could
      not have failed and ``ClaimFailed`` is raised.

    ``record_only=True`` (default: as set by ``record_failures()``, which the robustness sweep calls)
    shows a failed claim with ✘ and returns instead of raising, so that every later claim is measured.
    """
    given = (("less_than", less_than), ("greater_than", greater_than), ("at_most", at_most), ("at_least", at_least))
    bounds = [[op, b] for op, b in given if b is not None]
    if not bounds:
        if not isinstance(value, bool):
            raise TypeError(f"check({name!r}): give a bound (less_than=, greater_than=, at_most=, "
                            f"at_least=) or a boolean value")
        bounds = [["equals", True]]
    if identity and control is not None:
        raise TypeError(f"check({name!r}): an identity check takes no control")
    if not identity and control is None:
        raise TypeError(f"check({name!r}): an empirical claim needs its negative control: pass control= "
                        f"(the same measurement where the claim is false) and control_label=, or "
                        f"identity=True for a formula checked against a reference")
    record = make_record(name, value, bounds, identity=identity, control=control, control_label=control_label,
                         detail=detail)
    value = plain_value(value)
    if record["passed"]:
        _publish(record, f"✔ {describe(record)}")
        return value
    why = ("the measurement does not support the claim" if not holds(record["value"], record["bounds"])
           else "the negative control passes the bound too, so the check cannot discriminate")
    problem = f"✘ {describe(record)}: {why}"
    if record_only if record_only is not None else _record_only:
        _publish(record, problem + " (recorded: record-only mode)")
        return value
    _publish(record, problem)
    raise ClaimFailed(problem)

