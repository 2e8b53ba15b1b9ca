"""Homework tooling: make_student, the committed student notebooks, and the checkers themselves."""

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
import torch
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course_utils import homework as hw
from course_utils.__main__ import main
from course_utils.arithmetic import conv_transpose_output_size, transposed_conv_by_zero_insertion
from course_utils.losses import contractive_penalty, kl_sparsity
from course_utils.metrics import jacobian_frobenius, reconstruct

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((REPO / "homework" / "solutions").glob("hw*.ipynb"))
NAMES = ["hw1_regularizers.ipynb", "hw2_transposed_conv.ipynb", "hw3_anomaly_detection.ipynb"]


def write_nb(path, *cells):
    nb = new_notebook()
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    nbformat.write(nb, path)
    return path


def sources(path):
    return ["".join(c["source"]) for c in json.loads(Path(path).read_text(encoding="utf-8"))["cells"]]


# ---------------------------------------------------------------- make_student

FUNC = '''def f(x):
    """Add one."""
    ### BEGIN SOLUTION
    y = x + 1
    return y
    ### END SOLUTION

value = 3'''


def test_make_student_replaces_blocks_keeping_indentation(tmp_path):
    sol = write_nb(tmp_path / "sol.ipynb", ("md", "# Title"), ("code", FUNC),
                   ("code", "### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\nprint(answer)"))
    nb = nbformat.read(sol, as_version=4)
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    nb.cells[1].execution_count = 7
    nb.cells[1].metadata["tags"] = ["keep-me"]
    nbformat.write(nb, sol)

    out = hw.make_student(sol, tmp_path / "student.ipynb")
    got = sources(out)
    assert got[0] == "# Title"
    assert got[1] == ('def f(x):\n    """Add one."""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'
                      '\nvalue = 3')
    assert got[2] == "# YOUR CODE HERE\nraise NotImplementedError()\nprint(answer)"
    student = nbformat.read(out, as_version=4)
    nbformat.validate(student)
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert student.cells[1].metadata["tags"] == ["keep-me"] and student.cells[1].id == "cell-1"
    namespace = {}
    exec(got[1], namespace)  # the stub is valid Python and raises as promised
    with pytest.raises(NotImplementedError):
        namespace["f"](1)


def test_make_student_is_deterministic(tmp_path):
    sol = write_nb(tmp_path / "sol.ipynb", ("code", FUNC))
    a = hw.make_student(sol, tmp_path / "a.ipynb").read_bytes()
    b = hw.make_student(sol, tmp_path / "b.ipynb").read_bytes()
    assert a == b and a.endswith(b"\n")


def test_markdown_blocks_become_an_answer_placeholder(tmp_path):
    sol = write_nb(tmp_path / "sol.ipynb", ("md", "Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
                   ("code", FUNC))
    assert sources(hw.make_student(sol, tmp_path / "s.ipynb"))[0] == "Why?\n\nYOUR ANSWER HERE"


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1", "on line 1 has no matching"),
    ("x = 1\n### END SOLUTION", "on line 2 without a '### BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "cannot nest"),
    ("### BEGIN SOLUTION please\nx = 1\n### END SOLUTION", "not exactly"),
])
def test_unmatched_markers_are_clear_errors(tmp_path, source, message):
    sol = write_nb(tmp_path / "sol.ipynb", ("md", "# T"), ("code", source))
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        hw.make_student(sol, tmp_path / "s.ipynb")
    assert "sol.ipynb, cell 1" in str(info.value)


def test_make_student_refuses_useless_or_dangerous_calls(tmp_path):
    plain = write_nb(tmp_path / "plain.ipynb", ("code", "x = 1"))
    with pytest.raises(ValueError, match="no '### BEGIN SOLUTION'"):
        hw.make_student(plain, tmp_path / "s.ipynb")
    sol = write_nb(tmp_path / "sol.ipynb", ("code", FUNC))
    with pytest.raises(ValueError, match="refusing to overwrite"):
        hw.make_student(sol, sol)
    with pytest.raises(FileNotFoundError, match="no solution notebooks"):
        hw.make_all_students(tmp_path / "empty", tmp_path / "out")


# ---------------------------------------------------------------- the committed notebooks

def test_the_three_homeworks_exist():
    assert [p.name for p in SOLUTIONS] == NAMES
    assert sorted(p.name for p in (REPO / "homework").glob("hw*.ipynb")) == NAMES


def test_student_notebooks_match_their_solutions(tmp_path):
    assert main(["student", "--out", str(tmp_path)]) == 0  # what `make student` runs
    for sol in SOLUTIONS:
        fresh, committed = tmp_path / sol.name, REPO / "homework" / sol.name
        assert fresh.read_bytes() == committed.read_bytes(), \
            f"homework/{sol.name} is stale: run `make student` and commit the result"


def solution_lines(path):
    lines, inside = [], False
    for src in sources(path):
        for line in src.splitlines():
            if line.strip() in (hw.BEGIN, hw.END):
                inside = line.strip() == hw.BEGIN
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


@pytest.mark.parametrize("sol", SOLUTIONS, ids=lambda p: p.name)
def test_student_notebooks_hold_no_solution_code(sol):
    secret = solution_lines(sol)
    assert secret, f"{sol.name} has no solution code"
    student = sources(REPO / "homework" / sol.name)
    visible = {line.strip() for src in student for line in src.splitlines()}
    leaked = [line for line in secret if line in visible]
    assert not leaked, f"homework/{sol.name} shows solution lines: {leaked}"
    text = "\n".join(student)
    assert hw.BEGIN not in text and hw.END not in text
    original = "\n".join(sources(sol))
    stub = "raise NotImplementedError()"
    assert text.count(stub) - original.count(stub) == original.count(hw.BEGIN), "one stub per solution block"


@pytest.mark.parametrize("name", NAMES)
def test_a_fresh_student_notebook_runs_through_and_reports_every_task_unattempted(name, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    nb = nbformat.read(REPO / "homework" / name, as_version=4)
    for cell in nb.cells:  # a one-epoch model is enough to reach the checkers (hw3)
        cell.source = cell.source.replace("epochs=P.epochs", "epochs=1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO / "homework")}}).execute()
    checker_cells = [c for c in nb.cells if c.cell_type == "code" and re.search(r"\bcheck_\w+\(", c.source)
                     and "import" not in c.source]
    assert len(checker_cells) >= 2
    for cell in checker_cells:
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "not attempted yet" in text, f"{name}: a checker cell printed {text!r}"
        assert not any(o.output_type == "error" for o in cell.outputs)


# ---------------------------------------------------------------- the checkers reject wrong answers

def unattempted(*args, **kwargs):
    raise NotImplementedError()


def good_score(model, x):
    return ((reconstruct(model, x) - x) ** 2).flatten(1).mean(1)


def good_threshold(scores, rate):
    return torch.quantile(scores, 1 - rate).item()


def jac_first_unit_only(encoder, x):
    x = x.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(encoder(x)[:, 0].sum(), x)
    return (g**2).sum() / len(x)


CASES = {  # checker: (a correct function, wrong functions)
    hw.check_kl_sparsity: (kl_sparsity, [
        lambda r, q: (r * torch.log(r / q) + (1 - r) * torch.log((1 - r) / (1 - q))).mean(),  # mean, not sum
        lambda r, q: (r * torch.log(q / r) + (1 - r) * torch.log((1 - q) / (1 - r))).sum(),  # sign flipped
        lambda r, q: float(kl_sparsity(r, q).detach()),  # not differentiable
    ]),
    hw.check_contractive_penalty: (contractive_penalty, [
        lambda h, w: ((h * (1 - h)) @ (w**2).sum(1)).mean(),  # derivative not squared
        lambda h, w: ((h * (1 - h)) ** 2 @ (w**2).sum(1)).sum(),  # sum over the batch
        lambda h, w: contractive_penalty(h, w).detach(),  # cut from autograd
    ]),
    hw.check_jacobian_penalty: (jacobian_frobenius, [jac_first_unit_only,
                                                     lambda e, x: jacobian_frobenius(e, x) * len(x)]),
    hw.check_transposed_size: (lambda i, k, s, p, op: conv_transpose_output_size(i, k, s, p, 1, op), [
        lambda i, k, s, p, op: (i - 1) * s - 2 * p + k,  # ignores output_padding
        lambda i, k, s, p, op: (i - 1) * s - p + k + op,  # one side of padding only
        lambda i, k, s, p, op: float((i - 1) * s - 2 * p + k + op),  # not an int
    ]),
    hw.check_zero_insertion: (lambda x, w, s, p, op: transposed_conv_by_zero_insertion(x, w, s, p, op), [
        lambda x, w, s, p, op: transposed_conv_by_zero_insertion(x, w.flip(0, 1), s, p, op),  # kernel not rotated
        lambda x, w, s, p, op: torch.nn.functional.conv_transpose2d(  # the forbidden shortcut
            x[None, None], w[None, None], stride=s, padding=p, output_padding=op)[0, 0],
    ]),
    hw.check_anomaly_score: (good_score, [
        lambda m, x: ((reconstruct(m, x) - x) ** 2).mean(),  # one number for the batch
        lambda m, x: ((m(x) - x) ** 2).flatten(1).mean(1),  # keeps the autograd graph
        lambda m, x: ((reconstruct(m, x) - x) ** 2).flatten(1).sum(1),  # sum, not mean
    ]),
    hw.check_threshold: (good_threshold, [lambda s, r: torch.quantile(s, r).item(),
                                          lambda s, r: s.mean().item()]),
}


@pytest.mark.parametrize("checker", CASES, ids=lambda c: c.__name__)
def test_checkers_accept_right_reject_wrong_and_spot_unattempted(checker, capsys):
    right, wrongs = CASES[checker]
    assert checker(right) is True
    assert "✘" not in capsys.readouterr().out
    for wrong in wrongs:
        with pytest.raises(hw.HomeworkCheckFailed, match="checks failed"):
            checker(wrong)
        out = capsys.readouterr().out
        assert "✘" in out and "Traceback" not in out
    assert checker(unattempted) is None
    out = capsys.readouterr().out
    assert "not attempted yet" in out and "✘" not in out


def test_a_late_not_implemented_error_is_a_failure_not_unattempted(capsys):
    def half_done(x, w, s, p, op):
        if s > 1:
            raise NotImplementedError()
        return transposed_conv_by_zero_insertion(x, w, s, p, op)

    with pytest.raises(hw.HomeworkCheckFailed):
        hw.check_zero_insertion(half_done)
    assert "not attempted" not in capsys.readouterr().out


def test_anomaly_auroc_checker(capsys):
    g = torch.Generator().manual_seed(0)
    dark = 0.3 * torch.rand(50, 1, 28, 28, generator=g)
    bright = 0.5 + 0.5 * torch.rand(40, 1, 28, 28, generator=g)
    brightness = lambda model, x: x.flatten(1).mean(1)
    assert hw.check_anomaly_auroc(brightness, None, dark, bright, at_least=0.9, baseline=0.6) == 1.0
    assert "AUROC = 1.0000" in capsys.readouterr().out
    for wrong in (lambda m, x: -brightness(m, x), lambda m, x: brightness(m, x)[:-1]):
        with pytest.raises(hw.HomeworkCheckFailed):
            hw.check_anomaly_auroc(wrong, None, dark, bright, at_least=0.9)
    with pytest.raises(hw.HomeworkCheckFailed):  # meets the bound but not the baseline
        hw.check_anomaly_auroc(brightness, None, dark, bright, at_least=0.9, baseline=1.0)
    assert hw.check_anomaly_auroc(unattempted, None, dark, bright, at_least=0.9) is None
