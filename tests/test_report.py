"""The claims report on records (no kernel): aggregation over runs, the one table, summary and sweep pages."""

import pytest

from course_utils.tooling.report import (
    aggregate,
    claims_table,
    robustness_markdown,
    run_claims_table,
    summary_markdown,
)


def cells(table: str, name: str) -> list[str]:
    """The cells of the row of claim ``name`` in a Markdown table."""
    row = next(line for line in table.splitlines() if line.startswith(f"| `{name}` |"))
    return [c.strip() for c in row.strip("|").split(" | ")]


def header(table: str) -> list[str]:
    return [c.strip() for c in table.splitlines()[0].strip("|").split(" | ")]


@pytest.fixture
def sweep_runs(record):
    """Two seeds × two data sets; the claim fails for seed 1; fashion_mnist seed 1 stops before ``after``."""
    runs = []
    for dataset in ("mnist", "fashion_mnist"):
        for seed in (0, 1):
            value = 0.5 + 0.3 * seed + (0.05 if dataset == "fashion_mnist" else 0)
            bound = 0.8 if dataset == "mnist" else 0.9  # a bound set per data set
            checks = [record("seedy", value, less_than=bound, control=1.0, control_label="untrained")]
            stopped = dataset == "fashion_mnist" and seed == 1
            if not stopped:
                checks.append(record("after", 1e-9, less_than=1e-5, identity=True))
            runs.append({"notebook": "07_x", "dataset": dataset, "seed": seed, "checks": checks, "seconds": 10 + seed,
                         "status": "failed" if stopped else "passed", "error": "cell 3: boom" if stopped else None})
    return runs


def test_aggregate_collects_every_run_per_claim(sweep_runs):
    seedy, after = aggregate(sweep_runs)
    assert seedy["values"] == {"mnist/0": 0.5, "mnist/1": pytest.approx(0.8), "fashion_mnist/0": 0.55,
                               "fashion_mnist/1": pytest.approx(0.85)}
    assert seedy["passed"] == {"mnist/0": True, "mnist/1": False, "fashion_mnist/0": True, "fashion_mnist/1": True}
    assert seedy["bounds"] == [[["less_than", 0.8]], [["less_than", 0.9]]]
    assert not seedy["all_passed"] and seedy["worst_margin"] == pytest.approx((0.8 - 0.8) / 0.8, abs=1e-9)
    assert after["missing"] == ["fashion_mnist/1"] and not after["all_passed"] and after["kind"] == "identity"


def test_one_table_for_a_sweep(sweep_runs):
    tags = ["mnist/0", "mnist/1", "fashion_mnist/0", "fashion_mnist/1"]
    table = claims_table(aggregate(sweep_runs), tags)
    assert header(table)[3:7] == ["mnist/0", "mnist/1", "fashion/0", "fashion/1"]
    seedy = cells(table, "seedy")
    assert seedy[1:3] == ["empirical", "< 0.8 / < 0.9"]
    assert seedy[3:7] == ["0.5", "✘ 0.8", "0.55", "0.85"]  # the failed run is marked
    assert seedy[7] == "1 (untrained)" and seedy[-1] == "✘ **no**"
    after = cells(table, "after")
    assert after[1] == "identity" and "identity" in after[7] and after[-1] == "✘ **no**"  # missing in one run
    assert table.index("`seedy`") < table.index("`after`")  # empirical claims first


def test_single_run_table_labels_identities_and_escapes_pipes(record):
    run = {"notebook": "01_x", "checks": [record("id |x|", 1e-7, less_than=1e-5, identity=True),
                                          record("learned", 0.1, less_than=0.5, control=0.9, control_label="untrained")]}
    table = run_claims_table(run)
    assert header(table) == ["claim", "kind", "bound", "value", "control", "margin", "pass"]
    assert table.index("`learned`") < table.index("`id \\|x\\|`")
    learned = cells(table, "learned")
    assert learned == ["`learned`", "empirical", "< 0.5", "0.1", "0.9 (untrained)", "+0.8", "✔"]
    assert "identity: a formula against its reference" in table
    assert run_claims_table({"notebook": "x", "checks": []}) == "No claim was checked."


def test_summary_and_robustness_pages(sweep_runs, record):
    summary = {"profile": "quick", "dataset": "mixed", "total_seconds": 3.0, "notebooks": [
        {"notebook": "01_a", "status": "passed", "seconds": 1.0, "error": None, "date": "D1", "profile": "quick",
         "dataset": "mnist", "checks": [record("a", 1, less_than=2, control=3)]},
        {"notebook": "02_b", "status": "failed", "seconds": 2.0, "error": "cell 4: ClaimFailed", "date": "D2",
         "profile": "quick", "dataset": "fashion_mnist", "checks": [record("b", 5, less_than=2, control=6)]}]}
    md = summary_markdown(summary)
    assert "| 01_a | ✔ passed | 1.0 | 1/1 | D1 · quick · mnist |" in md
    assert "| 02_b | ✘ failed | 2.0 | 0/1 | D2 · quick · fashion_mnist |" in md
    assert "✘ **failed** at cell 4: ClaimFailed" in md and cells(md, "b")[-1] == "✘ **no**"
    result = {"profile": "quick", "seeds": [0, 1], "datasets": ["mnist", "fashion_mnist"], "runs": sweep_runs,
              "claims": aggregate(sweep_runs)}
    md = robustness_markdown(result)
    assert "4 runs, 3 ran to the end; 0 of 2 claims pass in every run." in md
    assert "- ✘ fashion_mnist seed 1 stopped at cell 3: boom" in md and "Time per run: 10–11 s" in md
