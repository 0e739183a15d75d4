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
