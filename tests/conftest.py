"""Shared test setup: headless matplotlib, offline data and shared fixtures.

Lanes are markers on the tests themselves (registered in pyproject.toml): ``kernel`` (starts a
Jupyter kernel), ``browser`` (Chromium), ``nbgrader`` (an nbgrader round trip), ``slow`` (over ~5 s
otherwise). ``make unit`` runs ``-m "not kernel and not browser and not nbgrader and not slow"``;
``make test`` runs everything.
"""

import os
from pathlib import Path

import matplotlib
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_utils.paths import REPO_ROOT

matplotlib.use("Agg")
os.environ.setdefault("COURSE_PROGRESS", "0")
os.environ.setdefault("COURSE_OFFLINE", "1")

CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO_ROOT / "build" / "browser"

@pytest.fixture
def write_nb():
    """``write_nb(path, *sources)``: a notebook with a ``parameters`` cell (PROFILE, DATASET, SEED), then ``sources``."""
    def write(path, *sources):
        nb = new_notebook()
        nb.cells = [new_code_cell("PROFILE = None\nDATASET = 'mnist'\nSEED = 0")]
        nb.cells[0].metadata["tags"] = ["parameters"]
        nb.cells += [new_code_cell(s) for s in sources]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, path)
        return path

    return write


@pytest.fixture
def record():
    """``record(name, value, less_than=..., control=..., ...)``: a claim record made as ``check`` makes it."""
    from course_utils.claims import make_record

    def make(name, value, *, identity=False, control=None, control_label="", detail="", **bounds):
        pairs = [[op, b] for op, b in bounds.items()] or [["equals", True]]
        return make_record(name, value, pairs, identity=identity, control=control, control_label=control_label,
                           detail=detail)

    return make


def require_browser():
    """Skip (fail in CI) where Chromium or Playwright is missing."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium ({CHROMIUM}; Debian packages chromium and chromium-driver)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright (pip install playwright)")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("browser test needs " + " and ".join(missing) + ": .ci/run installs them")
        pytest.skip("browser test needs " + " and ".join(missing))


@pytest.fixture
def shots():
    """The folder for browser screenshots: build/browser/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture
def chromium():
    """A launched headless Chromium (Playwright), closed afterwards."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()
