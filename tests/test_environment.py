"""Dependencies split by who needs them (pyproject.toml), and environment.yml giving Binder all of it.

Runtime dependencies are what the notebooks import: that is all the Colab setup cell installs
(``course_utils @ git+…`` without extras). The course runner and the lab are the ``[course]`` extra,
the developer tools ``[dev]``; ``make setup`` installs ``.[course,dev]``.
"""

import ast
import json
import re
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "homework").rglob("*.ipynb"))
CONDA_NAMES = {"torch": "pytorch-cpu"}  # conda-forge's CPU build of the same package
RUNTIME = {"torch", "torchvision", "matplotlib", "ipywidgets", "tqdm", "scikit-learn", "numpy", "scipy", "mlxtend", "pillow"}
COURSE = {"papermill", "nbconvert", "jupyterlab", "ipykernel", "nbval"}
IMPORT_NAMES = {"sklearn": "scikit-learn", "IPython": "ipywidgets", "PIL": "pillow"}  # IPython comes with ipywidgets


def _name(spec: str) -> str:
    return re.match(r"\s*([A-Za-z0-9_.-]+)", spec).group(1).lower()


def _name_and_bound(spec: str):
    m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(.*)", spec)
    return m.group(1).lower(), m.group(2).strip()


def _project():
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_dependencies_are_split_by_who_needs_them():
    project = _project()
    runtime = {_name(d) for d in project["dependencies"]}
    extras = {k: {_name(d) for d in v} for k, v in project["optional-dependencies"].items()}
    assert runtime == RUNTIME
    assert extras["course"] == COURSE
    assert not runtime & (extras["course"] | extras["dev"])
    assert {"pytest", "ruff"} <= extras["dev"]


def _code_cells(path):
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "code":
            yield "".join(cell["source"])


def test_notebooks_import_only_the_runtime_set():
    imported = set()
    for path in NOTEBOOKS:
        for src in _code_cells(path):
            python = "\n".join(line[:len(line) - len(line.lstrip())] + "pass"  # IPython magics
                               if line.lstrip().startswith(("%", "!")) else line for line in src.splitlines())
            for node in ast.walk(ast.parse(python)):
                if isinstance(node, ast.Import):
                    imported |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    imported.add(node.module.split(".")[0])
    third_party = {IMPORT_NAMES.get(m, m) for m in imported - set(sys.stdlib_module_names) - {"course_utils"}}
    assert third_party <= RUNTIME, f"notebooks import {sorted(third_party - RUNTIME)} beyond the runtime set"


def test_colab_cell_installs_the_package_without_extras():
    for path in NOTEBOOKS:
        lines = [line for src in _code_cells(path) for line in src.splitlines() if "pip install" in line]
        assert lines, f"{path.name} has no Colab install line"
        for line in lines:
            assert re.fullmatch(r'\s*%pip install -q "course_utils @ git\+https://[^"\[\]]+"\s*', line), \
                f"{path.name}: the Colab cell must install course_utils alone, without extras: {line.strip()}"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::Warning")  # setuptools' own deprecation notices
def test_the_wheel_colab_installs_has_every_module_and_needs_only_the_runtime_set(tmp_path, monkeypatch):
    """Build the wheel offline (no isolation) from a copy of the sources and read what it requires."""
    build_meta = pytest.importorskip("setuptools.build_meta")
    import shutil

    src = tmp_path / "src"
    shutil.copytree(REPO / "course_utils", src / "course_utils", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    monkeypatch.chdir(src)
    wheel = src / "dist" / build_meta.build_wheel(str(src / "dist"))
    with zipfile.ZipFile(wheel) as z:
        files = set(z.namelist())
        metadata = next(z.read(n).decode() for n in files if n.endswith(".dist-info/METADATA"))
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "course_utils").rglob("*.py")}
    assert modules <= files, f"missing from the wheel: {sorted(modules - files)}"
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    unconditional = {_name(r) for r in requires if "extra ==" not in r}
    assert unconditional == RUNTIME
    assert {_name(r) for r in requires if re.search(r"extra == .course.", r)} == COURSE


def test_environment_yml_gives_binder_the_runtime_set_and_the_course_extra():
    project = _project()
    specs = project["dependencies"] + project["optional-dependencies"]["course"]
    pip_side = dict(_name_and_bound(d) for d in specs)
    conda_side = {}
    for line in (REPO / "environment.yml").read_text().splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.-]+)(.*)$", line)
        if m and m.group(1) not in ("conda-forge", "python", "pip"):
            conda_side[m.group(1).lower()] = m.group(2).strip()
    expected = {CONDA_NAMES.get(k, k): v for k, v in pip_side.items()}
    assert conda_side == expected
    assert "- -e ." in (REPO / "environment.yml").read_text()  # the course package itself
