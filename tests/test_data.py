"""Input pipeline: ranges, exact resumption of the batch order, and clear errors for missing data."""

import time

import numpy as np
import pytest

from infogan_tf import data


def test_shared_mnist_loads_with_its_real_sizes(mnist_data_dir):
    images, labels = data.load_split("mnist", "test", mnist_data_dir)
    assert images.shape == (10000, 28, 28, 1) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))
    train, _ = data.load_split("mnist", "train", mnist_data_dir)
    assert train.shape[1:] == (28, 28, 1) and len(train) > 10000  # 19,690 here, 60,000 with internet


def test_tfds_data_dir_environment_variable_is_honoured(mnist_data_dir, monkeypatch):
    monkeypatch.setenv("TFDS_DATA_DIR", mnist_data_dir)
    images, _ = data.load_split("mnist", "test")
    assert len(images) == 10000


def test_batches_are_scaled_to_the_generator_range():
    images = np.stack([np.full((4, 4, 1), v, np.uint8) for v in (0, 255, 51)] * 10)
    x = next(iter(data.training_batches(images, 8, seed=0)))
    assert x.shape == (8, 4, 4, 1) and x.numpy().min() >= 0.0 and x.numpy().max() <= 1.0
    y = next(iter(data.training_batches(images, 8, seed=0, output_activation="tanh")))
    assert y.numpy().min() >= -1.0 and y.numpy().max() <= 1.0 and y.numpy().min() == -1.0


def test_pipeline_started_at_step_k_equals_the_uninterrupted_one():
    images = np.arange(23 * 2 * 2, dtype=np.uint8).reshape(23, 2, 2, 1)  # 23: batches cross epochs
    straight = [b.numpy() for b in data.training_batches(images, 5, seed=7).take(12)]
    for k in (0, 3, 4, 9):
        resumed = [b.numpy() for b in data.training_batches(images, 5, seed=7, start_step=k).take(12 - k)]
        for a, b in zip(straight[k:], resumed):
            np.testing.assert_array_equal(a, b)


def test_each_epoch_is_a_permutation_and_seeds_differ():
    images = np.arange(20, dtype=np.uint8).reshape(20, 1, 1, 1)
    batches = [b.numpy().ravel() for b in data.training_batches(images, 5, seed=1).take(8)]
    epoch1, epoch2 = np.concatenate(batches[:4]), np.concatenate(batches[4:])
    assert sorted((epoch1 * 255).round().astype(int)) == list(range(20))
    assert not np.array_equal(epoch1, epoch2)
    other = np.concatenate([b.numpy().ravel() for b in data.training_batches(images, 5, seed=2).take(4)])
    assert not np.array_equal(epoch1, other)


def test_batch_larger_than_dataset_is_an_error():
    with pytest.raises(ValueError, match="batch size 64 is larger than the dataset"):
        data.training_batches(np.zeros((10, 2, 2, 1), np.uint8), 64, seed=0)


def test_missing_data_and_no_network_fails_within_seconds(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "_reachable", lambda host, port=443, timeout=3.0: False)
    t = time.time()
    with pytest.raises(data.DataUnavailableError) as err:
        data.load_split("mnist", "train", str(tmp_path))
    assert time.time() - t < 20
    msg = str(err.value)
    assert "--data_dir" in msg and "TFDS_DATA_DIR" in msg and "mnist/3.0.1" in msg


def test_nonexistent_data_dir_is_named(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(data.DataUnavailableError, match="does not exist"):
        data.load_split("mnist", "train", str(missing))


def test_unknown_split_is_named(mnist_data_dir):
    with pytest.raises(ValueError, match="no split 'validation'"):
        data.load_split("mnist", "validation", mnist_data_dir)


def test_manual_downloads_are_used_without_network(tmp_path, monkeypatch):
    # CelebA's route: the files placed by hand in <data_dir>/downloads/manual/ are used offline.
    import tensorflow_datasets as tfds

    manual = tmp_path / "downloads" / "manual"
    manual.mkdir(parents=True)
    (manual / "img_align_celeba.zip").write_bytes(b"placeholder")
    monkeypatch.setattr(data, "_reachable", lambda host, port=443, timeout=3.0: False)
    calls = []

    def fake_prepare(self, *args, **kwargs):
        calls.append(self.name)
        raise RuntimeError("stop here")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", fake_prepare)
    with pytest.raises(RuntimeError, match="stop here"):
        data.load_split("celeb_a", "train", str(tmp_path))
    assert calls == ["celeb_a"]
