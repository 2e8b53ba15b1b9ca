import json
import math

import pytest
import torch

from course_utils.checks import RESULTS, ClaimFailed, check


def test_passing_claim_prints_and_returns_value(capsys):
    assert check("small-error", 0.01, less_than=0.05) == 0.01
    out = capsys.readouterr().out
    assert out.startswith("✔ small-error: 0.01 (expected < 0.05)")
    assert RESULTS[-1]["passed"] is True


def test_failing_claim_says_what_was_expected_and_measured():
    with pytest.raises(ClaimFailed, match=r"✘ big-gain: 1.5 \(expected > 2 and ≤ 10\)"):
        check("big-gain", 1.5, greater_than=2, at_most=10)
    assert RESULTS[-1]["passed"] is False


def test_tensors_booleans_and_nan():
    assert check("tensor-value", torch.tensor(3.0), at_least=3) == 3.0
    assert check("bool-claim", True) is True
    with pytest.raises(ClaimFailed):
        check("bool-claim", False)
    with pytest.raises(ClaimFailed):
        check("nan-claim", math.nan, less_than=1)
    with pytest.raises(TypeError, match="give a bound"):
        check("no-bound", 0.5)


def test_results_are_appended_to_the_course_run_file(tmp_path, monkeypatch):
    path = tmp_path / "checks.jsonl"
    monkeypatch.setenv("COURSE_CHECKS_FILE", str(path))
    check("a", 1, less_than=2, detail="baseline 3")
    with pytest.raises(ClaimFailed):
        check("b", 5, less_than=2)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(r["name"], r["passed"], r["bound"]) for r in rows] == [("a", True, "< 2"), ("b", False, "< 2")]
    assert rows[0]["detail"] == "baseline 3"
