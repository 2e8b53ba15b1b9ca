"""The robustness sweep on a throw-away notebook: every (dataset, seed) run, record-only checks, the table."""

import json

import pytest
from test_run import write_nb

from course_utils.__main__ import main
from course_utils.sweep import combine, parse_seeds


def test_parse_seeds():
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("3") == [3]
    assert parse_seeds("0,2, 2,5-6") == [0, 2, 5, 6]
    for bad in ["4-2", "a", "-1", "", "1-"]:
        with pytest.raises(ValueError, match="expected a range like 0-4"):
            parse_seeds(bad)


def test_sweep_records_every_claim_of_every_run_even_after_a_failure(tmp_path, capsys):
    # the claim holds for seed 0 and fails for seed 1; the identity check after it must still be recorded
    nb = write_nb(
        tmp_path / "07_seedy.ipynb",
        "from course_utils.checks import check\n"
        "value = 0.5 + 0.3 * SEED + (0.05 if DATASET == 'fashion_mnist' else 0)\n"
        "check('seedy-claim', value, less_than=0.8, control=1.0, control_label='untrained')\n"
        "check('later-claim', 1e-9, less_than=1e-5, identity=True)",
    )
    out = tmp_path / "build"
    assert main(["sweep", str(nb), "--seeds", "0-1", "--out", str(out), "--profile", "quick"]) == 1
    assert "NOT ROBUST 07_seedy seedy-claim" in capsys.readouterr().err
    data = json.loads((out / "robustness.json").read_text())
    assert len(data["runs"]) == 4 and {r["status"] for r in data["runs"]} == {"passed"}
    seedy, later = data["claims"]
    assert seedy["values"] == {"mnist/0": 0.5, "mnist/1": pytest.approx(0.8), "fashion_mnist/0": 0.55,
                               "fashion_mnist/1": pytest.approx(0.85)}
    assert seedy["passed"] == {"mnist/0": True, "mnist/1": False, "fashion_mnist/0": True, "fashion_mnist/1": False}
    assert not seedy["all_passed"] and seedy["worst_margin"] == pytest.approx((0.8 - 0.85) / 0.8)
    assert later["all_passed"] and later["kind"] == "identity" and len(later["values"]) == 4
    md = (out / "robustness.md").read_text()
    assert "1 of 2 claims pass in every run" in md
    assert "| `seedy-claim` | empirical | < 0.8 | 0.5 | ✘ 0.8 | 0.55 | ✘ 0.85 | 1 (untrained) | -0.06 | ✘ |" in md

    # combining two sweeps gives the same claims as one
    assert combine([out, out / "robustness.json"], out=tmp_path / "both")["claims"][0]["values"] == seedy["values"]
    with pytest.raises(FileNotFoundError, match="no robustness.json"):
        combine([tmp_path / "nowhere"], out=tmp_path / "x")


def test_a_run_that_stops_is_reported_and_its_claims_marked_missing(tmp_path, capsys):
    nb = write_nb(tmp_path / "08_crash.ipynb",
                  "from course_utils.checks import check\n"
                  "check('before', 1.0, less_than=2, control=3.0)\n"
                  "if DATASET == 'fashion_mnist':\n    raise RuntimeError('no such data')\n"
                  "check('after', 1.0, less_than=2, control=3.0)")
    out = tmp_path / "build"
    assert main(["sweep", str(nb), "--seeds", "0", "--out", str(out)]) == 1
    assert "STOPPED 08_crash fashion_mnist seed 0: cell" in capsys.readouterr().err
    claims = {c["name"]: c for c in json.loads((out / "robustness.json").read_text())["claims"]}
    assert claims["before"]["all_passed"] and claims["after"]["missing"] == ["fashion_mnist/0"]
    assert not claims["after"]["all_passed"]
