"""The resumable training loop: checkpoints, signals, TensorBoard, history and progress.

``fit`` runs a model's train step to a number of iterations. It resumes from the newest intact
checkpoint of the run directory (a damaged one, say truncated by a full disk, is named and skipped),
checkpoints every ``checkpoint_every`` steps, at the end and when SIGINT or SIGTERM arrives, and
writes one JSON line per logged step to ``history.jsonl`` and TensorBoard events beside it.
"""

import json
import os
import signal
import threading
import time
from typing import Callable, Optional

import tensorflow as tf
from absl import logging

from infogan_tf import provenance


class CheckpointError(RuntimeError):
    """No checkpoint of the run directory can be restored."""


class TrainingInterrupted(Exception):
    """Training was stopped by SIGINT or SIGTERM; a checkpoint of the last finished step was saved."""


def _format_eta(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"


def fit(
    model,
    batches_from: Callable[[int], tf.data.Dataset],
    run_dir: str,
    total_steps: int,
    log_every: int = 10,
    checkpoint_every: int = 250,
    image_every: int = 0,
    eval_every: int = 0,
    on_images: Optional[Callable] = None,
    on_eval: Optional[Callable] = None,
    max_checkpoints: int = 2,
    health=None,
) -> dict:
    """Trains ``model`` to ``total_steps`` iterations, resuming from ``run_dir`` if it holds a checkpoint.

    ``batches_from(step)`` returns the real-image batches starting at iteration ``step``. Writes
    TensorBoard events to ``run_dir/tensorboard``, one JSON line per logged step to
    ``run_dir/history.jsonl`` and checkpoints to ``run_dir/checkpoints`` (every ``checkpoint_every``
    steps, at the end, and after the step in progress when SIGINT or SIGTERM arrives). ``on_images(step, writer)`` and
    ``on_eval(step) -> dict`` are called every ``image_every`` / ``eval_every`` steps. ``health`` (a
    ``health.Monitor``) is resumed from the kept history, fed every logged step, and probes G's
    samples at every evaluation step and at the end (also when the run was already trained, if the
    run that trained it did not).
    Returns the last logged metrics.
    """
    os.makedirs(run_dir, exist_ok=True)
    ckpt = model.checkpoint()
    manager = tf.train.CheckpointManager(ckpt, os.path.join(run_dir, "checkpoints"), max_to_keep=max_checkpoints)
    manager = restore_newest_intact(ckpt, manager, model, max_to_keep=max_checkpoints)
    if manager.latest_checkpoint:
        logging.info("resumed from %s at step %d", manager.latest_checkpoint, int(model.step))
    start = int(model.step)
    history_path = os.path.join(run_dir, "history.jsonl")
    _truncate_history(history_path, start)
    if health is not None:
        health.resume(start, read_history(run_dir))
    writer = tf.summary.create_file_writer(os.path.join(run_dir, "tensorboard"))
    last = {}
    if start >= total_steps:
        logging.info("%s already trained to step %d (asked for %d)", run_dir, start, total_steps)
        if health is not None:
            with writer.as_default():
                health.probe(start)  # the end's check, if the run that trained it did not make it
            writer.flush()
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
                    logging.info(
                        "step %d/%d  D %.3f  G %.3f  D(x) %.2f  D(G(z)) %.2f  L_I %s  %.2f it/s  ETA %s",
                        step,
                        total_steps,
                        values["d_loss"],
                        values["g_loss"],
                        values["d_real"],
                        values["d_fake"],
                        info,
                        rate,
                        _format_eta((total_steps - step) / rate),
                    )
                    last = values
                    if health is not None:
                        health.observe(step, values)
                    writer.flush()  # TensorBoard sees each logged step; other steps write nothing
                if step % checkpoint_every == 0 or step == total_steps:  # first: an evaluation that fails loses nothing
                    model.train_seconds.assign(seconds_before + time.time() - t_session)
                    manager.save(checkpoint_number=step)
                if on_eval and eval_every and (step % eval_every == 0 or step == total_steps):
                    for k, v in on_eval(step).items():
                        tf.summary.scalar(k, v, step=step)
                if health is not None and (step == total_steps or (eval_every and step % eval_every == 0)):
                    health.probe(step)
                if on_images and image_every and (step % image_every == 0 or step == total_steps):
                    on_images(step, writer)
                if stop and step < total_steps:
                    raise TrainingInterrupted(stop["signal"])
    except (KeyboardInterrupt, TrainingInterrupted) as e:
        model.train_seconds.assign(seconds_before + time.time() - t_session)
        path = manager.save(checkpoint_number=int(model.step))
        logging.warning(
            "interrupted (%s) at step %d; saved %s. Run the same command again to resume.",
            type(e).__name__ if isinstance(e, KeyboardInterrupt) else e,
            int(model.step),
            path,
        )
        raise
    finally:
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
        writer.flush()
    return last


def restore_newest_intact(
    ckpt: tf.train.Checkpoint,
    manager: tf.train.CheckpointManager,
    model,
    set_aside: bool = True,
    max_to_keep: Optional[int] = None,
) -> tf.train.CheckpointManager:
    """Restores the newest checkpoint that reads back whole; logs each damaged one it skips.

    Args:
      ckpt, manager: the model's checkpoint and the run directory's manager.
      model: has ``step`` (logged).
      set_aside: move the damaged checkpoints' files to ``checkpoints/damaged/`` and drop them from
        the manager's list, so they neither count toward ``max_to_keep`` (which would delete an
        intact one) nor are tried again. The loop does; a read-only load (``api.load``) does not.
      max_to_keep: the manager's, for the new manager made after setting checkpoints aside.
    Returns:
      The manager to save with (a new one when checkpoints were set aside).
    Raises:
      CheckpointError: there are checkpoints but none of them is intact.
    """
    damaged = []
    for path in reversed(manager.checkpoints):
        try:
            ckpt.restore(path).assert_existing_objects_matched()
        except (tf.errors.OpError, ValueError, IndexError, AssertionError) as e:
            reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
            logging.warning(
                "checkpoint %s is damaged (%s: %s); falling back to the previous one", path, type(e).__name__, reason
            )
            damaged.append(path)
            continue
        logging.info("restored %s: step %d", path, int(model.step))
        if damaged and set_aside:
            manager = _set_aside(manager, damaged, max_to_keep)
        return manager
    if damaged:
        raise CheckpointError(
            f"no intact checkpoint in {manager.directory}: {', '.join(damaged)} cannot be read. Delete that "
            f"run directory (or pass --retrain to the runner) to start the run again from step 0."
        )
    return manager


def _set_aside(manager: tf.train.CheckpointManager, damaged, max_to_keep) -> tf.train.CheckpointManager:
    aside = os.path.join(manager.directory, "damaged")
    os.makedirs(aside, exist_ok=True)
    for path in damaged:
        for f in tf.io.gfile.glob(path + ".*"):
            os.replace(f, os.path.join(aside, os.path.basename(f)))
        logging.warning("moved the files of %s to %s", path, aside)
    state = tf.train.get_checkpoint_state(manager.directory)
    kept = [
        (p, t)
        for p, t in zip(state.all_model_checkpoint_paths, state.all_model_checkpoint_timestamps)
        if p not in damaged
    ]
    tf.compat.v1.train.update_checkpoint_state(  # the manager reads its list (and their ages) from here
        manager.directory,
        kept[-1][0],
        all_model_checkpoint_paths=[p for p, _ in kept],
        all_model_checkpoint_timestamps=[t for _, t in kept],
        last_preserved_timestamp=state.last_preserved_timestamp,
    )
    return tf.train.CheckpointManager(manager.checkpoint, manager.directory, max_to_keep=max_to_keep)


def _truncate_history(path: str, step: int) -> None:
    """Drops history lines past ``step`` (logged after the checkpoint a resume starts from)."""
    if not os.path.exists(path):
        return
    rows = [r for r in provenance.read_jsonl(path) if r["step"] <= step]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)
    os.replace(tmp, path)


def read_history(run_dir: str) -> list:
    return provenance.read_jsonl(os.path.join(run_dir, "history.jsonl"))


def _last_history(path: str) -> dict:
    rows = read_history(os.path.dirname(path))
    return {k: v for k, v in rows[-1].items() if k != "step"} if rows else {}
