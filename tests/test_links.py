"""One setting names the course's repository; every Colab/Binder badge and install line agrees with it."""

import json
import shutil

import pytest

from course_utils.__main__ import main
from course_utils.paths import REPO_ROOT
from course_utils.tooling.links import (
    disagreements,
    launch_links,
    linked_files,
    named_repositories,
    repository,
    retarget,
    rewrite,
)


def test_every_link_names_the_configured_repository():
    repo = repository()
    assert disagreements() == []
    for path in linked_files():
        if path.suffix == ".ipynb":  # two badges and the Colab install line at least
            assert named_repositories(path.read_text(encoding="utf-8")).count(repo) >= 3, path


def test_patterns_find_and_rewrite_each_kind_of_link():
    text = ('[![Colab](https://colab.research.google.com/assets/colab-badge.svg)]'
            '(https://colab.research.google.com/github/a-b/c.d/blob/main/notebooks/01_pca.ipynb) '
            '[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/a-b/c.d/main?urlpath=lab/tree/x)\n'
            '"    %pip install -q \\"course_utils @ git+https://github.com/a-b/c.d\\"\\n",\n'
            "pip install 'git+https://github.com/a-b/c.d.git@main'\n"
            "Repository: <https://github.com/a-b/c.d>\nSee https://github.com/karpathy/minGPT too.")
    assert named_repositories(text) == ["a-b/c.d"] * 5
    new = rewrite(text, "me/fork")
    assert named_repositories(new) == ["me/fork"] * 5
    assert "git+https://github.com/me/fork.git@main" in new and "karpathy/minGPT" in new
    assert new.replace("me/fork", "a-b/c.d") == text
    with pytest.raises(ValueError, match="owner/name"):
        rewrite(text, "not a repo")


def test_launch_links():
    links = launch_links("notebooks/06_vae.ipynb", "me/fork")
    assert links["Colab"] == "https://colab.research.google.com/github/me/fork/blob/main/notebooks/06_vae.ipynb"
    assert named_repositories(" ".join(links.values())) == ["me/fork", "me/fork"]


@pytest.fixture
def copy_of_course(tmp_path):
    for name in ("notebooks", "homework"):
        shutil.copytree(REPO_ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name in ("README.md", "pyproject.toml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    return tmp_path


def test_retarget_rewrites_copies_and_the_setting(copy_of_course):
    root = copy_of_course
    before = {p: named_repositories(p.read_text(encoding="utf-8")) for p in linked_files(root)}
    assert main(["links", "--repo", "someone/my-course", "--root", str(root)]) == 0
    assert repository(root) == "someone/my-course" and disagreements(root) == []
    for path, names in before.items():
        text = path.read_text(encoding="utf-8")
        assert named_repositories(text) == ["someone/my-course"] * len(names), path
        if path.suffix == ".ipynb":  # still a notebook, still without outputs
            nb = json.loads(text)
            assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    assert retarget(None, root) == []  # idempotent: the links already agree with the setting
    # a hand edit that disagrees is found, and `links` without --repo repairs it
    nb = root / "notebooks" / "01_pca.ipynb"
    nb.write_text(nb.read_text(encoding="utf-8").replace("someone/my-course", "old/place", 1), encoding="utf-8")
    assert disagreements(root) == ["notebooks/01_pca.ipynb: names old/place"]
    assert main(["links", "--root", str(root)]) == 0 and disagreements(root) == []
