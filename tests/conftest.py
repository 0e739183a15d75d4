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
    for candidate in (os.environ.get("INFOGAN_TEST_DATA_DIR"), os.environ.get("TFDS_DATA_DIR"),
                      os.path.join(REPO, "..", "shared", "tensorflow_datasets")):
        if candidate and os.path.isdir(os.path.join(candidate, "mnist")):
            return os.path.abspath(candidate)
    return None


@pytest.fixture(scope="session")
def mnist_data_dir():
    path = _find_data_dir()
    if path is None:
        pytest.fail("no prepared MNIST found: set TFDS_DATA_DIR (or INFOGAN_TEST_DATA_DIR) to a TFDS "
                    "data dir holding mnist/3.0.1, e.g. ../shared/tensorflow_datasets")
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
