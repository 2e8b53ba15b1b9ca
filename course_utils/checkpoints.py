"""Saving and loading trained weights (the load-or-train cells of 06 and 07).

A checkpoint is one file holding a state_dict, the model's class name, a SHA-256 of the weights
and free metadata. It is written to a temporary file and renamed into place (never half-written),
read with ``torch.load(..., weights_only=True)`` (a checkpoint is untrusted input), and refused with
a clear error if it is corrupt, was made for another architecture, or fails its checksum.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import torch

from .data_files import default_root

FORMAT = "course_utils.checkpoint/1"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: corrupt, foreign, or for another model."""


def _digest(state: dict) -> str:
    h = hashlib.sha256()
    for key in sorted(state):
        t = state[key].detach().cpu().contiguous()
        h.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def checkpoint_path(name: str) -> Path:
    """``data/checkpoints/<name>.pt`` (the cache that load-or-train cells look in)."""
    return default_root() / "checkpoints" / f"{name}.pt"


def save_checkpoint(model: torch.nn.Module, path, **meta) -> Path:
    """Write ``model``'s state_dict and ``meta`` (plain values: str, int, float, bool, lists, dicts)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "arch": type(model).__name__, "sha256": _digest(state),
               "meta": meta, "state_dict": state}
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_checkpoint(path) -> dict:
    """Read and verify a checkpoint file without a model (format, checksum); return its payload."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # the unpickler raises many kinds (KeyError, EOFError, UnpicklingError, ...)
        raise CheckpointError(f"{path} is not a readable checkpoint (truncated, corrupt or not made by "
                              f"save_checkpoint): {type(e).__name__}: {str(e)[:200]}") from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a course_utils checkpoint (expected format {FORMAT!r})")
    if _digest(payload["state_dict"]) != payload.get("sha256"):
        raise CheckpointError(f"{path} fails its SHA-256 check: the weights were altered or damaged")
    return payload


def load_checkpoint(model: torch.nn.Module, path) -> dict:
    """Load weights saved by ``save_checkpoint`` into ``model``; return the saved metadata."""
    payload = read_checkpoint(path)
    if payload["arch"] != type(model).__name__:
        raise CheckpointError(f"{path} holds a {payload['arch']}, but the model is a {type(model).__name__}")
    own = model.state_dict()
    saved = payload["state_dict"]
    missing = sorted(set(own) - set(saved))
    extra = sorted(set(saved) - set(own))
    wrong = [f"{k}: saved {tuple(saved[k].shape)}, model {tuple(own[k].shape)}"
             for k in own if k in saved and saved[k].shape != own[k].shape]
    if missing or extra or wrong:
        raise CheckpointError(
            f"{path} holds a {payload['arch']} of another configuration: "
            + "; ".join(filter(None, [f"missing {missing[:5]}" if missing else "",
                                      f"unexpected {extra[:5]}" if extra else "",
                                      f"shapes differ ({'; '.join(wrong[:5])})" if wrong else ""])))
    model.load_state_dict(saved)
    return payload["meta"]


def load_or_train(model: torch.nn.Module, name: str, train_fn, **meta) -> bool:
    """Load ``data/checkpoints/<name>.pt`` if it exists with the same ``meta``; else call ``train_fn()`` and save.

    Returns True if the weights were loaded. A checkpoint that is unreadable, for another model or
    made with other settings (``meta`` differs, e.g. another profile) is reported and retrained.
    """
    path = checkpoint_path(name)
    if path.exists():
        try:
            saved_meta = read_checkpoint(path)["meta"]
            if saved_meta == meta:
                load_checkpoint(model, path)
                print(f"Loaded {name} from {path}")
                return True
            print(f"{path} was made with {saved_meta}, not {meta}: training anew")
        except CheckpointError as e:
            print(f"Ignoring {path}: {e}")
    train_fn()
    save_checkpoint(model, path, **meta)
    print(f"Saved {name} to {path}")
    return False
