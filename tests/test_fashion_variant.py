"""Fashion-MNIST where a notebook's DATASET asks for it, and nowhere else.

CI hides Debian's Fashion-MNIST (``COURSE_FASHION_DIR`` points at an empty folder) while it executes
the notebooks on MNIST, so a notebook that loads Fashion-MNIST unasked fails there. This test gives it
back, by path, to the one run that asks for it.
"""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils.data import DEBIAN_FASHION_DIR

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.kernel
@pytest.mark.slow
def test_a_lecture_runs_on_fashion_mnist_when_asked(tmp_path):
    if not (DEBIAN_FASHION_DIR / "t10k-labels-idx1-ubyte.gz").exists():
        pytest.skip("Debian's dataset-fashion-mnist is not installed (CI installs it)")
    out = tmp_path / "01_pca.ipynb"
    env = {**os.environ, "COURSE_FASHION_DIR": str(DEBIAN_FASHION_DIR), "COURSE_PROGRESS": "0",
           "COURSE_PROFILE": "quick"}
    subprocess.run([sys.executable, "-m", "papermill", "--no-progress-bar", str(REPO / "notebooks" / "01_pca.ipynb"),
                    str(out), "-p", "DATASET", "fashion_mnist", "--cwd", str(REPO / "notebooks")],
                   check=True, env=env, capture_output=True, timeout=600)
    printed = "".join(o.get("text", "") for c in nbformat.read(out, as_version=4).cells
                      if c.cell_type == "code" for o in c.outputs)
    assert "Fashion-MNIST: Debian's package dataset-fashion-mnist" in printed
