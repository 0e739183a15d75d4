"""Diagnostics with known factors (the shapes): correlation ratio, what a categorical code's
categories separate, and which class G draws for each category."""

import numpy as np
import pytest
import tensorflow as tf
from test_moments import _render

from infogan_tf import configs, evaluation_shapes, shapes


def test_correlation_ratio_hand_computed():
    # mean 2.5, total sum of squares 5; group means 1.5 and 3.5, between 2 * 1 + 2 * 1 = 4.
    assert evaluation_shapes.correlation_ratio(np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1])) == pytest.approx(
        0.8
    )
    assert evaluation_shapes.correlation_ratio(np.array([1.0, 2.0, 1.0, 2.0]), np.array([0, 0, 1, 1])) == pytest.approx(
        0.0
    )
    assert evaluation_shapes.correlation_ratio(np.full(4, 3.0), np.array([0, 1, 0, 1])) == 0.0


def test_category_factors_find_a_code_that_splits_squares_by_their_apparent_rotation():
    rng = np.random.default_rng(0)
    n = 600
    f = {
        "shape": np.repeat([0, 1, 2], n // 3),
        "rotation": rng.uniform(0, 90, n),
        "scale": rng.uniform(0.5, 1.0, n),
        "x": rng.uniform(-0.4, 0.4, n),
        "y": rng.uniform(-0.4, 0.4, n),
    }
    # Squares: category 1 near upright (apparent rotation below 22.5 degrees, i.e. turns near 0 or 90),
    # category 2 near 45 degrees; ellipses all category 0; triangles by size.
    near_upright = np.minimum(f["rotation"], 90 - f["rotation"]) < 22.5
    predicted = np.where(
        f["shape"] == 0, np.where(near_upright, 1, 2), np.where(f["shape"] == 1, 0, (f["scale"] > 0.75).astype(int))
    )
    r = evaluation_shapes.category_factors(predicted, f, 3)
    assert set(r) == {"square", "ellipse", "triangle"}
    sq = r["square"]
    assert sq["count"] == 200 and sum(sq["categories"]) == 200 and sq["categories"][0] == 0
    assert sq["eta_squared"]["rotation"] > 0.7  # the raw angle (0..90) would give about 0: 0 and 90 look alike
    assert max(sq["eta_squared"][k] for k in ("scale", "x", "y")) < 0.05
    assert sq["category_means"]["rotation"][0] is None
    assert sq["category_means"]["rotation"][1] < 12 < 33 < sq["category_means"]["rotation"][2]
    assert r["ellipse"]["categories"] == [200, 0, 0] and r["ellipse"]["eta_squared"]["rotation"] == 0.0
    assert r["triangle"]["eta_squared"]["scale"] > 0.7


class _ShapeDrawingModel:
    """A fake generator that draws, for category j of c1, the class ``draws[j]`` at a random pose."""

    def __init__(self, draws):
        self.spec = configs.parse_latent(
            {
                "noise_dim": 2,
                "codes": [{"name": "c1", "type": "categorical", "k": 3}, {"name": "c2", "type": "continuous"}],
            }
        )
        self.draws = np.asarray(draws)

    def generate(self, z, codes):
        cat = codes[0].numpy().argmax(axis=1)
        rng = np.random.default_rng(int(abs(z.numpy()).sum() * 1000))
        n = len(cat)
        return tf.constant(
            _render(
                self.draws[cat],
                rotation=rng.uniform(0, 90, n),
                scale=rng.uniform(0.5, 1, n),
                x=rng.uniform(-0.3, 0.3, n),
                y=rng.uniform(-0.3, 0.3, n),
                size=32,
            )
            / 255.0
        )


def test_generated_classes_count_what_each_category_draws():
    images, factors = shapes.make(300, 32, seed=1)
    r = evaluation_shapes.generated_classes(_ShapeDrawingModel([2, 0, 1]), images, factors["shape"], rows=30)
    assert r["classes"] == ["square", "ellipse", "triangle"] and r["classifier_accuracy"] >= 0.98
    assert r["codes"]["c1"] == [[0, 0, 30], [30, 0, 0], [0, 30, 0]]
    # A generator that drops the triangles and splits the squares over two categories.
    r = evaluation_shapes.generated_classes(_ShapeDrawingModel([0, 0, 1]), images, factors["shape"], rows=30)
    assert r["codes"]["c1"] == [[30, 0, 0], [30, 0, 0], [0, 30, 0]]


def test_evaluate_gives_every_diagnostic_the_codes_and_factors_allow():
    images, factors = shapes.make(90, 32, seed=2)
    model = _ShapeDrawingModel([0, 1, 2])
    n = len(images)
    post = {
        "c1": {"probs": np.eye(3)[factors["shape"]]},
        "c2": {"mean": factors["scale"][:, None] + 0.0, "std": np.ones((n, 1))},
    }
    r = evaluation_shapes.evaluate(model, images, factors, post, class_rows=6)
    assert set(r) == {"factor_correlations", "category_factors", "generated_classes"}
    assert r["factor_correlations"]["c2"]["scale"] == pytest.approx(1.0)
    assert all(sum(row) == 6 for row in r["generated_classes"]["codes"]["c1"])
    assert r["category_factors"]["c1"]["square"]["categories"][0] == r["category_factors"]["c1"]["square"]["count"]
    # Without a class factor only the continuous codes' correlations remain.
    no_class = {k: v for k, v in factors.items() if k != "shape"}
    assert set(evaluation_shapes.evaluate(model, images, no_class, post)) == {"factor_correlations"}
