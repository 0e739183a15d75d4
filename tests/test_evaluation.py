"""Hungarian matching of categories to labels, and the shape statistics behind factor assignment."""

import numpy as np
import pytest
import tensorflow as tf

from infogan_tf import evaluation, shapes


def test_perfect_but_permuted_categories_give_accuracy_one():
    labels = np.repeat(np.arange(10), 7)
    perm = np.array([3, 7, 0, 9, 1, 2, 8, 5, 6, 4])
    predicted = perm[labels]
    r = evaluation.match_categories(predicted, labels, 10, 10)
    assert r["accuracy"] == 1.0 and r["error"] == 0.0
    assert [r["category_to_label"][perm[d]] for d in range(10)] == list(range(10))
    assert np.trace(np.asarray(r["confusion_label_by_category"])[:, perm]) == len(labels)


def test_hand_computed_partial_accuracy():
    # labels 0,0,0,1,1,2 ; categories: 0->c1, 0->c1, 0->c2, 1->c2, 1->c2, 2->c0
    labels = np.array([0, 0, 0, 1, 1, 2])
    predicted = np.array([1, 1, 2, 2, 2, 0])
    r = evaluation.match_categories(predicted, labels, 3, 3)
    assert r["accuracy"] == pytest.approx(5 / 6)
    assert r["category_to_label"] == [2, 0, 1]


def _bar(angle_deg, half_width=1.5, size=28):
    ys, xs = np.mgrid[0:size, 0:size].astype(float)
    cx = cy = (size - 1) / 2
    t = np.radians(angle_deg)
    # Axis direction (up, leaning right for positive angles): (sin t, -cos t) in (x, y) image coords.
    ux, uy = np.sin(t), -np.cos(t)
    along = (xs - cx) * ux + (ys - cy) * uy
    across = -(xs - cx) * uy + (ys - cy) * ux
    return ((np.abs(along) <= 10) & (np.abs(across) <= half_width)).astype(float)[..., None]


def test_shape_statistics_measure_rotation_and_width():
    imgs = np.stack([_bar(a) for a in (-30, -15, 0, 15, 30)])
    stats = evaluation.shape_statistics(imgs)
    np.testing.assert_allclose(stats["rotation"], [-30, -15, 0, 15, 30], atol=3.0)
    widths = evaluation.shape_statistics(np.stack([_bar(0, w) for w in (1.0, 2.0, 3.0)]))["width"]
    assert widths[0] < widths[1] < widths[2]
    # A rotation leaves the width across the principal axis unchanged up to pixelisation, far less
    # than a change of width does.
    assert np.ptp(stats["width"]) < 0.25 * (widths[2] - widths[0])


def _disc(cx, cy, r, size=32):
    ys, xs = np.mgrid[0:size, 0:size].astype(float)
    return (((xs - cx) ** 2 + (ys - cy) ** 2) <= r * r).astype(float)[..., None]


def test_shape_statistics_measure_position_and_size():
    imgs = np.stack([_disc(10, 20, 4), _disc(20, 12, 4), _disc(16, 16, 8)])
    stats = evaluation.shape_statistics(imgs)
    np.testing.assert_allclose(stats["x"], [10, 20, 16], atol=1e-6)
    np.testing.assert_allclose(stats["y"], [20, 12, 16], atol=1e-6)
    # size = sqrt(area): a disc of radius r has area ~ pi r^2.
    np.testing.assert_allclose(stats["size"], np.sqrt(np.pi) * np.array([4, 4, 8]), rtol=0.08)
    # A dim copy has the same size: size does not depend on intensity.
    np.testing.assert_allclose(evaluation.shape_statistics(0.3 * imgs)["size"], stats["size"])


def test_categorical_accuracy_reports_majority_purity_and_reuses_posteriors():
    class FakeModel:
        spec = type("S", (), {"code": staticmethod(lambda name: type("C", (), {"k": 3})())})()
    labels = np.array([0, 0, 1, 1, 2, 2])
    probs = np.eye(3)[[2, 2, 0, 0, 0, 1]]
    r = evaluation.categorical_accuracy(FakeModel(), "c1", None, labels, {"c1": {"probs": probs}})
    assert r["accuracy"] == pytest.approx(5 / 6)
    assert r["majority_purity"] == pytest.approx(5 / 6)


class _MovingDiscModel:
    """A fake trained model whose generator moves a disc right by 5 px per unit of c2 (c3 does nothing)."""

    def __init__(self):
        from infogan_tf import latents
        self.spec = latents.spec_from_config({"noise_dim": 2, "codes": [
            {"name": "c2", "type": "continuous"}, {"name": "c3", "type": "continuous"}]})

    def generate(self, z, codes):
        c2 = codes[0].numpy()[:, 0]
        return tf.constant(np.stack([_disc(16 + 5 * v, 16, 4) for v in c2]))


def test_continuous_factor_scores_assign_and_measure_how_far_a_factor_moves():
    r = evaluation.continuous_factor_scores(_MovingDiscModel(), factors=("x", "y"), rows=3)
    assert r["assignment"]["x"] == "c2"
    assert r["scores"]["x"]["c2"] == pytest.approx(1.0, abs=1e-3)
    # From c2 = -1 to +1 the disc moves 10 px right; c3 moves nothing.
    assert r["spans"]["x"]["c2"] == pytest.approx(10.0, abs=0.05)
    assert r["spans"]["x"]["c3"] == pytest.approx(0.0, abs=1e-6)
    assert r["spans"]["y"]["c2"] == pytest.approx(0.0, abs=1e-6)


class _TurningBarModel:
    """A fake generator whose bar turns 10 degrees per unit of c2 around 90 degrees from vertical,
    so the traversal crosses the horizontal, where the axis angle jumps from +90 to -90."""

    def __init__(self):
        from infogan_tf import latents
        self.spec = latents.spec_from_config({"noise_dim": 2, "codes": [
            {"name": "c2", "type": "continuous"}]})

    def generate(self, z, codes):
        c2 = codes[0].numpy()[:, 0]
        return tf.constant(np.stack([_bar(84 + 10 * v, size=32) for v in c2]))


def test_rotation_span_follows_the_axis_through_the_horizontal():
    r = evaluation.continuous_factor_scores(_TurningBarModel(), factors=("rotation",), rows=2)
    # From c2 = -1 to +1 the bar turns 74 -> 94 degrees: +20, not the -160 of the raw angles.
    assert r["spans"]["rotation"]["c2"] == pytest.approx(20.0, abs=3.0)
    assert r["scores"]["rotation"]["c2"] > 0.95  # pixelisation keeps it just below 1


def test_correlation_ratio_hand_computed():
    # mean 2.5, total sum of squares 5; group means 1.5 and 3.5, between 2 * 1 + 2 * 1 = 4.
    assert evaluation.correlation_ratio(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1])) == pytest.approx(0.8)
    assert evaluation.correlation_ratio(np.array([1.0, 2.0, 1.0, 2.0]), np.array([0, 0, 1, 1])) == pytest.approx(0.0)
    assert evaluation.correlation_ratio(np.full(4, 3.0), np.array([0, 1, 0, 1])) == 0.0


def test_category_factors_find_a_code_that_splits_squares_by_their_apparent_rotation():
    rng = np.random.default_rng(0)
    n = 600
    f = {"shape": np.repeat([0, 1, 2], n // 3), "rotation": rng.uniform(0, 90, n),
         "scale": rng.uniform(0.5, 1.0, n), "x": rng.uniform(-0.4, 0.4, n), "y": rng.uniform(-0.4, 0.4, n)}
    # Squares: category 1 near upright (apparent rotation below 22.5 degrees, i.e. turns near 0 or 90),
    # category 2 near 45 degrees; ellipses all category 0; triangles by size.
    near_upright = np.minimum(f["rotation"], 90 - f["rotation"]) < 22.5
    predicted = np.where(f["shape"] == 0, np.where(near_upright, 1, 2),
                         np.where(f["shape"] == 1, 0, (f["scale"] > 0.75).astype(int)))
    r = evaluation.category_factors(predicted, f, 3)
    assert set(r) == {"square", "ellipse", "triangle"}
    sq = r["square"]
    assert sq["count"] == 200 and sum(sq["categories"]) == 200 and sq["categories"][0] == 0
    assert sq["eta_squared"]["rotation"] > 0.7  # the raw angle (0..90) would give about 0: 0 and 90 look alike
    assert max(sq["eta_squared"][k] for k in ("scale", "x", "y")) < 0.05
    assert sq["category_means"]["rotation"][0] is None
    assert sq["category_means"]["rotation"][1] < 12 < 33 < sq["category_means"]["rotation"][2]
    assert r["ellipse"]["categories"] == [200, 0, 0] and r["ellipse"]["eta_squared"]["rotation"] == 0.0
    assert r["triangle"]["eta_squared"]["scale"] > 0.7


def _render(shape, rotation=0.0, scale=1.0, x=0.0, y=0.0, size=128, color=False):
    n = len(shape)
    f = {"shape": np.asarray(shape), "rotation": np.broadcast_to(rotation, n).astype(float),
         "scale": np.broadcast_to(scale, n).astype(float), "x": np.broadcast_to(x, n).astype(float),
         "y": np.broadcast_to(y, n).astype(float)}
    if color:
        f["hue"] = np.full(n, 0.6)
    return shapes.render(f, size, color)


def test_moment_invariants_match_the_closed_forms_of_the_three_classes():
    feats = evaluation.moment_invariants(_render([0, 1, 2]))
    log_elongation, phi1, asymmetry = feats.T
    # Square: isotropic, phi1 = 1/6; ellipse 2:1: second moments 4:1, phi1 = 5 / (8 pi);
    # equilateral triangle: isotropic, phi1 = sqrt(3) / 9. Pixelisation at 128 px costs under 1%.
    np.testing.assert_allclose(log_elongation, [0.0, np.log(4.0), 0.0], atol=0.02)
    np.testing.assert_allclose(phi1, [1 / 6, 5 / (8 * np.pi), np.sqrt(3) / 9], rtol=0.01)
    # Only the triangle lacks a centre of symmetry, so only it has third-order asymmetry.
    assert asymmetry[0] < 0.002 and asymmetry[1] < 0.002 and asymmetry[2] > 0.05


def test_moment_invariants_ignore_position_scale_rotation_and_colour():
    ref = evaluation.moment_invariants(_render([0, 1, 2]))
    moved = evaluation.moment_invariants(_render([0, 1, 2], rotation=37.0, scale=0.6, x=0.2, y=-0.15))
    np.testing.assert_allclose(moved, ref, atol=0.02)
    coloured = evaluation.moment_invariants(_render([0, 1, 2], color=True).astype(np.float32) / 127.5 - 1.0)
    np.testing.assert_allclose(coloured, ref, atol=1e-3)  # uint8 rounding of the hue at the edges


class _ShapeDrawingModel:
    """A fake generator that draws, for category j of c1, the class ``draws[j]`` at a random pose."""

    def __init__(self, draws):
        from infogan_tf import latents
        self.spec = latents.spec_from_config({"noise_dim": 2, "codes": [
            {"name": "c1", "type": "categorical", "k": 3}, {"name": "c2", "type": "continuous"}]})
        self.draws = np.asarray(draws)

    def generate(self, z, codes):
        cat = codes[0].numpy().argmax(axis=1)
        rng = np.random.default_rng(int(abs(z.numpy()).sum() * 1000))
        n = len(cat)
        return tf.constant(_render(self.draws[cat], rotation=rng.uniform(0, 90, n), scale=rng.uniform(0.5, 1, n),
                                   x=rng.uniform(-0.3, 0.3, n), y=rng.uniform(-0.3, 0.3, n), size=32) / 255.0)


def test_generated_classes_count_what_each_category_draws():
    images, factors = shapes.make(300, 32, seed=1)
    r = evaluation.generated_classes(_ShapeDrawingModel([2, 0, 1]), images, factors["shape"], rows=30)
    assert r["classes"] == ["square", "ellipse", "triangle"] and r["classifier_accuracy"] >= 0.98
    assert r["codes"]["c1"] == [[0, 0, 30], [30, 0, 0], [0, 30, 0]]
    # A generator that drops the triangles and splits the squares over two categories.
    r = evaluation.generated_classes(_ShapeDrawingModel([0, 0, 1]), images, factors["shape"], rows=30)
    assert r["codes"]["c1"] == [[30, 0, 0], [30, 0, 0], [0, 30, 0]]
