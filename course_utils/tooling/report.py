"""The claims report: one renderer of claim records for the run summary, the sweep table and the site.

A *run* is ``{"notebook", "checks": [record, ...], "status", "seconds", "error", ...}`` plus, in a
sweep, ``"dataset"`` and ``"seed"``. ``aggregate(runs)`` makes one row per (notebook, claim) with
its value in every run; ``claims_table(rows, tags)`` writes the rows as one Markdown (MyST) table.
Records are described in ``course_utils.claims``.
"""

from __future__ import annotations

from ..claims import bound_text, format_value, margin


def tag(run: dict) -> str:
    """The column a run's values go in: ``dataset/seed`` in a sweep, ``value`` for a single run."""
    return f"{run['dataset']}/{run['seed']}" if "seed" in run else "value"


def aggregate(runs: list[dict]) -> list[dict]:
    """One row per (notebook, claim): value, control, pass and margin per run tag; worst margin; missing runs."""
    rows: dict[tuple[str, str], dict] = {}
    for run in runs:
        for c in run["checks"]:
            row = rows.setdefault((run["notebook"], c["name"]), {
                "notebook": run["notebook"], "name": c["name"], "kind": c["kind"], "bounds": [],
                "control_label": c.get("control_label", ""), "detail": c.get("detail", ""),
                "values": {}, "controls": {}, "passed": {}, "margins": {}})
            t = tag(run)
            row["values"][t], row["controls"][t], row["passed"][t] = c["value"], c.get("control"), c["passed"]
            row["margins"][t] = margin(c)
            if c["bounds"] not in row["bounds"]:  # bounds may be set per data set
                row["bounds"].append(c["bounds"])
    out = []
    for row in rows.values():
        expected = {tag(r) for r in runs if r["notebook"] == row["notebook"]}
        margins = [m for m in row["margins"].values() if m is not None]
        row["missing"] = sorted(expected - set(row["values"]))  # runs that stopped before this claim
        row["all_passed"] = all(row["passed"].values()) and not row["missing"]
        row["worst_margin"] = min(margins) if margins else None
        out.append(row)
    return out


def _control(row: dict) -> str:
    if row["kind"] == "identity":
        return "— (identity: a formula against its reference)"
    controls = [v for v in row["controls"].values() if v is not None]
    if not controls:
        return "—"
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in controls)
    text = (f"{format_value(min(controls))}…{format_value(max(controls))}" if numbers and len(set(controls)) > 1
            else format_value(controls[0]))
    return text + (f" ({row['control_label']})" if row["control_label"] else "")


def _escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def claims_table(rows: list[dict], tags: list[str] | None = None) -> str:
    """A Markdown table: claim, kind, bound, one value column per tag, control, worst margin, pass.

    Empirical claims come first, then identity checks; a value that failed its bound is marked ✘.
    """
    if not rows:
        return "No claim was checked."
    tags = tags or list(dict.fromkeys(t for r in rows for t in r["values"]))
    heads = [t.replace("fashion_mnist", "fashion") for t in tags]
    lines = ["| claim | kind | bound | " + " | ".join(heads) + " | control | margin | pass |",
             "|---|---|---|" + "---:|" * len(tags) + "---|---:|:---:|"]
    for row in sorted(rows, key=lambda r: r["kind"] != "empirical"):
        values = [("" if row["passed"].get(t, True) else "✘ ") + format_value(row["values"].get(t)) for t in tags]
        worst = "—" if row["worst_margin"] is None else f"{row['worst_margin']:+.2g}"
        cells = [f"`{row['name']}`", row["kind"],
                 " / ".join(bound_text(b) for b in row["bounds"]), *values, _control(row), worst,
                 "✔" if row["all_passed"] else "✘ **no**"]
        lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
    return "\n".join(lines)


def run_claims_table(run: dict) -> str:
    """The claims table of one notebook's run (the summary and the site)."""
    return claims_table(aggregate([run]), ["value"])


def summary_markdown(summary: dict) -> str:
    """``summary.md``: the notebooks with status, time and claims, then each notebook's claims table."""
    results = summary["notebooks"]
    lines = [f"# Course run: profile `{summary['profile']}`, dataset `{summary['dataset']}`", "",
             "| notebook | status | time (s) | claims passed | run |", "|---|---|---:|---:|---|"]
    for r in results:
        ok = sum(c["passed"] for c in r["checks"])
        mark = "✔ passed" if r["status"] == "passed" else "✘ failed"
        when = f"{r.get('date', '')} · {r.get('profile', summary['profile'])} · {r.get('dataset', summary['dataset'])}"
        lines.append(f"| {r['notebook']} | {mark} | {r['seconds']:.1f} | {ok}/{len(r['checks'])} | {when} |")
    lines += ["", f"Total: {summary['total_seconds']:.1f} s", "",
              "Per notebook: its **empirical** claims (outcomes of training or data, each with the negative "
              "control that must land on the other side of the bound), then its **identity** checks (a formula "
              "equals a reference). Margin: how far the value lies inside the bound, relative to the bound.", ""]
    for r in results:
        lines.append(f"## {r['notebook']}")
        if r.get("error"):
            lines.append(f"\n✘ **failed** at {r['error']}")
        lines += ["", run_claims_table(r), ""]
    return "\n".join(lines)


def robustness_markdown(result: dict) -> str:
    """``robustness.md``: per notebook its run times, stopped runs and the claims over every (data set, seed)."""
    runs, claims = result["runs"], result["claims"]
    tags = [f"{d}/{s}" for d in result["datasets"] for s in result["seeds"]]
    stopped = [r for r in runs if r["status"] != "passed"]
    n_ok = sum(c["all_passed"] for c in claims)
    lines = [f"# Robustness sweep: profile `{result['profile']}`, seeds {', '.join(map(str, result['seeds']))}, "
             f"data sets {', '.join(result['datasets'])}", "",
             f"{len(runs)} runs, {len(runs) - len(stopped)} ran to the end; "
             f"{n_ok} of {len(claims)} claims pass in every run.", "",
             "Margin: the worst run's distance inside the bound, relative to the bound "
             "(0.25 = 25 % of the bound to spare; negative = outside).", ""]
    for nb in dict.fromkeys(r["notebook"] for r in runs):
        secs = [r["seconds"] for r in runs if r["notebook"] == nb]
        lines += [f"## {nb}", "",
                  f"Time per run: {min(secs):.0f}–{max(secs):.0f} s (mean {sum(secs) / len(secs):.0f} s).", ""]
        failed = [f"- ✘ {r['dataset']} seed {r['seed']} stopped at {r['error']}" for r in stopped if r["notebook"] == nb]
        lines += [*failed, *([""] if failed else []), claims_table([c for c in claims if c["notebook"] == nb], tags), ""]
    return "\n".join(lines)
