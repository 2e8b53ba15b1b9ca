"""Smoke test of the throughput benchmark (make bench): one tiny configuration writes its table."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_benchmark_runs_and_writes_its_table(tmp_path):
    spec = importlib.util.spec_from_file_location("bench", REPO / "benchmarks" / "bench.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.md"
    assert bench.main(["--n", "128", "--repeats", "1", "--batch-sizes", "64", "--models", "mlp_ae",
                       "--skip-quality", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| mlp_ae | 64 |" in text and "torch threads" in text
    row = next(line for line in text.splitlines() if line.startswith("| mlp_ae | 64 |"))
    tutorial, course = (float(v.replace(",", "")) for v in row.split("|")[3:5])
    assert tutorial > 0 and course > 0
