"""The training loop: real-data smoke (MNIST), exact resume, interrupts, damaged checkpoints (generated images)."""

import os

import numpy as np
import pytest
import tensorflow as tf

from infogan_tf import data, loop
from infogan_tf.model import InfoGAN


@pytest.fixture(scope="module")
def mnist_images(mnist_data_dir):
    return data.load_split("mnist", "train", mnist_data_dir)[0]


@pytest.fixture(scope="module")
def images(generated_images):
    """What resuming, interrupts and checkpoints need: any images of MNIST's shape (generated)."""
    return generated_images


def test_training_on_shared_mnist_gives_finite_losses_and_rising_information(tiny_experiment, mnist_images, tmp_path):
    model = InfoGAN(tiny_experiment, seed=0, jit_compile=True)
    last = loop.fit(
        model,
        lambda s: data.training_batches(mnist_images, 16, 0, s),
        str(tmp_path),
        total_steps=25,
        log_every=1,
        checkpoint_every=100,
    )
    assert int(model.step) == 25
    assert all(np.isfinite(v) for v in last.values())
    # One trace (and so one XLA compilation) for the whole run: the step never retraces.
    assert model.train_step.experimental_get_tracing_count() == 1
    history = loop.read_history(str(tmp_path))
    assert [r["step"] for r in history] == list(range(1, 26))
    first, final = history[0]["L_I/c1"], np.mean([r["L_I/c1"] for r in history[-5:]])
    assert final > first + 0.3, "Q and G start to agree on c1 within 25 steps"


def _train(experiment, images, run_dir, steps, stop_at=None, checkpoint_every=100, after_stop=None):
    model = InfoGAN(experiment, seed=3, jit_compile=False)
    batches = lambda s: data.training_batches(images, 16, 3, s)  # noqa: E731
    if stop_at is not None:
        # Simulate a kill: the checkpoint at stop_at is the last thing written.
        loop.fit(model, batches, run_dir, total_steps=stop_at, log_every=1, checkpoint_every=checkpoint_every)
        if after_stop:
            after_stop()
        model = InfoGAN(experiment, seed=3, jit_compile=False)  # a fresh process: new objects
    loop.fit(model, batches, run_dir, total_steps=steps, log_every=1, checkpoint_every=checkpoint_every)
    return model


def _assert_same_weights(a, b):
    for x, y in zip(a.generator.weights + a.discriminator.weights, b.generator.weights + b.discriminator.weights):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def straight(registry, images, tmp_path_factory):
    """8 steps without interruption: what every resumed run must reproduce."""
    experiment = registry.experiment("mnist", ["train.batch_size=16"])
    return _train(experiment, images[:200], str(tmp_path_factory.mktemp("straight")), steps=8)


def test_resume_continues_from_saved_step(tiny_experiment, images, straight, tmp_path):
    history = tmp_path / "history.jsonl"

    def torn_write():  # the kill cut a history line in half: the run still resumes
        with open(history, "a") as f:
            f.write('{"step": 6, "torn')

    resumed = _train(tiny_experiment, images[:200], str(tmp_path), steps=8, stop_at=5, after_stop=torn_write)
    assert int(resumed.step) == 8
    assert [r["step"] for r in loop.read_history(str(tmp_path))] == list(range(1, 9))
    assert '"torn' not in history.read_text()  # the torn line was dropped when the resume rewrote the file
    # Same weights, optimizer state, latent RNG and data order: the two runs agree.
    _assert_same_weights(straight, resumed)
    assert int(straight.rng.state[0]) == int(resumed.rng.state[0])


def test_interrupt_saves_a_checkpoint_and_resumes(tiny_experiment, images, tmp_path):
    images = images[:200]
    model = InfoGAN(tiny_experiment, seed=0, jit_compile=False)
    calls = {"n": 0}

    def batches(start):
        def gen():
            for x in data.training_batches(images, 16, 0, start):
                calls["n"] += 1
                if calls["n"] == 4:
                    raise KeyboardInterrupt
                yield x

        return gen()

    with pytest.raises(KeyboardInterrupt):
        loop.fit(model, batches, str(tmp_path), total_steps=10, log_every=1, checkpoint_every=100)
    assert int(model.step) == 3
    again = InfoGAN(tiny_experiment, seed=0, jit_compile=False)
    loop.fit(
        again,
        lambda s: data.training_batches(images, 16, 0, s),
        str(tmp_path),
        total_steps=5,
        log_every=1,
        checkpoint_every=100,
    )
    assert int(again.step) == 5
    assert [r["step"] for r in loop.read_history(str(tmp_path))] == [1, 2, 3, 4, 5]


def _truncate_newest_data_file(run_dir, step):
    """What a full disk leaves: the newest checkpoint's data file cut to half its size."""
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    [path] = [os.path.join(ckpt_dir, f) for f in os.listdir(ckpt_dir) if f.startswith(f"ckpt-{step}.data")]
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size // 2)


class _Log:
    """Stands in for absl.logging in ``loop``: records every info and warning line."""

    def __init__(self):
        self.lines = []

    def info(self, msg, *args):
        self.lines.append(msg % args)

    warning = info


def test_a_damaged_newest_checkpoint_is_named_and_the_previous_one_resumes(
    tiny_experiment, images, straight, tmp_path, monkeypatch
):
    run_dir = str(tmp_path)
    _train(tiny_experiment, images[:200], run_dir, steps=4, checkpoint_every=2)  # checkpoints 2 and 4
    _truncate_newest_data_file(run_dir, 4)
    log = _Log()
    monkeypatch.setattr(loop, "logging", log)
    _train(tiny_experiment, images[:200], run_dir, steps=5, checkpoint_every=5)  # saves ckpt-5 only
    text = "\n".join(log.lines)
    assert "ckpt-4 is damaged" in text and "falling back to the previous one" in text
    assert "ckpt-2 at step 2" in text and "resumed from" in text
    # The damaged one is set aside, so saving ckpt-5 (two are kept) deleted no intact checkpoint.
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    assert any(f.startswith("ckpt-4.") for f in os.listdir(os.path.join(ckpt_dir, "damaged")))
    state = tf.train.get_checkpoint_state(ckpt_dir)
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == ["ckpt-2", "ckpt-5"]
    resumed = _train(tiny_experiment, images[:200], run_dir, steps=8, checkpoint_every=2)
    assert int(resumed.step) == 8
    assert [r["step"] for r in loop.read_history(run_dir)] == list(range(1, 9))
    _assert_same_weights(straight, resumed)  # steps 3-8 were trained again, exactly as before


def test_with_every_checkpoint_damaged_the_error_says_how_to_start_again(tiny_experiment, images, tmp_path):
    images = images[:200]
    run_dir = str(tmp_path)
    _train(tiny_experiment, images, run_dir, steps=2, checkpoint_every=2)  # one checkpoint
    _truncate_newest_data_file(run_dir, 2)
    with pytest.raises(loop.CheckpointError, match=r"no intact checkpoint in .*ckpt-2 cannot be read.*--retrain"):
        _train(tiny_experiment, images, run_dir, steps=4, checkpoint_every=2)


def test_the_last_step_is_checkpointed_before_its_evaluation(tiny_experiment, images, tmp_path):
    # An evaluation that fails at the end (e.g. out of memory) must not cost the training.
    model = InfoGAN(tiny_experiment, seed=0, jit_compile=False)

    def failing_eval(step):
        raise RuntimeError("evaluation failed")

    with pytest.raises(RuntimeError, match="evaluation failed"):
        loop.fit(
            model,
            lambda s: data.training_batches(images[:200], 16, 0, s),
            str(tmp_path),
            total_steps=3,
            log_every=1,
            checkpoint_every=100,
            eval_every=100,
            on_eval=failing_eval,
        )
    assert tf.train.latest_checkpoint(os.path.join(str(tmp_path), "checkpoints")).endswith("ckpt-3")
