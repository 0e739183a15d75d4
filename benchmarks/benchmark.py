"""Training-speed benchmark: time per D+G iteration against this machine's FP32 ceiling.

    python -m benchmarks.benchmark --architecture=mnist
    python -m benchmarks.benchmark --architecture=all --xla=both --output=results/benchmarks.md

(from the repository root: ``benchmarks`` is a tool beside the package, not part of it).

For each architecture (with the latent spec of its paper experiment) and each XLA setting it prints:
the median seconds of one D+G iteration after warm-up (fed from a constant batch, so only the train
step is timed), images per second, the FLOPs of one iteration counted analytically from the network
table (``iteration_flops``), and the achieved FLOP rate as a fraction of (a) the throughput of a
large square ``tf.matmul`` measured in the same process (plain and XLA-compiled; the faster is
the practical ceiling), and (b) the
theoretical peak cores x clock x FLOPs per cycle. With ``--pipeline`` it also times the step fed by
the real input pipeline (``data.training_batches``) and reports how long the step waited for a
batch; with ``--run_steps`` it runs the real training loop (``loop.fit``: logging, TensorBoard
summaries and images, checkpoints) and reports the share of wall time spent outside the train step.
With ``--layers`` it times every row of the network tables alone (forward and backward) and the
matrix products that row amounts to, weighs the rows into one iteration and compares that with the
measured step: the difference is the time outside the layers (losses, latent sampling, optimiser
updates), and the rows' own rates show which layers keep the step from the matmul ceiling.
Images are random uint8 arrays of the architecture's shape: the timing does not depend on content.
"""

import math
import os
import statistics
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

from absl import app, flags

from infogan_tf import provenance  # light: no TensorFlow

# Which experiment supplies each architecture's latent spec and optimiser settings.
EXPERIMENT_FOR = {
    "mnist": "mnist",
    "svhn": "svhn",
    "celeba": "celeba",
    "faces": "faces_azimuth",
    "chairs": "chairs_rotation",
}

FLAGS = flags.FLAGS
PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")  # configs.PRECISIONS, without importing TensorFlow
# CPU flags (/proc/cpuinfo) of hardware 16-bit arithmetic; without them TensorFlow emulates bfloat16.
SIXTEEN_BIT_FLAGS = ("amx_bf16", "avx512_bf16", "amx_fp16", "avx512_fp16")


def define_flags():
    """Defines the benchmark's flags, once, when it runs (not on import: the runner has flags of the same names)."""
    if "architecture" in FLAGS:
        return
    flags.DEFINE_list("architecture", ["mnist"], f"Architectures to time, or 'all': {', '.join(EXPERIMENT_FOR)}.")
    flags.DEFINE_integer("batch_size", 128, "Batch size.")
    flags.DEFINE_integer("iterations", 10, "Timed iterations per setting (the median is reported).")
    flags.DEFINE_integer("warmup", 2, "Untimed iterations first (the first one compiles).")
    flags.DEFINE_enum("xla", "both", ["on", "off", "both"], "Time with XLA (jit_compile) on, off or both.")
    flags.DEFINE_list(
        "precision",
        ["float32"],
        f"Precisions to time (train.precision), each with every XLA setting: {', '.join(PRECISIONS)}.",
    )
    flags.DEFINE_bool(
        "reference",
        True,
        "For mnist, also time a minimal plain-Keras step of the same networks and "
        "algorithm (benchmarks/reference_step.py), alternated step by step with the project's, and "
        "print the ratio.",
    )
    flags.DEFINE_bool("pipeline", True, "Also time the step fed by the real tf.data input pipeline.")
    flags.DEFINE_integer(
        "run_steps",
        30,
        "Steps of a real training-loop run to measure the time outside "
        "the train step (0 to skip; XLA on only when --xla=both).",
    )
    flags.DEFINE_integer("matmul_size", 4096, "Side of the square matmul that measures the FP32 ceiling.")
    flags.DEFINE_bool(
        "layers",
        False,
        "Also time every table row (layer, batch norm, activation) alone, forward and "
        "backward, against the matrix products it amounts to; prints the GEMM bound of an iteration.",
    )
    flags.DEFINE_string("output", None, "Also write the results as a Markdown table to this file.")


# --- FLOPs, counted from the architecture table --------------------------------------------
def walk_rows(rows, shape, q_dim: int):
    """Yields (row, input shape, output shape) for each row of a network table, one image."""
    for row in rows:
        units = q_dim if row.units == "q" else row.units
        if row.kind == "fc":
            out = (units,)
        elif row.kind == "conv":
            h, w, _ = shape
            out = (-(-h // row.stride), -(-w // row.stride), units)
        elif row.kind == "deconv":
            h, w, _ = shape
            out = (h * row.stride, w * row.stride, units)
        elif row.kind == "reshape":
            out = tuple(row.shape)
        elif row.kind == "flatten":
            out = (shape[0] * shape[1] * shape[2],)
        else:
            raise ValueError(f"unknown layer kind {row.kind!r}")
        yield row, tuple(shape), out
        shape = out


def gemm_shape(row, in_shape, out_shape, batch_size: int) -> Optional[Tuple[int, int, int]]:
    """(M, K, N) of the matrix product a row's forward pass amounts to (None: no product).

    fc: [batch, inputs] x [inputs, units]; conv (4x4 kernel, SAME): one row per output pixel,
    [batch*oh*ow, 16*c_in] x [16*c_in, c_out]; deconv: every input pixel scatters a 4x4 kernel,
    [batch*h*w, c_in] x [c_in, 16*c_out]. Its forward FLOPs are 2*M*K*N.
    """
    if row.kind == "fc":
        return batch_size, math.prod(in_shape), out_shape[-1]
    if row.kind == "conv":
        return batch_size * out_shape[0] * out_shape[1], 16 * in_shape[2], out_shape[2]
    if row.kind == "deconv":
        return batch_size * in_shape[0] * in_shape[1], in_shape[2], 16 * out_shape[2]
    return None


def _stacks(arch, input_dim: int, q_dim: int):
    """(part, rows, input shape of one image) for the generator, the trunk and the two heads."""
    trunk_out = list(walk_rows(arch.trunk, tuple(arch.image_shape), q_dim))[-1][2]
    return [
        ("generator", arch.generator, (input_dim,)),
        ("trunk", arch.trunk, tuple(arch.image_shape)),
        ("d_head", arch.d_head, trunk_out),
        ("q_head", arch.q_head, trunk_out),
    ]


def layer_flops(arch, input_dim: int, q_dim: int) -> Dict[str, int]:
    """Multiply-add FLOPs (2 per MAC) of one forward pass of one image, per network part.

    Counts the fully connected, convolution and transposed-convolution layers (kernel 4x4, SAME
    padding, as the tables state) as the matrix products of ``gemm_shape``; batch norm,
    activations and biases are a few FLOPs per output element and are left out (under 1% for
    every table here). Returns the FLOPs of the generator, the D/Q trunk, the D head and the Q head.
    """
    flops = {}
    for part, rows, shape in _stacks(arch, input_dim, q_dim):
        flops[part] = 0
        for row, in_shape, out_shape in walk_rows(rows, shape, q_dim):
            mkn = gemm_shape(row, in_shape, out_shape, 1)
            if mkn:
                flops[part] += 2 * mkn[0] * mkn[1] * mkn[2]
    return flops


def iteration_flops(arch, input_dim: int, q_dim: int, batch_size: int) -> int:
    """FLOPs of one D+G iteration (model.InfoGAN._train_step), counted analytically.

    With g and d the forward FLOPs of G and of D+Q for one image, and a backward pass costing one
    forward for the input gradients plus one for the weight gradients:
      D step: G forward on the fake batch (g), D+Q forward on real and fake (2d), backward through
              D+Q with weight and input gradients (4d)                       -> g + 6d
      G step: G forward (g), D+Q forward (d), backward through D+Q for input gradients only (d),
              backward through G with weight and input gradients (2g)       -> 3g + 2d
    so an iteration is batch x (4g + 8d).
    """
    f = layer_flops(arch, input_dim, q_dim)
    d = f["trunk"] + f["d_head"] + f["q_head"]
    return batch_size * (4 * f["generator"] + 8 * d)


# --- the machine ---------------------------------------------------------------------------
def cpu_info() -> dict:
    """Model name, cores, clock (MHz as the kernel reports it), FP32 FLOPs per cycle per core, and
    which of ``SIXTEEN_BIT_FLAGS`` (hardware bfloat16/float16 arithmetic) the CPU has."""
    flags_ = provenance.cpu_flags()
    mhz = provenance.cpuinfo("cpu MHz")
    # FP32 lanes x 2 (fused multiply-add) x 2 FMA units, as on every AVX2/AVX-512 server core of
    # the last decade (an assumption: some parts have one AVX-512 FMA unit).
    if "avx512f" in flags_:
        flops_per_cycle = 16 * 2 * 2
    elif "avx2" in flags_ and "fma" in flags_:
        flops_per_cycle = 8 * 2 * 2
    elif "avx" in flags_:
        flops_per_cycle = 8 * 2
    else:
        flops_per_cycle = None
    return {
        "model": provenance.cpu_model(),
        "cores": os.cpu_count() or 1,
        "mhz": float(mhz) if mhz else None,
        "flops_per_cycle": flops_per_cycle,
        "sixteen_bit": [f for f in SIXTEEN_BIT_FLAGS if f in flags_],
    }


def theoretical_peak(info: dict) -> Optional[float]:
    if not info["mhz"] or not info["flops_per_cycle"]:
        return None
    return info["cores"] * info["mhz"] * 1e6 * info["flops_per_cycle"]


def matmul_flops_per_second(size: int, repeats: int = 5, jit_compile: bool = False, dtype: str = "float32") -> float:
    """Best FLOP/s of a [size, size] x [size, size] matmul (2 size^3 FLOPs) in ``dtype``, after a warm-up.

    ``jit_compile``: compile it with XLA, as the XLA train step's own matmuls are (XLA's CPU
    backend has its own matmul and convolution kernels, which can beat TensorFlow's).
    """
    import tensorflow as tf

    a = tf.cast(tf.random.uniform((size, size)), dtype)
    b = tf.cast(tf.random.uniform((size, size)), dtype)
    mm = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)), jit_compile=jit_compile)
    mm(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        mm(a, b).numpy()
        best = min(best, time.perf_counter() - t0)
    return 2.0 * size**3 / best


# --- one layer at a time --------------------------------------------------------------------
# How often one D+G iteration runs each network's forward+backward pass (see iteration_flops:
# batch x (4g + 8d) FLOPs, and a forward+backward pass costs three forwards).
USES_PER_ITERATION = {"generator": 4 / 3, "trunk": 8 / 3, "d_head": 8 / 3, "q_head": 8 / 3}


def _median_seconds(fn, repeats: int) -> float:
    fn()
    fn()  # warm-up: the first call traces (and compiles)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def gemm_seconds(m: int, k: int, n: int, jit_compile: bool, repeats: int = 5) -> float:
    """Median seconds of the three matrix products of one layer's forward and backward pass:
    [m,k]x[k,n] (forward), [m,n]x[k,n]^T (input gradient) and [m,k]^T x [m,n] (weight gradient)."""
    import tensorflow as tf

    a, b, dy = tf.random.uniform((m, k)), tf.random.uniform((k, n)), tf.random.uniform((m, n))

    @tf.function(jit_compile=jit_compile)
    def products(a, b, dy):
        return (
            tf.reduce_sum(tf.matmul(a, b))
            + tf.reduce_sum(tf.matmul(dy, b, transpose_b=True))
            + tf.reduce_sum(tf.matmul(a, dy, transpose_a=True))
        )

    return _median_seconds(lambda: products(a, b, dy).numpy(), repeats)


def _row_layers(stack) -> Dict[int, list]:
    """The Keras layers of a network stack grouped by table row (networks.build_stack names each
    layer with its row index: fc3, bn3, lrelu3)."""
    import re

    groups: Dict[int, list] = {}
    for layer in stack.layers:
        groups.setdefault(int(re.search(r"(\d+)$", layer.name).group(1)), []).append(layer)
    return groups


def profile_layers(model, batch_size: int, jit_compile: bool, repeats: int = 10) -> List[dict]:
    """Times each table row (its layer, batch norm and activation) alone, forward and backward
    (input and weight gradients, batch norm in training mode), and the three matrix products of
    the row's ``gemm_shape`` alone, XLA-compiled or not as ``jit_compile`` says."""
    import tensorflow as tf

    stacks = {
        "generator": model.generator.net,
        "trunk": model.discriminator.trunk,
        "d_head": model.discriminator.d_head,
        "q_head": model.discriminator.q_head,
    }
    rows_out = []
    for part, rows, shape in _stacks(model.arch, model.spec.input_dim, model.spec.q_dim):
        groups = _row_layers(stacks[part])
        x = tf.random.uniform((batch_size,) + shape)
        for i, (row, in_shape, out_shape) in enumerate(walk_rows(rows, shape, model.spec.q_dim)):
            layers = groups[i]
            variables = [v for layer in layers for v in layer.trainable_variables]

            @tf.function(jit_compile=jit_compile)
            def forward_backward(x, layers=layers, variables=variables):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = x
                    for layer in layers:
                        y = layer(y, training=True)
                    loss = tf.reduce_sum(tf.square(y))
                grads = tape.gradient(loss, [x] + variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)
                return y, tf.add_n([tf.reduce_sum(g) for g in grads])

            seconds = _median_seconds(lambda f=forward_backward, x=x: f(x)[1].numpy(), repeats)
            mkn = gemm_shape(row, in_shape, out_shape, batch_size)
            flops = 6 * mkn[0] * mkn[1] * mkn[2] if mkn else 0
            rows_out.append(
                {
                    "part": part,
                    "row": i,
                    "kind": row.kind,
                    "input": (batch_size,) + in_shape,
                    "gemm": mkn,
                    "flops": flops,
                    "seconds": seconds,
                    "gemm_seconds": gemm_seconds(*mkn, jit_compile=jit_compile, repeats=repeats) if mkn else 0.0,
                }
            )
            x = forward_backward(x)[0]
    return rows_out


def layer_summary(rows: List[dict], matmul: float) -> dict:
    """One D+G iteration predicted from the rows timed alone (``USES_PER_ITERATION``), and the
    same iteration if every row took as long as its three matrix products alone. The second is no
    bound: TensorFlow's convolution kernels can beat the equivalent matrix product."""
    uses = [USES_PER_ITERATION[r["part"]] for r in rows]
    flops = sum(u * r["flops"] for u, r in zip(uses, rows))
    rows_seconds = sum(u * r["seconds"] for u, r in zip(uses, rows))
    gemm = sum(u * r["gemm_seconds"] for u, r in zip(uses, rows))
    return {
        "flops": flops,
        "rows_seconds": rows_seconds,
        "gemm_seconds": gemm,
        "gemm_fraction_of_matmul": flops / gemm / matmul if gemm else None,
    }


def layer_table(rows: List[dict], matmul: float, step_seconds: Optional[float] = None) -> str:
    """The rows as a Markdown table; its last line weighs them into one iteration and compares
    that with the measured step (``step_seconds``): the rest is outside the layers."""
    columns = [
        "part",
        "row",
        "layer",
        "input",
        "GEMM M x K x N",
        "GFLOP fwd+bwd",
        "ms fwd+bwd",
        "GFLOP/s",
        "of matmul",
        "its GEMMs alone: ms",
        "GFLOP/s",
        "of matmul",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        mkn = r["gemm"]
        rate = r["flops"] / r["seconds"]
        gemm_rate = r["flops"] / r["gemm_seconds"] if mkn else 0.0
        lines.append(
            "| "
            + " | ".join(
                [
                    r["part"],
                    str(r["row"]),
                    r["kind"],
                    "x".join(map(str, r["input"])),
                    " x ".join(map(str, mkn)) if mkn else "-",
                    f"{r['flops'] / 1e9:.2f}",
                    f"{1e3 * r['seconds']:.2f}",
                    f"{rate / 1e9:.0f}" if mkn else "-",
                    _pct(rate / matmul) if mkn else "-",
                    f"{1e3 * r['gemm_seconds']:.2f}" if mkn else "-",
                    f"{gemm_rate / 1e9:.0f}" if mkn else "-",
                    _pct(gemm_rate / matmul) if mkn else "-",
                ]
            )
            + " |"
        )
    s = layer_summary(rows, matmul)
    text = (
        f"\nOne iteration from these rows (G rows x 4/3, D/Q rows x 8/3): {s['rows_seconds']:.3f} s for "
        f"{s['flops'] / 1e9:.1f} GFLOP = {_pct(s['flops'] / s['rows_seconds'] / matmul)} of the matmul "
        f"ceiling"
    )
    if step_seconds:
        rest = step_seconds - s["rows_seconds"]
        text += (
            f"; the measured step takes {step_seconds:.3f} s, so {rest:.3f} s ({_pct(rest / step_seconds)}) "
            f"is outside the layers (losses, latent sampling, optimiser updates)"
        )
    text += (
        f". With every row as slow or fast as its matrix products alone: {s['gemm_seconds']:.3f} s "
        f"({_pct(s['gemm_fraction_of_matmul'])} of the ceiling)."
    )
    lines.append(text)
    return "\n".join(lines)


# --- timing --------------------------------------------------------------------------------
def _sync(metrics) -> None:
    float(metrics["d_loss"])  # waits for the step to finish


def time_steps(model, next_batch, warmup: int, iterations: int) -> Dict[str, float]:
    """Median and all seconds per train step; ``next_batch()`` is timed apart (the input wait)."""
    for _ in range(warmup):
        _sync(model.train_step(next_batch()))
    steps, waits = [], []
    for _ in range(iterations):
        t0 = time.perf_counter()
        batch = next_batch()
        t1 = time.perf_counter()
        _sync(model.train_step(batch))
        t2 = time.perf_counter()
        waits.append(t1 - t0)
        steps.append(t2 - t0)
    return {"median": statistics.median(steps), "times": steps, "wait": statistics.median(waits)}


def time_alternated(steps: Dict[str, callable], batch, warmup: int, iterations: int) -> Dict[str, float]:
    """Median seconds of each of ``steps`` (name: step function) on the same ``batch``, the steps
    run in turn ``iterations`` times, so that drift in the machine's speed affects each alike."""
    for step in steps.values():
        for _ in range(warmup + 1):  # the first call traces (and compiles)
            _sync(step(batch))
    times = {name: [] for name in steps}
    for _ in range(iterations):
        for name, step in steps.items():
            t0 = time.perf_counter()
            _sync(step(batch))
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


class _TimedIterable:
    """Wraps a dataset so that the training loop's waits for a batch are summed."""

    def __init__(self, dataset):
        self.dataset, self.seconds = dataset, 0.0

    def __iter__(self):
        it = iter(self.dataset)
        while True:
            t0 = time.perf_counter()
            batch = next(it)
            self.seconds += time.perf_counter() - t0
            yield batch


def time_training_loop(
    model, images, steps: int, log_every: int, image_every: int, checkpoint_every: int
) -> Dict[str, float]:
    """Runs ``loop.fit`` for ``steps`` steps, with an image summary and a checkpoint every
    ``steps // 3`` steps, and splits its wall time into the train step, waiting for input, image
    summaries, and the rest (checkpoints, scalar summaries, logging). ``projected_outside`` is the
    share of the time outside the step at the experiment's own intervals (``image_every``,
    ``checkpoint_every``), from the measured cost of one image summary and of one checkpoint (with
    its share of the logging), against the median step of the short run."""
    from infogan_tf import data, loop
    from infogan_tf.experiment import _summary_images

    step_seconds, image_seconds = [], []
    train_step = model.train_step

    def timed_step(batch):
        t0 = time.perf_counter()
        out = train_step(batch)
        _sync(out)  # the loop itself syncs only when it logs; on CPU this changes nothing
        step_seconds.append(time.perf_counter() - t0)
        return out

    def timed_images(step, writer):
        t0 = time.perf_counter()
        _summary_images(model, step, writer)
        image_seconds.append(time.perf_counter() - t0)

    model.train_step = timed_step
    act = model.arch.output_activation
    every = max(steps // 3, 1)
    batches = {}

    def batches_from(start):
        batches["it"] = _TimedIterable(data.training_batches(images, model.batch_size, 0, start, act))
        return batches["it"]

    start = int(model.step)
    try:
        with tempfile.TemporaryDirectory() as run_dir:
            t0 = time.perf_counter()
            loop.fit(
                model,
                batches_from,
                run_dir,
                total_steps=start + steps,
                log_every=log_every,
                checkpoint_every=every,
                image_every=every,
                on_images=timed_images,
            )
            wall = time.perf_counter() - t0
    finally:
        model.train_step = train_step
    inside, waiting, imaging = sum(step_seconds), batches["it"].seconds, sum(image_seconds)
    checkpoints = len([s for s in range(start + 1, start + steps + 1) if s % every == 0 or s == start + steps])
    rest = wall - inside - waiting - imaging
    median_step = statistics.median(step_seconds)
    per_image = imaging / max(len(image_seconds), 1)
    per_checkpoint = rest / max(checkpoints, 1)
    projected = (per_image / image_every if image_every else 0.0) + per_checkpoint / checkpoint_every
    return {
        "wall": wall,
        "steps": steps,
        "in_step": inside,
        "input_wait": waiting,
        "images": imaging,
        "image_count": len(image_seconds),
        "rest": rest,
        "checkpoint_count": checkpoints,
        "outside": wall - inside - waiting,
        "per_image": per_image,
        "per_checkpoint": per_checkpoint,
        "projected_outside": projected / (median_step + projected),
    }


def benchmark_architecture(
    arch_name: str,
    xla: bool,
    batch_size: int,
    warmup: int,
    iterations: int,
    pipeline: bool,
    run_steps: int,
    layers: bool = False,
    precision: str = "float32",
    reference: bool = False,
) -> dict:
    """Times one architecture at one XLA setting and precision; ``reference`` (mnist only) also times
    ``reference_step.ReferenceStep`` alternated with the project's step (``result["reference"]``)."""
    if reference and arch_name != "mnist":
        raise ValueError(
            f"--reference: the reference step is the MNIST networks' (Table 1), not {arch_name}'s; "
            "valid with it: --architecture=mnist"
        )
    import numpy as np
    import tensorflow as tf

    from infogan_tf import configs, data
    from infogan_tf.model import InfoGAN

    cfg = configs.Registry().experiment(
        EXPERIMENT_FOR[arch_name], overrides=[f"train.batch_size={batch_size}", f"train.precision={precision}"]
    )
    model = InfoGAN(cfg, seed=0, jit_compile=xla)
    flops = iteration_flops(model.arch, model.spec.input_dim, model.spec.q_dim, batch_size)
    rng = np.random.default_rng(0)
    n_images = max(4 * batch_size, 512)
    images = rng.integers(0, 256, size=(n_images,) + tuple(model.arch.image_shape), dtype=np.uint8)
    act = model.arch.output_activation
    constant = data.to_float(tf.constant(images[:batch_size]), act)

    t0 = time.perf_counter()
    _sync(model.train_step(constant))
    first = time.perf_counter() - t0
    result = {
        "architecture": arch_name,
        "experiment": cfg.name,
        "xla": xla,
        "precision": precision,
        "batch_size": batch_size,
        "first_step_seconds": first,
        "flops": flops,
    }
    result["step"] = time_steps(model, lambda: constant, max(warmup - 1, 0), iterations)
    if reference:
        from benchmarks.reference_step import ReferenceStep

        ref = ReferenceStep(jit_compile=xla, precision=precision)
        pair = time_alternated({"project": model.train_step, "reference": ref.step}, constant, warmup, iterations)
        result["reference"] = dict(pair, ratio=pair["project"] / pair["reference"])
    if pipeline:
        it = iter(data.training_batches(images, batch_size, 0, 0, act))
        result["fed"] = time_steps(model, lambda: next(it), 1, iterations)
    if layers:
        result["layers"] = profile_layers(model, batch_size, xla, repeats=iterations)
    if run_steps:
        log = cfg.logging
        result["loop"] = time_training_loop(
            model, images, run_steps, log.log_every, log.image_every, log.checkpoint_every
        )
    return result


# --- output --------------------------------------------------------------------------------
def _pct(x: Optional[float]) -> str:
    if x is None:
        return "n/a"
    return f"{100 * x:.1f}%" if abs(x) < 0.1 else f"{100 * x:.0f}%"


def table(results: List[dict], matmul, peak: Optional[float]) -> str:
    """The results as a Markdown table. ``matmul``: the matmul ceiling in FLOP/s, one number or one
    per precision ({"float32": ..., "mixed_bfloat16": ...}, a mixed precision's in its 16-bit type)."""
    columns = [
        "architecture",
        "precision",
        "XLA",
        "s/iteration (median)",
        "images/s",
        "GFLOP/iteration (analytic)",
        "GFLOP/s",
        "of matmul",
        "of FP32 peak",
        "fed by tf.data: s/iteration",
        "input wait",
        "outside the step (real loop)",
        "first step (compile)",
        "plain-Keras reference: s/iteration (project/reference)",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in results:
        s = r["step"]["median"]
        rate = r["flops"] / s
        ceiling = matmul.get(r["precision"]) if isinstance(matmul, dict) else matmul
        fed, loop, ref = r.get("fed"), r.get("loop"), r.get("reference")
        cells = [
            r["architecture"],
            r["precision"],
            "on" if r["xla"] else "off",
            f"{s:.3f}",
            f"{r['batch_size'] / s:.0f}",
            f"{r['flops'] / 1e9:.1f}",
            f"{rate / 1e9:.1f}",
            _pct(rate / ceiling) if ceiling else "n/a",
            _pct(rate / peak) if peak else "n/a",
            f"{fed['median']:.3f}" if fed else "-",
            _pct(fed["wait"] / fed["median"]) if fed else "-",
            (
                f"{_pct(loop['outside'] / loop['wall'])} of {loop['wall']:.0f} s ({loop['steps']} steps); "
                f"{_pct(loop['projected_outside'])} at the config's intervals"
                if loop
                else "-"
            ),
            f"{r['first_step_seconds']:.1f} s",
            (f"{ref['reference']:.3f} (project {ref['project']:.3f}: {ref['ratio']:.2f}x)" if ref else "-"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; flags take the form --name=value")
    names = list(EXPERIMENT_FOR) if FLAGS.architecture == ["all"] else FLAGS.architecture
    unknown = [n for n in names if n not in EXPERIMENT_FOR]
    if unknown:
        raise app.UsageError(f"--architecture: unknown {unknown}; valid: all, {', '.join(EXPERIMENT_FOR)}")
    for flag in ("batch_size", "iterations", "matmul_size"):
        if getattr(FLAGS, flag) < 1:
            raise app.UsageError(f"--{flag}={getattr(FLAGS, flag)}: must be a positive integer")
    for flag in ("warmup", "run_steps"):
        if getattr(FLAGS, flag) < 0:
            raise app.UsageError(f"--{flag}={getattr(FLAGS, flag)}: must be >= 0")
    settings = {"on": [True], "off": [False], "both": [True, False]}[FLAGS.xla]
    bad = [p for p in FLAGS.precision if p not in PRECISIONS]
    if bad:
        raise app.UsageError(f"--precision: unknown {bad}; valid: {', '.join(PRECISIONS)}")

    import tensorflow as tf

    info = cpu_info()
    peak = theoretical_peak(info)
    sixteen = ", ".join(f.upper().replace("_", "-") for f in info["sixteen_bit"]) or "none"
    machine_text = (
        f"{info['model']}, {info['cores']} cores at {info['mhz']} MHz "
        f"({info['flops_per_cycle']} FP32 FLOPs/cycle/core assumed); 16-bit arithmetic in hardware "
        f"(CPU flags): {sixteen}; TensorFlow {tf.__version__}"
    )
    print(f"machine: {machine_text}", flush=True)
    if any(p != "float32" for p in FLAGS.precision) and not info["sixteen_bit"]:
        print(
            "note: this CPU has no bfloat16/float16 instructions; mixed precision is emulated and is "
            "not expected to be faster",
            flush=True,
        )
    ceilings, texts = {}, []
    for precision in FLAGS.precision:
        dtype = precision.replace("mixed_", "")
        plain = matmul_flops_per_second(FLAGS.matmul_size, dtype=dtype)
        compiled = matmul_flops_per_second(FLAGS.matmul_size, jit_compile=True, dtype=dtype)
        ceilings[precision] = max(plain, compiled)  # the practical ceiling: the faster of the two
        texts.append(
            f"{FLAGS.matmul_size}x{FLAGS.matmul_size} {dtype} matmul {plain / 1e9:.1f} GFLOP/s, "
            f"XLA-compiled {compiled / 1e9:.1f} GFLOP/s"
        )
    matmul_text = "; ".join(texts) + " (best of 5 each; a precision's ceiling is the faster of its two)"
    print(
        f"ceiling: {matmul_text}; theoretical FP32 peak " + (f"{peak / 1e9:.1f} GFLOP/s" if peak else "unknown"),
        flush=True,
    )
    results = []
    for name in names:
        for precision in FLAGS.precision:
            for xla in settings:
                run_steps = FLAGS.run_steps if (xla or len(settings) == 1) else 0
                print(
                    f"{name}, {precision}, XLA {'on' if xla else 'off'}: timing {FLAGS.iterations} iterations "
                    f"after {FLAGS.warmup} warm-up ...",
                    flush=True,
                )
                results.append(
                    benchmark_architecture(
                        name,
                        xla,
                        FLAGS.batch_size,
                        FLAGS.warmup,
                        FLAGS.iterations,
                        FLAGS.pipeline,
                        run_steps,
                        FLAGS.layers,
                        precision,
                        reference=FLAGS.reference and name == "mnist",
                    )
                )
                _print_result(results[-1], ceilings[precision], peak)
    text = table(results, ceilings, peak)
    for r in results:
        if "layers" in r:
            text += (
                f"\n\n### {r['architecture']}, {r['precision']}, XLA {'on' if r['xla'] else 'off'}: every "
                f"table row alone, batch {r['batch_size']}, median of {FLAGS.iterations}\n\n"
                + layer_table(r["layers"], ceilings[r["precision"]], r["step"]["median"])
            )
    print(text)
    if FLAGS.output:
        peak_text = f"{peak / 1e9:.1f} GFLOP/s" if peak else "unknown"
        command = f"python -m benchmarks.benchmark {' '.join(sys.argv[1:])}"
        header = (
            f"Command: `{command}` at commit {provenance.git_commit()}\n\n"
            f"Machine: {machine_text}. Ceiling: {matmul_text}; theoretical FP32 peak {peak_text}.\n\n"
        )
        tmp = FLAGS.output + ".tmp"
        with open(tmp, "w") as f:
            f.write(header + text + "\n")
        os.replace(tmp, FLAGS.output)
        print(f"wrote {FLAGS.output}")


def _print_result(r: dict, matmul: float, peak: Optional[float]) -> None:
    """One setting's line on the console (and its layer table with --layers)."""
    s = r["step"]["median"]
    line = (
        f"  {s:.3f} s/iteration, {FLAGS.batch_size / s:.0f} images/s, "
        f"{r['flops'] / 1e9:.1f} GFLOP/iteration (analytic) = {r['flops'] / s / 1e9:.1f} GFLOP/s, "
        f"{_pct(r['flops'] / s / matmul)} of matmul, {_pct(r['flops'] / s / peak) if peak else 'n/a'} of peak"
    )
    if "fed" in r:
        line += (
            f"; fed by tf.data {r['fed']['median']:.3f} s/iteration, waiting "
            f"{_pct(r['fed']['wait'] / r['fed']['median'])} of it"
        )
    if "loop" in r:
        lp = r["loop"]
        line += (
            f"; real loop {lp['steps']} steps in {lp['wall']:.1f} s: step {_pct(lp['in_step'] / lp['wall'])}, "
            f"input {_pct(lp['input_wait'] / lp['wall'])}, image summaries {lp['per_image']:.2f} s each, "
            f"checkpoint+logging {lp['per_checkpoint']:.2f} s each; at the config's intervals "
            f"{_pct(lp['projected_outside'])} of the time is outside the step"
        )
    if "reference" in r:
        ref = r["reference"]
        line += (
            f"; alternated with the plain-Keras reference step: project {ref['project']:.3f} s, reference "
            f"{ref['reference']:.3f} s, ratio {ref['ratio']:.2f}"
        )
    print(line, flush=True)
    if "layers" in r:
        print(layer_table(r["layers"], matmul, s), flush=True)


if __name__ == "__main__":
    define_flags()
    app.run(main)
