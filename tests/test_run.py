"""The headless course run: the summary logic on records, then one real run of throw-away notebooks (kernel)."""

import json
import os

import nbformat
import pytest

from course_utils.__main__ import main
from course_utils.tooling.run import find_notebooks, merge_results, run_course, write_summary


def result(notebook, checks, status="passed", date="2031-01-01 00:00 UTC", dataset="mnist"):
    return {"notebook": notebook, "title": notebook, "status": status, "seconds": 1.0, "figures": 0,
            "error": None if status == "passed" else "cell 2: ClaimFailed", "checks": checks, "date": date,
            "profile": "quick", "dataset": dataset}


def test_running_some_notebooks_updates_their_rows_and_keeps_the_others(tmp_path, record):
    first = [result("01_a", [record("a", 1, less_than=2, control=3)]),
             result("02_b", [record("b", 5, less_than=2, control=6)], status="failed")]
    write_summary(first, tmp_path)
    again = result("02_b", [record("b", 1, less_than=2, control=6)], date="2031-01-02 00:00 UTC", dataset="fashion_mnist")
    summary = write_summary([again], tmp_path)
    assert [r["notebook"] for r in summary["notebooks"]] == ["01_a", "02_b"]
    assert summary["notebooks"][0] == first[0] and summary["notebooks"][1] == again
    assert summary["dataset"] == "mixed" and summary["date"] == "2031-01-02 00:00 UTC"
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    md = (tmp_path / "summary.md").read_text()
    assert "| 01_a | ✔ passed |" in md and "| 02_b | ✔ passed |" in md and "✘ failed" not in md
    assert merge_results(first, []) == first


def test_an_older_summary_is_replaced_not_merged(tmp_path, record):
    (tmp_path / "summary.json").write_text(json.dumps({"notebooks": [{"notebook": "00_old"}]}))
    summary = write_summary([result("01_a", [])], tmp_path)
    assert [r["notebook"] for r in summary["notebooks"]] == ["01_a"]


@pytest.mark.kernel
def test_run_reads_claims_from_the_executed_notebooks(tmp_path, write_nb, capfd):
    good = write_nb(tmp_path / "01_good.ipynb",
                    "from course_utils.checks import check\ncheck('answer-is-42', 6 * 7, at_least=42, identity=True)\n"
                    "check('learned', 0.1, less_than=0.5, control=0.9, control_label='untrained')\n"
                    "print(PROFILE, DATASET)")
    bad = write_nb(tmp_path / "02_bad.ipynb",
                   "from course_utils.checks import check\ncheck('too-big', 3.0, less_than=1.0, control=5.0)")
    out = tmp_path / "build"
    results = run_course([good, bad], profile="quick", dataset="fashion_mnist", out=out)
    assert [r["status"] for r in results] == ["passed", "failed"]
    assert "ClaimFailed" in results[1]["error"] and "cell" in results[1]["error"]
    assert [(c["name"], c["passed"]) for r in results for c in r["checks"]] == \
        [("answer-is-42", True), ("learned", True), ("too-big", False)]
    assert results[0]["checks"][1]["control"] == 0.9 and results[0]["checks"][0]["kind"] == "identity"
    assert (out / "notebooks" / "01_good.html").exists()
    executed = nbformat.read(out / "notebooks" / "01_good.ipynb", as_version=4)
    cell = next(c for c in executed.cells if "answer-is-42" in c.source)
    shown = [o["data"]["text/plain"] for o in cell.outputs if o.output_type == "display_data"]
    assert shown == ["✔ answer-is-42: 42 (expected ≥ 42)",
                     "✔ learned: 0.1 (expected < 0.5); control, untrained: 0.9"]
    assert "quick fashion_mnist" in "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    # the command line: one notebook again updates its row; the exit status names the failure
    assert main(["run", str(bad), "--out", str(out), "--no-html", "--profile", "quick"]) == 1
    console = capfd.readouterr().err  # the kernels' own stderr too (file descriptor 2)
    assert "FAILED 02_bad: cell" in console
    if os.name == "posix":  # kernels on IPC sockets: no ipykernel warning about unencrypted TCP
        assert "without encryption" not in console
    summary = json.loads((out / "summary.json").read_text())
    assert [(r["notebook"], r["dataset"]) for r in summary["notebooks"]] == [("01_good", "fashion_mnist"),
                                                                           ("02_bad", "mnist")]


def test_bad_arguments_are_explained(tmp_path):
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        run_course(profile="huge", out=tmp_path)
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        run_course(dataset="cifar", out=tmp_path)
    with pytest.raises(FileNotFoundError, match="no notebook 'nope'; known notebooks: 01_pca"):
        find_notebooks(["nope"])
    with pytest.raises(SystemExit):
        main(["run", "--profile", "huge"])


def test_course_notebooks_are_found_by_stem():
    assert find_notebooks(["01_pca"])[0].name == "01_pca.ipynb"
    assert find_notebooks()[0].name == "01_pca.ipynb"


def test_a_run_with_a_lost_figure_or_a_warning_is_not_clean():
    import nbformat

    from course_utils.tooling.run import _unclean

    image = {"output_type": "display_data", "data": {"image/png": "iVBOR"}, "metadata": {}}
    warn = {"output_type": "stream", "name": "stderr", "text": "x.py:3: UserWarning: careful\n  warn()\n"}
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("show_images(x)"), nbformat.v4.new_code_cell("y = 1")]
    nb.cells[0].outputs = [nbformat.from_dict(image)]
    assert _unclean(nb) is None
    nb.cells[0].outputs = []
    assert _unclean(nb) == "cell 0 calls show_images but shows no image"
    nb.cells[0].outputs = [nbformat.from_dict(image)]
    nb.cells[1].outputs = [nbformat.from_dict(warn)]
    assert _unclean(nb) == "cell 1 printed to stderr: x.py:3: UserWarning: careful"


@pytest.mark.skipif(os.name != "posix", reason="IPC sockets are for POSIX")
def test_kernels_get_ipc_sockets_of_their_own():
    from course_utils.tooling.run import _kernel_manager

    manager = _kernel_manager()["kernel_manager_class"]
    a, b = manager(), manager()
    assert a.transport == b.transport == "ipc"
    assert a.ip != b.ip  # two runs started at once must not race for the same socket files
