"""course_utils.codes (08_codes): quantiser, JPEG byte accounting, hashes and retrieval precision."""

import io

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.neighbors import NearestNeighbors

from course_utils import codes


def test_quantize_roundtrip_error_within_half_a_step():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(500, 6, generator=g) * torch.arange(1, 7)
    low, high = codes.fit_range(z, coverage=1.0)
    assert torch.allclose(low, z.amin(0)) and torch.allclose(high, z.amax(0))
    for bits in (1, 3, 8):
        q = codes.quantize(z, low, high, bits)
        assert q.dtype == torch.int64 and q.min() >= 0 and q.max() <= 2**bits - 1
        step = (high - low) / (2**bits - 1)
        err = (codes.dequantize(q, low, high, bits) - z).abs()
        assert (err <= step / 2 + 1e-5).all()


def test_fit_range_coverage_clips_outliers():
    z = torch.cat([torch.linspace(0, 1, 999), torch.tensor([100.0])])[:, None]
    low, high = codes.fit_range(z, coverage=0.98)
    assert high.item() < 2 and low.item() >= 0
    q = codes.quantize(torch.tensor([[100.0]]), low, high, 4)
    assert q.item() == 15                                   # clipped to the top level


def test_code_bytes_and_bad_bits():
    assert codes.code_bytes(32, 6) == 24
    with pytest.raises(ValueError):
        codes.code_bytes(32, 0)
    with pytest.raises(ValueError):
        codes.quantize(torch.zeros(2, 2), torch.zeros(2), torch.ones(2), 2.5)


def test_jpeg_payload_is_file_minus_header_and_decodes_like_pillow():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 1, 28, 28, generator=g)
    files, payloads, decoded = codes.jpeg_roundtrip(x, quality=20)
    assert (payloads > 0).all() and (payloads < files).all()
    # the same file from Pillow directly
    pixels = (x[0, 0].numpy() * 255).round().astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="JPEG", quality=20, optimize=True)
    assert files[0] == len(out.getvalue())
    ref = np.asarray(Image.open(io.BytesIO(out.getvalue())), dtype=np.float32) / 255
    assert np.allclose(decoded[0, 0].numpy(), ref)
    # the scan ends with the end-of-image marker, so payload + header + 2 = file
    buf = out.getvalue()
    assert codes.jpeg_payload(buf) == len(buf) - (buf.index(b"\xff\xda") + 2
                                                  + int.from_bytes(buf[buf.index(b"\xff\xda") + 2:][:2], "big")) - 2
    with pytest.raises(ValueError):
        codes.jpeg_payload(buf[:-2])


def test_hamming_matches_bit_count():
    g = torch.Generator().manual_seed(2)
    a = (torch.rand(7, 16, generator=g) > 0.5).to(torch.uint8)
    b = (torch.rand(5, 16, generator=g) > 0.5).to(torch.uint8)
    ref = (a[:, None, :] != b[None, :, :]).sum(-1).float()
    assert torch.equal(codes.hamming(a, b), ref)


def test_random_hyperplane_bits_estimate_the_angle():
    # Charikar 2002: P(sign differs) = angle / pi.
    g = torch.Generator().manual_seed(3)
    planes = codes.random_hyperplanes(2, 20000, g)
    u, v = torch.tensor([[1.0, 0.0]]), torch.tensor([[np.cos(1.0), np.sin(1.0)]], dtype=torch.float32)
    differ = codes.hamming(codes.sign_bits(u @ planes), codes.sign_bits(v @ planes)).item() / 20000
    assert abs(differ - 1.0 / np.pi) < 0.02


def test_precision_at_k_matches_sklearn_neighbours_without_ties():
    g = torch.Generator().manual_seed(4)
    db, q = torch.randn(200, 5, generator=g), torch.randn(30, 5, generator=g)
    y_db, y_q = torch.randint(0, 3, (200,), generator=g), torch.randint(0, 3, (30,), generator=g)
    idx = NearestNeighbors(n_neighbors=10).fit(db.numpy()).kneighbors(q.numpy(), return_distance=False)
    ref = (y_db.numpy()[idx] == y_q.numpy()[:, None]).mean()
    assert codes.precision_at_k(torch.cdist(q, db), y_q, y_db, k=10) == pytest.approx(ref)


def test_precision_at_k_shares_ties():
    dist = torch.zeros(1, 4)                     # four items tied, two of the query's class: expect 1/2
    assert codes.precision_at_k(dist, torch.tensor([0]), torch.tensor([0, 0, 1, 1]), k=2) == pytest.approx(0.5)


def test_chance_precision_is_sum_of_squared_shares():
    y = torch.tensor([0] * 30 + [1] * 70)
    assert codes.chance_precision(y, y) == pytest.approx(0.3**2 + 0.7**2)
