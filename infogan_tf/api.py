"""The Python API: load a trained run and sample, traverse and encode with codes by name and value.

    import infogan_tf
    m = infogan_tf.load("runs/mnist/seed0")           # a run directory, or its saved_model/
    images = m.sample(16, seed=0, c1=7)                 # [16, 28, 28, 1], c1 = category 7
    grid = m.traverse("c2", [-2, -1, 0, 1, 2], rows=10)  # [10, 5, 28, 28, 1]
    post = m.encode(images)                             # post["c1"]["probs"], post["c2"]["mean"], post["d_prob"]

Images are in G's output range ``m.value_range`` ((0, 1) for the sigmoid MNIST generator, (-1, 1)
for tanh ones); ``m.to_unit_range(images)`` maps them to [0, 1]. The latents are those of
``inference`` (the training prior, Philox seeded with ``seed``), so the same call gives the same
images from a run directory and from its SavedModel, in any process.
"""

import collections
import contextlib
import dataclasses
import json
import os
import random
from typing import Dict, Sequence

import numpy as np
import tensorflow as tf

from infogan_tf import configs, inference

_ImageFormat = collections.namedtuple("_ImageFormat", "image_shape output_activation")


class TrainedModel:
    """A trained InfoGAN in inference mode (batch norm moving averages), from ``load``.

    Attributes:
      spec: the ``latents.LatentSpec`` (noise size and codes).
      codes: code name -> its ``latents.Categorical`` / ``latents.Continuous``, in G's input order.
      image_shape: (H, W, C).
      value_range: (low, high) of G's images: (0, 1) for a sigmoid output, (-1, 1) for tanh.
      experiment: the experiment's name; ``overrides``: its ``--set`` items.
      step: the training iteration of the weights (None when the SavedModel does not record it).
      path, source: where it was loaded from; "run directory" or "SavedModel".

    Args:
      networks: what ``inference`` runs (``spec``, ``arch``, ``generate``, ``encode``): a
        ``model.InfoGAN`` or a SavedModel's signatures; ``load`` builds it.
      path, source, experiment, overrides, step: the attributes of the same names.
    """

    def __init__(self, networks, *, path: str, source: str, experiment: str, overrides: Sequence[str], step):
        self._networks = networks
        self.spec = networks.spec
        self.codes = {c.name: c for c in self.spec.codes}
        self.image_shape = tuple(networks.arch.image_shape)
        self.output_activation = networks.arch.output_activation
        self.value_range = inference.image_range(self.output_activation)
        self.path, self.source = path, source
        self.experiment, self.overrides, self.step = experiment, tuple(overrides), step

    def sample(self, n: int, seed: int = 0, **codes) -> np.ndarray:
        """``n`` images of G, the named codes set, z and the other codes from the prior.

        Args:
          n: how many images.
          seed: fixes z and every code not set; setting a code leaves the draw of the rest unchanged.
          **codes: code name -> value: a category index (int, 0..k-1) for a categorical code, a float
            for a continuous one; or ``n`` values, one per image.
        Returns:
          float32 [n, H, W, C] in ``value_range``.
        Raises:
          ValueError: an unknown code, or a value the code cannot take (the message says what is valid).
        """
        return inference.sample(self._networks, n, seed, codes)

    def traverse(self, code: str, values: Sequence, rows: int = 10, seed: int = 0, **fixed_codes) -> np.ndarray:
        """A traversal sheet: along each row only ``code`` changes, through ``values``.

        Args:
          code: the code varied.
          values: its values, one per column: category indices or floats (e.g. ``np.linspace(-2, 2, 9)``).
          rows: how many rows; each row has its own z and continuous codes from the prior, and every
            categorical code not set takes category ``row mod k`` (row i of an MNIST sheet: c1 = i).
          seed: fixes the rows' latents.
          **fixed_codes: other codes to set, a value for all rows or ``rows`` values, one per row.
        Returns:
          float32 [rows, len(values), H, W, C] in ``value_range``.
        Raises:
          ValueError: an unknown code, a value it cannot take, or ``code`` also among ``fixed_codes``.
        """
        return inference.traverse(self._networks, code, values, rows, seed, fixed_codes)

    def encode(self, images, batch_size: int = 500) -> Dict:
        """Q's posterior of every code and D's probability that each image is real.

        Args:
          images: uint8 [N, H, W, C] (0..255), or floats in ``value_range``; [N, H, W] for one channel.
          batch_size: images per network call.
        Returns:
          {"d_prob": [N], and per code: categorical {"probs": [N, k]}, continuous {"mean": [N, dim],
          "std": [N, dim]}} as numpy, e.g. ``post["c1"]["probs"].argmax(1)`` is Q's category.
        Raises:
          ValueError: images of another shape or dtype, or floats outside ``value_range``.
        """
        d_prob, post = inference.encode(self._networks, images, batch_size)
        return {"d_prob": d_prob, **post}

    def to_unit_range(self, images: np.ndarray) -> np.ndarray:
        """Images of ``value_range`` mapped to [0, 1] (e.g. for ``plt.imshow``).

        Args:
          images: float [..., H, W, C] in ``value_range`` (as ``sample`` and ``traverse`` return).
        Returns:
          The same shape and float dtype, in [0, 1].
        """
        return inference.to_unit_range(images, self.output_activation)

    def __repr__(self) -> str:
        step = f", step {self.step}" if self.step is not None else ""
        overrides = f" with {' '.join(self.overrides)}" if self.overrides else ""
        lo, hi = self.value_range
        lines = [
            f"InfoGAN {self.experiment!r}{overrides}{step}, from the {self.source} {self.path}",
            f"images: {'x'.join(map(str, self.image_shape))} floats in [{lo:g}, {hi:g}] "
            f"({self.output_activation}; to_unit_range() maps to [0, 1])",
        ]
        lines += inference.prior_text(self.spec).splitlines()
        return "\n  ".join(lines)


def load(path: str) -> TrainedModel:
    """Loads a trained run for inference.

    Args:
      path: a run directory (``<logdir>/<run name>/seed<seed>/``: the model is rebuilt from its
        ``config.json`` and the newest intact checkpoint restored) or a SavedModel directory written
        by the run (``saved_model/``: its ``generate`` and ``encode`` signatures and
        ``infogan_spec.json``; needs no config).
    Returns:
      A ``TrainedModel``: ``sample``, ``traverse``, ``encode``, ``codes``.
    Raises:
      FileNotFoundError: ``path`` is not a directory, or the run has no checkpoint.
      ValueError: ``path`` is neither a run directory nor a SavedModel of this package.
    """
    path = os.path.abspath(os.path.expanduser(str(path)))
    if not os.path.isdir(path):
        raise FileNotFoundError(f"{path} is not a directory: give a run directory or its saved_model/")
    if os.path.exists(os.path.join(path, "saved_model.pb")):
        return _load_saved_model(path)
    if os.path.exists(os.path.join(path, "config.json")):
        return _load_run(path)
    raise ValueError(
        f"{path} is neither a run directory (config.json, checkpoints/) nor a SavedModel "
        f"directory (saved_model.pb, infogan_spec.json)"
    )


@contextlib.contextmanager
def _keep_random_state():
    """Building the model seeds Python's and numpy's global generators; a load leaves them as they were."""
    py, np_state = random.getstate(), np.random.get_state()
    try:
        yield
    finally:
        random.setstate(py)
        np.random.set_state(np_state)


def _load_run(path: str) -> TrainedModel:
    from infogan_tf import experiment as experiment_lib
    from infogan_tf import loop
    from infogan_tf.model import InfoGAN

    exp = experiment_lib.saved_experiment(path)
    with open(os.path.join(path, "config.json")) as f:
        seed = json.load(f).get("seed", 0)
    with _keep_random_state():
        model = InfoGAN(exp, seed=seed, jit_compile=False)
    ckpt = model.checkpoint()
    manager = tf.train.CheckpointManager(ckpt, os.path.join(path, "checkpoints"), max_to_keep=None)
    if not manager.checkpoints:
        raise FileNotFoundError(f"{path} has no checkpoint in checkpoints/: the run has not saved a step yet")
    loop.restore_newest_intact(ckpt, manager, model, set_aside=False)
    return TrainedModel(
        model, path=path, source="run directory", experiment=exp.name, overrides=exp.overrides, step=int(model.step)
    )


class _SavedModelNetworks:
    """A SavedModel's signatures behind the interface ``inference`` runs (spec, arch, generate, encode)."""

    def __init__(self, loaded, spec, arch: _ImageFormat):
        self._loaded = loaded  # keeps the signatures' variables alive
        self._generate = loaded.signatures["generate"]
        self._encode = loaded.signatures["encode"]
        self.spec, self.arch = spec, arch

    def generate(self, z, codes):
        return self._generate(z=z, **{c.name: v for c, v in zip(self.spec.codes, codes)})["images"]

    def encode(self, images):
        return inference.nested_outputs(self.spec, self._encode(images=images))


def _load_saved_model(path: str) -> TrainedModel:
    meta_path = os.path.join(path, "infogan_spec.json")
    if not os.path.exists(meta_path):
        raise ValueError(f"{path} is a SavedModel without infogan_spec.json: not one this package exported")
    with open(meta_path) as f:
        meta = json.load(f)
    spec = configs.parse_latent(meta["latent"], source=meta_path)
    if "noise_range" in meta:
        spec = dataclasses.replace(spec, noise_low=meta["noise_range"][0], noise_high=meta["noise_range"][1])
    arch = _ImageFormat(tuple(meta["image_shape"]), meta["output_activation"])
    networks = _SavedModelNetworks(tf.saved_model.load(path), spec, arch)
    return TrainedModel(
        networks,
        path=path,
        source="SavedModel",
        experiment=meta.get("experiment", ""),
        overrides=meta.get("overrides", ()),
        step=meta.get("step"),
    )
