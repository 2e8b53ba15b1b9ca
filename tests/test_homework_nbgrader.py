"""A real nbgrader round trip on a throwaway course: release, submit, autograde, manual grading, feedback, export.

Skipped when nbgrader is not installed (the dev extra installs it). Runs offline in tmp_path.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils import homework as hw

pytestmark = pytest.mark.nbgrader

pytest.importorskip("nbgrader", reason="nbgrader is not installed (pip install -e '.[dev]' installs it)")

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "homework" / "solutions"
NAMES = ["hw1_regularizers", "hw2_transposed_conv", "hw3_anomaly_detection"]
GRADED = "hw2_transposed_conv"  # the one autograded three times (the fastest to execute)


def nbgrader(course, *args):
    env = {**os.environ, "COURSE_OFFLINE": "1", "COURSE_PROFILE": "quick", "COURSE_PROGRESS": "0",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}  # alembic
    run = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'autoencoders'\n"
        "c.Execute.timeout = 300\n")
    for name in NAMES:
        (course / "source" / name).mkdir(parents=True)
        shutil.copy(SOLUTIONS / f"{name}.ipynb", course / "source" / name / f"{name}.ipynb")
        nbgrader(course, "generate_assignment", name, "--force")
    return course


def cell_sources(nb):
    return [(c.cell_type, c.source) for c in nb.cells]


@pytest.mark.parametrize("name", NAMES)
def test_nbgrader_release_strips_what_make_student_strips(course, name, tmp_path):
    released = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    ours = nbformat.read(hw.make_student(SOLUTIONS / f"{name}.ipynb", tmp_path / "s.ipynb"), as_version=4)
    assert cell_sources(released) == cell_sources(ours)
    committed = nbformat.read(REPO / "homework" / f"{name}.ipynb", as_version=4)
    assert cell_sources(committed) == cell_sources(ours)
    points = sum(c.metadata["nbgrader"].get("points", 0) for c in released.cells if "nbgrader" in c.metadata)
    assert points == 10


def submit(course, student, replace):
    """Submit the released notebook with each solution cell's source replaced by ``replace[grade_id]``."""
    nb = nbformat.read(course / "release" / GRADED / f"{GRADED}.ipynb", as_version=4)
    if student != "correct":
        replace = {"hw2-validate": "# (the validation harness, skipped: it has no points and costs a training)",
                   **replace}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in replace:
            cell.source = replace[gid]
    folder = course / "submitted" / student / GRADED
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{GRADED}.ipynb")
    (folder / "timestamp.txt").write_text("2026-01-01 12:00:00.000000 UTC")


def enter_manual_grades(course, grades):
    """What an instructor does in Formgrader: a score and a comment for each written answer."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, (score, comment) in grades.items():
            gb.find_grade("hw2-written-answer", GRADED, GRADED, student).manual_score = score
            gb.find_comment("hw2-written-answer", GRADED, GRADED, student).manual_comment = comment
        gb.db.commit()


def feedback(course, student):
    return (course / "feedback" / student / GRADED / f"{GRADED}.html").read_text(encoding="utf-8")


def test_nbgrader_round_trip_scores_grades_by_hand_and_explains_what_failed(course):
    solution = {c.metadata["nbgrader"]["grade_id"]: c.source
                for c in nbformat.read(SOLUTIONS / f"{GRADED}.ipynb", as_version=4).cells
                if c.metadata.get("nbgrader", {}).get("solution")}
    plan, build = solution["hw2-plan-upsampling"], solution["hw2-build-decoder"]
    off_by_one = plan.replace("plan.insert(0, (4, 2, 1, target % 2))", "plan.insert(0, (4, 2, 1, 0))")
    resized = build.replace(
        "    return nn.Sequential(*layers)",
        "    layers[-1] = nn.ConvTranspose2d(channels[-2], 1, 1)\n"
        "    return nn.Sequential(*layers[:-2], nn.Upsample(scale_factor=2), layers[-1])")
    assert off_by_one != plan and resized != build
    submit(course, "correct", solution)
    submit(course, "off-by-one", {**solution, "hw2-plan-upsampling": off_by_one})
    submit(course, "upsample-layer", {**solution, "hw2-build-decoder": resized})
    submit(course, "stub", {})  # the release, untouched
    nbgrader(course, "autograde", GRADED, "--create", "--force")
    enter_manual_grades(course, {"correct": (2.0, "Both points: the subspace argument and the harness numbers."),
                                 "off-by-one": (1.0, "Say what the harness showed."),
                                 "upsample-layer": (0.0, "No answer."), "stub": (0.0, "No answer.")})
    nbgrader(course, "generate_feedback", GRADED, "--force")
    nbgrader(course, "export", "--to", str(course / "grades.csv"))
    with open(course / "grades.csv", newline="") as f:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(f)
                  if row["assignment"] == GRADED}
    print(json.dumps(scores))
    assert scores["correct"] == (10.0, 10.0)  # 8 autograded + 2 entered by hand
    assert scores["off-by-one"][0] == 6.0  # loses the plan's 3 (4 → 32 has no odd size: the decoder works) + 1 by hand
    assert scores["upsample-layer"][0] == 3.0  # keeps the plan's 3; the decoder and its training fail
    assert scores["stub"][0] == 0.0  # "not attempted" scores nothing under nbgrader
    assert "checks failed" not in feedback(course, "correct") and "Both points" in feedback(course, "correct")
    wrong = feedback(course, "off-by-one")
    assert "✘ 8 more fixed settings" in wrong and "check your size formula" in wrong  # what failed, and what to fix
    assert "Say what the harness showed." in wrong  # the manual grader's comment
    assert "Upsample" in feedback(course, "upsample-layer") and "not attempted yet" in feedback(course, "stub")
