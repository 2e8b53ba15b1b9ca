"""Homework: the student notebooks' generator and the graders, one module per assignment.

* ``student``: ``make_student`` / ``make_all_students`` (``make student``) strip the solution notebooks
  the way ``nbgrader generate_assignment`` does;
* ``cases``: the case runner every grader shares (``run_cases``, ``compare``, ``forbid``);
* ``hw1`` (contractive autoencoder), ``hw2`` (a decoder designed with the size formulas),
  ``hw3`` (anomaly detection): each assignment's checkers, imported by its notebook; what they
  measure with, apart from the checks: ``hw1_reference``, ``hw2_reference`` (the rules and the
  references) and ``hw3_images`` (the anomalies).

Importing this package loads no checker and no data.
"""

from .cases import ForbiddenCall, HomeworkCheckFailed  # noqa: F401
from .student import BEGIN, END, HIDDEN, STUB, make_all_students, make_student, strip_solutions  # noqa: F401
