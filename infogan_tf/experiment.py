"""One experiment from config to a trained, evaluated and exported run directory.

Run directory: ``<log_dir>/<experiment>/seed<seed>/`` holding ``config.json``, ``checkpoints/``,
``tensorboard/``, ``history.jsonl``, ``metrics.json`` and ``saved_model/``. A run that is already
trained to the requested number of steps is reused; a partial one is resumed.
"""

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Optional

import numpy as np
import tensorflow as tf
from absl import logging

from infogan_tf import data, evaluation, export, figures, trainer

# Keys a run may change without invalidating an existing run directory.
_RESUMABLE_KEYS = ("steps",)


class IncompatibleRunError(ValueError):
    """The run directory holds a run of another configuration."""


@dataclasses.dataclass
class Run:
    cfg: dict
    run_dir: str
    model: trainer.InfoGAN
    metrics: dict


def git_commit() -> str:
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, check=True).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _check_compatible(run_dir: str, cfg: dict, seed: int) -> None:
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        return
    with open(path) as f:
        saved = json.load(f)
    old = dict(saved["experiment"], train={k: v for k, v in saved["experiment"]["train"].items()
                                           if k not in _RESUMABLE_KEYS})
    new = dict(cfg, train={k: v for k, v in cfg["train"].items() if k not in _RESUMABLE_KEYS})
    for key in ("logging", "notes", "paper"):
        old.pop(key, None)
        new.pop(key, None)
    if old != new or saved.get("seed") != seed:
        raise IncompatibleRunError(
            f"{run_dir} holds a run of a different configuration; pass --retrain to start it again "
            f"or choose another --logdir")


def _summary_images(model, step, writer):
    with writer.as_default():
        for code in model.spec.codes:
            if code.kind == "categorical":
                values = list(range(code.k))
            else:
                values = np.linspace(-2.0, 2.0, 9)
            grid = figures.to_unit_range(evaluation.traverse(model, code.name, values, rows=8, seed=7),
                                         model.arch.output_activation)
            tf.summary.image(f"traversal/{code.name}", figures.mosaic(grid)[None], step=step)


def run_experiment(cfg: dict, seed: int, log_dir: str, data_dir: Optional[str] = None,
                   retrain: bool = False, jit_compile: bool = True, do_export: bool = True,
                   download: bool = True) -> Run:
    """Trains (or resumes, or reuses) the experiment ``cfg`` and evaluates and exports it."""
    name = cfg["name"]
    run_dir = os.path.join(log_dir, name, f"seed{seed}")
    if retrain and os.path.exists(run_dir):
        logging.info("--retrain: removing %s", run_dir)
        shutil.rmtree(run_dir)
    _check_compatible(run_dir, cfg, seed)
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(run_dir, "config.json"), "w") as f:
        json.dump({"experiment": cfg, "seed": seed}, f, indent=2)

    train_images, _ = data.load_split(cfg["dataset"], "train", data_dir, download)
    test_images, test_labels = data.load_split(cfg["dataset"], "test", data_dir, download)
    logging.info("%s: %d training images, %d test images", cfg["dataset"], len(train_images), len(test_images))
    model = trainer.InfoGAN(cfg, seed=seed, jit_compile=jit_compile)
    tcfg, lcfg = cfg["train"], cfg.get("logging", {})
    act = model.arch.output_activation
    cat_codes = [c.name for c in model.spec.categorical]

    def on_eval(step):
        out = {}
        for code in cat_codes:
            acc = evaluation.categorical_accuracy(model, code, test_images, test_labels)["accuracy"]
            logging.info("step %d: %s as a classifier, test accuracy %.4f", step, code, acc)
            out[f"eval/{code}_accuracy"] = acc
        return out

    t0 = time.time()
    last = trainer.fit(
        model, lambda start: data.training_batches(train_images, model.batch_size, seed, start, act),
        run_dir, total_steps=int(tcfg["steps"]), log_every=int(lcfg.get("log_every", 10)),
        checkpoint_every=int(lcfg.get("checkpoint_every", 250)),
        image_every=int(lcfg.get("image_every", 0)), eval_every=int(lcfg.get("eval_every", 0)),
        on_images=lambda step, writer: _summary_images(model, step, writer),
        on_eval=on_eval if cat_codes else None)

    metrics_path = os.path.join(run_dir, "metrics.json")
    previous = {}
    if os.path.exists(metrics_path):
        with open(metrics_path) as f:
            previous = json.load(f)
    if previous.get("step") == int(model.step) and previous.get("evaluation"):
        logging.info("%s: reusing the trained run in %s (step %d)", name, run_dir, int(model.step))
        return Run(cfg, run_dir, model, previous)

    evaluation_results = {c: evaluation.categorical_accuracy(model, c, test_images, test_labels)
                          for c in cat_codes}
    factor_scores = evaluation.continuous_factor_scores(model) if model.spec.continuous else {}
    metrics = {
        "experiment": name, "seed": seed, "step": int(model.step),
        "train_wall_seconds": round(float(model.train_seconds.numpy()), 1),
        "this_invocation_seconds": round(time.time() - t0, 1),
        "commit": git_commit(), "command": " ".join(["python", "-m", "infogan_tf.reproduce"] + sys.argv[1:]),
        "num_train_images": int(len(train_images)), "num_test_images": int(len(test_images)),
        "final_logged": last, "evaluation": evaluation_results, "continuous_factors": factor_scores,
        "jit_compile": jit_compile,
    }
    for c, r in evaluation_results.items():
        logging.info("%s: %s test accuracy %.4f (error %.2f%%)", name, c, r["accuracy"], 100 * r["error"])
    if factor_scores:
        logging.info("%s: continuous codes by factor %s, scores %s", name,
                     factor_scores["assignment"], factor_scores["scores"])
    if do_export:
        metrics["saved_model"] = export.export(model, os.path.join(run_dir, "saved_model"))
        logging.info("exported SavedModel to %s", metrics["saved_model"])
    tmp = metrics_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(metrics, f, indent=2)
    os.replace(tmp, metrics_path)
    return Run(cfg, run_dir, model, metrics)
