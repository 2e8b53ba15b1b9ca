"""Student notebooks generated from the solutions, stripped as ``nbgrader generate_assignment`` strips them.

The solution notebooks in ``homework/solutions/`` hold each answer between ``### BEGIN SOLUTION``
and ``### END SOLUTION`` in cells that nbgrader's metadata marks as solution cells.
``make_student`` replaces every such block with ``# YOUR CODE HERE`` / ``raise NotImplementedError()``
at the block's indentation (a markdown block with ``YOUR ANSWER HERE``), a solution cell without
markers as a whole, drops ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` blocks, and writes
the result without outputs: the same sources nbgrader's release gets (a test runs both).
``make_all_students`` (``make student``, ``python -m course_utils student``) regenerates
``homework/hw*.ipynb``.
"""

from __future__ import annotations

import os
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = ("YOUR ANSWER HERE",)
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
HOMEWORK = Path(__file__).resolve().parents[2] / "homework"


def strip_solutions(source: str, where: str = "source", markdown: bool = False) -> tuple[str, int]:
    """``source`` with each BEGIN/END SOLUTION block replaced by the stub; also the number of blocks.

    The stub takes the indentation of the ``### BEGIN SOLUTION`` line, so a block inside a function
    body stays a valid body. Unmatched or nested markers raise ValueError naming ``where`` and the line.
    """
    out: list[str] = []
    begin_line = None  # line number of the open BEGIN marker, if inside a block
    blocks = 0
    lines = source.splitlines()
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin_line is not None:
                raise ValueError(f"{where}: '{BEGIN}' on line {number} inside the block opened on line "
                                 f"{begin_line} (blocks cannot nest; close it with '{END}' first)")
            begin_line = number
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + stub for stub in (MARKDOWN_STUB if markdown else STUB)]
        elif marker == END:
            if begin_line is None:
                raise ValueError(f"{where}: '{END}' on line {number} without a '{BEGIN}' before it")
            begin_line = None
            blocks += 1
        elif BEGIN in line or END in line:
            raise ValueError(f"{where}: line {number} mentions a solution marker but is not exactly "
                             f"'{BEGIN}' or '{END}' (apart from indentation): {line.strip()!r}")
        elif begin_line is None:
            out.append(line)
    if begin_line is not None:
        raise ValueError(f"{where}: '{BEGIN}' on line {begin_line} has no matching '{END}'")
    text = "\n".join(out)
    if source.endswith("\n"):
        text += "\n"
    return text, blocks


def _strip_hidden_tests(source: str, where: str) -> str:
    """``source`` without its ``### BEGIN HIDDEN TESTS`` … ``### END HIDDEN TESTS`` blocks (nbgrader's)."""
    out, inside = [], False
    for line in source.split("\n"):
        if HIDDEN[0] in line:
            if inside:
                raise ValueError(f"{where}: nested '{HIDDEN[0]}'")
            inside = True
        elif HIDDEN[1] in line:
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{where}: '{HIDDEN[0]}' without '{HIDDEN[1]}'")
    return "\n".join(out)


def make_student(solution_nb: str | os.PathLike, student_nb: str | os.PathLike) -> Path:
    """Write the student version of ``solution_nb`` to ``student_nb`` and return its path.

    Solution blocks become stubs; outputs, execution counts and execution-time metadata are
    dropped; everything else (cells, ids, tags, notebook metadata) is kept. The same input always
    gives byte-identical output. Raises ValueError for a notebook without any solution block.
    """
    import nbformat

    solution_nb, student_nb = Path(solution_nb), Path(student_nb)
    if solution_nb.resolve() == student_nb.resolve():
        raise ValueError(f"refusing to overwrite the solution notebook {solution_nb} with its student version")
    nb = nbformat.read(solution_nb, as_version=4)
    total = 0
    for index, cell in enumerate(nb.cells):
        where = f"{solution_nb.name}, cell {index}"
        source, blocks = strip_solutions(cell.source, where, markdown=cell.cell_type == "markdown")
        if blocks == 0 and cell.metadata.get("nbgrader", {}).get("solution"):
            source, blocks = "\n".join(MARKDOWN_STUB if cell.cell_type == "markdown" else STUB), 1
        cell.source = _strip_hidden_tests(source, where)
        total += blocks
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        for key in ("execution", "ExecuteTime", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
    if total == 0:
        raise ValueError(f"{solution_nb} has no '{BEGIN}' … '{END}' block: nothing for the student to do")
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    text = nbformat.writes(nb) + "\n"
    student_nb.parent.mkdir(parents=True, exist_ok=True)
    student_nb.write_bytes(text.encode("utf-8"))
    return student_nb


def make_all_students(solutions_dir: str | os.PathLike | None = None,
                      out_dir: str | os.PathLike | None = None, verbose: bool = True) -> list[Path]:
    """Regenerate ``homework/hw*.ipynb`` from ``homework/solutions/hw*.ipynb`` (``make student``)."""
    solutions_dir = Path(solutions_dir) if solutions_dir is not None else HOMEWORK / "solutions"
    out_dir = Path(out_dir) if out_dir is not None else HOMEWORK
    sources = sorted(solutions_dir.glob("hw*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"no solution notebooks (hw*.ipynb) in {solutions_dir}")
    written = [make_student(src, out_dir / src.name) for src in sources]
    if verbose:
        for path in written:
            print(f"wrote {path}")
    return written
