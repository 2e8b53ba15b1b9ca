"""The headless course run: ``python -m course_utils run [--profile P] [--dataset D] [NOTEBOOK ...]``.

Each notebook is executed by papermill (working directory = its folder) into ``build/notebooks/``,
rendered to HTML beside it, and summarised in ``build/summary.md`` and ``build/summary.json`` with
its wall time, status and every ``check(...)`` claim it made (read back from its outputs). Running
some notebooks updates their rows of the summary; the others keep their last result.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from pathlib import Path

from ..claims import records_in
from ..data import DATASETS
from ..paths import REPO_ROOT
from ..profiles import PROFILES, get_profile
from .figure_audit import cells_missing_figures, printed_warning
from .report import summary_markdown

SCHEMA = 2  # summary.json's layout; an older file is replaced, not merged
RECORD_ONLY_TAG = "course-record-only"


def find_notebooks(names=None) -> list[Path]:
    """The course notebooks (``notebooks/*.ipynb``) or those named, by path or stem (``01_pca``)."""
    folder = REPO_ROOT / "notebooks"
    if not names:
        found = sorted(folder.glob("[0-9]*.ipynb"))
        if not found:
            raise FileNotFoundError(f"no notebooks found in {folder}")
        return found
    out = []
    for name in names:
        p = Path(name)
        candidates = [p, folder / p.name, folder / f"{p.name}.ipynb", REPO_ROOT / p]
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


def _with_record_only(nb_path: Path, folder: Path) -> Path:
    """A copy of the notebook whose first cell calls ``checks.record_failures()`` (tagged, so it shows why)."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    cell = nbformat.v4.new_code_cell("from course_utils.checks import record_failures\nrecord_failures()  "
                                     "# the robustness sweep: a failed claim is recorded, not raised")
    cell.metadata["tags"] = [RECORD_ONLY_TAG]
    nb.cells.insert(0, cell)
    copy = folder / f".{nb_path.stem}.record-only.ipynb"
    nbformat.write(nb, copy)
    return copy


def execute(nb: Path, out_nb: Path, parameters: dict | None = None, *, record_only: bool = False) -> dict:
    """Execute notebook ``nb`` into ``out_nb``; return its result: status, seconds, figures and claim records.

    ``record_only=True`` runs it with failed claims recorded instead of raised (``checks.record_failures``).
    """
    import nbformat
    import papermill as pm

    nb, out_nb = Path(nb), Path(out_nb)
    out_nb.parent.mkdir(parents=True, exist_ok=True)
    source = _with_record_only(nb, out_nb.parent) if record_only else nb
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    start = time.perf_counter()
    error = None
    try:
        pm.execute_notebook(str(source), str(out_nb), parameters=parameters or {}, cwd=str(nb.parent),
                            kernel_name="python3", progress_bar=False, log_output=False, **_kernel_manager())
    except pm.PapermillExecutionError as e:
        error = f"cell {e.exec_count}: {e.ename}: {str(e.evalue).strip()[:300]}"
    except Exception as e:  # a kernel that died, a notebook that is not JSON, ...
        error = f"{type(e).__name__}: {str(e).strip()[:300]}"
    finally:
        if source != nb:
            source.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    title, figures, checks = nb.stem, 0, []
    if out_nb.exists():
        executed = nbformat.read(out_nb, as_version=4)
        title = notebook_title(executed) or nb.stem
        figures = sum("image/png" in o.get("data", {}) for c in executed.cells if c.cell_type == "code"
                      for o in c.get("outputs", []))
        checks = records_in(executed)
        if error is None:
            error = _unclean(executed)
    return {"notebook": nb.stem, "title": title, "status": "failed" if error else "passed",
            "seconds": round(seconds, 1), "figures": figures, "error": error, "checks": checks,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def _kernel_manager() -> dict:
    """On POSIX, kernels talk over local IPC sockets: no network port, and no ipykernel warning about
    unencrypted TCP on the console of every run. Elsewhere nbclient's default (TCP) stays."""
    if os.name != "posix":
        return {}
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IPCKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self):
            return "ipc"

        @default("ip")
        def _default_ip(self):  # a socket path of its own: kernels started at once must not share one
            return os.path.join(tempfile.gettempdir(), f"course-kernel-{uuid.uuid4().hex}")

    return {"kernel_manager_class": IPCKernelManager}


def _unclean(executed) -> str | None:
    """Why a notebook that ran to the end still fails: a figure drawn and never shown, or a warning printed."""
    lost = cells_missing_figures(executed.cells)
    if lost:
        return "; ".join(f"cell {i} calls {', '.join(calls)} but shows no image" for i, calls in lost)
    for i, cell in enumerate(executed.cells):
        said = printed_warning(cell.get("outputs", [])) if cell.cell_type == "code" else None
        if said:
            return f"cell {i} printed to stderr: {said}"
    return None


def _to_html(out_nb: Path) -> None:
    import nbformat
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(out_nb, as_version=4))
    out_nb.with_suffix(".html").write_text(body, encoding="utf-8")


def merge_results(previous: list[dict], new: list[dict]) -> list[dict]:
    """The last result of every notebook: ``new`` replaces ``previous`` by notebook; sorted by notebook."""
    by_name = {r["notebook"]: r for r in previous}
    by_name.update({r["notebook"]: r for r in new})
    return [by_name[k] for k in sorted(by_name)]


def _previous(out: Path) -> list[dict]:
    path = out / "summary.json"
    if not path.exists():
        return []
    old = json.loads(path.read_text(encoding="utf-8"))
    return old["notebooks"] if old.get("schema") == SCHEMA else []


def _common(results: list[dict], key: str) -> str:
    values = {r[key] for r in results}
    return values.pop() if len(values) == 1 else "mixed"


def write_summary(results: list[dict], out: Path) -> dict:
    """Merge ``results`` into ``summary.json`` by notebook, then write it and ``summary.md``; return the summary."""
    out = Path(out)
    merged = merge_results(_previous(out), results)
    summary = {"schema": SCHEMA, "profile": _common(merged, "profile"), "dataset": _common(merged, "dataset"),
               "total_seconds": round(sum(r["seconds"] for r in merged), 1),
               "date": max(r["date"] for r in merged), "notebooks": merged}
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out / "summary.md").write_text(summary_markdown(summary), encoding="utf-8")
    return summary


def check_choices(profile: str | None, datasets) -> None:
    """A clear ValueError for a profile or data set the course does not know."""
    if profile is not None and profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: valid profiles are {', '.join(sorted(PROFILES))}")
    bad = [d for d in datasets if d is not None and d not in DATASETS]
    if bad:
        raise ValueError(f"unknown dataset {bad[0]!r}: expected one of {', '.join(DATASETS)}")


def run_course(notebooks=None, profile: str | None = None, dataset: str | None = None,
               out: str | os.PathLike = "build", html: bool = True) -> list[dict]:
    """Execute the notebooks, write HTML and the summary; return one result dict per notebook run."""
    check_choices(profile, [dataset])
    paths = find_notebooks(notebooks)
    out = Path(out)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    parameters = {k: v for k, v in (("PROFILE", profile), ("DATASET", dataset)) if v is not None}
    used = {"profile": get_profile(profile).name, "dataset": dataset or "mnist"}  # what the notebooks will use
    from tqdm.auto import tqdm

    results = []
    bar = tqdm(paths, desc="course", unit="notebook")
    for nb in bar:
        bar.set_postfix_str(nb.stem)
        out_nb = out / "notebooks" / nb.name
        result = {**execute(nb, out_nb, parameters), **used}
        if html and out_nb.exists():
            _to_html(out_nb)
        results.append(result)
        tqdm.write(f"{'✔' if result['status'] == 'passed' else '✘'} {nb.stem}: {result['seconds']:.1f} s, "
                   f"{sum(c['passed'] for c in result['checks'])}/{len(result['checks'])} claims"
                   + (f" — {result['error']}" if result["error"] else ""))
        write_summary([result], out)  # after every notebook: an interrupted run keeps what it measured
    return results
