"""Keras subclassed ``Generator`` and ``DiscriminatorQ`` built from an architecture table.

Initialisation and batch norm follow the official code (openai/InfoGAN, infogan/misc/
custom_ops.py): conv kernels truncated normal sd 0.02, FC and deconv kernels normal sd 0.02,
biases 0; batch norm gamma ~ N(1, 0.02), beta 0, eps 1e-5, moving-average decay 0.9. Every
layer keeps its bias, as in the official code, also where batch norm follows.
"""

import dataclasses

import keras
import tensorflow as tf

from infogan_tf.architectures import Architecture, Layer

_ACTIVATIONS = ("relu", "lrelu", "sigmoid", "tanh", None)


def _dense(units, name, spectral=False):
    return (SpectralDense if spectral else keras.layers.Dense)(
        units, kernel_initializer=keras.initializers.RandomNormal(stddev=0.02),
        bias_initializer="zeros", name=name)


def _conv(layer: Layer, name, spectral=False):
    return (SpectralConv2D if spectral else keras.layers.Conv2D)(
        layer.units, 4, strides=layer.stride, padding="same",
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        bias_initializer="zeros", name=name)


def _deconv(layer: Layer, name):
    return keras.layers.Conv2DTranspose(
        layer.units, 4, strides=layer.stride, padding="same",
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.02),
        bias_initializer="zeros", name=name)


class BatchNorm(keras.layers.BatchNormalization):
    """Keras batch norm that can take its training-mode statistics from the first ``stats_rows``
    rows of the batch only (``d_batch_norm: "real"``: the real images of a [real; fake] batch)
    and normalise every row with them. Without ``stats_rows`` it is keras' layer unchanged."""

    def call(self, inputs, training=None, mask=None, stats_rows=None):
        if stats_rows is None or not (training and self.trainable):
            return super().call(inputs, training=training, mask=mask)
        axes = list(range(len(inputs.shape) - 1))  # every axis but the channels
        mean, variance = tf.nn.moments(inputs[:stats_rows], axes)
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(
            self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return tf.nn.batch_normalization(inputs, mean, variance, self.beta, self.gamma, self.epsilon)


def run_stack(stack: keras.Sequential, x, training=False, stats_rows=None):
    """``stack(x, training)``, passing ``stats_rows`` to its batch-norm layers when given."""
    if stats_rows is None:
        return stack(x, training=training)
    for layer in stack.layers:
        x = (layer(x, training=training, stats_rows=stats_rows) if isinstance(layer, BatchNorm)
             else layer(x, training=training))
    return x


class _SpectralNorm:
    """Spectral normalisation (Miyato et al. 2018, "Spectral Normalization for GANs"), not part of
    InfoGAN: the layer computes with W / sigma(W), sigma the largest singular value of the kernel
    reshaped to [fan_in, units], estimated by one power iteration per training-mode call from a
    persistent non-trainable vector u, updated by every training-mode call (so, like batch norm's
    moving averages, also by D's calls in the G step) and never in inference mode. As in the paper,
    u and v are constants for the gradient, which flows through sigma. (keras'
    ``SpectralNormalization`` wrapper instead writes W / sigma into the trainable kernel on every
    training call, so sigma gets no gradient and a G step would change D's weights.)

    A subclass names the layer's operation with the kernel as ``_apply(inputs, kernel)``."""

    def build(self, input_shape):
        super().build(input_shape)
        self.sn_u = self.add_weight(name="sn_u", shape=(1, int(self.kernel.shape[-1])),
                                    initializer=keras.initializers.RandomNormal(stddev=1.0),
                                    trainable=False)

    def normalized_kernel(self, training=False):
        w = tf.reshape(self.kernel, [-1, self.kernel.shape[-1]])
        v = tf.stop_gradient(tf.math.l2_normalize(tf.matmul(self.sn_u, w, transpose_b=True)))
        u = tf.stop_gradient(tf.math.l2_normalize(tf.matmul(v, w)))
        sigma = tf.reduce_sum(tf.matmul(v, w) * u)
        if training:
            self.sn_u.assign(u)
        return self.kernel / sigma

    def call(self, inputs, training=None):
        y = self._apply(inputs, self.normalized_kernel(training))
        return tf.nn.bias_add(y, self.bias) if self.use_bias else y


class SpectralDense(_SpectralNorm, keras.layers.Dense):
    def _apply(self, inputs, kernel):
        return tf.matmul(inputs, kernel)


class SpectralConv2D(_SpectralNorm, keras.layers.Conv2D):
    def _apply(self, inputs, kernel):
        return tf.nn.conv2d(inputs, kernel, strides=list(self.strides), padding="SAME")


def _batch_norm(name):
    return BatchNorm(
        momentum=0.9, epsilon=1e-5,
        gamma_initializer=keras.initializers.RandomNormal(mean=1.0, stddev=0.02),
        beta_initializer="zeros", name=name)


def _activation(act, leaky_slope, name):
    if act == "relu":
        return keras.layers.ReLU(name=name)
    if act == "lrelu":
        return keras.layers.LeakyReLU(negative_slope=leaky_slope, name=name)
    return keras.layers.Activation(act, name=name)


def build_stack(rows, name, q_dim=None, leaky_slope=0.01, spectral_norm=False) -> keras.Sequential:
    """A keras.Sequential of table rows: each row's layer, then batch norm, then activation.
    ``spectral_norm``: every fc and conv layer is spectrally normalised (opt-in, not in the paper)."""
    layers = []
    for i, row in enumerate(rows):
        if row.act not in _ACTIVATIONS:
            raise ValueError(f"row {i} of {name}: unknown activation {row.act!r}")
        if row.units == "q":
            row = dataclasses.replace(row, units=q_dim)
        if row.kind == "fc":
            layers.append(_dense(row.units, f"fc{i}", spectral_norm))
        elif row.kind == "conv":
            layers.append(_conv(row, f"conv{i}", spectral_norm))
        elif row.kind == "deconv":
            layers.append(_deconv(row, f"deconv{i}"))
        elif row.kind == "reshape":
            layers.append(keras.layers.Reshape(row.shape, name=f"reshape{i}"))
        elif row.kind == "flatten":
            layers.append(keras.layers.Flatten(name=f"flatten{i}"))
        else:
            raise ValueError(f"row {i} of {name}: unknown layer kind {row.kind!r}")
        if row.bn:
            layers.append(_batch_norm(f"bn{i}"))
        if row.act is not None:
            layers.append(_activation(row.act, leaky_slope, f"{row.act}{i}"))
    return keras.Sequential(layers, name=name)


class Generator(keras.Model):
    """G(z, c): the concatenated latent vector [B, input_dim] to images [B, H, W, C]."""

    def __init__(self, arch: Architecture, input_dim: int, **kwargs):
        super().__init__(name=kwargs.pop("name", "generator"), **kwargs)
        self.arch = arch
        self.input_dim = input_dim
        self.net = build_stack(arch.generator, name="layers")
        self(tf.zeros([2, input_dim]))  # create the variables

    def call(self, latent, training=False):
        return self.net(latent, training=training)


class MinibatchDiscrimination(keras.layers.Layer):
    """Minibatch discrimination (Salimans et al. 2016, "Improved Techniques for Training GANs",
    section 3.2), not part of InfoGAN: appends to each sample's features x_i [A] the K features
    o_i,k = b_k + sum_{j != i} exp(-||M_i,k - M_j,k||_1) with M_i = x_i T reshaped to [K, C]. Samples
    are compared only with samples of their own group: ``groups`` splits the batch into that many
    equal consecutive parts (a real and a fake half share one call with joint batch norm).
    T ~ N(0, 0.02) like the official code's FC kernels; b = 0."""

    def __init__(self, kernels: int, dims: int, **kwargs):
        super().__init__(**kwargs)
        self.kernels, self.dims = int(kernels), int(dims)

    def build(self, input_shape):
        self.t = self.add_weight(name="T", shape=(int(input_shape[-1]), self.kernels * self.dims),
                                 initializer=keras.initializers.RandomNormal(stddev=0.02))
        self.b = self.add_weight(name="bias", shape=(self.kernels,), initializer="zeros")

    def call(self, x, groups=1):
        m = tf.reshape(tf.matmul(x, self.t), [groups, -1, self.kernels, self.dims])
        l1 = tf.reduce_sum(tf.abs(m[:, :, None] - m[:, None, :]), axis=-1)  # [groups, n, n, K]
        o = tf.reduce_sum(tf.exp(-l1), axis=2) - 1.0 + self.b  # minus exp(0) = 1 for j = i
        return tf.concat([x, tf.reshape(o, [-1, self.kernels])], axis=-1)


class DiscriminatorQ(keras.Model):
    """Shared trunk with a D head (one logit) and a Q head (the codes' posterior parameters).

    ``minibatch_features=(K, C)`` (opt-in, not in the paper) puts a ``MinibatchDiscrimination``
    layer in front of the D head only, so D's logit depends on the other samples of its group
    while Q's posterior stays a function of the single image. ``spectral_norm=True`` (opt-in, not in
    the paper) spectrally normalises every fc and conv layer of the trunk and the D head; Q's head
    keeps plain layers (it is not part of the adversarial game)."""

    def __init__(self, arch: Architecture, q_dim: int, leaky_slope: float = 0.01,
                 minibatch_features=None, spectral_norm=False, **kwargs):
        super().__init__(name=kwargs.pop("name", "discriminator_q"), **kwargs)
        self.arch = arch
        self.q_dim = q_dim
        self.trunk = build_stack(arch.trunk, "trunk", leaky_slope=leaky_slope, spectral_norm=spectral_norm)
        self.minibatch = (MinibatchDiscrimination(*minibatch_features, name="minibatch")
                          if minibatch_features else None)
        self.d_head = build_stack(arch.d_head, "d_head", leaky_slope=leaky_slope,
                                  spectral_norm=spectral_norm)
        self.q_head = build_stack(arch.q_head, "q_head", q_dim=q_dim, leaky_slope=leaky_slope)
        self(tf.zeros([2] + list(arch.image_shape)))  # create the variables

    def call(self, images, training=False, groups=1, return_features=False, stats_rows=None):
        """Returns (d_logits [B], q_params [B, q_dim]), and the trunk's output [B, F] as a third
        element with ``return_features``. ``groups`` matters only with minibatch features: the batch
        is that many equal parts whose samples are compared among themselves. ``stats_rows=n``: in
        training mode every batch norm normalises the whole batch with the statistics of its first
        n rows."""
        h = run_stack(self.trunk, images, training, stats_rows)
        d_in = self.minibatch(h, groups=groups) if self.minibatch is not None else h
        d_logits = tf.squeeze(run_stack(self.d_head, d_in, training, stats_rows), axis=-1)
        q_params = run_stack(self.q_head, h, training, stats_rows)
        return (d_logits, q_params, h) if return_features else (d_logits, q_params)
