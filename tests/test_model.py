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
    model = InfoGAN(
        registry.experiment("mnist", ["train.batch_size=16", "train.lambda_disc=2", "train.lambda_cont=0.5"]), seed=0
    )
    m = model.d_step(tf.random.uniform([16, 28, 28, 1], seed=1))
    expected = m["d_gan_loss"] - 2.0 * m["L_I/c1"] - 0.5 * (m["L_I/c2"] + m["L_I/c3"])
    assert float(m["d_loss"]) == pytest.approx(float(expected), rel=1e-6)
    assert float(m["L_I/total"]) == pytest.approx(float(m["L_I/c1"] + m["L_I/c2"] + m["L_I/c3"]), rel=1e-6)


def _part(network, part):
    """The trainable variables of one part of a network (e.g. "trunk", "q_head" of D/Q)."""
    return [v for v in network.trainable_variables if v.path.split("/")[1] == part]


def test_the_information_term_trains_q_head_and_the_shared_trunk_in_the_d_step_not_d_head(registry):
    # Two models alike but for lambda, one D step each on the same images and latents: what L_I adds
    # to the D step's update. Q's head and the trunk it shares with D move with L_I; D's head, which
    # L_I does not reach, takes the same update either way. (A Q on a stop_gradient of the trunk, or a
    # D step that left L_I out, fails this.)
    models = {
        lam: InfoGAN(
            registry.experiment(
                "mnist", ["train.batch_size=16", f"train.lambda_disc={lam}", f"train.lambda_cont={lam}"]
            ),
            seed=0,
        )
        for lam in (0, 1)
    }
    real = tf.random.uniform([16, 28, 28, 1], seed=1)
    latents = models[1].spec.sample(tf.random.Generator.from_seed(5), 16)
    q_before = _snapshot(_part(models[0].discriminator, "q_head"))
    for m in models.values():
        m.d_step(real, latents)
    without, with_l_i = models[0].discriminator, models[1].discriminator
    for a, b in zip(_part(without, "d_head"), _part(with_l_i, "d_head")):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for a, b in zip(_part(without, "trunk"), _part(with_l_i, "trunk")):
        if a.path.endswith("kernel"):
            assert not np.array_equal(a.numpy(), b.numpy()), f"L_I does not reach the trunk's {a.path}"
    assert not any(_changed(q_before, _part(without, "q_head"))), "lambda 0: Q's head gets no gradient"
    assert all(_changed(q_before, _part(with_l_i, "q_head")))


def test_d_steps_and_g_steps_raise_l_i_and_gan_mode_g_steps_do_not(registry, tiny_experiment):
    # The sign of the information term: each player's loss subtracts lambda * L_I, so its updates
    # make L_I (on fixed latents, as D/Q judge them) rise. With the sign flipped both fall.
    real = tf.random.uniform([16, 28, 28, 1], seed=1)

    def l_i(m, latents):
        codes, fake = m._fake(16, latents)
        return {k: float(v) for k, v in m.spec.information(codes, m._discriminate(real, fake)[2]).items()}

    gains = {}
    for name, step, steps in (("d", "d_step", 5), ("g", "g_step", 3), ("gan g", "g_step", 3)):
        m = InfoGAN(
            registry.experiment("mnist", ["train.batch_size=16", "mode=gan"]) if name == "gan g" else tiny_experiment,
            seed=0,
        )
        latents = m.spec.sample(tf.random.Generator.from_seed(5), 16)
        before, update = l_i(m, latents), getattr(m, step)
        for _ in range(steps):
            update(real, latents)
        after = l_i(m, latents)
        gains[name] = {k: after[k] - before[k] for k in before}
    for name in ("d", "g"):
        assert all(g > 0.05 for g in gains[name].values()), gains
        assert gains[name]["c1"] > 0.5, gains  # of at most ln 10 = 2.30
    assert abs(gains["gan g"]["c1"]) < 0.1, gains  # G is not rewarded for it: L_I(c1) stays near 0


def test_gan_mode_gives_g_no_information_reward(registry):
    exp = lambda *o: registry.experiment("mnist", ["train.batch_size=16", *o])  # noqa: E731
    gan, info, info0 = (
        InfoGAN(exp(*o), seed=0) for o in (["mode=gan"], [], ["train.lambda_disc=0", "train.lambda_cont=0"])
    )
    real = tf.random.uniform([16, 28, 28, 1], seed=1)
    d_latents, g_latents = (gan.spec.sample(tf.random.Generator.from_seed(s), 16) for s in (5, 6))
    # Same init. The D step is identical in both modes: Q is still trained in the baseline (D's loss
    # includes L_I, Q's head moves).
    q_before = _snapshot(_part(gan.discriminator, "q_head"))
    d_gan, d_info = gan.d_step(real, d_latents), info.d_step(real, d_latents)
    assert float(d_gan["d_loss"]) == float(d_info["d_loss"]) != pytest.approx(float(d_gan["d_gan_loss"]))
    assert all(_changed(q_before, _part(gan.discriminator, "q_head")))
    for a, b, c in zip(gan.discriminator.variables, info.discriminator.variables, info0.discriminator.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        c.assign(a)  # info0 has the same D for the G step
    # The G step: in gan mode G's loss is the GAN loss alone, and G's update is the one an InfoGAN
    # with lambda 0 makes, not the one with lambda 1.
    g_gan, g_info, _ = (m.g_step(real, g_latents) for m in (gan, info, info0))
    assert g_gan["g_loss"].numpy() == pytest.approx(g_gan["g_gan_loss"].numpy())
    assert g_info["g_loss"].numpy() != pytest.approx(g_info["g_gan_loss"].numpy())
    assert g_gan["g_gan_loss"].numpy() == pytest.approx(g_info["g_gan_loss"].numpy(), rel=1e-6)
    for a, b in zip(gan.generator.trainable_variables, info0.generator.trainable_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert any(_changed(_snapshot(gan.generator.trainable_variables), info.generator.trainable_variables))


def test_g_loss_is_the_non_saturating_loss_minus_lambda_times_l_i(model):
    # Recompute the G step's loss by hand on the same latents (same RNG state) and compare.
    state = model.rng.state.numpy().copy()
    real = tf.random.uniform([16, 28, 28, 1], seed=1)
    spec = model.spec
    z, codes = spec.sample(model.rng, 16)
    fake = model.generator(spec.generator_input(z, codes), training=True)
    logits, q = model.discriminator(fake, training=True)
    expected = losses.generator_gan_loss(logits) + losses.information_penalty(spec.information(codes, q), model.lambdas)
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
