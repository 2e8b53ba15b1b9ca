"""The course website: ``python -m course_utils site`` (``make site``), built from the last course run.

Nothing is re-executed. From ``build/summary.json`` and the executed notebooks in ``build/notebooks/``
it writes a jupyter-book (1.x, Sphinx) source in ``build/site-src/``: a landing page with the course
map and each notebook's claims, one page per executed notebook (its claims table and launch links
added under the title; a failed notebook says so where it stopped) and one per homework student
version; then builds it into ``build/site/`` and points ``build/index.html`` at it. Math is typeset
offline by MathJax 3 from the npm package ``mathjax``, installed into ``build/site-npm/`` on first use.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..paths import REPO_ROOT
from .alt import add_alt_text, figure_alts
from .links import launch_links, repository
from .report import run_claims_table
from .run import notebook_title

MATHJAX = "mathjax@3"
MATHJAX_FILES = ["tex-mml-chtml.js", "input", "output", "ui", "a11y", "adaptors"]  # not sre/ nor other bundles
ERROR_TAG = "papermill-error-cell-tag"
BADGE = re.compile(r"\[!\[[^\]]*\]\(https?://[^)]*\)\]\([^)]*\)[ \t]*")  # [![Colab](…svg)](…): remote images


def _without_badges(nb):
    """The notebook without its badge images (fetched from other hosts); the page gives text links instead."""
    nb.metadata.pop("widgets", None)  # widget state would pull the widget manager from a CDN
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = BADGE.sub("", cell.source)
    return nb


def _cell(text: str):
    from nbformat.v4 import new_markdown_cell

    return new_markdown_cell(text)


def _badges(path: str, repo: str) -> str:
    links = launch_links(path, repo)
    return " · ".join(f"[Open in {name}]({url})" for name, url in links.items())


def _path(r: dict) -> str:
    return f"notebooks/{r['notebook']}.ipynb"


def _when(summary: dict, summary_path: Path) -> str:
    """When the run ended: its ``date``, else (a summary from before the date was recorded) the file's time."""
    return summary.get("date") or time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(summary_path.stat().st_mtime))


def _status(r: dict) -> str:
    """A green or red badge (sphinx-design, part of jupyter-book)."""
    return "{bdg-success}`✔ passed`" if r["status"] == "passed" else "{bdg-danger}`✘ failed`"


def notebook_page(nb, r: dict, run: str, repo: str):
    """The executed notebook with the run's report under its title; papermill's banners become one admonition."""
    _without_badges(nb)
    cells, stop = [], None
    for cell in nb.cells:
        if cell.cell_type == "markdown" and ERROR_TAG in cell.metadata.get("tags", []):
            if "papermill-error-cell" in cell.source and "span" in cell.source:  # where execution stopped
                stop = len(cells)
            continue
        cells.append(cell)
    report = [f"*{run} · {r['seconds']:.0f} s · {sum(c['passed'] for c in r['checks'])}/{len(r['checks'])} claims"
              f" hold · {_badges(_path(r), repo)}*", ""]
    if r["status"] != "passed":
        report += ["```{admonition} ✘ This notebook failed in the course run", ":class: error",
                   f"{r.get('error') or 'It wrote no output.'}", "",
                   "The page shows its outputs up to the cell where it stopped.", "```", ""]
    report += [run_claims_table(r)]
    if stop is not None:
        cells.insert(stop, _cell(f"```{{error}}\nThe course run stopped here: {r.get('error')}\n```"))
    first = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"), -1)
    cells.insert(first + 1, _cell("\n".join(report)))
    nb.cells = cells
    return nb


def _book_files(src: Path, repo: str) -> None:
    mathjax_config = {"tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]}}
    config = {
        "title": "Autoencoders, measured", "author": "the course authors", "copyright": time.strftime("%Y"),
        "only_build_toc_files": True, "execute": {"execute_notebooks": "off"},
        "exclude_patterns": ["_build", "**.ipynb_checkpoints", "mathjax-static"],
        "repository": {"url": f"https://github.com/{repo}", "branch": "main"},
        "html": {"use_repository_button": True, "home_page_in_navbar": True},
        "launch_buttons": {"binderhub_url": "", "colab_url": "", "thebe": False},
        "sphinx": {"config": {"html_static_path": ["mathjax-static"], "mathjax_path": "mathjax/tex-mml-chtml.js",
                              "mathjax3_config": mathjax_config, "html_show_sourcelink": False,
                              "nb_merge_streams": True, "nb_render_markdown_format": "myst",
                              "myst_dmath_double_inline": True, "suppress_warnings": ["myst.header", "mystnb.unknown_mime_type"]}},
    }
    # YAML is a superset of JSON: the config needs no YAML writer.
    (src / "_config.yml").write_text(json.dumps(config, indent=1, ensure_ascii=False), encoding="utf-8")


def _toc(src: Path, lectures: list[str], homework: list[str]) -> None:
    parts = [{"caption": "Lectures", "chapters": [{"file": f"notebooks/{n}"} for n in lectures]}]
    if homework:
        parts.append({"caption": "Homework", "chapters": [{"file": f"homework/{n}"} for n in homework]})
    (src / "_toc.yml").write_text(json.dumps({"format": "jb-book", "root": "index", "parts": parts}, indent=1),
                                  encoding="utf-8")


def landing_page(summary: dict, titles: dict, homework: dict, run: str, repo: str) -> str:
    results = summary["notebooks"]
    n_claims = sum(len(r["checks"]) for r in results)
    n_ok = sum(c["passed"] for r in results for c in r["checks"])
    lines = ["# Autoencoders, measured", "",
             "A course on autoencoders in Jupyter notebooks: PCA, the fully-connected and convolutional "
             "autoencoder, denoising, sparse and contractive autoencoders, the VAE, a GAN for contrast, and what autoencoders are used for. "
             "Every claim a lecture makes is measured on the spot by a `check(...)` cell, next to a negative "
             "control that lands on the other side of the bound.", "",
             f"**This site shows the course run of {run}**: {len(results)} notebooks in "
             f"{summary.get('total_seconds', 0):.0f} s, {sum(r['status'] == 'passed' for r in results)} passed, "
             f"{n_ok}/{n_claims} claims hold. Source: [{repo}](https://github.com/{repo}).", "",
             "## Course map", "", "| notebook | status | time | claims | open |", "|---|---|---:|---:|---|"]
    for r in results:
        ok = sum(c["passed"] for c in r["checks"])
        lines.append(f"| {{doc}}`{titles[r['notebook']]} <notebooks/{r['notebook']}>` | {_status(r)} | "
                     f"{r['seconds']:.0f} s | {ok}/{len(r['checks'])} | {_badges(_path(r), repo)} |")
    if homework:
        lines += ["", "## Homework", "", "Student versions: each has automatic checks that fail until solved.", "",
                  "| homework | open |", "|---|---|"]
        lines += [f"| {{doc}}`{t} <homework/{n}>` | {_badges(f'homework/{n}.ipynb', repo)} |" for n, t in homework.items()]
    lines += ["", "## Claims, notebook by notebook", ""]
    for r in results:
        fence = "`" * 4
        lines += [f"{fence}{{dropdown}} {titles[r['notebook']]}: {'✔ passed' if r['status'] == 'passed' else '✘ failed'}, "
                  f"{sum(c['passed'] for c in r['checks'])}/{len(r['checks'])} claims"]
        if r.get("error"):
            lines += [f"Failed at {r['error']}", ""]
        lines += [run_claims_table(r), fence, ""]
    return "\n".join(lines)


def _mathjax(npm_prefix: Path) -> Path:
    es5 = npm_prefix / "node_modules" / "mathjax" / "es5"
    if not (es5 / "tex-mml-chtml.js").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("the site typesets math with MathJax 3 from npm: install Node.js and npm "
                               "(Debian: apt-get install npm)")
        subprocess.run([npm, "install", "--prefix", str(npm_prefix), "--no-save", "--no-audit", "--no-fund",
                        MATHJAX], check=True, stdout=subprocess.DEVNULL)
    return es5


def _jupyter_book() -> str:
    exe = Path(sys.executable).with_name("jupyter-book")
    found = str(exe) if exe.exists() else shutil.which("jupyter-book")
    if found is None:
        raise RuntimeError('the site needs jupyter-book 1.x: pip install -e ".[site]" (or make site)')
    return found


def build_site(build="build", homework=None, repo: str | None = None, npm_prefix=None) -> Path:
    """Write the book source from ``build`` and build it; return the path of the site's index.html."""
    build = Path(build)
    summary_path = build / "summary.json"
    if not summary_path.exists():
        raise FileNotFoundError(f"{summary_path} not found: run the course first (make run)")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    repo = repo or repository()
    homework = Path(homework) if homework is not None else REPO_ROOT / "homework"
    src, out = build / "site-src", build / "site"
    shutil.rmtree(src, ignore_errors=True)
    (src / "notebooks").mkdir(parents=True)
    (src / "homework").mkdir()
    import nbformat

    run = f"{_when(summary, summary_path)}, profile `{summary['profile']}`, dataset `{summary['dataset']}`"
    titles, alts = {}, {}
    for r in summary["notebooks"]:
        path = build / "notebooks" / f"{r['notebook']}.ipynb"
        if path.exists():
            nb = nbformat.read(path, as_version=4)
        else:  # it did not even start
            nb = nbformat.v4.new_notebook(cells=[_cell(f"# {r.get('title') or r['notebook']}")])
        titles[r["notebook"]] = notebook_title(nb) or r["notebook"]
        alts.update(figure_alts(nb, titles[r["notebook"]]))
        nbformat.write(notebook_page(nb, r, run, repo), src / "notebooks" / path.name)
    students = {}
    for path in sorted(homework.glob("hw*.ipynb")):
        nb = _without_badges(nbformat.read(path, as_version=4))
        students[path.stem] = notebook_title(nb) or path.stem
        first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), -1)
        nb.cells.insert(first + 1, _cell(f"*Student version, not executed here: open it and solve the tasks · "
                                         f"{_badges(f'homework/{path.name}', repo)}*"))
        nbformat.write(nb, src / "homework" / path.name)
    (src / "index.md").write_text(landing_page(summary, titles, students, run, repo), encoding="utf-8")
    _book_files(src, repo)
    _toc(src, [r["notebook"] for r in summary["notebooks"]], list(students))
    es5 = _mathjax(Path(npm_prefix) if npm_prefix else build / "site-npm")
    for name in MATHJAX_FILES:
        target = src / "mathjax-static" / "mathjax" / name
        copy = shutil.copytree if (es5 / name).is_dir() else shutil.copy2
        target.parent.mkdir(parents=True, exist_ok=True)
        copy(es5 / name, target)
    done = subprocess.run([_jupyter_book(), "build", str(src), "--keep-going"], capture_output=True, text=True)
    html = src / "_build" / "html"
    if done.returncode != 0 or not (html / "index.html").exists():
        raise RuntimeError(f"jupyter-book build failed:\n{(done.stdout + done.stderr)[-4000:]}")
    add_alt_text(html, alts)
    shutil.rmtree(out, ignore_errors=True)
    shutil.move(str(html), str(out))
    (build / "index.html").write_text(
        '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=site/index.html">'
        '<title>Autoencoder course</title><a href="site/index.html">The course site</a>\n', encoding="utf-8")
    return out / "index.html"
