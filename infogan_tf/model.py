"""InfoGAN: the two networks, their optimisers, and the D step and the G step.

One iteration mirrors the official trainer (openai/InfoGAN, infogan_trainer.py): a D step that
updates the discriminator and Q (Q's head and the trunk it shares with D) on

    D_loss - sum_j lambda_j L_I(c_j),

then a G step on the non-saturating G loss - sum_j lambda_j L_I(c_j), each with a freshly sampled
latent batch. In ``gan`` mode (the paper's baseline) the D step is the same, so Q is still trained,
but G's loss has no L_I term.

Under a mixed-precision ``train.precision`` the networks compute in 16 bits and return float32, so
the losses, L_I, the gradients' updates and Adam's moments are float32; "mixed_float16" also scales
each loss (Keras' dynamic ``LossScaleOptimizer``: a step whose gradients overflow is skipped and the
scale halved).

Under a ``tf.distribute`` strategy (``model.InfoGAN(..., strategy=...)``, e.g. MirroredStrategy over
several GPUs) the step is data-parallel: the latents of the global batch are drawn once, as on one
device, each replica takes its slice of the real images and the latents, batch norm averages its
statistics over all replicas, and each replica's loss is divided by the number of replicas, so the
summed gradients are those of the global batch.
"""

import contextlib
from typing import Dict, Optional

import keras
import tensorflow as tf
from absl import logging

from infogan_tf import distribute, losses, networks
from infogan_tf.configs import Experiment


class InfoGAN(tf.Module):
    """Networks, optimisers, latent RNG and step counter of one experiment, with its train step.

    Args:
      experiment: the validated config (``configs.Registry().experiment(name)``).
      seed: fixes the initial weights and the latent stream.
      jit_compile: compile the train step with XLA.
      strategy: a ``tf.distribute.Strategy`` to train data-parallel under (None: one device); the
        batch size must be a multiple of its number of replicas.
    Raises:
      configs.ConfigError: the batch does not split evenly over the strategy's replicas, or
        mixed_float16 under a strategy (``distribute.check``).
    """

    def __init__(
        self,
        experiment: Experiment,
        seed: int = 0,
        jit_compile: bool = False,
        strategy: Optional[tf.distribute.Strategy] = None,
    ):
        super().__init__(name="infogan")
        self.experiment = experiment
        self.spec = experiment.latent
        self.arch = experiment.architecture
        train = experiment.train
        self.batch_size = train.batch_size
        self.joint_batch_norm = train.d_batch_norm == "joint"
        self.give_g_information = experiment.mode == "infogan"
        self.strategy = strategy
        self.replicas = strategy.num_replicas_in_sync if strategy else 1
        distribute.check(experiment, strategy)
        self.precision = train.precision
        with strategy.scope() if strategy else contextlib.nullcontext():
            keras.utils.set_random_seed(seed)
            sync = self.replicas > 1  # batch norm's statistics over the global batch
            self.generator = networks.Generator(
                self.arch, self.spec.input_dim, precision=train.precision, synchronized_bn=sync
            )
            self.discriminator = networks.DiscriminatorQ(
                self.arch, self.spec.q_dim, experiment.leaky_slope, precision=train.precision, synchronized_bn=sync
            )
            self.d_optimizer = _optimizer(train.d_lr, train)
            self.g_optimizer = _optimizer(train.g_lr, train)
            self.d_optimizer.build(self.discriminator.trainable_variables)
            self.g_optimizer.build(self.generator.trainable_variables)
        self.lambdas = {
            c.name: train.lambda_disc if c.kind == "categorical" else train.lambda_cont for c in self.spec.codes
        }
        self.rng = tf.random.Generator.from_seed(seed)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.train_seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="train_seconds")
        if strategy is not None and jit_compile:
            # Tried as Keras does it (XLA compiling each replica's part): over two logical CPU devices
            # XLA fails to reach the second device's variables ("Trying to access resource ...
            # located in device CPU:1 from device CPU:0"). Untested on GPUs, so off under any strategy.
            logging.warning(
                "XLA is turned off under %s: XLA and the strategy's mirrored variables did not "
                "combine when tested (over logical CPU devices)",
                type(strategy).__name__,
            )
            jit_compile = False
        self.jit_compile = jit_compile
        self.train_step = tf.function(self._train_step, jit_compile=jit_compile)

    # --- the two player updates ------------------------------------------------------------------
    def d_step(self, real: tf.Tensor, latents=None, share: float = 1.0) -> Dict[str, tf.Tensor]:
        """One update of D and Q (D's trunk, D's head, Q's head) on D_loss - sum_j lambda_j L_I(c_j).

        Args:
          real: float32 [B, H, W, C] real images in G's output range ([0, 1] for a sigmoid G, [-1, 1]
            for tanh).
          latents: the B fakes' latents as ``spec.sample`` returns them, (z float32 [B, noise_dim],
            [c_j float32 [B, flat_dim_j] per code in spec order, one-hot for a categorical code]);
            None: B fresh ones from the prior, drawn with the model's RNG.
          share: this replica's share of the global batch (1 / replicas under a strategy): the loss
            is multiplied by it before the gradients are taken.
        Returns:
          Scalar float32 tensors: "d_loss" (the loss minimised, before ``share``), "d_gan_loss"
          (-mean(log D(x) + log(1 - D(G(z, c)))), >= 0), "d_real" and "d_fake" (D's mean
          probability of the real and of the fake images, in [0, 1]), "L_I/<code>" per code (nats;
          at most ln k for a categorical code) and "L_I/total" (their sum; absent without codes).
        """
        with tf.GradientTape() as tape:
            codes, fake = self._fake(tf.shape(real)[0], latents)
            real_logits, fake_logits, q_params = self._discriminate(real, fake)
            info = self.spec.information(codes, q_params)
            gan_loss = losses.discriminator_gan_loss(real_logits, fake_logits)
            loss = gan_loss + losses.information_penalty(info, self.lambdas)
            scaled = self.d_optimizer.scale_loss(loss if share == 1.0 else loss * share)  # float16 scales it
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return {
            "d_loss": loss,
            "d_gan_loss": gan_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
            **{f"L_I/{name}": value for name, value in info.items()},
            **({"L_I/total": tf.add_n(list(info.values()))} if info else {}),
        }

    def g_step(self, real: tf.Tensor, latents=None, share: float = 1.0) -> Dict[str, tf.Tensor]:
        """One update of G on the non-saturating G_loss - sum_j lambda_j L_I(c_j) (in ``gan`` mode
        G_loss alone); D and Q are not updated.

        Args:
          real: float32 [B, H, W, C] real images: they set B, and D sees them only with joint batch
            norm (``train.d_batch_norm``), where they share the fakes' batch statistics.
          latents: the B fakes' latents, as for ``d_step``; None: B fresh ones from the prior.
          share: this replica's share of the global batch, as for ``d_step``.
        Returns:
          Scalar float32 tensors "g_loss" (the loss minimised, before ``share``) and "g_gan_loss"
          (-mean(log D(G(z, c))), >= 0).
        """
        with tf.GradientTape() as tape:
            codes, fake = self._fake(tf.shape(real)[0], latents)
            _, fake_logits, q_params = self._discriminate(real, fake, real_needed=False)
            gan_loss = losses.generator_gan_loss(fake_logits)
            loss = gan_loss
            if self.give_g_information:
                loss += losses.information_penalty(self.spec.information(codes, q_params), self.lambdas)
            scaled = self.g_optimizer.scale_loss(loss if share == 1.0 else loss * share)
        variables = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled, variables), variables))
        return {"g_loss": loss, "g_gan_loss": gan_loss}

    def _train_step(self, real: tf.Tensor) -> Dict[str, tf.Tensor]:
        n = tf.shape(real)[0]
        d_latents = self.spec.sample(self.rng, n)  # the global batch's, as on one device
        g_latents = self.spec.sample(self.rng, n)
        if self.strategy is None:
            metrics = self._steps(real, d_latents, g_latents)
        else:
            per_replica = self.strategy.run(self._replica_steps, args=(real, d_latents, g_latents))
            metrics = {
                k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None) for k, v in per_replica.items()
            }
        self.step.assign_add(1)
        return metrics

    def _steps(self, real, d_latents, g_latents, share: float = 1.0):
        metrics = self.d_step(real, d_latents, share)
        metrics.update(self.g_step(real, g_latents, share))
        return metrics

    def _replica_steps(self, real, d_latents, g_latents):
        """One replica's part of the step: its slice of the global batch and of the latents."""
        context = tf.distribute.get_replica_context()
        size = tf.shape(real)[0] // self.replicas
        start = tf.cast(context.replica_id_in_sync_group, tf.int32) * size
        own = lambda t: t[start : start + size]  # noqa: E731
        return self._steps(
            own(real),
            tf.nest.map_structure(own, d_latents),
            tf.nest.map_structure(own, g_latents),
            share=1.0 / self.replicas,
        )

    # --- what both steps share -------------------------------------------------------------------
    def _fake(self, n, latents=None):
        """(codes, G(z, c)) for ``latents`` (z, codes), else ``n`` from the prior; G in training mode."""
        z, codes = self.spec.sample(self.rng, n) if latents is None else latents
        return codes, self.generator(self.spec.generator_input(z, codes), training=True)

    def _discriminate(self, real, fake, real_needed=True):
        """(real logits or None, fake logits, fake Q params), D in training mode.

        How batch norm sees the step's images (``train.d_batch_norm``): "separate", as the official
        code, one call per batch, each normalised by its own statistics (the G step does not show D
        the real batch); "joint", one call on [real; fake], so both halves share the statistics."""
        if self.joint_batch_norm:
            n = tf.shape(real)[0]
            logits, q_params = self.discriminator(tf.concat([real, fake], 0), training=True)
            return logits[:n], logits[n:], q_params[n:]
        real_logits = self.discriminator(real, training=True)[0] if real_needed else None
        fake_logits, q_params = self.discriminator(fake, training=True)
        return real_logits, fake_logits, q_params

    # --- inference -------------------------------------------------------------------------------
    def generate(self, z: tf.Tensor, codes) -> tf.Tensor:
        """G's images in inference mode (batch norm's moving averages).

        Args:
          z: float32 [B, noise_dim] noise.
          codes: the codes in spec order, each float32 [B, flat_dim]: one-hot [B, k] for a
            categorical code, values [B, dim] for a continuous one.
        Returns:
          float32 [B, H, W, C] in G's output range ([0, 1] for a sigmoid G, [-1, 1] for tanh).
        """
        return self.generator(self.spec.generator_input(z, codes), training=False)

    def encode(self, images: tf.Tensor):
        """D's probability that each image is real and Q's posteriors, in inference mode.

        Args:
          images: float32 [B, H, W, C] in G's output range.
        Returns:
          (d_prob float32 [B] in [0, 1], posteriors: code name -> {"probs": float32 [B, k]} for a
          categorical code, {"mean": float32 [B, dim], "std": float32 [B, dim]} for a continuous one
          (std = exp(s) > 0 with learned std, 1 with fixed std)).
        """
        d_logits, q_params = self.discriminator(images, training=False)
        return tf.sigmoid(d_logits), self.spec.posteriors(q_params)

    def checkpoint(self) -> tf.train.Checkpoint:
        """What a run saves and resumes from.

        Returns:
          A ``tf.train.Checkpoint`` of G, D/Q (with batch norm's statistics), both optimisers (Adam's
          moments; the loss scale under mixed_float16), the latent RNG, ``step`` (int64) and
          ``train_seconds`` (float64).
        """
        return tf.train.Checkpoint(
            generator=self.generator,
            discriminator=self.discriminator,
            d_optimizer=self.d_optimizer,
            g_optimizer=self.g_optimizer,
            rng=self.rng,
            step=self.step,
            train_seconds=self.train_seconds,
        )


def _optimizer(learning_rate: float, train) -> keras.optimizers.Optimizer:
    """Adam with the config's settings; under "mixed_float16" inside a dynamic loss scale."""
    adam = keras.optimizers.Adam(learning_rate, beta_1=train.beta1, beta_2=train.beta2, epsilon=train.epsilon)
    return keras.optimizers.LossScaleOptimizer(adam) if train.precision == "mixed_float16" else adam
