"""The digit classifier that judges G's samples, its cache, and generation accuracy."""

import json
import os

import numpy as np
import pytest

from infogan_tf import architectures, configs, data, digit_classifier, evaluation


@pytest.fixture(scope="module")
def classifier(mnist_splits):
    return digit_classifier.load_or_train(*mnist_splits)  # trained once per machine (tests/conftest.py)


def test_the_classifier_reaches_its_accuracy_on_the_test_split_and_is_cached(classifier, mnist_splits, monkeypatch):
    train, test = mnist_splits
    accuracy = float(np.mean(classifier.predict(test.images) == test.labels))
    assert accuracy >= digit_classifier.MIN_TEST_ACCURACY
    assert classifier.record["test_accuracy"] == pytest.approx(accuracy, abs=1e-4)
    assert classifier.record["num_train_images"] == len(train.images) == 60000
    stem = os.path.join(data.cache_dir(), "digit_classifier_v1_n60000")
    assert json.load(open(stem + ".json"))["test_accuracy"] == classifier.record["test_accuracy"]

    def no_training(*args, **kwargs):
        raise AssertionError("trained again although cached")

    monkeypatch.setattr(digit_classifier, "train", no_training)
    again = digit_classifier.load_or_train(train, test)
    assert np.array_equal(again.predict(test.images[:500]), classifier.predict(test.images[:500]))


def _stub(accuracy):
    """Stands in for training: an untrained network with a record of the given accuracy."""

    def train(train_split, test_split):
        return digit_classifier.DigitClassifier(
            digit_classifier.build(), {"test_accuracy": accuracy, "train_seconds": 0.0}
        )

    return train


def test_an_unreadable_cache_is_trained_again(tmp_path, monkeypatch):
    split = type("Split", (), {"images": np.zeros((7, 28, 28, 1), np.uint8)})()
    (tmp_path / "digit_classifier_v1_n7.json").write_text("{not json")
    (tmp_path / "digit_classifier_v1_n7.keras").write_bytes(b"damaged")
    monkeypatch.setattr(digit_classifier, "train", _stub(0.99))
    digit_classifier.load_or_train(split, split, str(tmp_path))
    assert json.loads((tmp_path / "digit_classifier_v1_n7.json").read_text())["test_accuracy"] == 0.99
    monkeypatch.setattr(digit_classifier, "train", _stub(0.5))  # now cached: not trained again
    assert digit_classifier.load_or_train(split, split, str(tmp_path)).test_accuracy == 0.99
    (tmp_path / "digit_classifier_v1_n7.keras").write_bytes(b"PK\x03\x04 cut short")  # a good record, a bad model
    monkeypatch.setattr(digit_classifier, "train", _stub(0.991))
    assert digit_classifier.load_or_train(split, split, str(tmp_path)).test_accuracy == 0.991


def test_a_classifier_below_the_bar_is_refused(tmp_path, monkeypatch):
    split = type("Split", (), {"images": np.zeros((7, 28, 28, 1), np.uint8)})()
    monkeypatch.setattr(digit_classifier, "train", _stub(0.97))
    with pytest.raises(digit_classifier.ClassifierError, match="97.00% .* below the 98.5%"):
        digit_classifier.load_or_train(split, split, str(tmp_path))
    assert not (tmp_path / "digit_classifier_v1_n7.keras").exists()


class DigitDrawer:
    """A hand-built generator: category j of c1 draws real test images of the digit ``digits[j]``."""

    def __init__(self, test, digits):
        self.spec = configs.Registry().experiment("mnist").latent
        self.arch = architectures.MNIST
        self.pools = [test.images[test.labels == d].astype(np.float32) / 255.0 for d in digits]
        self.drawn = 0

    def generate(self, z, codes):
        categories = np.asarray(codes[0]).argmax(axis=1)  # c1 comes first in the spec
        out = []
        for j in categories:
            out.append(self.pools[j][self.drawn % len(self.pools[j])])
            self.drawn += 1
        return np.stack(out)


def test_generation_accuracy_of_a_generator_whose_categories_draw_known_digits(classifier, mnist_splits):
    _, test = mnist_splits
    digits = [3, 1, 4, 0, 9, 2, 6, 5, 8, 7]
    r = evaluation.generation_accuracy(DigitDrawer(test, digits), "c1", classifier.predict, rows=200)
    assert r["category_to_label"] == digits and r["majority_label"] == digits
    assert r["digits_covered"] == 10 and r["accuracy"] >= 0.98 and min(r["purity"]) >= 0.95
    assert np.asarray(r["counts_category_by_label"]).sum(axis=1).tolist() == [200] * 10

    merged = [3, 1, 4, 0, 4, 2, 6, 5, 8, 7]  # categories 2 and 4 both draw 4s; no category draws 9s
    r = evaluation.generation_accuracy(DigitDrawer(test, merged), "c1", classifier.predict, rows=200)
    assert r["digits_covered"] == 9 and r["majority_label"] == merged
    assert 0.85 <= r["accuracy"] <= 0.91  # one category's samples cannot be matched to a digit it draws
