"""The benchmark's FLOP count against hand-computed values, and one tiny real run of it.

``benchmarks`` is a tool beside the package (conftest puts the repository root on sys.path)."""

import numpy as np
import pytest

from benchmarks import benchmark
from infogan_tf import architectures


def test_layer_flops_of_the_mnist_table_by_hand():
    f = benchmark.layer_flops(architectures.MNIST, input_dim=74, q_dim=12)
    # G: fc 74->1024, fc 1024->7*7*128, deconv 7x7x128 -> 14x14x64, deconv 14x14x64 -> 28x28x1 (4x4 kernels).
    assert f["generator"] == 2 * (74 * 1024 + 1024 * 6272 + 49 * 16 * 128 * 64 + 196 * 16 * 64 * 1)
    # Trunk: conv 28x28x1 -> 14x14x64, conv -> 7x7x128, fc 6272 -> 1024.
    assert f["trunk"] == 2 * (196 * 16 * 1 * 64 + 49 * 16 * 64 * 128 + 6272 * 1024)
    assert f["d_head"] == 2 * 1024
    assert f["q_head"] == 2 * (1024 * 128 + 128 * 12)


def test_iteration_flops_is_4g_plus_8d_per_image():
    f = benchmark.layer_flops(architectures.MNIST, 74, 12)
    d = f["trunk"] + f["d_head"] + f["q_head"]
    assert benchmark.iteration_flops(architectures.MNIST, 74, 12, 128) == 128 * (4 * f["generator"] + 8 * d)
    # The estimate: about 40 GFLOP for MNIST at batch 128.
    assert 39e9 < benchmark.iteration_flops(architectures.MNIST, 74, 12, 128) < 42e9


def test_stride_one_layers_keep_the_size():
    # Chairs: two stride-1 convs at 8x8x256 each cost 2 * 64 * 16 * 256 * 256.
    f = benchmark.layer_flops(architectures.CHAIRS, 138, 3 * 20 + 2)
    strided = 2 * (32 * 32 * 16 * 1 * 64 + 16 * 16 * 16 * 64 * 128 + 8 * 8 * 16 * 128 * 256)
    assert f["trunk"] == strided + 2 * (2 * 64 * 16 * 256 * 256) + 2 * 8 * 8 * 256 * 1024


def test_cpu_info_and_peak():
    info = benchmark.cpu_info()
    assert info["cores"] >= 1
    peak = benchmark.theoretical_peak(info)
    if info["mhz"] and info["flops_per_cycle"]:
        assert peak == pytest.approx(info["cores"] * info["mhz"] * 1e6 * info["flops_per_cycle"])


def test_a_tiny_benchmark_runs_and_its_table_has_one_row_per_setting():
    r = benchmark.benchmark_architecture(
        "mnist", xla=False, batch_size=4, warmup=1, iterations=2, pipeline=True, run_steps=3
    )
    assert r["flops"] == benchmark.iteration_flops(architectures.MNIST, 74, 12, 4)
    assert r["step"]["median"] > 0 and len(r["step"]["times"]) == 2
    assert r["fed"]["median"] > 0 and r["fed"]["wait"] >= 0
    loop = r["loop"]
    assert loop["steps"] == 3 and loop["image_count"] == 3 and loop["checkpoint_count"] == 3
    assert loop["in_step"] + loop["input_wait"] + loop["outside"] == pytest.approx(loop["wall"])
    assert 0 <= loop["projected_outside"] < 1
    text = benchmark.table([r], matmul=1e11, peak=None)
    lines = text.splitlines()
    assert len(lines) == 3 and lines[2].startswith("| mnist | float32 | off |")
    assert np.isfinite(benchmark.matmul_flops_per_second(64, repeats=1))
    assert np.isfinite(benchmark.matmul_flops_per_second(64, repeats=1, jit_compile=True))


def test_gemm_shapes_of_the_mnist_rows_by_hand():
    rows = list(benchmark.walk_rows(architectures.MNIST.generator, (74,), 12))
    shapes = [benchmark.gemm_shape(row, i, o, 128) for row, i, o in rows]
    # fc 74->1024, fc 1024->6272, reshape, deconv 7x7x128 -> 14x14x64, deconv 14x14x64 -> 28x28x1.
    assert shapes == [(128, 74, 1024), (128, 1024, 6272), None, (128 * 49, 128, 16 * 64), (128 * 196, 64, 16)]
    trunk = list(benchmark.walk_rows(architectures.MNIST.trunk, (28, 28, 1), 12))
    assert [benchmark.gemm_shape(row, i, o, 2) for row, i, o in trunk] == [
        (2 * 196, 16, 64),
        (2 * 49, 16 * 64, 128),
        None,
        (2, 6272, 1024),
    ]
    assert trunk[-1][2] == (1024,)


def test_every_row_is_profiled_and_the_summary_weights_g_and_d_as_the_iteration_does():
    from infogan_tf import configs
    from infogan_tf.model import InfoGAN

    cfg = configs.Registry().experiment("mnist")
    model = InfoGAN(cfg, seed=0, jit_compile=False)
    rows = benchmark.profile_layers(model, batch_size=4, jit_compile=False, repeats=1)
    arch = architectures.MNIST
    n_rows = len(arch.generator) + len(arch.trunk) + len(arch.d_head) + len(arch.q_head)
    assert len(rows) == n_rows and all(r["seconds"] > 0 for r in rows)
    assert [r["gemm"] is None for r in rows] == [r["gemm_seconds"] == 0.0 for r in rows]
    # The rows' forward+backward FLOPs, weighted by their uses, are exactly the iteration's FLOPs.
    s = benchmark.layer_summary(rows, matmul=1e11)
    assert s["flops"] == pytest.approx(benchmark.iteration_flops(arch, 74, 12, 4))
    assert s["rows_seconds"] > 0 and s["gemm_seconds"] > 0
    text = benchmark.layer_table(rows, matmul=1e11, step_seconds=s["rows_seconds"] + 0.5)
    assert len(text.splitlines()) == 2 + n_rows + 2
    assert "so 0.500 s" in text.splitlines()[-1] and "outside the layers" in text.splitlines()[-1]


def test_the_reference_step_has_the_projects_mnist_networks_and_is_timed_beside_it(registry):
    import tensorflow as tf

    from benchmarks.reference_step import ReferenceStep
    from infogan_tf.model import InfoGAN

    ref = ReferenceStep(jit_compile=False)
    model = InfoGAN(registry.experiment("mnist"), seed=0)
    # The same Table-1 networks: parameter for parameter (batch-norm statistics included).
    assert ref.g.count_params() == model.generator.count_params()
    assert ref.d.count_params() == model.discriminator.count_params()
    assert len(ref.d.trainable_variables) == len(model.discriminator.trainable_variables)
    out = ref.step(tf.random.uniform([4, 28, 28, 1]))
    assert np.isfinite(float(out["d_loss"])) and np.isfinite(float(out["g_loss"]))

    r = benchmark.benchmark_architecture(
        "mnist",
        xla=False,
        batch_size=4,
        warmup=1,
        iterations=2,
        pipeline=False,
        run_steps=0,
        precision="mixed_bfloat16",
        reference=True,
    )
    assert r["precision"] == "mixed_bfloat16"
    ref_times = r["reference"]
    assert ref_times["ratio"] == pytest.approx(ref_times["project"] / ref_times["reference"])
    row = benchmark.table([r], matmul={"mixed_bfloat16": 1e11}, peak=None).splitlines()[2]
    assert row.startswith("| mnist | mixed_bfloat16 | off |") and f"{ref_times['ratio']:.2f}x" in row
    with pytest.raises(ValueError, match="reference step is the MNIST"):
        benchmark.benchmark_architecture(
            "svhn", xla=False, batch_size=2, warmup=0, iterations=1, pipeline=False, run_steps=0, reference=True
        )


def test_the_cpu_report_lists_its_16_bit_instructions():
    info = benchmark.cpu_info()
    assert set(info["sixteen_bit"]) <= set(benchmark.SIXTEEN_BIT_FLAGS)
    with open("/proc/cpuinfo") as f:
        flags = set(next(line for line in f if line.startswith("flags")).split(":")[1].split())
    assert set(info["sixteen_bit"]) == flags & set(benchmark.SIXTEEN_BIT_FLAGS)
    assert np.isfinite(benchmark.matmul_flops_per_second(64, repeats=1, dtype="bfloat16"))
