"""One experiment from typed config to a trained, evaluated and exported run directory.

Run directory: ``<log_dir>/<run name>/seed<seed>/`` holding ``config.json``, ``checkpoints/``,
``tensorboard/``, ``history.jsonl``, ``metrics.json`` and ``saved_model/``. The run name is the
experiment's, plus the overrides that change what trains (``configs.Experiment.run_name``), so a run
of other settings is never resumed or reused. A run already trained to the requested number of
steps is reused; a partial one is resumed (also to more steps than it was first asked for).
"""

import dataclasses
import functools
import json
import os
import shutil
import sys
import time
from typing import Optional

import numpy as np
import tensorflow as tf
from absl import logging

from infogan_tf import (
    configs,
    data,
    digit_classifier,
    distribute,
    evaluation,
    export,
    figures,
    health,
    inference,
    loop,
    provenance,
)
from infogan_tf.model import InfoGAN


class IncompatibleRunError(ValueError):
    """The run directory holds a run of another configuration."""


@dataclasses.dataclass
class Run:
    experiment: configs.Experiment
    run_dir: str
    model: InfoGAN
    metrics: dict


def saved_experiment(run_dir: str) -> Optional[configs.Experiment]:
    """The experiment a run directory's ``config.json`` records (None when it has none)."""
    record = _read_record(run_dir)
    return None if record is None else _parse_record(record, os.path.join(run_dir, "config.json"))


def _read_record(run_dir: str) -> Optional[dict]:
    path = os.path.join(run_dir, "config.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _parse_record(record: dict, path: str) -> configs.Experiment:
    saved = record["experiment"]
    raw = {k: v for k, v in saved.items() if k not in ("name", "overrides", "changes")}
    return configs.parse_experiment(
        saved["name"], raw, path, overrides=tuple(saved.get("overrides", ())), changes=tuple(saved.get("changes", ()))
    )


def _check_compatible(
    run_dir: str, exp: configs.Experiment, seed: int, num_train_images: int, folder: Optional[str]
) -> None:
    saved = _read_record(run_dir)
    if saved is None:
        return
    try:
        same = (
            _parse_record(saved, os.path.join(run_dir, "config.json")).identity() == exp.identity()
            and saved.get("seed") == seed
        )
    except configs.ConfigError as e:  # written by an older version with keys that no longer exist
        raise IncompatibleRunError(
            f"{run_dir} holds a run whose config this version cannot read ({e}); "
            "pass --retrain to start it again or choose another --logdir"
        ) from None
    if not same:
        raise IncompatibleRunError(
            f"{run_dir} holds a run of a different configuration; pass --retrain to start it again "
            f"or choose another --logdir"
        )
    trained_on = saved.get("image_folder", folder)  # older records do not say
    if trained_on != folder:
        raise IncompatibleRunError(
            f"{run_dir} was trained on the images in {trained_on!r}, and dataset.path={exp.dataset.path!r} now "
            f"finds {folder!r}; pass --retrain to start it again on these, choose another --logdir, or give "
            "the folder by its absolute path (which names a run of its own)"
        )
    seen = saved.get("num_train_images", num_train_images)  # older records do not say
    if seen != num_train_images:
        raise IncompatibleRunError(
            f"{run_dir} was trained on {seen} training images and the data dir now holds {num_train_images}; "
            "pass --retrain to start it again on these or choose another --logdir"
        )


def _summary_images(model, step, writer):
    with writer.as_default():
        for code in model.spec.codes:
            if code.kind == "categorical":
                values = list(range(code.k))
            else:
                values = np.linspace(-2.0, 2.0, 9)
            grid = inference.to_unit_range(
                inference.traverse(model, code.name, values, rows=8, seed=7), model.arch.output_activation
            )
            tf.summary.image(f"traversal/{code.name}", figures.mosaic(grid)[None], step=step)


def run_experiment(
    exp: configs.Experiment,
    seed: int,
    log_dir: str,
    data_dir: Optional[str] = None,
    retrain: bool = False,
    jit_compile: Optional[bool] = None,
    do_export: bool = True,
    download: bool = True,
    reevaluate: bool = False,
    command: Optional[str] = None,
    strategy: Optional[tf.distribute.Strategy] = None,
) -> Run:
    """Trains (or resumes, or reuses) the experiment ``exp`` and evaluates and exports it.

    A run already trained to its steps and evaluated is reused as it is; ``reevaluate`` evaluates it
    (and its untrained networks) again, e.g. after the evaluation was extended.

    Args:
      jit_compile: XLA on or off; None takes the config's ``train.xla``.
      command: the command line to record (default: this process's, as the runner's).
      strategy: train data-parallel under this ``tf.distribute`` strategy (``distribute.make_strategy``);
        None: one device.
    Raises:
      configs.ConfigError: the batch size is larger than the training split, or does not split over
        the strategy's replicas.
      IncompatibleRunError: the run directory holds a run of other settings.
      loop.CheckpointError: the run directory's checkpoints are all damaged.
    """
    jit_compile = exp.train.xla if jit_compile is None else bool(jit_compile)
    command = command or " ".join(["python", "-m", "infogan_tf.reproduce"] + sys.argv[1:])
    name = exp.name
    distribute.check(exp, strategy)  # before the data is loaded
    train = data.load_dataset(exp.dataset, "train", data_dir, download)
    test = data.load_dataset(exp.dataset, "test", data_dir, download)
    if exp.train.batch_size > len(train.images):
        raise configs.ConfigError(
            f"train.batch_size={exp.train.batch_size} (--batch_size, --set train.batch_size or the config "
            f"{exp.source}) is larger than the training split of {name} ({len(train.images)} images); "
            f"valid: 1 to {len(train.images)}"
        )
    logging.info("%s: %d training images, %d test images", name, len(train.images), len(test.images))
    run_dir = os.path.join(log_dir, exp.run_name, f"seed{seed}")
    if retrain and os.path.exists(run_dir):
        logging.info("--retrain: removing %s", run_dir)
        shutil.rmtree(run_dir)
    # An image folder's relative path can find another folder from another directory: the run
    # records the folder it was trained on and refuses to go on with another.
    folder = data.image_folder_root(exp.dataset, data_dir) if exp.dataset.source == "image_folder" else None
    _check_compatible(run_dir, exp, seed, len(train.images), folder)
    os.makedirs(run_dir, exist_ok=True)
    record = {"experiment": exp.to_dict(), "seed": seed, "num_train_images": len(train.images)}
    provenance.write_json(os.path.join(run_dir, "config.json"), record | ({"image_folder": folder} if folder else {}))

    metrics_path = os.path.join(run_dir, "metrics.json")
    previous = {}
    if os.path.exists(metrics_path):
        with open(metrics_path) as f:
            previous = json.load(f)
    settings = json.loads(json.dumps(dataclasses.asdict(exp.evaluation)))
    same_settings = previous.get("evaluation_settings", settings) == settings  # older records have none
    evaluated = "evaluation" in previous and same_settings and not reevaluate  # reused if trained to its step

    # The judge of generation accuracy: loaded (or trained once, then cached) on first use. A run
    # that will train loads it now, so that training it never counts in the run's wall time.
    load_classifier = functools.cache(lambda: digit_classifier.load_or_train(train, test))
    wants_generation = bool(exp.evaluation.generated_digits and exp.latent.categorical)
    classify = (lambda images: load_classifier().predict(images)) if wants_generation else None
    if wants_generation and not (evaluated and previous.get("step") == exp.train.steps):
        load_classifier()
    model = InfoGAN(exp, seed=seed, jit_compile=jit_compile, strategy=strategy)
    act = model.arch.output_activation
    cat_codes = [c.name for c in model.spec.categorical] if test.labels is not None else []
    final = {}  # the evaluation of the last step: computed once, for TensorBoard and for metrics.json

    def on_eval(step):
        if step == exp.train.steps:
            final[step] = evaluation.evaluate_run(model, exp.evaluation, test, classify)
            accuracy = {c: final[step]["evaluation"][c]["accuracy"] for c in cat_codes}
            generation = final[step].get("generation") or {}
        else:
            _, post = inference.encode(model, test.images)  # once for every categorical code
            accuracy = {
                c: evaluation.categorical_accuracy(model, c, test.images, test.labels, post)["accuracy"]
                for c in cat_codes
            }
            generation = (
                {
                    c: evaluation.generation_accuracy(model, c, classify, exp.evaluation.generated_digits)
                    for c in cat_codes
                }
                if classify is not None
                else {}
            )
        out = {}
        for code in cat_codes:
            out[f"eval/{code}_accuracy"] = accuracy[code]
            text = f"step {step}: {code} as a classifier, test accuracy {accuracy[code]:.4f}"
            if code in generation:
                gen = generation[code]
                out[f"eval/{code}_generation_accuracy"] = gen["accuracy"]
                text += f"; generation accuracy {gen['accuracy']:.4f} ({gen['digits_covered']} digits drawn)"
            logging.info("%s", text)
        return out

    t0 = time.time()
    baseline_path = os.path.join(run_dir, "untrained_evaluation.json")
    if exp.evaluation.untrained_baseline and (reevaluate or not os.path.exists(baseline_path)):
        # The same evaluation on the freshly initialised networks (the seed fixes them): what chance
        # and network structure alone give, e.g. an untrained Q's means already correlate with x/y.
        logging.info("%s: evaluating the untrained networks (the baseline)", name)
        provenance.write_json(baseline_path, evaluation.evaluate_run(model, exp.evaluation, test, classify))
    log = exp.logging
    if exp.train.steps <= log.health_warmup:
        logging.info(
            "%s: training health is not checked: %d iterations end within its warm-up (logging.health_warmup=%d)",
            name,
            exp.train.steps,
            log.health_warmup,
        )
    monitor = health.Monitor(  # training health: said once per run, listed in metrics.json
        model.spec,
        mode=exp.mode,
        lambdas=model.lambdas,
        warmup=log.health_warmup,
        run_dir=run_dir,
        sample=lambda: inference.to_unit_range(
            inference.sample(model, health.PROBE_SAMPLES, seed=health.PROBE_SEED), act
        ),
        real_spread=health.reference_spread(train.images),
    )
    last = loop.fit(
        model,
        lambda start: data.training_batches(train.images, model.batch_size, seed, start, act),
        run_dir,
        total_steps=exp.train.steps,
        log_every=log.log_every,
        checkpoint_every=log.checkpoint_every,
        image_every=log.image_every,
        eval_every=log.eval_every,
        on_images=lambda step, writer: _summary_images(model, step, writer),
        on_eval=on_eval if cat_codes else None,
        health=monitor,
    )

    if evaluated and previous.get("step") == int(model.step):
        logging.info("%s: reusing the trained run in %s (step %d)", name, run_dir, int(model.step))
        if previous.get("health") != monitor.records():  # a record from before the checks, or another warm-up
            previous["health"] = monitor.records()
            provenance.write_json(metrics_path, previous)
        return Run(exp, run_dir, model, previous)

    results = final.get(int(model.step)) or evaluation.evaluate_run(model, exp.evaluation, test, classify)
    metrics = {
        "experiment": name,
        "overrides": list(exp.overrides),
        "run_name": exp.run_name,
        "seed": seed,
        "evaluation_settings": settings,
        "step": int(model.step),
        "train_wall_seconds": round(float(model.train_seconds.numpy()), 1),
        "this_invocation_seconds": round(time.time() - t0, 1),
        "commit": provenance.git_commit(),
        "command": command,
        "cpu": provenance.cpu_model(),
        "num_train_images": int(len(train.images)),
        "num_test_images": int(len(test.images)),
        "final_logged": last,
        "jit_compile": model.jit_compile,
        "precision": exp.train.precision,
        "strategy": distribute.describe(strategy),
        "health": monitor.records(),
        **results,
    }
    if previous.get("step") == int(model.step):  # evaluated again: keep what trained it on record
        metrics["trained_by"] = previous.get("trained_by") or {
            k: previous.get(k) for k in ("command", "commit", "this_invocation_seconds")
        }
    if os.path.exists(baseline_path):
        with open(baseline_path) as f:
            metrics["untrained"] = json.load(f)
    for c, r in results["evaluation"].items():
        logging.info("%s: %s test accuracy %.4f (error %.2f%%)", name, c, r["accuracy"], 100 * r["error"])
    for c, r in (results.get("generation") or {}).items():
        logging.info(
            "%s: %s generation accuracy %.4f, %d digits drawn, purity per category %s",
            name,
            c,
            r["accuracy"],
            r["digits_covered"],
            r["purity"],
        )
    if results.get("generation"):
        metrics["digit_classifier"] = load_classifier().record
    if results["continuous_factors"]:
        logging.info(
            "%s: continuous codes by factor %s, scores %s",
            name,
            results["continuous_factors"]["assignment"],
            results["continuous_factors"]["scores"],
        )
    if results.get("factor_correlations"):
        logging.info("%s: |corr| of Q means with known factors %s", name, results["factor_correlations"])
    for code, per_class in (results.get("category_factors") or {}).items():
        logging.info(
            "%s: %s categories within each class: %s",
            name,
            code,
            {c: {"categories": r["categories"], "eta^2": r["eta_squared"]} for c, r in per_class.items()},
        )
    gen = results.get("generated_classes")
    for code, counts in ((gen or {}).get("codes") or {}).items():
        logging.info(
            "%s: classes G draws for each category of %s (%s; the classifier is %.1f%% right on real images): %s",
            name,
            code,
            "/".join(gen["classes"]),
            100 * gen["classifier_accuracy"],
            counts,
        )
    if do_export:
        metrics["saved_model"] = export.export(model, os.path.join(run_dir, "saved_model"))
        logging.info("exported SavedModel to %s", metrics["saved_model"])
    provenance.write_json(metrics_path, metrics)
    return Run(exp, run_dir, model, metrics)
