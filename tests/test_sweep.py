"""The robustness sweep: seeds, the command line and combining on records; one record-only run in a kernel."""

import json

import nbformat
import pytest

from course_utils.__main__ import _parser, main
from course_utils.tooling.report import aggregate
from course_utils.tooling.run import RECORD_ONLY_TAG
from course_utils.tooling.sweep import combine, parse_seeds, write_report


def test_parse_seeds():
    assert parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert parse_seeds("3") == [3]
    assert parse_seeds("0,2, 2,5-6") == [0, 2, 5, 6]
    for bad in ["4-2", "a", "-1", "", "1-"]:
        with pytest.raises(ValueError, match="expected a range like 0-4"):
            parse_seeds(bad)


def test_dataset_option_does_not_swallow_the_notebooks():
    args = _parser().parse_args(["sweep", "--seeds", "0-4", "--dataset", "mnist", "05_regularized_autoencoders"])
    assert args.datasets == ["mnist"] and args.notebooks == ["05_regularized_autoencoders"]
    args = _parser().parse_args(["sweep", "--dataset", "mnist", "--dataset", "fashion_mnist", "a", "b"])
    assert args.datasets == ["mnist", "fashion_mnist"] and args.notebooks == ["a", "b"]
    assert _parser().parse_args(["sweep"]).datasets is None  # all data sets


def _sweep(notebook, seeds, record, value):
    runs = [{"notebook": notebook, "dataset": "mnist", "seed": s, "status": "passed", "seconds": 1.0, "error": None,
             "checks": [record("c", value(s), less_than=0.8, control=1.0)]} for s in seeds]
    return {"profile": "quick", "seeds": seeds, "datasets": ["mnist"], "notebooks": [notebook], "runs": runs,
            "claims": aggregate(runs)}


def test_combining_sweeps_gives_the_claims_of_one(tmp_path, record):
    write_report(_sweep("05_a", [0, 1], record, lambda s: 0.5 + 0.2 * s), tmp_path / "a")
    write_report(_sweep("06_b", [0, 1], record, lambda s: 0.9), tmp_path / "b")
    both = combine([tmp_path / "a", tmp_path / "b" / "robustness.json"], out=tmp_path / "both")
    assert [(c["notebook"], c["all_passed"]) for c in both["claims"]] == [("05_a", True), ("06_b", False)]
    assert both["seeds"] == [0, 1] and both["notebooks"] == ["05_a", "06_b"]
    assert "1 of 2 claims pass in every run" in (tmp_path / "both" / "robustness.md").read_text()
    with pytest.raises(FileNotFoundError, match="no robustness.json"):
        combine([tmp_path / "nowhere"], out=tmp_path / "x")
    assert main(["sweep", "--combine", str(tmp_path / "a"), "--out", str(tmp_path / "c")]) == 0


@pytest.mark.kernel
def test_sweep_runs_record_only_and_records_the_claims_after_a_failure(tmp_path, write_nb, capsys):
    nb = write_nb(tmp_path / "07_seedy.ipynb",
                  "from course_utils.checks import check\n"
                  "check('seedy-claim', 0.5 + 0.3 * SEED, less_than=0.8, control=1.0, control_label='untrained')\n"
                  "check('later-claim', 1e-9, less_than=1e-5, identity=True)")
    out = tmp_path / "build"
    assert main(["sweep", str(nb), "--seeds", "0-1", "--dataset", "mnist", "--out", str(out), "--profile", "quick",
                 "--keep-notebooks"]) == 1
    assert "NOT ROBUST 07_seedy seedy-claim" in capsys.readouterr().err
    data = json.loads((out / "robustness.json").read_text())
    assert {r["status"] for r in data["runs"]} == {"passed"}
    seedy, later = data["claims"]
    assert seedy["passed"] == {"mnist/0": True, "mnist/1": False}
    assert later["values"] == {"mnist/0": 1e-9, "mnist/1": 1e-9}  # measured after the failed claim
    executed = nbformat.read(out / "sweep" / "07_seedy-mnist-1.ipynb", as_version=4)
    assert RECORD_ONLY_TAG in executed.cells[0].metadata["tags"]  # how it ran is visible in the notebook
    assert not (tmp_path / "07_seedy.ipynb").read_text().count("record_failures")  # the source is untouched
