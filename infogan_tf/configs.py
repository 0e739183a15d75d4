"""Experiment and figure configs: the JSON files in ``paper_configs/``, parsed once into typed objects.

Each file holds ``experiments`` (a trained model: dataset, architecture, latent spec, hyperparameters),
``figures`` (what to draw from which experiment) and ``groups`` (figure lists such as ``all_mnist``).
An experiment may ``extends`` another: its keys are merged over the parent's, recursively for dicts
(``latent`` and ``dataset`` are replaced whole).

Everything is validated here, before anything trains: an unknown key, a wrong type or an
out-of-range value is a ``ConfigError`` naming the file, the key path, the value, what is valid and,
for a likely typo, the closest valid key. The rest of the package receives ``Experiment`` and
``Figure`` objects and never reads a raw dict.

Overrides (``--set KEY=VALUE`` on the runner) change the merged dict of an experiment before it is
parsed, so they are validated exactly like the file. Codes are addressed by name:
``latent.codes.c2.learn_std=true``. Every value the overrides change in what decides the trained
weights names a different run (``Experiment.run_name``); ``train.steps``, ``train.xla``,
``logging.*``, ``evaluation.*`` and the notes do not (a run resumes to more steps; the others change
how it runs, what is measured or what is said about it).
"""

import copy
import dataclasses
import difflib
import json
import math
import os
import re
import typing
from importlib import resources
from typing import Any, Dict, List, Optional, Tuple, Union

from infogan_tf import architectures, latents


class ConfigError(ValueError):
    """A config (a file or a ``--set`` override) that cannot be used, with where and why."""


# --- the typed objects ---------------------------------------------------------------------------
def _field(default=dataclasses.MISSING, *, min=None, max=None, above=None, below=None, choices=None, doc=""):
    """A dataclass field with its valid range: ``min <= v <= max``, ``above < v < below``, or one of
    ``choices``."""
    meta = {"min": min, "max": max, "above": above, "below": below, "choices": choices, "doc": doc}
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@dataclasses.dataclass(frozen=True)
class Train:
    """Optimisation: Adam for both players (the official code's settings unless a config says)."""

    steps: int = _field(min=1)
    batch_size: int = _field(min=1)
    d_lr: float = _field(above=0.0)
    g_lr: float = _field(above=0.0)
    beta1: float = _field(0.5, min=0.0, below=1.0)
    beta2: float = _field(0.999, min=0.0, below=1.0)
    epsilon: float = _field(1e-8, above=0.0)
    lambda_disc: float = _field(1.0, min=0.0, doc="lambda of every categorical code")
    lambda_cont: float = _field(1.0, min=0.0, doc="lambda of every continuous code")
    # How D's batch norm sees a step's real and fake images in training mode: "separate" (the
    # official code: one call per batch, each normalised by its own statistics) or "joint" (a
    # deviation, for shapes_chairs: one call on [real; fake], so both share the statistics).
    d_batch_norm: str = _field("separate", choices=("separate", "joint"))
    xla: bool = _field(True, doc="compile the train step with XLA")
    # "float32" (the official code), or a Keras mixed-precision policy: the layers compute in 16 bits,
    # the variables, batch-norm statistics, losses and L_I stay float32; float16 scales the loss.
    precision: str = _field("float32", choices=PRECISIONS)


@dataclasses.dataclass(frozen=True)
class Logging:
    log_every: int = _field(10, min=1)
    image_every: int = _field(0, min=0, doc="TensorBoard traversal images; 0: never")
    eval_every: int = _field(0, min=0, doc="c1 test accuracy during training; 0: only at the end")
    checkpoint_every: int = _field(250, min=1)
    health_warmup: int = _field(
        500,
        min=0,
        doc="iterations before the training-health checks start "
        "(infogan_tf/health.py); a run as short ends without them",
    )


FACTORS = ("rotation", "width", "x", "y", "size")


@dataclasses.dataclass(frozen=True)
class Evaluation:
    factors: Tuple[str, ...] = _field((), choices=FACTORS, doc="image factors the continuous codes are matched to")
    factor_rows: int = _field(100, min=1)
    class_rows: int = _field(300, min=1)
    untrained_baseline: bool = _field(False, doc="also evaluate the freshly initialised networks")
    generated_digits: int = _field(
        0,
        min=0,
        doc="samples per category that the project's MNIST digit "
        "classifier labels (generation accuracy); 0: none. MNIST only",
    )


@dataclasses.dataclass(frozen=True)
class TfdsDataset:
    """A TensorFlow Datasets dataset, optionally centre-cropped and resized."""

    name: str = _field()
    source: str = _field("tfds", choices=("tfds",))
    crop: Optional[Tuple[int, int]] = _field(None, min=1)
    size: Optional[int] = _field(None, min=1)
    splits: Dict[str, str] = _field({}, choices=("train", "test"), doc="our split name -> TFDS's")


@dataclasses.dataclass(frozen=True)
class ImageFolderDataset:
    """A directory of image files (a manual download, or your own images; ``data.load_image_folder``).

    ``path``: absolute, ``~/...``, or relative: looked up under the data dir, then under the current
    directory (``data.image_folder_root``); empty: not set yet (``paper_configs/own_images.json``),
    an error that says to pass ``--set dataset.path=DIR``. ``size`` and ``grey`` must be the
    architecture's image shape (checked with the experiment). ``crop``: "bbox" (the object's
    bounding box on a plain background, made square), "center" (the central square) or null (the
    whole image resized).
    """

    path: str = _field()
    size: int = _field(min=8)
    source: str = _field("image_folder", choices=("image_folder",))
    name: str = _field("")
    grey: bool = _field(True)
    crop: Optional[str] = _field("bbox", choices=("bbox", "center"))
    num_test_images: int = _field(2000, min=1)
    layout: str = _field("")
    get: str = _field("", doc="how to obtain the images")


@dataclasses.dataclass(frozen=True)
class ShapesDataset:
    """The procedurally generated shapes of ``infogan_tf.shapes``."""

    source: str = _field("shapes", choices=("shapes",))
    size: int = _field(32, min=8)
    color: bool = _field(False)
    num_images: int = _field(20000, min=1)
    num_test_images: int = _field(2000, min=1)
    seed: int = _field(0, min=0)
    ranges: Dict[str, Tuple[float, float]] = _field({}, choices=("scale", "rotation", "x", "y", "hue"))


Dataset = Union[TfdsDataset, ImageFolderDataset, ShapesDataset]
_DATASETS = {"tfds": TfdsDataset, "image_folder": ImageFolderDataset, "shapes": ShapesDataset}


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One trainable experiment, validated. ``overrides`` lists the ``--set`` items applied."""

    name: str
    dataset: Dataset
    architecture: architectures.Architecture
    latent: latents.LatentSpec
    train: Train
    mode: str = "infogan"
    leaky_slope: float = 0.01
    logging: Logging = Logging()
    evaluation: Evaluation = Evaluation()
    paper: str = ""
    notes: Tuple[str, ...] = ()
    overrides: Tuple[str, ...] = ()  # the --set items as given
    changes: Tuple[str, ...] = ()  # what they change in identity(), "key=value" per changed leaf
    source: str = ""  # the file it was read from

    @property
    def run_name(self) -> str:
        """The run directory's name: the experiment, plus every value its overrides change in what
        decides the trained weights (so ``=2`` and ``=2.0``, or an override that repeats the file's
        value, name the same run)."""
        return self.name + override_suffix(self.changes)

    def to_dict(self) -> dict:
        """The config as plain JSON data (what ``config.json`` and the SavedModel record)."""
        return {
            "name": self.name,
            "dataset": dataclasses.asdict(self.dataset),
            "architecture": self.architecture.name,
            "mode": self.mode,
            "latent": latent_to_dict(self.latent),
            "leaky_slope": self.leaky_slope,
            "train": dataclasses.asdict(self.train),
            "logging": dataclasses.asdict(self.logging),
            "evaluation": dataclasses.asdict(self.evaluation),
            "paper": self.paper,
            "notes": list(self.notes),
            "overrides": list(self.overrides),
            "changes": list(self.changes),
        }

    def identity(self) -> dict:
        """What decides the trained weights; a run directory is reused only if this matches."""
        d = self.to_dict()
        train = {k: v for k, v in d["train"].items() if k not in _RUN_SETTINGS_TRAIN}
        dataset = {k: v for k, v in d["dataset"].items() if k not in _DATASET_HINTS}
        return {
            "dataset": dataset,
            "architecture": d["architecture"],
            "mode": d["mode"],
            "latent": d["latent"],
            "leaky_slope": d["leaky_slope"],
            "train": train,
        }


MODES = ("infogan", "gan")
# How a run runs (steps: it may resume to more; xla: how the step executes), not what it learns.
_RUN_SETTINGS_TRAIN = ("steps", "xla")
_DATASET_HINTS = ("name", "layout", "get")  # an image folder's description for error messages


def _leaves(value, prefix: str) -> Dict[str, str]:
    """A flat {"key.path": "json value"} of a nested identity; codes keyed by name."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list) and all(isinstance(c, dict) and "name" in c for c in value) and value:
        items = ((c["name"], {k: v for k, v in c.items() if k != "name"}) for c in value)
    else:
        return {prefix: value if isinstance(value, str) else json.dumps(value)}
    out = {}
    for k, v in items:
        out.update(_leaves(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


def identity_changes(base: "Experiment", changed: "Experiment") -> Tuple[str, ...]:
    """ "key=value" for every leaf of ``changed.identity()`` that differs from ``base``'s (a leaf
    ``base`` has and ``changed`` lacks: "key=null"), sorted."""
    a, b = _leaves(base.identity(), ""), _leaves(changed.identity(), "")
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return tuple(f"{k}={b.get(k, 'null')}" for k in keys)


def override_suffix(overrides) -> str:
    """``@key=value,key=value`` for a run or file name ('' without overrides); long ones hashed."""
    if not overrides:
        return ""
    text = ",".join(sorted(overrides))
    safe = re.sub(r"[^A-Za-z0-9._=,+-]", "_", text)
    if len(safe) > 80:
        import hashlib

        safe = safe[:60] + "-" + hashlib.sha1(text.encode()).hexdigest()[:10]
    return "@" + safe


@dataclasses.dataclass(frozen=True)
class Figure:
    """What to draw. ``kind``: "categorical" or "continuous" (a traversal sheet of one code),
    "codes" (a sheet of every code), "mi_curve" (L_I over training of several experiments)."""

    name: str
    kind: str
    experiments: Dict[str, str]  # label -> experiment name; one entry ("", name) but for mi_curve
    title: str = ""
    paper: str = ""
    code: Optional[str] = None
    factor: Optional[str] = None
    order_by_label: bool = False
    value_range: Tuple[float, float] = (-1.0, 1.0)
    columns: int = 10
    max_step: Optional[int] = None
    source: str = ""  # the file it was read from

    @property
    def experiment(self) -> str:
        """The one experiment of a single-experiment figure."""
        return next(iter(self.experiments.values()))


# --- the schema as data: which keys each object takes ---------------------------------------------
_CODE_KEYS = {
    "categorical": {"name": str, "type": str, "k": int},
    "continuous": {"name": str, "type": str, "dim": int, "low": float, "high": float, "learn_std": bool},
}
_EXPERIMENT_KEYS = (
    "extends",
    "paper",
    "notes",
    "dataset",
    "architecture",
    "mode",
    "latent",
    "leaky_slope",
    "train",
    "logging",
    "evaluation",
)
_FIGURE_KEYS = {
    "categorical": ("kind", "paper", "title", "experiment", "code", "order_by_label"),
    "continuous": ("kind", "paper", "title", "experiment", "code", "factor", "range", "columns"),
    "codes": ("kind", "paper", "title", "experiment"),
    "mi_curve": ("kind", "paper", "title", "experiments", "code", "max_step"),
}


class _Where:
    """Where a value came from, for error messages: a file (or ``--set``) and a key path."""

    def __init__(self, source: str, path: str = ""):
        self.source, self.path = source, path

    def __truediv__(self, key) -> "_Where":
        return _Where(self.source, f"{self.path}.{key}" if self.path else str(key))

    def error(self, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.path or '(top level)'}: {message}")


def _closest(key: str, valid) -> str:
    match = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _check_keys(raw: dict, valid, where: _Where) -> None:
    if not isinstance(raw, dict):
        raise where.error(f"expected an object with keys {', '.join(valid)}, got {raw!r}")
    for key in raw:
        if key not in valid:
            raise (where / key).error(f"unknown key {key!r}{_closest(key, valid)} (valid keys: {', '.join(valid)})")


def _type_name(t) -> str:
    return {int: "a whole number", float: "a number", bool: "true or false", str: "a string"}.get(t, str(t))


def _scalar(value, t, where: _Where):
    """``value`` as type ``t`` (int, float, bool, str), or a ConfigError naming what was expected."""
    if t is bool:
        ok = isinstance(value, bool)
    elif t is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif t is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok = isinstance(value, t)
    if not ok:
        raise where.error(f"{json.dumps(value)} is not {_type_name(t)}")
    if t is float and not math.isfinite(value):
        raise where.error(f"{value} is not a finite number")
    return float(value) if t is float else value


def _check_range(value, meta: dict, where: _Where) -> None:
    lo, hi, above, below, choices = (meta.get(k) for k in ("min", "max", "above", "below", "choices"))
    if choices is not None and isinstance(value, str) and value not in choices:
        raise where.error(f"{value!r} is not valid{_closest(value, choices)} (valid: {', '.join(choices)})")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    low = lo if lo is not None else above
    high = hi if hi is not None else below
    if (
        (lo is not None and value < lo)
        or (hi is not None and value > hi)
        or (above is not None and value <= above)
        or (below is not None and value >= below)
    ):
        left = "" if low is None else f"{low} {'<=' if lo is not None else '<'} "
        right = "" if high is None else f" {'<=' if hi is not None else '<'} {high}"
        if left and right:
            valid = f"{left}value{right}"
        else:
            valid = f"{'>=' if lo is not None else '>'} {low}" if left else f"{'<=' if hi is not None else '<'} {high}"
        raise where.error(f"{value} is out of range (valid: {valid})")


def _value(value, t, meta: dict, where: _Where):
    """Parses ``value`` as the annotation ``t`` (scalars, Optional, Tuple, Dict), checking ``meta``."""
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is Union:  # Optional[X]
        if value is None:
            return None
        return _value(value, [a for a in args if a is not type(None)][0], meta, where)
    if origin in (tuple, Tuple):
        if not isinstance(value, (list, tuple)):
            raise where.error(f"{json.dumps(value)} is not a list")
        items = args[:1] * len(value) if len(args) == 2 and args[1] is Ellipsis else args
        if len(items) != len(value):
            raise where.error(f"{json.dumps(value)} must have {len(items)} entries")
        return tuple(_value(v, a, meta, where / i) for i, (v, a) in enumerate(zip(value, items)))
    if origin in (dict, Dict):
        if not isinstance(value, dict):
            raise where.error(f"{json.dumps(value)} is not an object")
        choices = meta.get("choices")
        out = {}
        for k, v in value.items():
            if choices is not None and k not in choices:
                raise (where / k).error(f"unknown key {k!r}{_closest(k, choices)} (valid keys: {', '.join(choices)})")
            out[k] = _value(v, args[1], {**meta, "choices": None}, where / k)
        return out
    out = _scalar(value, t, where)
    _check_range(out, meta, where)
    return out


def _dataclass(cls, raw, where: _Where, **extra):
    """An instance of the frozen dataclass ``cls`` from ``raw``: unknown keys, types, ranges checked."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _check_keys(raw, fields, where)
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, f in fields.items():
        if name in raw:
            kwargs[name] = _value(raw[name], hints[name], f.metadata, where / name)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise where.error(f"missing key {name!r} ({_type_name(hints[name])})")
    return cls(**kwargs, **extra)


def _latent(raw, where: _Where) -> latents.LatentSpec:
    _check_keys(raw, ("noise_dim", "codes"), where)
    if "noise_dim" not in raw:
        raise where.error("missing key 'noise_dim'")
    noise_dim = _value(raw["noise_dim"], int, {"min": 0}, where / "noise_dim")
    codes_raw = raw.get("codes", [])
    if not isinstance(codes_raw, list):
        raise (where / "codes").error(f"{json.dumps(codes_raw)} is not a list of codes")
    codes, names = [], set()
    for i, c in enumerate(codes_raw):
        w = where / "codes" / (c.get("name", i) if isinstance(c, dict) else i)
        kind = c.get("type") if isinstance(c, dict) else None
        if kind not in _CODE_KEYS:
            raise (w / "type").error(f"{kind!r} is not a code type (valid: {', '.join(_CODE_KEYS)})")
        _check_keys(c, _CODE_KEYS[kind], w)
        if "name" not in c:
            raise w.error("missing key 'name'")
        kw = {k: _value(v, _CODE_KEYS[kind][k], {}, w / k) for k, v in c.items() if k != "type"}
        if kw["name"] in names:
            raise (w / "name").error(f"code name {kw['name']!r} is used twice")
        names.add(kw["name"])
        if kind == "categorical":
            if "k" not in kw:
                raise w.error("missing key 'k' (the number of categories)")
            _check_range(kw["k"], {"min": 2}, w / "k")
            codes.append(latents.Categorical(**kw))
        else:
            _check_range(kw.get("dim", 1), {"min": 1}, w / "dim")
            if not kw.get("low", -1.0) < kw.get("high", 1.0):
                raise w.error(f"low {kw.get('low', -1.0)} must be below high {kw.get('high', 1.0)}")
            codes.append(latents.Continuous(**kw))
    return latents.LatentSpec(noise_dim=noise_dim, codes=tuple(codes))


def latent_to_dict(spec: latents.LatentSpec) -> dict:
    """The inverse of the ``latent`` parse: JSON data that parses back to ``spec``."""
    codes = []
    for c in spec.codes:
        d = {"name": c.name, "type": c.kind, **{k: v for k, v in dataclasses.asdict(c).items() if k != "name"}}
        codes.append(d)
    return {"noise_dim": spec.noise_dim, "codes": codes}


def parse_latent(raw: dict, source: str = "latent") -> latents.LatentSpec:
    """A ``latent`` entry (e.g. from a SavedModel's record) to a LatentSpec, validated."""
    return _latent(raw, _Where(source, "latent"))


def _dataset(raw, where: _Where) -> Dataset:
    if isinstance(raw, str):
        raw = {"source": "tfds", "name": raw}
    if not isinstance(raw, dict) or raw.get("source") not in _DATASETS:
        got = raw.get("source") if isinstance(raw, dict) else raw
        raise (where / "source").error(
            f"{got!r} is not a dataset source (valid: {', '.join(_DATASETS)}; or a TFDS name as a string)"
        )
    dataset = _dataclass(_DATASETS[raw["source"]], raw, where)
    if isinstance(dataset, ShapesDataset):
        from infogan_tf import shapes

        try:
            shapes.factor_ranges(dataset.ranges)
        except ValueError as e:
            raise (where / "ranges").error(str(e)) from None
    return dataset


def _dataset_shape(dataset: Dataset) -> Tuple[Optional[int], Optional[int], Optional[str]]:
    """(size, channels, the key that sets the channels) of the images ``dataset`` makes; None where
    only loading tells (a TFDS dataset's channels, or its size when it is not resized)."""
    if isinstance(dataset, ImageFolderDataset):
        return dataset.size, 1 if dataset.grey else 3, "grey"
    if isinstance(dataset, ShapesDataset):
        return dataset.size, 3 if dataset.color else 1, "color"
    return dataset.size, None, None


def _check_image_shape(dataset: Dataset, arch: architectures.Architecture, where: _Where) -> None:
    """A ConfigError unless the images ``dataset`` makes have the shape ``arch`` takes: size first,
    then grey or colour; it names the key, its value, what is valid and which architectures take the
    dataset's images."""
    size, channels, key = _dataset_shape(dataset)
    h, w, c = arch.image_shape
    takes = f"the {arch.name} architecture takes {h}x{w}x{c} images ({'grey' if c == 1 else 'colour'})"
    if size is not None and size != h:
        key, value, valid = "size", size, h
    elif channels is not None and channels != c:
        value, valid = getattr(dataset, key), (c == 1) if key == "grey" else (c == 3)
    else:
        return
    shape = (size or h, size or w, channels or c)  # a TFDS dataset's channels: taken as the architecture's
    others = [a.name for a in architectures.ARCHITECTURES.values() if a.image_shape == shape]
    if others:
        hint = (
            f"{'x'.join(map(str, shape))} images go to the architecture {' or '.join(others)} (--set architecture=NAME)"
        )
    else:
        known = ", ".join(f"{a.name} {'x'.join(map(str, a.image_shape))}" for a in architectures.ARCHITECTURES.values())
        hint = f"no architecture takes {'x'.join(map(str, shape))} images (they take: {known})"
    raise (where / key).error(f"{json.dumps(value)}: {takes}; valid: {json.dumps(valid)}; {hint}")


def parse_dataset(raw, source: str = "dataset") -> Dataset:
    """A ``dataset`` entry (a TFDS name or an object with ``source``) to its typed object, validated."""
    return _dataset(raw, _Where(source, "dataset"))


def parse_experiment(
    name: str, raw: dict, source: str, overrides: Tuple[str, ...] = (), changes: Tuple[str, ...] = ()
) -> Experiment:
    """One merged experiment dict (``extends`` resolved) to an ``Experiment``, validated."""
    where = _Where(source, f"experiments.{name}")
    _check_keys(raw, _EXPERIMENT_KEYS, where)
    for key in ("dataset", "architecture", "latent", "train"):
        if key not in raw:
            raise where.error(f"missing key {key!r}")
    dataset = _dataset(raw["dataset"], where / "dataset")
    arch_name = _value(
        raw["architecture"], str, {"choices": tuple(architectures.ARCHITECTURES)}, where / "architecture"
    )
    mode = _value(raw.get("mode", "infogan"), str, {"choices": MODES}, where / "mode")
    slope = _value(raw.get("leaky_slope", 0.01), float, {"min": 0.0, "below": 1.0}, where / "leaky_slope")
    notes = raw.get("notes", [])
    if isinstance(notes, str):
        notes = [notes]
    if not isinstance(notes, list):
        raise (where / "notes").error(f"expected a list of strings, got {json.dumps(notes)}")
    _check_image_shape(dataset, architectures.ARCHITECTURES[arch_name], where / "dataset")
    evaluation = _dataclass(Evaluation, raw.get("evaluation", {}), where / "evaluation")
    if evaluation.generated_digits and getattr(dataset, "name", None) != "mnist":
        raise (where / "evaluation" / "generated_digits").error(
            f"{evaluation.generated_digits}: the digit classifier judges MNIST samples only (this dataset is "
            f"{getattr(dataset, 'name', None) or dataset.source!r}); valid here: 0"
        )
    return Experiment(
        name=name,
        dataset=dataset,
        architecture=architectures.ARCHITECTURES[arch_name],
        latent=_latent(raw["latent"], where / "latent"),
        train=_dataclass(Train, raw["train"], where / "train"),
        mode=mode,
        leaky_slope=slope,
        logging=_dataclass(Logging, raw.get("logging", {}), where / "logging"),
        evaluation=evaluation,
        paper=_value(raw.get("paper", ""), str, {}, where / "paper"),
        notes=tuple(_value(n, str, {}, where / "notes" / i) for i, n in enumerate(notes)),
        overrides=tuple(overrides),
        changes=tuple(changes),
        source=source,
    )


def parse_figure(name: str, raw: dict, source: str) -> Figure:
    where = _Where(source, f"figures.{name}")
    if not isinstance(raw, dict) or raw.get("kind") not in _FIGURE_KEYS:
        got = raw.get("kind") if isinstance(raw, dict) else raw
        raise (where / "kind").error(f"{got!r} is not a figure kind (valid: {', '.join(_FIGURE_KEYS)})")
    kind = raw["kind"]
    _check_keys(raw, _FIGURE_KEYS[kind], where)
    if kind == "mi_curve":
        if "experiments" not in raw or "code" not in raw:
            raise where.error("an mi_curve figure needs 'experiments' (label -> experiment) and 'code'")
        experiments = _value(raw["experiments"], Dict[str, str], {}, where / "experiments")
    else:
        if "experiment" not in raw:
            raise where.error("missing key 'experiment'")
        experiments = {"": _value(raw["experiment"], str, {}, where / "experiment")}
    if kind in ("categorical", "continuous") and "code" not in raw and "factor" not in raw:
        raise where.error("a traversal figure needs 'code'" + (" or 'factor'" if kind == "continuous" else ""))
    get = lambda key, t, default, meta=None: (  # noqa: E731
        _value(raw[key], t, meta or {}, where / key) if key in raw else default
    )
    return Figure(
        name=name,
        kind=kind,
        experiments=experiments,
        title=get("title", str, name),
        paper=get("paper", str, ""),
        code=get("code", str, None),
        factor=get("factor", str, None, {"choices": FACTORS}),
        order_by_label=get("order_by_label", bool, False),
        value_range=get("range", Tuple[float, float], (-1.0, 1.0)),
        columns=get("columns", int, 10, {"min": 2}),
        max_step=get("max_step", int, None, {"min": 1}),
        source=source,
    )


def check_figure(fig: Figure, experiments: Dict[str, "Experiment"]) -> None:
    """Raises ConfigError when ``fig`` cannot be drawn from ``experiments`` (name -> Experiment):
    its code is missing or of the other kind, or its factor is not measured (before anything trains)."""
    want = fig.kind if fig.kind in ("categorical", "continuous") else None
    for name in fig.experiments.values():
        exp = experiments[name]
        where = f"{fig.source}: figures.{fig.name}"
        if fig.code is not None:
            code = next((c for c in exp.latent.codes if c.name == fig.code), None)
            if code is None or (want and code.kind != want):
                valid = [c.name for c in exp.latent.codes if not want or c.kind == want]
                raise ConfigError(
                    f"{where}.code: {fig.code!r} is not a {want + ' ' if want else ''}code of "
                    f"experiment {name!r}{_closest(fig.code, valid)} (valid: {', '.join(valid)})"
                )
        if fig.factor is not None:
            factors = exp.evaluation.factors
            if fig.factor not in factors:
                raise ConfigError(
                    f"{where}.factor: experiment {name!r} does not measure {fig.factor!r} (its "
                    f"evaluation.factors: {', '.join(factors) or 'none'})"
                )
            if len(exp.latent.continuous) < len(factors):
                raise ConfigError(
                    f"{where}.factor: experiment {name!r} has {len(exp.latent.continuous)} "
                    f"continuous codes for {len(factors)} evaluation.factors; each factor needs its own code"
                )


# --- overrides -----------------------------------------------------------------------------------
def parse_override(item: str) -> Tuple[str, Any]:
    """``"train.lambda_disc=2"`` -> ("train.lambda_disc", 2.0). The value is JSON (numbers, true,
    false, null, lists, objects) or else a plain string."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set train.lambda_disc=2")
    key, text = (s.strip() for s in item.split("=", 1))
    if not key or not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", key):
        raise ConfigError(f"--set {item!r}: {key!r} is not a key path such as train.lambda_disc")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = text
    return key, value


def _schema_keys(node_path: List[str], node) -> Optional[Tuple[str, ...]]:
    """The valid keys below a path of an experiment (None: any key, e.g. a dict-valued entry)."""
    if not node_path:
        return _EXPERIMENT_KEYS
    head = node_path[0]
    if head in ("train", "logging", "evaluation") and len(node_path) == 1:
        return tuple(
            f.name for f in dataclasses.fields({"train": Train, "logging": Logging, "evaluation": Evaluation}[head])
        )
    if head == "dataset" and len(node_path) == 1:
        source = node.get("source", "tfds") if isinstance(node, dict) else "tfds"
        return tuple(f.name for f in dataclasses.fields(_DATASETS.get(source, TfdsDataset)))
    if head == "latent" and len(node_path) == 1:
        return ("noise_dim", "codes")
    if head == "latent" and len(node_path) == 3:  # latent.codes.<name>
        return tuple(_CODE_KEYS.get(node.get("type"), _CODE_KEYS["continuous"]))
    return None


def apply_override(raw: dict, key: str, value, experiment: str) -> dict:
    """``raw`` (a merged experiment dict) with ``key`` set to ``value``; unknown keys rejected."""
    item = f"--set {canonical_override(key, value)}"
    out = copy.deepcopy(raw)
    if isinstance(out.get("dataset"), str):
        out["dataset"] = {"source": "tfds", "name": out["dataset"]}
    parts = key.split(".")
    node, done = out, []
    for i, part in enumerate(parts):
        valid = _schema_keys(done, node)
        if done == ["latent", "codes"]:  # a code by name
            names = [c.get("name") for c in node if isinstance(c, dict)]
            if part not in names:
                raise ConfigError(
                    f"{item}: experiment {experiment!r} has no code {part!r}"
                    f"{_closest(part, names)} (its codes: {', '.join(map(str, names))})"
                )
            node = node[names.index(part)]
        else:
            if valid is not None and (part not in valid or part == "extends"):
                valid = tuple(v for v in valid if v != "extends")
                where = ".".join(done) or "an experiment"
                raise ConfigError(
                    f"{item}: unknown key {part!r} in {where}{_closest(part, valid)} (valid keys: {', '.join(valid)})"
                )
            if i == len(parts) - 1:
                node[part] = value
                break
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, (dict, list)):
                raise ConfigError(f"{item}: {'.'.join(done + [part])} is {json.dumps(child)}, not an object with keys")
            node = child
        done.append(part)
        if i == len(parts) - 1:  # the path ended on a code: replace it whole
            raise ConfigError(f"{item}: name a key of the code, e.g. {key}.learn_std=true")
    return out


def canonical_override(key: str, value) -> str:
    return f"{key}={json.dumps(value)}" if not isinstance(value, str) else f"{key}={value}"


# --- the registry of everything in a config directory ---------------------------------------------
def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and k not in ("latent", "dataset"):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _no_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup is not None:
        raise ValueError(f"key {dup!r} appears twice in one object")
    return dict(pairs)


def default_config_dir() -> str:
    return str(resources.files("paper_configs"))


class Registry:
    """All experiments, figures and groups of a config directory, each validated when read."""

    def __init__(self, config_dir: Optional[str] = None):
        self.config_dir = config_dir or default_config_dir()
        if not os.path.isdir(self.config_dir):
            raise ConfigError(f"config dir {self.config_dir!r} (--config_dir) does not exist")
        self._raw: Dict[str, Tuple[dict, str]] = {}
        self.figures: Dict[str, Figure] = {}
        self.groups: Dict[str, List[str]] = {}
        names = sorted(f for f in os.listdir(self.config_dir) if f.endswith(".json"))
        if not names:
            raise ConfigError(f"no *.json configs in {self.config_dir!r}")
        raw_figures, groups = {}, {}
        for fname in names:
            path = os.path.join(self.config_dir, fname)
            try:
                with open(path) as f:
                    data = json.load(f, object_pairs_hook=_no_duplicate_keys)
            except json.JSONDecodeError as e:
                raise ConfigError(f"{path}: invalid JSON: {e}") from None
            except ValueError as e:
                raise ConfigError(f"{path}: {e}") from None
            _check_keys(data, ("experiments", "figures", "groups"), _Where(path))
            for section, target in (("experiments", self._raw), ("figures", raw_figures), ("groups", groups)):
                entries = data.get(section, {})
                if not isinstance(entries, dict):
                    raise _Where(path, section).error(
                        f"expected an object of named {section}, got {json.dumps(entries)}"
                    )
                for key, value in entries.items():
                    if key in target:
                        raise ConfigError(f"{path}: {section[:-1]} {key!r} is defined twice (also in {target[key][1]})")
                    target[key] = (value, path)
        self._resolved = {name: self._resolve(name, []) for name in self._raw}
        self.experiments: Dict[str, Experiment] = {
            name: parse_experiment(name, raw, self._raw[name][1]) for name, raw in self._resolved.items()
        }
        for name, (raw, path) in raw_figures.items():
            fig = parse_figure(name, raw, path)
            for exp in fig.experiments.values():
                if exp not in self.experiments:
                    raise ConfigError(
                        f"{path}: figures.{name}: unknown experiment {exp!r}{_closest(exp, self.experiments)}"
                    )
            check_figure(fig, self.experiments)
            self.figures[name] = fig
        for name, (members, path) in groups.items():
            where = _Where(path, f"groups.{name}")
            if name in self.figures:
                raise where.error("a group cannot have a figure's name")
            if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
                raise where.error(f"expected a list of figure names, got {json.dumps(members)}")
            for m in members:
                if m not in self.figures:
                    raise where.error(f"unknown figure {m!r}{_closest(m, self.figures)}")
            self.groups[name] = members
        if "all" not in self.groups:
            self.groups["all"] = list(self.figures)  # every figure, in file order

    def _resolve(self, name: str, chain: List[str]) -> dict:
        if name in chain:
            raise ConfigError(f"experiment {name!r} extends itself: {' -> '.join(chain + [name])}")
        cfg, path = self._raw[name]
        if not isinstance(cfg, dict):
            raise ConfigError(f"{path}: experiments.{name}: expected an object, got {cfg!r}")
        parent = cfg.get("extends")
        if parent is not None and not isinstance(parent, str):
            raise _Where(path, f"experiments.{name}.extends").error(f"{json.dumps(parent)} is not an experiment name")
        if parent is not None:
            if parent not in self._raw:
                raise ConfigError(
                    f"{path}: experiments.{name}.extends: unknown experiment {parent!r}"
                    f"{_closest(str(parent), self._raw)}"
                )
            base = self._resolve(parent, chain + [name])
            cfg = _merge(base, {k: v for k, v in cfg.items() if k != "extends"})
        return copy.deepcopy(cfg)

    def figure_experiments(self, figure: str) -> List[str]:
        return list(self.figures[figure].experiments.values())

    def valid_figure_names(self) -> List[str]:
        return sorted(self.figures) + sorted(self.groups)

    def expand(self, figure: str) -> List[str]:
        """A figure or group name to the list of figure names it stands for."""
        if figure in self.groups:
            return list(self.groups[figure])
        if figure in self.figures:
            return [figure]
        raise ConfigError(
            f"unknown figure {figure!r}{_closest(figure, self.valid_figure_names())} "
            f"Valid --figure values: {', '.join(self.valid_figure_names())}"
        )

    def experiment(self, name: str, overrides=()) -> Experiment:
        """The experiment ``name`` with ``overrides`` ("key=value" strings) applied and validated."""
        if name not in self.experiments:
            raise ConfigError(
                f"unknown experiment {name!r}{_closest(name, self.experiments)}; "
                f"valid: {', '.join(sorted(self.experiments))}"
            )
        if not overrides:
            return self.experiments[name]
        raw, items = self._resolved[name], []
        for item in overrides:
            key, value = parse_override(item)
            raw = apply_override(raw, key, value, name)
            items.append(canonical_override(key, value))
        exp = parse_experiment(
            name, raw, f"{self._raw[name][1]} with --set {' --set '.join(items)}", overrides=tuple(items)
        )
        return dataclasses.replace(exp, changes=identity_changes(self.experiments[name], exp))
