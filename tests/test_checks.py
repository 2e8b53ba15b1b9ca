import json
import math

import pytest
import torch

from course_utils.checks import RESULTS, ClaimFailed, check, margin


def test_passing_claim_prints_and_returns_value(capsys):
    assert check("small-error", 0.01, less_than=0.05, control=0.2, control_label="untrained") == 0.01
    out = capsys.readouterr().out
    assert out.startswith("✔ small-error: 0.01 (expected < 0.05); control, untrained: 0.2")
    assert RESULTS[-1]["passed"] is True
    assert RESULTS[-1]["kind"] == "empirical" and RESULTS[-1]["control_fails_bound"] is True


def test_failing_claim_says_what_was_expected_and_measured():
    with pytest.raises(ClaimFailed, match=r"✘ big-gain: 1.5 \(expected > 2 and ≤ 10\)"):
        check("big-gain", 1.5, greater_than=2, at_most=10, control=0.0)
    assert RESULTS[-1]["passed"] is False


def test_empirical_claim_needs_a_control_that_fails_the_bound():
    with pytest.raises(TypeError, match="negative control"):
        check("no-control", 0.01, less_than=0.05)
    with pytest.raises(ClaimFailed, match="control passes the bound too"):
        check("weak-control", 0.01, less_than=0.05, control=0.02, control_label="baseline")
    assert RESULTS[-1]["passed"] is False
    with pytest.raises(TypeError, match="identity check takes no control"):
        check("both", 1e-9, less_than=1e-5, identity=True, control=1.0)


def test_identity_tensors_booleans_and_nan():
    assert check("tensor-value", torch.tensor(3.0), at_least=3, identity=True) == 3.0
    assert RESULTS[-1]["kind"] == "identity" and RESULTS[-1]["control"] is None
    assert check("bool-claim", True, identity=True) is True
    with pytest.raises(ClaimFailed):
        check("bool-claim", False, identity=True)
    with pytest.raises(ClaimFailed):
        check("nan-claim", math.nan, less_than=1, control=2.0)
    with pytest.raises(TypeError, match="give a bound"):
        check("no-bound", 0.5, identity=True)


def test_record_only_mode_records_and_goes_on(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_CHECKS_RECORD_ONLY", "1")
    assert check("fails-quietly", 5.0, less_than=2, control=9.0) == 5.0
    assert RESULTS[-1]["passed"] is False
    assert "✘ fails-quietly" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_CHECKS_RECORD_ONLY", "0")
    with pytest.raises(ClaimFailed):
        check("fails-loudly", 5.0, less_than=2, control=9.0)


def test_margin_is_relative_to_the_bound():
    check("m1", 0.6, less_than=0.8, control=1.0)
    assert margin(RESULTS[-1]) == pytest.approx(0.25)
    check("m2", 30, at_least=8, at_most=40, control=1)
    assert margin(RESULTS[-1]) == pytest.approx(0.25)  # min((30-8)/8, (40-30)/40)
    check("m3", 0.5, greater_than=0, control=-1.0)
    assert margin(RESULTS[-1]) == pytest.approx(0.5)  # absolute for a zero bound
    check("m4", True, identity=True)
    assert margin(RESULTS[-1]) is None


def test_results_are_appended_to_the_course_run_file(tmp_path, monkeypatch):
    path = tmp_path / "checks.jsonl"
    monkeypatch.setenv("COURSE_CHECKS_FILE", str(path))
    check("a", 1, less_than=2, detail="baseline 3", control=3)
    with pytest.raises(ClaimFailed):
        check("b", 5, less_than=2, control=6)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["name"], r["passed"], r["bound"]) for r in rows] == [("a", True, "< 2"), ("b", False, "< 2")]
    assert rows[0]["detail"] == "baseline 3" and rows[0]["control"] == 3 and rows[0]["bounds"] == {"<": 2}
