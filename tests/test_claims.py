"""The claims table: the plan's rules on closed-form cases, records pooled over sweeps, and the command
end to end (CLAIMS.md, claims.json, the README's block)."""

import json
import math
import os

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
        "factor_scores": factors if factors is not None else {"rotation": {"c2": 0.8, "c3": 0.2}},
        "d_fake_mean_last_1000": d_fake,
        "train_wall_seconds": 60.0,
    }


def _record(directory, name, rows, li_threshold=2.0):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "w") as f:
        json.dump({"seeds": rows, "li_threshold": li_threshold}, f)


def _study(tmp_path, settings, **extra):
    path = tmp_path / "study.json"
    path.write_text(json.dumps({"settings": settings, **extra}))
    return str(path)


A = {"name": "A", "label": "official", "role": "baseline", "records": "a", "seeds": "0-9"}
B = {"name": "B", "label": "paper", "role": "candidate", "records": "b", "seeds": "0-9"}


def test_the_verdict_on_the_95_percent_claim():
    assert claims.claim_verdict([0.96, 0.97, 0.80], 0.95) == "reproduced as typical"
    assert claims.claim_verdict([0.96, 0.80, 0.70], 0.95) == "reproduced as best of 3 (1 of 3 seeds)"
    assert claims.claim_verdict([0.94, 0.80], 0.95) == "not reproduced"
    assert claims.claim_verdict([], 0.95) == "not run yet"


def test_the_label_free_pick_helps_in_the_top_three_and_misleads_in_the_bottom_half():
    assert [claims.pick_verdict(r, 10) for r in (1, 3, 4, 5, 6, 10)] == [
        "helps",
        "helps",
        "neither helps nor misleads",
        "neither helps nor misleads",
        "misleads",
        "misleads",
    ]


def test_mann_whitney_of_two_separated_sets_of_ten_is_the_exact_closed_form():
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
    assert mixed["mann_whitney_p"] > 0.05
    tied = claims.compare([0.8, 0.8, 0.7], [0.8, 0.9, 0.9])
    assert (
        tied["mann_whitney_method"] == "asymptotic"
        and 0 < tied["mann_whitney_p"] < 1
        and claims.decide(mixed, complete=True, alpha=0.05) == "baseline"
    )
    # Significantly lower: the baseline stays.
    assert claims.decide(claims.compare(cand, base), complete=True, alpha=0.05) == "baseline"


def test_an_ingredient_matters_only_outside_the_baselines_range():
    base = [0.70, 0.80, 0.87]
    assert claims.ingredient_verdict([0.90, 0.95, 0.88], base) == "above the baseline's range: it matters"
    assert claims.ingredient_verdict([0.60, 0.65, 0.50], base) == "below the baseline's range: it matters"
    assert claims.ingredient_verdict([0.90, 0.95, 0.75], base) == "within the baseline's range"


def test_a_failure_is_d_winning_or_a_code_read_from_samples_the_classifier_cannot_read():
    verdict, reasons = claims.failure_verdict({0: _row(0, 0.33, d_fake=0.02)}, "c1")
    assert verdict == "a failure" and "D wins" in reasons[0]
    verdict, reasons = claims.failure_verdict({0: _row(0, 0.33, gen=0.2, li={"c1": 2.28})}, "c1")
    assert verdict == "a failure" and "Q reads c1" in reasons[0]
    assert claims.failure_verdict({0: _row(0, 0.85)}, "c1") == ("not a failure this time", [])


def test_the_precision_verdict_against_the_baselines_spread():
    base = {s: _row(s, acc) for s, acc in enumerate([0.76, 0.80, 0.84, 0.87, 0.78])}
    same, _ = claims.precision_verdict({0: _row(0, 0.79), 1: _row(1, 0.85)}, base, "c1")
    assert same == "same as the baseline"
    # L_I of c2 more than 0.01 nats outside the baseline's range
    off = {0: _row(0, 0.79, li={"c1": 2.30, "c2": 1.2, "c3": 1.0})}
    verdict, reasons = claims.precision_verdict(off, base, "c1")
    assert verdict == "differs" and any("final L_I c2: outside the baseline's range by 0.200" in r for r in reasons)
    # a lost factor (no code above 0.5) while every baseline seed has it
    lost = {0: _row(0, 0.79, factors={"rotation": {"c2": 0.3, "c3": 0.2}})}
    assert claims.precision_verdict(lost, base, "c1")[0] == "differs"
    # accuracy a little outside the range, within mean +- 2 sd: neither same nor differs
    assert claims.precision_verdict({0: _row(0, 0.88)}, base, "c1")[0] == "inconclusive"


def test_records_are_pooled_over_sweeps_and_a_seed_must_be_one_run(tmp_path):
    _record(tmp_path / "a", "sweep_seeds0-1.json", [_row(0, 0.80), _row(1, 0.90)])
    _record(tmp_path / "a", "sweep_seeds0-9.json", [_row(0, 0.80), _row(2, 0.70), {"seed": 3, "error": "boom"}])
    _record(tmp_path / "a", "sweep_seeds0-1_steps300.json", [_row(0, 0.10)])  # another length: not pooled
    _record(tmp_path / "a", "sweep_seeds11.json", [_row(11, 0.99)])  # not a planned seed
    study = claims.parse_study(_study(tmp_path, [A]))
    rows, used = claims.load_rows(study.settings[0])
    assert sorted(rows) == [0, 1, 2] and len(used) == 3
    _record(tmp_path / "a", "sweep_seeds0-1.json", [_row(0, 0.81)])
    with pytest.raises(claims.StudyError, match="seed 0 has accuracy .* two different runs"):
        claims.load_rows(study.settings[0])


@pytest.mark.parametrize(
    "settings, message",
    [
        ([dict(A, role="winner")], "role 'winner' is not one of baseline, candidate"),
        ([dict(A, colour="red")], r"unknown keys \['colour'\]"),
        ([A, dict(A, name="A2")], "one baseline and at most one candidate"),
        ([B], "one baseline"),
        ([dict(A, seeds="9-0")], "seeds: --seeds=9-0"),
        ([{"name": "A", "role": "baseline"}], "needs the keys name, records, role and seeds"),
        ([A, A], "distinct names"),
    ],
)
def test_a_bad_study_file_says_which_setting_and_key(tmp_path, settings, message):
    with pytest.raises(claims.StudyError, match=message):
        claims.parse_study(_study(tmp_path, settings))


def test_the_command_writes_the_tables_and_fills_the_readme_block(tmp_path, monkeypatch):
    accs_a = [0.70 + 0.01 * i for i in range(10)]
    accs_b = [0.90, 0.91, 0.92, 0.93, 0.96, 0.961, 0.97, 0.98, 0.985, 0.99]
    _record(tmp_path / "a", "sweep_seeds0-9.json", [_row(s, a, lf=a) for s, a in enumerate(accs_a)])
    _record(tmp_path / "b", "sweep_seeds0-9.json", [_row(s, a, lf=2 - a) for s, a in enumerate(accs_b)])
    _record(
        tmp_path / "gan",
        "sweep_seeds0-4.json",
        [_row(s, 0.2, code="c", peak=0.5 + 0.1 * s, li={"c": 0.1}) for s in range(5)],
    )
    fig1 = {"name": "1G", "label": "GAN", "role": "figure1_gan", "records": "gan", "seeds": "0-4", "code": "c"}
    study = _study(tmp_path, [A, B, fig1])
    readme = tmp_path / "README.md"
    readme.write_text("# Results\n<!-- claims:begin -->\nold table\n<!-- claims:end -->\nthe rest\n")
    claims.FLAGS.mark_as_parsed()
    monkeypatch.setattr(claims.FLAGS, "study", study)
    monkeypatch.setattr(claims.FLAGS, "readme", str(readme))
    assert claims.main(["claims"]) == 0
    result = json.loads((tmp_path / "claims.json").read_text())
    assert result["default"]["decision"] == "candidate"
    assert result["settings"]["B"]["verdict"] == "reproduced as typical"
    assert result["settings"]["B"]["seeds_at_target"] == [4, 5, 6, 7, 8, 9]
    # the label-free score here falls with accuracy in B: the pick is the worst seed
    assert result["settings"]["B"]["label_free_pick"]["seed"] == 0
    assert result["settings"]["B"]["label_free_pick"]["verdict"] == "misleads"
    assert result["settings"]["A"]["label_free_pick"]["verdict"] == "helps"
    assert result["settings"]["1G"]["stats"]["max"] == pytest.approx(0.9)
    text = readme.read_text()
    assert "old table" not in text and text.endswith("<!-- claims:end -->\nthe rest\n")
    assert "Decision: B becomes the default" in text and "p = 1.1e-05 (exact; the decision's test)" in text
    assert "(claims.png)" in text and os.path.exists(tmp_path / "claims.png")
    assert "| 1G: GAN | peak L_I (nats) |" in (tmp_path / "CLAIMS.md").read_text()
    # a README without the markers is an error that says what it needs, and writes nothing
    readme.write_text("# Results\n")
    os.remove(tmp_path / "claims.json")
    assert claims.main(["claims"]) == 2
    assert not os.path.exists(tmp_path / "claims.json") and readme.read_text() == "# Results\n"
