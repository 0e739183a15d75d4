"""The claims table: the plan's rules on closed-form cases, records pooled over sweeps, and the command
end to end (CLAIMS.md, claims.json, the README's block)."""

import json
import math
import os
import warnings

import pytest

from infogan_tf import claims


def _row(seed, acc, *, gen=None, lf=2.2, li=None, d_fake=0.3, factors=None, first=None, peak=None, code="c1"):
    li = li or {code: 2.30, "c2": 1.0, "c3": 1.0}
    return {
        "seed": seed,
        "step": 5000,
        "accuracy": {code: acc},
        "generation_accuracy": {code: acc if gen is None else gen},
        "digits_drawn": {code: 10},
        "label_free": {code: lf},
        "final_L_I": li,
        "peak_L_I": {code: peak if peak is not None else li[code]},
        "first_step_L_I_reaches_threshold": {code: first},
        "factor_scores": factors if factors is not None else BOTH_FACTORS,
        "d_fake_mean_last_1000": d_fake,
        "train_wall_seconds": 60.0,
    }


BOTH_FACTORS = {"rotation": {"c2": 0.8, "c3": 0.2}, "width": {"c2": 0.3, "c3": 0.7}}


def _record(directory, name, rows, li_threshold=2.0, steps=5000):
    os.makedirs(directory, exist_ok=True)
    record = {"run_name": os.path.basename(directory), "steps": steps, "seeds": rows, "li_threshold": li_threshold}
    with open(os.path.join(directory, name), "w") as f:
        json.dump(record, f)


def _study(tmp_path, settings, **extra):
    path = tmp_path / "study.json"
    path.write_text(json.dumps({"settings": settings, **extra}))
    return str(path)


A = {"name": "A", "label": "official", "role": "baseline", "records": "a", "seeds": "0-9"}
B = {"name": "B", "label": "paper", "role": "candidate", "records": "b", "seeds": "0-9"}


def test_the_verdict_on_the_95_percent_claim():
    assert claims.claim_verdict([0.96, 0.97, 0.80], 0.95) == "reproduced as typical"
    assert claims.claim_verdict([0.95, 0.80], 0.95) == "reproduced as best of 2 (1 of 2 seeds)"
    assert claims.claim_verdict([0.95, 0.95, 0.80], 0.95) == "reproduced as typical"  # the median at the target
    assert claims.claim_verdict([0.96, 0.80, 0.70], 0.95) == "reproduced as best of 3 (1 of 3 seeds)"
    assert claims.claim_verdict([0.9499, 0.80], 0.95) == "not reproduced"
    assert claims.claim_verdict([], 0.95) == "not run yet"


def test_the_label_free_pick_helps_in_the_top_three_of_both_and_misleads_in_the_bottom_half_of_either():
    assert claims.pick_verdict([(1, 10), (3, 10)]) == "helps"
    assert claims.pick_verdict([(1, 10), (4, 10)]) == "neither helps nor misleads"
    assert claims.pick_verdict([(5, 10), (5, 10)]) == "neither helps nor misleads"
    assert claims.pick_verdict([(1, 10), (6, 10)]) == "misleads"
    assert claims.pick_verdict([(3, 4), (1, 4)]) == "misleads"  # top three, yet in the bottom half of four


def test_mann_whitney_of_two_separated_sets_of_ten_is_the_exact_closed_form():
    from scipy import stats

    base = [0.70 + 0.01 * i for i in range(10)]
    cand = [0.90 + 0.001 * i for i in range(10)]
    t = claims.compare(base, cand)
    # Every candidate above every baseline seed: U = 10 * 10, and the exact two-sided p is
    # 2 / C(20, 10), the chance of that ordering or its mirror image.
    assert t["mann_whitney_u"] == 100 and t["mann_whitney_method"] == "exact"
    assert t["mann_whitney_p"] == pytest.approx(2 / math.comb(20, 10), rel=1e-9)
    assert t["mean_difference"] == pytest.approx(0.1595)
    assert claims.decide(t, complete=True, alpha=0.05) == "candidate"
    assert claims.decide(t, complete=False, alpha=0.05) == "pending"
    # Higher mean, but interleaved: no switch.
    mixed = claims.compare(base, [b + 0.005 for b in base])
    assert mixed["mean_difference"] > 0 and mixed["mann_whitney_p"] > 0.05
    assert claims.decide(mixed, complete=True, alpha=0.05) == "baseline"
    # Significantly lower: the baseline stays.
    assert claims.decide(claims.compare(cand, base), complete=True, alpha=0.05) == "baseline"
    # A tie between the two sets: the normal approximation with its tie correction, as scipy computes it.
    tied = claims.compare([0.7, 0.8, 0.75], [0.8, 0.9, 0.95])
    expected = stats.mannwhitneyu([0.8, 0.9, 0.95], [0.7, 0.8, 0.75], alternative="two-sided", method="asymptotic")
    assert tied["mann_whitney_method"] == "asymptotic" and tied["mann_whitney_p"] == pytest.approx(expected.pvalue)
    # every value the same: Welch's t is undefined, written as None (JSON null), not NaN
    with warnings.catch_warnings():  # scipy warns of the zero variance it then reports as NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        flat = claims.compare([0.8, 0.8], [0.8, 0.8])
    assert flat["welch_t"] is None and flat["welch_p"] is None and json.dumps(flat)


def test_an_ingredient_matters_only_with_every_seed_outside_the_baselines_range():
    base = [0.70, 0.80, 0.87]
    assert claims.ingredient_verdict([0.90, 0.95, 0.88], base) == "above the baseline's range: it matters"
    assert claims.ingredient_verdict([0.60, 0.65, 0.50], base) == "below the baseline's range: it matters"
    assert claims.ingredient_verdict([0.50, 0.99, 0.60], base).startswith("outside the baseline's range on both sides")
    assert claims.ingredient_verdict([0.90, 0.95, 0.75], base) == "within the baseline's range"
    assert claims.ingredient_verdict([0.90, 0.95, 0.87], base) == "within the baseline's range"  # at the max


def test_a_failure_is_d_winning_or_a_code_read_from_samples_the_classifier_cannot_read():
    verdict, reasons = claims.failure_verdict({0: _row(0, 0.33, d_fake=0.02)}, "c1")
    assert verdict == "a failure" and "D wins" in reasons[0]
    verdict, reasons = claims.failure_verdict({0: _row(0, 0.33, gen=0.2, li={"c1": 2.28})}, "c1")
    assert verdict == "a failure" and "Q reads c1" in reasons[0]
    assert claims.failure_verdict({0: _row(0, 0.85)}, "c1") == ("not a failure this time", [])
    # at the thresholds themselves: neither rule holds
    edge = _row(0, 0.3, d_fake=0.05, gen=0.5, li={"c1": 2.0})
    assert claims.failure_verdict({0: edge}, "c1")[0] == "not a failure this time"
    # without D(G(z)) in the record it cannot say
    assert claims.failure_verdict({0: _row(0, 0.85, d_fake=None)}, "c1")[0] == "cannot tell"


def test_the_precision_verdict_against_the_baselines_spread():
    base = {s: _row(s, acc) for s, acc in enumerate([0.76, 0.80, 0.84, 0.87, 0.78])}
    verdict, reasons = claims.precision_verdict({0: _row(0, 0.79), 1: _row(1, 0.85)}, base, "c1")
    assert verdict == "same as the baseline" and "final L_I c2: within the baseline's range" in reasons
    # L_I of c2 more than 0.01 nats outside the baseline's range
    off = {0: _row(0, 0.79, li={"c1": 2.30, "c2": 1.2, "c3": 1.0})}
    verdict, reasons = claims.precision_verdict(off, base, "c1")
    assert verdict == "differs" and "final L_I c2: 0.200 nats outside it" in reasons
    # a lost factor (no code above 0.5) while every baseline seed has both
    lost = {0: _row(0, 0.79, factors={"rotation": {"c2": 0.3, "c3": 0.2}, "width": {"c2": 0.3, "c3": 0.7}})}
    verdict, reasons = claims.precision_verdict(lost, base, "c1")
    assert verdict == "differs" and "{0: ['rotation']}" in reasons[-1]
    # ... but a baseline seed lacks it too: as in the baseline's runs
    base_lost = {**base, 9: dict(_row(9, 0.8), factor_scores=lost[0]["factor_scores"])}
    assert claims.precision_verdict(lost, base_lost, "c1")[0] == "same as the baseline"
    # accuracy a little outside the range, within mean +- 2 sd: neither same nor differs
    assert claims.precision_verdict({0: _row(0, 0.88)}, base, "c1")[0] == "inconclusive"
    # the mean far outside mean +- 2 sd
    verdict, reasons = claims.precision_verdict({0: _row(0, 0.40), 1: _row(1, 0.45)}, base, "c1")
    assert verdict == "differs" and any("outside the baseline's mean +- 2 sd" in r for r in reasons)
    # a record without one of the factors: not compared, so not "same"
    partial = {0: _row(0, 0.79, factors={"rotation": {"c2": 0.8, "c3": 0.2}})}
    verdict, reasons = claims.precision_verdict(partial, base, "c1")
    assert verdict == "inconclusive" and "not compared" in reasons[-1]


def test_each_factor_is_matched_to_one_code_per_seed_and_found_above_one_half(tmp_path):
    rows = {
        0: _row(0, 0.8),  # rotation c2 0.8, width c3 0.7
        # c2 follows both best, but one code takes one factor: rotation c3 (0.45) + width c2 (0.9) beats
        # rotation c2 (0.95) + width c3 (0.1)
        1: _row(1, 0.8, factors={"rotation": {"c2": 0.95, "c3": 0.45}, "width": {"c2": 0.9, "c3": 0.1}}),
    }
    f = claims.factor_summary(rows)
    assert f["rotation"]["per_seed"] == {0: {"code": "c2", "score": 0.8}, 1: {"code": "c3", "score": 0.45}}
    assert f["rotation"]["found"] == [0] and f["width"]["found"] == [0, 1]
    assert (f["rotation"]["min"], f["rotation"]["max"]) == (0.45, 0.8)
    # a record older than the sweep's factor scores: they come from the seed's metrics beside it
    older = _row(0, 0.8)
    del older["factor_scores"]
    _record(tmp_path / "a", "sweep_seeds0.json", [older])
    os.makedirs(tmp_path / "a" / "seed0")
    metrics = {"continuous_factors": {"scores": {"rotation": {"c2": 0.1, "c3": 0.6}}}}
    (tmp_path / "a" / "seed0" / "a_metrics.json").write_text(json.dumps(metrics))
    rec = claims.load_records(claims.parse_study(_study(tmp_path, [A])).settings[0], 2.0)
    assert rec.rows[0]["factor_scores"] == {"rotation": {"c2": 0.1, "c3": 0.6}}


def test_records_are_pooled_over_sweeps_and_a_seed_must_be_one_run(tmp_path):
    older = _row(0, 0.80)
    del older["factor_scores"]  # records written before the sweep kept the factor scores
    _record(tmp_path / "a", "sweep_seeds0-1.json", [older, _row(1, 0.90), {"seed": 4, "error": "boom"}])
    _record(tmp_path / "a", "sweep_seeds0-9.json", [_row(0, 0.80), _row(2, 0.70), {"seed": 3, "error": "boom"}])
    _record(tmp_path / "a", "sweep_seeds0-1_steps300.json", [_row(0, 0.10)], steps=300)  # another length
    _record(tmp_path / "a", "sweep_seeds11.json", [_row(11, 0.99)])  # not a planned seed
    _record(tmp_path / "a", "sweep_seeds4.json", [_row(4, 0.75)])  # failed once, then finished
    study = claims.parse_study(_study(tmp_path, [A]))
    rec = claims.load_records(study.settings[0], 2.0)
    assert sorted(rec.rows) == [0, 1, 2, 4] and len(rec.read) == 4 and list(rec.failed) == [3]
    assert rec.rows[0]["record"].endswith("sweep_seeds0-9.json")  # the row with the factor scores
    for bad, message in [
        ([_row(0, 0.81)], "seed 0 has accuracy .* two different runs"),
        ([dict(_row(0, 0.80), step=3000)], "seed 0 was trained to step 3000, not the record's 5000"),
        ([{k: v for k, v in _row(0, 0.80).items() if k != "peak_L_I"}], r"seed 0 lacks \['peak_L_I'\]"),
        ([dict(_row(5, 0.8), num_train_images=19690)], "different numbers of images"),
    ]:
        _record(tmp_path / "a", "sweep_seeds0-1.json", bad)
        with pytest.raises(claims.StudyError, match=message):
            claims.load_records(study.settings[0], 2.0)
    _record(tmp_path / "a", "sweep_seeds0-1.json", [_row(0, 0.80)], li_threshold=1.5)
    with pytest.raises(claims.StudyError, match="li_threshold 1.5 differs from the study's 2.0"):
        claims.load_records(study.settings[0], 2.0)
    os.remove(tmp_path / "a" / "sweep_seeds0-1.json")
    wrong_code = claims.parse_study(_study(tmp_path, [dict(A, code="c9")]))
    with pytest.raises(claims.StudyError, match=r"code 'c9' is in none of its records \(accuracy has \['c1'\]\)"):
        claims.load_records(wrong_code.settings[0], 2.0)
    other = tmp_path / "b"
    _record(other, "sweep_seeds0.json", [_row(0, 0.8)])
    json.dump(dict(json.loads((other / "sweep_seeds0.json").read_text()), run_name="mnist"), open(other / "x", "w"))
    os.replace(other / "x", other / "sweep_seeds0.json")
    with pytest.raises(claims.StudyError, match="a record of run 'mnist', not of 'b'"):
        claims.load_records(claims.parse_study(_study(tmp_path, [dict(A, records="b")])).settings[0], 2.0)


@pytest.mark.parametrize(
    "settings, extra, message",
    [
        ([dict(A, role="winner")], {}, "role 'winner' is not one of baseline, candidate"),
        ([dict(A, colour="red")], {}, r"settings\[0\] \(A\): unknown keys \['colour'\]"),
        ([A, dict(A, name="A2")], {}, "one baseline and at most one candidate"),
        ([B], {}, "one baseline"),
        ([dict(A, seeds="9-0")], {}, r"\(A\): seeds '9-0' is not a seed, a range or a list"),
        ([dict(A, seeds=[0, -1])], {}, r"seeds \[0, -1\] is not a seed"),
        ([{"name": "A", "role": "baseline"}], {}, r"missing \['records', 'seeds'\]"),
        ([dict(A, records=3)], {}, "records 3 must be a directory path"),
        ([A, A], {}, "names must be distinct"),
        ([A], {"target_accuracy": "95%"}, "target_accuracy='95%'; valid: a number in"),
        ([A], {"alpha": 1}, "alpha=1; valid: a number in"),
        ([], {}, "settings must be a non-empty list"),
    ],
)
def test_a_bad_study_file_says_which_setting_and_key(tmp_path, settings, extra, message):
    with pytest.raises(claims.StudyError, match=message):
        claims.parse_study(_study(tmp_path, settings, **extra))


def test_seeds_may_be_a_list():
    assert claims._seeds([3, 0, 3], "x") == (0, 3)


@pytest.fixture
def flags_parsed(monkeypatch):
    """The command's flags, parsed for the test and left unparsed after it."""
    claims.define_flags()
    claims.FLAGS.mark_as_parsed()
    yield claims.FLAGS
    claims.FLAGS.unparse_flags()


def test_the_command_writes_every_role_and_fills_the_readme_block(tmp_path, monkeypatch, flags_parsed):
    home = tmp_path / "study"
    accs_a = [0.70 + 0.01 * i for i in range(10)]
    accs_b = [0.90, 0.91, 0.92, 0.93, 0.96, 0.961, 0.97, 0.98, 0.985, 0.99]
    _record(home / "a", "sweep_seeds0-9.json", [_row(s, a, lf=a) for s, a in enumerate(accs_a)])
    _record(home / "b", "sweep_seeds0-9.json", [_row(s, a, lf=2 - a) for s, a in enumerate(accs_b)])
    lost = {"rotation": {"c2": 0.3, "c3": 0.2}, "width": {"c2": 0.3, "c3": 0.7}}  # seed 2 has no rotation code
    _record(
        home / "c", "sweep_seeds0-2.json", [_row(s, 0.9 + 0.01 * s, factors=lost if s == 2 else None) for s in range(3)]
    )
    _record(home / "f", "sweep_seeds0.json", [_row(0, 0.33, d_fake=0.02)])
    _record(home / "p", "sweep_seeds0-1.json", [_row(0, 0.75), {"seed": 1, "error": "killed"}])
    _record(
        home / "i",
        "sweep_seeds0-4.json",
        [_row(s, 0.9, code="c", first=[30, 40, None, 50, 60][s], li={"c": 2.2}) for s in range(5)],
    )
    gan = [_row(s, 0.2, code="c", peak=0.5 + 0.1 * s, li={"c": 0.1}) for s in range(5)]
    gan[4]["peak_L_I"] = {"c": None}  # a run without history
    _record(home / "gan", "sweep_seeds0-4.json", gan)
    settings = [
        dict(A, records="a"),
        dict(B, records="b"),
        {"name": "C1", "label": "one change", "role": "ingredient", "records": "c", "seeds": "0-2"},
        {"name": "F", "label": "fails", "role": "failure", "records": "f", "seeds": "0"},
        {"name": "P", "label": "bf16", "role": "precision", "records": "p", "seeds": "0-1"},
        {"name": "1I", "label": "InfoGAN", "role": "figure1_infogan", "records": "i", "seeds": "0-4", "code": "c"},
        {"name": "1G", "label": "GAN", "role": "figure1_gan", "records": "gan", "seeds": "0-4", "code": "c"},
    ]
    study = home / "study.json"
    study.write_text(json.dumps({"settings": settings}))
    readme = tmp_path / "README.md"  # one directory up, as results/README.md is from the study
    readme.write_text("# Results\n<!-- claims:begin -->\nold table\n<!-- claims:end -->\nthe rest\n")
    monkeypatch.setattr(flags_parsed, "study", str(study))
    monkeypatch.setattr(flags_parsed, "readme", str(readme))
    assert claims.main(["claims"]) == 0
    result = json.loads((home / "claims.json").read_text())
    s = result["settings"]
    assert result["default"]["decision"] == "candidate"
    assert s["B"]["verdict"] == "reproduced as typical" and s["B"]["seeds_at_target"] == [4, 5, 6, 7, 8, 9]
    # the label-free score falls with accuracy in B: its pick is the worst seed, and the rule misleads
    assert s["B"]["label_free_pick"]["seed"] == 0 and result["label_free"] == {
        "ranks": {"A": 1, "B": 10},
        "verdict": "misleads",
    }
    assert s["C1"]["verdict_against_baseline"] == "above the baseline's range: it matters"
    assert s["F"]["verdict_against_baseline"] == "a failure"
    assert s["P"]["verdict_against_baseline"] == "pending (1 of 2 seeds; A: 10 of 10)" and s["P"]["failed"] == [1]
    assert s["1I"]["stats"]["mean"] == 45 and s["1I"]["never_reached"] == [2] and s["1I"]["finished"] == 5
    assert s["1G"]["stats"]["max"] == pytest.approx(0.8) and s["1G"]["never_reached"] == [4]
    text = readme.read_text()
    assert "old table" not in text and text.endswith("<!-- claims:end -->\nthe rest\n")
    assert "Decision: B becomes the default" in text and "p = 1.1e-05 (exact; the decision's test)" in text
    assert "](study/claims.png)" in text and (home / "claims.png").read_bytes()[:4] == b"\x89PNG"
    assert "[seeds 0-9](study/a/sweep_seeds0-9.md)" in text  # links relative to the README
    assert "[seeds 0-9](a/sweep_seeds0-9.md)" in (home / "CLAIMS.md").read_text()  # and to CLAIMS.md
    assert f"--study={os.path.relpath(study)} --readme={os.path.relpath(readme)}`" in text
    assert "| P: bf16 | 1 of 2 (1 failed: [1]) |" in text
    assert "| 1I: InfoGAN | first logged step with L_I >= 2 nats | - | 5 of 5 | 45 (never reached in 1) |" in text
    assert "4: -" in text  # the GAN seed without a peak
    assert "- F (fails): **a failure** (seed 0: D wins" in text
    assert "| A: official | 10 of 10 | 0.80 - 0.80 | 10 of 10 | 0.70 - 0.70 |" in text  # Figures 2c, 2d
    assert "| C1: one change | 2 of 3 (not seed 2) | 0.30 - 0.80 | 3 of 3 | 0.70 - 0.70 |" in text
    # a README without the markers is an error that says what it needs, and writes nothing
    readme.write_text("# Results\n")
    os.remove(home / "claims.json")
    assert claims.main(["claims"]) == 2
    assert not os.path.exists(home / "claims.json") and readme.read_text() == "# Results\n"
