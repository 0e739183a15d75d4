"""The runner, end to end in a subprocess, as a user runs it."""

import json
import os
import subprocess
import sys
import time

import pytest

from conftest import REPO


def _run(args, tmp_path, timeout=600):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, "-m", "infogan_tf.reproduce"] + args, cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_runner_end_to_end_writes_figure_checkpoint_and_saved_model(mnist_data_dir, tmp_path):
    logdir, out = tmp_path / "runs", tmp_path / "results"
    args = ["--figure=mnist_rotation", "--steps=3", "--batch_size=16", f"--data_dir={mnist_data_dir}",
            f"--logdir={logdir}", f"--output_dir={out}", "--noxla", "--set=evaluation.factor_rows=10"]
    r = _run(args, tmp_path)
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
    assert {"d_loss", "g_loss", "d_real", "d_fake", "L_I/c1", "L_I/c2", "L_I/c3", "L_I/total",
            "eval/c1_accuracy", "traversal/c1", "traversal/c2", "perf/iterations_per_second"} <= set(events.Tags()["tensors"])
    assert "step 3/3" in r.stderr  # progress on the console
    assert json.loads((out / "mnist@train.batch_size=16_metrics.json").read_text())["step"] == 3
    assert metrics["overrides"] == ["evaluation.factor_rows=10", "train.steps=3", "train.batch_size=16"]
    assert info["overrides"] == sorted(metrics["overrides"])

    from infogan_tf import report
    text = report.summary(str(out))
    acc = metrics["evaluation"]["c1"]["accuracy"]
    assert f"Accuracy {acc:.4f}" in text and "| mnist_rotation@train.batch_size=16 | Figure 2c |" in text
    assert "How far each factor moves from code -1 to +1" in text and "| rotation |" in text

    # A second figure of the same experiment reuses the trained run instead of retraining.
    r2 = _run(args[:1] + ["--figure=mnist_width"] + args[1:], tmp_path)
    assert r2.returncode == 0, r2.stderr[-3000:]
    assert "reusing the trained run" in r2.stderr and "step 1/3" not in r2.stderr
    assert (out / "mnist_width@train.batch_size=16.png").exists()

    # --reevaluate evaluates the trained run again (no training) and keeps what trained it on record.
    r2b = _run(args + ["--reevaluate"], tmp_path)
    assert r2b.returncode == 0, r2b.stderr[-3000:]
    assert "reusing the trained run" not in r2b.stderr and "step 1/3" not in r2b.stderr
    again = json.loads((run_dir / "metrics.json").read_text())
    assert again["step"] == 3 and "--reevaluate" in again["command"]
    assert again["trained_by"]["command"] == metrics["command"] and "--reevaluate" not in metrics["command"]

    # Asking for more steps resumes from the checkpoint: test_sigterm_mid_training_checkpoints_and_the_rerun_resumes.


def test_unknown_figure_lists_valid_names(tmp_path):
    r = _run(["--figure=mnist_rotaton"], tmp_path, timeout=120)
    assert r.returncode != 0
    assert "unknown figure 'mnist_rotaton'" in r.stderr and "mnist_rotation" in r.stderr and "all_mnist" in r.stderr


@pytest.mark.parametrize("flag, message", [("--steps=0", "--steps=0: must be a positive integer"),
                                           ("--batch_size=-4", "--batch_size=-4: must be a positive integer"),
                                           ("--seed=-1", "--seed=-1: must be >= 0")])
def test_bad_flag_values_are_named(flag, message, tmp_path):
    r = _run(["--figure=mnist_rotation", flag], tmp_path, timeout=120)
    assert r.returncode != 0 and message in r.stderr


def test_code_override_is_checked_against_the_figure(tmp_path):
    r = _run(["--figure=mnist_rotation", "--code=c1"], tmp_path, timeout=120)
    assert r.returncode != 0 and "--code=c1" in r.stderr and "valid: c2, c3" in r.stderr
    r = _run(["--figure=all_mnist", "--code=c2"], tmp_path, timeout=120)
    assert r.returncode != 0 and "single traversal figure" in r.stderr


def test_missing_figure_flag_lists_valid_names(tmp_path):
    r = _run([], tmp_path, timeout=120)
    assert r.returncode != 0 and "--figure is required" in r.stderr and "mnist_width" in r.stderr


def test_missing_data_fails_fast_with_instructions(tmp_path):
    # Fails before any network is built or trained (no wall-time assertion: a loaded machine may take
    # a minute just to import TensorFlow; the subprocess timeout catches a hang or a download attempt).
    r = _run(["--figure=mnist_rotation", f"--data_dir={tmp_path}", "--nodownload",
              f"--logdir={tmp_path / 'runs'}", f"--output_dir={tmp_path / 'out'}"], tmp_path, timeout=300)
    assert r.returncode == 2
    assert "not prepared" in r.stderr and "--data_dir" in r.stderr and "TFDS_DATA_DIR" in r.stderr
    assert "step 1/" not in r.stderr and not (tmp_path / "runs" / "mnist" / "seed0" / "checkpoints").exists()


def test_changed_config_in_same_run_dir_is_refused(mnist_data_dir, tmp_path):
    from infogan_tf import configs
    logdir = tmp_path / "runs"
    run_dir = logdir / "mnist@train.batch_size=16" / "seed0"
    run_dir.mkdir(parents=True)
    other = configs.Registry().experiment("mnist", ["train.g_lr=0.002"])
    (run_dir / "config.json").write_text(json.dumps({"experiment": other.to_dict(), "seed": 0}))
    r = _run(["--figure=mnist_rotation", "--steps=2", "--batch_size=16", f"--data_dir={mnist_data_dir}",
              f"--logdir={logdir}", f"--output_dir={tmp_path / 'out'}", "--noxla"], tmp_path)
    assert r.returncode == 2 and "different configuration" in r.stderr and "--retrain" in r.stderr


# Every kind of config error is tested in-process in test_configs; here, that the runner turns one
# into a usage error before anything trains.
@pytest.mark.parametrize("args, message", [
    (["--set=train.lamda_disc=2"], "--set train.lamda_disc=2: unknown key 'lamda_disc' in train; did you mean 'lambda_disc'"),
    (["--set=train.lambda_disc=high"], 'train.lambda_disc: "high" is not a number'),
])
def test_bad_set_items_are_usage_errors_naming_the_key(args, message, tmp_path):
    r = _run(["--figure=mnist_rotation", f"--logdir={tmp_path / 'runs'}"] + args, tmp_path, timeout=120)
    assert r.returncode == 1 and message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "runs").exists()


def test_a_batch_larger_than_the_dataset_is_a_usage_error_naming_the_flag(mnist_data_dir, tmp_path):
    r = _run(["--figure=mnist_rotation", "--batch_size=100000", f"--data_dir={mnist_data_dir}",
              f"--logdir={tmp_path / 'runs'}", f"--output_dir={tmp_path / 'out'}"], tmp_path, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "train.batch_size=100000 (--batch_size" in r.stderr and "60000 images" in r.stderr
    assert "valid: 1 to 60000" in r.stderr and not (tmp_path / "runs").exists()


def test_figure_1_runner_trains_both_baselines_and_plots_them(mnist_data_dir, tmp_path):
    out = tmp_path / "results"
    r = _run(["--figure=mnist_mi_curve", "--steps=3", "--batch_size=16", f"--data_dir={mnist_data_dir}",
              f"--logdir={tmp_path / 'runs'}", f"--output_dir={out}", "--noxla", "--noexport"], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (out / "mnist_mi_curve@train.batch_size=16.png").exists()
    rows = (out / "mnist_mi_curve@train.batch_size=16.csv").read_text().splitlines()
    assert rows[0] == "step,L_I_InfoGAN,L_I_GAN" and [row.split(",")[0] for row in rows[1:]] == ["1", "2", "3"]
    info = json.loads((out / "mnist_mi_curve@train.batch_size=16.json").read_text())
    assert info["entropy"] == pytest.approx(2.302585, abs=1e-6)
    assert set(info["experiments"]) == {"mnist_mi_infogan", "mnist_mi_gan"}
    gan = json.loads((out / "mnist_mi_gan@train.batch_size=16_metrics.json").read_text())
    assert gan["step"] == 3 and "saved_model" not in gan


def test_sigterm_mid_training_checkpoints_and_the_rerun_resumes(mnist_data_dir, tmp_path):
    import signal

    base = ["--figure=mnist_rotation", "--batch_size=16", f"--data_dir={mnist_data_dir}",
            f"--logdir={tmp_path / 'runs'}", f"--output_dir={tmp_path / 'out'}", "--noxla", "--noexport"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.Popen([sys.executable, "-m", "infogan_tf.reproduce", "--steps=400", "--set=logging.log_every=1"]
                            + base, cwd=REPO, env=env, stderr=subprocess.PIPE, text=True)
    seen = []
    deadline = time.time() + 300
    for line in proc.stderr:
        seen.append(line)
        if "step 5/400" in line or time.time() > deadline:
            break
    proc.send_signal(signal.SIGTERM)
    _, rest = proc.communicate(timeout=120)
    stderr = "".join(seen) + rest
    assert proc.returncode == 130, stderr[-3000:]
    assert "run the same command to resume" in stderr
    ckpts = os.listdir(tmp_path / "runs" / "mnist@train.batch_size=16" / "seed0" / "checkpoints")
    saved = max(int(f.split("-")[1].split(".")[0]) for f in ckpts if f.startswith("ckpt-"))
    assert 5 <= saved < 400

    r = _run(base + [f"--steps={saved + 2}"], tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"at step {saved}" in r.stderr and f"step {saved + 1}/{saved + 2}" in r.stderr


def test_a_run_resumes_when_only_steps_xla_or_logging_changed(tmp_path):
    from infogan_tf import configs, experiment
    registry = configs.Registry()
    saved = registry.experiment("svhn", ["train.steps=100", "train.xla=true", "logging.log_every=1"])
    (tmp_path / "config.json").write_text(json.dumps({"experiment": saved.to_dict(), "seed": 0,
                                                      "num_train_images": 100}))
    assert experiment.saved_experiment(str(tmp_path)).train.steps == 100
    experiment._check_compatible(str(tmp_path), registry.experiment("svhn"), 0, 100)  # no error
    with pytest.raises(experiment.IncompatibleRunError, match="different configuration"):
        experiment._check_compatible(str(tmp_path), registry.experiment("svhn", ["train.g_lr=5e-4"]), 0, 100)
    with pytest.raises(experiment.IncompatibleRunError, match="different configuration"):
        experiment._check_compatible(str(tmp_path), registry.experiment("svhn"), 1, 100)


def test_a_run_trained_on_other_data_is_not_resumed(tmp_path):
    # E.g. a run started on the 19,690-image MNIST copy, resumed on the full 60,000.
    from infogan_tf import configs, experiment
    exp = configs.Registry().experiment("mnist")
    (tmp_path / "config.json").write_text(json.dumps({"experiment": exp.to_dict(), "seed": 0,
                                                      "num_train_images": 19690}))
    with pytest.raises(experiment.IncompatibleRunError, match="trained on 19690 training images .* holds 60000"):
        experiment._check_compatible(str(tmp_path), exp, 0, 60000)


def test_a_run_dir_of_an_older_version_with_removed_keys_is_refused_with_advice(tmp_path):
    from infogan_tf import configs, experiment
    old = configs.Registry().experiment("svhn").to_dict()
    old["train"]["d_spectral_norm"] = True  # a variant removed in issue 16
    (tmp_path / "config.json").write_text(json.dumps({"experiment": old, "seed": 0}))
    with pytest.raises(experiment.IncompatibleRunError, match="cannot read .*d_spectral_norm.*--retrain"):
        experiment._check_compatible(str(tmp_path), configs.Registry().experiment("svhn"), 0, 100)
