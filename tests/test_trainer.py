"""The train step: which player each step updates, the GAN baseline, real-data smoke, exact resume."""

import copy

import numpy as np
import pytest
import tensorflow as tf

from infogan_tf import data, trainer


def _snapshot(variables):
    return [v.numpy().copy() for v in variables]


def _changed(before, variables):
    return [not np.array_equal(b, v.numpy()) for b, v in zip(before, variables)]


@pytest.fixture
def model(tiny_cfg):
    return trainer.InfoGAN(tiny_cfg, seed=0, jit_compile=False)


def test_d_step_updates_d_and_q_only(model):
    real = tf.random.uniform([16, 28, 28, 1])
    g_before = _snapshot(model.generator.trainable_variables)
    d_before = _snapshot(model.discriminator.trainable_variables)
    tf.function(model.d_step)(real)
    assert not any(_changed(g_before, model.generator.trainable_variables))
    d_changed = _changed(d_before, model.discriminator.trainable_variables)
    assert all(d_changed), "every D trunk, D head and Q head variable gets a gradient"


def test_g_step_updates_g_only(model):
    g_before = _snapshot(model.generator.trainable_variables)
    d_before = _snapshot(model.discriminator.trainable_variables)
    tf.function(model.g_step)(tf.random.uniform([16, 28, 28, 1]))
    assert not any(_changed(d_before, model.discriminator.trainable_variables))
    assert all(_changed(g_before, model.generator.trainable_variables))


def _g_grads(model, use_info):
    """Gradient of the G loss w.r.t. G variables for a fixed latent batch."""
    spec = model.spec
    rng = tf.random.Generator.from_seed(5)
    z, codes = spec.sample(rng, 16)
    with tf.GradientTape() as tape:
        fake = model.generator(spec.generator_input(z, codes), training=True)
        logits, q = model.discriminator(fake, training=True)
        loss = trainer.losses.generator_gan_loss(logits)
        if use_info:
            loss += trainer.losses.information_penalty(spec.information(codes, q), model.lambdas)
    return loss


def test_gan_mode_gives_g_no_information_reward(tiny_cfg):
    cfg = copy.deepcopy(tiny_cfg)
    cfg["mode"] = "gan"
    gan = trainer.InfoGAN(cfg, seed=0)
    info = trainer.InfoGAN(tiny_cfg, seed=0)
    # Same init and same latent RNG: the G losses differ exactly by the information penalty.
    real = tf.random.uniform([16, 28, 28, 1], seed=1)
    g_gan = gan.g_step(real)
    g_info = info.g_step(real)
    assert g_gan["g_loss"].numpy() == pytest.approx(g_gan["g_gan_loss"].numpy())
    assert g_info["g_loss"].numpy() != pytest.approx(g_info["g_gan_loss"].numpy())
    assert g_gan["g_gan_loss"].numpy() == pytest.approx(g_info["g_gan_loss"].numpy(), rel=1e-5)
    # The D step is identical in both modes: Q is still trained in the baseline.
    d_gan, d_info = gan.d_step(real), info.d_step(real)
    assert d_gan["d_loss"].numpy() != pytest.approx(d_gan["d_gan_loss"].numpy())


def test_joint_and_real_batch_norm_let_d_see_a_brightness_difference_separate_batch_norm_hides(tiny_cfg):
    # Real images: the fakes brightened by 0.3. In training mode each separate call normalises its
    # batch by its own statistics, so D gives both batches nearly the same mean logit; with "joint"
    # batch norm the two batches share statistics and with "real" both use the real batch's, and
    # D's logits differ.
    cfg = copy.deepcopy(tiny_cfg)
    gaps = {}
    for mode in ("separate", "joint", "real"):
        cfg["train"]["d_batch_norm"] = mode
        m = trainer.InfoGAN(cfg, seed=0)
        codes, fake = m._fake(32)
        real_logits, fake_logits, q_params, _, _ = m._discriminate(fake + 0.3, fake)
        assert fake_logits.shape == [32] and q_params.shape[0] == 32
        gaps[mode] = abs(float(tf.reduce_mean(real_logits) - tf.reduce_mean(fake_logits)))
    assert gaps["joint"] > 10 * gaps["separate"]
    assert gaps["real"] > 10 * gaps["separate"]


def test_real_batch_norm_makes_each_fake_logit_independent_of_the_other_fakes(tiny_cfg):
    cfg = copy.deepcopy(tiny_cfg)
    logits = {}
    for mode in ("joint", "real"):
        cfg["train"]["d_batch_norm"] = mode
        m = trainer.InfoGAN(cfg, seed=0)
        real = tf.random.uniform([16, 28, 28, 1], seed=1)
        fake = tf.random.uniform([16, 28, 28, 1], seed=2)
        other = tf.concat([fake[:1], tf.zeros([15, 28, 28, 1])], 0)  # same first fake, others changed
        logits[mode] = [float(m._discriminate(real, f)[1][0]) for f in (fake, other)]
    assert logits["real"][0] == pytest.approx(logits["real"][1], rel=1e-4, abs=1e-5)
    assert logits["joint"][0] != pytest.approx(logits["joint"][1], rel=1e-3)


@pytest.mark.parametrize("overrides", [
    {"d_batch_norm": "joint"}, {"d_batch_norm": "real"}, {"d_batch_norm": "none"},
    {"d_batch_norm": "joint", "d_minibatch_features": {"kernels": 8, "dims": 3}},
    {"d_batch_norm": "none", "d_spectral_norm": True}])
def test_opt_in_d_variants_steps_update_only_their_player(tiny_cfg, overrides):
    cfg = copy.deepcopy(tiny_cfg)
    cfg["train"].update(overrides)
    model = trainer.InfoGAN(cfg, seed=0)
    assert (model.discriminator.minibatch is not None) == ("d_minibatch_features" in overrides)
    real = tf.random.uniform([16, 28, 28, 1])
    g_before = _snapshot(model.generator.trainable_variables)
    d_before = _snapshot(model.discriminator.trainable_variables)
    model.d_step(real)
    assert not any(_changed(g_before, model.generator.trainable_variables))
    assert all(_changed(d_before, model.discriminator.trainable_variables)), "every D/Q variable (and T, b)"
    d_mid = _snapshot(model.discriminator.trainable_variables)
    model.g_step(real)
    assert not any(_changed(d_mid, model.discriminator.trainable_variables))
    assert all(_changed(g_before, model.generator.trainable_variables))


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_malformed_spectral_norm_flag_is_rejected(tiny_cfg, value):
    tiny_cfg["train"]["d_spectral_norm"] = value
    with pytest.raises(ValueError, match="train.d_spectral_norm .* must be true or false"):
        trainer.InfoGAN(tiny_cfg)


def test_unknown_d_batch_norm_is_rejected(tiny_cfg):
    tiny_cfg["train"]["d_batch_norm"] = "virtual"
    with pytest.raises(ValueError, match="train.d_batch_norm 'virtual'"):
        trainer.InfoGAN(tiny_cfg)


def test_lambda_disc_warmup_ramps_only_the_categorical_lambda(tiny_cfg):
    plain = trainer.InfoGAN(tiny_cfg, seed=0)
    assert plain.code_weights() == plain.lambdas  # the default: constant, as in the paper
    cfg = copy.deepcopy(tiny_cfg)
    cfg["train"]["lambda_disc_warmup"] = 4
    model = trainer.InfoGAN(cfg, seed=0)
    lam_disc, lam_cont = cfg["train"]["lambda_disc"], cfg["train"]["lambda_cont"]
    for step, fraction in [(0, 0.0), (1, 0.25), (2, 0.5), (4, 1.0), (9, 1.0)]:
        model.step.assign(step)
        weights = model.code_weights()
        assert float(weights["c1"]) == pytest.approx(fraction * lam_disc)
        assert float(weights["c2"]) == pytest.approx(lam_cont) and float(weights["c3"]) == pytest.approx(lam_cont)
    # At step 0 the categorical code adds nothing to D's loss: only the continuous codes' L_I does.
    model.step.assign(0)
    real = tf.random.uniform([16, 28, 28, 1], seed=1)
    m = model.d_step(real)
    expected = m["d_gan_loss"] - lam_cont * (m["L_I/c2"] + m["L_I/c3"])
    assert float(m["d_loss"]) == pytest.approx(float(expected), rel=1e-5)


def test_a_negative_lambda_disc_warmup_is_rejected(tiny_cfg):
    tiny_cfg["train"]["lambda_disc_warmup"] = -5
    with pytest.raises(ValueError, match="train.lambda_disc_warmup -5"):
        trainer.InfoGAN(tiny_cfg, seed=0)


def test_unknown_mode_is_rejected(tiny_cfg):
    tiny_cfg["mode"] = "wgan"
    with pytest.raises(ValueError, match="mode 'wgan'"):
        trainer.InfoGAN(tiny_cfg)


def test_training_on_shared_mnist_gives_finite_losses_and_rising_information(tiny_cfg, mnist_data_dir, tmp_path):
    images, _ = data.load_split("mnist", "train", mnist_data_dir)
    model = trainer.InfoGAN(tiny_cfg, seed=0, jit_compile=True)
    last = trainer.fit(model, lambda s: data.training_batches(images, 16, 0, s), str(tmp_path),
                       total_steps=25, log_every=1, checkpoint_every=100)
    assert int(model.step) == 25
    assert all(np.isfinite(v) for v in last.values())
    # One trace (and so one XLA compilation) for the whole run: the step never retraces.
    assert model.train_step.experimental_get_tracing_count() == 1
    history = trainer.read_history(str(tmp_path))
    assert [r["step"] for r in history] == list(range(1, 26))
    first, final = history[0]["L_I/c1"], np.mean([r["L_I/c1"] for r in history[-5:]])
    assert final > first + 0.3, "Q and G start to agree on c1 within 25 steps"


def _train(cfg, images, run_dir, steps, stop_at=None):
    model = trainer.InfoGAN(cfg, seed=3, jit_compile=True)
    batches = lambda s: data.training_batches(images, 16, 3, s)
    if stop_at is not None:
        # Simulate a kill: the checkpoint at stop_at is the last thing written.
        trainer.fit(model, batches, run_dir, total_steps=stop_at, log_every=1, checkpoint_every=stop_at)
        model = trainer.InfoGAN(cfg, seed=3, jit_compile=True)  # a fresh process: new objects
    trainer.fit(model, batches, run_dir, total_steps=steps, log_every=1, checkpoint_every=100)
    return model


def test_resume_continues_from_saved_step(tiny_cfg, mnist_data_dir, tmp_path):
    images, _ = data.load_split("mnist", "train", mnist_data_dir)
    images = images[:200]
    straight = _train(tiny_cfg, images, str(tmp_path / "a"), steps=8)
    resumed = _train(tiny_cfg, images, str(tmp_path / "b"), steps=8, stop_at=5)
    assert int(resumed.step) == 8
    hist = trainer.read_history(str(tmp_path / "b"))
    assert [r["step"] for r in hist] == list(range(1, 9))
    # Same weights, optimizer state, latent RNG and data order: the two runs agree.
    for a, b in zip(straight.generator.weights + straight.discriminator.weights,
                    resumed.generator.weights + resumed.discriminator.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-5)
    assert int(straight.rng.state[0]) == int(resumed.rng.state[0])


def test_interrupt_saves_a_checkpoint_and_resumes(tiny_cfg, mnist_data_dir, tmp_path):
    images, _ = data.load_split("mnist", "train", mnist_data_dir)
    images = images[:200]
    model = trainer.InfoGAN(tiny_cfg, seed=0, jit_compile=False)
    calls = {"n": 0}

    def batches(start):
        def gen():
            for x in data.training_batches(images, 16, 0, start):
                calls["n"] += 1
                if calls["n"] == 4:
                    raise KeyboardInterrupt
                yield x
        return gen()

    with pytest.raises(KeyboardInterrupt):
        trainer.fit(model, batches, str(tmp_path), total_steps=10, log_every=1, checkpoint_every=100)
    assert int(model.step) == 3
    again = trainer.InfoGAN(tiny_cfg, seed=0, jit_compile=False)
    trainer.fit(again, lambda s: data.training_batches(images, 16, 0, s), str(tmp_path),
                total_steps=5, log_every=1, checkpoint_every=100)
    assert int(again.step) == 5
    assert [r["step"] for r in trainer.read_history(str(tmp_path))] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("value", [{"kernels": 0, "dims": 5}, {"kernels": 100}, [100, 5],
                                   {"kernels": 100, "dims": 2.5}])
def test_malformed_minibatch_features_are_rejected(tiny_cfg, value):
    tiny_cfg["train"]["d_minibatch_features"] = value
    with pytest.raises(ValueError, match=r'train.d_minibatch_features .* must be null or \{"kernels"'):
        trainer.InfoGAN(tiny_cfg)


@pytest.mark.parametrize("bn", ["separate", "joint"])
def test_feature_matching_adds_its_weighted_term_to_g_and_updates_only_g(tiny_cfg, bn):
    cfg = copy.deepcopy(tiny_cfg)
    cfg["train"]["d_batch_norm"] = bn
    plain = trainer.InfoGAN(cfg, seed=0)
    cfg["train"]["g_feature_matching"] = 2.5
    fm = trainer.InfoGAN(cfg, seed=0)
    real = tf.random.uniform([16, 28, 28, 1], seed=2)
    d_before = _snapshot(fm.discriminator.trainable_variables)
    g_before = _snapshot(fm.generator.trainable_variables)
    with_fm, without = fm.g_step(real), plain.g_step(real)
    assert "g_feature_matching" not in without
    assert float(with_fm["g_feature_matching"]) > 0
    # Same init and latents: the G losses differ by exactly weight * the feature-matching term.
    assert float(with_fm["g_loss"]) == pytest.approx(
        float(without["g_loss"]) + 2.5 * float(with_fm["g_feature_matching"]), rel=1e-5)
    assert not any(_changed(d_before, fm.discriminator.trainable_variables))
    assert all(_changed(g_before, fm.generator.trainable_variables))


def test_feature_matching_compares_with_the_real_batch(tiny_cfg):
    tiny_cfg["train"]["g_feature_matching"] = 1.0
    values = []
    # Two different random batches (not two constant ones: with separate batch norm in training
    # mode a constant shift of the whole batch is normalised away).
    for seed in (1, 2):
        real = tf.random.uniform([16, 28, 28, 1], seed=seed)
        model = trainer.InfoGAN(tiny_cfg, seed=0)
        values.append(float(model.g_step(real)["g_feature_matching"]))
    assert values[0] != pytest.approx(values[1])


@pytest.mark.parametrize("value", [-1.0, "1", True])
def test_malformed_feature_matching_weight_is_rejected(tiny_cfg, value):
    tiny_cfg["train"]["g_feature_matching"] = value
    with pytest.raises(ValueError, match="train.g_feature_matching .* must be a number >= 0"):
        trainer.InfoGAN(tiny_cfg)


def test_no_batch_norm_in_d_removes_exactly_the_tables_d_and_q_batch_norms(tiny_cfg):
    # MNIST's D/Q (Table 1) has batch norm after conv2 (128), fc 1024 and Q's fc 128: 2 x 1280 trainable
    # gammas and betas, and the moving averages; G keeps its own.
    with_bn = trainer.InfoGAN(tiny_cfg, seed=0)
    tiny_cfg["train"]["d_batch_norm"] = "none"
    model = trainer.InfoGAN(tiny_cfg, seed=0)
    count = lambda vs: sum(int(np.prod(v.shape)) for v in vs)  # noqa: E731
    assert count(with_bn.discriminator.trainable_variables) - count(model.discriminator.trainable_variables) \
        == 2 * (128 + 1024 + 128)
    assert not model.discriminator.non_trainable_variables
    assert count(model.generator.trainable_variables) == count(with_bn.generator.trainable_variables)
    # Training mode: each image's logit and Q output depend on that image alone.
    images = tf.random.uniform([8, 28, 28, 1], seed=3)
    logits, q = model.discriminator(images, training=True)
    logits1, q1 = model.discriminator(images[:1], training=True)
    np.testing.assert_allclose(logits[:1], logits1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(q[:1], q1, rtol=1e-5, atol=1e-6)
