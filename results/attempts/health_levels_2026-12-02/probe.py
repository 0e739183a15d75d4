"""The levels the training-health checks (infogan_tf/health.py) see on the project's real MNIST runs.

For each finished seed of the MNIST study (runs/<experiment>/seed<N>, as results/mnist_study/run.sh
trains them): the health monitor replayed over the whole history.jsonl (what warnings it raises), and
after the 500-iteration warm-up the lowest median D(G(z)) over 500 iterations and the range of each
code's L_I averaged over 100; then the per-pixel spread of 256 samples of the trained G, of a freshly
initialised G of the same config and seed, and of 256 real training images (health.reference_spread).

    python results/attempts/health_levels_2026-12-02/probe.py --logdir=runs \
        --data_dir=../shared/tensorflow_datasets > results/attempts/health_levels_2026-12-02/levels.json
"""

import argparse
import json
import os
import platform
import time

import numpy as np

from infogan_tf import api, configs, data, health, inference, provenance
from infogan_tf.model import InfoGAN


def window_levels(rows, warmup=health.WARMUP):
    """After the warm-up: min over steps of the 500-iteration median D(G(z)), and per code the range of
    the 100-iteration mean L_I (the statistics the checks compare with their thresholds)."""
    d = [(r["step"], r["d_fake"]) for r in rows]
    medians = [
        float(np.median([v for t, v in d if s - health.D_WINS_SPAN <= t <= s])) for s, _ in d if s >= warmup + 500
    ]
    codes = sorted(k for k in rows[0] if k.startswith("L_I/") and k != "L_I/total")
    means = {}
    for k in codes:
        series = [(r["step"], r[k]) for r in rows]
        m = [float(np.mean([v for t, v in series if s - health.WINDOW < t <= s])) for s, _ in series if s >= warmup]
        means[k[4:]] = [round(min(m), 4), round(max(m), 4)]
    return {"min_median_d_fake": round(min(medians), 4), "L_I_window_mean_range": means}


def fresh_spread(model):
    """The monitor's statistic for an ``InfoGAN`` (as experiment.py's probe draws it)."""
    images = inference.sample(model, health.PROBE_SAMPLES, seed=health.PROBE_SEED)
    return health.pixel_spread(inference.to_unit_range(images, model.arch.output_activation))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--logdir", default="runs")
    parser.add_argument("--data_dir", default=None)
    args = parser.parse_args()
    t0 = time.time()
    registry = configs.Registry()
    out = {
        "command": "python results/attempts/health_levels_2026-12-02/probe.py "
        f"--logdir={args.logdir} --data_dir={args.data_dir}",
        "commit": provenance.git_commit(),
        "cpu": provenance.cpu_model(),
        "python": platform.python_version(),
        "runs": {},
    }
    real = None
    for experiment in ("mnist", "mnist_paper"):
        exp = registry.experiment(experiment)
        for seed in range(10):
            run_dir = os.path.join(args.logdir, experiment, f"seed{seed}")
            rows = provenance.read_jsonl(os.path.join(run_dir, "history.jsonl"))
            if not rows or rows[-1]["step"] < exp.train.steps:
                continue
            monitor = health.Monitor(exp.latent, mode=exp.mode, lambdas={}, warmup=health.WARMUP)
            for r in rows:
                monitor.observe(r["step"], r, emit=False)
            if real is None:
                real = health.reference_spread(data.load_dataset(exp.dataset, "train", args.data_dir).images)
            trained = api.load(run_dir)
            out["runs"][f"{experiment}/seed{seed}"] = {
                "steps": rows[-1]["step"],
                "warnings": [w["summary"] for w in monitor.records()],
                **window_levels(rows),
                "trained_G_spread": round(
                    health.pixel_spread(
                        trained.to_unit_range(trained.sample(health.PROBE_SAMPLES, seed=health.PROBE_SEED))
                    ),
                    4,
                ),
                "fresh_G_spread": round(fresh_spread(InfoGAN(exp, seed=seed)), 5),
            }
    out["real_spread"] = round(real, 4) if real is not None else None
    out["wall_seconds"] = round(time.time() - t0, 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
