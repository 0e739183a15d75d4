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
