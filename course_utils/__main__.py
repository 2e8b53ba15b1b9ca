"""Command line: ``python -m course_utils run [--profile P] [--dataset D] [--out DIR] [NOTEBOOK ...]``
``python -m course_utils student`` (regenerate the homework's student notebooks),
``site`` (the course website from build/) and ``links [--repo owner/name]`` (retarget Colab/Binder links)."""

from __future__ import annotations

import argparse
import sys

from .data import DATASETS
from .profiles import PROFILES


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_utils", description="Autoencoder course tools")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute the notebooks headless and write build/summary.md")
    run.add_argument("notebooks", nargs="*", help="notebook paths or names such as 01_pca (default: all)")
    run.add_argument("--profile", choices=sorted(PROFILES), help="quick (CPU) or full (GPU); default: auto")
    run.add_argument("--dataset", choices=DATASETS, help="mnist (default) or fashion_mnist")
    run.add_argument("--out", default="build", help="output folder (default: build)")
    run.add_argument("--no-html", action="store_true", help="skip the HTML rendering")
    student = sub.add_parser("student", help="regenerate homework/hw*.ipynb from homework/solutions/")
    student.add_argument("--solutions", help="folder of solution notebooks (default: homework/solutions)")
    student.add_argument("--out", help="folder for the student notebooks (default: homework)")
    links = sub.add_parser("links", help="point every Colab/Binder link at a repository ([tool.course_utils])")
    links.add_argument("--repo", help="owner/name to set (default: keep pyproject.toml's setting)")
    links.add_argument("--root", help=argparse.SUPPRESS)
    site = sub.add_parser("site", help="build the course website from build/ (after a run) into build/site/")
    site.add_argument("--build", default="build", help="the run's output folder (default: build)")
    args = parser.parse_args(argv)

    if args.command == "site":
        from .site import build_site

        print(f"Site written to {build_site(args.build)}")
        return 0
    if args.command == "links":
        from .links import REPO_ROOT, repository, retarget

        root = args.root or REPO_ROOT
        changed = retarget(args.repo, root)
        print(f"{len(changed)} files changed; every link names {repository(root)}")
        return 0

    if args.command == "student":
        from .homework import make_all_students

        make_all_students(args.solutions, args.out)
        return 0

    from .run import run_course

    results = run_course(args.notebooks, profile=args.profile, dataset=args.dataset, out=args.out,
                         html=not args.no_html)
    failed = [r for r in results if r["status"] != "passed"]
    print(f"Summary written to {args.out}/summary.md")
    for r in failed:
        print(f"FAILED {r['notebook']}: {r['error']}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
