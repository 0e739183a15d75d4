"""The two steps: which variables each updates, the GAN baseline, how D sees real and fake images."""

import numpy as np
import pytest
import tensorflow as tf

from infogan_tf import losses
from infogan_tf.model import InfoGAN


def _snapshot(variables):
    return [v.numpy().copy() for v in variables]


def _changed(before, variables):
    return [not np.array_equal(b, v.numpy()) for b, v in zip(before, variables)]


@pytest.fixture
def model(tiny_experiment):
    return InfoGAN(tiny_experiment, seed=0, jit_compile=False)


@pytest.mark.parametrize("bn", ["separate", "joint"])
def test_d_step_updates_d_trunk_d_head_and_q_head_and_g_step_only_g(registry, bn):
    # The information term trains the trunk that Q shares with D (openai/InfoGAN #29): the D step's
    # variables are all of D/Q's; the G step's are G's alone.
    model = InfoGAN(registry.experiment("mnist", ["train.batch_size=16", f"train.d_batch_norm={bn}"]), seed=0)
    d = model.discriminator
    assert {v.path.split("/")[1] for v in d.trainable_variables} == {"trunk", "d_head", "q_head"}
    real = tf.random.uniform([16, 28, 28, 1])
    g_before, d_before = _snapshot(model.generator.trainable_variables), _snapshot(d.trainable_variables)
    tf.function(model.d_step)(real)
    assert not any(_changed(g_before, model.generator.trainable_variables))
    assert all(_changed(d_before, d.trainable_variables)), "every D trunk, D head and Q head variable"
    d_mid = _snapshot(d.trainable_variables)
    tf.function(model.g_step)(real)
    assert not any(_changed(d_mid, d.trainable_variables))
    assert all(_changed(g_before, model.generator.trainable_variables))


def test_the_d_loss_is_the_gan_loss_minus_lambda_times_l_i(registry):
    model = InfoGAN(registry.experiment("mnist", ["train.batch_size=16", "train.lambda_disc=2",
                                                  "train.lambda_cont=0.5"]), seed=0)
    m = model.d_step(tf.random.uniform([16, 28, 28, 1], seed=1))
    expected = m["d_gan_loss"] - 2.0 * m["L_I/c1"] - 0.5 * (m["L_I/c2"] + m["L_I/c3"])
    assert float(m["d_loss"]) == pytest.approx(float(expected), rel=1e-6)
    assert float(m["L_I/total"]) == pytest.approx(float(m["L_I/c1"] + m["L_I/c2"] + m["L_I/c3"]), rel=1e-6)


def test_gan_mode_gives_g_no_information_reward(registry, tiny_experiment):
    gan = InfoGAN(registry.experiment("mnist", ["train.batch_size=16", "mode=gan"]), seed=0)
    info = InfoGAN(tiny_experiment, seed=0)
    # Same init and same latent RNG: the G losses differ exactly by the information penalty.
    real = tf.random.uniform([16, 28, 28, 1], seed=1)
    g_gan, g_info = gan.g_step(real), info.g_step(real)
    assert g_gan["g_loss"].numpy() == pytest.approx(g_gan["g_gan_loss"].numpy())
    assert g_info["g_loss"].numpy() != pytest.approx(g_info["g_gan_loss"].numpy())
    assert g_gan["g_gan_loss"].numpy() == pytest.approx(g_info["g_gan_loss"].numpy(), rel=1e-5)
    # The D step is identical in both modes: Q is still trained in the baseline.
    d_gan = gan.d_step(real)
    assert d_gan["d_loss"].numpy() != pytest.approx(d_gan["d_gan_loss"].numpy())


def test_g_loss_is_the_non_saturating_loss_minus_lambda_times_l_i(model):
    # Recompute the G step's loss by hand on the same latents (same RNG state) and compare.
    state = model.rng.state.numpy().copy()
    real = tf.random.uniform([16, 28, 28, 1], seed=1)
    spec = model.spec
    z, codes = spec.sample(model.rng, 16)
    fake = model.generator(spec.generator_input(z, codes), training=True)
    logits, q = model.discriminator(fake, training=True)
    expected = losses.generator_gan_loss(logits) + losses.information_penalty(
        spec.information(codes, q), model.lambdas)
    model.rng.state.assign(state)
    assert float(model.g_step(real)["g_loss"]) == pytest.approx(float(expected), rel=1e-5)


def test_joint_batch_norm_lets_d_see_a_brightness_difference_separate_batch_norm_hides(registry):
    # Real images: the fakes brightened by 0.3. In training mode each separate call normalises its
    # batch by its own statistics, so D gives both batches nearly the same mean logit; with "joint"
    # batch norm the two batches share statistics and D's logits differ.
    gaps = {}
    for mode in ("separate", "joint"):
        m = InfoGAN(registry.experiment("mnist", ["train.batch_size=16", f"train.d_batch_norm={mode}"]), seed=0)
        _, fake = m._fake(32)
        real_logits, fake_logits, q_params = m._discriminate(fake + 0.3, fake)
        assert fake_logits.shape == [32] and q_params.shape[0] == 32
        gaps[mode] = abs(float(tf.reduce_mean(real_logits) - tf.reduce_mean(fake_logits)))
    assert gaps["joint"] > 10 * gaps["separate"]


def test_the_separate_g_step_does_not_show_d_the_real_batch(model):
    # As in the official code: G's loss reads D(G(z)) only; D's batch-norm statistics in the G step
    # come from the fakes alone, so the real batch changes nothing.
    state = model.rng.state.numpy().copy()
    first = float(model.g_step(tf.zeros([16, 28, 28, 1]))["g_loss"])
    clone = InfoGAN(model.experiment, seed=0)
    clone.rng.state.assign(state)
    assert float(clone.g_step(tf.ones([16, 28, 28, 1]))["g_loss"]) == pytest.approx(first, rel=1e-6)
