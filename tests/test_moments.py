"""Image moments: shape statistics and moment invariants against closed forms."""

import numpy as np

from infogan_tf import moments, shapes


def _bar(angle_deg, half_width=1.5, size=28):
    ys, xs = np.mgrid[0:size, 0:size].astype(float)
    cx = cy = (size - 1) / 2
    t = np.radians(angle_deg)
    # Axis direction (up, leaning right for positive angles): (sin t, -cos t) in (x, y) image coords.
    ux, uy = np.sin(t), -np.cos(t)
    along = (xs - cx) * ux + (ys - cy) * uy
    across = -(xs - cx) * uy + (ys - cy) * ux
    return ((np.abs(along) <= 10) & (np.abs(across) <= half_width)).astype(float)[..., None]


def _disc(cx, cy, r, size=32):
    ys, xs = np.mgrid[0:size, 0:size].astype(float)
    return (((xs - cx) ** 2 + (ys - cy) ** 2) <= r * r).astype(float)[..., None]


def test_shape_statistics_measure_rotation_and_width():
    imgs = np.stack([_bar(a) for a in (-30, -15, 0, 15, 30)])
    stats = moments.shape_statistics(imgs)
    np.testing.assert_allclose(stats["rotation"], [-30, -15, 0, 15, 30], atol=3.0)
    widths = moments.shape_statistics(np.stack([_bar(0, w) for w in (1.0, 2.0, 3.0)]))["width"]
    assert widths[0] < widths[1] < widths[2]
    # A rotation leaves the width across the principal axis unchanged up to pixelisation, far less
    # than a change of width does.
    assert np.ptp(stats["width"]) < 0.25 * (widths[2] - widths[0])


def test_shape_statistics_measure_position_and_size():
    imgs = np.stack([_disc(10, 20, 4), _disc(20, 12, 4), _disc(16, 16, 8)])
    stats = moments.shape_statistics(imgs)
    np.testing.assert_allclose(stats["x"], [10, 20, 16], atol=1e-6)
    np.testing.assert_allclose(stats["y"], [20, 12, 16], atol=1e-6)
    # size = sqrt(area): a disc of radius r has area ~ pi r^2.
    np.testing.assert_allclose(stats["size"], np.sqrt(np.pi) * np.array([4, 4, 8]), rtol=0.08)
    # A dim copy has the same size: size does not depend on intensity.
    np.testing.assert_allclose(moments.shape_statistics(0.3 * imgs)["size"], stats["size"])


def _render(shape, rotation=0.0, scale=1.0, x=0.0, y=0.0, size=128, color=False):
    n = len(shape)
    f = {
        "shape": np.asarray(shape),
        "rotation": np.broadcast_to(rotation, n).astype(float),
        "scale": np.broadcast_to(scale, n).astype(float),
        "x": np.broadcast_to(x, n).astype(float),
        "y": np.broadcast_to(y, n).astype(float),
    }
    if color:
        f["hue"] = np.full(n, 0.6)
    return shapes.render(f, size, color)


def test_moment_invariants_match_the_closed_forms_of_the_three_classes():
    feats = moments.moment_invariants(_render([0, 1, 2]))
    log_elongation, phi1, asymmetry = feats.T
    # Square: isotropic, phi1 = 1/6; ellipse 2:1: second moments 4:1, phi1 = 5 / (8 pi);
    # equilateral triangle: isotropic, phi1 = sqrt(3) / 9. Pixelisation at 128 px costs under 1%.
    np.testing.assert_allclose(log_elongation, [0.0, np.log(4.0), 0.0], atol=0.02)
    np.testing.assert_allclose(phi1, [1 / 6, 5 / (8 * np.pi), np.sqrt(3) / 9], rtol=0.01)
    # Only the triangle lacks a centre of symmetry, so only it has third-order asymmetry.
    assert asymmetry[0] < 0.002 and asymmetry[1] < 0.002 and asymmetry[2] > 0.05


def test_moment_invariants_ignore_position_scale_rotation_and_colour():
    ref = moments.moment_invariants(_render([0, 1, 2]))
    moved = moments.moment_invariants(_render([0, 1, 2], rotation=37.0, scale=0.6, x=0.2, y=-0.15))
    np.testing.assert_allclose(moved, ref, atol=0.02)
    coloured = moments.moment_invariants(_render([0, 1, 2], color=True).astype(np.float32) / 127.5 - 1.0)
    np.testing.assert_allclose(coloured, ref, atol=1e-3)  # uint8 rounding of the hue at the edges
