"""Keras subclassed ``Generator`` and ``DiscriminatorQ`` built from an architecture table.

Initialisation and batch norm follow the official code (openai/InfoGAN, infogan/misc/
custom_ops.py): conv kernels truncated normal sd 0.02, FC and deconv kernels normal sd 0.02,
biases 0; batch norm gamma ~ N(1, 0.02), beta 0, eps 1e-5, moving-average decay 0.9. Every
layer keeps its bias, as in the official code, also where batch norm follows.

Precision (``train.precision``): "float32" (the default, as the official code), or a Keras
mixed-precision policy, "mixed_bfloat16" or "mixed_float16", under which every layer computes in
16 bits and keeps its variables in float32, except the rows that make the networks' outputs (G's
last row, D's logit, Q's last row), which compute in float32; batch norm computes its statistics in float32
(Keras does); so the losses and L_I are computed in float32 from float32 outputs.
"""

import dataclasses

import keras
import tensorflow as tf

from infogan_tf.architectures import Architecture, Layer

_ACTIVATIONS = ("relu", "lrelu", "sigmoid", "tanh", None)


def _dense(units, name, dtype):
    return keras.layers.Dense(
        units,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.02),
        bias_initializer="zeros",
        name=name,
        dtype=dtype,
    )


def _conv(layer: Layer, name, dtype):
    return keras.layers.Conv2D(
        layer.units,
        4,
        strides=layer.stride,
        padding="same",
        kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        bias_initializer="zeros",
        name=name,
        dtype=dtype,
    )


def _deconv(layer: Layer, name, dtype):
    return keras.layers.Conv2DTranspose(
        layer.units,
        4,
        strides=layer.stride,
        padding="same",
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.02),
        bias_initializer="zeros",
        name=name,
        dtype=dtype,
    )


def _batch_norm(name, dtype, synchronized):
    return keras.layers.BatchNormalization(
        momentum=0.9,
        epsilon=1e-5,
        synchronized=synchronized,
        gamma_initializer=keras.initializers.RandomNormal(mean=1.0, stddev=0.02),
        beta_initializer="zeros",
        name=name,
        dtype=dtype,
    )


def _activation(act, leaky_slope, name, dtype):
    if act == "relu":
        return keras.layers.ReLU(name=name, dtype=dtype)
    if act == "lrelu":
        return keras.layers.LeakyReLU(negative_slope=leaky_slope, name=name, dtype=dtype)
    return keras.layers.Activation(act, name=name, dtype=dtype)


def build_stack(
    rows, name, q_dim=None, leaky_slope=0.01, precision="float32", synchronized_bn=False, output=False
) -> keras.Sequential:
    """A keras.Sequential of table rows: each row's layer, then batch norm, then activation, every
    layer under the Keras dtype policy ``precision`` (``configs.PRECISIONS``); with ``output`` (a
    stack whose result is a network's output: G's images, D's logit, Q's parameters) the last row
    computes in float32, as Keras advises for outputs. ``synchronized_bn``: batch norm takes its
    statistics over all replicas of a ``tf.distribute`` strategy."""
    layers = []
    for i, row in enumerate(rows):
        dtype = "float32" if output and i == len(rows) - 1 else precision
        if row.act not in _ACTIVATIONS:
            raise ValueError(f"row {i} of {name}: unknown activation {row.act!r}")
        if row.units == "q":
            row = dataclasses.replace(row, units=q_dim)
        if row.kind == "fc":
            layers.append(_dense(row.units, f"fc{i}", dtype))
        elif row.kind == "conv":
            layers.append(_conv(row, f"conv{i}", dtype))
        elif row.kind == "deconv":
            layers.append(_deconv(row, f"deconv{i}", dtype))
        elif row.kind == "reshape":
            layers.append(keras.layers.Reshape(row.shape, name=f"reshape{i}", dtype=dtype))
        elif row.kind == "flatten":
            layers.append(keras.layers.Flatten(name=f"flatten{i}", dtype=dtype))
        else:
            raise ValueError(f"row {i} of {name}: unknown layer kind {row.kind!r}")
        if row.bn:
            layers.append(_batch_norm(f"bn{i}", dtype, synchronized_bn))
        if row.act is not None:
            layers.append(_activation(row.act, leaky_slope, f"{row.act}{i}", dtype))
    return keras.Sequential(layers, name=name)


class Generator(keras.Model):
    """G(z, c): the concatenated latent vector [B, input_dim] to images [B, H, W, C] (float32)."""

    def __init__(
        self, arch: Architecture, input_dim: int, precision: str = "float32", synchronized_bn: bool = False, **kwargs
    ):
        super().__init__(name=kwargs.pop("name", "generator"), **kwargs)
        self.arch = arch
        self.input_dim = input_dim
        self.net = build_stack(
            arch.generator, name="layers", precision=precision, synchronized_bn=synchronized_bn, output=True
        )
        self(tf.zeros([2, input_dim]))  # create the variables

    def call(self, latent, training=False):
        return tf.cast(self.net(latent, training=training), tf.float32)


class DiscriminatorQ(keras.Model):
    """The D/Q network: a shared trunk with a D head (one logit) and a Q head (the codes' posterior
    parameters), as in the official code, where Q's layers sit on D's last hidden layer."""

    def __init__(
        self,
        arch: Architecture,
        q_dim: int,
        leaky_slope: float = 0.01,
        precision: str = "float32",
        synchronized_bn: bool = False,
        **kwargs,
    ):
        super().__init__(name=kwargs.pop("name", "discriminator_q"), **kwargs)
        self.arch = arch
        self.q_dim = q_dim
        stack = dict(leaky_slope=leaky_slope, precision=precision, synchronized_bn=synchronized_bn)
        self.trunk = build_stack(arch.trunk, "trunk", **stack)
        self.d_head = build_stack(arch.d_head, "d_head", output=True, **stack)
        self.q_head = build_stack(arch.q_head, "q_head", q_dim=q_dim, output=True, **stack)
        self(tf.zeros([2] + list(arch.image_shape)))  # create the variables

    def call(self, images, training=False):
        """Images [B, H, W, C] to float32 (d_logits [B], q_params [B, q_dim])."""
        h = self.trunk(images, training=training)
        logits = tf.squeeze(self.d_head(h, training=training), axis=-1)
        return tf.cast(logits, tf.float32), tf.cast(self.q_head(h, training=training), tf.float32)
