"""Static checks of the committed notebooks: output-free, parameterised, with working badges."""

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
COURSE = sorted((REPO / "notebooks").glob("*.ipynb"))
ALL = COURSE + sorted((REPO / "homework").rglob("*.ipynb"))
REPO_URL = re.search(r"^Repository: <(https://github\.com/[^>]+)>", (REPO / "README.md").read_text(), re.M)


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_there_are_notebooks():
    assert COURSE, "no notebooks found"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    dirty = [i for i, c in enumerate(cells(path)) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts (run nbstripout)"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_notebook_shape(path):
    cs = cells(path)
    params = [c for c in cs if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    src = "".join(params[0]["source"])
    for name in ("PROFILE = None", "DATASET = \"mnist\"", "SEED ="):
        assert name in src, f"parameters cell lacks {name}"
    text = "\n".join("".join(c["source"]) for c in cs)
    assert "## Summary" in text and "## Exercises" in text
    assert "check(" in text
    assert 'if "google.colab" in sys.modules:' in text
    assert f'"course_utils @ git+{REPO_URL.group(1)}"' in text, "the Colab install must use the README's repository"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_badges_point_at_this_notebook_in_the_repository(path):
    assert REPO_URL, "README.md must state the repository URL once ('Repository: <https://github.com/...>')"
    owner_repo = REPO_URL.group(1).removeprefix("https://github.com/")
    text = "".join(cells(path)[0]["source"])
    # homework solutions link to the student version that Colab/Binder users should open
    target = path.relative_to(REPO).as_posix().replace("homework/solutions/", "homework/")
    assert f"https://colab.research.google.com/github/{owner_repo}/blob/main/{target}" in text
    assert f"https://mybinder.org/v2/gh/{owner_repo}/main?urlpath=lab/tree/{target}" in text
    for url in re.findall(r"https://(?:colab\.research\.google\.com/github|mybinder\.org/v2/gh)/([^/]+/[^/?]+)", text):
        assert url == owner_repo, f"badge points at {url}, README says {owner_repo}"


def test_readme_badges_point_at_existing_notebooks_in_the_repository():
    readme = (REPO / "README.md").read_text()
    owner_repo = REPO_URL.group(1).removeprefix("https://github.com/")
    targets = re.findall(r"colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/main/([^)\s]+)", readme)
    assert targets, "README has no Colab badges"
    for repo, path in targets:
        assert repo == owner_repo and (REPO / path).exists(), f"{repo}/{path}"
    listed = {path for _, path in targets}
    assert {p.relative_to(REPO).as_posix() for p in COURSE} <= listed, "every notebook is in the course map"


def _check_calls(path):
    """Every ``check(...)`` call in a notebook's code cells, parsed (IPython magics blanked out)."""
    import ast

    for c in cells(path):
        if c["cell_type"] != "code":
            continue
        src = "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                        for line in "".join(c["source"]).splitlines())
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check":
                yield node


def test_claim_names_are_unique_across_the_course_and_each_claim_is_typed():
    """A claim's name identifies it in summary.md and the robustness table; each one says what it is."""
    import ast

    seen: dict[str, str] = {}
    for path in COURSE + sorted((REPO / "homework" / "solutions").glob("*.ipynb")):
        for call in _check_calls(path):
            assert call.args and isinstance(call.args[0], ast.Constant), \
                f"{path.name}: line {call.lineno}: a claim's name must be a string literal"
            name = call.args[0].value
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), f"{path.name}: claim name {name!r} is not a slug"
            assert name not in seen, f"claim {name!r} is used in {seen[name]} and again in {path.name}"
            seen[name] = path.name
            keywords = {k.arg for k in call.keywords}
            assert keywords & {"identity", "control"}, \
                f"{path.name}: {name!r} is neither identity=True nor an empirical claim with control="
    assert len(seen) >= 30
