"""Training health (infogan_tf/health.py): the closed forms against L_I as latents.py computes it,
the checks on real training histories, the collapse check on the real networks, and a short run
end to end (console, TensorBoard, metrics.json, a figure's subtitle, a resume)."""

import csv
import json
import math
import os

import numpy as np
import pytest
import tensorflow as tf
from conftest import REPO

from infogan_tf import configs, data, experiment, figures, health, inference, latents
from infogan_tf.model import InfoGAN

REGISTRY = configs.Registry()


class _Log:
    """Stands in for absl.logging in ``health``: records every warning."""

    def __init__(self):
        self.lines = []

    def warning(self, msg, *args):
        self.lines.append(msg % args)


def _information(code, c, params):
    spec = latents.LatentSpec(noise_dim=0, codes=(code,))
    return float(spec.information([tf.constant(c, tf.float32)], tf.constant(params, tf.float32))[code.name])


@pytest.mark.parametrize(
    "code",
    [
        latents.Categorical("c", 10),
        latents.Categorical("c", 3),
        latents.Continuous("c"),
        latents.Continuous("c", learn_std=True),
        latents.Continuous("c", dim=2, low=0.0, high=3.0),
        latents.Continuous("c", dim=2, low=0.0, high=3.0, learn_std=True),
    ],
)
def test_closed_forms_are_the_information_of_a_q_that_ignores_the_image_or_reads_it(code):
    n = 400_000
    rng = np.random.default_rng(0)
    if code.kind == "categorical":
        c = np.eye(code.k)[rng.integers(0, code.k, n)]
        assert _information(code, c, np.zeros_like(c)) == pytest.approx(health.uninformed_information(code), abs=1e-5)
        assert _information(code, c, 50.0 * c) == pytest.approx(health.information_ceiling(code), abs=1e-5)
        assert health.unused_threshold(code) == pytest.approx(0.2 * math.log(code.k))
        return
    c = rng.uniform(code.low, code.high, (n, code.dim))
    prior_var = (code.high - code.low) ** 2 / 12

    def q(mean, var):  # Q's parameters for a mean and, with a learned std, that variance
        return np.concatenate([mean, np.full_like(mean, 0.5 * np.log(var))], 1) if code.learn_std else mean

    ignores = np.full_like(c, (code.low + code.high) / 2)  # the best guess without the image
    assert _information(code, c, q(ignores, prior_var)) == pytest.approx(health.uninformed_information(code), abs=3e-3)
    # The threshold: Q's guess explains 20% of the code's variance (its error has 80% of it).
    err_var = 0.8 * prior_var
    guess = c + rng.normal(0, np.sqrt(err_var), c.shape)
    assert _information(code, c, q(guess, err_var)) == pytest.approx(health.unused_threshold(code), abs=5e-3)
    if code.learn_std:
        assert health.information_ceiling(code) is None
        assert health.uninformed_information(code) == pytest.approx(code.dim * -0.17649, abs=1e-5)
    else:
        assert _information(code, c, c) == pytest.approx(health.information_ceiling(code), abs=1e-5)
    if (code.low, code.high, code.dim) == (-1.0, 1.0, 1):  # the numbers the README quotes
        if code.learn_std:
            assert health.unused_threshold(code) == pytest.approx(-0.17649 + 0.11157, abs=1e-5)
        else:
            assert health.uninformed_information(code) == pytest.approx(-0.39246, abs=1e-5)
            assert health.information_ceiling(code) == pytest.approx(-0.22579, abs=1e-5)
            assert health.unused_threshold(code) == pytest.approx(-0.39246 + 0.2 / 6, abs=1e-5)


def _figure1_columns():
    with open(os.path.join(REPO, "results", "attempts", "mnist_seed0_19690_images", "mnist_mi_curve.csv")) as f:
        rows = list(csv.DictReader(f))
    return {col: [(int(r["step"]), float(r[col])) for r in rows] for col in ("L_I_GAN", "L_I_InfoGAN")}


def _monitor(name, **kw):
    exp = REGISTRY.experiment(name)
    lambdas = {
        c.name: exp.train.lambda_disc if c.kind == "categorical" else exp.train.lambda_cont for c in exp.latent.codes
    }
    return health.Monitor(exp.latent, mode=exp.mode, lambdas=lambdas, **kw)


def test_figure_1s_gan_baseline_warns_once_that_its_code_is_unused_and_infogan_does_not(monkeypatch):
    """Real Figure 1 runs (seed 0 on the first 19,690 images, every step of 1,000;
    results/attempts/mnist_seed0_19690_images/mnist_mi_curve.csv): the GAN's L_I(c)
    peaks at 0.91 nats at step 100 and is 0.08-0.14 from step 300 on (100-iteration means); InfoGAN's
    passes 2.0 by step ~150."""
    log = _Log()
    monkeypatch.setattr(health, "logging", log)
    columns = _figure1_columns()
    gan = _monitor("mnist_mi_gan")
    for step, value in columns["L_I_GAN"]:
        gan.observe(step, {"L_I/c": value})
    [w] = gan.records()
    assert (w["kind"], w["code"], w["step"]) == ("code_unused", "c", 500)  # the first check after the warm-up
    assert w["value"] == pytest.approx(0.1154, abs=1e-4) and w["threshold"] == pytest.approx(0.2 * math.log(10))
    assert w["holds_at_end"] and w["end_value"] < 0.15
    assert "0.115 nats" in w["message"] and "2.303" in w["message"] and "mode=gan" in w["message"]
    assert len(log.lines) == 1 and "step 500" in log.lines[0]
    infogan = _monitor("mnist_mi_infogan")
    for step, value in columns["L_I_InfoGAN"]:
        infogan.observe(step, {"L_I/c": value})
    assert infogan.records() == [] and len(log.lines) == 1
    # The GAN's curve under InfoGAN's rules: the same warning, with what it means in InfoGAN.
    as_infogan = _monitor("mnist_mi_infogan")
    for step, value in columns["L_I_GAN"]:
        as_infogan.observe(step, {"L_I/c": value}, emit=False)
    [w] = as_infogan.records()
    assert "mode=gan" not in w["message"] and "train.lambda_disc" in w["message"]


def _history(name):
    with open(os.path.join(REPO, "results", "attempts", name)) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_d_wins_on_the_real_history_of_a_run_that_d_won_and_not_on_blips():
    # A shapes_chairs attempt with minibatch discrimination: D(G(z)) 0.001-0.015 from step 10 to 440,
    # where it was stopped. The defaults need 500 iterations of it: this run is too short for them.
    rows = _history("shapes_chairs_minibatch100x5_stopped430_history.jsonl")
    default = _monitor("shapes_chairs")
    for r in rows:
        default.observe(r["step"], r, emit=False)
    assert not [w for w in default.records() if w["kind"] == "d_wins"]
    shorter = _monitor("shapes_chairs", warmup=300, d_wins_span=400)
    for r in rows:
        shorter.observe(r["step"], r, emit=False)
    [w] = [w for w in shorter.records() if w["kind"] == "d_wins"]
    assert w["step"] == 410 and w["value"] < 0.005 and w["threshold"] == 0.05 and "D wins" in w["message"]
    # Synthetic: a won game with a blip above 0.05 every 100 steps still warns; a healthy game with
    # dips below 0.05 does not; nothing before the warm-up.
    won, healthy = _monitor("mnist"), _monitor("mnist")
    for step in range(10, 1001, 10):
        won.observe(step, {"d_fake": 0.3 if step % 100 == 0 else 0.01})
        healthy.observe(step, {"d_fake": 0.02 if step % 30 == 0 else 0.3})
    [w] = won.records()
    assert (w["kind"], w["step"], w["value"]) == ("d_wins", 510, 0.01)
    assert healthy.records() == []


def test_values_at_the_level_of_real_healthy_runs_raise_nothing():
    """Constant values at the levels of real runs after the warm-up (their histories are not in the
    repo; results/attempts/health_levels_2026-12-02 replays the monitor over six of them: mnist_paper's
    c1 2.22-2.30, learned-std codes 1.18-1.73, D(G(z)) medians >= 0.37), with a dip of c2 every 50 steps."""
    m = _monitor("mnist_paper")
    for step in range(10, 5001, 10):
        m.observe(step, {"L_I/c1": 2.25, "L_I/c2": 1.3 if step % 50 else 0.13, "L_I/c3": 1.4, "d_fake": 0.3})
    assert m.records() == []


@pytest.fixture(scope="module")
def faces():
    exp = REGISTRY.experiment(
        "shapes_faces", ["dataset.num_images=64", "dataset.num_test_images=32", "train.batch_size=8"]
    )
    return exp, data.load_dataset(exp.dataset, "train")


def _samples(model):
    return inference.to_unit_range(
        inference.sample(model, health.PROBE_SAMPLES, seed=health.PROBE_SEED), model.arch.output_activation
    )


def test_collapse_fires_on_a_constant_generator_and_waits_for_the_warm_up(faces):
    exp, train = faces
    real = health.reference_spread(train.images)
    assert 0.05 < real < 0.3
    model = InfoGAN(exp, seed=0)
    fresh = health.pixel_spread(_samples(model))
    # A freshly initialised G draws the same grey image (0.5 +- 0.001) for every latent: collapsed by
    # this measure, which is why the check waits for the warm-up (trained G's: 0.187 on MNIST, of 0.188).
    assert fresh < 0.1 * real
    monitor = health.Monitor(exp.latent, warmup=500, sample=lambda: _samples(model), real_spread=real)
    assert monitor.probe(0, emit=False) == [] and monitor.probe(499, emit=False) == []
    assert health.pixel_spread(train.images[:256] / 255.0) > 0.1 * real  # real images are not collapsed
    last = model.generator.net.layers[-2]  # the last deconv, before the output activation
    last.kernel.assign(tf.zeros_like(last.kernel))
    constant = _samples(model)
    assert health.pixel_spread(constant) == 0.0 and np.ptp(constant) == 0.0
    rng, step = model.rng.state.numpy().copy(), int(model.step)
    moving = [v.numpy().copy() for v in model.generator.non_trainable_variables]  # batch norm's statistics
    [w] = monitor.probe(500, emit=False)
    assert (w["kind"], w["step"], w["value"]) == ("collapse", 500, 0.0)
    # The probe leaves what training computes alone: the latent RNG, the step, batch norm's statistics.
    assert np.array_equal(model.rng.state.numpy(), rng) and int(model.step) == step
    assert all(np.array_equal(v.numpy(), m) for v, m in zip(model.generator.non_trainable_variables, moving))
    assert w["threshold"] == pytest.approx(0.1 * real, abs=1e-6) and "near constant" in w["message"]
    assert monitor.probe(1000, emit=False) == []  # said once


def _tensorboard_texts(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(os.path.join(run_dir, "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    texts = {}
    for tag in events.Tags()["tensors"]:
        if tag.startswith("health/") and tag != "health/sample_spread":
            texts[tag] = [(e.step, tf.make_ndarray(e.tensor_proto).item().decode()) for e in events.Tensors(tag)]
    return texts, events


def test_a_run_whose_generator_stays_constant_says_so_once_everywhere_and_after_a_resume(faces, tmp_path, monkeypatch):
    """G's learning rate 1e-12: G stays as initialised, near constant (the warm-up cut to 3 steps).
    Q cannot read the codes from it either, so every code is unused too."""
    log = _Log()
    monkeypatch.setattr(health, "logging", log)
    overrides = [
        "dataset.num_images=64",
        "dataset.num_test_images=32",
        "train.batch_size=8",
        "train.g_lr=1e-12",
        "logging.log_every=1",
        "logging.checkpoint_every=4",
        "logging.image_every=0",
        "logging.eval_every=0",
        "logging.health_warmup=3",
        "evaluation.factor_rows=4",
        "evaluation.class_rows=5",
        "evaluation.untrained_baseline=false",
    ]
    exp = REGISTRY.experiment("shapes_faces", overrides + ["train.steps=6"])
    run = experiment.run_experiment(exp, seed=0, log_dir=str(tmp_path), jit_compile=False, do_export=False)
    kinds = [(w["kind"], w["code"]) for w in run.metrics["health"]]
    assert kinds == [("code_unused", c) for c in ("c1", "c2", "c3", "c4", "c5")] + [("collapse", None)]
    assert all(w["step"] == 3 for w in run.metrics["health"][:5]) and run.metrics["health"][5]["step"] == 6
    with open(os.path.join(run.run_dir, "metrics.json")) as f:
        assert json.load(f)["health"] == run.metrics["health"]
    # Console: each warning once, with its step.
    assert len(log.lines) == 6 and sum("near constant" in line for line in log.lines) == 1
    assert "step 6" in log.lines[-1]
    # TensorBoard: one text per warning, under health/<kind>[/<code>].
    texts, events = _tensorboard_texts(run.run_dir)
    assert sorted(texts) == [
        "health/code_unused/c1",
        "health/code_unused/c2",
        "health/code_unused/c3",
        "health/code_unused/c4",
        "health/code_unused/c5",
        "health/collapse",
    ]
    assert texts["health/collapse"] == [(6, "step 6: " + run.metrics["health"][5]["message"])]
    assert [e.step for e in events.Tensors("health/sample_spread")] == [6]
    # A figure of the run says so in its subtitle, and its record carries the warnings.
    runs = {"shapes_faces": run}
    captured = {}
    save_traversal = figures.save_traversal

    def capture(grid, path, title, column_labels, xlabel, ylabel="", subtitle=None):
        captured["subtitle"] = subtitle
        return save_traversal(grid, path, title, column_labels, xlabel, ylabel, subtitle)

    monkeypatch.setattr(figures, "save_traversal", capture)
    sheet = configs.Figure(
        name="faces_c1",
        kind="categorical",
        experiments={"": "shapes_faces"},
        code="c1",
        title="c1",
        order_by_label=True,
    )
    info = figures.render(sheet, runs, str(tmp_path / "out"))
    assert os.path.exists(info["path"]) and info["health"] == {"shapes_faces": run.metrics["health"]}
    assert info["health_note"].startswith("Training health: c1 unused") and "G collapsed" in info["health_note"]
    assert captured["subtitle"].endswith(info["health_note"]) and "test accuracy" in captured["subtitle"]
    codes = figures.render(REGISTRY.figures["shapes_faces"], runs, str(tmp_path / "out"))
    assert codes["health_note"] == info["health_note"]

    # Resumed to 9 steps: the warnings of steps 3 and 6 are replayed from history.jsonl and
    # health_probes.jsonl, not said again; the end's probe (step 9) finds G still constant: no new warning.
    log.lines.clear()
    more = REGISTRY.experiment("shapes_faces", overrides + ["train.steps=9"])
    resumed = experiment.run_experiment(more, seed=0, log_dir=str(tmp_path), jit_compile=False, do_export=False)
    assert resumed.run_dir == run.run_dir and resumed.metrics["step"] == 9
    assert [(w["kind"], w["code"], w["step"], w["message"]) for w in resumed.metrics["health"]] == [
        (w["kind"], w["code"], w["step"], w["message"]) for w in run.metrics["health"]
    ]
    assert resumed.metrics["health"][5]["holds_at_end"] and log.lines == []
    with open(os.path.join(run.run_dir, health.PROBES_FILE)) as f:
        assert [json.loads(line)["step"] for line in f] == [6, 9]
    texts, _ = _tensorboard_texts(run.run_dir)
    assert all(len(v) == 1 for v in texts.values())


def test_a_short_run_with_the_default_warm_up_says_nothing():
    monitor = _monitor("mnist", sample=lambda: np.zeros((4, 2, 2, 1)), real_spread=0.2)
    for step in range(1, 21):  # a test-sized run: 20 steps with every value as bad as it gets
        monitor.observe(step, {"L_I/c1": 0.0, "L_I/c2": -1.0, "L_I/c3": -1.0, "d_fake": 0.0})
    assert monitor.probe(20) == [] and monitor.records() == []
    assert REGISTRY.experiment("mnist").logging.health_warmup == 500
    with pytest.raises(configs.ConfigError, match="health_warmup"):
        REGISTRY.experiment("mnist", ["logging.health_warmup=-1"])


def test_a_torn_line_in_the_kept_measurements_is_dropped_on_resume(tmp_path):
    path = tmp_path / health.PROBES_FILE
    path.write_text(
        '{"step": 600, "sample_spread": 0.001, "real_spread": 0.2}\n{"step": 700, "sample_spr'  # killed mid-write
    )
    monitor = _monitor(
        "mnist", warmup=500, run_dir=str(tmp_path), sample=lambda: np.zeros((4, 2, 2, 1)), real_spread=0.2
    )
    monitor.resume(800, [])
    [w] = monitor.records()  # the intact measurement is kept (its warning not said again), the torn one dropped
    assert (w["kind"], w["step"]) == ("collapse", 600)
    assert [json.loads(line)["step"] for line in path.read_text().splitlines()] == [600]
