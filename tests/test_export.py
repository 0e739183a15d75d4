"""The SavedModel, reloaded in a fresh process with tf.saved_model.load alone, matches the model."""

import json
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

from infogan_tf import configs, export
from infogan_tf.model import InfoGAN

_RELOAD = r"""
import sys, numpy as np, tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
inp = np.load(sys.argv[2])
gen = m.signatures["generate"](z=tf.constant(inp["z"]), c1=tf.constant(inp["c1"]),
                               c2=tf.constant(inp["c2"]), c3=tf.constant(inp["c3"]))
enc = m.signatures["encode"](images=tf.constant(inp["images"]))
np.savez(sys.argv[3], images=gen["images"].numpy(), **{k: v.numpy() for k, v in enc.items()})
"""


def test_saved_model_reloaded_in_fresh_process_matches(tiny_experiment, tmp_path):
    model = InfoGAN(tiny_experiment, seed=0)
    for _ in range(2):  # move BN statistics and weights away from their initial values
        model.train_step(tf.random.uniform([16, 28, 28, 1], seed=1))
    path = export.export(model, str(tmp_path / "saved_model"))
    assert not os.path.exists(path + ".tmp")
    with open(os.path.join(path, "infogan_spec.json")) as f:
        record = json.load(f)
    # Everything needed without the training config: the latent spec, z's range, the images' range.
    assert configs.parse_latent(record["latent"]) == model.spec
    assert record["noise_range"] == [-1.0, 1.0] and record["step"] == 2
    assert record["image_shape"] == [28, 28, 1] and record["output_activation"] == "sigmoid"
    assert record["image_range"] == [0.0, 1.0]
    assert record["experiment"] == "mnist" and record["overrides"] == list(tiny_experiment.overrides)

    rng = np.random.default_rng(0)
    z = rng.uniform(-1, 1, (6, 62)).astype(np.float32)
    c1 = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 6)]
    c2 = rng.uniform(-1, 1, (6, 1)).astype(np.float32)
    c3 = rng.uniform(-1, 1, (6, 1)).astype(np.float32)
    images = rng.uniform(0, 1, (6, 28, 28, 1)).astype(np.float32)
    np.savez(tmp_path / "in.npz", z=z, c1=c1, c2=c2, c3=c3, images=images)
    subprocess.run(
        [sys.executable, "-c", _RELOAD, path, str(tmp_path / "in.npz"), str(tmp_path / "out.npz")],
        check=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"),
    )
    out = np.load(tmp_path / "out.npz")

    expected_images = model.generate(tf.constant(z), [tf.constant(c1), tf.constant(c2), tf.constant(c3)]).numpy()
    np.testing.assert_allclose(out["images"], expected_images, rtol=1e-5, atol=1e-6)
    d_prob, post = model.encode(tf.constant(images))
    np.testing.assert_allclose(out["d_prob"], d_prob.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["c1_probs"], post["c1"]["probs"].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["c2_mean"], post["c2"]["mean"].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["c3_std"], np.ones((6, 1)), rtol=1e-6)
