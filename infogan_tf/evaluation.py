"""Evaluation of a trained model: categorical codes as classifiers, and which continuous code
controls which image factor (what MNIST needs). Diagnostics that need known factors (the shapes) are
in ``evaluation_shapes``; ``evaluate_run`` runs both as an experiment asks.

Categorical code as a classifier (paper Section 5.2): Q's most probable category on each test
image, categories matched one-to-one to labels by the Hungarian algorithm on the confusion matrix,
accuracy under that matching; and the majority purity (each category read as its most frequent label).

Continuous factors: every continuous code is traversed over [-1, 1] with the other latents fixed
(``inference.traverse``: z and the other continuous codes from the prior, categorical codes cycling
through their categories by row); on each generated image two shape statistics are measured from
intensity-weighted second moments (``moments.shape_statistics``): the orientation of the principal
axis (degrees from vertical; "rotation") and the spread across that axis (pixels; "width",
unchanged by a rigid rotation). A code's score for a factor is |mean over rows of corr(code value,
statistic)|; codes are assigned to factors one-to-one to maximise the total score. Nothing is chosen
by eye.
"""

from typing import Dict, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from infogan_tf import configs, evaluation_shapes, inference
from infogan_tf.moments import shape_statistics


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
    precomputed posteriors (``inference.encode(model, images)[1]``)."""
    code = model.spec.code(code_name)
    post = inference.encode(model, images)[1] if post is None else post
    predicted = post[code_name]["probs"].argmax(axis=1)
    num_labels = int(max(labels.max() + 1, code.k))
    result = match_categories(predicted, labels, code.k, num_labels)
    result["majority_purity"] = majority_purity(predicted, labels, code.k)
    result["code"] = code_name
    return result


def continuous_factor_scores(model, factors: Sequence[str] = ("rotation", "width"),
                             rows: int = 100, steps: int = 9, seed: int = 1234) -> dict:
    """Scores every continuous code against every factor and assigns codes to factors one-to-one."""
    codes = model.spec.continuous
    if not codes:
        return {"assignment": {}, "scores": {}}
    values = np.linspace(-1.0, 1.0, steps)
    scores = np.zeros((len(factors), len(codes)))
    spans = np.zeros((len(factors), len(codes)))
    for j, code in enumerate(codes):
        grid = inference.traverse(model, code.name, values, rows, seed)  # [rows, steps, H, W, C]
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


def evaluate_run(model, settings: configs.Evaluation, test) -> dict:
    """The evaluation an experiment asks for (``settings``: its ``configs.Evaluation``) on its test
    split (a ``data.Split``).

    Always: every categorical code as a classifier when the split has labels. ``settings.factors``
    (e.g. ("rotation", "width")): the continuous-code factor scores over ``settings.factor_rows``
    rows of fixed latents. With known factors (shapes), ``evaluation_shapes.evaluate``: the
    correlations of every continuous code's Q mean with every factor, and for every categorical code
    which factors its categories separate within each class and which class G draws for each of its
    categories (over ``settings.class_rows`` samples per category).
    """
    result = {"evaluation": {}, "continuous_factors": {}}
    if test is None:
        return result
    _, post = inference.encode(model, test.images)
    if test.labels is not None:
        for code in model.spec.categorical:
            result["evaluation"][code.name] = categorical_accuracy(
                model, code.name, test.images, test.labels, post)
    if settings.factors and model.spec.continuous:
        result["continuous_factors"] = continuous_factor_scores(model, settings.factors, rows=settings.factor_rows)
    if test.factors is not None:
        result.update(evaluation_shapes.evaluate(model, test.images, test.factors, post, settings.class_rows))
    return result
