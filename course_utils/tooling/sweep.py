"""The robustness sweep: ``python -m course_utils sweep --seeds 0-4 --dataset mnist --dataset fashion_mnist [NOTEBOOK ...]``.

A claim is evidence only if it holds for every seed and on both data sets, with margin. The sweep
executes each notebook once per (dataset, seed) with checks in record-only mode (a failed claim is
recorded and the notebook goes on), then writes ``robustness.json`` and ``robustness.md``: per
claim its value in every run, its bound, its negative control, and the worst margin (how far the
weakest run sits inside the bound, relative to the bound). Bounds are set from this table.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..data import DATASETS
from ..profiles import get_profile
from .report import aggregate, robustness_markdown
from .run import check_choices, execute, find_notebooks


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` → [0, 1, 2, 3, 4]; ``"0,2,7"`` → [0, 2, 7]; ``"3"`` → [3]."""
    seeds: list[int] = []
    try:
        for part in str(text).split(","):
            lo, dash, hi = part.strip().partition("-")
            first, last = int(lo), int(hi) if dash else int(lo)
            if last < first:
                raise ValueError
            seeds.extend(range(first, last + 1))
    except ValueError:
        raise ValueError(f"seeds {text!r}: expected a range like 0-4 or a list like 0,1,5 "
                         f"(non-negative integers)") from None
    return sorted(set(seeds))


def write_report(result: dict, out: Path) -> None:
    """``robustness.json`` (everything) and ``robustness.md`` (a table per notebook)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "robustness.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out / "robustness.md").write_text(robustness_markdown(result), encoding="utf-8")


def sweep(notebooks=None, seeds=(0, 1, 2, 3, 4), datasets=DATASETS, profile: str | None = None,
          out: str | os.PathLike = "build", keep_notebooks: bool = False) -> dict:
    """Execute every notebook for every (dataset, seed), recording all claims; write the report."""
    from tqdm.auto import tqdm

    check_choices(profile, datasets)
    paths = find_notebooks(notebooks)
    out = Path(out)
    result = {"profile": get_profile(profile).name, "seeds": list(seeds), "datasets": list(datasets),
              "notebooks": [p.stem for p in paths], "runs": [], "claims": []}
    jobs = [(nb, d, s) for nb in paths for d in datasets for s in seeds]
    with tempfile.TemporaryDirectory() as tmp:
        bar = tqdm(jobs, desc="sweep", unit="run")
        for nb, dataset, seed in bar:
            bar.set_postfix_str(f"{nb.stem} {dataset} seed {seed}")
            params = {"DATASET": dataset, "SEED": seed, **({"PROFILE": profile} if profile else {})}
            folder = out / "sweep" if keep_notebooks else Path(tmp)
            run = execute(nb, folder / f"{nb.stem}-{dataset}-{seed}.ipynb", params, record_only=True)
            run.update(dataset=dataset, seed=seed)
            result["runs"].append(run)
            failed = [c["name"] for c in run["checks"] if not c["passed"]]
            tqdm.write(f"{'✔' if run['status'] == 'passed' and not failed else '✘'} {nb.stem} {dataset} "
                       f"seed {seed}: {run['seconds']:.0f} s, {len(run['checks']) - len(failed)}/"
                       f"{len(run['checks'])} claims" + (f", failed: {', '.join(failed)}" if failed else "")
                       + (f" — {run['error']}" if run["error"] else ""))
            result["claims"] = aggregate(result["runs"])
            write_report(result, out)  # after every run, so an interrupted sweep keeps what it measured
    return result


def combine(paths, out: str | os.PathLike = "build") -> dict:
    """Merge several ``robustness.json`` files (e.g. one sweep per notebook) into one report."""
    parts = []
    for p in paths:
        p = Path(p)
        p = p / "robustness.json" if p.is_dir() else p
        if not p.is_file():
            raise FileNotFoundError(f"no robustness.json at {p}")
        parts.append(json.loads(p.read_text(encoding="utf-8")))
    profiles = {part["profile"] for part in parts}
    if len(profiles) > 1:
        raise ValueError(f"cannot combine sweeps of different profiles: {', '.join(sorted(profiles))}")
    runs = [r for part in parts for r in part["runs"]]
    result = {"profile": profiles.pop(), "seeds": sorted({r["seed"] for r in runs}),
              "datasets": [d for d in DATASETS if any(r["dataset"] == d for r in runs)],
              "notebooks": list(dict.fromkeys(r["notebook"] for r in runs)), "runs": runs,
              "claims": aggregate(runs)}
    write_report(result, Path(out))
    return result
