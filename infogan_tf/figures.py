"""The paper's figures: latent traversal sheets and the L_I curve (Figure 1), as PNG files.

The sheets' latents come from ``inference`` (rows of z from the prior, categorical codes cycling
through their categories by row unless a figure sets them).
"""

import os
import textwrap
from typing import Dict, Optional, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from infogan_tf import health  # noqa: E402


def mosaic(grid: np.ndarray, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """[rows, cols, H, W, C] images in [0, 1] to one [rows*(H+pad)-pad, cols*(W+pad)-pad, C] image."""
    rows, cols, h, w, c = grid.shape
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad, c), pad_value, dtype=np.float32)
    for r in range(rows):
        for k in range(cols):
            out[r * (h + pad) : r * (h + pad) + h, k * (w + pad) : k * (w + pad) + w] = grid[r, k]
    return out


def _title_text(title: str, subtitle: Optional[str], width: float, fontsize: float) -> str:
    """The title with the subtitle under it, each line wrapped to ``width`` inches so that none is cut
    off at the sides (a DejaVu Sans character is at most about 0.6 em wide on average)."""
    chars = max(20, int(width * 72 / (0.6 * fontsize)))
    lines = [title] + (subtitle.split("\n") if subtitle else [])
    return "\n".join(textwrap.fill(line, chars) for line in lines)


def _title_room(text: str, fontsize: float) -> float:
    """Inches of figure height a title of ``text`` needs beyond the two lines (a title and a subtitle)
    that a figure's base height leaves room for (matplotlib's line spacing is 1.2)."""
    return max(0, text.count("\n") - 1) * fontsize * 1.2 / 72


def _show_grid(ax, grid: np.ndarray, column_labels: Sequence[str], fontsize: int) -> None:
    """Draws a [rows, cols, H, W, C] grid in [0, 1] on ``ax`` with one label under each column."""
    img = np.clip(mosaic(grid), 0.0, 1.0)
    if img.shape[-1] == 1:
        ax.imshow(img[..., 0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(img, interpolation="nearest")
    w = grid.shape[3] + 1
    ax.set_xticks([k * w + (w - 1) / 2 for k in range(grid.shape[1])])
    ax.set_xticklabels(column_labels, fontsize=fontsize)
    ax.set_yticks([])


def save_traversal(
    grid: np.ndarray,
    path: str,
    title: str,
    column_labels: Sequence[str],
    xlabel: str,
    ylabel: str = "",
    subtitle: Optional[str] = None,
) -> str:
    """Writes a traversal sheet (grid in [0, 1]) with a title, column labels and axis labels."""
    rows, cols = grid.shape[:2]
    width = max(4.0, cols * 0.62)
    text = _title_text(title, subtitle, width, fontsize=8)
    fig, ax = plt.subplots(figsize=(width, rows * 0.62 + 1.2 + _title_room(text, 8)), dpi=120)
    _show_grid(ax, grid, column_labels, fontsize=7)
    ax.set_xlabel(xlabel, fontsize=8)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(text, fontsize=8)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def save_mi_curve(
    curves: Dict[str, Sequence],
    entropy: float,
    path: str,
    title: str,
    max_step: Optional[int] = None,
    subtitle: Optional[str] = None,
) -> str:
    """Plots L_I against iteration for each labelled run, with the H(c) line (paper Figure 1).

    ``curves`` maps a label to a list of (step, L_I) pairs; ``subtitle`` goes under the title.
    """
    fontsize = 9 if not subtitle else 7
    text = _title_text(title, subtitle, 6.0, fontsize)
    fig, ax = plt.subplots(figsize=(6, 4 + _title_room(text, fontsize)), dpi=120)
    for label, points in curves.items():
        pts = np.asarray(points, dtype=np.float64)
        if max_step is not None:
            pts = pts[pts[:, 0] <= max_step]
        ax.plot(pts[:, 0], pts[:, 1], label=label, linewidth=1.0)
    ax.axhline(entropy, color="gray", linestyle="--", linewidth=0.8, label=f"H(c) = {entropy:.3f}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("L_I (nats)")
    ax.set_title(text, fontsize=fontsize)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


# --- figure configs to files ----------------------------------------------------------------


def _with_note(subtitle: Optional[str], note: Optional[str]) -> Optional[str]:
    """The subtitle with the training-health note (``health.figure_note``) under it."""
    return "\n".join(t for t in (subtitle, note) if t) or None


def _category_order(run, code: str, order_by_label: bool):
    k = run.model.spec.code(code).k
    mapping = run.metrics.get("evaluation", {}).get(code, {}).get("category_to_label")
    if not order_by_label or mapping is None:
        return list(range(k)), [f"cat {i}" for i in range(k)]
    order = sorted(range(k), key=lambda c: (mapping[c] < 0, mapping[c]))
    return order, [f"{mapping[c]}" if mapping[c] >= 0 else f"cat {c}" for c in order]


def render(
    fig,
    runs: dict,
    output_dir: str,
    code_override: Optional[str] = None,
    rows: int = 10,
    seed: int = 0,
    stem: Optional[str] = None,
) -> dict:
    """Draws ``fig`` (a ``configs.Figure``) from trained ``runs`` (experiment name -> Run) to
    ``<output_dir>/<stem>.png`` (``stem``: the figure's name unless given).

    Returns a description of what was drawn: path, code varied, how the code was chosen, and the
    training-health warnings of its runs (``health``: experiment -> the runs' ``metrics.json``
    ``health``; ``health_note``: what the subtitle says of them, None when there are none).
    """
    from infogan_tf import inference, loop  # local: keeps this module importable without TF

    name = fig.name
    stem = stem or name
    path = os.path.join(output_dir, f"{stem}.png")
    kind = fig.kind
    info = {"figure": name, "paper": fig.paper, "path": path}
    labels_runs = {label: runs[exp] for label, exp in fig.experiments.items()}
    note = health.figure_note({label: run.metrics.get("health") for label, run in labels_runs.items()})
    info.update(
        health={run.experiment.name: run.metrics.get("health") for run in labels_runs.values()}, health_note=note
    )
    if kind == "mi_curve":
        code = fig.code
        curves, entropy = {}, None
        for label, exp in fig.experiments.items():
            run = runs[exp]
            entropy = run.model.spec.code(code).entropy
            curves[label] = [(r["step"], r[f"L_I/{code}"]) for r in loop.read_history(run.run_dir)]
        save_mi_curve(curves, entropy, path, fig.title, max_step=fig.max_step, subtitle=note)
        csv_path = os.path.join(output_dir, f"{stem}.csv")
        by_step = {}
        for label, points in curves.items():
            for step, value in points:
                by_step.setdefault(step, {})[label] = value
        with open(csv_path, "w") as f:
            f.write("step," + ",".join(f"L_I_{label}" for label in curves) + "\n")
            for step in sorted(by_step):
                f.write(f"{step}," + ",".join(f"{by_step[step].get(c, float('nan')):.6f}" for c in curves) + "\n")
        info["data"] = csv_path
        info.update(code=code, entropy=entropy, curve_points={k: len(v) for k, v in curves.items()})
        for label, pts in curves.items():
            arr = np.asarray(pts)
            info[f"{label}_L_I"] = {
                "max": float(arr[:, 1].max()),
                "step_of_max": int(arr[arr[:, 1].argmax(), 0]),
                "final": float(arr[-1, 1]),
                "mean_last_100_steps": float(arr[arr[:, 0] > arr[-1, 0] - 100, 1].mean()),
                "first_step_at_or_above_2.0": int(arr[arr[:, 1] >= 2.0, 0][0]) if (arr[:, 1] >= 2.0).any() else None,
            }
        return info

    run = runs[fig.experiment]
    model = run.model
    act = model.arch.output_activation
    if kind == "categorical":
        code = code_override or fig.code
        order, labels = _category_order(run, code, fig.order_by_label)
        grid = inference.to_unit_range(inference.traverse(model, code, order, rows, seed), act)
        mapped = fig.order_by_label and code in run.metrics.get("evaluation", {})
        xlabel = (
            f"{code}: one category per column, ordered by the digit Q matches it to (Hungarian, test split)"
            if mapped
            else f"{code}: one category per column"
        )
        acc = run.metrics.get("evaluation", {}).get(code, {}).get("accuracy")
        subtitle = f"{code} as a classifier: test accuracy {acc:.4f}" if acc is not None else None
        gen = (run.metrics.get("generation") or {}).get(code)
        if gen and subtitle:
            subtitle += (
                f"; G's samples classified as their category's digit: {gen['accuracy']:.4f} "
                f"({gen['digits_covered']} of 10 digits drawn; generation accuracy)"
            )
        if not fig.order_by_label:
            subtitle = (
                f"{code} named in the config (the paper chose its code after training; the sheet "
                f"of every code is {run.experiment.name}_codes.png; --code overrides)"
            )
        save_traversal(
            grid, path, fig.title, labels, xlabel, "rows: fixed z and other codes", _with_note(subtitle, note)
        )
        info.update(
            code=code,
            column_categories=order,
            column_labels=labels,
            accuracy=acc,
            generation_accuracy=gen["accuracy"] if gen else None,
        )
        return info
    if kind == "codes":
        save_code_sheet(run, path, fig.title, seed=seed)
        info.update(codes=[c.name for c in model.spec.codes])
        return info
    if kind == "continuous":
        factors = run.metrics.get("continuous_factors", {})
        if code_override:
            code, how = code_override, f"{code_override} set by --code"
        elif fig.factor is None:
            code = fig.code
            how = (
                f"{code} named in the config (the paper chose its code after training; the sheet of "
                f"every code is {run.experiment.name}_codes.png; --code overrides)"
            )
        else:
            factor = fig.factor
            code = factors["assignment"][factor]
            scores = factors["scores"][factor]
            how = f"{code} chosen automatically as '{factor}': score " + ", ".join(
                f"{c} {s:.2f}" for c, s in scores.items()
            )
        lo, hi = fig.value_range
        values = np.linspace(lo, hi, fig.columns)
        cat_rows = {}  # row i: the category matched to label i (i mod k)
        for cat in model.spec.categorical:
            order, _ = _category_order(run, cat.name, True)
            cat_rows[cat.name] = np.asarray(order)[np.arange(rows) % len(order)]
        grid = inference.to_unit_range(inference.traverse(model, code, values, rows, seed, cat_rows), act)
        ylabel = "row i: categorical code set to the category matched to digit i" if cat_rows else ""
        save_traversal(
            grid,
            path,
            fig.title,
            [f"{v:.2f}" for v in values],
            f"{code} from {lo} to {hi}",
            ylabel,
            _with_note(how, note),
        )
        info.update(code=code, how_chosen=how, values=[float(v) for v in values], factor_scores=factors.get("scores"))
        return info
    raise ValueError(f"figure {name!r}: unknown kind {kind!r}")


def save_code_sheet(run, path: str, title: str, rows: int = 4, seed: int = 0) -> str:
    """One block per code: ``rows`` fixed latents per block, the code varied along each row
    (every category; continuous codes from -2 to 2). The run's training-health warnings, if any, go
    under the title."""
    from infogan_tf import inference

    model = run.model
    act = model.arch.output_activation
    codes = model.spec.codes
    blocks = []
    for code in codes:
        if code.kind == "categorical":
            order, labels = _category_order(run, code.name, True)
            values = order
        else:
            values = np.linspace(-2.0, 2.0, 10)
            labels = [f"{v:.1f}" for v in values]
        grid = inference.to_unit_range(inference.traverse(model, code.name, values, rows, seed), act)
        blocks.append((code, grid, labels))
    max_cols = max(g.shape[1] for _, g, _ in blocks)
    fig, axes = plt.subplots(
        len(blocks),
        1,
        squeeze=False,
        dpi=110,
        figsize=(max(4.0, max_cols * 0.5), len(blocks) * (rows * 0.5 + 0.6) + 0.6),
    )
    for ax, (code, grid, labels) in zip(axes[:, 0], blocks):
        _show_grid(ax, grid, labels, fontsize=6)
        kind = f"Cat({code.k})" if code.kind == "categorical" else "continuous, -2..2"
        ax.set_ylabel(f"{code.name}\n{kind}", fontsize=7)
    fig.suptitle(_with_note(title, health.figure_note({"": run.metrics.get("health")})), fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
