"""Data-parallel training (--strategy=mirrored) over two logical CPU devices: one mirrored step
equals one single-device step on the same images and latents; checkpoints move between the two; the
runner end to end, each in a fresh process, since TensorFlow's devices can only be split before its
first operation; the flags and settings a strategy refuses, in this process."""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from conftest import GENERATED, REPO
from test_reproduce import runner  # noqa: F401  (the runner fixture: reproduce.main in this process)

from infogan_tf import configs, distribute, reproduce

_STEP_AND_CHECKPOINTS = r"""
import json, sys
import numpy as np
from infogan_tf import configs, distribute
distribute.split_cpu(2)
import tensorflow as tf
from infogan_tf.model import InfoGAN

out_dir = sys.argv[1]
# Adam's first update is lr * g / (|g| + epsilon): with the usual tiny epsilon it is lr * sign(g), so
# a gradient that is zero up to rounding (a bias before batch norm) moves by +-lr on the sign of its
# rounding noise. With epsilon 1 the update is proportional to the gradient, and the variables after
# one step compare the gradients themselves.
exp = configs.Registry().experiment("mnist", ["train.batch_size=8", "train.epsilon=1.0"])
strategy = distribute.make_strategy("mirrored")
real = tf.random.stateless_uniform([8, 28, 28, 1], seed=[1, 2])

def variables(m):
    return [v.numpy() for v in m.generator.variables + m.discriminator.variables]

def gap(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a, b))

single = InfoGAN(exp, seed=0, jit_compile=False)
mirrored = InfoGAN(exp, seed=0, jit_compile=True, strategy=strategy)
result = {"replicas": mirrored.replicas, "jit_compile": mirrored.jit_compile,
          "devices": distribute.describe(strategy)["devices"],
          "initial_gap": gap(variables(single), variables(mirrored))}
m1, m2 = single.train_step(real), mirrored.train_step(real)
result["metric_gap"] = max(abs(float(m1[k]) - float(m2[k])) for k in m1)
result["variable_gap"] = gap(variables(single), variables(mirrored))
result["moved"] = gap(variables(single), variables(InfoGAN(exp, seed=0)))
result["steps"] = [int(single.step), int(mirrored.step)]

# A mirrored checkpoint resumes on one device, and a single-device one under the strategy.
to_single = InfoGAN(exp, seed=5, jit_compile=False)  # as the strategy's step (XLA is off under it)
to_single.checkpoint().read(mirrored.checkpoint().write(out_dir + "/mirrored")).assert_consumed()
to_mirrored = InfoGAN(exp, seed=5, strategy=strategy)
to_mirrored.checkpoint().read(single.checkpoint().write(out_dir + "/single")).assert_consumed()
result["restored_gaps"] = [gap(variables(to_single), variables(mirrored)),
                           gap(variables(to_mirrored), variables(single))]
result["restored_steps"] = [int(to_single.step), int(to_mirrored.step)]
# (That a restored copy trains on: the runner test below resumes a mirrored run on one device.)
print(json.dumps(result))
"""


def _python(code_or_module, *args, timeout=600):
    command = [sys.executable] + (
        ["-m", code_or_module] if not code_or_module.startswith("\n") else ["-c", code_or_module]
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(command + list(args), cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def test_a_mirrored_step_over_two_devices_equals_a_single_device_step_and_checkpoints_move_between_them(tmp_path):
    r = _python(_STEP_AND_CHECKPOINTS, str(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2 and len(result["devices"]) == 2
    assert result["jit_compile"] is False  # XLA is turned off under the strategy (see model.InfoGAN)
    assert result["initial_gap"] == 0.0 and result["steps"] == [1, 1]
    # Batch norm over the global batch and the gradients of the global batch: the same step up to
    # float rounding (the summed statistics and gradients are added in another order).
    assert result["metric_gap"] < 1e-4 and result["variable_gap"] < 1e-4 < result["moved"]
    assert result["restored_gaps"] == [0.0, 0.0] and result["restored_steps"] == [1, 1]


def test_the_runner_trains_mirrored_and_the_run_resumes_on_one_device(tmp_path):
    common = [
        "--experiment=mnist",
        "--batch_size=8",
        f"--logdir={tmp_path / 'runs'}",
        f"--output_dir={tmp_path / 'out'}",
        "--noexport",
        "--noxla",
    ] + [f"--set={item}" for item in GENERATED]
    r = _python("infogan_tf.reproduce", *common, "--steps=3", "--strategy=mirrored", "--cpu_devices=2")
    assert r.returncode == 0, r.stderr[-3000:]
    (metrics_path,) = (tmp_path / "runs").glob("mnist@*/seed0/metrics.json")  # the run name lists the overrides
    metrics = json.loads(metrics_path.read_text())
    assert metrics["step"] == 3 and metrics["strategy"]["replicas"] == 2
    r = _python("infogan_tf.reproduce", *common, "--steps=5")
    assert r.returncode == 0, r.stderr[-3000:]
    metrics = json.loads(metrics_path.read_text())
    assert metrics["step"] == 5 and metrics["strategy"] is None and "step 4/5" in r.stderr


def test_strategy_flags_and_the_settings_a_strategy_cannot_run_are_refused(runner, registry):  # noqa: F811
    # In this process: a stand-in for a 3-replica strategy (TensorFlow's devices are set up already).
    with pytest.raises(reproduce.UsageError, match="--cpu_devices=2 applies to --strategy=mirrored"):
        runner(["--experiment=mnist", "--cpu_devices=2"])
    devices = [f"/job:localhost/replica:0/task:0/device:CPU:{i}" for i in range(3)]
    three = SimpleNamespace(num_replicas_in_sync=3, extended=SimpleNamespace(worker_devices=devices))
    with pytest.raises(configs.ConfigError, match="train.batch_size=8 .* does not split over the 3 replicas"):
        distribute.check(registry.experiment("mnist", ["train.batch_size=8"]), three)
    distribute.check(registry.experiment("mnist", ["train.batch_size=9"]), three)
    fp16 = registry.experiment("mnist", ["train.batch_size=9", "train.precision=mixed_float16"])
    refused = "train.precision=mixed_float16 .*valid under a strategy: .*mixed_bfloat16"
    with pytest.raises(configs.ConfigError, match=refused):
        distribute.check(fp16, three)
    distribute.check(fp16, None)  # without a strategy float16 trains
