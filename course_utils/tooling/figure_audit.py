"""The audit of executed cells: no figure lost, no warning printed.

``cells_missing_figures`` checks executed cells (source and outputs): a cell that calls
``show_images``, ``plot_history``, a diagram, a ``draw_*`` function, ``subplots`` … at its top level
must show an image. Calls inside a ``def`` or with ``ax=`` (drawing on a figure the cell made, which
the check then finds through its ``subplots``) do not count. ``printed_warning`` finds a warning or
traceback a passing cell wrote to stderr. As a pytest plugin (``-p course_utils.tooling.figure_audit``,
set in pyproject.toml) both fail the nbval cell of ``make test``; ``course_utils run`` applies both
to every executed notebook.
"""

from __future__ import annotations

import ast
import functools
import inspect


@functools.cache
def drawing_functions() -> frozenset[str]:
    """Names of the package's functions that make a figure (they end with ``figures.finish``)."""
    from .. import conv_figures, diagrams, figures, plotting, widgets

    names = {"subplots"}
    for module in (plotting, conv_figures, diagrams):
        names |= {n for n, f in vars(module).items() if inspect.isfunction(f) and not n.startswith("_")
                  and f.__module__ == module.__name__}
    names |= {n for n in vars(widgets) if n.startswith("draw_")}
    names -= {"layer_shapes"} | {n for n in vars(figures) if n != "subplots"}
    return frozenset(names)


def drawing_calls(source: str) -> list[str]:
    """The drawing helpers a cell calls at its top level (not inside a def or class, not with ``ax=``)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    found, names = [], drawing_functions()
    todo = [n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in names and not any(k.arg == "ax" for k in node.keywords):
                found.append(name)
        todo.extend(ast.iter_child_nodes(node))
    return sorted(set(found))


def has_image(outputs) -> bool:
    return any(any(m.startswith("image/") for m in (o.get("data") or {})) for o in outputs)


def printed_warning(outputs) -> str | None:
    """The first line with "Warning" or "Traceback" that a cell wrote to stderr, else None."""
    for o in outputs:
        text = o.get("text", "") if o.get("name") == "stderr" else ""
        said = [line.strip() for line in text.splitlines() if "Warning" in line or "Traceback" in line]
        if said:
            return said[0][:200]
    return None


def cells_missing_figures(cells) -> list[tuple[int, list[str]]]:
    """``(index, helpers)`` for each executed code cell that calls a drawing helper but shows no image."""
    missing = []
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        calls = drawing_calls("".join(cell.get("source", "")))
        if calls and not has_image(cell.get("outputs", [])):
            missing.append((i, calls))
    return missing


try:
    import pytest
except ImportError:  # the runtime set has no pytest; the plugin is only loaded by pytest
    pytest = None

if pytest is not None:

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        report = outcome.get_result()
        outputs = getattr(item, "test_outputs", None)
        if call.when != "call" or not report.passed or outputs is None or not hasattr(item, "cell"):
            return
        calls = drawing_calls(item.cell.source)
        warning = printed_warning(outputs)
        if calls and not has_image(outputs):
            report.outcome = "failed"
            report.longrepr = (f"{item.nodeid}: this cell calls {', '.join(calls)} but shows no image: "
                               "a figure drawn here is lost (see course_utils/figures.py)")
        elif warning:
            report.outcome = "failed"
            report.longrepr = f"{item.nodeid}: this cell printed to stderr: {warning}"
