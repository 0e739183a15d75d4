"""A procedurally generated dataset with known factors (in the spirit of dSprites).

Each image holds one shape, drawn with 4x supersampling:

- ``shape``: class 0 square, 1 ellipse (aspect 2:1), 2 equilateral triangle (the label);
- ``scale`` in [0.5, 1.0]; ``rotation`` in [0, 90) degrees (no shape repeats itself within that
  range); ``x`` and ``y`` position in [-0.4, 0.4] (fractions of the half-width, shape stays inside);
- colour images also have ``hue`` in [0, 1): the shape is filled with that fully saturated hue on a
  black background. Grey images are white shapes on black.

Those are the default ``RANGES``; ``ranges`` overrides any of them (uniform in [low, high)), and a
range that would push a shape out of the image is refused.

The same (seed, index) always gives the same image, so a dataset is defined by its options alone.
"""

import colorsys
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

CLASSES = ("square", "ellipse", "triangle")
FACTORS = ("scale", "rotation", "x", "y")
# The turn that maps each class onto itself: square 90, ellipse 180, equilateral triangle 120 degrees.
SYMMETRY_DEGREES = (90.0, 180.0, 120.0)
_BASE = 0.4  # half-size of a scale-1 shape, as a fraction of the image half-width
_SUPER = 4


RANGES = {"scale": (0.5, 1.0), "rotation": (0.0, 90.0), "x": (-0.4, 0.4), "y": (-0.4, 0.4), "hue": (0.0, 1.0)}
_REACH = np.sqrt(2.0)  # the farthest point of any unit shape from its centre (the square's corner)


def factor_ranges(ranges: Optional[Dict[str, Sequence[float]]] = None) -> Dict[str, Tuple[float, float]]:
    """The default ranges with ``ranges`` applied, validated."""
    out = dict(RANGES)
    for name, value in (ranges or {}).items():
        if name not in RANGES:
            raise ValueError(f"shapes: unknown factor {name!r} in ranges; valid: {', '.join(RANGES)}")
        try:
            low, high = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"shapes: range of {name!r} must be [low, high], got {value!r}") from None
        if not low < high:
            raise ValueError(f"shapes: range of {name!r} must have low < high, got {value!r}")
        out[name] = (low, high)
    reach = _BASE * out["scale"][1] * _REACH + max(abs(v) for v in out["x"] + out["y"])
    if out["scale"][0] <= 0 or reach > 1.0:
        raise ValueError(
            f"shapes: scale {out['scale']} with x {out['x']} and y {out['y']} would push "
            f"shapes out of the image (reach {reach:.2f} > 1 half-width)"
        )
    return out


def sample_factors(
    n: int, seed: int, color: bool, ranges: Optional[Dict[str, Sequence[float]]] = None
) -> Dict[str, np.ndarray]:
    r = factor_ranges(ranges)
    rng = np.random.default_rng(seed)
    f = {
        "shape": rng.integers(0, len(CLASSES), n),
        "scale": rng.uniform(*r["scale"], n),
        "rotation": rng.uniform(*r["rotation"], n),
        "x": rng.uniform(*r["x"], n),
        "y": rng.uniform(*r["y"], n),
    }
    if color:
        f["hue"] = rng.uniform(*r["hue"], n) % 1.0
    return f


def _inside(shape: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Membership in the unit shape, in shape coordinates (u right, v up), per class."""
    square = (np.abs(u) <= 1.0) & (np.abs(v) <= 1.0)
    ellipse = u**2 + (v / 0.5) ** 2 <= 1.0
    # Equilateral triangle with circumradius 1.2, apex up.
    r = 1.2
    tri = (v >= -r / 2) & (np.sqrt(3.0) * u + v <= r) & (-np.sqrt(3.0) * u + v <= r)
    s = shape[:, None, None]
    return np.where(s == 0, square, np.where(s == 1, ellipse, tri))


def render(factors: Dict[str, np.ndarray], size: int, color: bool) -> np.ndarray:
    """uint8 images [N, size, size, 3 if color else 1] for the given factors."""
    n = len(factors["shape"])
    k = size * _SUPER
    coords = (np.arange(k) + 0.5) / k * 2.0 - 1.0  # pixel centres in [-1, 1]
    px, py = np.meshgrid(coords, -coords)  # py points up
    out = np.empty((n, size, size, 3 if color else 1), np.uint8)
    chunk = max(1, 2_000_000 // (k * k))
    for i in range(0, n, chunk):
        sl = slice(i, min(n, i + chunk))
        theta = np.radians(factors["rotation"][sl])[:, None, None]
        half = (_BASE * factors["scale"][sl])[:, None, None]
        dx = px[None] - factors["x"][sl][:, None, None]
        dy = py[None] - factors["y"][sl][:, None, None]
        u = (np.cos(theta) * dx + np.sin(theta) * dy) / half
        v = (-np.sin(theta) * dx + np.cos(theta) * dy) / half
        mask = _inside(factors["shape"][sl], u, v).astype(np.float32)
        cover = mask.reshape(-1, size, _SUPER, size, _SUPER).mean(axis=(2, 4))
        if color:
            rgb = np.array([colorsys.hsv_to_rgb(h, 1.0, 1.0) for h in factors["hue"][sl]], np.float32)
            img = cover[..., None] * rgb[:, None, None, :]
        else:
            img = cover[..., None]
        out[sl] = np.round(img * 255.0).astype(np.uint8)
    return out


def apparent_rotation(shape: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """Degrees from the nearest turn that looks like the unrotated shape, in [0, period / 2].

    Each class repeats itself every ``SYMMETRY_DEGREES`` and is mirror-symmetric in its unrotated
    pose, so a turn by t and by period - t look alike: a square at 5 and at 85 degrees is the same
    picture mirrored, and both are 5 degrees from upright. This is the rotation an image shows.
    """
    period = np.asarray(SYMMETRY_DEGREES)[np.asarray(shape, dtype=np.int64)]
    r = np.mod(np.asarray(rotation, dtype=np.float64), period)
    return np.minimum(r, period - r)


def make(
    num_images: int,
    size: int = 32,
    color: bool = False,
    seed: int = 0,
    ranges: Optional[Dict[str, Sequence[float]]] = None,
) -> Tuple[np.ndarray, Dict]:
    """(images uint8 [N, size, size, C], factors dict with 'shape' as the label)."""
    if size < 8:
        raise ValueError(f"shapes: size {size} is too small; use 32 or 64")
    factors = sample_factors(num_images, seed, color, ranges)
    return render(factors, size, color), factors
