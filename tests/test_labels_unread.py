"""Training never reads labels: a run with the labels as loaded, one with them scrambled and one with
them removed train alike; only the evaluation, which reads them by design, differs."""

import numpy as np
import pytest

from infogan_tf import data, experiment, loop

# shapes_faces on a few generated images (no files needed): labels (the shape class) and known
# factors. Its evaluation reads them before training (the untrained baseline) and after every step,
# between the training steps.
OVERRIDES = [
    "dataset.num_images=64",
    "dataset.num_test_images=32",
    "train.batch_size=8",
    "train.steps=3",
    "logging.log_every=1",
    "logging.eval_every=1",
    "logging.image_every=0",
    "evaluation.class_rows=8",
    "evaluation.factor_rows=2",
]


def _scrambled(split: data.Split) -> data.Split:
    perm = np.random.default_rng(0).permutation(len(split.images))
    return data.Split(split.images, split.labels[perm], {k: v[perm] for k, v in split.factors.items()})


ALTER = {"as loaded": lambda split: split, "scrambled": _scrambled, "removed": lambda split: data.Split(split.images)}


def _train(registry, monkeypatch, tmp_path, how):
    """Runs the experiment (runner path, no XLA) with ``data.load_dataset``'s splits altered ``how``."""
    load = data.load_dataset
    splits = {}

    def altered(dataset, split, *args, **kwargs):
        splits[split] = ALTER[how](load(dataset, split, *args, **kwargs))
        return splits[split]

    monkeypatch.setattr(data, "load_dataset", altered)
    run = experiment.run_experiment(
        registry.experiment("shapes_faces", OVERRIDES),
        seed=0,
        log_dir=str(tmp_path / how.replace(" ", "_")),
        jit_compile=False,
        do_export=False,
    )
    monkeypatch.setattr(data, "load_dataset", load)
    return run, splits


@pytest.fixture(scope="module")
def as_loaded(registry, tmp_path_factory):
    with pytest.MonkeyPatch.context() as monkeypatch:
        return _train(registry, monkeypatch, tmp_path_factory.mktemp("labels"), "as loaded")


def _assert_trained_alike(a, b):
    history_a, history_b = loop.read_history(a.run_dir), loop.read_history(b.run_dir)
    assert [r["step"] for r in history_a] == [1, 2, 3]
    assert history_a == history_b  # every logged loss, L_I and D output of every step, exactly
    for m, n in (
        (a.model.generator, b.model.generator),
        (a.model.discriminator, b.model.discriminator),
        (a.model.d_optimizer, b.model.d_optimizer),
        (a.model.g_optimizer, b.model.g_optimizer),
    ):
        assert len(m.variables) == len(n.variables) > 0
        for x, y in zip(m.variables, n.variables):
            np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=x.path)
    np.testing.assert_array_equal(a.model.rng.state.numpy(), b.model.rng.state.numpy())


def test_training_with_scrambled_labels_is_identical(as_loaded, registry, monkeypatch, tmp_path):
    (loaded, loaded_splits), (scrambled, scrambled_splits) = (
        as_loaded,
        _train(registry, monkeypatch, tmp_path, "scrambled"),
    )
    for split in ("train", "test"):
        assert np.mean(loaded_splits[split].labels != scrambled_splits[split].labels) > 0.4
    _assert_trained_alike(loaded, scrambled)
    # The evaluation did read the scrambled labels: the categories are matched to labels (one-to-one)
    # on the 32 test images, and the confusion matrices differ.
    a, b = loaded.metrics["evaluation"]["c1"], scrambled.metrics["evaluation"]["c1"]
    assert a["num_images"] == b["num_images"] == 32
    assert a["confusion_label_by_category"] != b["confusion_label_by_category"]


def test_training_without_labels_is_identical(as_loaded, registry, monkeypatch, tmp_path):
    loaded, _ = as_loaded
    removed, splits = _train(registry, monkeypatch, tmp_path, "removed")
    assert splits["train"].labels is None and splits["test"].labels is None and splits["test"].factors is None
    _assert_trained_alike(loaded, removed)
    assert "c1" in loaded.metrics["evaluation"] and removed.metrics["evaluation"] == {}
    assert "factor_correlations" in loaded.metrics and "factor_correlations" not in removed.metrics
