import pytest
import torch
from torch import nn

from course_utils import checkpoints
from course_utils.checkpoints import CheckpointError, load_checkpoint, load_or_train, save_checkpoint
from course_utils.models import MLPAutoencoder


def test_round_trip_restores_weights_and_meta(tmp_path):
    a, b = MLPAutoencoder(4, hidden=(16,)), MLPAutoencoder(4, hidden=(16,))
    path = save_checkpoint(a, tmp_path / "ae.pt", epochs=3, dataset="mnist")
    meta = load_checkpoint(b, path)
    assert meta == {"epochs": 3, "dataset": "mnist"}
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)
    assert [p.name for p in tmp_path.iterdir()] == ["ae.pt"]  # no temporary files left behind


def test_loads_with_weights_only(tmp_path, monkeypatch):
    calls = []
    real_load = torch.load

    def spy(*args, **kwargs):
        calls.append(kwargs.get("weights_only"))
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    path = save_checkpoint(nn.Linear(2, 2), tmp_path / "l.pt")
    load_checkpoint(nn.Linear(2, 2), path)
    assert calls == [True]


def test_refuses_another_architecture(tmp_path):
    path = save_checkpoint(nn.Linear(2, 2), tmp_path / "l.pt")
    with pytest.raises(CheckpointError, match="holds a Linear, but the model is a MLPAutoencoder"):
        load_checkpoint(MLPAutoencoder(2), path)


def test_refuses_another_configuration(tmp_path):
    path = save_checkpoint(MLPAutoencoder(4, hidden=(16,)), tmp_path / "ae.pt")
    with pytest.raises(CheckpointError, match="another configuration.*shapes differ"):
        load_checkpoint(MLPAutoencoder(8, hidden=(16,)), path)
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(MLPAutoencoder(4, hidden=(16, 8)), path)


def test_refuses_truncated_foreign_and_tampered_files(tmp_path):
    model = MLPAutoencoder(2, hidden=(8,))
    path = save_checkpoint(model, tmp_path / "ae.pt")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(model, truncated)
    text = tmp_path / "notes.pt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(model, text)
    foreign = tmp_path / "foreign.pt"
    torch.save(model.state_dict(), foreign)  # a bare state_dict: not our format
    with pytest.raises(CheckpointError, match="not a course_utils checkpoint"):
        load_checkpoint(model, foreign)
    payload = torch.load(path, weights_only=True)
    next(iter(payload["state_dict"].values())).add_(1.0)
    torch.save(payload, tmp_path / "tampered.pt")
    with pytest.raises(CheckpointError, match="fails its SHA-256 check"):
        load_checkpoint(model, tmp_path / "tampered.pt")
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_checkpoint(model, tmp_path / "missing.pt")


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_malicious_pickle_is_not_executed(tmp_path):
    import pickle

    class Evil:
        def __reduce__(self):
            return (exec, ("raise SystemExit('code ran')",))

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError):
        load_checkpoint(nn.Linear(1, 1), path)


def test_load_or_train(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "default_root", lambda: tmp_path)
    trained = []
    model = nn.Linear(2, 2)
    assert load_or_train(model, "lin", lambda: trained.append(1), profile="quick") is False
    assert load_or_train(nn.Linear(2, 2), "lin", lambda: trained.append(2), profile="quick") is True
    assert trained == [1]
    # other settings, another architecture or a damaged file: retrain rather than use stale weights
    assert load_or_train(nn.Linear(2, 2), "lin", lambda: trained.append(3), profile="full") is False
    assert load_or_train(nn.Linear(3, 3), "lin", lambda: trained.append(4), profile="full") is False
    (tmp_path / "checkpoints" / "lin.pt").write_bytes(b"garbage")
    assert load_or_train(nn.Linear(3, 3), "lin", lambda: trained.append(5), profile="full") is False
    assert trained == [1, 3, 4, 5]


def test_round_trip_with_batch_norm_buffers(tmp_path):
    """0-dim buffers (BatchNorm's num_batches_tracked) are hashed and restored too."""
    a = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    a.train()
    a(torch.randn(8, 3))
    b = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    load_checkpoint(b, save_checkpoint(a, tmp_path / "bn.pt"))
    assert b[1].num_batches_tracked.item() == 1
    assert torch.equal(a[1].running_mean, b[1].running_mean)
