"""Reproduce a figure of the InfoGAN paper: train (or reuse) its experiments, then draw it.

    python -m infogan_tf.reproduce --figure=mnist_rotation
    python -m infogan_tf.reproduce --figure=all_mnist --data_dir=../shared/tensorflow_datasets
    python -m infogan_tf.reproduce --experiment=mnist --seed=3     # one run, no figure (a sweep's seed)
    python -m infogan_tf.reproduce --experiment=own_grey32 --set dataset.path=~/my_images   # your own images
    tensorboard --logdir runs

Writes ``<output_dir>/<figure>.png`` with ``<figure>.json`` beside it (command, commit, seed, wall
time, what was drawn and how it was chosen), and per experiment a run directory
``<log_dir>/<experiment>[@overrides]/seed<seed>/`` (checkpoints, TensorBoard logs, metrics.json,
saved_model/), with ``<run name>_metrics.json`` and ``<run name>_codes.png`` (every code varied) in
the output dir; ``--set KEY=VALUE`` changes a config value of every experiment the figure needs.
"""

import json
import os
import sys
import time

from absl import app, flags, logging

FLAGS = flags.FLAGS


def define_flags():
    """Defines the runner's flags, once. They are defined when the runner runs, not on import: other
    modules (the sweep, the benchmark) have flags of the same names."""
    if "figure" in FLAGS:
        return
    flags.DEFINE_string("figure", None, "Figure or group to reproduce, e.g. mnist_rotation or all_mnist.")
    flags.DEFINE_string(
        "experiment",
        None,
        "Instead of a figure: train (or resume, or reuse), evaluate and export one "
        "experiment, e.g. mnist; writes its metrics and its sheet of every code. One seed of a sweep.",
    )
    flags.DEFINE_multi_string(
        "set",
        [],
        "Override a config value of every experiment the figure needs, validated "
        "like the file: --set train.lambda_disc=2 --set latent.codes.c2.learn_std=true (repeatable; "
        "the value is JSON or else a string). A run with overrides is a run of its own.",
    )
    flags.DEFINE_integer("steps", None, "Training iterations per experiment: short for --set train.steps=N.")
    flags.DEFINE_integer("batch_size", None, "Batch size: short for --set train.batch_size=N.")
    flags.DEFINE_enum(
        "precision",
        None,
        ["float32", "mixed_bfloat16", "mixed_float16"],
        "Compute precision: short for --set train.precision=P. Mixed precision is faster on CPUs with "
        "AMX/AVX-512 BF16 and on GPUs, and names a run of its own; the default float32 is the paper's.",
    )
    flags.DEFINE_integer("seed", 0, "Seed for initialisation, latents and data order.")
    flags.DEFINE_string(
        "logdir", "runs", "Where run directories (checkpoints, TensorBoard logs) go; point tensorboard --logdir here."
    )
    flags.DEFINE_string("output_dir", "results", "Where figure PNGs and their JSON records go.")
    flags.DEFINE_string("data_dir", None, "TFDS data dir (default: $TFDS_DATA_DIR, else TFDS's default).")
    flags.DEFINE_string("config_dir", None, "Directory of experiment/figure JSON configs (default: paper_configs).")
    flags.DEFINE_string("code", None, "Override which code a traversal figure varies, e.g. c3.")
    flags.DEFINE_bool("retrain", False, "Discard existing runs of the needed experiments and train again.")
    flags.DEFINE_bool(
        "reevaluate",
        False,
        "Evaluate runs already trained to their steps again instead of "
        "reusing their metrics.json (e.g. after an update added measurements); the record keeps the "
        "training command under trained_by.",
    )
    flags.DEFINE_bool(
        "xla",
        True,
        "Compile the train step with XLA (jit_compile). Unless given, each experiment "
        "follows its config (train.xla; true unless the config says false, as svhn and celeba do).",
    )
    flags.DEFINE_enum(
        "strategy",
        "none",
        ["none", "mirrored"],
        "Where to train: one device (none), or data-parallel "
        "over every visible GPU with tf.distribute.MirroredStrategy (mirrored; without GPUs, over the "
        "CPU's logical devices, see --cpu_devices). How a run runs, not what it is: it resumes either way.",
    )
    flags.DEFINE_integer(
        "cpu_devices",
        0,
        "With --strategy=mirrored: split the CPU into this many logical devices and "
        "mirror over them instead of the GPUs (to test the mirrored step without GPUs; 0: leave it whole).",
    )
    flags.DEFINE_bool("export", True, "Write a SavedModel for each trained experiment.")
    flags.DEFINE_bool("download", True, "Let TFDS download a dataset that is not prepared in the data dir.")
    flags.DEFINE_bool("list", False, "List the figures, groups and experiments and exit.")


class UsageError(app.UsageError):
    pass


def _validate(registry):
    if FLAGS.list:
        return
    if FLAGS.figure is None and FLAGS.experiment is None:
        raise UsageError(
            f"--figure is required (or --experiment). Valid figures: "
            f"{', '.join(registry.valid_figure_names())}; experiments: {', '.join(sorted(registry.experiments))}"
        )
    if FLAGS.figure is not None and FLAGS.experiment is not None:
        raise UsageError(f"--figure={FLAGS.figure} and --experiment={FLAGS.experiment}: give one of them")
    if FLAGS.experiment is not None and FLAGS.code is not None:
        raise UsageError("--code applies to a traversal figure, not to --experiment")
    for flag in ("steps", "batch_size"):
        value = getattr(FLAGS, flag)
        if value is not None and value < 1:
            raise UsageError(f"--{flag}={value}: must be a positive integer")
    if FLAGS.seed < 0:
        raise UsageError(f"--seed={FLAGS.seed}: must be >= 0")
    if FLAGS.cpu_devices < 0:
        raise UsageError(f"--cpu_devices={FLAGS.cpu_devices}: must be >= 0")
    if FLAGS.cpu_devices and FLAGS.strategy != "mirrored":
        raise UsageError(
            f"--cpu_devices={FLAGS.cpu_devices} applies to --strategy=mirrored (the strategy is {FLAGS.strategy})"
        )


def overrides() -> list:
    """The --set items, with --steps and --batch_size as the shorthands they are."""
    items = list(FLAGS.set)
    if FLAGS.steps is not None:
        items.append(f"train.steps={FLAGS.steps}")
    if FLAGS.batch_size is not None:
        items.append(f"train.batch_size={FLAGS.batch_size}")
    if FLAGS.precision is not None:
        items.append(f"train.precision={FLAGS.precision}")
    return items


def main(argv):
    if len(argv) > 1:
        raise UsageError(f"unexpected arguments {argv[1:]}; flags take the form --name=value")
    from infogan_tf import configs, distribute  # after flag parsing: --help stays fast (they import TensorFlow)

    try:
        registry = configs.Registry(FLAGS.config_dir)
        _validate(registry)
        if FLAGS.cpu_devices:
            distribute.split_cpu(FLAGS.cpu_devices)  # before TensorFlow's first operation
        if FLAGS.list:
            for name in sorted(registry.figures):
                print(f"{name:24s} {registry.figures[name].paper}")
            for name, members in sorted(registry.groups.items()):
                print(f"{name:24s} group: {', '.join(members)}")
            for name in sorted(registry.experiments):  # for --experiment, e.g. own_grey32 (your own images)
                print(f"{name:24s} experiment: {registry.experiments[name].paper}")
            return 0
        names = registry.expand(FLAGS.figure) if FLAGS.figure else []
        experiments = {FLAGS.experiment: registry.experiment(FLAGS.experiment, overrides())} if FLAGS.experiment else {}
        for name in names:
            for exp in registry.figure_experiments(name):
                if exp not in experiments:
                    experiments[exp] = registry.experiment(exp, overrides())
            configs.check_figure(registry.figures[name], experiments)  # --set may have removed its code
    except configs.ConfigError as e:
        raise UsageError(str(e)) from None
    if FLAGS.code is not None:
        fig = registry.figures[names[0]]
        if len(names) != 1 or fig.kind not in ("categorical", "continuous"):
            raise UsageError("--code applies to a single traversal figure, not to a group or a curve")
        codes = [c.name for c in experiments[fig.experiment].latent.codes if c.kind == fig.kind]
        if FLAGS.code not in codes:
            raise UsageError(
                f"--code={FLAGS.code}: figure {names[0]} varies a {fig.kind} code; valid: {', '.join(codes)}"
            )

    from infogan_tf import data, experiment, figures, loop, provenance  # noqa: E402

    strategy = distribute.make_strategy(FLAGS.strategy, cpu=bool(FLAGS.cpu_devices))
    runs = {}
    started = time.time()
    command = " ".join(["python", "-m", "infogan_tf.reproduce"] + sys.argv[1:])
    for name, exp in experiments.items():
        logging.info(
            "experiment %s: %d steps at batch %d (%s)%s",
            name,
            exp.train.steps,
            exp.train.batch_size,
            exp.paper,
            f"; overrides {', '.join(exp.overrides)}" if exp.overrides else "",
        )
        try:
            runs[name] = experiment.run_experiment(
                exp,
                FLAGS.seed,
                FLAGS.logdir,
                FLAGS.data_dir,
                retrain=FLAGS.retrain,
                reevaluate=FLAGS.reevaluate,
                jit_compile=FLAGS.xla if FLAGS["xla"].present else None,
                do_export=FLAGS.export,
                download=FLAGS.download,
                command=command,
                strategy=strategy,
            )
        except configs.ConfigError as e:
            raise UsageError(str(e)) from None
        except (
            data.DataUnavailableError,
            data.ImageFolderError,
            experiment.IncompatibleRunError,
            loop.CheckpointError,
        ) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        except (KeyboardInterrupt, loop.TrainingInterrupted):
            print(
                f"interrupted: {name} is checkpointed in {FLAGS.logdir}; run the same command to resume",
                file=sys.stderr,
            )
            return 130
    os.makedirs(FLAGS.output_dir, exist_ok=True)
    for run in runs.values():
        stem = run.experiment.run_name
        with open(os.path.join(FLAGS.output_dir, f"{stem}_metrics.json"), "w") as f:
            json.dump(run.metrics, f, indent=2)
        path = figures.save_code_sheet(
            run,
            os.path.join(FLAGS.output_dir, f"{stem}_codes.png"),
            f"{stem}: every code, the other latents fixed along each row",
        )
        print(f"wrote {path}")  # every run also gets a sheet of every code
    for name in names:
        fig = registry.figures[name]
        fig_runs = [runs[e] for e in registry.figure_experiments(name)]
        fig_changes = sorted({c for r in fig_runs for c in r.experiment.changes})
        info = figures.render(
            fig, runs, FLAGS.output_dir, code_override=FLAGS.code, stem=name + configs.override_suffix(fig_changes)
        )
        info.update(
            command=command,
            commit=provenance.git_commit(),
            seed=FLAGS.seed,
            overrides=sorted({o for r in fig_runs for o in r.experiment.overrides}),
            experiments={
                r.experiment.name: {k: r.metrics.get(k) for k in ("step", "train_wall_seconds", "commit", "command")}
                | {"run_dir": r.run_dir}
                for r in fig_runs
            },
            invocation_seconds=round(time.time() - started, 1),
        )
        with open(os.path.join(FLAGS.output_dir, os.path.basename(info["path"])[:-4] + ".json"), "w") as f:
            json.dump(info, f, indent=2)
        logging.info("wrote %s", info["path"])
        print(f"wrote {info['path']}")
    return 0


def run():
    define_flags()
    app.run(lambda argv: sys.exit(main(argv)))


if __name__ == "__main__":
    run()
