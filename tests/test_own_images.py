"""Your own images (issue 19): paper_configs/own_images.json, the dataset/architecture check, and a few
steps trained through the runner on a folder the test writes. The loader's errors are tested in
test_image_folder. Nothing here needs MNIST."""

import json
import os

import numpy as np
import pytest
from PIL import Image
from test_reproduce import runner  # noqa: F401  (the runner fixture: reproduce.main in this process)

from infogan_tf import architectures, configs


def _shapes(root, n=64, size=32, colour=False, seed=0):
    """``n`` PNGs of one random filled rectangle or disc each, on black: grey (mode L) or colour (RGB)."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        cx, cy, r = rng.uniform(0.3, 0.7) * size, rng.uniform(0.3, 0.7) * size, rng.uniform(0.15, 0.3) * size
        mask = ((xx - cx) ** 2 + (yy - cy) ** 2 < r**2) if i % 2 else ((abs(xx - cx) < r) & (abs(yy - cy) < r))
        value = rng.integers(80, 256, 3 if colour else 1).astype(np.uint8)
        img = np.zeros((size, size, 3 if colour else 1), np.uint8)
        img[mask] = value
        Image.fromarray(img if colour else img[..., 0]).save(root / f"{i:03d}.png")
    return root


def test_the_templates_parse_and_pair_each_kind_of_image_with_its_architecture(registry):
    expected = {
        "own_grey32": ("faces", (32, 32, 1)),
        "own_color32": ("svhn", (32, 32, 3)),
        "own_grey64": ("chairs", (64, 64, 1)),
        "own_color64": ("chairs_color", (64, 64, 3)),
    }
    for name, (arch, shape) in expected.items():
        exp = registry.experiment(name)
        assert exp.architecture.name == arch and exp.architecture.image_shape == shape
        assert exp.dataset.source == "image_folder" and exp.dataset.path == "" and exp.dataset.crop is None
        assert exp.dataset.size == shape[0] and exp.dataset.grey == (shape[2] == 1)
        assert [c.kind for c in exp.latent.codes] == ["categorical"] + ["continuous"] * 3
        assert exp.latent.codes[0].k == 10 and all(c.learn_std for c in exp.latent.continuous)
    # Codes by --set: one code's key, or the whole list.
    exp = registry.experiment("own_grey32", ["latent.codes.c1.k=5", "latent.codes.c3.learn_std=false"])
    assert exp.latent.codes[0].k == 5 and not exp.latent.codes[2].learn_std and "latent.codes.c1.k=5" in exp.run_name
    codes = '[{"name": "c1", "type": "categorical", "k": 20}, {"name": "c2", "type": "continuous", "learn_std": true}]'
    exp = registry.experiment("own_color64", [f"latent.codes={codes}", "dataset.path=/data/my images"])
    assert [(c.name, c.kind) for c in exp.latent.codes] == [("c1", "categorical"), ("c2", "continuous")]
    assert exp.latent.codes[0].k == 20 and exp.dataset.path == "/data/my images"


def test_colour_images_reach_the_tanh_generator_in_minus_one_to_one(registry, tmp_path):
    from infogan_tf import data

    exp = registry.experiment("own_color32", [f"dataset.path={_shapes(tmp_path / 'imgs', n=8, colour=True)}"])
    assert exp.architecture.output_activation == "tanh"
    images = data.load_dataset(exp.dataset, "train").images
    assert images.shape == (8, 32, 32, 3) and images.min() == 0
    batch = next(iter(data.training_batches(images, 8, seed=0, output_activation="tanh"))).numpy()
    assert batch.min() == -1.0 and batch.max() <= 1.0 and batch.max() > 0.2


def test_chairs_color_is_table_6_with_three_output_channels():
    import tensorflow as tf

    from infogan_tf import networks

    arch = architectures.CHAIRS_COLOR
    assert arch.source.startswith("paper Table 6 with a 3-channel") and "not in the paper" in arch.source
    assert arch.generator[:-1] == architectures.CHAIRS.generator[:-1] and arch.trunk == architectures.CHAIRS.trunk
    g, d = networks.Generator(arch, 141), networks.DiscriminatorQ(arch, 16)
    x = g(tf.random.uniform([2, 141], -1, 1), training=False)
    assert x.shape == (2, 64, 64, 3) and 0.0 <= float(tf.reduce_min(x)) and float(tf.reduce_max(x)) <= 1.0
    logits, q = d(x, training=False)
    assert logits.shape == (2,) and q.shape == (2, 16)


@pytest.mark.parametrize(
    "experiment, override, message",
    [
        (
            "own_grey32",
            "dataset.size=48",
            "experiments.own_grey32.dataset.size: 48: the faces architecture takes 32x32x1 "
            "images (grey); valid: 32; no architecture takes 48x48x1 images",
        ),
        (
            "own_grey32",
            "dataset.size=64",
            "dataset.size: 64: the faces architecture takes 32x32x1 images (grey); valid: 32; "
            "64x64x1 images go to the architecture chairs (--set architecture=NAME)",
        ),
        (
            "own_grey32",
            "dataset.grey=false",
            "dataset.grey: false: the faces architecture takes 32x32x1 images (grey); "
            "valid: true; 32x32x3 images go to the architecture svhn or celeba",
        ),
        (
            "own_color32",
            "dataset.grey=true",
            "dataset.grey: true: the svhn architecture takes 32x32x3 images (colour); "
            "valid: false; 32x32x1 images go to the architecture faces",
        ),
        (
            "own_color64",
            "architecture=chairs",
            "dataset.grey: false: the chairs architecture takes 64x64x1 images (grey); "
            "valid: true; 64x64x3 images go to the architecture chairs_color",
        ),
        (
            "shapes_svhn",
            "dataset.color=false",
            "dataset.color: false: the svhn architecture takes 32x32x3 images (colour); valid: true",
        ),
        (
            "shapes_chairs",
            "dataset.size=32",
            "dataset.size: 32: the chairs architecture takes 64x64x1 images (grey); valid: 64",
        ),
        (
            "celeba",
            "dataset.size=64",
            "dataset.size: 64: the celeba architecture takes 32x32x3 images (colour); valid: 32; "
            "64x64x3 images go to the architecture chairs_color",
        ),
    ],
)
def test_a_dataset_that_does_not_fit_its_architecture_is_refused(registry, experiment, override, message):
    with pytest.raises(configs.ConfigError) as e:
        registry.experiment(experiment, [override])
    assert message in str(e.value) and f"with --set {override}" in str(e.value)


def test_together_with_the_architecture_another_size_is_accepted(registry):
    exp = registry.experiment("own_grey32", ["dataset.size=64", "architecture=chairs"])
    assert exp.architecture.image_shape == (64, 64, 1)


def _args(tmp_path, experiment, folder, *more):
    return [
        f"--experiment={experiment}",
        f"--set=dataset.path={folder}",
        "--steps=3",
        "--batch_size=8",
        "--noxla",
        "--noexport",
        f"--logdir={tmp_path / 'runs'}",
        f"--output_dir={tmp_path / 'results'}",
        f"--data_dir={tmp_path / 'data'}",
        *more,
    ]


@pytest.mark.parametrize("experiment, colour", [("own_grey32", False), ("own_color32", True)])
def test_a_folder_of_images_trains_through_the_runner(runner, tmp_path, experiment, colour, monkeypatch):  # noqa: F811
    _shapes(tmp_path / "my images", colour=colour)
    monkeypatch.chdir(tmp_path)
    folder = "my images"  # relative: not under the data dir, so under the current directory
    r = runner(_args(tmp_path, experiment, folder, "--set=latent.codes.c1.k=5"))
    assert r.returncode == 0, r.stderr[-3000:]
    (run_name,) = os.listdir(tmp_path / "runs")
    assert run_name.startswith(f"{experiment}@dataset.path=")  # the folder's path names the run (hashed when long)
    run_dir = tmp_path / "runs" / run_name / "seed0"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["overrides"][:2] == [f"dataset.path={folder}", "latent.codes.c1.k=5"]
    assert metrics["step"] == 3 and metrics["num_train_images"] == 64 and metrics["num_test_images"] == 64
    assert 0.0 <= metrics["label_free"]["c1"]["mutual_information"] <= np.log(5) + 1e-6
    assert any(f.startswith("ckpt-3") for f in os.listdir(run_dir / "checkpoints"))
    saved = json.loads((run_dir / "config.json").read_text())
    assert saved["experiment"]["dataset"]["path"] == folder and saved["experiment"]["dataset"]["grey"] is (not colour)
    assert saved["image_folder"] == str(tmp_path / folder)  # the folder the path found
    sheet = tmp_path / "results" / f"{run_name}_codes.png"
    assert sheet.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"wrote {sheet}" in r.stdout
    with Image.open(sheet) as im:  # the sheet of every code, drawn from the trained model
        assert im.size[0] > 200 and im.size[1] > 200
    assert (tmp_path / "results" / f"{run_name}_metrics.json").exists()
    assert "step 3/3" in r.stderr
    # The same relative path from another directory finds another folder (of as many images): the
    # run is not resumed or reused on it.
    _shapes(tmp_path / "elsewhere" / "my images", colour=colour, seed=1)
    monkeypatch.chdir(tmp_path / "elsewhere")
    r = runner(_args(tmp_path, experiment, folder, "--set=latent.codes.c1.k=5", "--steps=4"))
    assert r.returncode == 2 and "was trained on the images in" in r.stderr, r.stderr[-2000:]
    assert "--retrain" in r.stderr
    assert str(tmp_path / "elsewhere" / folder) in r.stderr and "Traceback" not in r.stderr


def test_the_runner_names_a_missing_or_unset_folder(runner, tmp_path):  # noqa: F811
    r = runner(_args(tmp_path, "own_grey32", "no_such_folder"))
    assert r.returncode == 2
    assert f"'{tmp_path / 'data' / 'no_such_folder'}' (under the data dir)" in r.stderr
    assert "(under the current directory)" in r.stderr and "--set dataset.path=DIR" in r.stderr
    args = _args(tmp_path, "own_grey32", "")
    r = runner(args[:1] + args[2:])  # no --set dataset.path
    assert (
        r.returncode == 2 and "dataset.path is empty: pass the folder of images with --set dataset.path=DIR" in r.stderr
    )
    assert not (tmp_path / "runs").exists()


def test_the_runner_refuses_a_mixed_folder_before_training(runner, tmp_path):  # noqa: F811
    folder = _shapes(tmp_path / "imgs", n=8)
    Image.new("RGB", (32, 32), (0, 128, 255)).save(folder / "zz_colour.png")
    r = runner(_args(tmp_path, "own_grey32", folder))
    assert r.returncode == 2 and "grey and colour image files" in r.stderr and "zz_colour.png" in r.stderr
    assert "step 1/" not in r.stderr and not (tmp_path / "runs").exists()


def test_the_runner_refuses_a_size_its_architecture_does_not_take(runner, tmp_path):  # noqa: F811
    from infogan_tf import reproduce

    with pytest.raises(reproduce.UsageError, match=r"dataset.size: 48: the faces architecture takes 32x32x1 images"):
        runner(_args(tmp_path, "own_grey32", tmp_path, "--set=dataset.size=48"))
    assert not (tmp_path / "runs").exists()
