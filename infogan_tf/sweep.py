"""One experiment over many seeds: how often does a run find what the paper reports?

    python -m infogan_tf.sweep --experiment=mnist --seeds=0-9
    python -m infogan_tf.sweep --experiment=mnist --seeds=0-9 --set leaky_slope=0.1 --parallel=2

Each seed is one run of the runner (``python -m infogan_tf.reproduce --experiment=... --seed=...``)
in its own process, so a seed trains, resumes from its checkpoint, or is reused when it is done, as
a run of the runner is. ``--parallel=N`` runs N seeds at once and divides the cores among them (each
child gets cores/N TensorFlow threads). An interrupted sweep (Ctrl-C, SIGTERM) checkpoints the
running seeds; the same command resumes it.

Writes ``<output_dir>/<run name>/sweep_seeds<seeds>.{json,md,png}``: per seed every categorical
code's test accuracy and generation accuracy, the label-free score, final L_I per code, the first
logged step at which each code's L_I reaches ``--li_threshold``, how well each continuous code
tracks each factor (rotation, width), the CPU, the training wall time and
the command that reruns that seed alone; across seeds mean, standard deviation, median, min, max,
the best seed, and the seed the label-free rule picks (the largest I(c; x) of Q on the real test
images, ``evaluation.label_free_scores``; no labels). Each seed's console output is kept in
``seed<k>.log`` beside the record, its metrics and code sheet in ``seed<k>/``.
"""

import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import time
from typing import List, Optional

from absl import app, flags

from infogan_tf import provenance  # no TensorFlow: the sweep's parent process never loads it

FLAGS = flags.FLAGS


def define_flags():
    """Defines the sweep's flags, once, when it runs (not on import: the runner has flags of the same names)."""
    if "seeds" in FLAGS:
        return
    flags.DEFINE_string("experiment", None, "The experiment to sweep, e.g. mnist.")
    flags.DEFINE_string("seeds", "0-9", "Seeds: a range 0-9, a list 0,3,5, or a mix 0-4,7.")
    flags.DEFINE_multi_string("set", [], "Override a config value, as the runner's --set (repeatable).")
    flags.DEFINE_integer("steps", None, "Training iterations: short for --set train.steps=N.")
    flags.DEFINE_enum(
        "precision",
        None,
        ["float32", "mixed_bfloat16", "mixed_float16"],
        "Compute precision of every seed: short for --set train.precision=P.",
    )
    flags.DEFINE_integer(
        "parallel",
        None,
        "Seeds trained at once, each in its own process with cores/N threads "
        "(default: 2 on a machine with 2 or more cores, where two at once train 1.61x the iterations "
        "per hour of one at a time on 2 cores, results/benchmarks.md; else 1).",
    )
    flags.DEFINE_integer(
        "threads",
        None,
        "TensorFlow threads of each seed (default: cores/N with --parallel=N; every core for one at a "
        "time). For sweeps that share the cores with other work, e.g. two sweeps at once on 2 cores, "
        "each --parallel=1 --threads=1.",
    )
    flags.DEFINE_string("logdir", "runs", "Where the run directories go (as the runner's --logdir).")
    flags.DEFINE_string("output_dir", os.path.join("results", "sweeps"), "Where sweep records go.")
    flags.DEFINE_string("data_dir", None, "TFDS data dir (default: $TFDS_DATA_DIR, else TFDS's default).")
    flags.DEFINE_string("config_dir", None, "Directory of experiment JSON configs (default: paper_configs).")
    flags.DEFINE_bool("xla", None, "XLA on or off for every seed (default: the config's train.xla).")
    flags.DEFINE_bool("export", True, "Write each seed's SavedModel.")
    flags.DEFINE_float(
        "li_threshold", 2.0, "Record the first logged step at which each code's L_I reaches this (nats)."
    )


THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")


class UsageError(app.UsageError):
    pass


def parse_seeds(text: str) -> List[int]:
    """ "0-9" / "0,3,5" / "0-4,7" to a sorted list of distinct seeds."""
    seeds = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not m or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise UsageError(
                f"--seeds={text}: {part.strip()!r} is not a seed or a range a-b with a <= b "
                f"(valid e.g. 0-9, 0,3,5 or 0-4,7)"
            )
        lo = int(m.group(1))
        seeds.update(range(lo, int(m.group(2) or lo) + 1))
    return sorted(seeds)


def seed_command(seed: int, seed_dir: str) -> List[str]:
    """The runner's command for one seed: what the sweep runs, and what reruns that seed alone."""
    args = [
        "python",
        "-m",
        "infogan_tf.reproduce",
        f"--experiment={FLAGS.experiment}",
        f"--seed={seed}",
        f"--logdir={FLAGS.logdir}",
        f"--output_dir={seed_dir}",
    ]
    args += [f"--set={item}" for item in FLAGS.set]
    if FLAGS.steps is not None:
        args.append(f"--steps={FLAGS.steps}")
    if FLAGS.precision is not None:
        args.append(f"--precision={FLAGS.precision}")
    for name in ("data_dir", "config_dir"):
        if getattr(FLAGS, name):
            args.append(f"--{name}={getattr(FLAGS, name)}")
    if FLAGS.xla is not None:
        args.append("--xla" if FLAGS.xla else "--noxla")
    if not FLAGS.export:
        args.append("--noexport")
    return args


def default_parallel() -> int:
    """Seeds at once when --parallel is not given: 2 with at least 2 cores (measured faster on 2 cores:
    results/benchmarks.md), else 1."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def thread_env(parallel: int, threads: Optional[int] = None) -> dict:
    """Environment variables giving each of ``parallel`` children ``threads`` TensorFlow threads, by
    default its share of the cores ({} for one child: TensorFlow's own default, every core)."""
    if threads is None and parallel <= 1:
        return {}
    share = str(threads if threads is not None else max(1, (os.cpu_count() or 1) // parallel))
    return {var: share for var in THREAD_VARIABLES}


# --- what one seed's run says ---------------------------------------------------------------------
def _history(run_dir: str) -> List[dict]:
    return provenance.read_jsonl(os.path.join(run_dir, "history.jsonl"))


def seed_row(seed: int, run_dir: str, threshold: float) -> dict:
    """The sweep's record of one finished seed, read from its run directory."""
    with open(os.path.join(run_dir, "metrics.json")) as f:
        m = json.load(f)
    history = _history(run_dir)
    codes = sorted(k[4:] for k in m.get("final_logged", {}) if k.startswith("L_I/") and k != "L_I/total")
    first = {}
    for code in codes:
        steps = [h["step"] for h in history if h.get(f"L_I/{code}", float("-inf")) >= threshold]
        first[code] = steps[0] if steps else None
    return {
        "seed": seed,
        "run_dir": run_dir,
        "step": m["step"],
        "accuracy": {c: r["accuracy"] for c, r in m.get("evaluation", {}).items()},
        "generation_accuracy": {c: r["accuracy"] for c, r in (m.get("generation") or {}).items()},
        "digits_drawn": {c: r["digits_covered"] for c, r in (m.get("generation") or {}).items()},
        "label_free": {c: r["mutual_information"] for c, r in (m.get("label_free") or {}).items()},
        "final_L_I": {c: m["final_logged"][f"L_I/{c}"] for c in codes},
        # {factor: {code: score}}: how well each continuous code tracks rotation and width (MNIST)
        "factor_scores": (m.get("continuous_factors") or {}).get("scores", {}),
        "peak_L_I": {c: max((h[f"L_I/{c}"] for h in history if f"L_I/{c}" in h), default=None) for c in codes},
        "first_step_L_I_reaches_threshold": first,
        "d_fake_final": m.get("final_logged", {}).get("d_fake"),
        "d_fake_mean_last_1000": _mean(
            [h["d_fake"] for h in history if "d_fake" in h and h["step"] > m["step"] - 1000]
        ),
        "cpu": m.get("cpu"),
        "train_wall_seconds": m.get("train_wall_seconds"),
        "commit": m.get("commit"),
        "num_train_images": m.get("num_train_images"),
        "trained_by": (m.get("trained_by") or {}).get("command"),
    }


def _mean(xs):
    return statistics.fmean(xs) if xs else None


def describe(values: dict) -> Optional[dict]:
    """mean, sd, median, min, max, n and the best seed of {seed: value} (None values left out)."""
    values = {s: v for s, v in values.items() if v is not None}
    if not values:
        return None
    xs = list(values.values())
    best = max(values, key=lambda s: (values[s], -s))
    return {
        "n": len(xs),
        "mean": statistics.fmean(xs),
        "sd": statistics.stdev(xs) if len(xs) > 1 else 0.0,
        "median": statistics.median(xs),
        "min": min(xs),
        "max": max(xs),
        "best_seed": best,
    }


def summarise(rows: List[dict]) -> dict:
    """Across-seed statistics of every per-seed measure, and the label-free pick against the best seed."""
    done = [r for r in rows if "error" not in r]
    out = {}
    for key in (
        "accuracy",
        "generation_accuracy",
        "digits_drawn",
        "label_free",
        "final_L_I",
        "peak_L_I",
        "first_step_L_I_reaches_threshold",
    ):
        codes = sorted({c for r in done for c in r[key]})
        out[key] = {c: describe({r["seed"]: r[key].get(c) for r in done}) for c in codes}
    if out["first_step_L_I_reaches_threshold"]:  # earlier is not "best": no best seed for it
        for st in out["first_step_L_I_reaches_threshold"].values():
            if st:
                st["best_seed"] = None
    out["train_wall_seconds"] = describe({r["seed"]: r["train_wall_seconds"] for r in done})
    pick = {}
    for code in sorted({c for r in done for c in r["label_free"]}):
        scores = {r["seed"]: r["label_free"][code] for r in done if code in r["label_free"]}
        chosen = max(scores, key=lambda s: (scores[s], -s))  # ties: the lowest seed
        entry = {"seed": chosen, "label_free": scores[chosen]}
        acc = {r["seed"]: r["accuracy"].get(code) for r in done if r["accuracy"].get(code) is not None}
        if acc:
            ranked = sorted(acc, key=lambda s: (-acc[s], s))
            entry.update(
                accuracy=acc.get(chosen),
                best_seed=ranked[0],
                best_accuracy=acc[ranked[0]],
                rank_by_accuracy=ranked.index(chosen) + 1 if chosen in acc else None,
            )
        gen = {r["seed"]: r["generation_accuracy"].get(code) for r in done}
        if gen.get(chosen) is not None:
            entry["generation_accuracy"] = gen[chosen]
        pick[code] = entry
    out["label_free_pick"] = pick
    return out


# --- the record -----------------------------------------------------------------------------------
def _fmt(v, pct=False):
    if v is None:
        return "-"
    if pct:
        return f"{100 * v:.2f}%"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def markdown(record: dict) -> str:
    rows, summary = record["seeds"], record["summary"]
    done = [r for r in rows if "error" not in r]
    cat = sorted({c for r in done for c in r["accuracy"]} | {c for r in done for c in r["label_free"]})
    li = sorted({c for r in done for c in r["final_L_I"]})
    reached = [c for c in li if any(r["first_step_L_I_reaches_threshold"].get(c) is not None for r in done)]
    t = record["li_threshold"]
    head = (
        ["seed"]
        + [f"{c} accuracy" for c in cat]
        + [f"{c} generation accuracy (digits drawn)" for c in cat]
        + [f"{c} label-free I(c;x)" for c in cat]
        + [f"final L_I {c}" for c in li]
        + [f"first logged step L_I {c} >= {t:g}" for c in reached]
        + ["D(G(z)), last 1,000 its", "CPU", "wall (min)"]
    )
    lines = [
        f"# Sweep: {record['run_name']}, seeds {record['seeds_spec']}",
        "",
        f"Command: `{record['command']}` at commit {record['commit']}. Each seed reruns alone with the "
        f"command in `{os.path.basename(record['json'])}` (`seeds[i].command`).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in rows:
        if "error" in r:
            last = [line for line in (r["error"] or "").splitlines() if line.strip()]
            why = (last[-1] if last else f"exit {r.get('exit_code')}").replace("|", "/")
            lines.append(f"| {r['seed']} | failed: {why} |" + " |" * (len(head) - 2))
            continue
        if r["step"] != record.get("steps", r["step"]):
            r = dict(r, seed=f"{r['seed']} (trained to {r['step']}, not {record['steps']})")
        cells = [str(r["seed"])] + [_fmt(r["accuracy"].get(c), True) for c in cat]
        cells += [f"{_fmt(r['generation_accuracy'].get(c), True)} ({_fmt(r['digits_drawn'].get(c))})" for c in cat]
        cells += [_fmt(r["label_free"].get(c)) for c in cat] + [_fmt(r["final_L_I"][c]) for c in li]
        cells += [_fmt(r["first_step_L_I_reaches_threshold"].get(c)) for c in reached]
        cells += [_fmt(r.get("d_fake_mean_last_1000")), r["cpu"] or "-", _fmt((r["train_wall_seconds"] or 0) / 60.0)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| across seeds | mean ± sd | median | min | max | best seed | n |", "|---|---|---|---|---|---|---|"]
    for key, label, pct in (
        ("accuracy", "accuracy", True),
        ("generation_accuracy", "generation accuracy", True),
        ("label_free", "label-free I(c;x)", False),
        ("final_L_I", "final L_I", False),
        ("peak_L_I", "peak L_I", False),
        ("first_step_L_I_reaches_threshold", f"first step L_I >= {t:g}", False),
    ):
        for code, s in summary[key].items():
            if s:
                best = "-" if s["best_seed"] is None else s["best_seed"]
                lines.append(
                    f"| {code} {label} | {_fmt(s['mean'], pct)} ± {_fmt(s['sd'], pct)} | "
                    f"{_fmt(s['median'], pct)} | {_fmt(s['min'], pct)} | {_fmt(s['max'], pct)} | "
                    f"{best} | {s['n']} |"
                )
    if summary["train_wall_seconds"]:
        w = summary["train_wall_seconds"]
        lines.append(
            f"| training wall time (min) | {w['mean'] / 60:.1f} ± {w['sd'] / 60:.1f} | {w['median'] / 60:.1f} | "
            f"{w['min'] / 60:.1f} | {w['max'] / 60:.1f} | - | {w['n']} |"
        )
    for code, p in summary["label_free_pick"].items():
        text = f"- **Label-free pick ({code})**: seed {p['seed']} (I(c;x) = {p['label_free']:.3f} nats)"
        if "accuracy" in p:
            ranked = sum(1 for r in done if r["accuracy"].get(code) is not None)
            text += (
                f", accuracy {_fmt(p['accuracy'], True)}, rank {p['rank_by_accuracy']} of {ranked}; the best "
                f"seed by accuracy is {p['best_seed']} ({_fmt(p['best_accuracy'], True)})"
            )
        lines += ["", text + "."]
    return "\n".join(lines) + "\n"


def plot(record: dict, path: str) -> str:
    """Per-seed accuracies (the label-free pick ringed) and every seed's L_I curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [r for r in record["seeds"] if "error" not in r]
    measures = [
        (f"{c} {label}", key, c)
        for key, label in (("accuracy", "test accuracy"), ("generation_accuracy", "generation accuracy"))
        for c in sorted({c for r in done for c in r[key]})
    ]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    for i, (_label, key, code) in enumerate(measures):
        pts = [(r["seed"], r[key][code]) for r in done if r[key].get(code) is not None]
        ax.scatter([i] * len(pts), [v for _, v in pts], color="C0", zorder=3)
        for seed, v in pts:
            ax.annotate(str(seed), (i, v), xytext=(6, 0), textcoords="offset points", fontsize=7, va="center")
        if pts:
            vals = [v for _, v in pts]
            ax.errorbar(
                i - 0.15,
                statistics.fmean(vals),
                yerr=statistics.stdev(vals) if len(vals) > 1 else 0,
                fmt="s",
                color="C1",
                capsize=4,
                label="mean ± sd" if i == 0 else None,
            )
        pick = record["summary"]["label_free_pick"].get(code)
        if pick and r_value(done, pick["seed"], key, code) is not None:
            ax.scatter(
                [i],
                [r_value(done, pick["seed"], key, code)],
                s=160,
                facecolors="none",
                edgecolors="C3",
                label="label-free pick" if i == 0 else None,
                zorder=4,
            )
    if record.get("paper_accuracy"):
        ax.axhline(record["paper_accuracy"], ls="--", color="grey", label=f"paper ({record['paper_accuracy']:.0%})")
    ax.set_xticks(range(len(measures)), [m[0] for m in measures], fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.set_title("per seed")
    if measures:
        ax.legend(fontsize=7, loc="lower left")
    ax = axes[1]
    code = sorted({c for r in done for c in r["final_L_I"]})[:1]
    for r in done:
        hist = [(h["step"], h[f"L_I/{code[0]}"]) for h in _history(r["run_dir"]) if code and f"L_I/{code[0]}" in h]
        if hist:
            ax.plot(*zip(*hist), lw=0.8, label=f"seed {r['seed']}")
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"L_I({code[0]}) (nats)" if code else "L_I")
    ax.set_title("the lower bound over training")
    if done:
        ax.legend(fontsize=6, ncol=2)
    fig.suptitle(f"{record['run_name']}, seeds {record['seeds_spec']} (n = {len(done)})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def r_value(rows, seed, key, code):
    for r in rows:
        if r["seed"] == seed:
            return r[key].get(code)
    return None


# --- running the seeds ----------------------------------------------------------------------------
def run_seeds(seeds: List[int], sweep_dir: str, parallel: int, threads: Optional[int] = None) -> dict:
    """Runs each seed's command, ``parallel`` at a time; {seed: return code}. On SIGINT/SIGTERM the
    running seeds are stopped (they checkpoint) and KeyboardInterrupt is raised."""
    parallel = min(parallel, len(seeds))
    env = dict(os.environ, **thread_env(parallel, threads))
    queue, running, codes = list(seeds), {}, {}
    stop = []
    previous = {s: signal.signal(s, lambda signum, frame: stop.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while queue or running:
            while queue and len(running) < parallel and not stop:
                seed = queue.pop(0)
                cmd = seed_command(seed, os.path.join(sweep_dir, f"seed{seed}"))
                log = open(os.path.join(sweep_dir, f"seed{seed}.log"), "a")
                # Its own session: a Ctrl-C reaches the sweep only, which stops each seed once, with SIGTERM.
                proc = subprocess.Popen(
                    [sys.executable] + cmd[1:], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
                )
                running[seed] = (proc, log, time.time())
                print(f"seed {seed}: started ({' '.join(shlex.quote(a) for a in cmd)}); log {log.name}", flush=True)
            if stop:
                for proc, _, _ in running.values():
                    proc.send_signal(signal.SIGTERM)  # each checkpoints and exits
                for seed, (proc, log, _) in running.items():
                    proc.wait()
                    log.close()
                    print(f"seed {seed}: stopped (exit {proc.returncode}); the same command resumes it", flush=True)
                raise KeyboardInterrupt
            time.sleep(1.0)
            for seed in [s for s, (p, _, _) in running.items() if p.poll() is not None]:
                proc, log, t0 = running.pop(seed)
                log.close()
                codes[seed] = proc.returncode
                print(
                    f"seed {seed}: {'done' if proc.returncode == 0 else f'failed (exit {proc.returncode})'} "
                    f"after {(time.time() - t0) / 60:.1f} min; {len(codes)}/{len(seeds)} seeds finished",
                    flush=True,
                )
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return codes


def main(argv):
    if len(argv) > 1:
        raise UsageError(f"unexpected arguments {argv[1:]}; flags take the form --name=value")
    if FLAGS.experiment is None:
        raise UsageError("--experiment is required, e.g. --experiment=mnist")
    parallel = default_parallel() if FLAGS.parallel is None else FLAGS.parallel
    if parallel < 1:
        raise UsageError(f"--parallel={FLAGS.parallel}: must be a positive integer")
    if FLAGS.threads is not None and FLAGS.threads < 1:
        raise UsageError(f"--threads={FLAGS.threads}: must be a positive number of threads")
    seeds = parse_seeds(FLAGS.seeds)
    from infogan_tf import configs  # after flag parsing (configs imports TensorFlow)

    precision = [f"train.precision={FLAGS.precision}"] if FLAGS.precision is not None else []
    items = list(FLAGS.set) + precision + ([f"train.steps={FLAGS.steps}"] if FLAGS.steps is not None else [])
    try:
        registry = configs.Registry(FLAGS.config_dir)
        exp = registry.experiment(FLAGS.experiment, items)
        # The run name leaves out train.steps: a sweep of other length gets a record of its own.
        default_steps = registry.experiment(FLAGS.experiment, list(FLAGS.set) + precision).train.steps
    except configs.ConfigError as e:
        raise UsageError(str(e)) from None
    spec = FLAGS.seeds.replace(" ", "")
    sweep_dir = os.path.join(FLAGS.output_dir, exp.run_name)
    os.makedirs(sweep_dir, exist_ok=True)
    command = " ".join(["python", "-m", "infogan_tf.sweep"] + [shlex.quote(a) for a in sys.argv[1:]])
    started = time.time()
    print(f"sweep {exp.run_name}: seeds {spec}, {parallel} at a time; records in {sweep_dir}", flush=True)
    try:
        codes = run_seeds(seeds, sweep_dir, parallel, FLAGS.threads)
    except KeyboardInterrupt:
        print("interrupted: the running seeds are checkpointed; run the same command to resume", file=sys.stderr)
        return 130
    rows = []
    for seed in seeds:
        run_dir = os.path.join(FLAGS.logdir, exp.run_name, f"seed{seed}")
        cmd = " ".join(shlex.quote(a) for a in seed_command(seed, os.path.join(sweep_dir, f"seed{seed}")))
        row = None
        if codes.get(seed) == 0:
            try:
                row = seed_row(seed, run_dir, FLAGS.li_threshold)
            except (OSError, ValueError, KeyError) as e:  # a damaged record: the other seeds still count
                row = {"seed": seed, "error": f"cannot read the records in {run_dir}: {e!r}", "exit_code": 0}
        if row is None:
            with open(os.path.join(sweep_dir, f"seed{seed}.log")) as f:
                tail = f.read()[-1500:]
            row = {"seed": seed, "error": tail, "exit_code": codes.get(seed)}
        rows.append(dict(row, command=cmd))
    env = thread_env(min(parallel, len(seeds)), FLAGS.threads)
    stem = os.path.join(
        sweep_dir, f"sweep_seeds{spec}" + ("" if exp.train.steps == default_steps else f"_steps{exp.train.steps}")
    )
    record = {
        "experiment": exp.name,
        "run_name": exp.run_name,
        "overrides": list(exp.overrides),
        "seeds_spec": spec,
        "command": command,
        "commit": provenance.git_commit(),
        "cpu": provenance.cpu_model(),
        "parallel": parallel,
        "child_environment": env,
        "steps": exp.train.steps,
        "precision": exp.train.precision,
        "li_threshold": FLAGS.li_threshold,
        "paper_accuracy": 0.95 if getattr(exp.dataset, "name", None) == "mnist" else None,
        "sweep_wall_seconds": round(time.time() - started, 1),
        "json": stem + ".json",
        "seeds": rows,
    }
    record["summary"] = summarise(rows)
    provenance.write_json(stem + ".json", record)
    with open(stem + ".md", "w") as f:
        f.write(markdown(record))
    plot(record, stem + ".png")
    print(markdown(record))
    print(f"wrote {stem}.json, .md, .png")
    failed = [r["seed"] for r in rows if "error" in r]
    if failed:
        print(f"error: seeds {failed} failed; their logs are in {sweep_dir}", file=sys.stderr)
        return 1
    return 0


def run():
    define_flags()
    app.run(lambda argv: sys.exit(main(argv)))


if __name__ == "__main__":
    run()
