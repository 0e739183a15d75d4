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
G_TRAINABLE = (
    _fc(74, 1024)
    + _bn(1024)
    + _fc(1024, 7 * 7 * 128)
    + _bn(7 * 7 * 128)
    + _conv(4, 128, 64)
    + _bn(64)
    + _conv(4, 64, 1)
)
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
    kinds = [type(layer).__name__ for layer in g.net.layers]
    assert kinds == [
        "Dense",
        "BatchNormalization",
        "ReLU",
        "Dense",
        "BatchNormalization",
        "ReLU",
        "Reshape",
        "Conv2DTranspose",
        "BatchNormalization",
        "ReLU",
        "Conv2DTranspose",
        "Activation",
    ]
    d = networks.DiscriminatorQ(architectures.MNIST, 12)
    kinds = [type(layer).__name__ for layer in d.trunk.layers]
    assert kinds == [
        "Conv2D",
        "LeakyReLU",
        "Conv2D",
        "BatchNormalization",
        "LeakyReLU",
        "Flatten",
        "Dense",
        "BatchNormalization",
        "LeakyReLU",
    ]
    assert [type(layer).__name__ for layer in d.q_head.layers] == ["Dense", "BatchNormalization", "LeakyReLU", "Dense"]


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
    assert [layer.negative_slope for layer in slope.trunk.layers if type(layer).__name__ == "LeakyReLU"] == [
        0.1,
        0.1,
        0.1,
    ]


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
    "svhn": (
        168,
        (32, 32, 3),
        _fc(168, 2 * 2 * 448)
        + _bn(1792)
        + _conv(4, 448, 256)
        + _bn(256)
        + _conv(4, 256, 128)
        + _conv(4, 128, 64)
        + _conv(4, 64, 3),
        _conv(4, 3, 64) + _conv(4, 64, 128) + _bn(128) + _conv(4, 128, 256) + _bn(256),
        _fc(4 * 4 * 256, 1),
        _fc(4 * 4 * 256, 128) + _bn(128) + _fc(128, Q),
    ),
    "celeba": (
        228,
        (32, 32, 3),
        _fc(228, 2 * 2 * 448)
        + _bn(1792)
        + _conv(4, 448, 256)
        + _bn(256)
        + _conv(4, 256, 128)
        + _conv(4, 128, 64)
        + _conv(4, 64, 3),
        _conv(4, 3, 64) + _conv(4, 64, 128) + _bn(128) + _conv(4, 128, 256) + _bn(256),
        _fc(4 * 4 * 256, 1),
        _fc(4 * 4 * 256, 128) + _bn(128) + _fc(128, Q),
    ),
    "faces": (
        133,
        (32, 32, 1),
        _fc(133, 1024) + _bn(1024) + _fc(1024, 8 * 8 * 128) + _bn(8192) + _conv(4, 128, 64) + _bn(64) + _conv(4, 64, 1),
        _conv(4, 1, 64) + _conv(4, 64, 128) + _bn(128) + _fc(8 * 8 * 128, 1024) + _bn(1024),
        _fc(1024, 1),
        _fc(1024, Q),
    ),
    "chairs": (
        189,
        (64, 64, 1),
        _fc(189, 1024)
        + _bn(1024)
        + _fc(1024, 8 * 8 * 256)
        + _bn(16384)
        + 2 * (_conv(4, 256, 256) + _bn(256))
        + _conv(4, 256, 128)
        + _bn(128)
        + _conv(4, 128, 64)
        + _bn(64)
        + _conv(4, 64, 1),
        _conv(4, 1, 64)
        + _conv(4, 64, 128)
        + _bn(128)
        + _conv(4, 128, 256)
        + _bn(256)
        + 2 * (_conv(4, 256, 256) + _bn(256))
        + _fc(8 * 8 * 256, 1024)
        + _bn(1024),
        _fc(1024, 1),
        _fc(1024, Q),
    ),
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
    with pytest.raises(ValueError, match="valid: celeba, chairs, chairs_color, faces, mnist, svhn"):
        architectures.get("cifar")
