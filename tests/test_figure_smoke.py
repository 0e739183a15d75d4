"""Every figure config trains a step and draws, on data in its real on-disk format.

One data dir holds them all: the shared MNIST, svhn_cropped and celeb_a prepared by the real TFDS
builders from fabricated downloads (test_tfds_formats), and image folders laid out as the 3D Faces
and 3D Chairs manual downloads. Shapes are generated (64 images instead of 20,000).
"""

import json
import os

import numpy as np
import pytest
from conftest import _find_data_dir
from PIL import Image
from test_tfds_formats import celeba, svhn  # noqa: F401 (fixtures)

from infogan_tf import configs, experiment, figures

REGISTRY = configs.Registry()
_RUNS = {}
# The experiments whose smoke run measures generation accuracy (in the figure's subtitle). It needs the
# digit classifier, so those figures' tests run in the tests' "digit_classifier" group (conftest.py).
WITH_GENERATION = ("mnist",)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, svhn, celeba):  # noqa: F811
    root = tmp_path_factory.mktemp("all_data")
    mnist = _find_data_dir()  # the MNIST figures' tests skip (or, in CI, fail) without it: see the test
    if mnist is not None:
        os.symlink(os.path.join(mnist, "mnist"), root / "mnist")
    os.symlink(os.path.join(svhn["data_dir"], "svhn_cropped"), root / "svhn_cropped")
    os.symlink(os.path.join(celeba["data_dir"], "celeb_a"), root / "celeb_a")
    rng = np.random.default_rng(0)
    for i in range(6):  # 3D Faces: grey renders on black
        face = np.zeros((64, 64), np.uint8)
        face[16:48, 20 + i : 44 + i] = 200
        path = root / "3d_faces" / f"face_{i:03d}" / "render.png"
        path.parent.mkdir(parents=True)
        Image.fromarray(face).save(path)
    for i in range(6):  # 3D Chairs: rendered_chairs/<chair>/renders/*.png, white background
        chair = np.full((96, 96, 3), 255, np.uint8)
        chair[20 + i : 80, 30 : 60 + i] = rng.integers(0, 120, 3)
        path = root / "3d_chairs" / "rendered_chairs" / f"chair{i}" / "renders" / "image_000_p020_t000_r096.png"
        path.parent.mkdir(parents=True)
        Image.fromarray(chair).save(path)
    return str(root)


def _structure(name):
    """What a one-step run of the experiment exercises: everything but its training hyperparameters
    (learning rates, lambdas, steps), which only the training that the smoke run does not do sees;
    the training keys that change the step's code (precision, D's batch norm) are kept. Experiments
    that differ only in hyperparameters (the 3D Faces figures' three, the 3D Chairs figures' two)
    share one smoke run."""
    exp = REGISTRY.experiment(name)
    identity = exp.identity()
    step_code = {k: v for k, v in identity.get("train", {}).items() if k in ("precision", "d_batch_norm")}
    return json.dumps(
        {
            **{k: v for k, v in identity.items() if k != "train"},
            "train": step_code,
            "evaluation": exp.to_dict()["evaluation"],
        },
        sort_keys=True,
    )


def _run(name, data_dir, logdir):
    key = _structure(name)
    if key not in _RUNS:
        overrides = [
            "train.steps=1",
            "train.batch_size=4",
            "logging.log_every=1",
            "logging.checkpoint_every=1",
            "logging.image_every=0",
            "logging.eval_every=0",
            "evaluation.factor_rows=4",
            "evaluation.class_rows=5",
        ]
        if REGISTRY.experiment(name).evaluation.generated_digits:  # MNIST: a few samples per category, once
            overrides.append(f"evaluation.generated_digits={20 if name in WITH_GENERATION else 0}")
        if isinstance(REGISTRY.experiment(name).dataset, configs.ShapesDataset):
            overrides += ["dataset.num_images=64", "dataset.num_test_images=32"]
        _RUNS[key] = experiment.run_experiment(
            REGISTRY.experiment(name, overrides),
            seed=0,
            log_dir=logdir,
            data_dir=data_dir,
            jit_compile=False,
            do_export=False,
        )
    return _RUNS[key]


# Drawn end to end through the runner in test_reproduce (training, records, files), so not again here.
BY_THE_RUNNER_TESTS = ("mnist_mi_curve", "mnist_rotation", "mnist_width")


@pytest.mark.parametrize("figure", sorted(set(REGISTRY.figures) - set(BY_THE_RUNNER_TESTS)))
def test_figure_trains_and_draws(figure, data_dir, tmp_path_factory, request):
    if any(
        getattr(REGISTRY.experiment(e).dataset, "name", None) == "mnist" for e in REGISTRY.figure_experiments(figure)
    ):
        request.getfixturevalue("mnist_data_dir")  # skipped with the reason without MNIST (failed in CI)
    logdir = str(tmp_path_factory.getbasetemp() / "smoke_runs")
    runs = {}
    for name in REGISTRY.figure_experiments(figure):
        run = _run(name, data_dir, logdir)
        assert run.metrics["step"] == 1
        assert all(np.isfinite(v) for v in run.metrics["final_logged"].values())
        if run.experiment.evaluation.untrained_baseline:
            assert run.metrics["untrained"].keys() == {
                k
                for k in run.metrics
                if k
                in (
                    "evaluation",
                    "continuous_factors",
                    "factor_correlations",
                    "category_factors",
                    "generated_classes",
                    "label_free",
                    "generation",
                )
            }
        if isinstance(run.experiment.dataset, configs.ShapesDataset):  # known factors: what c1's categories separate
            per_class = run.metrics["category_factors"]["c1"]
            assert sum(r["count"] for r in per_class.values()) == 32
            assert all(0.0 <= v <= 1.0 for r in per_class.values() for v in r["eta_squared"].values())
            drawn = run.metrics["generated_classes"]  # which class G draws for each category
            assert len(drawn["codes"]["c1"]) == 3 and all(sum(row) == 5 for row in drawn["codes"]["c1"])
        runs[name] = run
    out = tmp_path_factory.mktemp("figures")
    info = figures.render(REGISTRY.figures[figure], runs, str(out))
    assert os.path.getsize(info["path"]) > 1000
    for name, run in runs.items():
        sheet = figures.save_code_sheet(run, str(out / f"{name}_codes.png"), name)
        assert os.path.getsize(sheet) > 1000
