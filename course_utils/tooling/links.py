"""Where the course lives on GitHub: one setting, and a rewriter for every link that names it.

The setting is ``[tool.course_utils] repository = "owner/name"`` in ``pyproject.toml``. The Colab
and Binder badges and the Colab install line in the notebooks, the homework and the README, and the
site's launch links, all name that repository. ``python -m course_utils links --repo owner/name``
(``make links REPO=owner/name``) retargets all of them and the setting; ``links`` alone rewrites
them to the current setting. Files are edited as text, so a notebook keeps its exact formatting.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from ..paths import REPO_ROOT

_NAME = r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"
# Each pattern has three groups: the text before the repository, the repository, the text after.
PATTERNS = [
    re.compile(rf"(colab\.research\.google\.com/github/)({_NAME})(/blob/)"),
    re.compile(rf"(mybinder\.org/v2/gh/)({_NAME})(/)"),
    re.compile(rf"(git\+https://github\.com/)({_NAME}?)(\.git)?(?=[\"'@#\s\\]|$)"),
    re.compile(rf"(Repository: <https://github\.com/)({_NAME})(>)"),
]
_SETTING = re.compile(r'(^\[tool\.course_utils\][^\[]*?^repository\s*=\s*")([^"]*)(")', re.M | re.S)


def check_name(repo: str) -> str:
    if not re.fullmatch(_NAME, repo or ""):
        raise ValueError(f"repository must look like owner/name, got {repo!r}")
    return repo


def repository(root: Path = REPO_ROOT) -> str:
    """The ``owner/name`` set in ``pyproject.toml`` under ``[tool.course_utils]``."""
    with open(Path(root) / "pyproject.toml", "rb") as f:
        setting = tomllib.load(f).get("tool", {}).get("course_utils", {}).get("repository")
    if not setting:
        raise KeyError(f"no [tool.course_utils] repository = \"owner/name\" in {Path(root) / 'pyproject.toml'}")
    return check_name(setting)


def launch_links(path: str, repo: str, branch: str = "main") -> dict[str, str]:
    """Colab and Binder URLs that open ``path`` (relative to the repository root, e.g. notebooks/01_pca.ipynb)."""
    return {"Colab": f"https://colab.research.google.com/github/{repo}/blob/{branch}/{path}",
            "Binder": f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/{path}"}


def linked_files(root: Path = REPO_ROOT) -> list[Path]:
    """The files whose links name the repository: notebooks, homework (solutions too), README."""
    root = Path(root)
    files = [*sorted((root / "notebooks").glob("*.ipynb")), *sorted((root / "homework").rglob("*.ipynb"))]
    files = [f for f in files if ".ipynb_checkpoints" not in f.parts]
    return files + [p for p in (root / "README.md",) if p.exists()]


def named_repositories(text: str) -> list[str]:
    """Every repository the links in ``text`` name, in order of appearance (with repeats)."""
    found = [(m.start(), m.group(2)) for p in PATTERNS for m in p.finditer(text)]
    return [name for _, name in sorted(found)]


def rewrite(text: str, repo: str) -> str:
    """``text`` with every course link retargeted to ``repo``."""
    check_name(repo)
    for p in PATTERNS:
        text = p.sub(lambda m: m.group(1) + repo + (m.group(3) or ""), text)
    return text


def retarget(repo: str | None = None, root: Path = REPO_ROOT) -> list[Path]:
    """Rewrite every link (and, given ``repo``, the setting) to name ``repo``; return the files changed."""
    root = Path(root)
    changed = []
    if repo is not None:
        check_name(repo)
        pyproject = root / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        if _SETTING.search(text):
            new = _SETTING.sub(lambda m: m.group(1) + repo + m.group(3), text, count=1)
        else:
            new = text.rstrip("\n") + f'\n\n[tool.course_utils]\nrepository = "{repo}"\n'
        if new != text:
            pyproject.write_text(new, encoding="utf-8")
            changed.append(pyproject)
    repo = repository(root)
    for path in linked_files(root):
        text = path.read_text(encoding="utf-8")
        new = rewrite(text, repo)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def disagreements(root: Path = REPO_ROOT) -> list[str]:
    """'file: names other/repo' for every link that does not name the configured repository."""
    repo = repository(root)
    return [f"{path.relative_to(root)}: names {name}" for path in linked_files(root)
            for name in named_repositories(path.read_text(encoding="utf-8")) if name != repo]
