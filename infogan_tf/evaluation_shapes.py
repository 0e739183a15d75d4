"""Diagnostics that need the image factors known: the procedurally generated shapes (``shapes``).

Continuous codes: the correlation of every continuous code's Q mean on real test images with every
known factor (``factor_correlations``).

What a categorical code separates instead of the class: within each class of real test images, the
correlation ratio eta^2 of every factor over Q's categories, i.e. the share of the factor's variance
that lies between the categories (0: the category says nothing about it; 1: the category
determines it). Rotation is measured as the image shows it (``shapes.apparent_rotation``).

Which class G draws for each category (``generated_classes``): G's samples for each category, the
other latents from the prior, are given the class whose real images they are nearest to in three
moment invariants (``moments.moment_invariants``: unchanged by position, scale and rotation); the
classifier's accuracy on the real test images is stored beside the counts, so its reliability is on
record.
"""

from typing import Dict, Optional

import numpy as np

from infogan_tf import inference, shapes
from infogan_tf.moments import moment_invariants


def evaluate(
    model,
    images: np.ndarray,
    factors: Dict[str, np.ndarray],
    post: Dict[str, Dict[str, np.ndarray]],
    class_rows: int = 300,
) -> dict:
    """Every diagnostic the model's codes and the known ``factors`` allow.

    Args:
      model: a trained model (``model.InfoGAN``).
      images: the real test images, uint8 [N, H, W, C].
      factors: factor name -> [N] values (``shape``: the class).
      post: Q's posteriors of ``images`` (``inference.encode``).
      class_rows: G's samples per category for ``generated_classes``.
    Returns:
      ``factor_correlations`` (with continuous codes), ``category_factors`` and
      ``generated_classes`` (with a categorical code and a ``shape`` factor).
    """
    out = {}
    if model.spec.continuous:
        out["factor_correlations"] = factor_correlations(model, images, factors, post)
    if "shape" in factors and model.spec.categorical:
        out["category_factors"] = {
            code.name: category_factors(post[code.name]["probs"].argmax(axis=1), factors, code.k)
            for code in model.spec.categorical
        }
        out["generated_classes"] = generated_classes(model, images, factors["shape"], rows=class_rows)
    return out


def factor_correlations(
    model, images: np.ndarray, factors: Dict[str, np.ndarray], post: Optional[Dict[str, Dict[str, np.ndarray]]] = None
) -> dict:
    """|Pearson corr| between each continuous code's Q mean on real images and each known factor
    (the largest over the code's dims), keyed by code and factor."""
    post = inference.encode(model, images)[1] if post is None else post
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
    between = sum(np.sum(groups == g) * (values[groups == g].mean() - values.mean()) ** 2 for g in np.unique(groups))
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
        out[_class_name(label)] = {
            "count": int(members.sum()),
            "categories": np.bincount(cats, minlength=k).tolist(),
            "eta_squared": {f: round(correlation_ratio(v[members], cats), 4) for f, v in values.items()},
            "category_means": {
                f: [round(float(v[members][cats == c].mean()), 3) if np.any(cats == c) else None for c in range(k)]
                for f, v in values.items()
            },
        }
    return out


def generated_classes(model, images: np.ndarray, labels: np.ndarray, rows: int = 300, seed: int = 4321) -> dict:
    """For every categorical code: how many of G's samples for each category look like each class.

    The classifier is the nearest class mean of ``moment_invariants`` (standardised) over the real
    labelled ``images``; its accuracy on those images is returned as ``classifier_accuracy``.
    ``rows`` samples per category j (``inference.sample_latents`` with seed ``seed + j``): z and
    the other codes from the prior.
    """
    labels = np.asarray(labels, dtype=np.int64)
    real = moment_invariants(images)  # min-max scaled per image: uint8 and G's range alike
    mean, std = real.mean(axis=0), real.std(axis=0) + 1e-12
    classes = np.unique(labels)
    centres = np.stack([((real - mean) / std)[labels == c].mean(axis=0) for c in classes])

    def classify(feats):
        d = ((((feats - mean) / std)[:, None, :] - centres[None]) ** 2).sum(axis=-1)
        return classes[d.argmin(axis=1)]

    out = {
        "classes": [_class_name(c) for c in classes],
        "rows": rows,
        "classifier_accuracy": round(float(np.mean(classify(real) == labels)), 4),
        "codes": {},
        "method": "nearest class mean (real test images) of standardised moment invariants: "
        "log elongation, Hu phi1, sqrt(Hu phi3)",
    }
    for code in model.spec.categorical:
        counts = []
        for j in range(code.k):
            drawn = classify(moment_invariants(inference.sample(model, rows, seed + j, {code.name: j})))
            counts.append([int(np.sum(drawn == c)) for c in classes])
        out["codes"][code.name] = counts
    return out


def _class_name(label) -> str:
    return shapes.CLASSES[label] if label < len(shapes.CLASSES) else str(int(label))
