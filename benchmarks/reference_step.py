"""A minimal InfoGAN MNIST train step in plain Keras, written for the benchmark as a yardstick.

The same Table-1 networks (G: FC 1024, FC 7x7x128, two 4x4 deconvolutions; D/Q: two 4x4
convolutions and FC 1024 shared, a one-logit D head and a Q head FC 128 -> 10 logits + 2 means),
the same algorithm (a D step on D_loss - L_I, then a G step on the non-saturating G loss - L_I, each
on fresh latents z ~ U(-1, 1)^62, c1 ~ Cat(10), c2, c3 ~ U(-1, 1), Q's std fixed at 1, lambda 1)
and the same Adam settings as the ``mnist`` experiment, written the plainest way Keras allows and
sharing no code with the package. Keras' default initialisers are used: the time of a step does not
depend on the weights' values. The benchmark times it beside the project's step in one process, so
the ratio of the two is the cost of the project's abstractions (typed specs, per-code losses,
metrics dictionaries) on this machine.
"""

import keras
import tensorflow as tf

NOISE, CATEGORIES, CONTINUOUS = 62, 10, 2


def _bn():
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5)


def generator() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((NOISE + CATEGORIES + CONTINUOUS,)),
            keras.layers.Dense(1024),
            _bn(),
            keras.layers.ReLU(),
            keras.layers.Dense(7 * 7 * 128),
            _bn(),
            keras.layers.ReLU(),
            keras.layers.Reshape((7, 7, 128)),
            keras.layers.Conv2DTranspose(64, 4, strides=2, padding="same"),
            _bn(),
            keras.layers.ReLU(),
            keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid"),
        ]
    )


def discriminator(leaky_slope: float = 0.01) -> keras.Model:
    """Images [B, 28, 28, 1] to (D logit [B, 1], Q's 10 logits and 2 means [B, 12])."""
    lrelu = lambda: keras.layers.LeakyReLU(negative_slope=leaky_slope)  # noqa: E731
    images = keras.Input((28, 28, 1))
    h = lrelu()(keras.layers.Conv2D(64, 4, strides=2, padding="same")(images))
    h = lrelu()(_bn()(keras.layers.Conv2D(128, 4, strides=2, padding="same")(h)))
    h = lrelu()(_bn()(keras.layers.Dense(1024)(keras.layers.Flatten()(h))))
    d = keras.layers.Dense(1)(h)
    q = keras.layers.Dense(CATEGORIES + CONTINUOUS)(lrelu()(_bn()(keras.layers.Dense(128)(h))))
    return keras.Model(images, [d, q])


class ReferenceStep:
    """``step(real)`` runs one D step and one G step on a batch ``real`` [B, 28, 28, 1] in [0, 1].

    Args:
      precision: a Keras dtype policy, "float32" or e.g. "mixed_bfloat16" (set while the networks
        are built; the losses are computed in float32).
    """

    def __init__(self, jit_compile: bool, precision: str = "float32", seed: int = 0):
        keras.utils.set_random_seed(seed)
        before = keras.config.dtype_policy()
        keras.config.set_dtype_policy(precision)
        try:
            self.g, self.d = generator(), discriminator()
        finally:
            keras.config.set_dtype_policy(before)
        self.d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5, beta_2=0.999, epsilon=1e-8)
        self.g_opt = keras.optimizers.Adam(1e-3, beta_1=0.5, beta_2=0.999, epsilon=1e-8)
        self.d_opt.build(self.d.trainable_variables)
        self.g_opt.build(self.g.trainable_variables)
        self.rng = tf.random.Generator.from_seed(seed)
        self.step = tf.function(self._step, jit_compile=jit_compile)

    def _latents(self, n):
        z = self.rng.uniform([n, NOISE], -1.0, 1.0)
        c = tf.one_hot(self.rng.uniform([n], 0, CATEGORIES, dtype=tf.int32), CATEGORIES)
        u = self.rng.uniform([n, CONTINUOUS], -1.0, 1.0)
        return tf.concat([z, c, u], axis=1), c, u

    def _discriminate(self, images):
        d, q = self.d(images, training=True)
        return tf.cast(d, tf.float32), tf.cast(q, tf.float32)

    @staticmethod
    def _information(q, c, u):
        """L_I without its constant H(c): log Q(c1|x) + log N(c2, c3; Q's means, 1), batch means."""
        categorical = tf.reduce_sum(c * tf.nn.log_softmax(q[:, :CATEGORIES]), axis=1)
        continuous = -0.5 * tf.reduce_sum(tf.square(u - q[:, CATEGORIES:]), axis=1)
        return tf.reduce_mean(categorical) + tf.reduce_mean(continuous)

    def _step(self, real):
        bce = lambda labels, logits: tf.reduce_mean(  # noqa: E731
            tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
        )
        n = tf.shape(real)[0]
        latent, c, u = self._latents(n)
        with tf.GradientTape() as tape:
            real_logit, _ = self._discriminate(real)
            fake_logit, q = self._discriminate(tf.cast(self.g(latent, training=True), tf.float32))
            d_loss = (
                bce(tf.ones_like(real_logit), real_logit)
                + bce(tf.zeros_like(fake_logit), fake_logit)
                - self._information(q, c, u)
            )
        self.d_opt.apply_gradients(zip(tape.gradient(d_loss, self.d.trainable_variables), self.d.trainable_variables))
        latent, c, u = self._latents(n)
        with tf.GradientTape() as tape:
            fake_logit, q = self._discriminate(tf.cast(self.g(latent, training=True), tf.float32))
            g_loss = bce(tf.ones_like(fake_logit), fake_logit) - self._information(q, c, u)
        self.g_opt.apply_gradients(zip(tape.gradient(g_loss, self.g.trainable_variables), self.g.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss}
