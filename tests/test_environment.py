"""environment.yml (conda, Binder) and pyproject.toml (pip) must ask for the same packages."""

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"torch": "pytorch-cpu"}  # conda-forge's CPU build of the same package


def _name_and_bound(spec: str):
    m = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(.*)", spec)
    return m.group(1).lower(), m.group(2).strip()


def test_environment_yml_matches_pyproject():
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pip_side = dict(_name_and_bound(d) for d in deps)
    conda_side = {}
    for line in (REPO / "environment.yml").read_text().splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.-]+)(.*)$", line)
        if m and m.group(1) not in ("conda-forge", "python", "pip"):
            conda_side[m.group(1).lower()] = m.group(2).strip()
    expected = {CONDA_NAMES.get(k, k): v for k, v in pip_side.items()}
    assert conda_side == expected
    assert "- -e ." in (REPO / "environment.yml").read_text()  # the course package itself
