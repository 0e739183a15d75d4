import json
import os
import sys
import tempfile

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") != "1":
    # Parallel workers share the cores: one TensorFlow thread each (read before TensorFlow starts;
    # the subprocesses that tests start inherit it).
    for var in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS"):
        os.environ.setdefault(var, "1")
# The digit classifier (generation accuracy) is trained once per machine into this cache and shared
# by every worker and subprocess of the tests; a lock makes the first user train it and the rest wait.
os.environ.setdefault("INFOGAN_CACHE_DIR", os.path.join(tempfile.gettempdir(), "infogan_tf_test_cache"))
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)


def _find_data_dir():
    for candidate in (
        os.environ.get("INFOGAN_TEST_DATA_DIR"),
        os.environ.get("TFDS_DATA_DIR"),
        os.path.join(REPO, "..", "shared", "tensorflow_datasets"),
        os.path.join(os.path.expanduser("~"), "tensorflow_datasets"),  # where tfds.load prepares it
    ):
        if candidate and os.path.isdir(os.path.join(candidate, "mnist")):
            return os.path.abspath(candidate)
    return None


@pytest.fixture(scope="session")
def mnist_data_dir():
    """A TFDS data dir holding the prepared MNIST. Without one, the tests that need it are skipped
    with the reason (a user's machine) or fail (in CI, where it must be there: ``CI`` is set)."""
    path = _find_data_dir()
    if path is None:
        message = (
            "no prepared MNIST found: set TFDS_DATA_DIR (or INFOGAN_TEST_DATA_DIR) to a TFDS data dir "
            'holding mnist/3.0.1 (e.g. ../shared/tensorflow_datasets; with internet, `python -c "import '
            "tensorflow_datasets as tfds; tfds.load('mnist')\"` prepares one in ~/tensorflow_datasets)"
        )
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(message + "; CI needs it")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def registry():
    from infogan_tf import configs

    return configs.Registry()


@pytest.fixture
def tiny_experiment(registry):
    """The MNIST experiment at batch 16: the paper's networks, small enough for a unit test."""
    return registry.experiment("mnist", ["train.batch_size=16", "train.steps=4"])


@pytest.fixture(scope="session")
def mnist_splits(mnist_data_dir):
    """The shared MNIST's train and test splits (data.Split), as the mnist experiment loads them."""
    from infogan_tf import configs, data

    dataset = configs.Registry().experiment("mnist").dataset
    return data.load_dataset(dataset, "train", mnist_data_dir), data.load_dataset(dataset, "test", mnist_data_dir)


# The mnist experiment on generated data: 28x28 grey shapes (infogan_tf/shapes.py; labelled by
# shape, no files), for the tests that need the MNIST networks and a dataset but not MNIST itself.
GENERATED_DATASET = {"source": "shapes", "size": 28, "num_images": 256, "num_test_images": 64}
# The evaluation made small as well: on generated shapes the runner also scores which shape G draws
# for each category (class_rows rows of samples), some 25 s per run at the config's 300 rows.
GENERATED = [
    "dataset=" + json.dumps(GENERATED_DATASET),
    "evaluation.generated_digits=0",
    "evaluation.factor_rows=4",
    "evaluation.class_rows=5",
]


@pytest.fixture(scope="session")
def generated_images():
    """uint8 [256, 28, 28, 1]: the generated training images of ``GENERATED``."""
    from infogan_tf import configs, data

    return data.load_dataset(configs.parse_dataset(GENERATED_DATASET), "train").images


# How the xdist workers share the tests (pyproject.toml runs them with --dist loadgroup). The tests
# that need the digit classifier, which the first of them trains into the cache (about 100 s on one
# thread) while the others wait on its lock, form one group: they run on one worker, so that no other
# worker sits waiting. The files whose tests share fixtures of module scope (a trained run, a
# fabricated dataset) are a group each, so that those are built once. Every other test goes to
# whichever worker is free, so that no long file is left running alone at the end.
CLASSIFIER_TESTS = (
    "test_digit_classifier.py::",
    "test_sweep.py::test_a_sweep_of_two_seeds_is_interrupted_resumed_and_recorded",
    "test_reproduce.py::test_runner_end_to_end_writes_figure_checkpoint_and_saved_model",
    "test_figure_smoke.py::test_figure_trains_and_draws[mnist_categorical]",
)
SHARED_FIXTURE_FILES = (
    "test_api.py",
    "test_figure_smoke.py",
    "test_health.py",
    "test_labels_unread.py",
    "test_loop.py",
    "test_networks.py",
    "test_tfds_formats.py",
)


def pytest_itemcollected(item):
    # Marked as each test is collected: xdist reads the groups into the test ids in its own
    # pytest_collection_modifyitems, which runs before a conftest's (and, under pytest 9.2, not at
    # all: requirements.txt keeps pytest below it).
    test = item.nodeid.rsplit("/", 1)[-1]
    if test.startswith(CLASSIFIER_TESTS):
        item.add_marker(pytest.mark.xdist_group("digit_classifier"))
    elif item.path.name in SHARED_FIXTURE_FILES:
        item.add_marker(pytest.mark.xdist_group(item.path.name))
