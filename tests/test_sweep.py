"""The seed sweep: seeds parsed, records summarised, and a sweep of two seeds end to end, interrupted
and resumed (each seed a runner subprocess, as a user runs it)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import REPO

from infogan_tf import sweep


def test_seed_ranges_and_lists():
    assert sweep.parse_seeds("0-9") == list(range(10))
    assert sweep.parse_seeds("0-2,7, 4") == [0, 1, 2, 4, 7]
    for bad in ("3-1", "a", "1-", ""):
        with pytest.raises(sweep.UsageError, match="is not a seed or a range"):
            sweep.parse_seeds(bad)


def test_summary_statistics_and_the_label_free_pick():
    def row(seed, acc, lf):
        return {
            "seed": seed,
            "accuracy": {"c1": acc},
            "generation_accuracy": {"c1": acc - 0.01},
            "digits_drawn": {"c1": 10},
            "label_free": {"c1": lf},
            "final_L_I": {"c1": 2.3},
            "peak_L_I": {"c1": 2.3},
            "first_step_L_I_reaches_threshold": {"c1": 30},
            "train_wall_seconds": 60.0,
        }

    rows = [row(0, 0.80, 2.10), row(1, 0.95, 2.20), row(2, 0.70, 2.25), {"seed": 3, "error": "boom"}]
    s = sweep.summarise(rows)
    acc = s["accuracy"]["c1"]
    assert acc["n"] == 3 and acc["mean"] == pytest.approx(0.8167, abs=1e-4) and acc["median"] == 0.80
    assert acc["sd"] == pytest.approx(0.125831, abs=1e-5) and acc["best_seed"] == 1 and acc["min"] == 0.70
    pick = s["label_free_pick"]["c1"]
    assert pick["seed"] == 2 and pick["accuracy"] == 0.70 and pick["rank_by_accuracy"] == 3
    assert pick["best_seed"] == 1 and pick["best_accuracy"] == 0.95


def test_a_failed_seed_is_a_row_of_its_own_and_an_all_failed_sweep_still_writes(tmp_path):
    ok = {
        "seed": 0,
        "step": 5,
        "accuracy": {"c1": 0.9},
        "generation_accuracy": {},
        "digits_drawn": {},
        "label_free": {"c1": 2.0},
        "final_L_I": {"c1": 2.2},
        "peak_L_I": {"c1": 2.3},
        "first_step_L_I_reaches_threshold": {"c1": None},
        "d_fake_mean_last_1000": 0.3,
        "cpu": "x",
        "train_wall_seconds": 6.0,
        "run_dir": str(tmp_path),
    }
    failed = {"seed": 1, "error": "Traceback ...\nValueError: bad | value\n\n", "exit_code": 1}
    for rows in ([ok, failed], [failed]):
        record = {
            "run_name": "mnist",
            "seeds_spec": "0-1",
            "command": "c",
            "commit": "abc",
            "json": "x.json",
            "li_threshold": 2.0,
            "steps": 5,
            "seeds": rows,
            "summary": sweep.summarise(rows),
        }
        table = sweep.markdown(record)
        assert "| 1 | failed: ValueError: bad / value |" in table
        assert sweep.plot(record, str(tmp_path / "p.png")) and (tmp_path / "p.png").stat().st_size > 1000
    assert record["summary"]["accuracy"] == {} and record["summary"]["label_free_pick"] == {}


def _sweep(args, **kw):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.Popen(
        [sys.executable, "-m", "infogan_tf.sweep"] + args,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kw,
    )


def test_a_sweep_of_two_seeds_is_interrupted_resumed_and_recorded(mnist_data_dir, tmp_path):
    logdir, out = tmp_path / "runs", tmp_path / "sweeps"
    base = [
        "--experiment=mnist",
        "--seeds=0-1",
        "--set=train.batch_size=16",
        "--set=evaluation.factor_rows=10",
        "--set=evaluation.generated_digits=20",
        "--set=logging.log_every=1",
        f"--data_dir={mnist_data_dir}",
        f"--logdir={logdir}",
        f"--output_dir={out}",
        "--noxla",
        "--noexport",
    ]
    sweep_dir = out / "mnist@train.batch_size=16"
    # One seed at a time: seed 0 is interrupted mid-training, seed 1 has not started.
    proc = _sweep(base + ["--steps=400", "--parallel=1"])
    deadline = time.time() + 400
    logs = [sweep_dir / f"seed{s}.log" for s in (0, 1)]
    while time.time() < deadline and not (logs[0].exists() and "step 3/400" in logs[0].read_text()):
        time.sleep(1)
    proc.send_signal(signal.SIGTERM)
    console, _ = proc.communicate(timeout=180)
    assert proc.returncode == 130, console[-3000:]
    assert "run the same command to resume" in console and not logs[1].exists()
    assert "seed 0: stopped (exit 130)" in console
    runner_console = logs[0].read_text()  # the runner's own console: SIGTERM, checkpoint, exit 130
    assert "interrupted (SIGTERM)" in runner_console and "run the same command to resume" in runner_console
    assert "Traceback" not in runner_console
    ckpts = os.listdir(logdir / "mnist@train.batch_size=16" / "seed0" / "checkpoints")
    saved = max(int(f.split("-")[1].split(".")[0]) for f in ckpts if f.startswith("ckpt-"))
    assert 3 <= saved < 400

    # Again, two at a time: seed 0 resumes where it stopped, seed 1 trains.
    steps = saved + 2
    before = len(logs[0].read_text())  # the log is appended to: read the second attempt alone
    proc = _sweep(base + [f"--steps={steps}", "--parallel=2"])
    console, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, console[-3000:]
    second = logs[0].read_text()[before:]
    assert "resumed from" in second and f"at step {saved}" in second and f"step {saved + 1}/{steps}" in second
    assert "step 1/" not in second and "resumed" not in logs[1].read_text()
    stem = sweep_dir / f"sweep_seeds0-1_steps{steps}"  # not the config's 5,000: a record of its own
    record = json.loads(stem.with_suffix(".json").read_text())
    assert [r["seed"] for r in record["seeds"]] == [0, 1] and record["parallel"] == 2
    assert record["child_environment"]["TF_NUM_INTRAOP_THREADS"] == str(max(1, os.cpu_count() // 2))
    for r in record["seeds"]:
        assert r["step"] == steps and 0 <= r["accuracy"]["c1"] <= 1 and 0 <= r["generation_accuracy"]["c1"] <= 1
        assert set(r["final_L_I"]) == {"c1", "c2", "c3"} and r["cpu"] and r["train_wall_seconds"] > 0
        assert set(r["factor_scores"]) == {"rotation", "width"} and set(r["factor_scores"]["width"]) == {"c2", "c3"}
        assert r["command"].startswith(f"python -m infogan_tf.reproduce --experiment=mnist --seed={r['seed']} ")
        assert (sweep_dir / f"seed{r['seed']}" / "mnist@train.batch_size=16_metrics.json").exists()
    summary = record["summary"]
    assert summary["accuracy"]["c1"]["n"] == 2 and summary["label_free_pick"]["c1"]["seed"] in (0, 1)
    table = stem.with_suffix(".md").read_text()
    assert "| 0 |" in table and "| 1 |" in table and "Label-free pick (c1)" in table
    assert stem.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_bad_sweep_flags_are_usage_errors(tmp_path):
    proc = _sweep(["--experiment=mnist", "--seeds=5-2", f"--output_dir={tmp_path}"])
    console, _ = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "--seeds=5-2" in console and "Traceback" not in console
    proc = _sweep(["--experiment=mnist", "--threads=0", f"--output_dir={tmp_path}"])
    console, _ = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "--threads=0: must be a positive number" in console, console[-2000:]


def test_each_seed_gets_its_share_of_the_cores_or_the_threads_asked_for(monkeypatch):
    monkeypatch.setattr(sweep.os, "cpu_count", lambda: 4)
    assert sweep.thread_env(1) == {}  # one at a time: TensorFlow's default, every core
    assert sweep.thread_env(2) == {v: "2" for v in sweep.THREAD_VARIABLES}
    assert sweep.thread_env(8) == {v: "1" for v in sweep.THREAD_VARIABLES}
    assert sweep.thread_env(1, threads=1) == {v: "1" for v in sweep.THREAD_VARIABLES}
    assert sweep.thread_env(2, threads=3) == {v: "3" for v in sweep.THREAD_VARIABLES}


def test_two_seeds_at_once_by_default_with_two_cores_or_more(monkeypatch):
    for cores, expected in ((1, 1), (2, 2), (8, 2), (None, 1)):
        monkeypatch.setattr(sweep.os, "cpu_count", lambda cores=cores: cores)
        assert sweep.default_parallel() == expected
