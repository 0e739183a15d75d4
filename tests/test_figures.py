"""The figure writers: the mosaic's layout, and titles that stay inside the image."""

import numpy as np
import pytest
from PIL import Image

from infogan_tf import figures

# The subtitle of the committed Figure 2a (results/mnist_categorical.png, seed 6), whose first line ran
# off both sides of the image before titles were wrapped, and the health note of Figure 2b's under it.
SUBTITLE = (
    "c1 as a classifier: test accuracy 0.7794; G's samples classified as their category's digit: 0.8090 "
    "(10 of 10 digits drawn; generation accuracy)\n"
    "Training health: c1 unused (L_I 0.073 < 0.461 nats; expected, mode=gan) from step 500"
)


def test_mosaic_places_each_image_in_its_cell_with_padding_between():
    grid = np.arange(2 * 3, dtype=np.float32).reshape(2, 3, 1, 1, 1) * np.ones((1, 1, 2, 2, 1), np.float32)
    out = figures.mosaic(grid, pad=1, pad_value=-1.0)
    assert out.shape == (2 * 3 - 1, 3 * 3 - 1, 1)
    for r in range(2):
        for k in range(3):
            assert (out[r * 3 : r * 3 + 2, k * 3 : k * 3 + 2] == 3 * r + k).all()
    assert (out[2, :] == -1.0).all() and (out[:, 2] == -1.0).all()


@pytest.fixture
def drawn(monkeypatch):
    """The matplotlib figures the writers close, kept open to measure."""
    kept, close = [], figures.plt.close
    monkeypatch.setattr(figures.plt, "close", kept.append)
    yield kept
    for fig in kept:
        close(fig)


def _title_inside(fig):
    fig.canvas.draw()
    box = fig.axes[0].title.get_window_extent(fig.canvas.get_renderer())
    return box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height


@pytest.mark.parametrize("columns", [10, 5])
def test_a_traversal_sheets_long_subtitle_is_wrapped_inside_the_image(tmp_path, drawn, columns):
    grid = np.zeros((4, columns, 28, 28, 1), np.float32)
    path = figures.save_traversal(
        grid,
        str(tmp_path / "sheet.png"),
        "InfoGAN, varying c1 (digit type)",
        [str(k) for k in range(columns)],
        "c1: one category per column",
        "rows",
        SUBTITLE,
    )
    [fig] = drawn
    assert _title_inside(fig)
    title = fig.axes[0].title.get_text()
    assert title.replace("\n", " ").split() == ("InfoGAN, varying c1 (digit type) " + SUBTITLE).split()
    assert title.count("\n") >= 3  # the title, and the subtitle's two lines of which the first was wrapped
    assert Image.open(path).size == (int(fig.get_figwidth() * 120), int(fig.get_figheight() * 120))


def test_the_mi_curves_subtitle_is_wrapped_inside_the_image_and_leaves_the_plot_its_height(tmp_path, drawn):
    curves = {"InfoGAN": [(1, 0.1), (2, 2.2)], "GAN": [(1, 0.1), (2, 0.2)]}
    title = "Lower bound L_I over training"
    figures.save_mi_curve(curves, np.log(10), str(tmp_path / "short.png"), title, subtitle="one line")
    figures.save_mi_curve(curves, np.log(10), str(tmp_path / "long.png"), title, subtitle=SUBTITLE * 2)
    short, long = drawn
    assert _title_inside(short) and _title_inside(long)
    # The figure grows by the extra lines, so the plot is not squeezed to make room for them.
    height = [f.axes[0].get_window_extent().height / f.dpi for f in (short, long)]
    assert long.get_figheight() > short.get_figheight() and height[1] > 0.95 * height[0]
