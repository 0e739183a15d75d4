"""The procedural shapes dataset: determinism, factor ranges, and that each factor shows in the pixels."""

import numpy as np
import pytest

from infogan_tf import moments, shapes


def test_same_seed_same_images_and_shapes_of_arrays():
    a, fa = shapes.make(16, 32, False, seed=3)
    b, fb = shapes.make(16, 32, False, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (16, 32, 32, 1) and a.dtype == np.uint8
    c, fc = shapes.make(16, 64, True, seed=3)
    assert c.shape == (16, 64, 64, 3) and "hue" in fc and "hue" not in fa
    assert not np.array_equal(shapes.make(16, 32, False, seed=4)[0], a)


def test_factor_ranges():
    _, f = shapes.make(500, 32, True, seed=0)
    assert set(np.unique(f["shape"])) == {0, 1, 2}
    assert f["scale"].min() >= 0.5 and f["scale"].max() <= 1.0
    assert f["rotation"].min() >= 0.0 and f["rotation"].max() < 90.0
    assert np.abs(f["x"]).max() <= 0.4 and np.abs(f["y"]).max() <= 0.4
    assert f["hue"].min() >= 0.0 and f["hue"].max() < 1.0


def _one(shape, scale=1.0, rotation=0.0, x=0.0, y=0.0, size=64):
    f = {
        "shape": np.array([shape]),
        "scale": np.array([scale]),
        "rotation": np.array([rotation]),
        "x": np.array([x]),
        "y": np.array([y]),
    }
    return shapes.render(f, size, False)[0, ..., 0].astype(float) / 255.0


def test_area_follows_scale_and_class():
    # Half-size 0.4 * scale of the half-width: a square of side 0.8 * scale covers (0.4 * scale)^2 of the image.
    for scale in (0.5, 1.0):
        assert _one(0, scale).mean() == pytest.approx((0.4 * scale) ** 2, rel=0.05)
    ellipse = _one(1).mean()
    assert ellipse == pytest.approx(np.pi * 0.4 * 0.2 / 4, rel=0.03)
    triangle = _one(2).mean()  # equilateral, circumradius 1.2 * 0.4
    r = 1.2 * 0.4
    assert triangle == pytest.approx(3 * np.sqrt(3) / 4 * r**2 / 4, rel=0.03)


def test_shape_stays_inside_and_position_moves_the_centroid():
    img = _one(0, 1.0, 45.0, 0.4, -0.4)
    assert img[0].sum() == 0 and img[:, -1].sum() < 1.0  # nothing clipped off the top, at most a sliver on the side
    ys, xs = np.nonzero(img > 0.5)
    assert xs.mean() > 32 + 0.35 * 32 and ys.mean() > 32 + 0.35 * 32  # right and down (y up in factor space)


def test_rotation_turns_the_ellipse():
    angles = moments.shape_statistics(np.stack([_one(1, rotation=r)[..., None] for r in (0, 30, 60)]))["rotation"]
    # An unrotated 2:1 ellipse lies horizontally (90 degrees from vertical); rotating it changes the
    # axis angle by as much.
    assert np.abs(np.abs(angles) - np.array([90, 60, 30])).max() < 3


def test_too_small_size_is_rejected():
    with pytest.raises(ValueError, match="size 4 is too small"):
        shapes.make(2, 4)


def test_ranges_override_the_defaults_and_bad_ranges_are_refused():
    _, f = shapes.make(300, 32, True, seed=0, ranges={"x": [-0.1, 0.1], "scale": [0.6, 1.0], "hue": [0.2, 0.4]})
    assert np.abs(f["x"]).max() <= 0.1 and np.abs(f["y"]).max() > 0.3  # y keeps its default
    assert f["scale"].min() >= 0.6 and f["scale"].max() <= 1.0
    assert f["hue"].min() >= 0.2 and f["hue"].max() < 0.4
    with pytest.raises(ValueError, match="unknown factor 'colour'"):
        shapes.make(4, 32, ranges={"colour": [0, 1]})
    with pytest.raises(ValueError, match="low < high"):
        shapes.make(4, 32, ranges={"x": [0.2, -0.2]})
    with pytest.raises(ValueError, match="out of the image"):
        shapes.make(4, 32, ranges={"scale": [1.0, 1.5]})  # with x, y up to 0.4 the corner leaves


@pytest.mark.parametrize("shape", [0, 1, 2])
def test_apparent_rotation_is_zero_for_symmetric_turns_and_equal_for_mirror_images(shape):
    period = shapes.SYMMETRY_DEGREES[shape]
    f = {
        "shape": np.array([shape] * 4),
        "scale": np.full(4, 0.9),
        "x": np.zeros(4),
        "y": np.zeros(4),
        "rotation": np.array([0.0, period, 20.0, period - 20.0]),
    }
    images = shapes.render(f, 32, color=False).astype(int)
    # A turn by the period looks unrotated; a turn by period - t is the mirror image of a turn by t.
    assert np.abs(images[0] - images[1]).max() <= 1
    assert np.abs(images[2] - images[3][:, ::-1]).max() <= 1
    assert np.abs(images[0] - images[2]).max() > 100  # 20 degrees does show
    np.testing.assert_allclose(shapes.apparent_rotation(f["shape"], f["rotation"]), [0, 0, 20, 20], atol=1e-9)


def test_apparent_rotation_of_each_class():
    np.testing.assert_allclose(
        shapes.apparent_rotation(np.array([0, 0, 1, 2, 2]), np.array([45.0, 50.0, 100.0, 70.0, 130.0])),
        [45.0, 40.0, 80.0, 50.0, 10.0],
    )
