"""The paper's MNIST claims against a seed study: every number computed from its sweep records.

    python -m infogan_tf.claims --study=results/mnist_study/study.json --readme=results/README.md

A study file (JSON) names each setting of the study, the directory of its sweep records
(``python -m infogan_tf.sweep`` writes them) and its role in the study's plan:

- ``baseline`` (one) and ``candidate`` (at most one): the two settings whose c1 test accuracies a
  two-sided Mann-Whitney U test compares (Welch's t-test beside it, for reference); the candidate
  becomes the default only if its mean is higher and p < ``alpha``, once both have all their seeds.
- ``ingredient``: one change on top of the baseline; its seeds lie above, below or within the
  baseline's range (direction only: too few seeds for a test).
- ``precision``: the baseline in another arithmetic; "same", "differs" or "inconclusive" against the
  baseline's spread (results/mnist_bfloat16/PLAN.md).
- ``failure``: a setting expected to fail; it is recorded as one if D wins (mean D(G(z)) over the last
  1,000 iterations below 0.05) or if Q reads the code from G's samples that the digit classifier
  cannot (generation accuracy below 50% while the final L_I of the code stays above 2.0 nats).
- ``figure1_infogan`` / ``figure1_gan``: Figure 1's curves; the first logged step at which L_I reaches
  the sweep's threshold, and the peak L_I.

For each accuracy setting: n of the planned seeds, mean +- sd, median, range, the best seed, how many
seeds reach ``target`` (the paper's 95%), the seed the label-free rule picks (sweep.summarise) and
its rank by accuracy, and the verdict on the claim: "reproduced as typical" (median >= target),
"reproduced as best of n" (only some seeds) or "not reproduced".

Writes ``CLAIMS.md`` and ``claims.json`` beside the study file; with ``--readme``, the tables also
replace what stands between ``<!-- claims:begin -->`` and ``<!-- claims:end -->`` in that file.
"""

import dataclasses
import glob
import json
import os
import statistics
import sys
from typing import Dict, List, Optional, Tuple

from absl import app, flags

from infogan_tf import provenance, sweep

ROLES = ("baseline", "candidate", "ingredient", "precision", "failure", "figure1_infogan", "figure1_gan")
ACCURACY_ROLES = ("baseline", "candidate", "ingredient", "precision", "failure")
BEGIN, END = "<!-- claims:begin -->", "<!-- claims:end -->"
# The failure role's thresholds (results/mnist_study/PLAN.md, F).
D_WINS_BELOW = 0.05
UNSEEN_CODE_GENERATION_BELOW = 0.5
UNSEEN_CODE_L_I_ABOVE = 2.0
# The precision role's (results/mnist_bfloat16/PLAN.md): L_I tolerance in nats, a factor's score.
L_I_TOLERANCE = 0.01
FACTOR_FOUND_ABOVE = 0.5


class StudyError(ValueError):
    """A study file or its records that cannot be read as a study: says which key or file, and why."""


@dataclasses.dataclass(frozen=True)
class Setting:
    name: str  # as the plan calls it, e.g. "A"
    label: str  # what it is, e.g. "the official code's settings (`mnist`)"
    records: str  # the directory of its sweep records
    role: str
    seeds: Tuple[int, ...]  # the seeds the plan runs
    code: str  # the categorical code measured
    paper: str = ""  # what the paper reports for this row


@dataclasses.dataclass(frozen=True)
class Study:
    path: str
    title: str
    target: float  # the paper's c1 accuracy
    alpha: float
    settings: Tuple[Setting, ...]

    def role(self, role: str) -> List[Setting]:
        return [s for s in self.settings if s.role == role]


_STUDY_KEYS = {"title", "target_accuracy", "alpha", "code", "settings"}
_SETTING_KEYS = {"name", "label", "records", "role", "seeds", "code", "paper"}


def parse_study(path: str) -> Study:
    """Reads and validates a study file; record directories are relative to the file."""
    try:
        with open(path) as f:
            raw = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise StudyError(f"{path}: cannot read the study file: {e}") from None
    if not isinstance(raw, dict):
        raise StudyError(f"{path}: a study file is a JSON object with keys {sorted(_STUDY_KEYS)}")
    unknown = set(raw) - _STUDY_KEYS
    if unknown:
        raise StudyError(f"{path}: unknown keys {sorted(unknown)}; valid: {sorted(_STUDY_KEYS)}")
    base = os.path.dirname(os.path.abspath(path))
    settings = []
    for i, s in enumerate(raw.get("settings") or []):
        where = f"{path}: settings[{i}]"
        if not isinstance(s, dict) or not {"name", "records", "role", "seeds"} <= set(s):
            raise StudyError(f"{where}: needs the keys name, records, role and seeds (valid: {sorted(_SETTING_KEYS)})")
        unknown = set(s) - _SETTING_KEYS
        if unknown:
            raise StudyError(f"{where} ({s['name']}): unknown keys {sorted(unknown)}; valid: {sorted(_SETTING_KEYS)}")
        if s["role"] not in ROLES:
            raise StudyError(f"{where} ({s['name']}): role {s['role']!r} is not one of {', '.join(ROLES)}")
        try:
            seeds = tuple(sweep.parse_seeds(str(s["seeds"])))
        except sweep.UsageError as e:
            raise StudyError(f"{where} ({s['name']}): seeds: {e}") from None
        settings.append(
            Setting(
                name=str(s["name"]),
                label=str(s.get("label", s["name"])),
                records=os.path.normpath(os.path.join(base, s["records"])),
                role=s["role"],
                seeds=seeds,
                code=str(s.get("code", raw.get("code", "c1"))),
                paper=str(s.get("paper", "")),
            )
        )
    names = [s.name for s in settings]
    if not settings or len(set(names)) != len(names):
        raise StudyError(f"{path}: settings must be a non-empty list of distinct names (got {names})")
    counts = {r: sum(s.role == r for s in settings) for r in ROLES}
    if counts["baseline"] != 1 or counts["candidate"] > 1:
        raise StudyError(
            f"{path}: a study has one baseline and at most one candidate "
            f"(got {counts['baseline']} and {counts['candidate']})"
        )
    target, alpha = float(raw.get("target_accuracy", 0.95)), float(raw.get("alpha", 0.05))
    if not (0 < target <= 1 and 0 < alpha < 1):
        raise StudyError(f"{path}: target_accuracy must be in (0, 1] and alpha in (0, 1) (got {target}, {alpha})")
    return Study(os.path.abspath(path), str(raw.get("title", "Claims")), target, alpha, tuple(settings))


# --- the records ----------------------------------------------------------------------------------
def load_rows(setting: Setting) -> Tuple[Dict[int, dict], List[str]]:
    """{seed: row} of the setting's finished planned seeds, pooled over its sweep records (a sweep of
    other length, ``_steps<N>``, is another setting), and the records read. A seed found in two
    records must be the same run (the same accuracy); the fuller row is kept."""
    rows, used = {}, []
    for path in sorted(glob.glob(os.path.join(setting.records, "sweep_seeds*.json"))):
        if "_steps" in os.path.basename(path):
            continue
        try:
            with open(path) as f:
                record = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise StudyError(f"{setting.name}: cannot read the sweep record {path}: {e}") from None
        used.append(path)
        for row in record.get("seeds", []):
            if "error" in row or row.get("seed") not in setting.seeds:
                continue
            row = dict(row, record=path, li_threshold=record.get("li_threshold"))
            prev = rows.get(row["seed"])
            if prev is not None and prev.get("accuracy") != row.get("accuracy"):
                raise StudyError(
                    f"{setting.name}: seed {row['seed']} has accuracy {prev.get('accuracy')} in {prev['record']} "
                    f"but {row.get('accuracy')} in {path}: two different runs; keep the records of one"
                )
            if prev is None or len(row) > len(prev):
                rows[row["seed"]] = row
    return rows, used


def _sources(rows: Dict[int, dict]) -> List[str]:
    """The sweep records the kept rows come from, in order."""
    return sorted({r["record"] for r in rows.values()})


# --- the measures ---------------------------------------------------------------------------------
def claim_verdict(accuracies: List[float], target: float) -> str:
    """The plan's verdict on "c1 classifies MNIST at ``target``" from one setting's seeds."""
    if not accuracies:
        return "not run yet"
    if statistics.median(accuracies) >= target:
        return "reproduced as typical"
    reached = sum(a >= target for a in accuracies)
    if reached:
        return f"reproduced as best of {len(accuracies)} ({reached} of {len(accuracies)} seeds)"
    return "not reproduced"


def pick_verdict(rank: int, n: int) -> str:
    """Whether the label-free pick helps (top three by accuracy) or misleads (bottom half)."""
    if rank <= 3:
        return "helps"
    return "misleads" if rank > n / 2 else "neither helps nor misleads"


def accuracy_summary(setting: Setting, rows: Dict[int, dict], target: float) -> dict:
    acc = {s: r["accuracy"][setting.code] for s, r in rows.items() if setting.code in r.get("accuracy", {})}
    gen = {s: r.get("generation_accuracy", {}).get(setting.code) for s, r in rows.items()}
    out = {
        "planned": len(setting.seeds),
        "complete": set(acc) == set(setting.seeds),
        "accuracy": sweep.describe(acc),
        "generation_accuracy": sweep.describe(gen),
        "per_seed": {s: acc[s] for s in sorted(acc)},
        "seeds_at_target": sorted(s for s, a in acc.items() if a >= target),
        "verdict": claim_verdict(list(acc.values()), target),
    }
    pick = sweep.summarise(list(rows.values()))["label_free_pick"].get(setting.code) if rows else None
    if pick and pick.get("rank_by_accuracy"):
        pick = dict(pick, verdict=pick_verdict(pick["rank_by_accuracy"], len(acc)))
    out["label_free_pick"] = pick
    return out


def compare(baseline: List[float], candidate: List[float]) -> dict:
    """Two-sided Mann-Whitney U of the candidate's accuracies against the baseline's (the plan's
    test: the accuracies are bimodal, a run finds the digits or merges some), Welch's t beside it."""
    from scipy import stats

    # The exact distribution of U where there are no ties (cheap at ten seeds a side; scipy's "auto"
    # would use the normal approximation above eight), the normal one with a tie correction otherwise.
    method = "exact" if len(set(candidate) | set(baseline)) == len(candidate) + len(baseline) else "asymptotic"
    u = stats.mannwhitneyu(candidate, baseline, alternative="two-sided", method=method)
    t = stats.ttest_ind(candidate, baseline, equal_var=False)
    return {
        "n": [len(baseline), len(candidate)],
        "mean_difference": statistics.fmean(candidate) - statistics.fmean(baseline),
        "mann_whitney_u": float(u.statistic),
        "mann_whitney_p": float(u.pvalue),
        "mann_whitney_method": method,
        "welch_t": float(t.statistic),
        "welch_p": float(t.pvalue),
    }


def decide(test: Optional[dict], complete: bool, alpha: float) -> str:
    """The default's rule: the candidate only if its mean is higher and the U test's p < alpha."""
    if not complete or test is None:
        return "pending"
    return "candidate" if test["mean_difference"] > 0 and test["mann_whitney_p"] < alpha else "baseline"


def ingredient_verdict(accuracies: List[float], baseline: List[float]) -> str:
    if not accuracies or not baseline:
        return "not run yet"
    if min(accuracies) > max(baseline):
        return "above the baseline's range: it matters"
    if max(accuracies) < min(baseline):
        return "below the baseline's range: it matters"
    return "within the baseline's range"


def precision_verdict(rows: Dict[int, dict], baseline: Dict[int, dict], code: str) -> Tuple[str, List[str]]:
    """results/mnist_bfloat16/PLAN.md's verdict and the reasons behind it."""
    if not rows or len(baseline) < 2:
        return "not run yet", []

    def values(rs, key, c):
        return [r[key][c] for r in rs.values() if r.get(key, {}).get(c) is not None]

    reasons, differs, same = [], False, True
    for key, c in [("accuracy", code), ("generation_accuracy", code)]:
        mine, base = values(rows, key, c), values(baseline, key, c)
        inside = all(min(base) <= v <= max(base) for v in mine)
        same &= inside
        reasons.append(
            f"{key} {c}: {_pcts(mine)} {'within' if inside else 'outside'} [{_pct(min(base))}, {_pct(max(base))}]"
        )
    base_acc = values(baseline, "accuracy", code)
    lo = statistics.fmean(base_acc) - 2 * statistics.stdev(base_acc)
    hi = statistics.fmean(base_acc) + 2 * statistics.stdev(base_acc)
    mean = statistics.fmean(values(rows, "accuracy", code))
    if not lo <= mean <= hi:
        differs = True
        reasons.append(f"mean accuracy {_pct(mean)} outside the baseline's mean +- 2 sd [{_pct(lo)}, {_pct(hi)}]")
    for c in sorted({c for r in baseline.values() for c in r["final_L_I"]}):
        mine, base = values(rows, "final_L_I", c), values(baseline, "final_L_I", c)
        gap = max([0.0] + [min(base) - v for v in mine] + [v - max(base) for v in mine])
        same &= gap <= L_I_TOLERANCE
        differs |= gap > L_I_TOLERANCE
        reasons.append(f"final L_I {c}: outside the baseline's range by {gap:.3f} nats")
    if any(not r.get("factor_scores") for r in list(rows.values()) + list(baseline.values())):
        same = False
        reasons.append("factor scores: missing from some records, not compared")
    else:

        def lost(r):
            return sorted(f for f, scores in r["factor_scores"].items() if max(scores.values()) <= FACTOR_FOUND_ABOVE)

        base_all = all(not lost(r) for r in baseline.values())
        losers = {s: lost(r) for s, r in rows.items() if lost(r)}
        same &= not losers
        differs |= bool(losers) and base_all
        reasons.append(f"factors no code scores above {FACTOR_FOUND_ABOVE} for: {losers or 'none'}")
    return ("differs" if differs else "same as the baseline" if same else "inconclusive"), reasons


def failure_verdict(rows: Dict[int, dict], code: str) -> Tuple[str, List[str]]:
    if not rows:
        return "not run yet", []
    reasons = []
    for s, r in sorted(rows.items()):
        d = r.get("d_fake_mean_last_1000")
        g = r.get("generation_accuracy", {}).get(code)
        li = r.get("final_L_I", {}).get(code)
        if d is not None and d < D_WINS_BELOW:
            reasons.append(f"seed {s}: D wins (mean D(G(z)) over the last 1,000 iterations {d:.4f} < {D_WINS_BELOW})")
        if g is not None and li is not None and g < UNSEEN_CODE_GENERATION_BELOW and li > UNSEEN_CODE_L_I_ABOVE:
            reasons.append(
                f"seed {s}: Q reads {code} from samples the classifier cannot (generation accuracy {_pct(g)}, "
                f"final L_I {li:.3f} nats)"
            )
    return ("a failure" if reasons else "not a failure this time"), reasons


def figure1_summary(setting: Setting, rows: Dict[int, dict]) -> dict:
    key = "first_step_L_I_reaches_threshold" if setting.role == "figure1_infogan" else "peak_L_I"
    values = {s: r.get(key, {}).get(setting.code) for s, r in rows.items()}
    thresholds = sorted({r["li_threshold"] for r in rows.values() if r.get("li_threshold") is not None})
    return {
        "measure": key,
        "li_threshold": thresholds,
        "planned": len(setting.seeds),
        "stats": sweep.describe(values),
        "never_reached": sorted(s for s, v in values.items() if v is None),
        "per_seed": {s: values[s] for s in sorted(values)},
    }


def evaluate(study: Study) -> dict:
    """Every setting's numbers and the verdicts of the plan's rules (what claims.json holds)."""
    home = os.path.dirname(study.path)  # every path in the result is relative to the study file's directory
    rows, out = {}, {"study": os.path.basename(study.path), "commit": provenance.git_commit(), "settings": {}}
    for s in study.settings:
        rows[s.name], used = load_rows(s)
        entry = {
            "label": s.label,
            "role": s.role,
            "records_read": [os.path.relpath(p, home) for p in used],
            "records": [os.path.relpath(p, home) for p in _sources(rows[s.name])],
        }
        if s.role in ACCURACY_ROLES:
            entry.update(accuracy_summary(s, rows[s.name], study.target))
        else:
            entry.update(figure1_summary(s, rows[s.name]))
        out["settings"][s.name] = entry
    (base,) = study.role("baseline")
    base_acc = list(out["settings"][base.name]["per_seed"].values())
    for s in study.role("candidate"):
        cand = out["settings"][s.name]
        mine = list(cand["per_seed"].values())
        test = compare(base_acc, mine) if len(base_acc) >= 2 and len(mine) >= 2 else None
        complete = out["settings"][base.name]["complete"] and cand["complete"]
        out["default"] = {"baseline": base.name, "candidate": s.name, "test": test, "alpha": study.alpha}
        out["default"]["decision"] = decide(test, complete, study.alpha)
    for s in study.settings:
        entry, mine = out["settings"][s.name], list(out["settings"][s.name].get("per_seed", {}).values())
        if s.role == "ingredient":
            entry["verdict_against_baseline"] = ingredient_verdict(mine, base_acc)
        elif s.role == "precision":
            entry["verdict_against_baseline"], entry["reasons"] = precision_verdict(
                rows[s.name], rows[base.name], s.code
            )
        elif s.role == "failure":
            entry["verdict_against_baseline"], entry["reasons"] = failure_verdict(rows[s.name], s.code)
    return out


# --- the tables -----------------------------------------------------------------------------------
def _pct(v):
    return "-" if v is None else f"{100 * v:.2f}%"


def _pcts(vs):
    return ", ".join(_pct(v) for v in vs) or "-"


def _links(records: List[str], home: str, base: str) -> str:
    """Each sweep record's table (``records`` relative to ``home``), named by its seeds ("seeds 0-1")."""
    out = []
    for path in records:
        stem = os.path.join(home, path[: -len(".json")])
        text = os.path.basename(stem).replace("sweep_seeds", "seeds ")
        out.append(f"[{text}]({os.path.relpath(stem + '.md', base)})")
    return ", ".join(out) or "-"


def markdown(study: Study, result: dict, base: str) -> str:
    """The claims tables, links relative to ``base`` (the directory of the file that holds them)."""
    settings, home = {s.name: s for s in study.settings}, os.path.dirname(study.path)
    lines = [
        f"*Generated by `python -m infogan_tf.claims --study={os.path.relpath(study.path)}` at commit "
        f"{result['commit']} from the sweep records linked below; do not edit.*",
        "",
        f"![c1 test accuracy per seed and setting]({os.path.relpath(os.path.join(home, result['plot']), base)})"
        if result.get("plot")
        else "",
        "",
        f"**c1 test accuracy** (the paper: {study.target:.0%}, i.e. {1 - study.target:.0%} error), per setting:",
        "",
        "| setting | n | mean ± sd | median | min - max | best (seed) | seeds at "
        f"{study.target:.0%} | generation accuracy, mean | label-free pick: seed, accuracy, rank | verdict | records |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, e in result["settings"].items():
        if "accuracy" not in e:
            continue
        a, g, p = e["accuracy"], e["generation_accuracy"], e["label_free_pick"]
        n = f"{a['n'] if a else 0} of {e['planned']}"
        cells = [f"{name}: {settings[name].label}", n]
        if a:
            cells += [
                f"{_pct(a['mean'])} ± {_pct(a['sd'])}",
                _pct(a["median"]),
                f"{_pct(a['min'])} - {_pct(a['max'])}",
                f"{_pct(a['max'])} ({a['best_seed']})",
                str(len(e["seeds_at_target"])),
                _pct(g["mean"]) if g else "-",
                f"{p['seed']}, {_pct(p.get('accuracy'))}, {p.get('rank_by_accuracy')} of {a['n']}" if p else "-",
            ]
        else:
            cells += ["-"] * 7
        cells += [e["verdict"], _links(e["records"], home, base)]
        lines.append("| " + " | ".join(cells) + " |")
    d = result.get("default")
    if d:
        b, c = d["baseline"], d["candidate"]
        lines.append("")
        if d["test"]:
            t = d["test"]
            lines.append(
                f"**The default.** {c} against {b} (n = {t['n'][1]} and {t['n'][0]}): mean difference "
                f"{100 * t['mean_difference']:+.2f} points; two-sided Mann-Whitney U = {t['mann_whitney_u']:g}, "
                f"p = {t['mann_whitney_p']:.2g} ({t['mann_whitney_method']}; the decision's test); "
                f"Welch's t = {t['welch_t']:.3f}, "
                f"p = {t['welch_p']:.2g} (for reference)."
            )
        else:
            lines.append(f"**The default.** {c} against {b}: too few seeds for a test yet.")
        lines[-1] += {
            "pending": f" Decision: pending until both have all their seeds (rule: {c} if its mean is higher "
            f"and p < {d['alpha']}).",
            "candidate": f" Decision: {c} becomes the default (its mean is higher and p < {d['alpha']}).",
            "baseline": f" Decision: {b} stays the default (the rule, {c}'s mean higher and p < {d['alpha']}, "
            "does not hold).",
        }[d["decision"]]
    for name, e in result["settings"].items():
        if e.get("label_free_pick", {}) and e["label_free_pick"].get("verdict") and e.get("complete"):
            p = e["label_free_pick"]
            lines += [
                "",
                f"- Label-free pick of {name}: seed {p['seed']}, rank {p['rank_by_accuracy']}: it {p['verdict']}.",
            ]
        if e.get("verdict_against_baseline", "not run yet") != "not run yet":
            reasons = "; ".join(e.get("reasons", []))
            lines += [
                "",
                f"- {name} ({settings[name].label}): **{e['verdict_against_baseline']}**"
                + (f" ({reasons})" if reasons else "")
                + ".",
            ]
    fig1 = [(n, e) for n, e in result["settings"].items() if "measure" in e]
    if fig1:
        lines += [
            "",
            "**Figure 1**, L_I of c ~ Cat(10) over training:",
            "",
            "| setting | measure | paper | n | mean | min - max | per seed | records |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, e in fig1:
            st = e["stats"]
            thr = "/".join(f"{t:g}" for t in e["li_threshold"]) or "?"
            what = f"first logged step with L_I >= {thr} nats" if e["measure"] != "peak_L_I" else "peak L_I (nats)"
            fmt = (
                (lambda v: "never" if v is None else f"{v:g}") if e["measure"] != "peak_L_I" else (lambda v: f"{v:.3f}")
            )
            cells = [
                f"{name}: {settings[name].label}",
                what,
                settings[name].paper or "-",
                f"{st['n'] if st else 0} of {e['planned']}",
                fmt(st["mean"]) if st else "-",
                f"{fmt(st['min'])} - {fmt(st['max'])}" if st else "-",
                ", ".join(f"{s}: {fmt(v)}" for s, v in e["per_seed"].items()) or "-",
                _links(e["records"], home, base),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(study: Study, result: dict, path: str) -> str:
    """Each accuracy setting's seeds on one axis: c1 test accuracy per seed, the label-free pick
    ringed, the paper's target dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n, e in result["settings"].items() if "per_seed" in e and "accuracy" in e]
    fig, ax = plt.subplots(figsize=(1.2 * len(names) + 2.5, 4))
    for i, name in enumerate(names):
        e = result["settings"][name]
        # seeds side by side in seed order, so that their labels do not overlap
        x = {seed: i + 0.08 * (k - (len(e["per_seed"]) - 1) / 2) for k, seed in enumerate(e["per_seed"])}
        for seed, acc in e["per_seed"].items():
            ax.scatter([x[seed]], [acc], color="C0", zorder=3)
            ax.annotate(str(seed), (x[seed], acc), xytext=(4, 0), textcoords="offset points", fontsize=7, va="center")
        pick = e.get("label_free_pick")
        if pick and pick.get("accuracy") is not None:
            ax.scatter(
                [x[pick["seed"]]],
                [pick["accuracy"]],
                s=160,
                facecolors="none",
                edgecolors="C3",
                zorder=4,
                label="label-free pick" if i == 0 else None,
            )
    ax.axhline(study.target, ls="--", color="grey", label=f"paper ({study.target:.0%})")
    labels = [f"{n}\n(n = {len(result['settings'][n]['per_seed'])})" for n in names]
    ax.set_xticks(range(len(names)), labels, fontsize=8)
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel(f"{study.settings[0].code} test accuracy")
    ax.set_title(study.title, fontsize=9)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def replace_block(text: str, block: str, path: str) -> str:
    """``text`` with what stands between the claims markers replaced by ``block``."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise StudyError(f"{path}: needs one {BEGIN} line followed by one {END} line to hold the claims tables")
    head, rest = text.split(BEGIN)
    return head + BEGIN + "\n" + block + END + rest.split(END, 1)[1]


# --- the command ----------------------------------------------------------------------------------
flags.DEFINE_string("study", None, "The study file (JSON), e.g. results/mnist_study/study.json.")
flags.DEFINE_string("readme", None, "A Markdown file whose claims block (between the markers) gets the tables.")
FLAGS = flags.FLAGS


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; flags take the form --name=value")
    if not FLAGS.study:
        raise app.UsageError("--study is required, e.g. --study=results/mnist_study/study.json")
    try:
        study = parse_study(FLAGS.study)
        here = os.path.dirname(study.path)
        result = evaluate(study)
        result["plot"] = "claims.png"
        readme = None
        if FLAGS.readme:
            with open(FLAGS.readme) as f:
                block = markdown(study, result, os.path.dirname(os.path.abspath(FLAGS.readme)))
                readme = replace_block(f.read(), block, FLAGS.readme)
    except (StudyError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    plot(study, result, os.path.join(here, result["plot"]))
    provenance.write_json(os.path.join(here, "claims.json"), result)
    with open(os.path.join(here, "CLAIMS.md"), "w") as f:
        f.write(f"# {study.title}\n\n" + markdown(study, result, here))
    if readme is not None:
        with open(FLAGS.readme, "w") as f:
            f.write(readme)
    print(markdown(study, result, os.getcwd()))
    print(
        f"wrote CLAIMS.md, claims.json and claims.png in {here}"
        + (f"; the claims block of {FLAGS.readme}" if readme else "")
    )
    return 0


if __name__ == "__main__":
    app.run(lambda argv: sys.exit(main(argv)))
