import pytest
import torch

from course_utils.device import get_device, set_seed
from course_utils.profiles import PROFILES, get_profile


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
