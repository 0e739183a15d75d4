"""Latent batches for inference, and batched generate and encode.

Every latent batch drawn outside the train step is built here, from the one prior implementation:
``latents.LatentSpec.sample`` with ``tf.random.Generator.from_seed(seed)``, the function the train
step samples from. Codes are set by name and value: a category index for a categorical code, a float
for a continuous one (see ``code_batch``). Evaluation, figures, export and the Python API
(``infogan_tf.api``) use it.

Three kinds of batch:

- ``sample_latents(spec, n, seed, codes)``: n latents from the prior, the named codes set. Setting a
  code does not change the draw of the others: z is the same for every choice of ``codes``.
- ``row_latents(spec, rows, seed, codes)``: the same, but every categorical code not set cycles
  through its categories by row (row i: category i mod k), the convention of the traversal sheets.
- ``traverse_latents(spec, code, values, rows, seed, codes)``: ``row_latents`` with each row repeated
  once per value of ``code``; along a row only ``code`` changes.

``generate`` and ``encode`` run a model in batches in inference mode. A model is anything with
``spec`` (a LatentSpec), ``generate(z, codes_in_spec_order)`` and, for ``encode``, ``arch``
(``image_shape``, ``output_activation``) and ``encode(images) -> (d_prob, posteriors)``: the
in-process ``model.InfoGAN`` or a loaded SavedModel (``api``).
"""

from typing import Dict, Mapping, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from infogan_tf import data
from infogan_tf.latents import LatentSpec

_BATCH = 500


class Latents(NamedTuple):
    """A latent batch: z [n, noise_dim] and every code [n, flat_dim] (categorical: one-hot), float32."""

    z: np.ndarray
    codes: Dict[str, np.ndarray]

    def in_spec_order(self, spec: LatentSpec) -> list:
        return [self.codes[c.name] for c in spec.codes]


# --- codes by name and value ---------------------------------------------------------------------
def describe_code(code) -> str:
    """What a code is and what values it takes, e.g. "c1: categorical, 10 categories (an index 0..9)"."""
    if code.kind == "categorical":
        return f"{code.name}: categorical, {code.k} categories (an index 0..{code.k - 1})"
    dims = f"{code.dim} dims, " if code.dim > 1 else ""
    return f"{code.name}: continuous, {dims}a float (prior Uniform({code.low:g}, {code.high:g}))"


def _code(spec: LatentSpec, name: str):
    try:
        return spec.code(name)
    except KeyError:
        raise ValueError(
            f"no code named {name!r}; the codes are " + "; ".join(describe_code(c) for c in spec.codes)
        ) from None


def code_batch(spec: LatentSpec, name: str, value, n: int) -> np.ndarray:
    """The code ``name`` set to ``value`` for a batch of ``n``, as the generator takes it.

    Args:
      spec: the latent spec.
      name: a code of ``spec``.
      value: categorical code: a category index (int) or ``n`` of them, one per row. Continuous
        code: a float (every dim), ``n`` floats (one per row) or an array [n, dim]; values outside
        the prior's range are allowed (the sheets go to -2..2).
    Returns:
      float32 [n, flat_dim]: one-hot rows for a categorical code.
    Raises:
      ValueError: no such code, or a value it cannot take (naming the code and what is valid).
    """
    code = _code(spec, name)
    arr = np.asarray(value)
    if code.kind == "categorical":
        if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
            raise ValueError(
                f"code {name!r} is categorical with {code.k} categories: give a category index, "
                f"an integer 0..{code.k - 1} (or {n} of them, one per row), not {value!r}"
            )
        if arr.ndim > 1 or (arr.ndim == 1 and len(arr) != n):
            raise ValueError(f"code {name!r}: give one category index or {n} (one per row), got shape {arr.shape}")
        idx = np.broadcast_to(arr, (n,))
        bad = idx[(idx < 0) | (idx >= code.k)]
        if bad.size:
            raise ValueError(f"code {name!r} has {code.k} categories: valid indices are 0..{code.k - 1}, got {bad[0]}")
        return np.eye(code.k, dtype=np.float32)[idx]
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise ValueError(f"code {name!r} is continuous: give a float (or {n}, one per row), not {value!r}")
    arr = arr.astype(np.float32)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"code {name!r}: values must be finite, got {value!r}")
    if arr.ndim == 0:
        return np.full((n, code.dim), arr, dtype=np.float32)
    if arr.ndim == 1 and len(arr) == n:
        return np.repeat(arr[:, None], code.dim, axis=1)
    if arr.shape == (n, code.dim):
        return arr
    raise ValueError(
        f"code {name!r}: give a float, {n} floats (one per row) or an array [{n}, {code.dim}], got shape {arr.shape}"
    )


# --- the three kinds of batch ----------------------------------------------------------------------
def sample_latents(spec: LatentSpec, n: int, seed: int = 0, codes: Optional[Mapping] = None) -> Latents:
    """``n`` latents from the prior (``spec.sample``, Philox seeded with ``seed``), ``codes`` set.

    Args:
      codes: code name -> value (see ``code_batch``); the codes not named keep their prior draw.
    Returns:
      Latents with z [n, noise_dim] and every code [n, flat_dim].
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"the number of latents (n, rows) must be a positive integer, got {n!r}")
    codes = dict(codes or {})
    set_codes = {name: code_batch(spec, name, value, n) for name, value in codes.items()}
    z, drawn = spec.sample(tf.random.Generator.from_seed(seed), n)
    out = {c.name: v.numpy() for c, v in zip(spec.codes, drawn)}
    out.update(set_codes)
    return Latents(z.numpy(), out)


def row_latents(spec: LatentSpec, rows: int, seed: int = 0, codes: Optional[Mapping] = None) -> Latents:
    """``sample_latents``, but a categorical code not in ``codes`` takes category i mod k in row i."""
    cycled = {c.name: np.arange(rows) % c.k for c in spec.categorical}
    cycled.update(codes or {})
    return sample_latents(spec, rows, seed, cycled)


def traverse_latents(
    spec: LatentSpec, code: str, values: Sequence, rows: int, seed: int = 0, codes: Optional[Mapping] = None
) -> Latents:
    """``rows * len(values)`` latents, row-major: row r of ``row_latents`` once per value of ``code``.

    Args:
      code: the code varied along each row.
      values: its values (category indices or floats, see ``code_batch``), one per column.
      codes: the other codes to set (a value, or one per row).
    Returns:
      Latents of rows * len(values) entries; entry r * len(values) + j is row r with ``code`` = values[j].
    """
    _code(spec, code)
    if code in (codes or {}):
        raise ValueError(f"code {code!r} is traversed; it cannot also be set to {codes[code]!r}")
    values = np.asarray(values)
    if values.ndim != 1 or not len(values):
        raise ValueError(f"traverse {code!r}: values must be a non-empty 1-D sequence, got shape {values.shape}")
    column = code_batch(spec, code, values, len(values))
    base = row_latents(spec, rows, seed, codes)
    cols = len(values)
    out = {name: np.repeat(v, cols, axis=0) for name, v in base.codes.items()}
    out[code] = np.tile(column, (rows, 1))
    return Latents(np.repeat(base.z, cols, axis=0), out)


# --- running the networks --------------------------------------------------------------------------
def generate(model, latents: Latents, batch_size: int = _BATCH) -> np.ndarray:
    """G's images [n, H, W, C] (inference mode, G's output range) for ``latents``, ``batch_size`` at a time."""
    z, codes = latents.z, latents.in_spec_order(model.spec)
    out = []
    for i in range(0, len(z), batch_size):
        imgs = model.generate(tf.constant(z[i : i + batch_size]), [tf.constant(c[i : i + batch_size]) for c in codes])
        out.append(np.asarray(imgs))
    return np.concatenate(out)


def sample(model, n: int, seed: int = 0, codes: Optional[Mapping] = None, batch_size: int = _BATCH) -> np.ndarray:
    """Images [n, H, W, C] of ``sample_latents(model.spec, n, seed, codes)``."""
    return generate(model, sample_latents(model.spec, n, seed, codes), batch_size)


def traverse(
    model,
    code: str,
    values: Sequence,
    rows: int,
    seed: int = 0,
    codes: Optional[Mapping] = None,
    batch_size: int = _BATCH,
) -> np.ndarray:
    """Images [rows, len(values), H, W, C] of ``traverse_latents``: along a row only ``code`` changes."""
    imgs = generate(model, traverse_latents(model.spec, code, values, rows, seed, codes), batch_size)
    return imgs.reshape((rows, len(values)) + imgs.shape[1:])


def image_range(output_activation: str) -> Tuple[float, float]:
    """G's output range: (0, 1) for sigmoid, (-1, 1) for tanh."""
    return {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}[output_activation]


def to_unit_range(images: np.ndarray, output_activation: str) -> np.ndarray:
    """Images in G's output range mapped to [0, 1]."""
    lo, hi = image_range(output_activation)
    return (np.asarray(images) - lo) / (hi - lo)


def as_model_input(images, image_shape: Sequence[int], output_activation: str) -> np.ndarray:
    """Images as D takes them: float32 [N, H, W, C] in G's output range.

    Args:
      images: uint8 (0..255) or float images already in G's range, [N, H, W, C] ([N, H, W] for
        one channel).
    Raises:
      ValueError: another shape, dtype, or floats outside G's range.
    """
    x = np.asarray(images)
    shape = tuple(image_shape)
    if x.ndim == 3 and shape[-1] == 1 and x.shape[1:] == shape[:2]:
        x = x[..., None]
    if x.ndim != 4 or x.shape[1:] != shape:
        hint = "; a single image is images[None]" if x.shape == shape else ""
        raise ValueError(f"images must be [N, {', '.join(map(str, shape))}], got shape {x.shape}{hint}")
    if x.dtype == np.uint8:
        return data.to_float(x, output_activation).numpy()
    lo, hi = image_range(output_activation)
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"images must be uint8 (0..255) or floats in G's range [{lo:g}, {hi:g}], got dtype {x.dtype}")
    if x.size and (not np.all(np.isfinite(x)) or x.min() < lo - 1e-3 or x.max() > hi + 1e-3):
        raise ValueError(
            f"float images must lie in G's range [{lo:g}, {hi:g}] ({output_activation} output), "
            f"got values in [{np.nanmin(x):g}, {np.nanmax(x):g}]; pass uint8 images for 0..255"
        )
    return x.astype(np.float32)


def encode(model, images, batch_size: int = _BATCH) -> Tuple[np.ndarray, Dict[str, Dict[str, np.ndarray]]]:
    """D's probability and Q's posteriors of ``images`` (see ``as_model_input``), inference mode, batched.

    Returns:
      (d_prob [N], {code name: {"probs": [N, k]} or {"mean": [N, dim], "std": [N, dim]}}).
    """
    arch = model.arch
    images = np.asarray(images)
    n = len(images)
    if not n:
        raise ValueError("images is empty")
    d_probs, post = [], {}
    for i in range(0, n, batch_size):
        x = as_model_input(images[i : i + batch_size], arch.image_shape, arch.output_activation)
        d_prob, p = model.encode(tf.constant(x))
        d_probs.append(np.asarray(d_prob))
        for code, params in p.items():
            for key, value in params.items():
                post.setdefault(code, {}).setdefault(key, []).append(np.asarray(value))
    return np.concatenate(d_probs), {c: {k: np.concatenate(v) for k, v in p.items()} for c, p in post.items()}


# --- the SavedModel's flat output names ------------------------------------------------------------
def flat_outputs(d_prob, posteriors: Mapping) -> dict:
    """{"d_prob": ..., "<code>_<param>": ...}: the ``encode`` signature's outputs."""
    out = {"d_prob": d_prob}
    for code, params in posteriors.items():
        for key, value in params.items():
            out[f"{code}_{key}"] = value
    return out


def nested_outputs(spec: LatentSpec, flat: Mapping):
    """The inverse of ``flat_outputs``: (d_prob, {code: {param: ...}})."""
    post = {}
    for code in spec.codes:
        params = code.posterior(tf.zeros([1, code.param_dim]))  # which parameters the family has
        post[code.name] = {key: flat[f"{code.name}_{key}"] for key in params}
    return flat["d_prob"], post


def prior_text(spec: LatentSpec) -> str:
    """One line per latent: z and every code with what it takes (for reprs and messages)."""
    lines = [f"z: {spec.noise_dim} dims, Uniform({spec.noise_low:g}, {spec.noise_high:g})"]
    return "\n".join(lines + [describe_code(c) for c in spec.codes])
