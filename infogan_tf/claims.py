"""The paper's MNIST claims against a seed study: every number computed from its sweep records.

    python -m infogan_tf.claims --study=results/mnist_study/study.json --readme=results/README.md

A study file (JSON) names each setting of the study, the directory of its sweep records
(``python -m infogan_tf.sweep`` writes them; the directory's name is the sweep's run name) and its
role in the study's plan (results/mnist_study/PLAN.md; the precision role follows
results/mnist_bfloat16/PLAN.md):

- ``baseline`` (one) and ``candidate`` (at most one): the two settings whose c1 test accuracies a
  two-sided Mann-Whitney U test compares (Welch's t-test beside it, for reference); the candidate
  becomes the default only if its mean is higher and p < ``alpha``, once both have all their seeds.
  The label-free rule helps if, in both, it picks a seed in the top three by accuracy, and misleads
  if, in either, it picks one in the bottom half.
- ``ingredient``: one change on top of the baseline; its seeds all above, all below or all outside
  the baseline's range, or not (direction only: too few seeds for a test).
- ``precision``: the baseline in another arithmetic; "same", "differs" or "inconclusive" against the
  baseline's spread (``precision_verdict``).
- ``failure``: a setting expected to fail; it is recorded as one if D wins (mean D(G(z)) over the last
  1,000 iterations below 0.05) or if Q reads the code from G's samples that the digit classifier
  cannot (generation accuracy below 50% while the final L_I of the code is above 2.0 nats).
- ``figure1_infogan`` / ``figure1_gan``: Figure 1's curves; the first logged step at which L_I reaches
  the study's ``li_threshold``, and the peak L_I.

For each accuracy setting: the finished (and failed) seeds of the planned ones, mean +- sd, median,
range, the best seed, how many seeds reach ``target_accuracy`` (the paper's 95%), the seed the
label-free rule picks (``sweep.summarise``) and its rank by accuracy, and the verdict on the claim:
"reproduced as typical" (median >= target), "reproduced as best of n" (only some seeds) or "not
reproduced"; and, for Figures 2c and 2d, in how many seeds a continuous code (matched one-to-one)
follows rotation and width with a score above 0.5. Verdicts that compare settings wait ("pending")
until the settings they compare have all their planned seeds.

Writes ``CLAIMS.md``, ``claims.json`` and ``claims.png`` beside the study file; with ``--readme``, the
tables also replace what stands between ``<!-- claims:begin -->`` and ``<!-- claims:end -->`` there.
"""

import dataclasses
import glob
import json
import math
import os
import statistics
import sys
from typing import Dict, List, Optional, Tuple

from absl import app, flags

from infogan_tf import provenance, sweep

ROLES = ("baseline", "candidate", "ingredient", "precision", "failure", "figure1_infogan", "figure1_gan")
ACCURACY_ROLES = ("baseline", "candidate", "ingredient", "precision", "failure")
BEGIN, END = "<!-- claims:begin -->", "<!-- claims:end -->"
# What a finished seed's row must hold (sweep.seed_row writes it).
ROW_KEYS = (
    "step",
    "accuracy",
    "generation_accuracy",
    "label_free",
    "final_L_I",
    "peak_L_I",
    "first_step_L_I_reaches_threshold",
)
# The failure role's thresholds (results/mnist_study/PLAN.md, F).
D_WINS_BELOW = 0.05
UNSEEN_CODE_GENERATION_BELOW = 0.5
UNSEEN_CODE_L_I_ABOVE = 2.0
# The precision role's (results/mnist_bfloat16/PLAN.md): L_I tolerance in nats, a found factor's score.
L_I_TOLERANCE = 0.01
FACTOR_FOUND_ABOVE = 0.5


class StudyError(ValueError):
    """A study file or its records that cannot be read as a study: says which key or file, and why."""


@dataclasses.dataclass(frozen=True)
class Setting:
    name: str  # as the plan calls it, e.g. "A"
    label: str  # what it is, e.g. "the official code (`mnist`)"
    records: str  # the directory of its sweep records (absolute)
    role: str
    seeds: Tuple[int, ...]  # the seeds the plan runs
    code: str  # the categorical code measured
    paper: str = ""  # what the paper reports for this row


@dataclasses.dataclass(frozen=True)
class Study:
    path: str  # absolute
    title: str
    target: float  # the paper's c1 accuracy
    alpha: float
    li_threshold: float  # Figure 1: nats
    settings: Tuple[Setting, ...]

    def role(self, role: str) -> List[Setting]:
        return [s for s in self.settings if s.role == role]


_STUDY_KEYS = {"title", "target_accuracy", "alpha", "li_threshold", "code", "settings"}
_SETTING_KEYS = {"name", "label", "records", "role", "seeds", "code", "paper"}
_SETTING_REQUIRED = ("name", "records", "role", "seeds")


def _seeds(value, where: str) -> Tuple[int, ...]:
    if isinstance(value, list) and value and all(isinstance(v, int) and v >= 0 for v in value):
        return tuple(sorted(set(value)))
    try:
        return tuple(sweep.parse_seeds(str(value)))
    except sweep.UsageError:
        raise StudyError(
            f'{where}: seeds {value!r} is not a seed, a range or a list (valid e.g. "0-9", "0,3,5" or [0, 3, 5])'
        ) from None


def _number(raw: dict, key: str, default: float, path: str, valid, what: str) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not valid(value):
        raise StudyError(f"{path}: {key}={value!r}; valid: {what}")
    return float(value)


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
    raw_settings = raw.get("settings")
    if not isinstance(raw_settings, list) or not raw_settings:
        raise StudyError(f"{path}: settings must be a non-empty list of settings (objects with {_SETTING_REQUIRED})")
    for i, s in enumerate(raw_settings):
        where = f"{path}: settings[{i}]"
        if not isinstance(s, dict):
            raise StudyError(f"{where}: a setting is an object with the keys {_SETTING_REQUIRED}")
        missing = [k for k in _SETTING_REQUIRED if k not in s]
        if missing:
            raise StudyError(f"{where}: missing {missing} (a setting needs {list(_SETTING_REQUIRED)})")
        where += f" ({s['name']})"
        unknown = set(s) - _SETTING_KEYS
        if unknown:
            raise StudyError(f"{where}: unknown keys {sorted(unknown)}; valid: {sorted(_SETTING_KEYS)}")
        if s["role"] not in ROLES:
            raise StudyError(f"{where}: role {s['role']!r} is not one of {', '.join(ROLES)}")
        if not isinstance(s["records"], str) or not s["records"]:
            raise StudyError(f"{where}: records {s['records']!r} must be a directory path relative to the study file")
        settings.append(
            Setting(
                name=str(s["name"]),
                label=str(s.get("label", s["name"])),
                records=os.path.normpath(os.path.join(base, s["records"])),
                role=s["role"],
                seeds=_seeds(s["seeds"], where),
                code=str(s.get("code", raw.get("code", "c1"))),
                paper=str(s.get("paper", "")),
            )
        )
    names = [s.name for s in settings]
    if len(set(names)) != len(names):
        raise StudyError(f"{path}: setting names must be distinct (got {names})")
    counts = {r: sum(s.role == r for s in settings) for r in ROLES}
    if counts["baseline"] != 1 or counts["candidate"] > 1:
        raise StudyError(
            f"{path}: a study has one baseline and at most one candidate "
            f"(got {counts['baseline']} and {counts['candidate']})"
        )
    return Study(
        path=os.path.abspath(path),
        title=str(raw.get("title", "Claims")),
        target=_number(raw, "target_accuracy", 0.95, path, lambda v: 0 < v <= 1, "a number in (0, 1]"),
        alpha=_number(raw, "alpha", 0.05, path, lambda v: 0 < v < 1, "a number in (0, 1)"),
        li_threshold=_number(raw, "li_threshold", 2.0, path, lambda v: v > 0, "a positive number of nats"),
        settings=tuple(settings),
    )


# --- the records ----------------------------------------------------------------------------------
@dataclasses.dataclass
class Records:
    """One setting's seeds, pooled over its sweep records."""

    rows: Dict[int, dict]  # finished planned seeds
    failed: Dict[int, str]  # planned seeds whose run failed (and finished in no record): the record
    read: List[str]  # the sweep records read


def load_records(setting: Setting, li_threshold: float) -> Records:
    """The setting's planned seeds over its sweep records (a sweep of other length, ``_steps<N>``, is
    another setting). Every record must be of this setting's run, with the study's L_I threshold; a
    seed in two records must be the same run (the same accuracy), and the row with the factor
    scores is kept (older records lack them); every row must be trained to the record's length and
    on the same number of training images.

    Raises:
      StudyError: naming the record, the seed and the key.
    """
    rows, failed, read = {}, {}, []
    for path in sorted(glob.glob(os.path.join(glob.escape(setting.records), "sweep_seeds*.json"))):
        if "_steps" in os.path.basename(path):
            continue
        try:
            with open(path) as f:
                record = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise StudyError(f"{setting.name}: cannot read the sweep record {path}: {e}") from None
        read.append(path)
        where = f"{setting.name}: {path}"
        if record.get("run_name") not in (None, os.path.basename(setting.records)):
            raise StudyError(
                f"{where}: a record of run {record['run_name']!r}, not of {os.path.basename(setting.records)!r}"
            )
        if record.get("li_threshold") not in (None, li_threshold):
            raise StudyError(
                f"{where}: li_threshold {record['li_threshold']} differs from the study's {li_threshold}; "
                f"rerun the sweep with --li_threshold={li_threshold:g}"
            )
        for row in record.get("seeds", []):
            seed = row.get("seed")
            if seed not in setting.seeds:
                continue
            if "error" in row:
                failed.setdefault(seed, path)
                continue
            missing = [k for k in ROW_KEYS if k not in row]
            if missing:
                raise StudyError(f"{where}: seed {seed} lacks {missing}; rerun its sweep to rewrite the record")
            if row["step"] != record.get("steps", row["step"]):
                raise StudyError(
                    f"{where}: seed {seed} was trained to step {row['step']}, not the record's {record['steps']}"
                )
            row = dict(row, record=path)
            prev = rows.get(seed)
            if prev is not None and prev["accuracy"] != row["accuracy"]:
                raise StudyError(
                    f"{setting.name}: seed {seed} has accuracy {prev['accuracy']} in {prev['record']} "
                    f"but {row['accuracy']} in {path}: two different runs; keep the records of one"
                )
            if prev is None or (row.get("factor_scores") and not prev.get("factor_scores")):
                rows[seed] = row
    images = {r.get("num_train_images") for r in rows.values()}
    if len(images) > 1:
        raise StudyError(f"{setting.name}: its seeds trained on different numbers of images {sorted(images, key=str)}")
    code_key = "accuracy" if setting.role in ACCURACY_ROLES else "final_L_I"
    if rows and not any(setting.code in r[code_key] for r in rows.values()):
        found = sorted({c for r in rows.values() for c in r[code_key]})
        raise StudyError(f"{setting.name}: code {setting.code!r} is in none of its records ({code_key} has {found})")
    for seed, row in rows.items():
        failed.pop(seed, None)
        if not row.get("factor_scores"):  # a record older than the sweep's factor scores: the seed's metrics
            row["factor_scores"] = _seed_factor_scores(setting.records, seed)
    return Records(rows, failed, read)


def _seed_factor_scores(records: str, seed: int) -> dict:
    """The factor scores in the seed's metrics that the sweep keeps beside its records ({} if none)."""
    path = os.path.join(records, f"seed{seed}", f"{os.path.basename(records)}_metrics.json")
    try:
        with open(path) as f:
            return (json.load(f).get("continuous_factors") or {}).get("scores", {})
    except (OSError, json.JSONDecodeError):
        return {}


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


def pick_verdict(ranks: List[Tuple[int, int]]) -> str:
    """The label-free rule over settings, from each one's (rank of its pick by accuracy, seeds):
    it misleads if any pick is in the bottom half, helps if every pick is in the top three."""
    if any(rank > n / 2 for rank, n in ranks):
        return "misleads"
    return "helps" if all(rank <= 3 for rank, _ in ranks) else "neither helps nor misleads"


def accuracy_summary(setting: Setting, records: Records, target: float) -> dict:
    rows = records.rows
    acc = {s: r["accuracy"][setting.code] for s, r in rows.items() if setting.code in r["accuracy"]}
    gen = {s: r["generation_accuracy"].get(setting.code) for s, r in rows.items()}
    pick = sweep.summarise(list(rows.values()))["label_free_pick"].get(setting.code) if rows else None
    return {
        "planned": len(setting.seeds),
        "finished": len(acc),
        "failed": sorted(records.failed),
        "complete": set(acc) == set(setting.seeds),
        "accuracy": sweep.describe(acc),
        "generation_accuracy": sweep.describe(gen),
        "per_seed": {s: acc[s] for s in sorted(acc)},
        "seeds_at_target": sorted(s for s, a in acc.items() if a >= target),
        "verdict": claim_verdict(list(acc.values()), target),
        "label_free_pick": pick,
        "factors": factor_summary(rows),
    }


def factor_summary(rows: Dict[int, dict]) -> dict:
    """Per factor (rotation, width): each seed's code for it, matched one-to-one by total score as the
    runner's figures match them (``evaluation``), that code's score, and the seeds where it is above
    ``FACTOR_FOUND_ABOVE`` (the factor found)."""
    from scipy.optimize import linear_sum_assignment

    per = {}
    for seed, r in sorted(rows.items()):
        scores = r.get("factor_scores") or {}
        factors, codes = sorted(scores), sorted({c for v in scores.values() for c in v})
        if not factors:
            continue
        matrix = [[-scores[f].get(c, 0.0) for c in codes] for f in factors]
        for i, j in zip(*linear_sum_assignment(matrix)):
            per.setdefault(factors[i], {})[seed] = {"code": codes[j], "score": -matrix[i][j]}
    return {
        f: {
            "n": len(v),
            "found": sorted(s for s, m in v.items() if m["score"] > FACTOR_FOUND_ABOVE),
            "min": min(m["score"] for m in v.values()),
            "max": max(m["score"] for m in v.values()),
            "per_seed": v,
        }
        for f, v in per.items()
    }


def _finite(x: float) -> Optional[float]:
    x = float(x)
    return None if math.isnan(x) else x


def compare(baseline: List[float], candidate: List[float]) -> dict:
    """Two-sided Mann-Whitney U of the candidate's accuracies against the baseline's (the plan's
    test: the accuracies are bimodal, a run finds the digits or merges some), Welch's t beside it
    (None where it is undefined, e.g. every value the same)."""
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
        "welch_t": _finite(t.statistic),
        "welch_p": _finite(t.pvalue),
    }


def decide(test: Optional[dict], complete: bool, alpha: float) -> str:
    """The default's rule: the candidate only if its mean is higher and the U test's p < alpha."""
    if not complete or test is None:
        return "pending"
    return "candidate" if test["mean_difference"] > 0 and test["mann_whitney_p"] < alpha else "baseline"


def ingredient_verdict(accuracies: List[float], baseline: List[float]) -> str:
    """Where one ingredient's seeds lie against the baseline's range (call it with both complete)."""
    lo, hi = min(baseline), max(baseline)
    if min(accuracies) > hi:
        return "above the baseline's range: it matters"
    if max(accuracies) < lo:
        return "below the baseline's range: it matters"
    if all(a < lo or a > hi for a in accuracies):
        return "outside the baseline's range on both sides: it matters, in no one direction"
    return "within the baseline's range"


def precision_verdict(rows: Dict[int, dict], baseline: Dict[int, dict], code: str) -> Tuple[str, List[str]]:
    """results/mnist_bfloat16/PLAN.md's verdict and the reasons behind it (call it with both complete).

    "differs": the mean accuracy outside the baseline's mean +- 2 sd, a final L_I more than
    ``L_I_TOLERANCE`` outside the baseline's range, or a seed without a factor (no code above
    ``FACTOR_FOUND_ABOVE``) that every baseline seed has. "same": every accuracy and generation accuracy
    within the baseline's range, every final L_I within it widened by the tolerance, and every seed
    finds each factor every baseline seed finds ("as in A's runs"). "differs" is checked first: values
    inside the range can still have a mean outside mean +- 2 sd. Otherwise "inconclusive".
    """

    def values(rs, key, c):
        return [r[key][c] for r in rs.values() if r[key].get(c) is not None]

    reasons, differs, same = [], False, True
    for key in ("accuracy", "generation_accuracy"):
        mine, base = values(rows, key, code), values(baseline, key, code)
        if not mine or not base:
            same = False
            reasons.append(f"{key} {code}: not in every record, not compared")
            continue
        inside = all(min(base) <= v <= max(base) for v in mine)
        same &= inside
        where = "within" if inside else "not all within"
        reasons.append(f"{key} {code}: {_pcts(mine)}, {where} the baseline's [{_pct(min(base))}, {_pct(max(base))}]")
    mine, base = values(rows, "accuracy", code), values(baseline, "accuracy", code)
    if len(base) > 1 and mine:
        spread = 2 * statistics.stdev(base)
        lo, hi, mean = statistics.fmean(base) - spread, statistics.fmean(base) + spread, statistics.fmean(mine)
        if not lo <= mean <= hi:
            differs = True
            reasons.append(f"mean accuracy {_pct(mean)} outside the baseline's mean +- 2 sd [{_pct(lo)}, {_pct(hi)}]")
    for c in sorted({c for r in baseline.values() for c in r["final_L_I"]}):
        mine, base = values(rows, "final_L_I", c), values(baseline, "final_L_I", c)
        gap = max([0.0] + [min(base) - v for v in mine] + [v - max(base) for v in mine])
        same &= gap <= L_I_TOLERANCE and bool(mine)
        differs |= gap > L_I_TOLERANCE
        reasons.append(
            f"final L_I {c}: " + ("within the baseline's range" if gap == 0 else f"{gap:.3f} nats outside it")
        )
    factors = sorted({f for r in baseline.values() for f in r.get("factor_scores", {})})
    if not factors or any(
        set(r.get("factor_scores", {})) != set(factors) for r in [*rows.values(), *baseline.values()]
    ):
        same = False
        reasons.append(f"factor scores: not in every record for every factor {factors}, not compared")
    else:

        def found(r):
            return {f for f, scores in r["factor_scores"].items() if max(scores.values()) > FACTOR_FOUND_ABOVE}

        always = set.intersection(*(found(r) for r in baseline.values()))  # every baseline seed finds these
        losers = {s: sorted(always - found(r)) for s, r in rows.items() if always - found(r)}
        same &= not losers
        differs |= bool(losers) and always == set(factors)
        reasons.append(
            f"factors every baseline seed finds: {sorted(always) or 'none'}; "
            f"seeds without one of them: {losers or 'none'}"
        )
    return ("differs" if differs else "same as the baseline" if same else "inconclusive"), reasons


def failure_verdict(rows: Dict[int, dict], code: str) -> Tuple[str, List[str]]:
    """The plan's F rule over the setting's finished seeds."""
    reasons, unknown = [], []
    for s, r in sorted(rows.items()):
        d = r.get("d_fake_mean_last_1000")
        g = r["generation_accuracy"].get(code)
        li = r["final_L_I"].get(code)
        if d is not None and d < D_WINS_BELOW:
            reasons.append(f"seed {s}: D wins (mean D(G(z)) over the last 1,000 iterations {d:.4f} < {D_WINS_BELOW})")
        if g is not None and li is not None and g < UNSEEN_CODE_GENERATION_BELOW and li > UNSEEN_CODE_L_I_ABOVE:
            reasons.append(
                f"seed {s}: Q reads {code} from samples the classifier cannot (generation accuracy {_pct(g)}, "
                f"final L_I {li:.3f} nats)"
            )
        if d is None or g is None or li is None:
            unknown.append(s)
    if reasons:
        return "a failure", reasons
    if unknown:
        return "cannot tell", [f"seeds {unknown}: D(G(z)), the generation accuracy or L_I not in the records"]
    return "not a failure this time", []


def figure1_summary(setting: Setting, records: Records) -> dict:
    key = "first_step_L_I_reaches_threshold" if setting.role == "figure1_infogan" else "peak_L_I"
    values = {s: r[key].get(setting.code) for s, r in records.rows.items()}
    return {
        "measure": key,
        "planned": len(setting.seeds),
        "finished": len(values),
        "failed": sorted(records.failed),
        "stats": sweep.describe(values),
        "never_reached": sorted(s for s, v in values.items() if v is None),
        "per_seed": {s: values[s] for s in sorted(values)},
    }


def evaluate(study: Study) -> dict:
    """Every setting's numbers and the verdicts of the plan's rules (what claims.json holds)."""
    home = os.path.dirname(study.path)  # every path in the result is relative to the study file's directory
    out = {"study": os.path.basename(study.path), "commit": provenance.git_commit(), "settings": {}}
    records = {}
    for s in study.settings:
        records[s.name] = rec = load_records(s, study.li_threshold)
        entry = {
            "label": s.label,
            "role": s.role,
            "records_read": [os.path.relpath(p, home) for p in rec.read],
            "records": [os.path.relpath(p, home) for p in sorted({r["record"] for r in rec.rows.values()})],
        }
        if s.role in ACCURACY_ROLES:
            entry.update(accuracy_summary(s, rec, study.target))
        else:
            entry.update(figure1_summary(s, rec))
        out["settings"][s.name] = entry
    (base,) = study.role("baseline")
    b = out["settings"][base.name]
    base_acc = list(b["per_seed"].values())
    for s in study.role("candidate"):
        c = out["settings"][s.name]
        mine = list(c["per_seed"].values())
        test = compare(base_acc, mine) if len(base_acc) >= 2 and len(mine) >= 2 else None
        complete = b["complete"] and c["complete"]
        out["default"] = {"baseline": base.name, "candidate": s.name, "test": test, "alpha": study.alpha}
        out["default"]["decision"] = decide(test, complete, study.alpha)
        picks = {n: out["settings"][n]["label_free_pick"] for n in (base.name, s.name)}
        out["label_free"] = {
            "ranks": {n: p and p.get("rank_by_accuracy") for n, p in picks.items()},
            "verdict": pick_verdict([(p["rank_by_accuracy"], out["settings"][n]["finished"]) for n, p in picks.items()])
            if complete
            else "pending",
        }
    for s in study.settings:
        entry = out["settings"][s.name]
        if s.role not in ("ingredient", "precision", "failure"):
            continue
        if not entry["finished"]:
            entry["verdict_against_baseline"] = "not run yet"
        elif s.role == "failure":
            entry["verdict_against_baseline"], entry["reasons"] = failure_verdict(records[s.name].rows, s.code)
        elif not (entry["complete"] and b["complete"]):
            entry["verdict_against_baseline"] = (
                f"pending ({entry['finished']} of {entry['planned']} seeds; "
                f"{base.name}: {b['finished']} of {b['planned']})"
            )
        elif s.role == "ingredient":
            entry["verdict_against_baseline"] = ingredient_verdict(list(entry["per_seed"].values()), base_acc)
        else:
            entry["verdict_against_baseline"], entry["reasons"] = precision_verdict(
                records[s.name].rows, records[base.name].rows, s.code
            )
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


def _count(e: dict) -> str:
    """ "4 of 10", with the failed seeds."""
    return f"{e['finished']} of {e['planned']}" + (
        f" ({len(e['failed'])} failed: {e['failed']})" if e["failed"] else ""
    )


def _accuracy_table(study: Study, result: dict, home: str, base: str) -> List[str]:
    """The c1 test accuracy per setting."""
    settings = {s.name: s for s in study.settings}
    lines: List[str] = []
    lines += [
        f"**c1 test accuracy** (the paper: {study.target:.0%}, i.e. {1 - study.target:.0%} error), per setting:",
        "",
        "| setting | seeds | mean ± sd | median | min - max | best (seed) | seeds at "
        f"{study.target:.0%} | generation accuracy, mean | label-free pick: seed, accuracy, rank | verdict | records |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, e in result["settings"].items():
        if "accuracy" not in e:
            continue
        a, g, p = e["accuracy"], e["generation_accuracy"], e["label_free_pick"]
        cells = [f"{name}: {settings[name].label}", _count(e)]
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
    return lines


def _factor_table(study: Study, result: dict, home: str, base: str) -> List[str]:
    """Figures 2c and 2d per setting: the seeds in which a code follows each factor."""
    settings = {s.name: s for s in study.settings}
    lines: List[str] = []
    with_factors = [(n, e) for n, e in result["settings"].items() if e.get("factors")]
    if with_factors:
        names = sorted({f for _, e in with_factors for f in e["factors"]})
        lines += [
            "",
            f"**Figures 2c and 2d**, a continuous code for each factor (matched one-to-one; found: score above "
            f"{FACTOR_FOUND_ABOVE}, `evaluation`'s |correlation| of the code with the factor):",
            "",
            "| setting | " + " | ".join(f"{f}: found in | {f}: score min - max" for f in names) + " |",
            "|---|" + "---|---|" * len(names),
        ]
        for name, e in with_factors:
            cells = [f"{name}: {settings[name].label}"]
            for f in names:
                x = e["factors"].get(f)
                if not x:
                    cells += ["-", "-"]
                    continue
                missing = sorted(set(x["per_seed"]) - set(x["found"]))
                cells += [
                    f"{len(x['found'])} of {x['n']}"
                    + (f" (not seed{'s' * (len(missing) > 1)} {', '.join(map(str, missing))})" if missing else ""),
                    f"{x['min']:.2f} - {x['max']:.2f}",
                ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def _default_and_pick(study: Study, result: dict, home: str, base: str) -> List[str]:
    """The default's test and decision, and the label-free rule's verdict."""
    lines: List[str] = []
    d = result.get("default")
    if d:
        b, c = d["baseline"], d["candidate"]
        lines.append("")
        if d["test"]:
            t = d["test"]
            welch = "undefined" if t["welch_t"] is None else f"{t['welch_t']:.3f}, p = {t['welch_p']:.2g}"
            lines.append(
                f"**The default.** {c} against {b} (n = {t['n'][1]} and {t['n'][0]}): mean difference "
                f"{100 * t['mean_difference']:+.2f} points; two-sided Mann-Whitney U = {t['mann_whitney_u']:g}, "
                f"p = {t['mann_whitney_p']:.2g} ({t['mann_whitney_method']}; the decision's test); "
                f"Welch's t = {welch} (for reference)."
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
        lf = result["label_free"]
        ranks = ", ".join(f"rank {r} in {n}" for n, r in lf["ranks"].items() if r)
        lines += [
            "",
            f"**The label-free pick** ({ranks or 'no picks yet'}): "
            + (
                "pending until both have all their seeds (it helps if both picks are in the top three by accuracy, "
                "misleads if either is in the bottom half)."
                if lf["verdict"] == "pending"
                else f"it {lf['verdict']}."
            ),
        ]
    return lines


def _verdicts(study: Study, result: dict, home: str, base: str) -> List[str]:
    """One bullet per setting compared with the baseline."""
    settings = {s.name: s for s in study.settings}
    lines: List[str] = []
    for name, e in result["settings"].items():
        if e.get("verdict_against_baseline", "not run yet") != "not run yet":
            reasons = "; ".join(e.get("reasons", []))
            lines += [
                "",
                f"- {name} ({settings[name].label}): **{e['verdict_against_baseline']}**"
                + (f" ({reasons})" if reasons else "")
                + ".",
            ]
    return lines


def _figure1_table(study: Study, result: dict, home: str, base: str) -> List[str]:
    """Figure 1 over seeds."""
    settings = {s.name: s for s in study.settings}
    lines: List[str] = []
    fig1 = [(n, e) for n, e in result["settings"].items() if "measure" in e]
    if fig1:
        lines += [
            "",
            "**Figure 1**, L_I of c ~ Cat(10) over training:",
            "",
            "| setting | measure | paper | seeds | mean | min - max | per seed | records |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, e in fig1:
            st = e["stats"]
            if e["measure"] == "peak_L_I":
                what = "peak L_I (nats)"

                def fmt(v):
                    return "-" if v is None else f"{v:.3f}"
            else:
                what = f"first logged step with L_I >= {study.li_threshold:g} nats"

                def fmt(v):
                    return "never" if v is None else f"{v:g}"

            never = f" (never reached in {len(e['never_reached'])})" if e["never_reached"] else ""
            cells = [
                f"{name}: {settings[name].label}",
                what,
                settings[name].paper or "-",
                _count(e),
                (fmt(st["mean"]) if st else "-") + never,
                f"{fmt(st['min'])} - {fmt(st['max'])}" if st else "-",
                ", ".join(f"{s}: {fmt(v)}" for s, v in e["per_seed"].items()) or "-",
                _links(e["records"], home, base),
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def markdown(study: Study, result: dict, base: str) -> str:
    """The claims tables, links relative to ``base`` (the directory of the file that holds them)."""
    home = os.path.dirname(study.path)
    lines = [
        f"*Generated by `{result.get('command', 'python -m infogan_tf.claims')}` at commit {result['commit']} "
        "from the sweep records linked below; do not edit.*",
        "",
    ]
    if result.get("plot"):
        lines += [
            f"![c1 test accuracy per seed and setting]({os.path.relpath(os.path.join(home, result['plot']), base)})",
            "",
        ]
    for part in (_accuracy_table, _factor_table, _default_and_pick, _verdicts, _figure1_table):
        lines += part(study, result, home, base)
    return "\n".join(lines) + "\n"


def plot(study: Study, result: dict, path: str) -> str:
    """Each accuracy setting's seeds on one axis: c1 test accuracy per seed, the label-free pick
    ringed, the paper's target dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n, e in result["settings"].items() if "accuracy" in e]
    fig, ax = plt.subplots(figsize=(1.2 * len(names) + 2.5, 4))
    ringed = False
    for i, name in enumerate(names):
        e = result["settings"][name]
        # seeds side by side in seed order, so that their labels do not overlap
        x = {seed: i + 0.09 * (k - (len(e["per_seed"]) - 1) / 2) for k, seed in enumerate(e["per_seed"])}
        for seed, acc in e["per_seed"].items():
            ax.scatter([x[seed]], [acc], color="C0", zorder=3)
            ax.annotate(str(seed), (x[seed], acc), xytext=(3, 0), textcoords="offset points", fontsize=6, va="center")
        pick = e.get("label_free_pick")
        if pick and pick.get("accuracy") is not None:
            label = None if ringed else "label-free pick"
            ax.scatter(
                [x[pick["seed"]]], [pick["accuracy"]], s=160, facecolors="none", edgecolors="C3", zorder=4, label=label
            )
            ringed = True
    ax.axhline(study.target, ls="--", color="grey", label=f"paper ({study.target:.0%})")
    labels = [f"{n}\n({_count(result['settings'][n]).split(' (')[0]})" for n in names]
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
FLAGS = flags.FLAGS


def define_flags():
    """Defines the command's flags, once, when it runs (not on import, as the sweep's)."""
    if "study" in FLAGS:
        return
    flags.DEFINE_string("study", None, "The study file (JSON), e.g. results/mnist_study/study.json.")
    flags.DEFINE_string("readme", None, "A Markdown file whose claims block (between the markers) gets the tables.")


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
        result["command"] = f"python -m infogan_tf.claims --study={os.path.relpath(study.path)}" + (
            f" --readme={os.path.relpath(FLAGS.readme)}" if FLAGS.readme else ""
        )
        readme = None
        if FLAGS.readme:
            with open(FLAGS.readme) as f:
                block = markdown(study, result, os.path.dirname(os.path.abspath(FLAGS.readme)))
                readme = replace_block(f.read(), block, FLAGS.readme)
    except (StudyError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    absent = [s.name for s in study.settings if not os.path.isdir(s.records)]
    if absent:
        print(
            f"note: no record directory yet for {', '.join(absent)} (not run, or a wrong records path)", file=sys.stderr
        )
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


def run():
    define_flags()
    app.run(lambda argv: sys.exit(main(argv)))


if __name__ == "__main__":
    run()
