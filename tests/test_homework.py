"""Homework tooling: make_student, the committed student notebooks, and the graders against wrong answers."""

import json
import os
import re
from pathlib import Path

import nbformat
import pytest
import torch
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from torch import nn

from course_utils import homework as hw
from course_utils.__main__ import main
from course_utils.homework import hw1, hw2, hw3

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
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO / "homework")}}).execute()
    checker_cells = [c for c in nb.cells if c.cell_type == "code" and re.search(r"\bcheck_\w+\(", c.source)
                     and "import" not in c.source]
    assert len(checker_cells) == 3
    for cell in checker_cells:
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "not attempted yet" in text, f"{name}: a checker cell printed {text!r}"
        assert not any(o.output_type == "error" for o in cell.outputs)




def test_hidden_tests_and_marker_free_solution_cells_are_stripped_as_nbgrader_does(tmp_path):
    sol = write_nb(tmp_path / "sol.ipynb", ("code", "x = 1"), ("code", "ok = True\n### BEGIN HIDDEN TESTS\nassert ok\n### END HIDDEN TESTS"))
    nb = nbformat.read(sol, as_version=4)
    nb.cells[0].metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "a",
                                        "schema_version": 3, "task": False}
    nbformat.write(nb, sol)
    assert sources(hw.make_student(sol, tmp_path / "s.ipynb")) == ["# YOUR CODE HERE\nraise NotImplementedError()",
                                                                  "ok = True"]


# ---------------------------------------------------------------- the graders against wrong answers

def unattempted(*args, **kwargs):
    raise NotImplementedError()


def expect(checker, fn, *args, passes, says=None, **kwargs):
    """Run ``checker(fn, …)``; assert it passes, or fails with a ✘ line containing ``says``."""
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        if passes:
            result = checker(fn, *args, **kwargs)
        else:
            with pytest.raises(hw.HomeworkCheckFailed, match="checks failed"):
                checker(fn, *args, **kwargs)
    text = out.getvalue()
    if passes:
        assert result is not None and "✘" not in text, text
    else:
        assert "✘" in text and "Traceback" not in text, text
        if says:
            assert says in text, text
    return text


def test_unattempted_is_silent_for_students_and_fails_under_nbgrader(monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert hw1.check_jacobian_penalty(unattempted) is None
    assert "not attempted yet" in capsys.readouterr().out
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(hw.HomeworkCheckFailed, match="not attempted"):
        hw1.check_jacobian_penalty(unattempted)


# hw1 ---------------------------------------------------------------

def jacobian_penalty(encoder, x, create_graph=True, reduce=torch.mean):
    inputs = x.detach().requires_grad_(True)
    codes = encoder(inputs)
    per_sample = 0
    for j in range(codes.shape[1]):
        (row,) = torch.autograd.grad(codes[:, j].sum(), inputs, create_graph=create_graph, retain_graph=True)
        per_sample = per_sample + row.pow(2).flatten(1).sum(1)
    return reduce(per_sample)


def jacobian_by_library(encoder, x):
    from torch.autograd.functional import jacobian as jac  # an alias: still caught

    return torch.stack([jac(lambda v: encoder(v[None])[0], xi, create_graph=True).pow(2).sum() for xi in x]).mean()


def objective(penalty):
    def fn(model, x, lam):
        mse = torch.nn.functional.mse_loss(model(x), x)
        p = penalty(model.encode, x)
        return mse + lam * p, {"mse": mse.detach()}
    return fn


@pytest.mark.parametrize("fn, says", [
    (lambda e, x: jacobian_penalty(e, x, create_graph=False), "create_graph=True"),  # a penalty with no gradient
    (lambda e, x: jacobian_penalty(e, x, create_graph=False, reduce=lambda t: t.mean()), "create_graph=True"),
    (lambda e, x: jacobian_penalty(e, x).detach(), "create_graph=True"),  # cut from autograd
    (lambda e, x: jacobian_penalty(e, x, reduce=torch.sum), "expected"),  # sum over the batch, not the mean
    (lambda e, x: jacobian_penalty(lambda v: e(v)[:, :1], x), "expected"),  # first code unit only
    (jacobian_by_library, "torch.autograd.functional"),  # the blocked shortcut
])
def test_hw1_jacobian_penalty_rejects_wrong_answers(fn, says):
    expect(hw1.check_jacobian_penalty, jacobian_penalty, passes=True)
    expect(hw1.check_jacobian_penalty, fn, passes=False, says=says)


def test_hw1_objective_needs_a_penalty_that_trains():
    x = torch.rand(512, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    expect(hw1.check_contractive_objective, objective(jacobian_penalty), x, passes=True)
    no_gradient = objective(lambda e, v: jacobian_penalty(e, v, create_graph=False))
    text = expect(hw1.check_contractive_objective, no_gradient, x, passes=False, says="cut from autograd")
    assert "does not make the encoder contract" in text  # and the short training shows it
    expect(hw1.check_contractive_objective, lambda m, v, lam: objective(jacobian_penalty)(m, v, 0.0), x,
           passes=False)  # λ ignored


def test_hw1_choice_rejects_a_lambda_too_small_or_too_large():
    g = torch.Generator().manual_seed(0)
    from course_utils.data import load_dataset
    from course_utils.models import MLPAutoencoder
    from course_utils.profiles import get_profile
    from course_utils.train import train

    x = load_dataset("mnist", get_profile("quick"), verbose=False).x_train[:2500]
    x_fit, x_val, x_test = x[:2000], x[2000:2100], x[2100:]
    make = lambda: MLPAutoencoder(latent_dim=16, hidden=(128,), activation="tanh")

    def fixed(lam):
        def choose(xf, xv):
            torch.manual_seed(0)
            model = make()
            train(model, lambda m, b: objective(jacobian_penalty)(m, b, lam), xf, epochs=4, lr=2e-3, batch_size=50,
                  progress=False, generator=g)
            return lam, model
        return choose

    kw = dict(epochs=4, lr=2e-3, batch_size=50)
    expect(hw1.check_contractive_choice, fixed(1e-6), make, x_fit, x_val, x_test, **kw, passes=False,
           says="choose a larger one")
    expect(hw1.check_contractive_choice, fixed(1e-2), make, x_fit, x_val, x_test, **kw, passes=False,
           says="choose a smaller one")


# hw2 ---------------------------------------------------------------

def plan(i, o, size=lambda i, k, s, p, op: (i - 1) * s - 2 * p + k + op):
    layers, target = [], o
    while target >= 2 * i:
        layers.insert(0, (4, 2, 1, target % 2))
        target //= 2
    while target > i:
        step = min(target - i, 5)
        layers.insert(0, (step + 1, 1, 0, 0))
        target -= step
    out = i  # the planner's own account of the sizes, with the formula it was given
    for layer in layers:
        out = size(out, *layer)
    assert out == o or size is not plan.__defaults__[0], "the reference planner is wrong"
    return layers


def off_by_one(i, o):
    """Forgets output_padding: every odd size on the way comes out one pixel short."""
    return [(k, s, p, 0) for k, s, p, op in plan(i, o)]


def by_library(i, o):
    from course_utils.arithmetic import conv_transpose_output_size as size  # an alias: still caught

    assert size(4, 4, 2, 1) == 8
    return plan(i, o)


def by_probing(i, o):
    x = torch.zeros(1, 1, i, i)
    nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1)(x)
    return plan(i, o)


def checkerboard(i, o):
    return [(3, 2, 1, 1) if (k, s) == (4, 2) else (k, s, p, op) for k, s, p, op in plan(i, o)]


@pytest.mark.parametrize("fn, says", [
    (off_by_one, "check your size formula"),
    (checkerboard, "multiple of the stride"),
    (by_library, "course_utils.arithmetic"),
    (by_probing, "PyTorch's convolution layers"),
    (lambda i, o: plan(i, o) if i != 3 else plan(i, o - 1), "3 → 28"),
])
def test_hw2_plan_rejects_wrong_answers(fn, says):
    expect(hw2.check_plan, plan, passes=True)
    expect(hw2.check_plan, fn, passes=False, says=says)


def decoder(latent_dim, up=None, channels=(32, 16, 8, 1), start=4):
    layers = [nn.Linear(latent_dim, channels[0] * start * start), nn.ReLU(), nn.Unflatten(1, (channels[0], start, start))]
    for n, (k, s, p, op) in enumerate(plan(start, 32)):
        layers += [nn.ConvTranspose2d(channels[n], channels[n + 1], k, s, p, op), nn.ReLU()]
    return nn.Sequential(*(up or []), *layers[:-1])


class Cropped(nn.Module):
    def __init__(self, latent_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, 32 * 16), nn.Unflatten(1, (32, 4, 4)),
                                 nn.ConvTranspose2d(32, 8, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(8, 4, 4, 2, 1),
                                 nn.ReLU(), nn.ConvTranspose2d(4, 1, 4, 2, 2, 0), nn.ConvTranspose2d(1, 1, 6, 1, 0))

    def forward(self, z):
        return self.net(z)[..., 2:-2, 2:-2]  # 30 → 35, cropped to 31: wrong, and cropping is not the design


class Resized(nn.Module):
    def __init__(self, latent_dim):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(latent_dim, 32 * 16), nn.Unflatten(1, (32, 4, 4)),
                                 nn.ConvTranspose2d(32, 1, 4, 2, 1))

    def forward(self, z):
        return torch.nn.functional.interpolate(self.net(z), size=(32, 32))  # 8 → 32 by resizing


def big_linear(latent_dim):
    return nn.Sequential(nn.Linear(latent_dim, 1024), nn.Unflatten(1, (1, 32, 32)), nn.ConvTranspose2d(1, 1, 1))


@pytest.mark.parametrize("build, says", [
    (lambda d: decoder(d, up=None, channels=(64, 64, 64, 1)), "parameters, at most"),
    (lambda d: nn.Sequential(nn.Linear(d, 32 * 16), nn.Unflatten(1, (32, 4, 4)), nn.Upsample(scale_factor=8),
                             nn.ConvTranspose2d(32, 1, 1)), "Upsample"),
    (Resized, "F.interpolate"),
    (Cropped, "expected output shape"),
    (big_linear, "start from a small map"),
])
def test_hw2_decoder_rejects_wrong_designs(build, says):
    expect(hw2.check_decoder, decoder, passes=True)
    expect(hw2.check_decoder, build, passes=False, says=says)


def test_hw2_training_rejects_a_decoder_that_ignores_its_code():
    x = torch.rand(300, 1, 28, 28, generator=torch.Generator().manual_seed(0)) ** 4

    def constant(latent_dim):
        net = decoder(latent_dim)
        net[0] = nn.Linear(latent_dim, 32 * 16)
        with torch.no_grad():
            net[0].weight.zero_()
        net[0].weight.requires_grad_(False)  # the code never reaches the image
        return net

    expect(hw2.check_decoder_training, constant, x[:200], x[200:], epochs=2, passes=False, says="the mean image")


# hw3 ---------------------------------------------------------------

@pytest.fixture(scope="module")
def hw3_data():
    from course_utils.data import load_dataset
    from course_utils.profiles import get_profile

    P = get_profile("quick")
    x = load_dataset("mnist", P, verbose=False).x_train
    x_fit, x_val = x[:-800], x[-800:]
    return P, x_fit, x_val, hw3.anomalies("val", x_val, P)[0]


def pca_detector(x_fit, x_val, x_val_anomalous, k=32):
    from course_utils.pca import fit_pca

    pca = fit_pca(x_fit, k)
    return lambda x: (pca.reconstruct(x).reshape(x.shape) - x).pow(2).flatten(1).mean(1).detach()


def good_threshold(scores, rate):
    return torch.quantile(scores.double(), 1 - rate).item()


@pytest.mark.parametrize("fit, says", [
    (lambda *a: (lambda x: x.flatten(1).mean(1)), "does not separate"),  # the control itself
    (lambda *a: (lambda x: -pca_detector(*a)(x)), "does not separate"),  # the wrong sign
    (lambda *a: (lambda x: pca_detector(*a)(x).mean()), "expected a tensor of shape"),  # one number per batch
    (lambda *a: (lambda x: pca_detector(*a)(x) - pca_detector(*a)(x).mean()), "depends on the rest of the batch"),
    (lambda *a: (lambda x: pca_detector(*a)(x).requires_grad_(True) * 1), "autograd graph"),
])
def test_hw3_score_rejects_wrong_answers(hw3_data, fit, says):
    P, x_fit, x_val, x_anom = hw3_data
    expect(hw3.check_anomaly_score, pca_detector, x_fit, x_val, x_anom, profile=P, passes=True)
    expect(hw3.check_anomaly_score, fit, x_fit, x_val, x_anom, profile=P, passes=False, says=says)


def test_hw3_threshold_tuned_on_test_data_fails(hw3_data):
    P, x_fit, x_val, x_anom = hw3_data
    score = pca_detector(x_fit, x_val, x_anom)
    x_test_normal = hw3.held_out(P, 0, "cpu")[0]
    on_test = lambda scores, rate: good_threshold(score(x_test_normal), rate)  # peeks at the held-out digits
    expect(hw3.check_threshold, good_threshold, passes=True)
    expect(hw3.check_threshold, on_test, passes=False, says="compute it from the scores you are given")
    expect(hw3.check_threshold, lambda s, r: good_threshold(s, 1 - r), passes=False, says="above the threshold")
    expect(hw3.check_false_alarms, score, good_threshold, x_val, profile=P, passes=True)
    expect(hw3.check_false_alarms, score, on_test, x_val, profile=P, passes=False, says="scores you are given")
    expect(hw3.check_false_alarms, score, lambda s, r: s.max().item(), x_val, profile=P, passes=False,
           says="held-out normal digits are flagged")  # a threshold that never fires keeps no promise either
