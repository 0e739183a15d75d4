"""Configs: every figure of the MNIST section has a name, an experiment and the official defaults."""

import dataclasses
import json
import os

import pytest

from infogan_tf import configs


def test_mnist_figures_and_group(registry):
    assert registry.expand("all_mnist") == [
        "mnist_mi_curve",
        "mnist_categorical",
        "mnist_gan_categorical",
        "mnist_rotation",
        "mnist_width",
    ]
    assert registry.figure_experiments("mnist_mi_curve") == ["mnist_mi_infogan", "mnist_mi_gan"]
    assert registry.figure_experiments("mnist_gan_categorical") == ["mnist_gan"]


def test_official_mnist_defaults(registry):
    cfg = registry.experiment("mnist")
    t = cfg.train
    assert (t.steps, t.batch_size, t.d_lr, t.g_lr, t.beta1) == (5000, 128, 2e-4, 1e-3, 0.5)
    assert (t.lambda_disc, t.lambda_cont, cfg.leaky_slope) == (1.0, 1.0, 0.01)
    assert cfg.latent.noise_dim == 62 and cfg.architecture.name == "mnist"
    assert [c.learn_std for c in cfg.latent.continuous] == [False, False]


def test_extends_merges_and_overrides(registry):
    gan = registry.experiment("mnist_gan")
    assert gan.mode == "gan" and gan.train.steps == 5000 and gan.latent.noise_dim == 62
    mi = registry.experiment("mnist_mi_gan")
    assert mi.mode == "gan" and mi.train.steps == 1000
    assert [c.name for c in mi.latent.codes] == ["c"]
    assert mi.train.batch_size == 128


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
    with pytest.raises(configs.ConfigError, match="extends: unknown experiment 'y'"):
        configs.Registry(str(tmp_path))
    with pytest.raises(configs.ConfigError, match="does not exist"):
        configs.Registry(str(tmp_path / "missing"))


PAPER_FIGURES = [
    "faces_azimuth",
    "faces_elevation",
    "faces_lighting",
    "faces_width",
    "chairs_rotation",
    "chairs_width",
    "svhn_lighting",
    "svhn_plate_context",
    "celeba_azimuth",
    "celeba_glasses",
    "celeba_hair_style",
    "celeba_emotion",
    "mnist_mi_curve",
    "mnist_categorical",
    "mnist_gan_categorical",
    "mnist_rotation",
    "mnist_width",
]


def test_every_paper_figure_has_a_name_and_all_runs_them(registry):
    assert set(PAPER_FIGURES) <= set(registry.figures)
    assert registry.expand("all") == list(registry.figures)  # in file order


def test_generator_inputs_follow_the_tables(registry):
    # Tables 2-7: SVHN 168, CelebA 228, 3D Faces 133, 3D Chairs 189.
    dim = lambda name: registry.experiment(name).latent.input_dim  # noqa: E731
    assert dim("svhn") == 168 and dim("celeba") == 228
    for e in ("faces_azimuth", "faces_elevation", "faces_lighting"):
        assert dim(e) == 133
    for e in ("chairs_rotation", "chairs_width"):
        assert dim(e) == 189


@pytest.mark.parametrize(
    "exp, d_lr, g_lr, lam",
    [("faces_azimuth", 2e-4, 5e-4, 0.2), ("faces_elevation", 4e-4, 3e-4, 0.1), ("faces_lighting", 8e-4, 3e-4, 0.1)],
)
def test_table_5_per_factor_hyperparameters(registry, exp, d_lr, g_lr, lam):
    t = registry.experiment(exp).train
    assert (t.d_lr, t.g_lr, t.lambda_cont) == (d_lr, g_lr, lam)


@pytest.mark.parametrize("exp, lam_cont, lam_disc", [("chairs_rotation", 10.0, 1.0), ("chairs_width", 0.05, 2.0)])
def test_table_7_separate_lambdas(registry, exp, lam_cont, lam_disc):
    t = registry.experiment(exp).train
    assert (t.d_lr, t.g_lr, t.lambda_cont, t.lambda_disc) == (2e-4, 1e-3, lam_cont, lam_disc)


def test_paper_contradictions_are_stated_in_the_configs(registry):
    assert any("four" in n and "168" in n for n in registry.experiment("svhn").notes)
    assert any("three" in n and "189" in n for n in registry.experiment("chairs_rotation").notes)
    assert any("108x108" in n for n in registry.experiment("celeba").notes)


def test_figures_reuse_experiments_where_the_paper_shares_settings(registry):
    assert registry.figure_experiments("faces_width") == registry.figure_experiments("faces_lighting")
    assert registry.figure_experiments("celeba_glasses") == ["celeba"]


def test_non_mnist_experiments_follow_the_paper(registry):
    for name, cfg in registry.experiments.items():
        if name.startswith("mnist"):
            continue
        assert cfg.leaky_slope == 0.1, name
        assert all(c.learn_std for c in cfg.latent.continuous), name


def test_xla_follows_the_config(registry):
    # svhn and celeba train without XLA by default (slower with it on CPU; results/benchmarks.md)
    assert [
        registry.experiment(e).train.xla for e in ("mnist", "svhn", "celeba", "faces_azimuth", "chairs_rotation")
    ] == [True, False, False, True, True]


def test_every_experiment_round_trips_through_its_record(registry):
    # config.json holds to_dict(); parsing it back gives the same experiment (what resume relies on).
    for name, exp in registry.experiments.items():
        raw = {k: v for k, v in exp.to_dict().items() if k not in ("name", "overrides", "changes")}
        assert configs.parse_experiment(name, raw, "record") == dataclasses.replace(exp, source="record")


# --- errors: one test per kind, each naming the file, the key path, the value and what is valid ---


def _registry_with(tmp_path, change):
    """A config dir holding paper_configs/mnist.json's mnist with ``change(experiment_dict)`` applied."""
    with open(os.path.join(configs.default_config_dir(), "mnist.json")) as f:
        mnist = json.load(f)["experiments"]["mnist"]
    change(mnist)
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"experiments": {"mnist": mnist}}))
    return lambda: configs.Registry(str(tmp_path)), str(path)


def test_a_typo_in_a_key_is_rejected_with_the_closest_valid_key(tmp_path):
    load, path = _registry_with(tmp_path, lambda e: e["train"].update(lamda_disc=5.0))
    with pytest.raises(configs.ConfigError) as e:
        load()
    msg = str(e.value)
    assert msg.startswith(path) and "experiments.mnist.train.lamda_disc" in msg
    assert "did you mean 'lambda_disc'" in msg and "valid keys: steps, batch_size" in msg


def test_a_typo_in_a_code_key_names_the_code(tmp_path):
    load, path = _registry_with(tmp_path, lambda e: e["latent"]["codes"][1].update(learnstd=True))
    with pytest.raises(configs.ConfigError, match=r"latent.codes.c2.learnstd: unknown key .*did you mean 'learn_std'"):
        load()


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("batch_size", "128", r"train.batch_size: \"128\" is not a whole number"),
        ("batch_size", 12.5, r"train.batch_size: 12.5 is not a whole number"),
        ("xla", "yes", r"train.xla: \"yes\" is not true or false"),
        ("d_lr", True, r"train.d_lr: true is not a number"),
    ],
)
def test_a_wrong_type_is_rejected(tmp_path, key, value, message):
    load, _ = _registry_with(tmp_path, lambda e: e["train"].update({key: value}))
    with pytest.raises(configs.ConfigError, match=message):
        load()


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda e: e["train"].update(batch_size=0), r"train.batch_size: 0 is out of range \(valid: >= 1\)"),
        (lambda e: e["train"].update(beta1=1.0), r"train.beta1: 1.0 is out of range \(valid: 0.0 <= value < 1.0\)"),
        (lambda e: e["train"].update(d_lr=0), r"train.d_lr: 0.0 is out of range \(valid: > 0.0\)"),
        (
            lambda e: e["train"].update(d_batch_norm="real"),
            r"train.d_batch_norm: 'real' is not valid \(valid: separate, joint\)",
        ),
        (lambda e: e.update(mode="gann"), r"mode: 'gann' is not valid; did you mean 'gan'"),
        (lambda e: e.update(architecture="mnsit"), r"architecture: 'mnsit' is not valid; did you mean 'mnist'"),
        (lambda e: e["latent"]["codes"][0].update(k=1), r"latent.codes.c1.k: 1 is out of range \(valid: >= 2\)"),
        (lambda e: e["latent"]["codes"].append({"name": "c1", "type": "continuous"}), r"code name 'c1' is used twice"),
        (
            lambda e: e["latent"]["codes"][1].update(type="gaussian"),
            r"latent.codes.c2.type: 'gaussian' is not a code type",
        ),
        (lambda e: e["evaluation"].update(factors=["rotation", "tilt"]), r"evaluation.factors.1: 'tilt' is not valid"),
        (lambda e: e.pop("train"), r"experiments.mnist: missing key 'train'"),
    ],
)
def test_an_out_of_range_or_invalid_value_is_rejected(tmp_path, change, message):
    load, path = _registry_with(tmp_path, change)
    with pytest.raises(configs.ConfigError, match=message) as e:
        load()
    assert str(e.value).startswith(path)


def test_a_figure_naming_an_unknown_experiment_is_rejected(tmp_path):
    (tmp_path / "f.json").write_text(json.dumps({"figures": {"x": {"kind": "codes", "experiment": "mnst"}}}))
    with pytest.raises(configs.ConfigError, match=r"figures.x: unknown experiment 'mnst'"):
        configs.Registry(str(tmp_path))
    (tmp_path / "f.json").write_text(json.dumps({"figures": {"x": {"kind": "sheet", "experiment": "m"}}}))
    with pytest.raises(configs.ConfigError, match=r"figures.x.kind: 'sheet' is not a figure kind"):
        configs.Registry(str(tmp_path))


# --- overrides ----------------------------------------------------------------------------------


def test_overrides_are_applied_and_typed(registry):
    exp = registry.experiment(
        "mnist", ["train.lambda_disc=2", "latent.codes.c2.learn_std=true", "train.steps=20000", "leaky_slope=0.1"]
    )
    assert exp.train.lambda_disc == 2.0 and isinstance(exp.train.lambda_disc, float)
    assert [c.learn_std for c in exp.latent.continuous] == [True, False]
    assert exp.train.steps == 20000 and exp.leaky_slope == 0.1
    assert exp.overrides == (
        "train.lambda_disc=2",
        "latent.codes.c2.learn_std=true",
        "train.steps=20000",
        "leaky_slope=0.1",
    )
    assert registry.experiment("mnist").train.lambda_disc == 1.0  # the registry's copy is untouched


def test_overrides_that_change_training_make_another_run_and_the_rest_do_not(registry):
    plain = registry.experiment("mnist")
    assert plain.run_name == "mnist"
    other = registry.experiment("mnist", ["train.lambda_disc=2", "latent.codes.c2.learn_std=true"])
    assert other.run_name == "mnist@latent.codes.c2.learn_std=true,train.lambda_disc=2.0"
    assert other.identity() != plain.identity()
    # The name comes from what the overrides change, not from how they are written.
    assert (
        registry.experiment(
            "mnist", ["train.lambda_disc=2.0", "latent.codes.c2.learn_std=true", "train.batch_size=128"]
        ).run_name
        == other.run_name
    )
    last_wins = registry.experiment("mnist", ["train.lambda_disc=3", "train.lambda_disc=2"])
    assert last_wins.train.lambda_disc == 2.0 and last_wins.run_name == "mnist@train.lambda_disc=2.0"
    assert registry.experiment("mnist", ['notes=["mine"]', "paper=x"]).run_name == "mnist"
    same = registry.experiment("mnist", ["train.steps=9", "train.xla=false", "logging.log_every=1"])
    assert same.run_name == "mnist" and same.identity() == plain.identity() and same.overrides


@pytest.mark.parametrize(
    "item, message",
    [
        (
            "train.lamda_disc=2",
            r"--set train.lamda_disc=2: unknown key 'lamda_disc' in train; did you mean 'lambda_disc'",
        ),
        ("latent.codes.c9.learn_std=true", r"experiment 'mnist' has no code 'c9' \(its codes: c1, c2, c3\)"),
        (
            "train.batch_size=abc",
            r"--set train.batch_size=abc: experiments.mnist.train.batch_size: \"abc\" is not a whole number",
        ),
        ("train.beta1=2", r"train.beta1: 2.0 is out of range"),
        ("latent.codes.c2=1", r"name a key of the code"),
        ("lambda_disc", r"expected KEY=VALUE"),
        ("train.steps.x=1", r"train.steps is 5000, not an object"),
    ],
)
def test_a_bad_override_is_rejected_like_the_file(registry, item, message):
    with pytest.raises(configs.ConfigError, match=message):
        registry.experiment("mnist", [item])


def test_generation_accuracy_is_for_mnist_only(registry):
    assert registry.experiment("mnist").evaluation.generated_digits == 1000
    with pytest.raises(
        configs.ConfigError,
        match=r"evaluation.generated_digits: 50: the digit classifier judges "
        r"MNIST samples only \(this dataset is 'svhn_cropped'\); valid here: 0",
    ):
        registry.experiment("svhn", ["evaluation.generated_digits=50"])


@pytest.mark.parametrize("item", ["train.d_lr=NaN", "train.lambda_disc=Infinity", "train.beta1=-Infinity"])
def test_non_finite_numbers_are_rejected(registry, item):
    with pytest.raises(configs.ConfigError, match="is not a finite number"):
        registry.experiment("mnist", [item])


def test_an_override_value_is_json_or_else_a_string():
    assert configs.parse_override("train.d_batch_norm=joint") == ("train.d_batch_norm", "joint")
    assert configs.parse_override('evaluation.factors=["x", "y"]') == ("evaluation.factors", ["x", "y"])
    assert configs.parse_override("train.xla=false") == ("train.xla", False)


@pytest.mark.parametrize(
    "figure, message",
    [
        (
            {"kind": "categorical", "experiment": "mnist", "code": "c2"},
            r"figures.x.code: 'c2' is not a categorical code of experiment 'mnist'.*\(valid: c1\)",
        ),
        ({"kind": "continuous", "experiment": "mnist", "code": "c9"}, r"'c9' is not a continuous code"),
        (
            {"kind": "continuous", "experiment": "mnist", "factor": "size"},
            r"figures.x.factor: experiment 'mnist' does not measure 'size' \(its evaluation.factors: rotation, width\)",
        ),
    ],
)
def test_a_figure_whose_code_or_factor_the_experiment_lacks_is_rejected(tmp_path, figure, message):
    with open(os.path.join(configs.default_config_dir(), "mnist.json")) as f:
        mnist = json.load(f)["experiments"]["mnist"]
    (tmp_path / "f.json").write_text(json.dumps({"experiments": {"mnist": mnist}, "figures": {"x": figure}}))
    with pytest.raises(configs.ConfigError, match=message):
        configs.Registry(str(tmp_path))


def test_an_override_that_removes_a_figures_factor_is_caught_before_training(registry):
    exps = {"mnist": registry.experiment("mnist", ["evaluation.factors=[]"])}
    with pytest.raises(configs.ConfigError, match="does not measure 'rotation'"):
        configs.check_figure(registry.figures["mnist_rotation"], exps)


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"experiments": []}', r"experiments: expected an object of named experiments"),
        ('{"groups": {"g": "mnist_rotation"}}', r"groups.g: expected a list of figure names"),
        ('{"figures": {}, "experiment": {}}', r"unknown key 'experiment'; did you mean 'experiments'"),
        ('{"experiments": {"a": {"extends": 3}}}', r"experiments.a.extends: 3 is not an experiment name"),
        ('{"groups": {"g": []}, "groups": {"h": []}}', r"key 'groups' appears twice"),
    ],
)
def test_a_malformed_file_is_rejected_naming_it(tmp_path, text, message):
    (tmp_path / "bad.json").write_text(text)
    with pytest.raises(configs.ConfigError, match=message) as e:
        configs.Registry(str(tmp_path))
    assert str(tmp_path / "bad.json") in str(e.value)
