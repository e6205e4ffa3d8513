"""Every scoring rule of spec/evaluation.md at its edges, on the pure functions."""

from decimal import Decimal as D

import pytest

from app.core.errors import Invalid
from app.core.numbers import round_half_up
from app.evaluation.scoring import check_qualitative, needs_deviation_note, score_quantitative
from app.programs.service import grade_for


def q(op, target, actual, weight=10):
    r = score_quantitative(op, D(str(target)), D(str(actual)), weight)
    return r.completion_rate, r.score


def test_at_least_met_missed_exactly_and_far_over():
    assert q(">=", 100, 100) == (D("100.00"), D("10.00"))  # exactly at target
    assert q(">=", 100, 99.5) == (D("99.50"), D("9.95"))  # missed: weight × actual ÷ target
    assert q(">=", 2000, 57111) == (D("2855.55"), D("10.00"))  # the seed's revenue row: full, far over
    assert q(">=", 90, 100, 5) == (D("111.11"), D("5.00"))  # the seed's satisfaction row
    assert q(">=", 100, 0) == (D("0.00"), D("0.00"))


def test_equal_met_and_missed_either_side():
    assert q("=", 41, 41) == (D("100.00"), D("10.00"))
    assert q("=", 41, 40) == (D("97.56"), D("9.76"))  # 10 × (1 − 1/41) = 9.7560…
    assert q("=", 41, 42) == (D("102.44"), D("9.76"))  # over by one costs the same
    assert q("=", 10, 25) == (D("250.00"), D("0.00"))  # never below zero


def test_reverse_inside_beyond_and_beyond_twice():
    assert q("<=", 30, 30) == (D("100.00"), D("10.00"))
    assert q("<=", 30, 12) == (D("40.00"), D("10.00"))  # under a ceiling is full marks
    assert q("<=", 30, 45) == (D("150.00"), D("5.00"))  # 10 × (1 − 15/30)
    assert q("<=", 30, 59.99)[1] == D("0.00")  # 10 × (1 − 29.99/30) = 0.0033… → 0.00
    assert q("<=", 30, 60) == (D("200.00"), D("0.00"))  # twice the target and beyond: 0
    assert q("<=", 30, 90)[1] == D("0.00")


def test_zero_target():
    assert q("<=", 0, 0) == (None, D("10.00"))
    assert q("<=", 0, 1) == (None, D("0.00"))
    assert q(">=", 0, 3) == (None, D("10.00"))
    assert q("=", 0, 0) == (None, D("10.00"))
    assert q("=", 0, 0.01) == (None, D("0.00"))


def test_rounding_is_half_up_once_at_the_end():
    assert round_half_up(D("4.545")) == D("4.55")  # binary floats would give 4.54
    assert round_half_up(D("4.544999")) == D("4.54")
    assert round_half_up(D("2.675")) == D("2.68")
    # 5 × 90.9 ÷ 100 = 4.545 → 4.55, computed in Decimal from the unrounded ratio
    assert q(">=", 100, 90.9, 5) == (D("90.90"), D("4.55"))


def test_deviation_rule_at_130():
    assert not needs_deviation_note(D("129.99"))
    assert needs_deviation_note(D("130.00"))
    assert needs_deviation_note(D("2855.55"))
    assert not needs_deviation_note(None)


@pytest.mark.parametrize(("tier", "score", "ok"), [
    ("achieved", "4", True), ("achieved", "3.2", True), ("achieved", "3.19", False), ("achieved", "4.01", False),
    ("partial", "3.19", True), ("partial", "2.4", True), ("partial", "3.2", False), ("partial", "2.39", False),
    ("not_achieved", "0", True), ("not_achieved", "2.39", True), ("not_achieved", "2.4", False),
    ("not_achieved", "-0.01", False),
])
def test_tier_bounds_for_a_four_point_row(tier, score, ok):
    if ok:
        assert check_qualitative(tier, D(score), 4, "理由") == D(score)
    else:
        with pytest.raises(Invalid) as info:
            check_qualitative(tier, D(score), 4, "理由")
        assert info.value.status == 422 and "档的得分应在" in info.value.detail


def test_justification_required_below_full_weight_and_places_limited():
    assert check_qualitative("achieved", D("3"), 3, None) == D("3")  # full marks need no reason
    with pytest.raises(Invalid, match="必须填写评分理由"):
        check_qualitative("achieved", D("2.5"), 3, "  ")
    with pytest.raises(Invalid, match="两位小数"):
        check_qualitative("achieved", D("2.555"), 3, "理由")
    with pytest.raises(Invalid, match="评价档次"):
        check_qualitative("excellent", D("3"), 3, "理由")


@pytest.mark.parametrize(("bands", "total", "expected"), [
    ("xsg", "100", "优"), ("xsg", "90", "优"), ("xsg", "89.99", "良"), ("xsg", "80", "良"), ("xsg", "70", "中"),
    ("xsg", "69.99", "差"), ("national", "60", "中"), ("national", "59.99", "差"), ("national", "0", "差"),
])
def test_grade_bands_of_both_templates(bands, total, expected):
    table = {"xsg": [["优", 90], ["良", 80], ["中", 70], ["差", 0]],
             "national": [["优", 90], ["良", 80], ["中", 60], ["差", 0]]}[bands]
    assert grade_for(table, D(total)) == expected
