"""The real thing: JupyterLab in headless Chromium runs a notebook and its widget responds.

Starts ``jupyter lab`` on 127.0.0.1 with a token, opens a copy of a course notebook, runs all
cells from the Run menu, saves, and checks that no cell raised, that the widget rendered and that
moving it changes the image it draws. Screenshots go to ``build/browser/``. The server is shut down
in every case. Skips only where Chromium or Playwright is genuinely absent (never in CI).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "build" / "browser"


def _require_browser():
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 serving tmp_path; yields (base_url, token, root)."""
    _require_browser()
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "COURSE_OFFLINE": "1", "COURSE_PROGRESS": "0", "JUPYTER_PLATFORM_DIRS": "1"}
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


def _browser(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"])


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


def _open_run_and_move(lab, name: str, slider_index: int, timeout_s: float):
    """Run notebook ``name`` in JupyterLab, check it raised nothing, press → five times on slider
    ``slider_index`` (counting sliders from the end of the notebook) and check the drawing changes.
    Returns the slider's readout text after the move."""
    from playwright.sync_api import sync_playwright

    base, token, root = lab
    shutil.copy(REPO / "notebooks" / name, root / name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/lab/tree/{name}?token={token}")
            nb = _run_all_and_save(page, name, root, timeout_s=timeout_s)
            assert not _errors(nb), _errors(nb)
            sliders = page.locator(".widget-slider, .widget-hslider")
            sliders.last.wait_for(timeout=60_000)
            slider = sliders.nth(sliders.count() - 1 - slider_index)
            slider.scroll_into_view_if_needed()
            readout = slider.locator(".widget-readout")
            before = readout.inner_text().strip()

            def move():
                slider.locator(".noUi-handle, .ui-slider-handle").first.focus()
                for _ in range(5):
                    page.keyboard.press("ArrowRight")

            _widget_image_changes(page, move, f"slider of {name}")
            after = readout.inner_text().strip()
            assert after != before
            time.sleep(2)
            page.screenshot(path=str(SHOTS / f"{Path(name).stem}.png"), full_page=False)
            return before, after
        finally:
            browser.close()


def test_pca_notebook_runs_in_jupyterlab_and_slider_redraws(lab):
    before, after = _open_run_and_move(lab, "01_pca.ipynb", slider_index=0, timeout_s=300)
    assert (before, after) == ("10", "15")  # five steps of the k slider


def test_vae_latent_explorer_runs_in_jupyterlab(lab):
    if not (REPO / "notebooks" / "06_vae.ipynb").exists():
        pytest.skip("notebook 06 is not in this checkout")
    _open_run_and_move(lab, "06_vae.ipynb", slider_index=1, timeout_s=600)  # z1 (z2 is the last slider)
