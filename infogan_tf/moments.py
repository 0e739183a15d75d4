"""Image moments: what an image's intensity-weighted moments say about the shape it shows.

``shape_statistics``: the orientation of the principal axis, the spread across it, the centroid and
the size of each image (what the continuous-factor scores of ``evaluation`` measure on MNIST).
``moment_invariants``: three features unchanged by position, scale and rotation (what
``evaluation_shapes.generated_classes`` tells the shapes' classes apart by).

Pure numpy; images are float [N, H, W] or [N, H, W, C] (channels averaged) at any non-negative scale.
"""

from typing import Dict

import numpy as np


def _grey(images: np.ndarray) -> np.ndarray:
    """float64 [N, H, W]: channels averaged, each image's minimum subtracted."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4:
        x = x.mean(axis=-1)
    return x - x.min(axis=(1, 2), keepdims=True)


def _centred(x: np.ndarray):
    """(mass, centroid x, centroid y, per-pixel offsets dx and dy from it) of intensity images [N, H, W]."""
    _, h, w = x.shape
    mass = x.sum(axis=(1, 2)) + 1e-12
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    mx = (x * xs).sum(axis=(1, 2)) / mass
    my = (x * ys).sum(axis=(1, 2)) / mass
    return mass, mx, my, xs[None] - mx[:, None, None], ys[None] - my[:, None, None]


def shape_statistics(images: np.ndarray) -> Dict[str, np.ndarray]:
    """Image-moment statistics per image, in pixels unless stated.

    rotation: angle of the principal axis from the vertical (degrees); width: spread across the
    principal axis; x, y: centroid; size: square root of the area, the mass over the peak intensity.

    Args:
      images: float [N, H, W] or [N, H, W, C] (channels averaged), any non-negative scale.
    Returns:
      {"rotation", "width", "x", "y", "size"}: float64 arrays [N].
    """
    x = _grey(images)
    mass, mx, my, dx, dy = _centred(x)
    mu20 = (x * dx * dx).sum(axis=(1, 2)) / mass
    mu02 = (x * dy * dy).sum(axis=(1, 2)) / mass
    mu11 = (x * dx * dy).sum(axis=(1, 2)) / mass
    # Angle of the principal axis from the vertical; positive = top leaning right (image y points down).
    angle = 0.5 * np.degrees(np.arctan2(-2.0 * mu11, mu02 - mu20))
    trace, det = mu20 + mu02, mu20 * mu02 - mu11**2
    lam_min = trace / 2.0 - np.sqrt(np.maximum(trace**2 / 4.0 - det, 0.0))
    size = np.sqrt(mass / (x.max(axis=(1, 2)) + 1e-12))
    return {"rotation": angle, "width": np.sqrt(np.maximum(lam_min, 0.0)), "x": mx, "y": my, "size": size}


def moment_invariants(images: np.ndarray) -> np.ndarray:
    """[N, 3] features of the intensity-weighted image (min subtracted, max scaled to 1), unchanged by
    position, scale and rotation: log elongation (ratio of the principal second moments), Hu's first
    invariant phi1 = eta20 + eta02, and the third-order asymmetry sqrt(phi3), with Hu's normalised
    central moments eta_pq = mu_pq / m00^(1 + (p + q) / 2).

    Closed forms for filled shapes: square log 1 = 0, phi1 1/6, asymmetry 0; ellipse with axes 2:1
    log 4, phi1 5 / (8 pi), asymmetry 0; equilateral triangle 0, sqrt(3) / 9, asymmetry > 0 (a shape
    with a centre of symmetry has none).
    """
    x = _grey(images)
    x = x / (x.max(axis=(1, 2), keepdims=True) + 1e-12)
    m00, _, _, dx, dy = _centred(x)

    def eta(p, q):
        return (x * dx**p * dy**q).sum(axis=(1, 2)) / m00 ** (1 + (p + q) / 2)

    e20, e02, e11 = eta(2, 0), eta(0, 2), eta(1, 1)
    e30, e03, e21, e12 = eta(3, 0), eta(0, 3), eta(2, 1), eta(1, 2)
    phi1 = e20 + e02
    root = np.sqrt((e20 - e02) ** 2 + 4 * e11**2)
    phi3 = (e30 - 3 * e12) ** 2 + (3 * e21 - e03) ** 2
    return np.stack([np.log((phi1 + root) / np.maximum(phi1 - root, 1e-12)), phi1, np.sqrt(phi3)], axis=1)
