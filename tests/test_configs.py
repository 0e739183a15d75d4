"""Configs: every figure of the MNIST section has a name, an experiment and the official defaults."""

import json

import pytest

from infogan_tf import configs


def test_mnist_figures_and_group(registry):
    assert registry.expand("all_mnist") == ["mnist_mi_curve", "mnist_categorical", "mnist_gan_categorical",
                                            "mnist_rotation", "mnist_width"]
    assert registry.figure_experiments("mnist_mi_curve") == ["mnist_mi_infogan", "mnist_mi_gan"]
    assert registry.figure_experiments("mnist_gan_categorical") == ["mnist_gan"]


def test_official_mnist_defaults(registry):
    cfg = registry.experiment("mnist")
    t = cfg["train"]
    assert (t["steps"], t["batch_size"], t["d_lr"], t["g_lr"], t["beta1"]) == (5000, 128, 2e-4, 1e-3, 0.5)
    assert (t["lambda_disc"], t["lambda_cont"], cfg["leaky_slope"]) == (1.0, 1.0, 0.01)
    assert cfg["latent"]["noise_dim"] == 62
    assert [c.get("learn_std", False) for c in cfg["latent"]["codes"][1:]] == [False, False]


def test_extends_merges_and_overrides(registry):
    gan = registry.experiment("mnist_gan")
    assert gan["mode"] == "gan" and gan["train"]["steps"] == 5000 and gan["latent"]["noise_dim"] == 62
    mi = registry.experiment("mnist_mi_gan")
    assert mi["mode"] == "gan" and mi["train"]["steps"] == 1000
    assert [c["name"] for c in mi["latent"]["codes"]] == ["c"]
    assert mi["train"]["batch_size"] == 128


def test_unknown_figure_lists_valid_ones(registry):
    with pytest.raises(configs.ConfigError) as e:
        registry.expand("mnist_rotaton")
    assert "mnist_rotation" in str(e.value) and "all_mnist" in str(e.value)


def test_bad_config_dirs_give_specific_errors(tmp_path):
    with pytest.raises(configs.ConfigError, match="no \\*.json"):
        configs.Registry(str(tmp_path))
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(configs.ConfigError, match="a.json: invalid JSON"):
        configs.Registry(str(tmp_path))
    (tmp_path / "a.json").write_text(json.dumps({"experiments": {"x": {"extends": "y"}}}))
    with pytest.raises(configs.ConfigError, match="extends unknown experiment 'y'"):
        configs.Registry(str(tmp_path))


PAPER_FIGURES = ["faces_azimuth", "faces_elevation", "faces_lighting", "faces_width", "chairs_rotation",
                 "chairs_width", "svhn_lighting", "svhn_plate_context", "celeba_azimuth", "celeba_glasses",
                 "celeba_hair_style", "celeba_emotion", "mnist_mi_curve", "mnist_categorical",
                 "mnist_gan_categorical", "mnist_rotation", "mnist_width"]


def test_every_paper_figure_has_a_name_and_all_runs_them(registry):
    assert set(PAPER_FIGURES) <= set(registry.figures)
    assert set(registry.expand("all")) == set(registry.figures)


def _input_dim(cfg):
    from infogan_tf import latents
    return latents.spec_from_config(cfg["latent"]).input_dim


def test_generator_inputs_follow_the_tables(registry):
    # Tables 2-7: SVHN 168, CelebA 228, 3D Faces 133, 3D Chairs 189.
    assert _input_dim(registry.experiment("svhn")) == 168
    assert _input_dim(registry.experiment("celeba")) == 228
    for e in ("faces_azimuth", "faces_elevation", "faces_lighting"):
        assert _input_dim(registry.experiment(e)) == 133
    for e in ("chairs_rotation", "chairs_width"):
        assert _input_dim(registry.experiment(e)) == 189


@pytest.mark.parametrize("exp, d_lr, g_lr, lam", [("faces_azimuth", 2e-4, 5e-4, 0.2),
                                                   ("faces_elevation", 4e-4, 3e-4, 0.1),
                                                   ("faces_lighting", 8e-4, 3e-4, 0.1)])
def test_table_5_per_factor_hyperparameters(registry, exp, d_lr, g_lr, lam):
    t = registry.experiment(exp)["train"]
    assert (t["d_lr"], t["g_lr"], t["lambda_cont"]) == (d_lr, g_lr, lam)


@pytest.mark.parametrize("exp, lam_cont, lam_disc", [("chairs_rotation", 10.0, 1.0), ("chairs_width", 0.05, 2.0)])
def test_table_7_separate_lambdas(registry, exp, lam_cont, lam_disc):
    t = registry.experiment(exp)["train"]
    assert (t["d_lr"], t["g_lr"], t["lambda_cont"], t["lambda_disc"]) == (2e-4, 1e-3, lam_cont, lam_disc)


def test_paper_contradictions_are_stated_in_the_configs(registry):
    assert any("four" in n and "168" in n for n in registry.experiment("svhn")["notes"])
    assert any("three" in n and "189" in n for n in registry.experiment("chairs_rotation")["notes"])
    assert any("108x108" in n for n in registry.experiment("celeba")["notes"])


def test_figures_reuse_experiments_where_the_paper_shares_settings(registry):
    assert registry.figure_experiments("faces_width") == registry.figure_experiments("faces_lighting")
    assert registry.figure_experiments("celeba_glasses") == ["celeba"]


def test_non_mnist_experiments_follow_the_paper(registry):
    for name, cfg in registry.experiments.items():
        if name.startswith("mnist"):
            continue
        assert cfg["leaky_slope"] == 0.1, name
        assert all(c.get("learn_std") for c in cfg["latent"]["codes"] if c["type"] == "continuous"), name


def test_xla_follows_the_config_unless_overridden(registry):
    from infogan_tf.experiment import use_xla

    # svhn and celeba train without XLA by default (slower with it on CPU; results/benchmarks.md)
    assert [use_xla(registry.experiment(e)) for e in ("mnist", "svhn", "celeba", "faces_azimuth",
                                                      "chairs_rotation")] == [True, False, False, True, True]
    assert use_xla(registry.experiment("svhn"), override=True) is True
    assert use_xla(registry.experiment("mnist"), override=False) is False
    with pytest.raises(ValueError, match=r"train.xla must be true or false, got 'yes'"):
        use_xla({"name": "x", "train": {"xla": "yes"}})
