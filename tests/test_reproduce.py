"""The runner, end to end.

Most tests call the runner's ``main`` in this process with its flags parsed from a list, as
``python -m infogan_tf.reproduce`` parses them (a subprocess would pay TensorFlow's import and the
MNIST read again each time). Exit codes and the console as a user sees them, with no traceback, are
tested in subprocesses: a usage error here, a training run in test_golden, and SIGTERM mid-training,
the checkpoint and the resume in test_sweep (each seed of a sweep is a runner process).
"""

import json
import logging
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from absl import flags
from absl import logging as absl_logging
from conftest import GENERATED, REPO

from infogan_tf import reproduce


def _subprocess(args, timeout=600):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(
        [sys.executable, "-m", "infogan_tf.reproduce"] + args,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def runner(capsys, caplog, monkeypatch):
    """Runs ``reproduce.main`` on a list of flags; returns its exit code and console (stdout, stderr
    with the log lines). A usage error propagates as ``reproduce.UsageError``."""
    reproduce.define_flags()

    def run(args):
        monkeypatch.setattr(sys, "argv", ["reproduce"] + args)  # the command the records keep
        flags.FLAGS.unparse_flags()
        flags.FLAGS(sys.argv)
        verbosity = absl_logging.get_verbosity()
        absl_logging.set_verbosity(absl_logging.INFO)  # as app.run shows the runner's progress
        try:
            with caplog.at_level(logging.INFO):
                code = reproduce.main(["reproduce"])
        finally:
            flags.FLAGS.unparse_flags()
            absl_logging.set_verbosity(verbosity)
        out = capsys.readouterr()
        result = SimpleNamespace(returncode=code, stdout=out.out, stderr=out.err + caplog.text)
        caplog.clear()
        return result

    return run


def _usage_error(runner, args) -> str:
    with pytest.raises(reproduce.UsageError) as e:
        runner(args)
    return str(e.value)


def test_runner_end_to_end_writes_figure_checkpoint_and_saved_model(runner, mnist_data_dir, tmp_path, monkeypatch):
    import tensorflow as tf

    from infogan_tf import digit_classifier, evaluation

    logdir, out = tmp_path / "runs", tmp_path / "results"
    args = [
        "--figure=mnist_rotation",
        "--steps=3",
        "--batch_size=16",
        f"--data_dir={mnist_data_dir}",
        f"--logdir={logdir}",
        f"--output_dir={out}",
        "--noxla",
        "--set=evaluation.factor_rows=10",
        "--set=evaluation.generated_digits=50",
    ]
    evaluations = []
    evaluate_run = evaluation.evaluate_run
    monkeypatch.setattr(evaluation, "evaluate_run", lambda *a, **k: evaluations.append(1) or evaluate_run(*a, **k))
    r = runner(args)
    monkeypatch.setattr(evaluation, "evaluate_run", evaluate_run)
    assert r.returncode == 0, r.stderr[-3000:]
    png = out / "mnist_rotation@train.batch_size=16.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    info = json.loads((out / "mnist_rotation@train.batch_size=16.json").read_text())
    assert info["code"] in ("c2", "c3") and "chosen automatically as 'rotation'" in info["how_chosen"]
    assert info["seed"] == 0 and info["command"].startswith("python -m infogan_tf.reproduce")
    run_dir = logdir / "mnist@train.batch_size=16" / "seed0"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["step"] == 3 and 0.0 <= metrics["evaluation"]["c1"]["accuracy"] <= 1.0
    assert (run_dir / "saved_model" / "saved_model.pb").exists()
    assert any(f.startswith("ckpt-3") for f in os.listdir(run_dir / "checkpoints"))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    assert {
        "d_loss",
        "g_loss",
        "d_real",
        "d_fake",
        "L_I/c1",
        "L_I/c2",
        "L_I/c3",
        "L_I/total",
        "eval/c1_accuracy",
        "eval/c1_generation_accuracy",
        "traversal/c1",
        "traversal/c2",
        "perf/iterations_per_second",
    } <= set(events.Tags()["tensors"])
    # The last step is evaluated once: TensorBoard shows the numbers metrics.json keeps.
    assert len(evaluations) == 1
    for tag, value in (
        ("eval/c1_accuracy", metrics["evaluation"]["c1"]["accuracy"]),
        ("eval/c1_generation_accuracy", metrics["generation"]["c1"]["accuracy"]),
    ):
        (last,) = [e for e in events.Tensors(tag) if e.step == 3]
        assert float(tf.make_ndarray(last.tensor_proto)) == pytest.approx(value, abs=1e-6)
    assert "step 3/3" in r.stderr  # progress on the console
    assert json.loads((out / "mnist@train.batch_size=16_metrics.json").read_text())["step"] == 3
    assert metrics["overrides"] == [
        "evaluation.factor_rows=10",
        "evaluation.generated_digits=50",
        "train.steps=3",
        "train.batch_size=16",
    ]
    gen = metrics["generation"]["c1"]
    assert (
        gen["rows"] == 50 and sum(map(sum, gen["counts_category_by_label"])) == 500 and 1 <= gen["digits_covered"] <= 10
    )
    assert (
        metrics["digit_classifier"]["test_accuracy"] >= 0.985 and 0 <= metrics["label_free"]["c1"]["mutual_information"]
    )
    assert "generation accuracy" in r.stderr
    assert info["overrides"] == sorted(metrics["overrides"])

    from infogan_tf import report

    text = report.summary(str(out))
    acc = metrics["evaluation"]["c1"]["accuracy"]
    assert f"Accuracy {acc:.4f}" in text and "| mnist_rotation@train.batch_size=16 | Figure 2c |" in text
    assert "How far each factor moves from code -1 to +1" in text and "| rotation |" in text

    # A second figure of the same experiment reuses the trained run instead of retraining, without
    # the digit classifier (nothing is evaluated).
    def no_classifier(*a, **k):
        raise AssertionError("a reused run loaded the digit classifier")

    monkeypatch.setattr(digit_classifier, "load_or_train", no_classifier)
    r2 = runner(args[:1] + ["--figure=mnist_width"] + args[1:])
    assert r2.returncode == 0, r2.stderr[-3000:]
    assert "reusing the trained run" in r2.stderr and "step 1/3" not in r2.stderr
    assert (out / "mnist_width@train.batch_size=16.png").exists()

    # --reevaluate evaluates the trained run again (no training) and keeps what trained it on record.
    monkeypatch.undo()
    r2b = runner(args + ["--reevaluate"])
    assert r2b.returncode == 0, r2b.stderr[-3000:]
    assert "reusing the trained run" not in r2b.stderr and "step 1/3" not in r2b.stderr
    again = json.loads((run_dir / "metrics.json").read_text())
    assert again["step"] == 3 and "--reevaluate" in again["command"]
    assert again["trained_by"]["command"] == metrics["command"] and "--reevaluate" not in metrics["command"]

    # Asking for more steps resumes from the checkpoint: test_sweep (a SIGTERM, then the same command).


def test_unknown_figure_lists_valid_names(runner):
    message = _usage_error(runner, ["--figure=mnist_rotaton"])
    assert "unknown figure 'mnist_rotaton'" in message and "mnist_rotation" in message and "all_mnist" in message


@pytest.mark.parametrize(
    "flag, message",
    [
        ("--steps=0", "--steps=0: must be a positive integer"),
        ("--batch_size=-4", "--batch_size=-4: must be a positive integer"),
        ("--seed=-1", "--seed=-1: must be >= 0"),
    ],
)
def test_bad_flag_values_are_named(runner, flag, message):
    assert message in _usage_error(runner, ["--figure=mnist_rotation", flag])


def test_code_override_is_checked_against_the_figure(runner):
    message = _usage_error(runner, ["--figure=mnist_rotation", "--code=c1"])
    assert "--code=c1" in message and "valid: c2, c3" in message
    assert "single traversal figure" in _usage_error(runner, ["--figure=all_mnist", "--code=c2"])


def test_missing_figure_flag_lists_valid_names(runner):
    message = _usage_error(runner, [])
    assert "--figure is required" in message and "mnist_width" in message


def test_missing_data_fails_fast_with_instructions(runner, tmp_path):
    r = runner(
        [
            "--figure=mnist_rotation",
            f"--data_dir={tmp_path}",
            "--nodownload",
            f"--logdir={tmp_path / 'runs'}",
            f"--output_dir={tmp_path / 'out'}",
        ]
    )
    assert r.returncode == 2
    assert "not prepared" in r.stderr and "--data_dir" in r.stderr and "TFDS_DATA_DIR" in r.stderr
    assert "step 1/" not in r.stderr and not (tmp_path / "runs" / "mnist" / "seed0" / "checkpoints").exists()


def test_changed_config_in_same_run_dir_is_refused(runner, tmp_path):
    from infogan_tf import configs

    logdir = tmp_path / "runs"
    run_dir = logdir / configs.Registry().experiment("mnist", GENERATED + ["train.batch_size=16"]).run_name / "seed0"
    run_dir.mkdir(parents=True)
    other = configs.Registry().experiment("mnist", GENERATED + ["train.g_lr=0.002"])
    (run_dir / "config.json").write_text(json.dumps({"experiment": other.to_dict(), "seed": 0}))
    r = runner(
        [
            "--figure=mnist_rotation",
            "--steps=2",
            "--batch_size=16",
            f"--logdir={logdir}",
            f"--output_dir={tmp_path / 'out'}",
            "--noxla",
        ]
        + [f"--set={item}" for item in GENERATED]
    )
    assert r.returncode == 2 and "different configuration" in r.stderr and "--retrain" in r.stderr


# Every kind of config error is tested in-process in test_configs; here, that the runner turns one
# into a usage error before anything trains: exit code 1 and no traceback, as a user sees it.
def test_a_bad_set_item_is_a_usage_error_naming_the_key(tmp_path):
    r = _subprocess(
        ["--figure=mnist_rotation", f"--logdir={tmp_path / 'runs'}", "--set=train.lamda_disc=2"], timeout=300
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "--set train.lamda_disc=2: unknown key 'lamda_disc' in train; did you mean 'lambda_disc'" in r.stderr
    assert not (tmp_path / "runs").exists()


def test_a_bad_set_value_is_a_usage_error(runner, tmp_path):
    message = _usage_error(
        runner, ["--figure=mnist_rotation", f"--logdir={tmp_path / 'runs'}", "--set=train.lambda_disc=high"]
    )
    assert 'train.lambda_disc: "high" is not a number' in message and not (tmp_path / "runs").exists()


def test_a_batch_larger_than_the_dataset_is_a_usage_error_naming_the_flag(runner, tmp_path):
    message = _usage_error(
        runner,
        [
            "--figure=mnist_rotation",
            "--batch_size=100000",
            f"--logdir={tmp_path / 'runs'}",
            f"--output_dir={tmp_path / 'out'}",
        ]
        + [f"--set={item}" for item in GENERATED],
    )
    assert "train.batch_size=100000 (--batch_size" in message and "256 images" in message
    assert "valid: 1 to 256" in message and not (tmp_path / "runs").exists()


def test_figure_1_runner_trains_both_baselines_and_plots_them(runner, tmp_path):
    out = tmp_path / "results"
    r = runner(
        [
            "--figure=mnist_mi_curve",
            "--steps=3",
            "--batch_size=16",
            f"--logdir={tmp_path / 'runs'}",
            f"--output_dir={out}",
            "--noxla",
            "--noexport",
        ]
        + [f"--set={item}" for item in GENERATED]  # the curve's plumbing, on generated images
    )
    assert r.returncode == 0, r.stderr[-3000:]
    (stem,) = {p.stem for p in out.glob("mnist_mi_curve@*.png")}  # named by the overrides
    rows = (out / f"{stem}.csv").read_text().splitlines()
    assert rows[0] == "step,L_I_InfoGAN,L_I_GAN" and [row.split(",")[0] for row in rows[1:]] == ["1", "2", "3"]
    info = json.loads((out / f"{stem}.json").read_text())
    assert info["entropy"] == pytest.approx(2.302585, abs=1e-6)
    assert set(info["experiments"]) == {"mnist_mi_infogan", "mnist_mi_gan"}
    (gan_path,) = out.glob("mnist_mi_gan@*_metrics.json")
    gan = json.loads(gan_path.read_text())
    assert gan["step"] == 3 and "saved_model" not in gan


def test_a_run_resumes_when_only_steps_xla_or_logging_changed(tmp_path):
    from infogan_tf import configs, experiment

    registry = configs.Registry()
    saved = registry.experiment("svhn", ["train.steps=100", "train.xla=true", "logging.log_every=1"])
    (tmp_path / "config.json").write_text(
        json.dumps({"experiment": saved.to_dict(), "seed": 0, "num_train_images": 100})
    )
    assert experiment.saved_experiment(str(tmp_path)).train.steps == 100
    experiment._check_compatible(str(tmp_path), registry.experiment("svhn"), 0, 100, None)  # no error
    with pytest.raises(experiment.IncompatibleRunError, match="different configuration"):
        experiment._check_compatible(str(tmp_path), registry.experiment("svhn", ["train.g_lr=5e-4"]), 0, 100, None)
    with pytest.raises(experiment.IncompatibleRunError, match="different configuration"):
        experiment._check_compatible(str(tmp_path), registry.experiment("svhn"), 1, 100, None)


def test_a_run_trained_on_other_data_is_not_resumed(tmp_path):
    # E.g. a run started on the 19,690-image MNIST copy, resumed on the full 60,000.
    from infogan_tf import configs, experiment

    exp = configs.Registry().experiment("mnist")
    (tmp_path / "config.json").write_text(
        json.dumps({"experiment": exp.to_dict(), "seed": 0, "num_train_images": 19690})
    )
    with pytest.raises(experiment.IncompatibleRunError, match="trained on 19690 training images .* holds 60000"):
        experiment._check_compatible(str(tmp_path), exp, 0, 60000, None)


def test_a_run_dir_of_an_older_version_with_removed_keys_is_refused_with_advice(tmp_path):
    from infogan_tf import configs, experiment

    old = configs.Registry().experiment("svhn").to_dict()
    old["train"]["d_spectral_norm"] = True  # a variant removed in issue 16
    (tmp_path / "config.json").write_text(json.dumps({"experiment": old, "seed": 0}))
    with pytest.raises(experiment.IncompatibleRunError, match="cannot read .*d_spectral_norm.*--retrain"):
        experiment._check_compatible(str(tmp_path), configs.Registry().experiment("svhn"), 0, 100, None)
