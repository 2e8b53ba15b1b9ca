import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.figure import Figure

from course_utils.pca import fit_pca
from course_utils.plotting import plot_history, plot_interpolation, plot_latent, plot_manifold, show_images
from course_utils.train import History
from course_utils.widgets import draw_pca_reconstructions


def test_show_images_grid_and_closed():
    fig = show_images(torch.rand(12, 1, 28, 28), nrow=5, titles=list(range(12)), row_labels=["a", "b", "c"])
    assert isinstance(fig, Figure)
    assert len([ax for ax in fig.axes if ax.images]) == 12
    assert not plt.get_fignums()  # closed: a notebook shows it once, as the cell's result
    assert isinstance(show_images(torch.rand(4, 784)), Figure)


def test_show_images_rejects_non_images():
    with pytest.raises(ValueError, match="1-channel images"):
        show_images(torch.rand(2, 3, 8, 8))
    with pytest.raises(ValueError, match="square images"):
        show_images(torch.rand(2, 10))


def test_history_latent_manifold_interpolation():
    h = History(train=[{"loss": 1.0, "kl": 0.5}, {"loss": 0.5, "kl": 0.4}],
                val=[{"loss": 1.1, "kl": 0.6}, {"loss": 0.7, "kl": 0.5}])
    fig = plot_history(h)
    assert len(fig.axes[0].lines) == 4
    fig = plot_latent(torch.randn(50, 2), torch.randint(0, 10, (50,)))
    assert isinstance(fig, Figure)
    names = [f"class {k}" for k in range(10)]
    fig = plot_latent(torch.randn(40, 2), torch.tensor([3, 7] * 20), classes=names)
    legend = fig.axes[0].get_legend()  # a categorical legend naming the classes present, not a colour bar
    assert [t.get_text() for t in legend.get_texts()] == ["class 3", "class 7"]
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_latent(torch.randn(5, 3))
    fig = plot_manifold(lambda z: torch.sigmoid(z.sum(1)).reshape(-1, 1, 1, 1).expand(-1, 1, 28, 28), n=5)
    assert fig.axes[0].images[0].get_array().shape == (140, 140)
    fig = plot_interpolation({"latent": torch.rand(6, 1, 28, 28), "pixel": torch.rand(6, 1, 28, 28)})
    assert len([ax for ax in fig.axes if ax.images]) == 12


def test_composes_into_a_given_axis():
    fig, axes = plt.subplots(1, 2)
    assert plot_latent(torch.randn(10, 2), ax=axes[0]) is fig
    assert plt.fignum_exists(fig.number)  # the caller's figure stays open
    plt.close(fig)


def test_pca_widget_drawing_function():
    x = torch.rand(30, 1, 28, 28)
    pca = fit_pca(x, 20)
    fig = draw_pca_reconstructions(pca, x, k=5, n=4)
    assert "k = 5" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match=r"k must be in \[1, 20\]"):
        draw_pca_reconstructions(pca, x, k=21)


def test_pca_slider_builds_a_widget():
    pytest.importorskip("ipywidgets")
    from course_utils.widgets import pca_slider

    x = torch.rand(30, 1, 28, 28)
    box = pca_slider(fit_pca(x, 10), x, n=3, k=2)
    slider, image = box.children
    assert slider.value == 2 and slider.max == 10
    first = bytes(image.value)
    assert first.startswith(b"\x89PNG")
    slider.value = 7  # redraws the image
    assert bytes(image.value).startswith(b"\x89PNG") and bytes(image.value) != first
