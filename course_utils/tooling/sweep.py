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

from .checks import format_value, margin
from .data import DATASETS
from .profiles import PROFILES, get_profile


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


def claims_table(runs: list[dict]) -> list[dict]:
    """One row per (notebook, claim): its value for each run, control values, bound, worst margin."""
    rows: dict[tuple[str, str], dict] = {}
    for run in runs:
        for c in run["checks"]:
            key = (run["notebook"], c["name"])
            row = rows.setdefault(key, {"notebook": run["notebook"], "name": c["name"], "kind": c.get("kind"),
                                        "bound": c["bound"], "values": {}, "controls": {}, "passed": {},
                                        "margins": {}, "control_label": c.get("control_label", "")})
            tag = f"{run['dataset']}/{run['seed']}"
            row["values"][tag] = c["value"]
            row["controls"][tag] = c.get("control")
            row["passed"][tag] = c["passed"]
            row["margins"][tag] = margin(c)
            if c["bound"] != row["bound"]:  # bounds may be set per dataset
                row["bound"] = " / ".join(dict.fromkeys([*row["bound"].split(" / "), c["bound"]]))
    out = []
    for row in rows.values():
        expected = {f"{r['dataset']}/{r['seed']}" for r in runs if r["notebook"] == row["notebook"]}
        missing = sorted(expected - set(row["values"]))  # runs that stopped before this claim
        margins = [m for m in row["margins"].values() if m is not None]
        row["missing"] = missing
        row["all_passed"] = all(row["passed"].values()) and not missing
        row["worst_margin"] = min(margins) if margins else None
        out.append(row)
    return out


def _cell(v) -> str:
    return "—" if v is None else (format_value(v) if not isinstance(v, str) else v)


def write_report(result: dict, out: Path) -> None:
    """``robustness.json`` (everything) and ``robustness.md`` (a table per notebook)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "robustness.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    runs, claims = result["runs"], result["claims"]
    tags = [f"{d}/{s}" for d in result["datasets"] for s in result["seeds"]]
    failed_runs = [r for r in runs if r["status"] != "passed"]
    n_ok = sum(c["all_passed"] for c in claims)
    lines = [f"# Robustness sweep: profile `{result['profile']}`, seeds {', '.join(map(str, result['seeds']))}, "
             f"data sets {', '.join(result['datasets'])}", "",
             f"{len(runs)} runs, {len(runs) - len(failed_runs)} ran to the end; "
             f"{n_ok} of {len(claims)} claims pass in every run.", "",
             "Worst margin: how far the weakest run lies inside the bound, relative to the bound "
             "(0.25 = 25 % of the bound to spare; negative = outside).", ""]
    for nb in dict.fromkeys(r["notebook"] for r in runs):
        nb_runs = [r for r in runs if r["notebook"] == nb]
        secs = [r["seconds"] for r in nb_runs]
        lines += [f"## {nb}", "",
                  f"Time per run: {min(secs):.0f}–{max(secs):.0f} s (mean {sum(secs) / len(secs):.0f} s).", ""]
        for r in nb_runs:
            if r["status"] != "passed":
                lines.append(f"- ✘ {r['dataset']} seed {r['seed']} stopped at {r['error']}")
        header = "| claim | kind | bound | " + " | ".join(t.replace("fashion_mnist", "fashion") for t in tags)
        lines += ["", header + " | control (worst) | worst margin | all |",
                  "|---|---|---|" + "---:|" * len(tags) + "---|---:|---|"]
        for c in (c for c in claims if c["notebook"] == nb):
            vals = " | ".join(("" if c["passed"].get(t, True) else "✘ ") + _cell(c["values"].get(t)) for t in tags)
            controls = [v for v in c["controls"].values() if v is not None]
            ctrl = "—"
            if controls and all(isinstance(v, int | float) and not isinstance(v, bool) for v in controls):
                ctrl = f"{format_value(min(controls))}…{format_value(max(controls))}" if len(set(controls)) > 1 else format_value(controls[0])
                ctrl += f" ({c['control_label']})" if c["control_label"] else ""
            wm = "—" if c["worst_margin"] is None else f"{c['worst_margin']:+.2g}"
            lines.append(f"| `{c['name']}` | {c['kind'] or '?'} | {c['bound']} | {vals} | {ctrl} | {wm} | "
                         f"{'✔' if c['all_passed'] else '✘'} |")
        lines.append("")
    (out / "robustness.md").write_text("\n".join(lines), encoding="utf-8")


def sweep(notebooks=None, seeds=(0, 1, 2, 3, 4), datasets=DATASETS, profile: str | None = None,
          out: str | os.PathLike = "build", keep_notebooks: bool = False) -> dict:
    """Execute every notebook for every (dataset, seed), recording all claims; write the report."""
    from tqdm.auto import tqdm

    from .run import _execute, find_notebooks

    if profile is not None and profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: valid profiles are {', '.join(sorted(PROFILES))}")
    bad = [d for d in datasets if d not in DATASETS]
    if bad:
        raise ValueError(f"unknown dataset {bad[0]!r}: expected one of {', '.join(DATASETS)}")
    paths = find_notebooks(notebooks)
    out = Path(out)
    result = {"profile": get_profile(profile).name, "seeds": list(seeds), "datasets": list(datasets),
              "notebooks": [p.stem for p in paths], "runs": [], "claims": []}
    jobs = [(nb, d, s) for nb in paths for d in datasets for s in seeds]
    previous = os.environ.get("COURSE_CHECKS_RECORD_ONLY")
    os.environ["COURSE_CHECKS_RECORD_ONLY"] = "1"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bar = tqdm(jobs, desc="sweep", unit="run")
            for nb, dataset, seed in bar:
                bar.set_postfix_str(f"{nb.stem} {dataset} seed {seed}")
                params = {"DATASET": dataset, "SEED": seed, **({"PROFILE": profile} if profile else {})}
                folder = out / "sweep" if keep_notebooks else Path(tmp)
                folder.mkdir(parents=True, exist_ok=True)
                out_nb = folder / f"{nb.stem}-{dataset}-{seed}.ipynb"
                run = _execute(nb, out_nb, params, Path(tmp) / f"{nb.stem}-{dataset}-{seed}.jsonl")
                run.update(dataset=dataset, seed=seed)
                result["runs"].append(run)
                failed = [c["name"] for c in run["checks"] if not c["passed"]]
                tqdm.write(f"{'✔' if run['status'] == 'passed' and not failed else '✘'} {nb.stem} {dataset} "
                           f"seed {seed}: {run['seconds']:.0f} s, {len(run['checks']) - len(failed)}/"
                           f"{len(run['checks'])} claims" + (f", failed: {', '.join(failed)}" if failed else "")
                           + (f" — {run['error']}" if run["error"] else ""))
                result["claims"] = claims_table(result["runs"])
                write_report(result, out)  # after every run, so an interrupted sweep keeps what it measured
    finally:
        if previous is None:
            os.environ.pop("COURSE_CHECKS_RECORD_ONLY", None)
        else:
            os.environ["COURSE_CHECKS_RECORD_ONLY"] = previous
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
              "claims": claims_table(runs)}
    write_report(result, Path(out))
    return result
