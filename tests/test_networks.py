"""The MNIST networks against Table 1 and the official code: shapes, parameter counts, init, BN."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from infogan_tf import architectures, networks


def _fc(i, o):
    return i * o + o


def _conv(k, i, o):
    return k * k * i * o + o


def _bn(n):
    return 2 * n  # trainable gamma, beta (moving mean/variance are non-trainable)


# Hand-computed from Table 1 (every layer has a bias, as in the official code).
G_TRAINABLE = (_fc(74, 1024) + _bn(1024) + _fc(1024, 7 * 7 * 128) + _bn(7 * 7 * 128)
               + _conv(4, 128, 64) + _bn(64) + _conv(4, 64, 1))
TRUNK = _conv(4, 1, 64) + _conv(4, 64, 128) + _bn(128) + _fc(7 * 7 * 128, 1024) + _bn(1024)
D_HEAD = _fc(1024, 1)
Q_HEAD = _fc(1024, 128) + _bn(128) + _fc(128, 12)


@pytest.fixture(scope="module")
def nets():
    g = networks.Generator(architectures.MNIST, 74)
    d = networks.DiscriminatorQ(architectures.MNIST, 12)
    return g, d


def _count(variables):
    return int(sum(np.prod(v.shape) for v in variables))


def test_parameter_counts_match_table_1(nets):
    g, d = nets
    assert G_TRAINABLE == 6_652_481
    assert g.count_params() == 6_667_201  # with the BN moving averages
    assert _count(g.trainable_variables) == G_TRAINABLE
    assert _count(g.non_trainable_variables) == 2 * (1024 + 6272 + 64)
    assert _count(d.trunk.trainable_variables) == TRUNK
    assert _count(d.d_head.trainable_variables) == D_HEAD
    assert _count(d.q_head.trainable_variables) == Q_HEAD
    assert _count(d.trainable_variables) == TRUNK + D_HEAD + Q_HEAD


def test_output_shapes_and_ranges(nets):
    g, d = nets
    x = g(tf.random.uniform([5, 74], -1, 1), training=True)
    assert x.shape == (5, 28, 28, 1)
    assert float(tf.reduce_min(x)) >= 0.0 and float(tf.reduce_max(x)) <= 1.0  # sigmoid mean image
    d_logits, q = d(x, training=True)
    assert d_logits.shape == (5,) and q.shape == (5, 12)


def test_intermediate_shapes_follow_table_1(nets):
    g, d = nets
    h = tf.random.uniform([2, 74])
    shapes = []
    for layer in g.net.layers:
        h = layer(h)
        shapes.append(tuple(h.shape[1:]))
    assert (1024,) in shapes and (7, 7, 128) in shapes and (14, 14, 64) in shapes and shapes[-1] == (28, 28, 1)
    h = tf.zeros([2, 28, 28, 1])
    trunk_shapes = []
    for layer in d.trunk.layers:
        h = layer(h)
        trunk_shapes.append(tuple(h.shape[1:]))
    assert (14, 14, 64) in trunk_shapes and (7, 7, 128) in trunk_shapes and trunk_shapes[-1] == (1024,)


def test_layer_order_bn_and_activation_placement():
    g = networks.Generator(architectures.MNIST, 74)
    kinds = [type(l).__name__ for l in g.net.layers]
    assert kinds == ["Dense", "BatchNorm", "ReLU", "Dense", "BatchNorm", "ReLU",
                     "Reshape", "Conv2DTranspose", "BatchNorm", "ReLU",
                     "Conv2DTranspose", "Activation"]
    d = networks.DiscriminatorQ(architectures.MNIST, 12)
    kinds = [type(l).__name__ for l in d.trunk.layers]
    assert kinds == ["Conv2D", "LeakyReLU", "Conv2D", "BatchNorm", "LeakyReLU",
                     "Flatten", "Dense", "BatchNorm", "LeakyReLU"]
    assert [type(l).__name__ for l in d.q_head.layers] == ["Dense", "BatchNorm", "LeakyReLU", "Dense"]
    # networks.BatchNorm is keras' batch norm (plus an optional stats_rows argument)
    assert issubclass(networks.BatchNorm, keras.layers.BatchNormalization)


def test_official_hyperparameters_of_layers():
    d = networks.DiscriminatorQ(architectures.MNIST, 12)
    g = networks.Generator(architectures.MNIST, 74)
    checked = 0
    for layer in d.trunk.layers + g.net.layers:
        name = type(layer).__name__
        if isinstance(layer, keras.layers.BatchNormalization):
            checked += 1
            assert layer.epsilon == pytest.approx(1e-5) and layer.momentum == pytest.approx(0.9)
        if name == "LeakyReLU":
            assert layer.negative_slope == pytest.approx(0.01)
        if name in ("Conv2D", "Conv2DTranspose"):
            assert layer.kernel_size == (4, 4) and layer.strides == (2, 2) and layer.padding == "same"
    assert checked == 5  # D: conv2, fc 1024; G: fc 1024, fc 7x7x128, deconv 64
    slope = networks.DiscriminatorQ(architectures.MNIST, 12, leaky_slope=0.1)
    assert [l.negative_slope for l in slope.trunk.layers if type(l).__name__ == "LeakyReLU"] == [0.1, 0.1, 0.1]


def test_initialisation_statistics():
    g = networks.Generator(architectures.MNIST, 74)
    d = networks.DiscriminatorQ(architectures.MNIST, 12)
    big_fc = g.net.layers[3].kernel.numpy()
    assert abs(big_fc.std() - 0.02) < 0.001 and abs(big_fc.mean()) < 0.001
    conv = d.trunk.layers[2].kernel.numpy()
    assert np.abs(conv).max() <= 0.04 + 1e-6  # truncated normal: within 2 sd
    assert 0.012 < conv.std() < 0.02
    gamma = g.net.layers[4].gamma.numpy()
    assert abs(gamma.mean() - 1.0) < 0.002 and abs(gamma.std() - 0.02) < 0.002
    for v in g.trainable_variables + d.trainable_variables:
        if v.path.endswith("bias") or v.path.endswith("beta"):
            assert np.all(v.numpy() == 0.0)


# Tables 2, 3, 4 and 6, hand-computed (q = number of Q outputs, here 16).
Q = 16
TABLES = {
    # name: (G input, image shape, G trainable, trunk, D head, Q head)
    "svhn": (168, (32, 32, 3),
             _fc(168, 2 * 2 * 448) + _bn(1792) + _conv(4, 448, 256) + _bn(256) + _conv(4, 256, 128)
             + _conv(4, 128, 64) + _conv(4, 64, 3),
             _conv(4, 3, 64) + _conv(4, 64, 128) + _bn(128) + _conv(4, 128, 256) + _bn(256),
             _fc(4 * 4 * 256, 1), _fc(4 * 4 * 256, 128) + _bn(128) + _fc(128, Q)),
    "celeba": (228, (32, 32, 3),
               _fc(228, 2 * 2 * 448) + _bn(1792) + _conv(4, 448, 256) + _bn(256) + _conv(4, 256, 128)
               + _conv(4, 128, 64) + _conv(4, 64, 3),
               _conv(4, 3, 64) + _conv(4, 64, 128) + _bn(128) + _conv(4, 128, 256) + _bn(256),
               _fc(4 * 4 * 256, 1), _fc(4 * 4 * 256, 128) + _bn(128) + _fc(128, Q)),
    "faces": (133, (32, 32, 1),
              _fc(133, 1024) + _bn(1024) + _fc(1024, 8 * 8 * 128) + _bn(8192) + _conv(4, 128, 64) + _bn(64)
              + _conv(4, 64, 1),
              _conv(4, 1, 64) + _conv(4, 64, 128) + _bn(128) + _fc(8 * 8 * 128, 1024) + _bn(1024),
              _fc(1024, 1), _fc(1024, Q)),
    "chairs": (189, (64, 64, 1),
               _fc(189, 1024) + _bn(1024) + _fc(1024, 8 * 8 * 256) + _bn(16384) + 2 * (_conv(4, 256, 256) + _bn(256))
               + _conv(4, 256, 128) + _bn(128) + _conv(4, 128, 64) + _bn(64) + _conv(4, 64, 1),
               _conv(4, 1, 64) + _conv(4, 64, 128) + _bn(128) + _conv(4, 128, 256) + _bn(256)
               + 2 * (_conv(4, 256, 256) + _bn(256)) + _fc(8 * 8 * 256, 1024) + _bn(1024),
               _fc(1024, 1), _fc(1024, Q)),
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_paper_tables_shapes_and_parameter_counts(name):
    g_in, shape, g_params, trunk, d_head, q_head = TABLES[name]
    arch = architectures.get(name)
    g = networks.Generator(arch, g_in)
    d = networks.DiscriminatorQ(arch, Q)
    x = g(tf.random.uniform([3, g_in], -1, 1), training=True)
    assert x.shape == (3,) + shape
    lo, hi = float(tf.reduce_min(x)), float(tf.reduce_max(x))
    if arch.output_activation == "tanh":
        assert shape[-1] == 3 and -1.0 <= lo and hi <= 1.0
    else:
        assert shape[-1] == 1 and 0.0 <= lo and hi <= 1.0
    d_logits, q = d(x, training=True)
    assert d_logits.shape == (3,) and q.shape == (3, Q)
    assert _count(g.trainable_variables) == g_params
    assert _count(d.trunk.trainable_variables) == trunk
    assert _count(d.d_head.trainable_variables) == d_head
    assert _count(d.q_head.trainable_variables) == q_head


def test_chairs_stride_one_layers_keep_8x8():
    d = networks.DiscriminatorQ(architectures.CHAIRS, Q)
    h = tf.zeros([1, 64, 64, 1])
    sizes = []
    for layer in d.trunk.layers:
        h = layer(h)
        if type(layer).__name__ == "Conv2D":
            sizes.append(tuple(h.shape[1:3]))
    assert sizes == [(32, 32), (16, 16), (8, 8), (8, 8), (8, 8)]


def test_unknown_architecture_lists_valid_ones():
    with pytest.raises(ValueError, match="valid: celeba, chairs, faces, mnist, svhn"):
        architectures.get("cifar")


# --- minibatch discrimination (opt-in, not in the paper) ------------------------------------

def _minibatch_layer(t, b):
    layer = networks.MinibatchDiscrimination(kernels=len(b), dims=len(t[0]) // len(b))
    layer.build((None, len(t)))
    layer.t.assign(np.array(t, np.float32))
    layer.b.assign(np.array(b, np.float32))
    return layer


def test_minibatch_discrimination_matches_the_closed_form():
    # One kernel, one dimension, T picks the first feature: M = 0, 1, 3 for the three samples, so
    # o_i = b + sum over the other samples of exp(-|M_i - M_j|).
    layer = _minibatch_layer([[1.0], [0.0]], [0.5])
    x = tf.constant([[0.0, 7.0], [1.0, -2.0], [3.0, 4.0]])
    out = layer(x).numpy()
    e = np.exp
    assert out.shape == (3, 3)
    np.testing.assert_allclose(out[:, :2], x.numpy())
    np.testing.assert_allclose(out[:, 2], [0.5 + e(-1) + e(-3), 0.5 + e(-1) + e(-2), 0.5 + e(-3) + e(-2)],
                               rtol=1e-6)


def test_minibatch_discrimination_l1_over_a_kernels_dimensions():
    # Two kernels of two dimensions each; kernel 0 sees (x0, x1), kernel 1 sees (2 x0, 0).
    layer = _minibatch_layer([[1.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 0.0]], [0.0, 0.0])
    out = layer(tf.constant([[0.0, 0.0], [1.0, 2.0]])).numpy()
    np.testing.assert_allclose(out[:, 2:], [[np.exp(-3.0), np.exp(-2.0)]] * 2, rtol=1e-6)


def test_minibatch_discrimination_compares_samples_only_within_their_group():
    layer = networks.MinibatchDiscrimination(kernels=4, dims=3)
    first = tf.random.normal([5, 8], seed=1)
    out_a = layer(tf.concat([first, tf.random.normal([5, 8], seed=2)], 0), groups=2).numpy()
    out_b = layer(tf.concat([first, tf.zeros([5, 8])], 0), groups=2).numpy()
    np.testing.assert_allclose(out_a[:5], out_b[:5], rtol=1e-6)
    # Five identical samples: each has four neighbours at distance 0, so every feature is 4 (b = 0).
    np.testing.assert_allclose(out_b[5:, 8:], 4.0)


def test_minibatch_features_reach_d_but_leave_q_a_function_of_the_single_image():
    arch = architectures.CHAIRS
    d = networks.DiscriminatorQ(arch, Q, minibatch_features=(100, 5))
    assert _count(d.minibatch.trainable_variables) == 1024 * 100 * 5 + 100
    assert _count(d.d_head.trainable_variables) == _fc(1024 + 100, 1)
    images = tf.random.uniform([4, 64, 64, 1], seed=3)
    others = tf.random.uniform([4, 64, 64, 1], seed=4)
    logits_a, q_a = d(tf.concat([images, others], 0))
    logits_b, q_b = d(tf.concat([images, others * 0.0], 0))
    np.testing.assert_allclose(q_a[:4], q_b[:4], rtol=1e-5, atol=1e-6)
    assert not np.allclose(logits_a[:4], logits_b[:4])
    assert networks.DiscriminatorQ(arch, Q).minibatch is None  # off unless asked for


# --- batch norm with statistics from part of the batch (d_batch_norm "real") ----------------

def test_batch_norm_with_stats_rows_normalises_every_row_with_the_first_rows_statistics():
    bn = networks._batch_norm("bn")
    bn.build((None, 2))
    bn.gamma.assign([1.0, 2.0])
    bn.beta.assign([0.0, 1.0])
    x = np.array([[1.0, 0.0], [3.0, 4.0], [10.0, -2.0]], np.float32)
    out = bn(tf.constant(x), training=True, stats_rows=2).numpy()
    mean, var = x[:2].mean(0), x[:2].var(0)  # biased variance, as keras
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5) * [1.0, 2.0] + [0.0, 1.0], rtol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-6)  # decay 0.9 from 0
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-6)


def test_batch_norm_without_stats_rows_is_keras_batch_norm():
    ours, theirs = networks._batch_norm("a"), keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
    x = tf.random.normal([6, 3, 3, 4], seed=7)
    ours.build(x.shape), theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    for training in (True, False):
        np.testing.assert_allclose(ours(x, training=training), theirs(x, training=training), rtol=1e-5, atol=1e-6)


def test_spectral_dense_divides_by_the_largest_singular_value_once_power_iteration_converges():
    layer = networks.SpectralDense(5)
    layer.build((None, 7))
    rs = np.random.RandomState(0)
    left, _ = np.linalg.qr(rs.randn(7, 5))
    right, _ = np.linalg.qr(rs.randn(5, 5))
    sigma = 3.0  # singular values 3, 1, 0.5, 0.2, 0.1: power iteration converges fast
    w = (left @ np.diag([sigma, 1.0, 0.5, 0.2, 0.1]) @ right.T).astype("float32")
    layer.kernel.assign(w)
    layer.bias.assign(np.arange(5, dtype="float32"))
    x = tf.random.normal([3, 7], seed=1)
    for _ in range(30):
        y = layer(x, training=True)
    np.testing.assert_allclose(y, x.numpy() @ (w / sigma) + np.arange(5), rtol=1e-4, atol=1e-5)
    # Inference mode uses u without updating it.
    u = layer.sn_u.numpy().copy()
    layer(x, training=False)
    np.testing.assert_array_equal(u, layer.sn_u.numpy())
    assert [v.trainable for v in layer.weights] == [True, True, False]


def test_spectral_conv_is_keras_conv_with_the_normalised_kernel():
    layer = networks.SpectralConv2D(6, 4, strides=2, padding="same")
    layer.build((None, 8, 8, 3))
    rs = np.random.RandomState(1)
    left, _ = np.linalg.qr(rs.randn(4 * 4 * 3, 6))  # the kernel as [kh*kw*cin, cout]
    right, _ = np.linalg.qr(rs.randn(6, 6))
    sigma = 2.0
    kernel = (left @ np.diag([sigma, 0.7, 0.5, 0.3, 0.2, 0.1]) @ right.T).reshape(4, 4, 3, 6)
    layer.kernel.assign(kernel.astype("float32"))
    for _ in range(30):
        layer(tf.zeros([1, 8, 8, 3]), training=True)
    layer.bias.assign(np.arange(6, dtype="float32"))
    plain = keras.layers.Conv2D(6, 4, strides=2, padding="same")
    plain.build((None, 8, 8, 3))
    plain.kernel.assign(kernel / sigma)
    plain.bias.assign(np.arange(6, dtype="float32"))
    x = tf.random.normal([2, 8, 8, 3], seed=2)
    np.testing.assert_allclose(layer(x), plain(x), rtol=1e-4, atol=1e-5)


def test_spectral_norm_gradient_flows_through_sigma_with_u_and_v_held_fixed():
    # d/dW of sum(x W / sigma(W)) with sigma = v^T W u and u, v constants (Miyato et al. 2018, eq. 12).
    layer = networks.SpectralDense(4, use_bias=False)
    layer.build((None, 6))
    w = np.random.RandomState(3).randn(6, 4).astype("float32")
    layer.kernel.assign(w)
    x = np.random.RandomState(4).randn(2, 6).astype("float32")
    u0 = layer.sn_u.numpy()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(layer(x, training=True))
    grad = tape.gradient(loss, layer.kernel).numpy()
    v = u0 @ w.T
    v /= np.linalg.norm(v)
    u = v @ w
    u /= np.linalg.norm(u)
    sigma = (v @ w @ u.T).item()
    g_out = x.sum(0)[:, None] * np.ones((1, 4))  # d loss / d W_sn
    expected = g_out / sigma - (g_out * w).sum() / sigma ** 2 * (v.T @ u)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-5)


def test_spectral_norm_covers_d_trunk_and_head_but_not_q_and_adds_no_trainable_parameters():
    plain = networks.DiscriminatorQ(architectures.MNIST, 12)
    sn = networks.DiscriminatorQ(architectures.MNIST, 12, spectral_norm=True)
    assert _count(sn.trainable_variables) == _count(plain.trainable_variables)
    kinds = lambda stack: [type(l).__name__ for l in stack.layers if isinstance(  # noqa: E731
        l, (keras.layers.Dense, keras.layers.Conv2D))]
    assert kinds(sn.trunk) == ["SpectralConv2D", "SpectralConv2D", "SpectralDense"]
    assert kinds(sn.d_head) == ["SpectralDense"]
    assert kinds(sn.q_head) == ["Dense", "Dense"]
    # one u per normalised layer, as long as the layer's output units
    sn_u = [v for v in sn.non_trainable_variables if "sn_u" in v.path]
    assert [int(v.shape[-1]) for v in sn_u] == [64, 128, 1024, 1]
