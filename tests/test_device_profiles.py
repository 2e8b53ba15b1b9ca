import ast
import json
from pathlib import Path

import pytest
import torch

from course_utils.device import get_device, set_seed
from course_utils.profiles import PROFILES, Profile, get_profile


def test_get_device_prefers_argument_and_env(monkeypatch):
    assert get_device("cpu") == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")


def test_get_device_rejects_unknown_and_unavailable(monkeypatch):
    with pytest.raises(ValueError, match="expected one of cpu, cuda, mps"):
        get_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="'cuda' was requested but is not available"):
        get_device("cuda")


def test_set_seed_reproduces_draws_and_returns_generator():
    g1 = set_seed(3)
    a = torch.rand(5), torch.randperm(10, generator=g1)
    g2 = set_seed(3)
    b = torch.rand(5), torch.randperm(10, generator=g2)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    with pytest.raises(ValueError, match="non-negative int"):
        set_seed(-1)


def test_profiles_by_name_env_and_default(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert get_profile("quick").n_train == 4000
    assert get_profile("FULL").n_train is None
    monkeypatch.setenv("COURSE_PROFILE", "full")
    assert get_profile().name == "full"
    monkeypatch.delenv("COURSE_PROFILE")
    expected = "full" if torch.cuda.is_available() else "quick"
    assert get_profile().name == expected


def test_unknown_profile_lists_valid_ones():
    with pytest.raises(ValueError, match="unknown profile 'fast': valid profiles are full, quick"):
        get_profile("fast")


def test_profiles_are_frozen():
    with pytest.raises(AttributeError):
        PROFILES["quick"].epochs = 99
    with pytest.raises(TypeError):
        PROFILES["quick"].budgets["vae"] = 99


# --- any profile works without a code change -------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "homework" / "solutions").glob("*.ipynb"))
THIRD = Profile(name="tiny", n_train=200, n_test=100, epochs=1, batch_size=32, description="a third profile")


def _code(path):
    from IPython.core.inputtransformer2 import TransformerManager

    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    return [(TransformerManager().transform_cell("".join(c["source"])), c.get("metadata", {}).get("tags", []))
            for c in cells]


def _profile_lookups(tree):
    """Every ``P.attr`` and ``P.method(...)`` expression in a cell, as source text."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                isinstance(node.func.value, ast.Name) and node.func.value.id == "P":
            yield ast.unparse(node)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "P":
            yield ast.unparse(node)


def test_profiles_share_their_budget_names():
    names = {name: set(p.budgets) for name, p in PROFILES.items()}
    assert len({frozenset(v) for v in names.values()}) == 1, names
    assert PROFILES["quick"].epochs_for("vae") == 20 and PROFILES["full"].epochs_for("lenet") == 12
    assert THIRD.epochs_for("vae") == THIRD.epochs  # a profile without budgets falls back to its epochs


def test_the_full_profile_never_takes_fewer_steps_than_the_quick_one_on_the_same_data():
    # Offline, `--profile full` reads the same 5,000-image MNIST subset as `quick`, with larger batches:
    # a budget that is not scaled with the batch size would train less (06's 64-d VAE did: 64 of 64 units
    # still active). Steps per epoch on the same data scale with 1 / batch_size.
    quick, full = PROFILES["quick"], PROFILES["full"]
    for name in ["<epochs>", *quick.budgets]:
        q, f = (p.epochs if name == "<epochs>" else p.epochs_for(name) for p in (quick, full))
        assert f / full.batch_size >= q / quick.batch_size, \
            f"{name}: full trains {f} epochs of batch {full.batch_size}, fewer steps than quick's {q} of {quick.batch_size}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_never_switch_on_a_profile_name(path):
    budget_names = set(PROFILES["quick"].budgets)
    for src, _ in _code(path):
        for node in ast.walk(ast.parse(src)):
            is_name = lambda n: isinstance(n, ast.Attribute) and n.attr == "name" and \
                isinstance(n.value, ast.Name) and n.value.id == "P"
            if isinstance(node, ast.Subscript) and is_name(node.slice) or \
                    isinstance(node, ast.Compare) and any(map(is_name, [node.left, *node.comparators])):
                pytest.fail(f"{path.name} switches on the profile's name: {ast.unparse(node)}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "epochs_for":
                name = ast.literal_eval(node.args[0])
                assert name in budget_names, f"{path.name}: budget {name!r} is in no profile (a typo?)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_third_profile_runs_each_notebooks_parameter_cells(path, monkeypatch):
    """Register a third profile, run setup → parameters → the cell deriving from P, then every P lookup."""
    monkeypatch.setitem(PROFILES, THIRD.name, THIRD)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(path.parent)
    cells = _code(path)
    at = next(i for i, (_, tags) in enumerate(cells) if "parameters" in tags)
    namespace = {"__name__": "__main__"}
    for i, (src, _) in enumerate(cells[:at + 2]):
        exec(compile(src, f"{path.name} cell {i}", "exec"), namespace)
        if i == at:
            namespace["PROFILE"] = THIRD.name
    assert namespace["P"] is THIRD
    for src, _ in cells:
        for lookup in _profile_lookups(ast.parse(src)):
            eval(lookup, namespace)
