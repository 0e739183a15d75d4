"""L_I against hand-computed values; latent sampling ranges and shapes."""

import math

import numpy as np
import pytest
import tensorflow as tf

from infogan_tf import latents


def test_perfect_q_gives_ln_k_for_categorical():
    spec = latents.LatentSpec(62, (latents.Categorical("c", 10),))
    c = tf.one_hot(np.arange(20) % 10, 10)
    logits = 50.0 * c  # Q puts (almost) all mass on the true category
    info = spec.information([c], logits)
    assert info["c"].numpy() == pytest.approx(math.log(10), abs=1e-5)
    assert math.log(10) == pytest.approx(2.302585, abs=1e-6)


def test_uniform_q_gives_zero_for_categorical():
    spec = latents.LatentSpec(62, (latents.Categorical("c", 10),))
    c = tf.one_hot(np.arange(20) % 10, 10)
    info = spec.information([c], tf.zeros([20, 10]))
    assert info["c"].numpy() == pytest.approx(0.0, abs=1e-6)


def test_categorical_hand_computed_value():
    code = latents.Categorical("c", 3)
    c = tf.constant([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    logits = tf.math.log(tf.constant([[0.5, 0.25, 0.25], [0.2, 0.2, 0.6]]))
    expected = 0.5 * (math.log(0.5) + math.log(0.6)) + math.log(3)
    spec = latents.LatentSpec(0, (code,))
    assert spec.information([c], logits)["c"].numpy() == pytest.approx(expected, abs=1e-6)


def test_continuous_fixed_std_hand_computed():
    # log N(c; mu, 1) = -0.5 ln(2 pi) - 0.5 (c - mu)^2 ; H(U(-1, 1)) = ln 2
    code = latents.Continuous("c2")
    c = tf.constant([[0.5], [-1.0]])
    mu = tf.constant([[0.0], [-0.5]])
    expected = np.mean([-0.5 * math.log(2 * math.pi) - 0.5 * 0.25] * 2) + math.log(2)
    spec = latents.LatentSpec(0, (code,))
    assert code.param_dim == 1
    assert spec.information([c], mu)["c2"].numpy() == pytest.approx(expected, abs=1e-6)


def test_continuous_fixed_std_bound_is_ln2_minus_half_ln_2pi():
    # With std fixed at 1, even a perfect mean gives ln 2 - 0.5 ln(2 pi) = -0.2258 nats.
    code = latents.Continuous("c2")
    c = tf.random.uniform([64, 1], -1, 1)
    spec = latents.LatentSpec(0, (code,))
    assert spec.information([c], c)["c2"].numpy() == pytest.approx(math.log(2) - 0.5 * math.log(2 * math.pi), abs=1e-6)


def test_continuous_learned_std_hand_computed():
    code = latents.Continuous("c", learn_std=True)
    assert code.param_dim == 2
    c = tf.constant([[1.0]])
    params = tf.constant([[0.0, math.log(0.5)]])  # mean 0, std 0.5
    expected = -0.5 * math.log(2 * math.pi) - math.log(0.5) - 0.5 * (1.0 / 0.5) ** 2 + math.log(2)
    spec = latents.LatentSpec(0, (code,))
    assert spec.information([c], params)["c"].numpy() == pytest.approx(expected, abs=1e-6)


def test_mnist_spec_sizes_and_order(registry):
    spec = registry.experiment("mnist").latent
    assert spec.input_dim == 74  # Table 1: 62 noise + 10 + 1 + 1
    assert spec.q_dim == 12  # 10 logits + 2 means (std fixed)
    assert [c.name for c in spec.codes] == ["c1", "c2", "c3"]


def test_sampling_ranges_and_shapes(registry):
    spec = registry.experiment("mnist").latent
    rng = tf.random.Generator.from_seed(3)
    z, codes = spec.sample(rng, 4096)
    assert z.shape == (4096, 62)
    assert -1.0 <= float(tf.reduce_min(z)) and float(tf.reduce_max(z)) < 1.0
    assert float(tf.reduce_min(z)) < -0.99 and float(tf.reduce_max(z)) > 0.99
    c1, c2, c3 = (c.numpy() for c in codes)
    assert c1.shape == (4096, 10) and np.all(c1.sum(axis=1) == 1.0) and set(np.unique(c1)) == {0.0, 1.0}
    counts = c1.sum(axis=0)
    assert counts.min() > 4096 / 10 * 0.8  # every category drawn, roughly uniformly
    for c in (c2, c3):
        assert c.shape == (4096, 1) and c.min() >= -1.0 and c.max() < 1.0
        assert abs(c.mean()) < 0.05 and abs(c.var() - 1.0 / 3.0) < 0.02
    x = spec.generator_input(z, codes)
    assert x.shape == (4096, 74)
    np.testing.assert_array_equal(x[:, 62:72].numpy(), c1)


def test_split_and_posteriors_follow_spec_order():
    spec = latents.LatentSpec(2, (latents.Categorical("a", 3), latents.Continuous("b", dim=2, learn_std=True)))
    q = tf.constant([[0.0, 0.0, 0.0, 1.0, 2.0, 0.0, math.log(3.0)]])
    post = spec.posteriors(q)
    np.testing.assert_allclose(post["a"]["probs"].numpy(), [[1 / 3] * 3], atol=1e-6)
    np.testing.assert_allclose(post["b"]["mean"].numpy(), [[1.0, 2.0]])
    np.testing.assert_allclose(post["b"]["std"].numpy(), [[1.0, 3.0]], rtol=1e-6)


def test_bad_specs_are_rejected():
    with pytest.raises(ValueError, match="unique"):
        latents.LatentSpec(1, (latents.Categorical("c", 2), latents.Categorical("c", 3)))
    from infogan_tf import configs

    with pytest.raises(configs.ConfigError, match="'gaussian' is not a code type"):
        configs.parse_latent({"noise_dim": 2, "codes": [{"name": "x", "type": "gaussian"}]})


def test_h_c_is_ln_k_and_ln_of_the_range_exactly_and_carries_no_gradient():
    for k in (2, 3, 10, 20):
        assert latents.Categorical("c", k).entropy == math.log(k)
    assert latents.Continuous("c").entropy == math.log(2.0) == pytest.approx(0.693147, abs=1e-6)
    assert latents.Continuous("c", dim=3, low=0.0, high=4.0).entropy == 3 * math.log(4.0)
    # L_I is exactly the batch mean of log Q(c|x) plus that constant, and H adds no gradient.
    spec = latents.LatentSpec(0, (latents.Categorical("a", 10), latents.Continuous("b", learn_std=True)))
    rng = tf.random.Generator.from_seed(0)
    _, codes = spec.sample(rng, 32)
    params = tf.Variable(rng.normal([32, spec.q_dim]))
    with tf.GradientTape(persistent=True) as tape:
        info = spec.information(codes, params)
        log_q = {
            code.name: tf.reduce_mean(code.log_q(c, p)) for code, c, p in zip(spec.codes, codes, spec.split_q(params))
        }
    for code in spec.codes:
        assert float(info[code.name] - log_q[code.name]) == pytest.approx(code.entropy, abs=1e-6)
        np.testing.assert_array_equal(
            tape.gradient(info[code.name], params).numpy(), tape.gradient(log_q[code.name], params).numpy()
        )


def test_l_i_rises_as_q_gets_better_and_never_exceeds_h_c():
    # Maximising L_I means a better Q: the more mass Q puts on the true category the higher L_I, from
    # very negative (Q sure of a wrong one) through 0 (uniform Q) to ln k (Q sure and right).
    spec = latents.LatentSpec(0, (latents.Categorical("c", 10),))
    c = tf.one_hot(np.arange(20) % 10, 10)
    values = [float(spec.information([c], t * c)["c"]) for t in (-5.0, 0.0, 1.0, 3.0, 10.0)]
    assert values == sorted(values) and values[0] < 0 and values[1] == pytest.approx(0, abs=1e-6)
    assert values[-1] < math.log(10)
    wrong = tf.roll(c, 1, axis=1)
    assert float(spec.information([c], 10.0 * wrong)["c"]) < -5
    rng = tf.random.Generator.from_seed(1)
    for _ in range(5):
        assert float(spec.information([c], 4.0 * rng.normal([20, 10]))["c"]) <= math.log(10)


def test_fixed_std_is_one_and_gives_the_gradient_c_minus_mean():
    code = latents.Continuous("c2")
    spec = latents.LatentSpec(0, (code,))
    c = tf.constant([[0.5], [-1.0], [0.9]])
    mean = tf.Variable([[0.0], [-0.5], [0.9]])
    with tf.GradientTape() as tape:
        log_q = code.log_q(c, mean)
    # d/dmean log N(c; mean, 1) = c - mean, per example
    np.testing.assert_allclose(tape.gradient(log_q, mean).numpy(), (c - mean).numpy(), atol=1e-6)
    np.testing.assert_array_equal(spec.posteriors(mean)["c2"]["std"].numpy(), np.ones([3, 1], np.float32))
    # So L_I <= ln 2 - ln(2 pi) / 2 = -0.2258 nats, reached only by a perfect mean.
    bound = math.log(2) - 0.5 * math.log(2 * math.pi)
    assert bound == pytest.approx(-0.225791, abs=1e-6)
    rng = tf.random.Generator.from_seed(2)
    c = rng.uniform([64, 1], -1, 1)
    for noise in (0.01, 0.3, 1.0):
        assert float(spec.information([c], c + noise * rng.normal([64, 1]))["c2"]) < bound


def test_learned_std_is_exp_of_the_second_output_and_its_gradients():
    # Q's outputs for the code: mean and s; std = exp(s). log N(c; mean, e^2s) has
    # d/dmean = (c - mean) / std^2 and d/ds = (c - mean)^2 / std^2 - 1.
    code = latents.Continuous("c", learn_std=True)
    spec = latents.LatentSpec(0, (code,))
    params = tf.Variable([[0.2, math.log(0.5)], [-0.4, 0.0], [0.1, math.log(2.0)]])
    c = tf.constant([[1.0], [-0.4], [-0.9]])
    with tf.GradientTape() as tape:
        log_q = code.log_q(c, params)
    mean, std = params.numpy()[:, :1], np.exp(params.numpy()[:, 1:])
    np.testing.assert_allclose(spec.posteriors(params)["c"]["std"].numpy(), std, rtol=1e-6)
    expected = np.concatenate([(c - mean) / std**2, (c - mean) ** 2 / std**2 - 1], axis=1)
    np.testing.assert_allclose(tape.gradient(log_q, params).numpy(), expected, rtol=1e-5, atol=1e-6)
