"""The judge of generation accuracy: a small digit classifier for MNIST, trained once and cached.

It is trained by the project on the labelled MNIST train split (InfoGAN never sees those labels) and
must reach ``MIN_TEST_ACCURACY`` on the test split; its test accuracy is kept beside it. It then
labels G's samples: which digit G draws for each category of c1 (``evaluation.generation_accuracy``),
a measure of c1 independent of Q.

The cache is ``$INFOGAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/infogan_tf``, else ``~/.cache/infogan_tf``
(never the data dir), one file per training-split size: ``digit_classifier_v1_n60000.keras`` with
its record ``digit_classifier_v1_n60000.json``. A missing or unreadable cache is trained again
(92 s on the project's 2 cores: ``train_seconds`` in its record); both files are written atomically.
"""

import json
import os
import time
from typing import Optional

try:
    import fcntl
except ImportError:  # Windows: no lock; first uses at once may each train one
    fcntl = None

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from infogan_tf import data, provenance

MIN_TEST_ACCURACY = 0.985
VERSION = 1  # bump when the network or its training changes: older cache files are then not used
EPOCHS = 3
BATCH = 128
SEED = 0


class ClassifierError(RuntimeError):
    """The classifier cannot be trained to the required accuracy."""


def build(seed: int = SEED) -> keras.Model:
    """Two 3x3 convolutions with max pooling, a 128-unit hidden layer, 10 logits; [N, 28, 28, 1] in [0, 1]."""
    init = [keras.initializers.GlorotUniform(seed=seed + i) for i in range(4)]
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu", kernel_initializer=init[0]),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu", kernel_initializer=init[1]),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu", kernel_initializer=init[2]),
            keras.layers.Dense(10, kernel_initializer=init[3]),
        ],
        name="digit_classifier",
    )


def _unit(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    return x.reshape((-1, 28, 28, 1))


class DigitClassifier:
    """A trained classifier and its record (test accuracy, training data size, seed, time, CPU)."""

    def __init__(self, network: keras.Model, record: dict):
        self.network = network
        self.record = record
        self._logits = tf.function(lambda x: network(x, training=False))

    def predict(self, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Digit labels [N] of images: uint8 (0..255) or floats in [0, 1], [N, 28, 28(, 1)]."""
        x = _unit(images)
        return (
            np.concatenate(
                [
                    np.asarray(self._logits(tf.constant(x[i : i + batch_size]))).argmax(axis=1)
                    for i in range(0, len(x), batch_size)
                ]
            )
            if len(x)
            else np.zeros(0, np.int64)
        )

    @property
    def test_accuracy(self) -> float:
        return self.record["test_accuracy"]


def train(train_split, test_split, epochs: int = EPOCHS, seed: int = SEED) -> DigitClassifier:
    """Trains the classifier on ``train_split`` (a ``data.Split`` with labels) and measures it on ``test_split``."""
    t0 = time.time()
    network = build(seed)
    network.compile(
        optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    x, y = _unit(train_split.images), np.asarray(train_split.labels, np.int64)
    rng = np.random.RandomState(seed)
    for epoch in range(epochs):  # our own shuffling: Keras' would draw from the global seed
        order = rng.permutation(len(x))
        history = network.fit(x[order], y[order], batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        logging.info("digit classifier: epoch %d/%d, loss %.4f", epoch + 1, epochs, history.history["loss"][-1])
    classifier = DigitClassifier(network, {})
    accuracy = float(np.mean(classifier.predict(test_split.images) == np.asarray(test_split.labels)))
    classifier.record = {
        "version": VERSION,
        "test_accuracy": round(accuracy, 5),
        "num_train_images": int(len(x)),
        "num_test_images": int(len(test_split.images)),
        "epochs": epochs,
        "batch_size": BATCH,
        "seed": seed,
        "train_seconds": round(time.time() - t0, 1),
        "cpu": provenance.cpu_model(),
        "tensorflow": tf.__version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    return classifier


def load_or_train(train_split, test_split, directory: Optional[str] = None) -> DigitClassifier:
    """The cached classifier for this training split's size, trained and cached first if need be.

    Processes that need it at once (the seeds of a parallel sweep) train it once: the others wait on
    a lock file in the cache and then load it.

    Raises:
      ClassifierError: the trained classifier is below ``MIN_TEST_ACCURACY`` on the test split.
    """
    directory = directory or data.cache_dir()
    os.makedirs(directory, exist_ok=True)
    stem = os.path.join(directory, f"digit_classifier_v{VERSION}_n{len(train_split.images)}")
    with open(stem + ".lock", "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        cached = _load(stem)
        if cached is not None:
            return cached
        logging.info(
            "digit classifier: training one on the %d labelled training images of %s (once, about a "
            "minute; cached in %s)",
            len(train_split.images),
            "MNIST",
            directory,
        )
        classifier = train(train_split, test_split)
        if classifier.test_accuracy < MIN_TEST_ACCURACY:
            raise ClassifierError(
                f"the digit classifier reached {100 * classifier.test_accuracy:.2f}% on the test "
                f"split, below the {100 * MIN_TEST_ACCURACY:.1f}% generation accuracy needs"
            )
        classifier.network.save(stem + ".tmp.keras")
        os.replace(stem + ".tmp.keras", stem + ".keras")
        provenance.write_json(stem + ".json", classifier.record)
    logging.info(
        "digit classifier: test accuracy %.2f%% (%.0f s); cached in %s.keras",
        100 * classifier.test_accuracy,
        classifier.record["train_seconds"],
        stem,
    )
    return classifier


def _load(stem: str) -> Optional[DigitClassifier]:
    """The cached classifier at ``stem``, or None (with the reason logged) when it cannot be used."""
    try:
        with open(stem + ".json") as f:
            record = json.load(f)
        network = keras.models.load_model(stem + ".keras", compile=False)
    except FileNotFoundError:
        return None
    except Exception as e:  # noqa: BLE001 (a damaged .keras zip raises BadZipFile, KeyError, ...)
        logging.warning("digit classifier: cannot read the cache %s (%r); training again", stem, e)
        return None
    if record.get("test_accuracy", 0) < MIN_TEST_ACCURACY:
        logging.warning(
            "digit classifier: the cached one in %s is below %.1f%%; training again", stem, 100 * MIN_TEST_ACCURACY
        )
        return None
    return DigitClassifier(network, record)
