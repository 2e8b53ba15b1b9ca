"""The figure life cycle: opaque, shown once wherever the call stands in a cell, never lost."""

import json

import matplotlib

matplotlib.use("Agg")

import nbformat
import pytest
import torch

from course_utils import figures
from course_utils.plotting import plot_history, show_images
from course_utils.tooling.figure_audit import cells_missing_figures, drawing_calls, drawing_functions
from course_utils.train import History


def test_finished_figures_are_opaque_and_closed():
    import matplotlib.pyplot as plt

    fig = show_images(torch.rand(3, 1, 8, 8), title="three")
    assert fig.get_facecolor()[3] == 1.0  # alpha: dark themes need an opaque background
    assert fig.number not in plt.get_fignums()  # pyplot forgot it: the inline backend cannot show it again
    assert not figures._pending  # outside a kernel nothing is queued


def test_alt_text_says_what_the_figure_shows():
    h = History(train=[{"loss": 1.0}, {"loss": 0.5}], val=[{"loss": 1.1}, {"loss": 0.7}])
    text = figures.alt_text(plot_history(h, title="MLP AE"))
    assert text.startswith("Figure: ")
    for words in ("MLP AE", "x: epoch", "y: mean per sample", "train loss", "val loss"):
        assert words in text
    grid = figures.alt_text(show_images(torch.rand(4, 1, 8, 8)))
    assert "4 images" in grid


def test_png_bytes_is_an_opaque_png():
    from io import BytesIO

    from PIL import Image

    png = figures.png_bytes(show_images(torch.rand(2, 1, 8, 8)))
    image = Image.open(BytesIO(png))
    assert image.format == "PNG"
    corner = image.convert("RGBA").getpixel((0, 0))
    assert corner == (255, 255, 255, 255)


def test_drawing_calls_sees_top_level_calls_only():
    assert "show_images" in drawing_functions() and "draw_pca_reconstructions" in drawing_functions()
    assert "finish" not in drawing_functions()
    assert drawing_calls("x = 1\nfor i in range(2):\n    show_images(x)\n") == ["show_images"]
    assert drawing_calls("def f(x):\n    return show_images(x)\n") == []
    assert drawing_calls("plot_latent(z, y, ax=axes[0])") == []
    assert drawing_calls("%matplotlib inline\nfig = plot_history(h)\nprint(1)") == ["plot_history"]


def test_cells_missing_figures_finds_a_lost_figure():
    image = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "Figure"}}
    text = {"output_type": "stream", "name": "stdout", "text": "done"}
    cells = [{"cell_type": "markdown", "source": "show_images(x)"},
             {"cell_type": "code", "source": "fig = show_images(x)\nprint('done')", "outputs": [text]},
             {"cell_type": "code", "source": "show_images(x)", "outputs": [image]},
             {"cell_type": "code", "source": "y = 2", "outputs": []}]
    assert cells_missing_figures(cells) == [(1, ["show_images"])]


def test_printed_warning_finds_warnings_and_tracebacks_on_stderr_only():
    from course_utils.tooling.figure_audit import printed_warning

    warn = {"output_type": "stream", "name": "stderr", "text": "x.py:3: FutureWarning: old\n  f()\n"}
    quiet = {"output_type": "stream", "name": "stderr", "text": "LeNet: 100%|##| 6/6\n"}
    said = {"output_type": "stream", "name": "stdout", "text": "a Warning in prose is fine on stdout\n"}
    assert printed_warning([quiet, said]) is None
    assert printed_warning([quiet, warn]) == "x.py:3: FutureWarning: old"


@pytest.mark.kernel
def test_the_nbval_plugin_fails_a_cell_that_prints_a_warning(tmp_path):
    import subprocess
    import sys

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import warnings\nwarnings.warn('careful')"),
                nbformat.v4.new_code_cell("print('fine')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "warns.ipynb")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p",
                          "course_utils.tooling.figure_audit", "--nbval-lax", "--nbval-current-env", "warns.ipynb"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1, run.stdout[-2000:]
    assert "1 failed, 1 passed" in run.stdout and "printed to stderr" in run.stdout and "UserWarning: careful" in run.stdout


CELLS = [
    "import torch\nfrom course_utils.plotting import show_images, plot_history\n"
    "from course_utils.figures import subplots\nx = torch.rand(4, 1, 8, 8)",
    "fig = show_images(x, title='not last')\nprint('after')",
    "show_images(x, title='last expression')",
    "fig2, ax = subplots(figsize=(3, 2))\nax.plot([1, 2, 3])\nax.set_title('own figure')",
    "from course_utils.train import train\nfrom course_utils.models import MLPAutoencoder\n"
    "from course_utils.losses import reconstruction_loss\nm = MLPAutoencoder(latent_dim=2, hidden=(16,))\n"
    "h = train(m, reconstruction_loss, torch.rand(64, 1, 28, 28), epochs=3, batch_size=32, lr=1e-3)",
    "fig",
]


@pytest.mark.kernel
def test_every_figure_is_shown_once_in_a_kernel(monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("COURSE_PROGRESS", "1")  # the kernel inherits it: show the bar

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in CELLS]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    images = [[o for o in c.outputs if "image/png" in o.get("data", {})] for c in nb.cells]
    assert [len(i) for i in images] == [0, 1, 1, 1, 0, 1]  # once each, wherever the call stands
    assert images[1][0]["metadata"]["image/png"]["alt"] == "Figure: not last. a grid of 4 images"
    assert cells_missing_figures(json.loads(nbformat.writes(nb))["cells"]) == []
    bar = [o for o in nb.cells[4].outputs if o.get("data", {}).get("text/plain", "").startswith("MLPAutoencoder")]
    assert bar and "3/3" in bar[0]["data"]["text/plain"]  # the saved bar is the finished one, not "0/3"
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in nb.cells[4].outputs)
