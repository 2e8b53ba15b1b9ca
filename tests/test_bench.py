"""The throughput benchmark (make bench) on one small configuration: its table, and what it is for."""

import importlib.util

import pytest

from course_utils.paths import REPO_ROOT


@pytest.mark.slow
def test_the_course_path_trains_faster_than_the_tutorial_pipeline(tmp_path):
    """At batch 32 the tutorial's per-image ToTensor and per-batch loss.item() cost more than slicing a tensor."""
    spec = importlib.util.spec_from_file_location("bench", REPO_ROOT / "benchmarks" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.md"
    assert bench.main(["--n", "512", "--repeats", "3", "--batch-sizes", "32", "--models", "mlp_ae",
                       "--skip-quality", "--out", str(out)]) == 0
    text = out.read_text()
    assert "512 MNIST images, 1 epoch(s) per run, median of 3 repeats" in text and "torch threads" in text
    row = next(line for line in text.splitlines() if line.startswith("| mlp_ae | 32 |"))
    tutorial, course, speedup = (float(v.strip().replace(",", "").rstrip("×")) for v in row.split("|")[3:6])
    assert speedup == pytest.approx(course / tutorial, rel=0.01)  # the column is the ratio of the two
    assert speedup > 1, f"the course path is not faster than the tutorial pipeline: {row}"
