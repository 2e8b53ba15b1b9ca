"""The headless course run on small throw-away notebooks (a real kernel, papermill and nbconvert)."""

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_utils.__main__ import main
from course_utils.run import find_notebooks, run_course


def write_nb(path, *sources):
    nb = new_notebook()
    nb.cells = [new_code_cell("PROFILE = None\nDATASET = 'mnist'")]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.cells += [new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_run_writes_notebooks_html_and_summary(tmp_path):
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
    assert (out / "notebooks" / "01_good.html").exists()
    executed = nbformat.read(out / "notebooks" / "01_good.ipynb", as_version=4)
    assert "quick fashion_mnist" in "".join(o.get("text", "") for o in executed.cells[-1].outputs)
    summary = (out / "summary.md").read_text()
    assert "| 01_good | ✔ passed |" in summary and "| 02_bad | ✘ failed |" in summary
    assert "- ✔ `answer-is-42`: 42 (expected ≥ 42)" in summary
    assert "- ✔ `learned`: 0.1 (expected < 0.5); control (untrained): 0.9" in summary
    assert summary.index("Empirical claims:") < summary.index("`learned`") < summary.index("Identity checks:") \
        < summary.index("`answer-is-42`")
    assert "- ✘ `too-big`: 3 (expected < 1)" in summary
    index = (out / "index.html").read_text()
    assert "href='notebooks/01_good.html'" in index and "✘ failed" in index and "<code>answer-is-42</code>" in index
    data = json.loads((out / "summary.json").read_text())
    assert data["profile"] == "quick" and data["notebooks"][0]["checks"][0]["value"] == 42


def test_cli_exit_code_names_the_failing_notebook(tmp_path, capsys):
    bad = write_nb(tmp_path / "bad.ipynb", "1 / 0")
    assert main(["run", str(bad), "--out", str(tmp_path / "b"), "--no-html"]) == 1
    assert "FAILED bad: cell" in capsys.readouterr().err


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
