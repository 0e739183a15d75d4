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

from typing import Callable, Dict, Optional, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from infogan_tf import configs, evaluation_shapes, inference
from infogan_tf.moments import shape_statistics


def match_categories(predicted: np.ndarray, labels: np.ndarray, k: int, num_labels: int) -> dict:
    """Hungarian matching of k categories to labels; accuracy, mapping and confusion matrix.

    Categories are matched to labels one-to-one so that the most images are matched right
    (``scipy.optimize.linear_sum_assignment`` on the confusion matrix).

    Args:
      predicted: int [N], each image's category in 0..k-1.
      labels: int [N], each image's label in 0..num_labels-1.
      k: the number of categories.
      num_labels: the number of labels (at least labels.max() + 1).
    Returns:
      {"accuracy" (in [0, 1]: the share of images whose category is matched to their label),
      "error" (1 - accuracy), "num_images" (N), "category_to_label" [k] (the label category c is
      matched to; -1 where k > num_labels leaves it unmatched, its images counted wrong),
      "confusion_label_by_category" [num_labels, k] (image counts)}, as Python lists and numbers.
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


def categorical_accuracy(
    model, code_name: str, images: np.ndarray, labels: np.ndarray, post: Dict[str, Dict[str, np.ndarray]] = None
) -> dict:
    """``code_name`` as a classifier: Q's most probable category on each image, Hungarian-matched.

    Args:
      model: a ``model.InfoGAN`` (anything ``inference.encode`` runs, with a ``spec``).
      code_name: a categorical code, e.g. "c1".
      images: uint8 [N, H, W, C] (0..255) or floats in G's output range; unused when ``post`` is given.
      labels: int [N], the images' labels (>= 0).
      post: precomputed posteriors to reuse, ``inference.encode(model, images)[1]``
        (``post[code_name]["probs"]`` float [N, k]); None: computed from ``images``.
    Returns:
      ``match_categories``' dict with num_labels = labels.max() + 1 (a category beyond the labels is
      unmatched, -1), plus
      "majority_purity" (in [0, 1], ``majority_purity``) and "code" (``code_name``).
    Raises:
      KeyError: the model has no code ``code_name``.
    """
    code = model.spec.code(code_name)
    post = inference.encode(model, images)[1] if post is None else post
    predicted = post[code_name]["probs"].argmax(axis=1)
    num_labels = int(labels.max()) + 1
    result = match_categories(predicted, labels, code.k, num_labels)
    result["majority_purity"] = majority_purity(predicted, labels, code.k)
    result["code"] = code_name
    return result


def continuous_factor_scores(
    model, factors: Sequence[str] = ("rotation", "width"), rows: int = 100, steps: int = 9, seed: int = 1234
) -> dict:
    """Scores every continuous code against every factor and assigns codes to factors one-to-one.

    Args:
      model: a ``model.InfoGAN`` (anything ``inference.traverse`` runs, with a ``spec``).
      factors: statistics of ``moments.shape_statistics`` to score, e.g. "rotation", "width".
      rows: traversal rows, each with its own z and other codes (``inference.traverse``).
      steps: code values per row, evenly spaced over [-1, 1].
      seed: fixes the rows' latents.
    Returns:
      {"assignment": factor -> code name (min(len(factors), codes) pairs), "scores": factor -> code
      -> |mean over rows of corr(code value, statistic)| in [0, 1], "spans": factor -> code -> mean
      change of the statistic from code -1 to +1 (pixels; degrees for rotation), "method": how it was
      computed}; {"assignment": {}, "scores": {}} for a model without continuous codes.
    """
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
            denom = np.sqrt((s**2).sum(axis=1) * (v**2).sum()) + 1e-12
            corr = (s * v).sum(axis=1) / denom
            scores[i, j] = abs(corr.mean())
    r, c = linear_sum_assignment(-scores)
    assignment = {factors[i]: codes[j].name for i, j in zip(r, c)}
    return {
        "assignment": assignment,
        "scores": {
            factors[i]: {codes[j].name: round(float(scores[i, j]), 4) for j in range(len(codes))}
            for i in range(len(factors))
        },
        "spans": {
            factors[i]: {codes[j].name: round(float(spans[i, j]), 3) for j in range(len(codes))}
            for i in range(len(factors))
        },
        "method": (
            "|mean over %d rows of Pearson corr(code value in [-1, 1], %d steps; statistic)|, "
            "rotation = principal-axis angle, width = spread across the principal axis; "
            "Hungarian assignment of codes to factors. spans: mean change of the statistic "
            "from code -1 to +1 (pixels; degrees for rotation, followed continuously through +-90), "
            "how far the factor moves" % (rows, steps)
        ),
    }


def generation_accuracy(
    model,
    code_name: str,
    classify: Callable[[np.ndarray], np.ndarray],
    rows: int = 1000,
    seed: int = 4321,
    num_labels: int = 10,
) -> dict:
    """Which digit G draws for each category of ``code_name``: a measure of the code independent of Q.

    For each category j, ``rows`` samples with j set and z and the other codes from the prior
    (``inference.sample`` with seed ``seed + j``) are labelled by ``classify`` (images in [0, 1] ->
    labels; the project's digit classifier). Categories are matched one-to-one to labels by the
    Hungarian algorithm on the counts; the generation accuracy is the fraction of samples drawn as
    their category's matched label.

    Args:
      model: a ``model.InfoGAN`` (anything ``inference.sample`` runs, with ``spec`` and ``arch``).
      code_name: a categorical code, e.g. "c1".
      classify: float32 images [n, H, W, C] in [0, 1] -> int labels [n] in 0..num_labels-1.
      rows: samples per category.
      seed: category j's samples are drawn with seed ``seed + j``.
      num_labels: how many labels ``classify`` gives (10 digits).
    Returns:
      {"accuracy", "digits_covered" (labels that are the most frequent of some category),
       "purity" [k] (each category's most frequent label's share), "category_to_label" [k] (matched),
       "majority_label" [k], "counts_category_by_label" [k, num_labels], "rows", "seed"}.
    Raises:
      KeyError: the model has no code ``code_name``.
    """
    code = model.spec.code(code_name)
    counts = np.zeros((code.k, num_labels), np.int64)
    for j in range(code.k):
        images = inference.to_unit_range(
            inference.sample(model, rows, seed + j, {code_name: j}), model.arch.output_activation
        )
        counts[j] = np.bincount(np.asarray(classify(images), np.int64), minlength=num_labels)[:num_labels]
    cat, lab = linear_sum_assignment(-counts)
    category_to_label = np.full(code.k, -1, np.int64)
    category_to_label[cat] = lab
    return {
        "accuracy": float(counts[cat, lab].sum() / counts.sum()),
        "digits_covered": int(len(set(counts.argmax(axis=1).tolist()))),
        "purity": np.round(counts.max(axis=1) / rows, 4).tolist(),
        "category_to_label": category_to_label.tolist(),
        "majority_label": counts.argmax(axis=1).tolist(),
        "counts_category_by_label": counts.tolist(),
        "rows": rows,
        "seed": seed,
    }


def label_free_scores(probs: np.ndarray) -> dict:
    """What Q's posteriors ``probs`` [N, k] on real images say without labels.

    ``mutual_information``: I(c; x) under Q on these images, H(mean_x q(c|x)) - mean_x H(q(c|x)) in
    nats (at most log k): high when Q is confident on each image and uses every category alike. It is
    the study's rule for picking a run without labels (results/mnist_study/PLAN.md). Also the two
    terms apart: ``usage_entropy`` (H of the mean posterior) and ``mean_entropy``, and
    ``mean_confidence`` (mean of the largest probability).

    Args:
      probs: float [N, k], Q's posterior of each image (rows sum to 1).
    Returns:
      {"mutual_information", "usage_entropy", "mean_entropy" (each in [0, ln k] nats),
      "mean_confidence" (in [1/k, 1]), "max_nats" (ln k)}, floats rounded to 5 decimals.
    """
    p = np.clip(np.asarray(probs, np.float64), 1e-12, 1.0)
    marginal = p.mean(axis=0)
    usage = float(-(marginal * np.log(marginal)).sum())
    mean_entropy = float(-(p * np.log(p)).sum(axis=1).mean())
    return {
        "mutual_information": round(usage - mean_entropy, 5),
        "usage_entropy": round(usage, 5),
        "mean_entropy": round(mean_entropy, 5),
        "mean_confidence": round(float(p.max(axis=1).mean()), 5),
        "max_nats": round(float(np.log(p.shape[1])), 5),
    }


def majority_purity(predicted: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Accuracy when each category is read as its most frequent label (many-to-one; k > classes).

    Args:
      predicted: int [N], each image's category in 0..k-1.
      labels: int [N], each image's label (>= 0).
      k: the number of categories.
    Returns:
      The share of images whose label is their category's most frequent one, in [0, 1].
    """
    correct = 0
    for c in range(k):
        members = labels[predicted == c]
        if len(members):
            correct += np.bincount(members.astype(np.int64)).max()
    return correct / float(len(labels))


def evaluate_run(model, settings: configs.Evaluation, test, classify: Optional[Callable] = None) -> dict:
    """The evaluation an experiment asks for (``settings``: its ``configs.Evaluation``) on its test
    split (a ``data.Split``).

    Always: for every categorical code the label-free scores of Q's posteriors on the test images
    (``label_free``), and the code as a classifier when the split has labels (``evaluation``).
    ``settings.generated_digits`` with ``classify`` (the digit classifier's ``predict``): every
    categorical code's generation accuracy (``generation``). ``settings.factors`` (e.g. ("rotation",
    "width")): the continuous-code factor scores over ``settings.factor_rows`` rows of fixed latents.
    With known factors (shapes), ``evaluation_shapes.evaluate``: the correlations of every continuous
    code's Q mean with every factor, and for every categorical code which factors its categories
    separate within each class and which class G draws for each of its categories (over
    ``settings.class_rows`` samples per category).

    Args:
      model: the trained ``model.InfoGAN``.
      settings: the experiment's ``configs.Evaluation``.
      test: the test split, a ``data.Split`` (uint8 images [N, H, W, C], int labels [N] or None,
        factors: name -> [N] or None); None: nothing is evaluated.
      classify: the digit classifier's ``predict`` (float32 images [n, H, W, C] in [0, 1] -> int
        labels [n]), or None: no generation accuracy.
    Returns:
      {"evaluation": code -> ``categorical_accuracy`` (empty without labels), "continuous_factors":
      ``continuous_factor_scores`` (or empty)}, and with a test split "label_free": code ->
      ``label_free_scores``; as asked and available "generation": code -> ``generation_accuracy``, and
      the keys of ``evaluation_shapes.evaluate``.
    """
    result = {"evaluation": {}, "continuous_factors": {}}
    if test is None:
        return result
    _, post = inference.encode(model, test.images)
    result["label_free"] = {code.name: label_free_scores(post[code.name]["probs"]) for code in model.spec.categorical}
    if test.labels is not None:
        for code in model.spec.categorical:
            result["evaluation"][code.name] = categorical_accuracy(model, code.name, test.images, test.labels, post)
    if settings.generated_digits and classify is not None:
        result["generation"] = {
            code.name: generation_accuracy(model, code.name, classify, settings.generated_digits)
            for code in model.spec.categorical
        }
    if settings.factors and model.spec.continuous:
        result["continuous_factors"] = continuous_factor_scores(model, settings.factors, rows=settings.factor_rows)
    if test.factors is not None:
        result.update(evaluation_shapes.evaluate(model, test.images, test.factors, post, settings.class_rows))
    return result
