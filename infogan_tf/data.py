"""Input pipelines: TFDS datasets held in memory as uint8, fed by an exactly resumable tf.data pipeline.

Data location, in order: the ``data_dir`` argument (the runner's ``--data_dir``), the
``TFDS_DATA_DIR`` environment variable, TFDS's default (~/tensorflow_datasets). A dataset that is not
prepared there is downloaded by TFDS as usual; when the download host cannot be reached, loading
fails at once with an error that says how to point at a prepared data dir, instead of TFDS retrying
for minutes.
"""

import os
import socket
from typing import Optional, Tuple

import numpy as np
import tensorflow as tf

# Where TFDS downloads each dataset from; checked before a download is attempted.
DOWNLOAD_HOSTS = {"mnist": "storage.googleapis.com"}


class DataUnavailableError(RuntimeError):
    """The dataset is neither prepared in the data dir nor downloadable from here."""


def resolve_data_dir(data_dir: Optional[str]) -> Optional[str]:
    if data_dir:
        return os.path.abspath(os.path.expanduser(data_dir))
    env = os.environ.get("TFDS_DATA_DIR")
    return os.path.abspath(os.path.expanduser(env)) if env else None


def _reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def load_split(name: str, split: str, data_dir: Optional[str] = None,
               download: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Loads a whole TFDS split into memory: (images uint8 [N, H, W, C], labels int64 [N]).

    With ``download=False`` a dataset that is not prepared is an error instead of a download.
    """
    import tensorflow_datasets as tfds  # imported here: it is slow to import

    data_dir = resolve_data_dir(data_dir)
    if data_dir is not None and not os.path.isdir(data_dir):
        raise DataUnavailableError(
            f"data dir {data_dir!r} (from --data_dir or TFDS_DATA_DIR) does not exist; "
            f"pass the directory that holds '{name}/<version>/', e.g. --data_dir=../shared/tensorflow_datasets")
    builder = tfds.builder(name, data_dir=data_dir)
    if not builder.is_prepared():
        host = DOWNLOAD_HOSTS.get(name, "storage.googleapis.com")
        where = data_dir or os.path.join(os.path.expanduser("~"), "tensorflow_datasets")
        if not download:
            raise DataUnavailableError(
                f"TFDS dataset '{name}' is not prepared in {where!r} and downloading is off "
                f"(--nodownload). Point --data_dir (or TFDS_DATA_DIR) at a prepared TFDS data dir that "
                f"contains '{name}/{builder.version}/', e.g. --data_dir=../shared/tensorflow_datasets.")
        if not _reachable(host):
            raise DataUnavailableError(
                f"TFDS dataset '{name}' is not prepared in {where!r} and its download host {host} "
                f"cannot be reached. Point --data_dir (or the TFDS_DATA_DIR environment variable) at a "
                f"prepared TFDS data dir that contains '{name}/{builder.version}/', for example "
                f"--data_dir=../shared/tensorflow_datasets, or run once with internet access.")
        builder.download_and_prepare()
    splits = builder.info.splits
    if split not in splits:
        raise ValueError(f"dataset '{name}' has no split {split!r}; it has {sorted(splits.keys())}")
    ds = builder.as_dataset(split=split, batch_size=-1, shuffle_files=False)
    arrays = tfds.as_numpy(ds)
    return arrays["image"], arrays["label"]


def to_float(images: tf.Tensor, output_activation: str) -> tf.Tensor:
    """uint8 images to the generator's output range: [0, 1] for sigmoid, [-1, 1] for tanh."""
    x = tf.cast(images, tf.float32) / 255.0
    if output_activation == "tanh":
        return x * 2.0 - 1.0
    if output_activation == "sigmoid":
        return x
    raise ValueError(f"unsupported generator output activation {output_activation!r}")


def training_batches(images: np.ndarray, batch_size: int, seed: int, start_step: int = 0,
                     output_activation: str = "sigmoid") -> tf.data.Dataset:
    """An endless dataset of shuffled batches [batch_size, H, W, C] in G's output range.

    Epoch e visits the images in the order of a permutation fixed by (seed, e); batches run across
    epoch boundaries. Batch number ``start_step`` of a fresh pipeline is exactly batch
    ``start_step`` of an uninterrupted one, which is what makes resuming exact.
    """
    n = int(images.shape[0])
    if n < batch_size:
        raise ValueError(f"batch size {batch_size} is larger than the dataset ({n} images)")
    offset = int(start_step) * int(batch_size)
    first_epoch, skip = divmod(offset, n)

    def epoch_order(epoch):
        perm = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int64), seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(perm)

    table = tf.constant(images)
    ds = tf.data.Dataset.range(first_epoch, np.iinfo(np.int64).max).flat_map(epoch_order)
    ds = ds.skip(skip).batch(batch_size, drop_remainder=True)
    ds = ds.map(lambda idx: to_float(tf.gather(table, idx), output_activation),
                num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)
