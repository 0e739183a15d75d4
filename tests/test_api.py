"""The Python API (``infogan_tf.load``): from a run directory and from its SavedModel, in this
process and in a fresh one, sample, traverse and encode equal the trained in-process model on the
same latents; codes a model does not have, or values they cannot take, are ValueErrors."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import GENERATED

import infogan_tf
from infogan_tf import data, experiment, inference

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOL = dict(rtol=1e-5, atol=1e-6)
VALUES = [-2.0, 0.0, 1.5]


@pytest.fixture(scope="module")
def run(registry, tmp_path_factory):
    """One tiny run of the MNIST networks on generated images (2 iterations at batch 16), evaluated and
    exported, shared by the module."""
    exp = registry.experiment(
        "mnist",
        GENERATED + ["train.batch_size=16", "train.steps=2", "logging.image_every=2"],
    )
    return experiment.run_experiment(
        exp, seed=0, log_dir=str(tmp_path_factory.mktemp("api_runs")), jit_compile=False, do_export=True
    )


@pytest.fixture(scope="module")
def expected(run):
    """What the in-process model gives on the latents the API calls below use."""
    model, spec = run.model, run.model.spec

    def gen(lat):
        return model.generate(tf.constant(lat.z), [tf.constant(c) for c in lat.in_spec_order(spec)]).numpy()

    sample = gen(inference.sample_latents(spec, 6, seed=3, codes={"c1": 7, "c2": 0.5}))
    noise = np.random.default_rng(0).integers(0, 256, (18, 28, 28, 1))
    images = np.concatenate([np.round(sample * 255), noise]).astype(np.uint8)  # G's images and noise, as uint8
    d_prob, post = model.encode(data.to_float(images, model.arch.output_activation))
    return {
        "sample": sample,
        "traverse": gen(inference.traverse_latents(spec, "c2", VALUES, rows=4, seed=1, codes={"c1": 2})).reshape(
            (4, len(VALUES), 28, 28, 1)
        ),
        "images": images,
        "d_prob": d_prob.numpy(),
        **{f"{c}_{k}": v.numpy() for c, p in post.items() for k, v in p.items()},
    }


def _outputs(m, images):
    post = m.encode(images)
    return {
        "sample": m.sample(6, seed=3, c1=7, c2=0.5),
        "traverse": m.traverse("c2", VALUES, rows=4, seed=1, c1=2),
        "d_prob": post["d_prob"],
        **{f"{c}_{k}": v for c in m.codes for k, v in post[c].items()},
    }


def _check(got, expected):
    for key, value in got.items():
        np.testing.assert_allclose(value, expected[key], err_msg=key, **TOL)


@pytest.mark.parametrize("where", ["run directory", "SavedModel"])
def test_api_equals_the_in_process_model(run, expected, where):
    path = run.run_dir if where == "run directory" else os.path.join(run.run_dir, "saved_model")
    m = infogan_tf.load(path)
    assert m.source == where and m.step == 2 and m.experiment == "mnist"
    assert list(m.codes) == ["c1", "c2", "c3"] and m.codes["c1"].k == 10
    assert m.image_shape == (28, 28, 1) and m.value_range == (0.0, 1.0)
    got = _outputs(m, expected["images"])
    assert got["sample"].shape == (6, 28, 28, 1) and got["traverse"].shape == (4, 3, 28, 28, 1)
    assert got["c1_probs"].shape == (24, 10) and got["c2_mean"].shape == (24, 1) and got["d_prob"].shape == (24,)
    _check(got, expected)
    # Floats in G's range encode as the uint8 images they come from.
    floats = expected["images"].astype(np.float32) / 255.0
    np.testing.assert_allclose(m.encode(floats)["c1"]["probs"], expected["c1_probs"], **TOL)
    text = repr(m)
    assert "c1: categorical, 10 categories (an index 0..9)" in text and "in [0, 1]" in text


_FRESH = r"""
import sys, numpy as np, infogan_tf
images = np.load(sys.argv[3])
for i, path in enumerate(sys.argv[1:3]):
    m = infogan_tf.load(path)
    post = m.encode(images)
    np.savez(f"{sys.argv[4]}{i}.npz", sample=m.sample(6, seed=3, c1=7, c2=0.5),
             traverse=m.traverse("c2", [-2.0, 0.0, 1.5], rows=4, seed=1, c1=2), d_prob=post["d_prob"],
             **{f"{c}_{k}": v for c in m.codes for k, v in post[c].items()})
"""


def test_a_fresh_process_loads_the_same_model(run, expected, tmp_path):
    np.save(tmp_path / "images.npy", expected["images"])
    subprocess.run(
        [
            sys.executable,
            "-c",
            _FRESH,
            run.run_dir,
            os.path.join(run.run_dir, "saved_model"),
            str(tmp_path / "images.npy"),
            str(tmp_path / "out"),
        ],
        check=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=REPO),
    )
    for i in range(2):
        out = np.load(tmp_path / f"out{i}.npz")
        assert sorted(out.files) == sorted(
            ["sample", "traverse", "d_prob", "c1_probs", "c2_mean", "c2_std", "c3_mean", "c3_std"]
        )
        _check({k: out[k] for k in out.files}, expected)


@pytest.fixture(scope="module")
def loaded(run):
    return infogan_tf.load(os.path.join(run.run_dir, "saved_model"))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m.sample(2, c4=1), r"no code named 'c4'; the codes are c1: categorical, 10 categories"),
        (lambda m: m.sample(2, c1=10), r"code 'c1' has 10 categories: valid indices are 0..9, got 10"),
        (lambda m: m.sample(2, c1=7.0), r"code 'c1' is categorical with 10 categories: give a category index"),
        (lambda m: m.sample(2, c2="left"), r"code 'c2' is continuous: give a float"),
        (lambda m: m.sample(2, c2=[0.1, 0.2, 0.3]), r"code 'c2': give a float, 2 floats \(one per row\)"),
        (lambda m: m.traverse("c5", [0, 1]), r"no code named 'c5'"),
        (lambda m: m.traverse("c1", [0, 1.5]), r"code 'c1' is categorical"),
        (lambda m: m.traverse("c2", [0.0, 1.0], c2=0.0), r"code 'c2' is traversed; it cannot also be set"),
        (lambda m: m.encode(np.zeros((28, 28, 1), np.uint8)), r"images must be \[N, 28, 28, 1\].*images\[None\]"),
        (lambda m: m.encode(np.full((2, 28, 28, 1), 255.0)), r"float images must lie in G's range \[0, 1\]"),
    ],
    ids=[
        "unknown code",
        "category out of range",
        "float for a category",
        "string for a float",
        "wrong length",
        "traverse an unknown code",
        "traverse a float category",
        "traversed and set",
        "one image unbatched",
        "floats out of range",
    ],
)
def test_codes_and_images_it_cannot_take_are_value_errors(loaded, call, message):
    with pytest.raises(ValueError, match=message):
        call(loaded)


def test_load_names_what_it_needs(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a directory"):
        infogan_tf.load(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="neither a run directory .* nor a SavedModel"):
        infogan_tf.load(str(tmp_path))


def test_unit_range(loaded):
    images = loaded.sample(3, seed=0)
    assert loaded.value_range == (0.0, 1.0) and images.min() >= 0.0 and images.max() <= 1.0
    np.testing.assert_array_equal(loaded.to_unit_range(images), images)  # sigmoid: already [0, 1]
    # A tanh generator's [-1, 1] maps linearly onto [0, 1].
    np.testing.assert_allclose(inference.to_unit_range(np.array([-1.0, 0.0, 1.0]), "tanh"), [0.0, 0.5, 1.0])
