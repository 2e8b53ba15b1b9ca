"""The headless course run: ``python -m course_utils run [--profile P] [--dataset D] [NOTEBOOK ...]``.

Each notebook is executed by papermill (working directory = its folder) into ``build/notebooks/``,
rendered to HTML beside it, and summarised in ``build/summary.md`` and ``build/summary.json`` with
its wall time, status and every ``check(...)`` claim it made.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from .checks import format_value
from .data import DATASETS
from .profiles import PROFILES, get_profile

REPO = Path(__file__).resolve().parents[1]


def find_notebooks(names=None) -> list[Path]:
    """The course notebooks (``notebooks/*.ipynb``) or those named, by path or stem (``01_pca``)."""
    folder = REPO / "notebooks"
    if not names:
        found = sorted(folder.glob("[0-9]*.ipynb"))
        if not found:
            raise FileNotFoundError(f"no notebooks found in {folder}")
        return found
    out = []
    for name in names:
        p = Path(name)
        candidates = [p, folder / p.name, folder / f"{p.name}.ipynb", REPO / p]
        hit = next((c for c in candidates if c.is_file() and c.suffix == ".ipynb"), None)
        if hit is None:
            known = ", ".join(q.stem for q in sorted(folder.glob("*.ipynb")))
            raise FileNotFoundError(f"no notebook {name!r}; known notebooks: {known}")
        out.append(hit.resolve())
    return out


def notebook_title(nb) -> str | None:
    """The first markdown heading of a notebook, skipping the error banners papermill inserts."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "papermill-error-cell-tag" not in cell.metadata.get("tags", []):
            heading = next((line for line in cell.source.splitlines() if line.startswith("#")), None)
            if heading:
                return heading.lstrip("#").strip()
    return None


def _execute(nb: Path, out_nb: Path, parameters: dict, checks_file: Path) -> dict:
    import papermill as pm

    os.environ["COURSE_CHECKS_FILE"] = str(checks_file)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    start = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(str(nb), str(out_nb), parameters=parameters, cwd=str(nb.parent),
                            kernel_name="python3", progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as e:
        error = f"cell {e.exec_count}: {e.ename}: {str(e.evalue).strip()[:300]}"
    except Exception as e:  # a kernel that died, a notebook that is not JSON, ...
        error = f"{type(e).__name__}: {str(e).strip()[:300]}"
    finally:
        os.environ.pop("COURSE_CHECKS_FILE", None)
    seconds = time.perf_counter() - start
    title, figures = nb.stem, 0
    if out_nb.exists():
        import nbformat

        executed = nbformat.read(out_nb, as_version=4)
        title = notebook_title(executed) or nb.stem
        figures = sum("image/png" in o.get("data", {}) for c in executed.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
    checks = []
    if checks_file.exists():
        checks = [json.loads(line) for line in checks_file.read_text(encoding="utf-8").splitlines() if line]
    return {"notebook": nb.stem, "title": title, "status": "failed" if error else "passed",
            "seconds": round(seconds, 1), "figures": figures, "error": error, "checks": checks}


def _to_html(out_nb: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(out_nb, as_version=4))
    out_nb.with_suffix(".html").write_text(body, encoding="utf-8")


def write_summary(results: list[dict], out: Path, profile, dataset) -> None:
    """``summary.json`` and ``summary.md``: a table of notebooks, then one line per checked claim."""
    total = sum(r["seconds"] for r in results)
    (out / "summary.json").write_text(json.dumps(
        {"profile": profile, "dataset": dataset, "total_seconds": round(total, 1),
         "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "notebooks": results},
        indent=2), encoding="utf-8")
    lines = [f"# Course run: profile `{profile}`, dataset `{dataset}`", "",
             "| notebook | status | time (s) | claims passed |", "|---|---|---:|---:|"]
    for r in results:
        ok = sum(c["passed"] for c in r["checks"])
        mark = "✔ passed" if r["status"] == "passed" else "✘ failed"
        lines.append(f"| {r['notebook']} | {mark} | {r['seconds']:.1f} | {ok}/{len(r['checks'])} |")
    lines += ["", f"Total: {total:.1f} s", "",
              "Each notebook lists its **empirical claims** (outcomes of training or data, each with the "
              "negative control that lands on the other side of the bound) and then its **identity checks** "
              "(a formula equals a reference).", ""]
    for r in results:
        lines.append(f"## {r['notebook']}")
        if r["error"]:
            lines.append(f"- ✘ **failed** at {r['error']}")
        for kind, heading in (("empirical", "Empirical claims"), ("identity", "Identity checks")):
            rows = [c for c in r["checks"] if c.get("kind", "empirical") == kind]
            if rows:
                lines += ["", f"{heading}:", ""]
            for c in rows:
                value = format_value(c["value"]) if not isinstance(c["value"], str) else c["value"]
                control = ""
                if c.get("control") is not None:
                    control = f"; control ({c.get('control_label') or 'negative control'}): {format_value(c['control'])}"
                detail = f" — {c['detail']}" if c.get("detail") else ""
                lines.append(f"- {'✔' if c['passed'] else '✘'} `{c['name']}`: {value} (expected {c['bound']})"
                             f"{control}{detail}")
        lines.append("")
    (out / "summary.md").write_text("\n".join(lines), encoding="utf-8")


def run_course(notebooks=None, profile: str | None = None, dataset: str | None = None,
               out: str | os.PathLike = "build", html: bool = True) -> list[dict]:
    """Execute the notebooks, write HTML and the summary; return one result dict per notebook."""
    if profile is not None and profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: valid profiles are {', '.join(sorted(PROFILES))}")
    if dataset is not None and dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}: expected one of {', '.join(DATASETS)}")
    paths = find_notebooks(notebooks)
    out = Path(out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    parameters = {k: v for k, v in (("PROFILE", profile), ("DATASET", dataset)) if v is not None}
    profile_name, dataset_name = get_profile(profile).name, dataset or "mnist"  # what the notebooks will use
    from tqdm.auto import tqdm

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        bar = tqdm(paths, desc="course", unit="notebook")
        for nb in bar:
            bar.set_postfix_str(nb.stem)
            out_nb = out / "notebooks" / nb.name
            result = _execute(nb, out_nb, parameters, Path(tmp) / f"{nb.stem}.checks.jsonl")
            if html and out_nb.exists():
                _to_html(out_nb)
            results.append(result)
            status = "✔" if result["status"] == "passed" else "✘"
            tqdm.write(f"{status} {nb.stem}: {result['seconds']:.1f} s, "
                       f"{sum(c['passed'] for c in result['checks'])}/{len(result['checks'])} claims"
                       + (f" — {result['error']}" if result["error"] else ""))
            write_summary(results, out, profile_name, dataset_name)
    return results
