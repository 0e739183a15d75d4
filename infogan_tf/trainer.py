"""The InfoGAN training step and the resumable training loop.

One iteration mirrors the official trainer (openai/InfoGAN, infogan_trainer.py): a D step that
updates the discriminator and Q (Q's variables live with D's) on D_loss - lambda * L_I, then a G step
on the non-saturating G loss - lambda * L_I, each with a freshly sampled latent batch. In ``gan``
mode (the paper's baseline) the D step is the same, so Q is still trained, but G's loss has no L_I
term.
"""

import json
import os
import signal
import threading
import time
from typing import Callable, Dict, Optional

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from infogan_tf import architectures, latents, losses, networks

MODES = ("infogan", "gan")
# How D's batch norm sees a step's real and fake images in training mode. "separate" (the official
# code): two calls, each batch normalised by its own statistics. "joint" (opt-in, a deviation): one
# call on the concatenated batch, so both share the statistics. "real" (opt-in, a deviation): one
# call on the concatenated batch, normalised with the statistics of its real half only. "none"
# (opt-in, a deviation): D and Q have no batch norm at all, so no image's output depends on another.
D_BATCH_NORM = ("separate", "joint", "real", "none")


class InfoGAN(tf.Module):
    """Networks, optimizers, latent RNG and step counter of one experiment, with its train step."""

    def __init__(self, cfg: dict, seed: int = 0, jit_compile: bool = False):
        super().__init__(name="infogan")
        mode = cfg.get("mode", "infogan")
        if mode not in MODES:
            raise ValueError(f"experiment {cfg.get('name')!r}: mode {mode!r} is not one of {MODES}")
        self.cfg = cfg
        self.mode = mode
        self.spec = latents.spec_from_config(cfg["latent"])
        self.arch = architectures.get(cfg["architecture"])
        train = cfg["train"]
        self.batch_size = int(train["batch_size"])
        keras.utils.set_random_seed(seed)
        self.d_batch_norm = train.get("d_batch_norm", "separate")
        if self.d_batch_norm not in D_BATCH_NORM:
            raise ValueError(f"experiment {cfg.get('name')!r}: train.d_batch_norm {self.d_batch_norm!r} "
                             f"is not one of {D_BATCH_NORM}")
        d_arch = (architectures.discriminator_without_batch_norm(self.arch)
                  if self.d_batch_norm == "none" else self.arch)
        # Opt-in, a deviation: spectral normalisation of D's layers (Miyato et al. 2018).
        spectral_norm = train.get("d_spectral_norm", False)
        if not isinstance(spectral_norm, bool):
            raise ValueError(f"experiment {cfg.get('name')!r}: train.d_spectral_norm {spectral_norm!r} "
                             "must be true or false")
        self.generator = networks.Generator(self.arch, self.spec.input_dim)
        self.discriminator = networks.DiscriminatorQ(
            d_arch, self.spec.q_dim, leaky_slope=cfg.get("leaky_slope", 0.01),
            minibatch_features=_minibatch_features(cfg), spectral_norm=spectral_norm)
        eps = train.get("epsilon", 1e-8)
        self.d_optimizer = keras.optimizers.Adam(
            train["d_lr"], beta_1=train["beta1"], beta_2=train["beta2"], epsilon=eps)
        self.g_optimizer = keras.optimizers.Adam(
            train["g_lr"], beta_1=train["beta1"], beta_2=train["beta2"], epsilon=eps)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.lambdas = {
            c.name: float(train["lambda_disc"] if c.kind == "categorical" else train["lambda_cont"])
            for c in self.spec.codes}
        self.lambda_disc_warmup = train.get("lambda_disc_warmup", 0)
        if not isinstance(self.lambda_disc_warmup, int) or self.lambda_disc_warmup < 0:
            raise ValueError(f"experiment {cfg.get('name')!r}: train.lambda_disc_warmup "
                             f"{self.lambda_disc_warmup!r} must be a whole number of iterations >= 0")
        # Opt-in, a deviation: G also minimises weight * ||mean f(x) - mean f(G(z))||^2 over D's
        # trunk features f (Salimans et al. 2016); 0 (the default) is the paper's G loss.
        weight = train.get("g_feature_matching", 0.0)
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise ValueError(f"experiment {cfg.get('name')!r}: train.g_feature_matching "
                             f"{weight!r} must be a number >= 0 (0 turns it off)")
        self.feature_matching = float(weight)
        self.rng = tf.random.Generator.from_seed(seed)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
        self.train_seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="train_seconds")
        self.train_step = tf.function(self._train_step, jit_compile=jit_compile)

    # --- the two player updates -------------------------------------------------------------
    def code_weights(self) -> Dict[str, tf.Tensor]:
        """lambda of each code at the current step. With ``train.lambda_disc_warmup`` W > 0 (an
        opt-in deviation; the paper and the official code use a constant lambda) the categorical
        codes' lambda grows linearly from 0 at step 0 to ``lambda_disc`` at step W."""
        if not self.lambda_disc_warmup:
            return self.lambdas
        ramp = tf.minimum(tf.cast(self.step, tf.float32) / float(self.lambda_disc_warmup), 1.0)
        return {c.name: self.lambdas[c.name] * ramp if c.kind == "categorical" else self.lambdas[c.name]
                for c in self.spec.codes}

    def _fake(self, n):
        z, codes = self.spec.sample(self.rng, n)
        return codes, self.generator(self.spec.generator_input(z, codes), training=True)

    def _discriminate(self, real, fake, need_real=True):
        """(real logits or None, fake logits, fake Q params, real trunk features or None, fake trunk
        features), D in training mode."""
        if self.d_batch_norm in ("joint", "real"):
            n = tf.shape(real)[0]
            logits, q_params, h = self.discriminator(
                tf.concat([real, fake], 0), training=True, groups=2, return_features=True,
                stats_rows=n if self.d_batch_norm == "real" else None)
            return logits[:n], logits[n:], q_params[n:], h[:n], h[n:]
        real_logits = real_h = None
        if need_real:
            real_logits, _, real_h = self.discriminator(real, training=True, return_features=True)
        fake_logits, q_params, fake_h = self.discriminator(fake, training=True, return_features=True)
        return real_logits, fake_logits, q_params, real_h, fake_h

    def d_step(self, real: tf.Tensor) -> Dict[str, tf.Tensor]:
        n = tf.shape(real)[0]
        with tf.GradientTape() as tape:
            codes, fake = self._fake(n)
            real_logits, fake_logits, q_params, _, _ = self._discriminate(real, fake)
            info = self.spec.information(codes, q_params)
            gan_loss = losses.discriminator_gan_loss(real_logits, fake_logits)
            loss = gan_loss + losses.information_penalty(info, self.code_weights())
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        metrics = {"d_loss": loss, "d_gan_loss": gan_loss,
                   "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
                   "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits))}
        for name, value in info.items():
            metrics[f"L_I/{name}"] = value
        if info:
            metrics["L_I/total"] = tf.add_n(list(info.values()))
        return metrics

    def g_step(self, real: tf.Tensor) -> Dict[str, tf.Tensor]:
        """One G update on fresh latents, as many as ``real`` has images (with "separate" batch norm
        the real images are used only for feature matching; with "joint" or "real" D sees them
        beside the fakes, as in the D step)."""
        with tf.GradientTape() as tape:
            codes, fake = self._fake(tf.shape(real)[0])
            _, fake_logits, q_params, real_h, fake_h = self._discriminate(
                real, fake, need_real=bool(self.feature_matching))
            gan_loss = losses.generator_gan_loss(fake_logits)
            loss = gan_loss
            metrics = {}
            if self.feature_matching:
                fm = losses.feature_matching_loss(real_h, fake_h)
                metrics["g_feature_matching"] = fm
                loss += self.feature_matching * fm
            if self.mode == "infogan":
                loss += losses.information_penalty(self.spec.information(codes, q_params), self.code_weights())
        variables = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return {"g_loss": loss, "g_gan_loss": gan_loss, **metrics}

    def _train_step(self, real: tf.Tensor) -> Dict[str, tf.Tensor]:
        metrics = self.d_step(real)
        metrics.update(self.g_step(real))
        self.step.assign_add(1)
        return metrics

    # --- inference helpers ------------------------------------------------------------------
    def generate(self, z, codes):
        return self.generator(self.spec.generator_input(z, codes), training=False)

    def encode(self, images):
        """Returns (D probability [B], per-code posteriors) in inference mode."""
        d_logits, q_params = self.discriminator(images, training=False)
        return tf.sigmoid(d_logits), self.spec.posteriors(q_params)

    def checkpoint(self) -> tf.train.Checkpoint:
        return tf.train.Checkpoint(
            generator=self.generator, discriminator=self.discriminator,
            d_optimizer=self.d_optimizer, g_optimizer=self.g_optimizer,
            rng=self.rng, step=self.step, train_seconds=self.train_seconds)


def _minibatch_features(cfg: dict):
    """(kernels, dims) from ``train.d_minibatch_features`` (opt-in, a deviation: minibatch
    discrimination in front of D's head), or None when the config does not ask for it."""
    value = cfg["train"].get("d_minibatch_features")
    if value is None:
        return None
    ok = (isinstance(value, dict) and set(value) == {"kernels", "dims"}
          and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value.values()))
    if not ok:
        raise ValueError(f"experiment {cfg.get('name')!r}: train.d_minibatch_features {value!r} must be "
                         'null or {"kernels": K, "dims": C} with whole numbers K, C > 0 '
                         '(Salimans et al. 2016 use K=100, C=5)')
    return value["kernels"], value["dims"]


class TrainingInterrupted(Exception):
    """Training was stopped by SIGTERM; a checkpoint of the last finished step was saved."""


def _format_eta(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def fit(model: InfoGAN, batches_from: Callable[[int], tf.data.Dataset], run_dir: str,
        total_steps: int, log_every: int = 10, checkpoint_every: int = 250,
        image_every: int = 0, eval_every: int = 0,
        on_images: Optional[Callable] = None, on_eval: Optional[Callable] = None,
        max_checkpoints: int = 2) -> dict:
    """Trains ``model`` to ``total_steps`` iterations, resuming from ``run_dir`` if it holds a checkpoint.

    ``batches_from(step)`` returns the real-image batches starting at iteration ``step``. Writes
    TensorBoard events to ``run_dir/tensorboard``, one JSON line per logged step to
    ``run_dir/history.jsonl`` and checkpoints to ``run_dir/checkpoints`` (every ``checkpoint_every``
    steps, at the end, and after the step in progress when SIGINT or SIGTERM arrives). ``on_images(step, writer)`` and
    ``on_eval(step) -> dict`` are called every ``image_every`` / ``eval_every`` steps.
    Returns the last logged metrics.
    """
    os.makedirs(run_dir, exist_ok=True)
    ckpt = model.checkpoint()
    manager = tf.train.CheckpointManager(ckpt, os.path.join(run_dir, "checkpoints"),
                                         max_to_keep=max_checkpoints)
    if manager.latest_checkpoint:
        ckpt.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        logging.info("resumed from %s at step %d", manager.latest_checkpoint, int(model.step))
    start = int(model.step)
    history_path = os.path.join(run_dir, "history.jsonl")
    _truncate_history(history_path, start)
    writer = tf.summary.create_file_writer(os.path.join(run_dir, "tensorboard"))
    last = {}
    if start >= total_steps:
        logging.info("%s already trained to step %d (asked for %d)", run_dir, start, total_steps)
        return _last_history(history_path)

    # A signal only sets a flag; the loop stops after the step in progress. (Raising from the
    # handler is unreliable: an exception raised while `logging` writes is swallowed by it.)
    stop = {}

    def request_stop(signum, frame):
        if stop:  # a second signal: stop at once
            raise KeyboardInterrupt
        stop["signal"] = signal.Signals(signum).name

    previous_handlers = {}
    if threading.current_thread() is threading.main_thread():  # signals can only be caught there
        previous_handlers = {s: signal.signal(s, request_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    iterator = iter(batches_from(start))
    t_session, t_window, window_steps = time.time(), time.time(), 0
    seconds_before = float(model.train_seconds.numpy())
    step = start
    try:
        with writer.as_default():
            while step < total_steps:
                metrics = model.train_step(next(iterator))
                step += 1
                window_steps += 1
                if step % log_every == 0 or step == total_steps or step == start + 1:
                    values = {k: float(v) for k, v in metrics.items()}
                    now = time.time()
                    rate = window_steps / max(now - t_window, 1e-9)
                    t_window, window_steps = now, 0
                    for k, v in values.items():
                        tf.summary.scalar(k, v, step=step)
                    tf.summary.scalar("perf/iterations_per_second", rate, step=step)
                    with open(history_path, "a") as f:
                        f.write(json.dumps({"step": step, **values}) + "\n")
                    info = " ".join(f"{k[4:]}={v:.3f}" for k, v in values.items() if k.startswith("L_I/"))
                    logging.info("step %d/%d  D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f  L_I %s  %.2f it/s  ETA %s",
                                 step, total_steps, values["d_loss"], values["g_loss"], values["d_real"],
                                 values["d_fake"], info, rate, _format_eta((total_steps - step) / rate))
                    last = values
                    writer.flush()  # TensorBoard sees each logged step; other steps write nothing
                if on_eval and eval_every and (step % eval_every == 0 or step == total_steps):
                    for k, v in on_eval(step).items():
                        tf.summary.scalar(k, v, step=step)
                if on_images and image_every and (step % image_every == 0 or step == total_steps):
                    on_images(step, writer)
                if step % checkpoint_every == 0 or step == total_steps:
                    model.train_seconds.assign(seconds_before + time.time() - t_session)
                    manager.save(checkpoint_number=step)
                if stop and step < total_steps:
                    raise TrainingInterrupted(stop["signal"])
    except (KeyboardInterrupt, TrainingInterrupted) as e:
        model.train_seconds.assign(seconds_before + time.time() - t_session)
        path = manager.save(checkpoint_number=int(model.step))
        logging.warning("interrupted (%s) at step %d; saved %s. Run the same command again to resume.",
                        type(e).__name__ if isinstance(e, KeyboardInterrupt) else e, int(model.step), path)
        raise
    finally:
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
        writer.flush()
    return last


def _truncate_history(path: str, step: int) -> None:
    """Drops history lines past ``step`` (logged after the checkpoint a resume starts from)."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        lines = [l for l in f if l.strip() and json.loads(l)["step"] <= step]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.replace(tmp, path)


def read_history(run_dir: str) -> list:
    path = os.path.join(run_dir, "history.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def _last_history(path: str) -> dict:
    rows = read_history(os.path.dirname(path))
    return {k: v for k, v in rows[-1].items() if k != "step"} if rows else {}
