"""Hungarian matching of categories to labels, majority purity, and the continuous-factor scores."""

import types

import numpy as np
import pytest
import tensorflow as tf
from test_moments import _bar, _disc

from infogan_tf import configs, evaluation


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


def test_label_free_scores_closed_forms():
    k = 10
    confident_even = np.eye(k)[np.arange(1000) % k]  # every image one sure category, all used alike
    r = evaluation.label_free_scores(confident_even)
    assert r["mutual_information"] == pytest.approx(np.log(k), abs=1e-4) and r["max_nats"] == pytest.approx(
        np.log(k), abs=1e-4
    )
    assert r["mean_confidence"] == pytest.approx(1.0)
    unsure = np.full((1000, k), 1.0 / k)  # Q says nothing: I = 0 although usage is even
    r = evaluation.label_free_scores(unsure)
    assert r["mutual_information"] == pytest.approx(0.0, abs=1e-6) and r["usage_entropy"] == pytest.approx(
        np.log(k), abs=1e-4
    )
    one_category = np.tile(np.eye(k)[0], (1000, 1))  # sure, but of one category for every image
    assert evaluation.label_free_scores(one_category)["mutual_information"] == pytest.approx(0.0, abs=1e-6)
    two_merged = np.eye(k)[np.minimum(np.arange(1000) % k, 8)]  # categories 8 and 9 merged into 8
    expected = -(0.8 * np.log(0.1) + 0.2 * np.log(0.2))
    assert evaluation.label_free_scores(two_merged)["mutual_information"] == pytest.approx(expected, abs=1e-4)


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
        self.spec = configs.parse_latent(
            {"noise_dim": 2, "codes": [{"name": "c2", "type": "continuous"}, {"name": "c3", "type": "continuous"}]}
        )

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
        self.spec = configs.parse_latent({"noise_dim": 2, "codes": [{"name": "c2", "type": "continuous"}]})

    def generate(self, z, codes):
        c2 = codes[0].numpy()[:, 0]
        return tf.constant(np.stack([_bar(84 + 10 * v, size=32) for v in c2]))


def test_rotation_span_follows_the_axis_through_the_horizontal():
    r = evaluation.continuous_factor_scores(_TurningBarModel(), factors=("rotation",), rows=2)
    # From c2 = -1 to +1 the bar turns 74 -> 94 degrees: +20, not the -160 of the raw angles.
    assert r["spans"]["rotation"]["c2"] == pytest.approx(20.0, abs=3.0)
    assert r["scores"]["rotation"]["c2"] > 0.95  # pixelisation keeps it just below 1


def test_matching_is_one_to_one_unlike_majority_purity():
    # Categories 0 and 1 both hold digit 0: one-to-one matching gives only one of them label 0 (the
    # other takes an unused label), while majority purity reads both as 0.
    labels = np.array([0, 0, 0, 0, 1, 1])
    predicted = np.array([0, 0, 1, 1, 2, 2])
    r = evaluation.match_categories(predicted, labels, 3, 3)
    assert r["accuracy"] == pytest.approx(4 / 6)
    assert sorted(r["category_to_label"]) == [0, 1, 2] and r["category_to_label"][2] == 1
    assert evaluation.majority_purity(predicted, labels, 3) == 1.0
    # More categories than labels (c1.k=4 on 3 labels), through the accuracy a run records: the
    # surplus category is left unmatched (-1, drawn as "cat 3", not as a label that does not exist)
    # and its images count as wrong.
    code = types.SimpleNamespace(k=4)
    model = types.SimpleNamespace(spec=types.SimpleNamespace(code=lambda name: code))
    post = {"c1": {"probs": np.eye(4)[[0, 1, 2, 3]]}}
    r = evaluation.categorical_accuracy(model, "c1", None, np.array([0, 1, 2, 2]), post=post)
    assert r["accuracy"] == pytest.approx(3 / 4) and sorted(r["category_to_label"]) == [-1, 0, 1, 2]
    assert len(r["confusion_label_by_category"]) == 3
