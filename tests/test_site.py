"""The course website, built by jupyter-book from a tiny fake course run and read in headless Chromium.

The fake run (summary.json and two executed notebooks, one failed the way papermill leaves it, plus
one homework) is written by hand, so no kernel runs. The build (slow) checks the pages' contents and
that every image has alternative text; the browser test serves the built site on 127.0.0.1, blocks
every other host, and checks that math is typeset, figures load, the navigation reaches every page
and the failed notebook says so. Skips where jupyter-book, npm/MathJax or Chromium are missing,
except in CI. Screenshots go to build/browser/.
"""

from __future__ import annotations

import base64
import functools
import http.server
import io
import json
import os
import re
import shutil
import threading
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.claims import MIME, make_record
from course_utils.paths import REPO_ROOT
from course_utils.tooling.alt import add_alt_text, figure_alts
from course_utils.tooling.links import named_repositories
from course_utils.tooling.run import notebook_title
from course_utils.tooling.site import build_site

BANNER = ('<span style="color:red; font-family:Helvetica Neue, Helvetica, Arial, sans-serif; font-size:2em;">'
          'An Exception was encountered at \'<a href="#papermill-error-cell">In [2]</a>\'.</span>')
STOP = ('<span id="papermill-error-cell" style="color:red; font-family:Helvetica Neue, Helvetica, Arial, '
        'sans-serif; font-size:2em;">Execution using papermill encountered an exception here and stopped:</span>')


ALT = "Figure: loss per epoch — x: epoch — y: MSE"


def png(y=(2, 0, 1)) -> str:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1, 2], list(y))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def fake_build(root: Path, homework: Path | None = None) -> Path:
    build = root / "build"
    (build / "notebooks").mkdir(parents=True)
    good = new_notebook(cells=[
        new_markdown_cell("# 01 · A passing lecture\n\nWhat you'll learn: the Gaussian $\\mathcal N(0, I)$.\n\n"
                          "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
                          "(https://colab.research.google.com/github/o/r/blob/main/notebooks/01_good.ipynb)"),
        new_markdown_cell("## 1. Math\n\nThe loss $\\lVert x - \\hat x \\rVert^2$, inline $$z = \\mu + \\sigma$$ and\n\n"
                          "$$\\mathrm{ELBO} = \\mathbb E_q[\\log p(x|z)] - \\mathrm{KL}(q \\| p)$$"),
        new_code_cell("plot()", execution_count=1, outputs=[  # as course_utils.figures publishes a figure
            new_output("display_data", data={"image/png": png(), "text/plain": ALT},
                       metadata={"image/png": {"alt": ALT}}),
            new_output("display_data", data={"image/png": png((0, 1, 0)), "text/plain": "<Figure size 300x200>"})]),
        new_code_cell("check('good-claim', 0.1, less_than=0.5, ...)", execution_count=2, outputs=[  # as check() shows it
            new_output("display_data", data={"text/plain": "✔ good-claim: 0.1 (expected < 0.5)",
                                              MIME: make_record("good-claim", 0.1, [["less_than", 0.5]], control=0.9)})]),
        new_code_cell("display(Markdown(...))", execution_count=3, outputs=[  # prose rendered from values
            new_output("display_data", data={"text/markdown": "The error fell to $\\varepsilon = 0.1$.",
                                              "text/plain": "<Markdown>"})]),
    ])
    bad = new_notebook(cells=[
        new_markdown_cell(BANNER, metadata={"tags": ["papermill-error-cell-tag"]}),
        new_markdown_cell("# 02 · A failing lecture\n\nWhat you'll learn: what a failure $f$ looks like."),
        new_code_cell("x = 1", execution_count=1),
        new_markdown_cell(STOP, metadata={"tags": ["papermill-error-cell-tag"]}),
        new_code_cell("check('bad-claim', 3.0, less_than=1.0)", execution_count=2, outputs=[
            new_output("error", ename="ClaimFailed", evalue="✘ bad-claim: 3 (expected < 1)", traceback=[])]),
        new_markdown_cell("## 2. Never reached"),
    ])
    for name, nb in (("01_good", good), ("02_bad", bad)):
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, build / "notebooks" / f"{name}.ipynb")
    good_claim = make_record("good-claim", 0.1, [["less_than", 0.5]], control=0.9, control_label="untrained")
    identity = make_record("an-identity", 1e-7, [["less_than", 1e-5]], identity=True)
    bad_claim = make_record("bad-claim", 3.0, [["less_than", 1.0]], control=5.0, control_label="untrained")
    run = {"date": "2031-01-02 03:04 UTC", "profile": "quick", "dataset": "mnist"}
    summary = {"schema": 2, "profile": "quick", "dataset": "mnist", "total_seconds": 3.5, "date": "2031-01-02 03:04 UTC",
               "notebooks": [
                   {**run, "notebook": "01_good", "title": "01 · A passing lecture", "status": "passed", "seconds": 1.5,
                    "figures": 2, "error": None, "checks": [good_claim, identity]},
                   {**run, "notebook": "02_bad", "title": "An Exception was encountered", "status": "failed",
                    "seconds": 2.0, "figures": 0, "error": "cell 2: ClaimFailed: ✘ bad-claim: 3 (expected < 1)",
                    "checks": [bad_claim]}]}
    (build / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    if homework is not None:
        homework.mkdir(parents=True, exist_ok=True)
        hw = new_notebook(cells=[new_markdown_cell("# Homework 1 · A task\n\nSolve $a + b$."),
                                 new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()")])
        nbformat.write(hw, homework / "hw1_task.ipynb")
    return build


def test_alt_text_comes_from_the_figures_metadata_else_a_fallback(tmp_path):
    nb = nbformat.read(fake_build(tmp_path) / "notebooks" / "01_good.ipynb", as_version=4)
    alts = figure_alts(nb, "01 · A passing lecture")
    assert sorted(alts.values()) == ["Figure drawn by cell 3, section “1. Math” in 01 · A passing lecture", ALT]
    first, second = alts
    page = tmp_path / "page.html"
    page.write_text(f'<p><img alt="_images/{first}" src="../_images/{first}" />'
                    f'<img src="../_images/{second}"\n class="x"><img src="logo.png" alt="Logo"></p>')
    assert add_alt_text(tmp_path, alts) == 2
    html = page.read_text()
    assert f'<img alt="{ALT}" src="../_images/{first}" />' in html
    assert 'alt="Figure drawn by cell 3, section “1. Math” in 01 · A passing lecture" src="../_images/' in html
    assert html.count("alt=") == 3 and 'alt="Logo"' in html


def test_title_skips_papermill_banner_and_missing_run_is_explained(tmp_path):
    build = fake_build(tmp_path)
    bad = nbformat.read(build / "notebooks" / "02_bad.ipynb", as_version=4)
    assert notebook_title(bad) == "02 · A failing lecture"
    assert notebook_title(new_notebook(cells=[new_code_cell("1")])) is None
    with pytest.raises(FileNotFoundError, match="make run"):
        build_site(tmp_path / "nothing")


def _skip_or_fail(why: str):
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(build folder, site folder) of a site built from the fake run."""
    from course_utils.tooling.site import _jupyter_book

    try:
        _jupyter_book()
    except RuntimeError as e:
        _skip_or_fail(str(e))
    npm = REPO_ROOT / "build" / "site-npm"  # shared: MathJax is installed once
    if shutil.which("npm") is None and not (npm / "node_modules" / "mathjax").exists():
        _skip_or_fail("the site needs npm to install MathJax 3 (Debian: apt-get install npm)")
    root = tmp_path_factory.mktemp("site")
    build = fake_build(root, root / "homework")
    index = build_site(build, homework=root / "homework", repo="someone/fork", npm_prefix=npm)
    return build, index.parent


IMG = re.compile(r"<img\b[^>]*>")


@pytest.mark.slow
def test_every_image_on_the_site_has_alternative_text(site):
    build, out = site
    images = [(page, tag) for page in out.rglob("*.html") for tag in IMG.findall(page.read_text(encoding="utf-8"))]
    assert sum("_images/" in tag for _, tag in images) == 2  # the fake run's two figures
    for page, tag in images:
        alt = re.search(r'\balt="([^"]*)"', tag)
        assert alt and alt.group(1).strip() and not alt.group(1).endswith(".png"), f"{page.name}: {tag}"
    good = (out / "notebooks" / "01_good.html").read_text(encoding="utf-8")
    assert f'alt="{ALT}"' in good.replace("&#x27;", "'")


@pytest.mark.slow
def test_site_pages_carry_the_run(site):
    build, out = site
    landing = (out / "index.html").read_text(encoding="utf-8")
    assert "02 · A failing lecture" in landing and "An Exception was encountered" not in landing
    assert "✘ failed" in landing and "✔ passed" in landing and "profile <code" in landing
    assert "course run of 2031-01-02 03:04 UTC" in landing
    assert "good-claim" in landing and "0.9 (untrained)" in landing and "identity" in landing
    names = set(named_repositories(landing))
    assert names == {"someone/fork"}, names  # launch links name the repository given
    assert "mybinder.org/v2/gh/someone/fork/main?urlpath=lab/tree/notebooks/02_bad.ipynb" in landing
    bad = (out / "notebooks" / "02_bad.html").read_text(encoding="utf-8")
    assert "This notebook failed in the course run" in bad and "The course run stopped here" in bad
    assert "papermill-error-cell" not in bad and "ClaimFailed" in bad
    assert "✔ good-claim: 0.1 (expected &lt; 0.5)" in (out / "notebooks" / "01_good.html").read_text(encoding="utf-8")
    good = (out / "notebooks" / "01_good.html").read_text(encoding="utf-8")
    assert 'src="../_static/mathjax/tex-mml-chtml.js' in good and (out / "_static/mathjax/tex-mml-chtml.js").exists()
    for page in out.rglob("*.html"):  # offline: no script or stylesheet from another host
        text = page.read_text(encoding="utf-8")
        assert 'src="http' not in text and "cdn.jsdelivr" not in text, page
    assert "site/index.html" in (build / "index.html").read_text()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site[1])))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


RAW_MATH = """() => {
  const walker = document.createTreeWalker(document.querySelector('article'), NodeFilter.SHOW_TEXT);
  const raw = [];
  while (walker.nextNode()) {
    const node = walker.currentNode, up = node.parentElement;
    if (up.closest('pre, code, script, style, mjx-container, mjx-assistive-mml')) continue;
    if (/\\$|\\\\\\(|\\\\\\[/.test(node.textContent)) raw.push(node.textContent.trim());
  }
  return raw;
}"""


@pytest.mark.browser
def test_site_in_chromium(served, chromium, shots):
    outside = []
    page = chromium.new_page(viewport={"width": 1300, "height": 900})

    def only_local(route):
        if route.request.url.startswith(served):
            return route.continue_()
        outside.append(route.request.url)
        return route.abort()

    page.route("**/*", only_local)
    page.goto(f"{served}/index.html")
    assert page.locator("h1").first.inner_text().startswith("Autoencoders, measured")
    row = page.locator("table tr", has_text="02 · A failing lecture").first
    assert "✘ failed" in row.inner_text()
    page.screenshot(path=str(shots / "site-landing.png"), full_page=True)
    nav = page.locator("nav.bd-docs-nav a.reference.internal")
    targets = {nav.nth(i).inner_text().strip(): nav.nth(i).get_attribute("href") for i in range(nav.count())}
    assert set(targets) == {"Autoencoders, measured", "01 · A passing lecture", "02 · A failing lecture",
                            "Homework 1 · A task"}, targets
    for title in targets:  # the sidebar reaches every page, from every page
        page.locator("nav.bd-docs-nav a.reference.internal", has_text=title).first.click()
        page.wait_for_load_state("load")
        assert page.locator("article h1").first.inner_text().strip().startswith(title)
        if title != "Autoencoders, measured":  # every notebook page here has math; the landing has none
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("() => MathJax.startup.promise")
            assert page.locator("article mjx-container").count() >= 1, f"no typeset math on {title}"
        assert page.evaluate(RAW_MATH) == [], f"raw TeX left on {title}"
        images = page.locator("article img")
        for i in range(images.count()):
            assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0"), title
    page.locator("nav.bd-docs-nav a.reference.internal", has_text="01 · A passing lecture").first.click()
    page.wait_for_load_state("load")
    assert page.locator("article img").count() == 2 and page.locator("article mjx-container").count() >= 4
    page.screenshot(path=str(shots / "site-notebook.png"), full_page=True)
    page.locator("nav.bd-docs-nav a.reference.internal", has_text="02 · A failing lecture").first.click()
    page.wait_for_load_state("load")
    failure = page.locator("article .admonition.error").first
    assert "failed in the course run" in failure.inner_text()
    page.screenshot(path=str(shots / "site-failed.png"), full_page=True)
    assert outside == [], f"the site asked for other hosts: {outside}"
