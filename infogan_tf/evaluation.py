"""Evaluation of a trained model: categorical codes as classifiers, and which continuous code
controls which image factor.

Categorical code as a classifier (paper Section 5.2): Q's most probable category on each test
image, categories matched one-to-one to labels by the Hungarian algorithm on the confusion matrix,
accuracy under that matching.

Continuous factors: every continuous code is traversed over its training range with the other
latents fixed; on each generated image two shape statistics are measured from intensity-weighted
second moments: the orientation of the principal axis (degrees from vertical; "rotation") and the
spread across that axis (pixels; "width", unchanged by a rigid rotation). A code's score for a factor
is |mean over rows of corr(code value, statistic)|; codes are assigned to factors one-to-one to
maximise the total score. Nothing is chosen by eye.

What a categorical code separates instead (data with known factors, the shapes): within each class
of real test images, the correlation ratio eta^2 of every factor over Q's categories, i.e. the share
of the factor's variance that lies between the categories (0: the category says nothing about it;
1: the category determines it). Rotation is measured as the image shows it
(``shapes.apparent_rotation``).

Which class G draws for each category (the shapes): G's samples for each category, the other latents
from the prior, are given the class whose real images they are nearest to in three moment invariants
(``moment_invariants``: unchanged by position, scale and rotation); the classifier's accuracy on the
real test images is stored beside the counts, so its reliability is on record.
"""

from typing import Dict, Sequence

import numpy as np
import tensorflow as tf
from scipy.optimize import linear_sum_assignment

from infogan_tf import data, shapes


def posteriors(model, images: np.ndarray, batch_size: int = 500) -> Dict[str, Dict[str, np.ndarray]]:
    """Q's posteriors (inference mode) for uint8 images, batched; numpy arrays per code."""
    act = model.arch.output_activation
    out = {}
    for i in range(0, len(images), batch_size):
        x = data.to_float(images[i:i + batch_size], act)
        _, post = model.encode(x)
        for code, params in post.items():
            for key, value in params.items():
                out.setdefault(code, {}).setdefault(key, []).append(value.numpy())
    return {c: {k: np.concatenate(v) for k, v in p.items()} for c, p in out.items()}


def match_categories(predicted: np.ndarray, labels: np.ndarray, k: int, num_labels: int) -> dict:
    """Hungarian matching of k categories to labels; accuracy, mapping and confusion matrix.

    ``confusion[label, category]`` counts test images. ``category_to_label[c]`` is the label
    category c is matched to (-1 where k > num_labels leaves it unmatched).
    """
    confusion = np.zeros((num_labels, k), dtype=np.int64)
    np.add.at(confusion, (labels.astype(np.int64), predicted.astype(np.int64)), 1)
    rows, cols = linear_sum_assignment(-confusion)
    category_to_label = np.full(k, -1, dtype=np.int64)
    category_to_label[cols] = rows
    correct = int(confusion[rows, cols].sum())
    return {
        "accuracy": correct / float(len(labels)),
        "error": 1.0 - correct / float(len(labels)),
        "num_images": int(len(labels)),
        "category_to_label": category_to_label.tolist(),
        "confusion_label_by_category": confusion.tolist(),
    }


def categorical_accuracy(model, code_name: str, images: np.ndarray, labels: np.ndarray,
                         post: Dict[str, Dict[str, np.ndarray]] = None) -> dict:
    """``code_name`` as a classifier (Hungarian-matched), with majority purity; ``post`` reuses
    precomputed ``posteriors(model, images)``."""
    code = model.spec.code(code_name)
    post = posteriors(model, images) if post is None else post
    predicted = post[code_name]["probs"].argmax(axis=1)
    num_labels = int(max(labels.max() + 1, code.k))
    result = match_categories(predicted, labels, code.k, num_labels)
    result["majority_purity"] = majority_purity(predicted, labels, code.k)
    result["code"] = code_name
    return result


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

    ``images``: float [N, H, W] or [N, H, W, C] (channels averaged), any non-negative scale.
    """
    x = _grey(images)
    mass, mx, my, dx, dy = _centred(x)
    mu20 = (x * dx * dx).sum(axis=(1, 2)) / mass
    mu02 = (x * dy * dy).sum(axis=(1, 2)) / mass
    mu11 = (x * dx * dy).sum(axis=(1, 2)) / mass
    # Angle of the principal axis from the vertical; positive = top leaning right (image y points down).
    angle = 0.5 * np.degrees(np.arctan2(-2.0 * mu11, mu02 - mu20))
    trace, det = mu20 + mu02, mu20 * mu02 - mu11 ** 2
    lam_min = trace / 2.0 - np.sqrt(np.maximum(trace ** 2 / 4.0 - det, 0.0))
    size = np.sqrt(mass / (x.max(axis=(1, 2)) + 1e-12))
    return {"rotation": angle, "width": np.sqrt(np.maximum(lam_min, 0.0)), "x": mx, "y": my, "size": size}


def _latent_rows(model, rows: int, seed: int, fixed: Dict[str, np.ndarray] = None):
    """Numpy latents for ``rows`` rows: z and every code sampled from the prior with a fixed seed."""
    rng = np.random.default_rng(seed)
    spec = model.spec
    z = rng.uniform(spec.noise_low, spec.noise_high, size=(rows, spec.noise_dim)).astype(np.float32)
    codes = {}
    for c in spec.codes:
        if c.kind == "categorical":
            codes[c.name] = np.eye(c.k, dtype=np.float32)[np.arange(rows) % c.k]
        else:
            codes[c.name] = rng.uniform(c.low, c.high, size=(rows, c.dim)).astype(np.float32)
    codes.update(fixed or {})
    return z, codes


def traverse(model, code_name: str, values: Sequence, rows: int, seed: int,
             row_categories: Dict[str, Sequence[int]] = None) -> np.ndarray:
    """Images [rows, len(values), H, W, C]: along a row only ``code_name`` changes.

    For a categorical code ``values`` are category indices; for a continuous one, code values
    (all of the code's dims set to the value). ``row_categories`` fixes a categorical code per row
    (e.g. row i shows digit i).
    """
    spec = model.spec
    fixed = {}
    for name, cats in (row_categories or {}).items():
        k = spec.code(name).k
        fixed[name] = np.eye(k, dtype=np.float32)[np.asarray(cats)[np.arange(rows) % len(cats)]]
    z, codes = _latent_rows(model, rows, seed, fixed)
    code = spec.code(code_name)
    out = []
    for v in values:
        cs = dict(codes)
        if code.kind == "categorical":
            cs[code_name] = np.tile(np.eye(code.k, dtype=np.float32)[int(v)], (rows, 1))
        else:
            cs[code_name] = np.full((rows, code.dim), float(v), dtype=np.float32)
        imgs = model.generate(tf.constant(z), [tf.constant(cs[c.name]) for c in spec.codes])
        out.append(imgs.numpy())
    return np.stack(out, axis=1)


def continuous_factor_scores(model, factors: Sequence[str] = ("rotation", "width"),
                             rows: int = 100, steps: int = 9, seed: int = 1234) -> dict:
    """Scores every continuous code against every factor and assigns codes to factors one-to-one."""
    codes = [c for c in model.spec.codes if c.kind == "continuous"]
    if not codes:
        return {"assignment": {}, "scores": {}}
    values = np.linspace(-1.0, 1.0, steps)
    scores = np.zeros((len(factors), len(codes)))
    spans = np.zeros((len(factors), len(codes)))
    for j, code in enumerate(codes):
        grid = traverse(model, code.name, values, rows, seed)  # [rows, steps, H, W, C]
        flat = grid.reshape((-1,) + grid.shape[2:])
        stats = shape_statistics(flat)
        for i, factor in enumerate(factors):
            s = stats[factor].reshape(rows, steps)
            if factor == "rotation":
                # An axis angle is defined modulo 180 degrees: follow it continuously along the
                # traversal, so a turn past the horizontal (+90 -> -89) counts as 1 degree, not 179.
                s = np.unwrap(s, period=180.0, axis=1)
            spans[i, j] = np.mean(s[:, -1] - s[:, 0])
            s = s - s.mean(axis=1, keepdims=True)
            v = values - values.mean()
            denom = np.sqrt((s ** 2).sum(axis=1) * (v ** 2).sum()) + 1e-12
            corr = (s * v).sum(axis=1) / denom
            scores[i, j] = abs(corr.mean())
    r, c = linear_sum_assignment(-scores)
    assignment = {factors[i]: codes[j].name for i, j in zip(r, c)}
    return {
        "assignment": assignment,
        "scores": {factors[i]: {codes[j].name: round(float(scores[i, j]), 4) for j in range(len(codes))}
                   for i in range(len(factors))},
        "spans": {factors[i]: {codes[j].name: round(float(spans[i, j]), 3) for j in range(len(codes))}
                  for i in range(len(factors))},
        "method": ("|mean over %d rows of Pearson corr(code value in [-1, 1], %d steps; statistic)|, "
                   "rotation = principal-axis angle, width = spread across the principal axis; "
                   "Hungarian assignment of codes to factors. spans: mean change of the statistic "
                   "from code -1 to +1 (pixels; degrees for rotation, followed continuously through +-90), "
                   "how far the factor moves"
                   % (rows, steps)),
    }


def majority_purity(predicted: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Accuracy when each category is read as its most frequent label (many-to-one; k > classes)."""
    correct = 0
    for c in range(k):
        members = labels[predicted == c]
        if len(members):
            correct += np.bincount(members.astype(np.int64)).max()
    return correct / float(len(labels))


def factor_correlations(model, images: np.ndarray, factors: Dict[str, np.ndarray],
                        post: Dict[str, Dict[str, np.ndarray]] = None) -> dict:
    """|Pearson corr| between each continuous code's Q mean on real images and each known factor."""
    post = posteriors(model, images) if post is None else post
    out = {}
    for code in model.spec.continuous:
        means = post[code.name]["mean"]
        row = {}
        for name, values in factors.items():
            if name == "shape":
                continue
            corrs = [abs(np.corrcoef(means[:, d], values)[0, 1]) for d in range(means.shape[1])]
            row[name] = round(float(np.nan_to_num(max(corrs))), 4)
        out[code.name] = row
    return out


def correlation_ratio(values: np.ndarray, groups: np.ndarray) -> float:
    """eta^2: the between-group share of the variance of ``values`` (0 when it has none)."""
    values = np.asarray(values, dtype=np.float64)
    total = ((values - values.mean()) ** 2).sum()
    if total <= 0:
        return 0.0
    between = sum(np.sum(groups == g) * (values[groups == g].mean() - values.mean()) ** 2
                  for g in np.unique(groups))
    return float(between / total)


def category_factors(predicted: np.ndarray, factors: Dict[str, np.ndarray], k: int) -> dict:
    """Per class of real images (``factors["shape"]``): how a categorical code's k categories split
    it (counts), each factor's mean per category and its eta^2 over the categories. Rotation is the
    apparent rotation (``shapes.apparent_rotation``)."""
    labels = np.asarray(factors["shape"], dtype=np.int64)
    values = {name: np.asarray(v, dtype=np.float64) for name, v in factors.items() if name != "shape"}
    if "rotation" in values:
        values["rotation"] = shapes.apparent_rotation(labels, values["rotation"])
    out = {}
    for label in np.unique(labels):
        members = labels == label
        cats = predicted[members]
        name = shapes.CLASSES[label] if label < len(shapes.CLASSES) else str(int(label))
        out[name] = {
            "count": int(members.sum()),
            "categories": np.bincount(cats, minlength=k).tolist(),
            "eta_squared": {f: round(correlation_ratio(v[members], cats), 4) for f, v in values.items()},
            "category_means": {f: [round(float(v[members][cats == c].mean()), 3) if np.any(cats == c) else None
                                   for c in range(k)] for f, v in values.items()},
        }
    return out


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
        return (x * dx ** p * dy ** q).sum(axis=(1, 2)) / m00 ** (1 + (p + q) / 2)

    e20, e02, e11 = eta(2, 0), eta(0, 2), eta(1, 1)
    e30, e03, e21, e12 = eta(3, 0), eta(0, 3), eta(2, 1), eta(1, 2)
    phi1 = e20 + e02
    root = np.sqrt((e20 - e02) ** 2 + 4 * e11 ** 2)
    phi3 = (e30 - 3 * e12) ** 2 + (3 * e21 - e03) ** 2
    return np.stack([np.log((phi1 + root) / np.maximum(phi1 - root, 1e-12)), phi1, np.sqrt(phi3)], axis=1)


def generated_classes(model, images: np.ndarray, labels: np.ndarray, rows: int = 300,
                      seed: int = 4321) -> dict:
    """For every categorical code: how many of G's samples for each category look like each class.

    The classifier is the nearest class mean of ``moment_invariants`` (standardised) over the real
    labelled ``images``; its accuracy on those images is returned as ``classifier_accuracy``.
    ``rows`` samples per category, z and the other codes from the prior.
    """
    labels = np.asarray(labels, dtype=np.int64)
    real = moment_invariants(images)  # min-max scaled per image: uint8 and G's range alike
    mean, std = real.mean(axis=0), real.std(axis=0) + 1e-12
    classes = np.unique(labels)
    centres = np.stack([((real - mean) / std)[labels == c].mean(axis=0) for c in classes])

    def classify(feats):
        d = ((((feats - mean) / std)[:, None, :] - centres[None]) ** 2).sum(axis=-1)
        return classes[d.argmin(axis=1)]

    names = [shapes.CLASSES[c] if c < len(shapes.CLASSES) else str(int(c)) for c in classes]
    out = {"classes": names, "rows": rows,
           "classifier_accuracy": round(float(np.mean(classify(real) == labels)), 4), "codes": {},
           "method": "nearest class mean (real test images) of standardised moment invariants: "
                     "log elongation, Hu phi1, sqrt(Hu phi3)"}
    for code in model.spec.categorical:
        counts = []
        for j in range(code.k):
            fixed = {code.name: np.tile(np.eye(code.k, dtype=np.float32)[j], (rows, 1))}
            z, codes = _latent_rows(model, rows, seed + j, fixed)
            imgs = model.generate(tf.constant(z), [tf.constant(codes[c.name]) for c in model.spec.codes])
            drawn = classify(moment_invariants(imgs.numpy()))
            counts.append([int(np.sum(drawn == c)) for c in classes])
        out["codes"][code.name] = counts
    return out


def evaluate_run(model, cfg: dict, test) -> dict:
    """The evaluation an experiment's config asks for, on its test split (a data.Split).

    Always: every categorical code as a classifier when the split has labels. ``evaluation.factors``
    (e.g. ["rotation", "width"]): the continuous-code factor scores over ``evaluation.factor_rows``
    (default 100) rows of fixed latents. With known factors (shapes):
    the correlations of every continuous code's Q mean with every factor, and for every categorical
    code which factors its categories separate within each class (``category_factors``) and
    which class G draws for each of its categories (``generated_classes``, over
    ``evaluation.class_rows``, default 300, samples per category).
    """
    result = {"evaluation": {}, "continuous_factors": {}}
    if test is None:
        return result
    post = posteriors(model, test.images)
    if test.labels is not None:
        for code in model.spec.categorical:
            result["evaluation"][code.name] = categorical_accuracy(
                model, code.name, test.images, test.labels, post)
    factors = cfg.get("evaluation", {}).get("factors")
    if factors and model.spec.continuous:
        rows = int(cfg.get("evaluation", {}).get("factor_rows", 100))
        result["continuous_factors"] = continuous_factor_scores(model, factors, rows=rows)
    if test.factors is not None and model.spec.continuous:
        result["factor_correlations"] = factor_correlations(model, test.images, test.factors, post)
    if test.factors is not None and "shape" in test.factors and model.spec.categorical:
        result["category_factors"] = {
            code.name: category_factors(post[code.name]["probs"].argmax(axis=1), test.factors, code.k)
            for code in model.spec.categorical}
        result["generated_classes"] = generated_classes(
            model, test.images, test.factors["shape"], rows=int(cfg.get("evaluation", {}).get("class_rows", 300)))
    return result
