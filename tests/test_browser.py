"""The real thing: JupyterLab in headless Chromium runs a widget notebook and its widget responds.

Starts ``jupyter lab`` on 127.0.0.1 with a token, writes a three-cell notebook (imports, a PCA of
random images, the course's ``pca_slider``), runs all cells from the Run menu, saves, and checks
that no cell raised, that the widget rendered and that moving its slider changes the image it draws.
Screenshots go to ``build/browser/``. The server is shut down in every case. Skips only where
Chromium or Playwright is genuinely absent (never in CI).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_utils.paths import REPO_ROOT

pytestmark = pytest.mark.browser
WIDGET_NOTEBOOK = [  # three cells: what a lecture's widget needs, nothing more
    "import torch\nfrom course_utils.pca import fit_pca\nfrom course_utils.widgets import pca_slider",
    "x = torch.rand(64, 1, 8, 8, generator=torch.Generator().manual_seed(0))\npca = fit_pca(x, 20)",
    "pca_slider(pca, x, n=4, k=10)",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path, chromium):
    """A JupyterLab server on 127.0.0.1 serving tmp_path; yields (base_url, token, root)."""
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "COURSE_OFFLINE": "1", "COURSE_PROGRESS": "0", "JUPYTER_PLATFORM_DIRS": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    log = open(tmp_path / "lab.log", "wb")
    root = tmp_path / "lab"
    root.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ServerApp.port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--ServerApp.port_retries=0", "--LabApp.news_url=", "--LabApp.extension_manager=readonly",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("jupyter lab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:]) from None
                time.sleep(0.5)
        yield base, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _run_all_and_save(page, name: str, root: Path, timeout_s: float) -> dict:
    """Run > Run All Cells, then save until the file on disk shows every code cell executed.

    JupyterLab renders off-screen cells lazily, so the file, not the DOM, tells what ran.
    """
    page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
    page.get_by_text("Python 3 (ipykernel) | Idle").first.wait_for(timeout=90_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    n_code = sum(c["cell_type"] == "code" for c in json.loads((root / name).read_text())["cells"])
    deadline = time.time() + timeout_s
    while True:
        time.sleep(2)
        idle = page.get_by_text("Python 3 (ipykernel) | Idle").count() > 0
        page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        page.keyboard.press("Control+s")
        time.sleep(1)
        saved = json.loads((root / name).read_text())
        ran = sum(1 for c in saved["cells"] if c["cell_type"] == "code" and c.get("execution_count"))
        if idle and ran == n_code:
            return saved
        if time.time() > deadline:
            raise AssertionError(f"{name}: only {ran}/{n_code} cells ran within {timeout_s} s")


def _errors(nb: dict) -> list[str]:
    return [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(nb["cells"])
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


def _widget_image_changes(page, move, label: str):
    """Source of the widget's image before and after ``move()``; they must differ."""
    out = page.locator("img.widget-image").last
    out.wait_for(timeout=60_000)
    before = out.get_attribute("src")
    move()
    deadline = time.time() + 60
    while time.time() < deadline:
        after = page.locator("img.widget-image").last.get_attribute("src")
        if after and after != before:
            return
        time.sleep(0.5)
    raise AssertionError(f"moving the {label} did not change the drawn image")


def test_a_widget_notebook_runs_in_jupyterlab_and_its_slider_redraws(lab, chromium, shots):
    base, token, root = lab
    nb = new_notebook(cells=[new_code_cell(source) for source in WIDGET_NOTEBOOK])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "widget.ipynb")
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{base}/lab/tree/widget.ipynb?token={token}")
    saved = _run_all_and_save(page, "widget.ipynb", root, timeout_s=120)
    assert not _errors(saved), _errors(saved)
    slider = page.locator(".widget-slider, .widget-hslider").last
    slider.wait_for(timeout=60_000)
    readout = slider.locator(".widget-readout")
    assert readout.inner_text().strip() == "10"

    def move():
        slider.locator(".noUi-handle, .ui-slider-handle").first.focus()
        for _ in range(5):
            page.keyboard.press("ArrowRight")

    _widget_image_changes(page, move, "k slider")
    assert readout.inner_text().strip() == "15"  # five steps of the k slider
    page.screenshot(path=str(shots / "widget.png"), full_page=False)
