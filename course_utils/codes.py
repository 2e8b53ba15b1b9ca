"""Codes as data (08_codes): a uniform quantiser, JPEG byte accounting, binary hashes, retrieval precision.

Plain functions of tensors. Nothing here trains; the notebook trains the autoencoders whose codes
these functions quantise, hash and search.
"""

from __future__ import annotations

import io

import numpy as np
import torch

# --- compression: k bits per code unit ------------------------------------------------------------


def fit_range(z: torch.Tensor, coverage: float = 0.99) -> tuple[torch.Tensor, torch.Tensor]:
    """Each code unit's range (low, high) over training codes z (N, d): part of the codec, like its weights.

    The range holds the central ``coverage`` of the training codes (quantiles), so that a few outliers
    do not waste the steps; codes outside it are clipped by ``quantize``. ``coverage=1`` is min to max.
    """
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage!r}")
    if not isinstance(z, torch.Tensor) or z.ndim != 2 or len(z) < 2:
        raise ValueError(f"expected training codes of shape (N, d) with N ≥ 2, got "
                         f"{tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__}")
    tail = (1 - coverage) / 2
    low, high = torch.quantile(z.double(), tail, dim=0).to(z.dtype), torch.quantile(z.double(), 1 - tail, dim=0).to(z.dtype)
    return low, torch.maximum(high, low + 1e-6)


def _check_bits(bits):
    if not isinstance(bits, int) or isinstance(bits, bool) or not 1 <= bits <= 16:
        raise ValueError(f"bits must be an int from 1 to 16, got {bits!r}")


def quantize(z: torch.Tensor, low: torch.Tensor, high: torch.Tensor, bits: int) -> torch.Tensor:
    """Integers in {0, …, 2**bits − 1}: each unit's range cut into 2**bits − 1 equal steps (what a file holds)."""
    _check_bits(bits)
    u = ((z - low) / (high - low)).clamp(0, 1)
    return torch.round(u * (2**bits - 1)).to(torch.int64)


def dequantize(q: torch.Tensor, low: torch.Tensor, high: torch.Tensor, bits: int) -> torch.Tensor:
    """Codes back from the integers of ``quantize``: the centre of each step."""
    _check_bits(bits)
    return low + q.to(low.dtype) / (2**bits - 1) * (high - low)


def code_bytes(units: int, bits: int) -> float:
    """Bytes per image of ``units`` numbers stored with ``bits`` bits each, packed (no header)."""
    _check_bits(bits)
    return units * bits / 8


# --- JPEG with honest byte counts -----------------------------------------------------------------


def jpeg_payload(buf: bytes) -> int:
    """Bytes of a JPEG file's entropy-coded scan: after the start-of-scan segment, before end-of-image."""
    sos = buf.index(b"\xff\xda")
    if buf[-2:] != b"\xff\xd9":
        raise ValueError("not a complete JPEG file: it does not end with the end-of-image marker")
    header_end = sos + 2 + int.from_bytes(buf[sos + 2:sos + 4], "big")
    return len(buf) - header_end - 2


def jpeg_roundtrip(x: torch.Tensor, quality: int, optimize: bool = True):
    """Encode each grey image of x (N, 1, H, W) in [0, 1] as JPEG; return (file bytes, payload bytes, decoded).

    ``file bytes`` and ``payload bytes`` are per-image int arrays (the header is their difference);
    ``decoded`` is a tensor like x. ``optimize=True`` lets Pillow compute image-specific Huffman tables.
    """
    from PIL import Image

    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != 1:
        raise ValueError(f"expected grey images (N, 1, H, W), got "
                         f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
    files, payloads, decoded = [], [], []
    for img in x.detach().cpu():
        pixels = (img[0].numpy() * 255).round().clip(0, 255).astype(np.uint8)
        out = io.BytesIO()
        Image.fromarray(pixels).save(out, format="JPEG", quality=int(quality), optimize=optimize)
        buf = out.getvalue()
        files.append(len(buf))
        payloads.append(jpeg_payload(buf))
        decoded.append(np.asarray(Image.open(io.BytesIO(buf)), dtype=np.float32) / 255)
    return np.array(files), np.array(payloads), torch.from_numpy(np.stack(decoded))[:, None].to(x.device)


# --- hashing: one bit per unit ---------------------------------------------------------------------


def sign_bits(z: torch.Tensor, threshold: torch.Tensor | float = 0.0) -> torch.Tensor:
    """Binary codes (N, b) of 0/1: unit j is 1 where z_j > threshold_j (e.g. the training codes' median)."""
    return (z > threshold).to(torch.uint8)


def random_hyperplanes(dim: int, bits: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``bits`` Gaussian directions in R^dim (Charikar 2002): the sign of x·w is one LSH bit."""
    if bits < 1 or dim < 1:
        raise ValueError(f"need bits ≥ 1 and dim ≥ 1, got bits={bits}, dim={dim}")
    return torch.randn(dim, bits, generator=generator)


def hamming(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pairwise Hamming distances (Na, Nb) between 0/1 codes a (Na, bits) and b (Nb, bits)."""
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"expected codes (Na, bits) and (Nb, bits), got {tuple(a.shape)} and {tuple(b.shape)}")
    a, b = a.float(), b.float()
    return a @ (1 - b).T + (1 - a) @ b.T


# --- retrieval ------------------------------------------------------------------------------------


def precision_at_k(dist: torch.Tensor, query_labels: torch.Tensor, db_labels: torch.Tensor, k: int = 10) -> float:
    """Mean share of each query's k nearest database items (smallest ``dist``) that share its label.

    ``dist`` is (N_query, N_db). Items tied with the k-th distance count in proportion (the expected
    value of random tie-breaking), which matters for Hamming distances.
    """
    if dist.ndim != 2 or dist.shape != (len(query_labels), len(db_labels)):
        raise ValueError(f"dist must be (N_query, N_db) = ({len(query_labels)}, {len(db_labels)}), "
                         f"got {tuple(dist.shape)}")
    if not 1 <= k <= dist.shape[1]:
        raise ValueError(f"k must be in [1, {dist.shape[1]}], got {k}")
    kth = dist.kthvalue(k, dim=1, keepdim=True).values
    same = (query_labels[:, None] == db_labels[None, :]).float()
    closer, tied = (dist < kth).float(), (dist == kth).float()
    hits = (closer * same).sum(1) + (k - closer.sum(1)) * (tied * same).sum(1) / tied.sum(1)
    return (hits / k).mean().item()


def chance_precision(query_labels: torch.Tensor, db_labels: torch.Tensor) -> float:
    """Precision of a search that ignores the image: Σ_c p_query(c) p_db(c)."""
    n = int(max(query_labels.max(), db_labels.max())) + 1
    pq = torch.bincount(query_labels.cpu(), minlength=n).double() / len(query_labels)
    pd = torch.bincount(db_labels.cpu(), minlength=n).double() / len(db_labels)
    return float((pq * pd).sum())
