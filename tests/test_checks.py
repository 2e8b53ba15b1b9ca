"""check(): what it shows, when it raises, the record it publishes; claims: bounds, margin, records in a notebook."""

import math

import pytest
import torch
from nbformat.v4 import new_code_cell, new_notebook, new_output

from course_utils import checks
from course_utils.checks import ClaimFailed, check, record_failures
from course_utils.claims import MIME, bound_text, format_value, holds, make_record, margin, records_in


@pytest.fixture
def published(monkeypatch):
    """The (record, text) pairs check() publishes."""
    seen = []
    monkeypatch.setattr(checks, "_publish", lambda record, text: seen.append((record, text)))
    return seen


def test_passing_claim_prints_and_returns_value(capsys):
    assert check("small-error", 0.01, less_than=0.05, control=0.2, control_label="untrained") == 0.01
    assert capsys.readouterr().out == "✔ small-error: 0.01 (expected < 0.05); control, untrained: 0.2\n"


def test_the_published_record_is_plain_json_with_structured_bounds(published):
    check("gain", torch.tensor(30), at_least=8, at_most=40, control=1, control_label="PCA", detail="d = 8")
    record, text = published[-1]
    assert record == {"name": "gain", "kind": "empirical", "value": 30, "bounds": [["at_most", 40], ["at_least", 8]],
                      "passed": True, "detail": "d = 8", "control": 1, "control_label": "PCA",
                      "control_fails_bound": True}
    assert text == "✔ gain: 30 (expected ≤ 40 and ≥ 8); control, PCA: 1 — d = 8"


def test_failing_claim_says_what_was_expected_and_measured(published):
    with pytest.raises(ClaimFailed, match=r"✘ big-gain: 1.5 \(expected > 2 and ≤ 10\).*does not support"):
        check("big-gain", 1.5, greater_than=2, at_most=10, control=0.0)
    assert published[-1][0]["passed"] is False  # published before raising: the run still sees it


def test_empirical_claim_needs_a_control_that_fails_the_bound(published):
    with pytest.raises(TypeError, match="negative control"):
        check("no-control", 0.01, less_than=0.05)
    with pytest.raises(ClaimFailed, match="control passes the bound too"):
        check("weak-control", 0.01, less_than=0.05, control=0.02, control_label="baseline")
    assert published[-1][0]["passed"] is False and published[-1][0]["control_fails_bound"] is False
    with pytest.raises(TypeError, match="identity check takes no control"):
        check("both", 1e-9, less_than=1e-5, identity=True, control=1.0)


def test_identity_tensors_booleans_and_nan(published):
    assert check("tensor-value", torch.tensor(3.0), at_least=3, identity=True) == 3.0
    assert published[-1][0]["kind"] == "identity" and published[-1][0]["control"] is None
    assert check("bool-claim", True, identity=True) is True
    assert published[-1][0]["bounds"] == [["equals", True]]
    with pytest.raises(ClaimFailed):
        check("bool-claim", False, identity=True)
    with pytest.raises(ClaimFailed):
        check("nan-claim", math.nan, less_than=1, control=2.0)
    with pytest.raises(TypeError, match="give a bound"):
        check("no-bound", 0.5, identity=True)


def test_record_only_records_and_goes_on(published):
    assert check("fails-quietly", 5.0, less_than=2, control=9.0, record_only=True) == 5.0
    assert published[-1][0]["passed"] is False and "recorded" in published[-1][1]
    record_failures()
    try:
        assert check("fails-quietly-too", 5.0, less_than=2, control=9.0) == 5.0
        with pytest.raises(ClaimFailed):  # the argument wins over the module setting
            check("fails-loudly", 5.0, less_than=2, control=9.0, record_only=False)
    finally:
        record_failures(False)
    with pytest.raises(ClaimFailed):
        check("fails-loudly", 5.0, less_than=2, control=9.0)


def test_bounds_are_tested_and_written_from_their_names():
    assert holds(1, [["less_than", 2], ["greater_than", 0]]) and not holds(2, [["less_than", 2]])
    assert holds(2, [["at_most", 2]]) and not holds(math.nan, [["at_most", 2]])
    assert bound_text([["at_least", 8], ["at_most", 40]]) == "≥ 8 and ≤ 40"
    assert [format_value(v) for v in (1234567, 0.000012345, 0.5, None, True, "x")] == \
        ["1,234,567", "1.234e-05", "0.5", "—", "True", "x"]
    with pytest.raises(ValueError, match="op in"):
        make_record("bad", 1, [["<", 2]])


def test_margin_is_relative_to_the_bound(record):
    assert margin(record("m1", 0.6, less_than=0.8, control=1.0)) == pytest.approx(0.25)
    assert margin(record("m2", 30, at_least=8, at_most=40, control=1)) == pytest.approx(0.25)  # min(22/8, 10/40)
    assert margin(record("m3", 0.5, greater_than=0, control=-1.0)) == pytest.approx(0.5)  # absolute for a zero bound
    assert margin(record("m4", 0.9, less_than=0.8, control=1.0)) == pytest.approx(-0.125)  # outside: negative
    assert margin(record("m5", True, identity=True)) is None


def test_records_are_read_back_from_a_notebooks_outputs(record):
    a, b = record("a", 1, less_than=2, control=3), record("b", 1e-9, less_than=1e-5, identity=True)
    nb = new_notebook(cells=[
        new_code_cell("check(a)", outputs=[new_output("display_data", data={"text/plain": "✔ a", MIME: a})]),
        new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text="1\n")]),
        new_code_cell("check(b)", outputs=[new_output("display_data", data={"text/plain": "✔ b", MIME: b})])])
    assert records_in(nb) == [a, b]
