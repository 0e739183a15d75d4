"""Mixed precision (train.precision): 16-bit compute, float32 variables, statistics, losses and L_I;
loss scaling for float16; its own run; a first step that agrees with float32; the export."""

import re
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import REPO

from infogan_tf import configs, export
from infogan_tf.model import InfoGAN

MIXED = ("mixed_bfloat16", "mixed_float16")


def _model(registry, precision, *more):
    return InfoGAN(
        registry.experiment("mnist", ["train.batch_size=8", f"train.precision={precision}", *more]),
        seed=0,
        jit_compile=False,
    )


@pytest.mark.parametrize("precision", MIXED)
def test_16_bit_layers_float32_variables_statistics_and_losses_and_a_first_step_that_agrees(registry, precision):
    model = _model(registry, precision)
    compute = precision.replace("mixed_", "")
    networks = (model.generator.net, model.discriminator.trunk, model.discriminator.d_head, model.discriminator.q_head)
    # Every row computes in 16 bits but the rows that make an output (G's images, D's logit, Q's
    # parameters: the last row of G, of the D head and of the Q head), which compute in float32; the
    # trunk that D and Q share is all 16-bit. build_stack names a row's layers by its index.
    layers = [layer for net in networks for layer in net.layers]
    row = lambda layer: int(re.search(r"(\d+)$", layer.name).group(1))  # noqa: E731
    assert {layer.compute_dtype for layer in model.discriminator.trunk.layers} == {compute}
    for net in (model.generator.net, model.discriminator.d_head, model.discriminator.q_head):
        last = max(row(layer) for layer in net.layers)
        assert {layer.compute_dtype for layer in net.layers if row(layer) < last} <= {compute}
        assert {layer.compute_dtype for layer in net.layers if row(layer) == last} == {"float32"}
    assert sum(layer.compute_dtype == compute for layer in layers) > len(layers) // 2
    assert {v.dtype for v in model.generator.variables + model.discriminator.variables} == {"float32"}
    bn = [layer for layer in layers if isinstance(layer, tf.keras.layers.BatchNormalization)]
    assert bn and all(layer.moving_mean.dtype == "float32" and layer.moving_variance.dtype == "float32" for layer in bn)
    # Both networks return float32, so the losses and L_I are float32.
    z, codes = model.spec.sample(tf.random.Generator.from_seed(1), 8)
    images = model.generator(model.spec.generator_input(z, codes), training=False)
    logits, q = model.discriminator(images, training=False)
    assert images.dtype == logits.dtype == q.dtype == tf.float32
    # Same seed: the same float32 initial weights and the same latents; only the arithmetic differs.
    real = tf.random.uniform([8, 28, 28, 1], seed=3)
    variables = model.generator.trainable_variables + model.discriminator.trainable_variables
    before = [v.numpy().copy() for v in variables]
    updated = lambda: all(not np.array_equal(b, v.numpy()) for b, v in zip(before, variables))  # noqa: E731
    if precision == "mixed_float16":
        # A step whose scaled gradients overflow float16 is skipped and its scale halved (forced here
        # with a scale of 2^100; Keras starts at 2^15 and halves until a step fits, a slow loop on CPU).
        # Its metrics are still those of the first step, on the latents float32's first step draws.
        optimizers = (model.d_optimizer, model.g_optimizer)
        for opt in optimizers:
            opt.dynamic_scale.assign(2.0**100)
        mixed = model.train_step(real)
        assert all(np.array_equal(b, v.numpy()) for b, v in zip(before, variables)), "the step was skipped"
        assert [float(opt.dynamic_scale) for opt in optimizers] == [2.0**99] * 2
        for opt in optimizers:
            opt.dynamic_scale.assign(2.0**12)
        model.train_step(real)
    else:
        mixed = model.train_step(real)
    assert updated(), "every variable updated"
    exact = _model(registry, "float32").train_step(real)
    assert all(v.dtype == tf.float32 and np.isfinite(v.numpy()) for v in mixed.values())
    for key in ("d_gan_loss", "g_gan_loss", "L_I/c1", "L_I/c2", "L_I/c3"):
        assert float(mixed[key]) == pytest.approx(float(exact[key]), abs=0.05), key
    assert all(
        v.dtype == "float32"
        for v in model.d_optimizer.variables + model.g_optimizer.variables
        if v.dtype.startswith("float")
    )


def test_float16_scales_the_loss_and_bfloat16_and_float32_do_not(registry, tmp_path):
    from keras.optimizers import LossScaleOptimizer

    model = _model(registry, "mixed_float16")
    assert isinstance(model.d_optimizer, LossScaleOptimizer) and isinstance(model.g_optimizer, LossScaleOptimizer)
    for precision in ("float32", "mixed_bfloat16"):
        assert not isinstance(_model(registry, precision).d_optimizer, LossScaleOptimizer)
    # The scale is checkpointed with the optimiser: a resumed run goes on with the scale it had.
    model.d_optimizer.dynamic_scale.assign(1024.0)
    path = model.checkpoint().write(str(tmp_path / "ckpt"))
    resumed = _model(registry, "mixed_float16")
    assert float(resumed.d_optimizer.dynamic_scale) != 1024.0
    resumed.checkpoint().read(path).assert_consumed()
    assert float(resumed.d_optimizer.dynamic_scale) == 1024.0


def test_precision_names_a_run_of_its_own_and_a_bad_value_names_the_valid_ones(registry):
    assert registry.experiment("mnist").train.precision == "float32"
    assert (
        registry.experiment("mnist", ["train.precision=mixed_bfloat16"]).run_name
        == "mnist@train.precision=mixed_bfloat16"
    )
    assert registry.experiment("mnist", ["train.precision=float32"]).run_name == "mnist"
    with pytest.raises(configs.ConfigError, match="train.precision.*mixed_bfloat16"):
        registry.experiment("mnist", ["train.precision=bfloat16"])


def test_the_flags_offer_exactly_the_configs_precisions():
    from absl import flags

    from benchmarks import benchmark
    from infogan_tf import reproduce

    reproduce.define_flags()
    assert tuple(flags.FLAGS["precision"].parser.enum_values) == configs.PRECISIONS
    assert benchmark.PRECISIONS == configs.PRECISIONS
    # The sweep defines flags of the same names, so it is asked in a process of its own (no TensorFlow).
    script = (
        "from absl import flags; from infogan_tf import sweep; sweep.define_flags(); "
        "print(','.join(flags.FLAGS['precision'].parser.enum_values))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert tuple(out.stdout.strip().split(",")) == configs.PRECISIONS, out.stderr[-2000:]


def test_a_bfloat16_export_reloads_and_matches(registry, tmp_path):
    model = _model(registry, "mixed_bfloat16")
    model.train_step(tf.random.uniform([8, 28, 28, 1], seed=1))
    loaded = tf.saved_model.load(export.export(model, str(tmp_path / "saved_model")))
    z, codes = model.spec.sample(tf.random.Generator.from_seed(5), 4)
    images = loaded.signatures["generate"](z=z, c1=codes[0], c2=codes[1], c3=codes[2])["images"]
    # The same weights in 16-bit arithmetic; the saved graph may round an operation differently (one
    # bfloat16 step near 0.5 is 2^-8).
    assert images.dtype == tf.float32
    np.testing.assert_allclose(images.numpy(), model.generate(z, codes).numpy(), atol=2**-7)
    post = loaded.signatures["encode"](images=images)
    assert post["c1_probs"].dtype == tf.float32
    np.testing.assert_allclose(post["c1_probs"].numpy(), model.encode(images)[1]["c1"]["probs"].numpy(), atol=0.02)
