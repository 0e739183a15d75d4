"""Closed forms of the GAN losses and the information penalty."""

import math

import numpy as np
import pytest
import tensorflow as tf

from infogan_tf import losses


def test_discriminator_loss_at_chance_is_2_ln2():
    z = tf.zeros([8])
    assert losses.discriminator_gan_loss(z, z).numpy() == pytest.approx(2 * math.log(2), abs=1e-6)


def test_generator_loss_at_chance_is_ln2():
    assert losses.generator_gan_loss(tf.zeros([8])).numpy() == pytest.approx(math.log(2), abs=1e-6)


def test_losses_match_the_official_log_form():
    rng = np.random.default_rng(0)
    r, f = rng.normal(size=16).astype(np.float32), rng.normal(size=16).astype(np.float32)
    d_r, d_f = 1 / (1 + np.exp(-r)), 1 / (1 + np.exp(-f))
    expected_d = -np.mean(np.log(d_r) + np.log(1 - d_f))
    expected_g = -np.mean(np.log(d_f))
    assert losses.discriminator_gan_loss(r, f).numpy() == pytest.approx(expected_d, rel=1e-5)
    assert losses.generator_gan_loss(f).numpy() == pytest.approx(expected_g, rel=1e-5)


def test_losses_are_finite_for_extreme_logits():
    big = tf.constant([1e4, -1e4])
    assert np.isfinite(losses.discriminator_gan_loss(big, big).numpy())
    assert np.isfinite(losses.generator_gan_loss(big).numpy())


def test_information_penalty_weights_each_code():
    info = {"c1": tf.constant(2.0), "c2": tf.constant(-0.5)}
    value = losses.information_penalty(info, {"c1": 1.0, "c2": 0.1})
    assert value.numpy() == pytest.approx(-(2.0 - 0.05))
    assert losses.information_penalty({}, {}).numpy() == 0.0


def test_feature_matching_is_the_mean_squared_difference_of_batch_means():
    real = tf.constant([[1.0, 2.0, 0.0], [3.0, 2.0, 4.0]])   # means 2, 2, 2
    fake = tf.constant([[0.0, 2.0, 1.0], [0.0, 4.0, 1.0]])   # means 0, 3, 1
    assert losses.feature_matching_loss(real, fake).numpy() == pytest.approx((4 + 1 + 1) / 3)
    assert losses.feature_matching_loss(real, tf.reverse(real, [0])).numpy() == 0.0  # order-free


def test_feature_matching_moves_only_the_fake_features():
    real = tf.Variable([[1.0, 2.0]])
    fake = tf.Variable([[0.0, 0.0], [2.0, 0.0]])
    with tf.GradientTape(persistent=True) as tape:
        loss = losses.feature_matching_loss(real, fake)
    assert tape.gradient(loss, real) is None
    # d/d fake_ij of mean_j (m_real_j - mean_i fake_ij)^2 = -2 (m_real_j - m_fake_j) / (B F)
    np.testing.assert_allclose(tape.gradient(loss, fake).numpy(), [[0.0, -1.0], [0.0, -1.0]])
