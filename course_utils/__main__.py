"""Command line: ``python -m course_utils run [--profile P] [--dataset D] [--out DIR] [NOTEBOOK ...]``,
``python -m course_utils sweep --seeds 0-4 [--dataset D] [NOTEBOOK ...]`` (the robustness
table), ``python -m course_utils student`` (regenerate the homework's student notebooks), ``site``
(the course website from build/) and ``links [--repo owner/name]`` (retarget the Colab/Binder links).

The tools live in ``course_utils.tooling`` (run, sweep, report, site, links), apart from the
lecture modules. A mistake on the command line (an unknown notebook, profile or seed range) is one line on stderr and
exit status 2, not a traceback.
"""

from __future__ import annotations

import argparse
import sys

from .data import DATASETS
from .profiles import PROFILES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m course_utils", description="Autoencoder course tools")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute the notebooks headless and write build/summary.md")
    run.add_argument("notebooks", nargs="*", help="notebook paths or names such as 01_pca (default: all)")
    run.add_argument("--profile", choices=sorted(PROFILES), help="quick (CPU) or full (GPU); default: auto")
    run.add_argument("--dataset", choices=DATASETS, help="mnist (default) or fashion_mnist")
    run.add_argument("--out", default="build", help="output folder (default: build)")
    run.add_argument("--no-html", action="store_true", help="skip the HTML rendering")
    sweep = sub.add_parser("sweep", help="run notebooks over seeds and data sets; write build/robustness.md")
    sweep.add_argument("notebooks", nargs="*", help="notebook paths or names such as 05_regularized_autoencoders "
                                                    "(default: all)")
    sweep.add_argument("--seeds", default="0-4", help="seeds, e.g. 0-4 or 0,3 (default: 0-4)")
    sweep.add_argument("--dataset", action="append", choices=DATASETS, dest="datasets",
                       help="a data set; repeat for several (default: all of them)")
    sweep.add_argument("--profile", choices=sorted(PROFILES), help="quick or full; default: auto")
    sweep.add_argument("--out", default="build", help="output folder (default: build)")
    sweep.add_argument("--keep-notebooks", action="store_true",
                       help="keep every executed notebook under OUT/sweep/")
    sweep.add_argument("--combine", nargs="+", metavar="JSON",
                       help="do not run anything: merge these robustness.json files (or folders) into OUT")
    student = sub.add_parser("student", help="regenerate homework/hw*.ipynb from homework/solutions/")
    student.add_argument("--solutions", help="folder of solution notebooks (default: homework/solutions)")
    student.add_argument("--out", help="folder for the student notebooks (default: homework)")
    links = sub.add_parser("links", help="point every Colab/Binder link at a repository ([tool.course_utils])")
    links.add_argument("--repo", help="owner/name to set (default: keep pyproject.toml's setting)")
    links.add_argument("--root", help=argparse.SUPPRESS)
    site = sub.add_parser("site", help="build the course website from build/ (after a run) into build/site/")
    site.add_argument("--build", default="build", help="the run's output folder (default: build)")
    return parser


def _sweep(args) -> int:
    from .tooling.sweep import combine, parse_seeds, sweep

    if args.combine:
        result = combine(args.combine, out=args.out)
    else:
        result = sweep(args.notebooks, seeds=parse_seeds(args.seeds), datasets=args.datasets or DATASETS,
                       profile=args.profile, out=args.out, keep_notebooks=args.keep_notebooks)
    bad = [c for c in result["claims"] if not c["all_passed"]]
    stopped = [r for r in result["runs"] if r["status"] != "passed"]
    print(f"Robustness table written to {args.out}/robustness.md: "
          f"{len(result['claims']) - len(bad)} of {len(result['claims'])} claims hold in every run")
    for c in bad:
        print(f"NOT ROBUST {c['notebook']} {c['name']}", file=sys.stderr)
    for r in stopped:
        print(f"STOPPED {r['notebook']} {r['dataset']} seed {r['seed']}: {r['error']}", file=sys.stderr)
    return 1 if bad or stopped else 0


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "student":
            from .homework import make_all_students

            make_all_students(args.solutions, args.out)
            return 0
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "site":
            from .tooling.site import build_site

            print(f"Site written to {build_site(args.build)}")
            return 0
        if args.command == "links":
            from .paths import REPO_ROOT
            from .tooling.links import repository, retarget

            root = args.root or REPO_ROOT
            changed = retarget(args.repo, root)
            print(f"{len(changed)} files changed; every link names {repository(root)}")
            return 0

        from .tooling.run import run_course

        results = run_course(args.notebooks, profile=args.profile, dataset=args.dataset, out=args.out,
                             html=not args.no_html)
    except (ValueError, FileNotFoundError) as e:  # a mistake on the command line: one line, no traceback
        print(f"python -m course_utils {args.command}: error: {e}", file=sys.stderr)
        return 2
    failed = [r for r in results if r["status"] != "passed"]
    print(f"Summary written to {args.out}/summary.md")
    for r in failed:
        print(f"FAILED {r['notebook']}: {r['error']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
